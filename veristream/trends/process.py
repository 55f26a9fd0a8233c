"""Trend detection in a process of its own: a consumer tailing the store by seq.

`TrendsProcess` is what a writing engine holds (setting `[trends] process`, the default). It
starts a child process (`python -m veristream.trends.child`, the engine's interpreter and
code) when the first posts are accepted. The child runs the same `Trends` detector as the
in-process thread, over a read-only connection to the store: it reads the accepted posts in
seq order from its checkpoint (the `trends` row of the store's consumers), so it never holds
the writer's interpreter lock and a slow detector never slows acceptance.

What the child writes (events, the trending snapshot, its checkpoint) comes back through the
pipe and is written by the engine's process, in one transaction each (`EventStore.save`): the
store keeps one writing process. The checkpoint moves with the events raised from the posts
it covers, so a child that dies (SIGKILL, out of memory) or an engine killed mid-stream
resumes from it and raises each event once: posts up to it are replayed quietly to rebuild
the term rates, later ones are detected as if live.

The pipe: engine -> child, how far the store has gone ("target"), requests ("trending",
"sync": answered once the child has read everything up to the target of the request) and
"stop" (the child reads up to the last target, writes, and exits); child -> engine, "save"
(what to write), "done" (how far it has read and processed), "result" (a request's answer).
Reads (`trending`, `events`) therefore see every post accepted before them, as with the thread.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from ..core.gcpace import WORKER_GC_FULL_S, CollectorPacing
from ..core.store import EventStore, Store
from ..core.worker import Worker, child_spec, start_child
from .detector import CHECKPOINT, StoredTrends, Trends, TrendConfig, _from_row
from .records import Trend, TrendsStatus

if TYPE_CHECKING:
    from ..core.writer import Accepted
    from ..settings import Settings

log = logging.getLogger(__name__)

CHUNK = 2000  # posts read from the store and handed to the detector at a time
STOP_WAIT_S = 600.0  # closing waits this long for the child to finish, then kills it
RESTART_AFTER_S = 5.0  # a child that died is started again at most this often
ANSWER_WAIT_S = 120.0  # a read waits this long for the child to catch up


@dataclass(frozen=True, slots=True)
class ChildSpec:
    store: str
    settings: "Settings"
    parent: int  # the engine's pid: the child exits when it is gone
    fd: int  # the child's end of the pipe
    engine_nice: int


class _Sink(EventStore):
    """The child's event store: reads from the read-only store, writes sent to the engine."""

    def __init__(self, store: Store, send: Any):
        super().__init__(store)
        self._send = send

    def save(self, events: Any, trending: Any = None, consumer: Any = None) -> None:
        if events or trending or consumer is not None:
            self._send(("save", list(events), trending, consumer))


def main() -> None:
    """The child process (`python -m veristream.trends.child`): its spec on stdin. Like the
    embedder, below the writer (nice 19, or SCHED_IDLE under an engine at 19): nice +5 kept the
    detector current in max mode but gave back the ingest it gains (docs/performance.md)."""
    _serve(*child_spec("trends"))


def _serve(spec: ChildSpec, conn: Connection) -> None:
    lock = threading.Lock()

    def send(msg: tuple) -> None:
        with lock:
            try:
                conn.send(msg)
            except (OSError, EOFError):  # the engine is gone
                os._exit(0)

    store = Store(spec.store, readonly=True)
    sink = _Sink(store, send)
    done, _ = store.consumer(CHECKPOINT)
    trends = Trends(store, spec.settings, db=sink, resume_seq=done)
    pos = done  # every post up to here is handed to the detector
    # What the writer resolved of the posts the engine saw (their places; seqs in a known range
    # without one have none): rows read past a restart are resolved here instead.
    places: dict[int, str] = {}
    known: list[tuple[int, int]] = []  # (lo, hi]: ranges of seqs whose places are in `places`

    def place_of(seq: int) -> str | None:
        got = places.pop(seq, None)
        if got is not None:
            return got
        return "" if any(lo < seq <= hi for lo, hi in known) else None

    reported = [0]  # posts_behind last reported

    def report() -> None:
        st = trends.status()
        reported[0] = st.posts_behind
        send(("done", pos, {"state": st.state, "behind": st.posts_behind, "processed_us": trends._processed_us}))

    def catch_up(target: int) -> None:
        nonlocal pos
        while pos < target:
            rows = sink.posts_after(pos, target, CHUNK)
            if not rows:
                pos = target  # removed posts leave gaps
                break
            items, seqs, stories = [], [], []
            for seq, ts, author, story, doc in rows:
                try:
                    items.append(_from_row(ts, author, doc, place_of(seq)))
                except Exception:  # noqa: BLE001 - an accepted post the detector cannot read: skip it, say so
                    log.exception("trends: post seq %d cannot be read; skipped", seq)
                    continue
                seqs.append(seq)
                stories.append(story)
            if items:
                from ..core.writer import Accepted

                trends.observe(Accepted(items, seqs, stories, []))  # type: ignore[arg-type]
            pos = rows[-1][0]
        known[:] = [(max(lo, pos), hi) for lo, hi in known if hi > pos]
        for seq in [seq for seq in places if seq <= pos]:  # posts removed before they were read
            del places[seq]
        report()

    # The detector's state is millions of small objects that live for the window: collected
    # by the default thresholds, the whole of it was walked again and again.
    pacing = CollectorPacing(WORKER_GC_FULL_S)
    while True:
        pacing.pace()
        try:
            if not conn.poll(0.25):
                if trends.status().posts_behind != reported[0]:  # the detector caught up since: say so
                    report()
                continue
            msg = conn.recv()
        except (OSError, EOFError):  # the engine died: leave, the last checkpoint stands
            os._exit(0)
        kind = msg[0]
        try:
            if kind == "target":
                _, target, lo, named = msg
                places.update(named)
                if target > lo:
                    known.append((lo, target))
                catch_up(target)
            elif kind == "trending":
                _, n, target, window, limit = msg
                catch_up(target)
                found = trends.trending(window, limit)  # pickled as they are: no rounding on the way
                report()  # before the answer: the engine's status is current when the read returns
                send(("result", n, found, None))
            elif kind == "sync":
                _, n, target = msg
                catch_up(target)
                trends.sync()
                report()
                send(("result", n, None, None))
            elif kind == "stop":
                catch_up(msg[1])
                trends.close()  # processes what is queued, writes it (through `send`)
                send(("stopped",))
                break
        except Exception as e:  # noqa: BLE001 - said to the engine, which reports it to the caller
            log.exception("trends: %s failed", kind)
            if kind in ("trending", "sync"):
                send(("result", msg[1], None, f"{type(e).__name__}: {e}"))
    store.close()
    conn.close()


class TrendsProcess(StoredTrends):
    """A writing engine's trend detector run as a child process (see the module's doc)."""

    readonly = False

    def __init__(self, store: Store, settings: "Settings", config: TrendConfig | None = None):
        super().__init__(store, settings, config)
        self._settings = settings
        self._store = store
        self.target = store.cursor().seq
        if not store.has_consumer(CHECKPOINT):
            # A store from before the detector kept a checkpoint (or with detection off until now):
            # what it holds counts as read, as a detector in a thread replays it quietly on start-up.
            self.db.save([], None, (CHECKPOINT, self.target, store.newest_ts()))
        self._done = store.consumer(CHECKPOINT)[0]  # how far the child has read
        self._status: dict[str, Any] = {}
        self._mu = threading.Lock()
        self._changed = threading.Condition(self._mu)
        self._sent_target = self._done
        self._asked = 0  # requests sent
        self._answers: dict[int, tuple[Any, str | None]] = {}
        self._proc: subprocess.Popen | None = None
        self._conn: Any = None
        self._receiver: threading.Thread | None = None
        self._started_at = 0.0
        self._closing = False
        self.error: str | None = None
        self._places: list[tuple[int, str]] = []  # (seq, place) of accepted posts not sent yet
        self._seen_from: int | None = None  # posts after this seq came through `observe`
        self._feeder = Worker("trends-feed", self._feed_loop).start()
        if self.target > self._done:
            self._feeder.wake()  # posts from before (an engine that stopped before its child read them)

    # -- fed by the writer (quick: records and wakes the feeding thread) ------------------

    def observe(self, acc: "Accepted") -> None:
        if acc.seqs:
            # The places the writer resolved go along: the child need not resolve them again.
            named = [(seq, it.place) for it, seq in zip(acc.items, acc.seqs) if it.place]
            with self._mu:
                if self._seen_from is None:
                    self._seen_from = min(acc.seqs) - 1
                self.target = max(self.target, max(acc.seqs))
                self._places.extend(named)
            self._feeder.wake()

    # -- reading --------------------------------------------------------------------------

    def status(self) -> TrendsStatus:
        if self._closed:
            return TrendsStatus("stopped")
        with self._mu:
            st, done, target = self._status, self._done, self.target
        behind = max(0, target - done) + int(st.get("behind", 0))
        newest = self._store.newest_ts()
        if behind == 0:
            return TrendsStatus("running", 0, 0.0 if newest is not None else None)
        last = st.get("processed_us")
        if last is None:
            first = self.db.posts_after(done, target, 1)
            last = first[0][1] if first else None
        lag = max(0.0, (newest - last) / 1e6) if newest is not None and last is not None else None
        state = "failed" if self.error else "running"
        return TrendsStatus(state, behind, lag)

    def trending(self, window: str = "1h", limit: int = 20) -> list[Trend]:
        if self._closed:
            return super().trending(window, limit)
        self._check_window(window)
        return list(self._ask(("trending", window, limit)))

    def sync(self, timeout: float | None = ANSWER_WAIT_S) -> None:
        """Wait until every post accepted so far is processed and what it raised is stored."""
        if not self._closed:
            self._ask(("sync",), timeout)

    def _ask(self, body: tuple, timeout: float | None = ANSWER_WAIT_S) -> Any:
        """Send a request and wait for its answer; a child that dies meanwhile is started again
        (from the checkpoint) and asked again."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for attempt in range(3):
            with self._mu:
                self._asked += 1
                n = self._asked
                target = self.target
            self._ensure_child()
            proc, conn = self._proc, self._conn
            try:
                conn.send((body[0], n, target, *body[1:]))
            except (OSError, EOFError):
                proc.wait(5)
                continue
            with self._changed:
                while n not in self._answers and proc.poll() is None:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        raise TimeoutError("the trends process did not answer")
                    self._changed.wait(0.5 if left is None else min(0.5, left))
                if n not in self._answers:
                    continue  # it died: start another
                result, err = self._answers.pop(n)
            if err:
                raise RuntimeError(f"trends: {err}")
            return result
        raise RuntimeError(f"the trends process has stopped: {self.error or 'see the log'}")

    # -- control --------------------------------------------------------------------------

    def close(self) -> None:
        """Let the child read everything accepted, write it and exit; safe to call twice."""
        if self._closed or self._closing:
            return
        self._closing = True
        self._feeder.stop()
        with self._mu:
            work = self.target > self._done
        if work and (self._proc is None or self._proc.poll() is not None):
            try:
                self._ensure_child()
            except Exception:  # noqa: BLE001 - the next writing engine reads them from the checkpoint
                log.exception("trends: starting the process to finish failed")
        proc, conn = self._proc, self._conn
        if proc is not None and proc.poll() is None:
            try:
                conn.send(("stop", self.target))
                proc.wait(STOP_WAIT_S)
            except (OSError, EOFError):
                pass
            except subprocess.TimeoutExpired:
                log.warning("the trends process did not stop in %.0f s; killing it", STOP_WAIT_S)
                proc.kill()
                proc.wait()
        if self._receiver is not None:
            self._receiver.join(30)
        if conn is not None:
            conn.close()
        super().close()

    @property
    def pid(self) -> int | None:
        p = self._proc
        return p.pid if p is not None and p.poll() is None else None

    # -- the engine's side of the pipe -----------------------------------------------------

    def _feed_loop(self, worker: Worker) -> None:
        wait: float | None = None
        while not worker.sleep(wait):
            wait = None
            with self._mu:
                target = self.target
                seen_from = self._seen_from
            if target <= self._sent_target:
                continue
            p = self._proc
            if p is not None and p.poll() is not None:
                due = self._started_at + RESTART_AFTER_S
                if time.monotonic() < due:  # it died: started again, not in a loop
                    wait = due - time.monotonic()
                    continue
            try:
                self._ensure_child()
                with self._mu:
                    named, self._places = dict(self._places), []
                # the range whose places are known: what came through `observe` since last sent
                lo = max(self._sent_target, seen_from) if seen_from is not None else target
                self._conn.send(("target", target, lo, named))
                self._sent_target = target
            except (OSError, EOFError):
                wait = 1.0
            except Exception:  # noqa: BLE001
                log.exception("trends: starting the process failed")
                wait = RESTART_AFTER_S

    def _ensure_child(self) -> None:
        with self._mu:
            p = self._proc
            if p is not None and p.poll() is None:
                return
            if p is not None:
                log.warning("the trends process exited (code %s); starting it again", p.returncode)
                if self._conn is not None:
                    self._conn.close()
                # The places sent to it are gone with it: the next one resolves what it rereads,
                # and is told only of posts observed from now on.
                self._seen_from = None
            self._started_at = time.monotonic()
            self._proc, self._conn = start_child("veristream.trends.child", lambda fd, nice: ChildSpec(
                str(self._store.path), self._settings, os.getpid(), fd, nice))
            self._sent_target = self._store.consumer(CHECKPOINT)[0]  # a new child reads from the checkpoint
            self._status = {}
            self.error = None
            self._receiver = threading.Thread(target=self._receive, args=(self._proc, self._conn),
                                              name="veristream-trends-status", daemon=True)
            self._receiver.start()

    def _receive(self, proc: Any, conn: Any) -> None:
        while True:
            try:
                msg = conn.recv()
            except (OSError, EOFError):
                break
            kind = msg[0]
            if kind == "save":
                try:
                    self.db.save(msg[1], msg[2], msg[3])
                except Exception:  # noqa: BLE001 - the child's next save carries the checkpoint again
                    log.exception("trends: writing the detector's events failed")
            elif kind == "done":
                with self._changed:
                    self._done = max(self._done, msg[1])
                    self._status = msg[2]
                    self._changed.notify_all()
            elif kind == "result":
                with self._changed:
                    self._answers[msg[1]] = (msg[2], msg[3])
                    self._changed.notify_all()
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        with self._changed:
            if not self._closing and self._proc is proc:  # not one started since
                self.error = f"the trends process exited (code {code})"
                # What it read and did not store is read again by the next one, from the checkpoint.
                self._done = self._sent_target = self._store.consumer(CHECKPOINT)[0]
            self._changed.notify_all()
        if not self._closing:
            self._feeder.wake()

