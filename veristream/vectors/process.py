"""Embedding in a process of its own: a writing engine's embedder as its child process.

`EmbedProcess` is what a writing engine holds (setting `[vectors] process`, the default). It
starts a child process (`python -m veristream.vectors.child`, the engine's own interpreter and
code: never a re-import of the caller's main module, as multiprocessing's spawn would do) the
first time there is something to embed.
The child runs the same `Embedder` as the in-process thread, over a read-only connection to
the store of its own: it tails the store by seq from its checkpoint, encodes, adds to its
ANN index, and saves index and checkpoint (`vectors/index.usearch`, `vectors/checkpoint.json`:
the same files and the same contract, so either mode resumes the other's work). The engine's
process searches the saved index memory-mapped, as a read-only engine does (`VectorReader`),
reopened each time the child reports a save; the child saves whenever it has caught up (at
most 1/20 of its time: a save writes the whole index) and every `save_interval_s` while it
is behind. `status()` counts what the engine's searches can use: posts past the saved
checkpoint are pending.

Why a process: the encoder's Python, the HNSW inserts (usearch holds the GIL while it adds)
and the store reads no longer share the writer's GIL, and the child runs at the lowest CPU
priority Linux has (SCHED_IDLE; nice 19 elsewhere), below even a writer that is itself
niced, so it takes only the CPU time nothing else wants. (A thread cannot be given that
priority safely: starved while it holds the GIL, it would stall the writer.)

The pipe between them carries little: engine -> child, how far the store has gone and the
seqs edited or removed ("feed", numbered), "rebuild" and "stop"; child -> engine, a status
after each unit of work and each save. The writer's listener only records what it was told
and wakes a feeding thread: it never waits on the child. A child whose engine dies (SIGKILL)
sees the pipe close and exits at once without saving: the checkpoint never leads the index
file, so a restart re-embeds at most what came after the last save. Closing the engine asks
the child to stop (it finishes the batch in hand and saves) and waits for it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.store import Removed, Store
from ..core.worker import Worker, child_spec, start_child
from .embedder import EmbedStatus, Embedder, VectorReader
from .encoder import embedding_encoder

if TYPE_CHECKING:
    from ..core.writer import Accepted
    from ..settings import Settings
    from .encoder import Encoder, ModelFiles

log = logging.getLogger(__name__)

# A child costs about a second of CPU to start (an interpreter, the model): an engine that
# closes sooner than this after its first post (a test, a short command) starts none, and the
# next writing engine embeds those posts. Waiting for the vectors (`wait`, `embed`) starts it at once.
START_AFTER_S = 1.0
STOP_WAIT_S = 600.0  # closing waits this long for the child's last save, then kills it
RESTART_AFTER_S = 10.0  # a child that died (killed, out of memory) is started again at most this often


@dataclass(frozen=True, slots=True)
class ChildSpec:
    dir: str
    store: str
    files: "ModelFiles"
    settings: "Settings"
    model_id: str
    dim: int
    parent: int  # the engine's pid: the child exits when it is gone
    fd: int  # the child's end of the pipe to the engine
    engine_nice: int  # the child runs below it


def main() -> None:
    """The child process (`python -m veristream.vectors.child`): its spec on stdin."""
    _serve(*child_spec("embedding"))


def _serve(spec: ChildSpec, conn: Connection) -> None:
    """An `Embedder` fed through the pipe, its status sent back."""
    send_lock = threading.Lock()
    received = [0]  # the last "feed" or "rebuild" message applied
    emb: Embedder | None = None

    def send_status() -> None:
        if emb is None:
            return
        got = received[0]  # read before the state: what it covers is in what follows
        idle, dirty = emb.idle(), emb.dirty
        err = emb.error
        msg = ("status", {"state": emb.state, "received": got, "idle": idle, "dirty": dirty,
                          "done": emb.done, "saved": emb.saved(), "posts_per_s": emb._posts_per_s(),
                          "error": f"{type(err).__name__}: {err}" if err is not None else None})
        with send_lock:
            try:
                conn.send(msg)
            except (OSError, EOFError):  # the engine is gone
                os._exit(0)

    store = Store(spec.store, readonly=True)
    emb = Embedder(Path(spec.dir), store, lambda: embedding_encoder(spec.files, spec.settings.vectors), spec.model_id, spec.dim,
                   save_interval_s=spec.settings.vectors.save_interval_s, priority=0, save_when_idle=True,
                   on_change=send_status)
    send_status()
    while True:
        try:
            msg = conn.recv()
        except (OSError, EOFError):  # the engine died: leave at once, the last save stands
            os._exit(0)
        if msg[0] == "feed":
            _, n, target, updates, removed = msg
            emb.feed(target, updates, removed)
            received[0] = n
        elif msg[0] == "rebuild":
            emb.rebuild()
            received[0] = msg[1]
        elif msg[0] == "stop":
            emb.close()  # finishes the batch in hand, saves
            send_status()
            break
        send_status()
    store.close()
    conn.close()


class EmbedProcess(VectorReader):
    """A writing engine's embedder run as a child process; searches read what it saved."""

    def __init__(self, dir: Path, store: Store, files: "ModelFiles", settings: "Settings", model_id: str, dim: int,
                 newest_us: Callable[[], int | None] = lambda: None):
        dir.mkdir(parents=True, exist_ok=True)
        super().__init__(dir, model_id, dim, store)
        self._files = files
        self._settings = settings
        self._newest_us = newest_us
        self.target = store.cursor().seq  # the newest seq stored
        self._mu = threading.Lock()  # guards what the writer hands over, and the child's status
        self._changed = threading.Condition(self._mu)
        self._updates: list[tuple[str, str]] = []
        self._removed: list[int] = []
        self._rebuild = False
        self._sent = 0  # "feed"/"rebuild" messages sent to the child so far
        self._fed_target = 0  # the target the child was last told
        self._status: dict[str, Any] = {}  # the child's last status
        self._proc: subprocess.Popen | None = None
        self._conn: Any = None
        self._started_at = 0.0
        self._closing = False
        self._hurry = False  # someone waits for the vectors: start the child at once
        self.error: BaseException | None = None
        self._receiver: threading.Thread | None = None
        self._refresh(force=True)
        cp = self._cp
        # Work left from before (the checkpoint behind the store, another model).
        self._backlog = cp.get("model") != model_id or cp.get("dim") != dim or int(cp.get("seq", 0)) < self.target
        self._feeder = Worker("embed-feed", self._feed_loop).start()

    # -- fed by the writer (quick: records and wakes the feeding thread) ------------------

    def on_accepted(self, acc: "Accepted") -> None:
        with self._mu:
            if acc.seqs:
                self.target = max(self.target, max(acc.seqs))
            if acc.updated:
                self._updates.extend((it.key, it.text) for it in acc.updated)
        self._feeder.wake()

    def on_removed(self, gone: Removed) -> None:
        with self._mu:
            self._removed.extend(gone.seqs)
        self._feeder.wake()

    # -- reading --------------------------------------------------------------------------

    @property
    def state(self) -> str:
        if self.error is not None:
            return "failed"
        return self._status.get("state", "idle")

    def status(self) -> EmbedStatus:
        self._refresh()
        cp = self._cp
        done = int(cp.get("seq", 0))
        with self._mu:
            pending = max(0, self.target - done)
            st = self._status
        newest, last = self._newest_us(), cp.get("ts")
        if pending and last is None:  # nothing saved yet: behind by everything after the checkpoint
            first = next(self.store.rows_after(done, 1), [])
            last = first[0][1] if first else None
        lag = None
        if newest is not None and last is not None:
            lag = max(0.0, (newest - last) / 1e6) if pending else 0.0
        elif newest is not None and not pending:
            lag = 0.0
        state = self.state
        if state == "embedding" and st.get("idle"):
            state = "saving" if st.get("dirty") else "idle"
        return EmbedStatus(True, self.model_id, int(cp.get("vectors", 0)), done, pending, lag,
                           float(st.get("posts_per_s", 0.0)), state)

    def wait(self, timeout: float | None = None, seq: int | None = None) -> bool:
        """Wait until everything stored (or up to `seq`) is embedded and searchable here, and
        every edit and removal handed over is applied; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._hurry = True
        self._feeder.wake()
        with self._changed:
            while True:
                if self.error is not None:
                    raise RuntimeError(f"embedding failed: {self.error}") from self.error
                if self._caught_up(self.target if seq is None else seq):
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(0.5 if left is None else min(left, 0.5))
        self._refresh(force=True)  # what the child saved, searchable here before returning
        return True

    def _caught_up(self, goal: int) -> bool:
        """(Under the lock.) Every post up to `goal` is in the saved index, and every edit,
        removal and rebuild handed over is applied and saved."""
        if self._updates or self._removed or self._rebuild:
            return False
        if self._proc is None:  # no child yet: what an earlier one saved may be all there is to have
            cp = self._cp
            return cp.get("model") == self.model_id and int(cp.get("seq", 0)) >= goal
        st = self._status
        saved = st.get("saved") or {}
        return (st.get("received", -1) >= self._sent and self._fed_target >= self.target and bool(st.get("idle"))
                and not st.get("dirty") and saved.get("model") == self.model_id and int(saved.get("seq", 0)) >= goal)

    # -- control --------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Drop every vector and embed the store again from the start (in the child)."""
        with self._mu:
            self._rebuild = True
        self._hurry = True
        self._feeder.wake()

    def close(self) -> None:
        """Stop the child (it finishes its batch and saves) and the threads; safe to call twice."""
        if self._closing:
            return
        self._closing = True
        self._feeder.stop()
        proc, conn = self._proc, self._conn
        if proc is not None:
            try:
                conn.send(("stop",))
            except (OSError, EOFError):
                pass
            try:
                proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                log.warning("the embedding process did not stop in %.0f s; killing it", STOP_WAIT_S)
                proc.kill()
                proc.wait()
        if self._receiver is not None:
            self._receiver.join(10)
        if conn is not None:
            conn.close()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        p = self._proc
        return p.pid if p is not None and p.poll() is None else None

    # -- the feeding thread (the engine's process) ------------------------------------------

    def _feed_loop(self, worker: Worker) -> None:
        wait: float | None = 0.0 if self._backlog else None
        since: float | None = None  # when work first found no child running
        while not worker.sleep(wait):
            wait = None
            with self._mu:
                target, updates, removed, rebuild = self.target, self._updates, self._removed, self._rebuild
                work = rebuild or updates or removed or target > self._fed_target or self._backlog
            if not work:
                continue
            p = self._proc
            if p is None or p.poll() is not None:
                if self.error is not None and self._status.get("error"):
                    continue  # it failed on its own (a model that does not load): not again
                now = time.monotonic()
                since = now if since is None else since
                due = now if self._hurry else since + START_AFTER_S
                if p is not None:
                    due = max(due, self._started_at + RESTART_AFTER_S)  # it died: not in a loop
                if now < due:
                    wait = due - now
                    continue
                self._start_child()
                since = None
            with self._mu:
                self._updates, self._removed, self._rebuild = [], [], False
                self._backlog = False
                msgs = []
                if rebuild:
                    self._sent += 1
                    msgs.append(("rebuild", self._sent))
                if updates or removed or target > self._fed_target or not msgs:
                    self._sent += 1
                    msgs.append(("feed", self._sent, target, updates, removed))
                self._fed_target = max(self._fed_target, target)
            for m in msgs:
                try:
                    self._conn.send(m)
                except (OSError, EOFError):  # the child is gone: the receiver says why
                    break

    def _start_child(self) -> None:
        p = self._proc
        if p is not None:
            log.warning("the embedding process exited (code %s); starting it again", p.returncode)
            if self._receiver is not None:
                self._receiver.join(5)
            self._conn.close()
        self._started_at = time.monotonic()
        proc, here = start_child("veristream.vectors.child", lambda fd, nice: ChildSpec(
            str(self.dir), str(self.store.path), self._files, self._settings, self.model_id, self.dim, os.getpid(),
            fd, nice))
        with self._mu:
            self._proc, self._conn = proc, here
            self._status = {}
            self.error = None
            # A new child knows nothing that was handed to the last one: hand it everything again.
            self._sent = 0
            self._fed_target = 0
        self._receiver = threading.Thread(target=self._receive, args=(proc, here), name="veristream-embed-status",
                                          daemon=True)
        self._receiver.start()

    def _receive(self, proc: Any, conn: Any) -> None:
        while True:
            try:
                kind, body = conn.recv()
            except (OSError, EOFError):
                break
            if kind != "status":
                continue
            saved = body.get("saved") or {}
            if saved.get("seq") != self._cp.get("seq") or saved.get("vectors") != self._cp.get("vectors") \
                    or saved.get("model") != self._cp.get("model"):
                self._refresh(force=True)
            with self._changed:
                self._status = body
                if body.get("error"):
                    self.error = RuntimeError(body["error"])
                self._changed.notify_all()
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        with self._changed:
            if not self._closing and self.error is None:
                self.error = RuntimeError(f"the embedding process exited (code {code})")
                self._backlog = True  # what it had not saved is done again by the next one
            self._changed.notify_all()
        if not self._closing:
            self._feeder.wake()  # started again when there is work (at most every RESTART_AFTER_S)

