"""The cold tier built by a process of its own: a consumer of the accepted posts.

Earlybird's split taken one step further (issue 14, items 1 and 2): the writer keeps what
makes a post findable at once (the hot tier, committed after every batch), and the large
on-disk cold tier, with its merges of growing segments, is built beside it by a child process
(`python -m veristream.core.index.coldchild`) that owns the cold tier's tantivy writer. The
writer's process no longer indexes each document twice, and never waits on the cold tier.

The child follows the store by seq and by change id from the cold tier's checkpoint, like any
consumer: it is handed each accepted batch's index documents (the writer built them for the
hot tier: the child does not rebuild them), reads from the store whatever it was not handed
(posts from before it started, a batch dropped while it was behind, edits, removals and image
text, through the store's change log), and commits every `index_cold_commit_s`, or once
`index_hot_max_posts` have gathered, with the store position it covers as its checkpoint.
After each commit it says what it covers; the writer then empties the hot tier up to there
(`TieredIndex.cold_covered`), as it did after committing the cold tier itself.

A child that dies is started again (at most every few seconds) and resumes from its
checkpoint; meanwhile the hot tier serves everything. An engine killed takes its child with
it, and start-up repair brings the cold tier level with the store as before.

The pipe: engine -> child, ("feed", lo, hi, change, seqs, docs): the posts accepted in
(lo, hi] (their documents; none when the feeder dropped them to bound its memory: then read
from the store) and the store's change id after them; ("sync", n, seq, change): commit
everything up to there now, then answer; ("stop", seq, change): the same, then exit. Child ->
engine: ("committed", seq, change, seconds), ("result", n, error).
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..store import Store
from ..worker import Worker, child_spec, start_child
from .lexical import Checkpoint, IndexDoc, LexicalIndex, document

log = logging.getLogger(__name__)

RESTART_AFTER_S = 3.0  # a child that died is started again at most this often
STOP_WAIT_S = 600.0  # closing waits this long for the child's last commit, then kills it
SYNC_WAIT_S = 600.0
MAX_QUEUED_DOCS = 200_000  # documents waiting for the child beyond this are dropped (read from the store instead)


@dataclass(frozen=True, slots=True)
class ChildSpec:
    store: str
    path: str  # the cold tier's directory
    heap_mb: int
    threads: int
    commit_s: float
    max_pending: int
    parent: int
    fd: int
    engine_nice: int


def docs_of(store: Store, rows: Sequence[tuple[int, int, int, bytes]]) -> list:
    """Tantivy documents of stored posts (with the text read from their images)."""
    from ..writer import index_doc_from_row  # the writer's module imports this one's users

    images = store.image_texts([r[0] for r in rows])
    out = []
    for r in rows:
        try:
            out.append(document(index_doc_from_row(*r, image=images.get(r[0], ""))))
        except Exception:  # noqa: BLE001 - an accepted post the index cannot read: left out, said
            log.exception("cold index: post seq %d cannot be indexed; left out", r[0])
    return out


def main() -> None:
    """The child process: its spec on stdin. It runs at the engine's priority: the writer
    empties the hot tier only as far as the cold tier has committed."""
    spec, conn = child_spec("cold index", below_engine=False)
    _serve(spec, conn)


def _serve(spec: ChildSpec, conn: Connection) -> None:
    def send(msg: tuple) -> None:
        try:
            conn.send(msg)
        except (OSError, EOFError):  # the engine is gone
            os._exit(0)

    store = Store(spec.store, readonly=True)
    cold = LexicalIndex(spec.path, spec.heap_mb, spec.threads)  # waits while a dying child still holds the lock
    cp = cold.checkpoint()
    pos, change = cp.seq, cp.change
    pending = 0
    last = time.monotonic()

    def from_store(upto_seq: int, upto_change: int) -> None:
        nonlocal pos, change, pending
        if upto_seq > pos:
            for rows in store.rows_after(pos, upto=upto_seq):
                cold.add_built(docs_of(store, rows))
                pending += len(rows)
            pos = upto_seq
        if upto_change > change:
            for cid, seq, kind in store.changes_after(change):
                if cid > upto_change:
                    break
                cold.delete([seq])
                if kind != "delete":  # an edit or image text: the row as it is now (gone: nothing)
                    cold.add_built(docs_of(store, store.rows_at([seq])))
                pending += 1
            change = upto_change

    def commit() -> None:
        nonlocal pending, last
        t0 = time.monotonic()
        cold.commit(Checkpoint(pos, change, store.offsets()))
        last = time.monotonic()
        pending = 0
        send(("committed", pos, change, last - t0))

    while True:
        wait = max(0.0, spec.commit_s - (time.monotonic() - last)) if pending else 1.0
        try:
            msg = conn.recv() if conn.poll(wait) else None
        except (OSError, EOFError):  # the engine died: leave, the last checkpoint stands
            os._exit(0)
        if msg is not None:
            kind = msg[0]
            try:
                if kind == "feed":
                    _, lo, hi, ch, seqs, docs = msg
                    if lo > pos:
                        from_store(lo, change)  # posts it was not handed (before it started, or dropped)
                    if docs is not None and hi > pos:
                        fresh = [d if type(d) is str else document(d) for s, d in zip(seqs, docs) if s > pos]
                        cold.add_built(fresh)
                        pending += len(fresh)
                        pos = hi
                    from_store(hi, ch)
                    if pending >= spec.max_pending:
                        commit()
                elif kind in ("sync", "stop"):
                    _, n, seq, ch = msg
                    from_store(seq, ch)
                    commit()
                    send(("result", n, None))
                    if kind == "stop":
                        break
            except Exception as e:  # noqa: BLE001 - said to the engine; the next try resumes from the checkpoint
                log.exception("cold index: %s failed", kind)
                if kind in ("sync", "stop"):
                    send(("result", msg[1], f"{type(e).__name__}: {e}"))
                cold.rollback()
                os._exit(1)  # started again from the last checkpoint: nothing half applied stays
        if pending and time.monotonic() - last >= spec.commit_s:
            commit()
    cold.close()
    store.close()
    conn.close()


class ColdIndexer:
    """The engine's side: feeds the child, starts it (again), and keeps what it last committed.

    `feed` is called on the writer's thread after each batch and only queues; a thread sends.
    What the child has committed is read by the writer (`covered`) on its own thread, which
    then empties the hot tier up to there: no other thread touches the index."""

    def __init__(self, store_path: str, cold_path: str, heap_mb: int, threads: int, commit_s: float,
                 max_pending: int):
        self._args = (store_path, cold_path, heap_mb, threads, commit_s, max_pending)
        self._mu = threading.Lock()
        self._changed = threading.Condition(self._mu)
        self._queue: deque[tuple] = deque()
        self._queued_docs = 0
        self._target = (0, 0)  # the last store position fed
        self.covered: tuple[int, int] | None = None  # (seq, change) of the child's last commit
        self.commits: deque[tuple[float, float]] = deque(maxlen=1024)  # (time.monotonic() at the end, seconds)
        self._answers: dict[int, str | None] = {}
        self._sent_to: dict[int, int] = {}  # request -> pid of the process it was sent to
        self._gone: set[int] = set()  # pids of processes whose every message has been read
        self._asked = 0
        self._proc: subprocess.Popen | None = None
        self._conn: Any = None
        self._started_at = 0.0
        self.restarts = 0
        self.error: str | None = None
        self._closed = False
        self._sender = Worker("cold-index-feed", self._send_loop).start()

    # -- the writer's side ------------------------------------------------------------------

    def feed(self, lo: int, hi: int, change: int, seqs: Sequence[int] = (), docs: Sequence[str | IndexDoc] = ()) -> None:
        """Posts accepted in (lo, hi] with their documents, and the store's change id after them."""
        with self._mu:
            if self._queued_docs + len(docs) > MAX_QUEUED_DOCS:
                docs_, seqs_ = None, None  # the child reads them from the store
            else:
                docs_, seqs_ = list(docs), list(seqs)
                self._queued_docs += len(docs)
            self._queue.append(("feed", lo, hi, change, seqs_, docs_))
            self._target = (max(self._target[0], hi), max(self._target[1], change))
        self._sender.wake()

    def sync(self, seq: int, change: int, timeout: float = SYNC_WAIT_S, stop: bool = False) -> None:
        """Have the child commit everything up to (seq, change) and wait for it (`stop`: then
        exit). Raises if it cannot (the hot tier keeps serving; start-up repairs)."""
        deadline = time.monotonic() + timeout
        for _ in range(3):
            with self._mu:
                self._asked += 1
                n = self._asked
                self._queue.append(("stop" if stop else "sync", n, seq, change))
            self._sender.wake()
            with self._changed:
                while n not in self._answers:
                    to = self._sent_to.get(n)
                    if to is not None and to in self._gone:
                        break  # the process it went to died with it: ask the next one
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("the cold index process did not answer")
                    self._changed.wait(min(0.5, left))
                self._sent_to.pop(n, None)
                if n in self._answers:
                    err = self._answers.pop(n)
                    if err:
                        raise RuntimeError(f"cold index: {err}")
                    return
        raise RuntimeError(f"the cold index process has stopped: {self.error or 'see the log'}")

    def close(self, seq: int, change: int) -> None:
        """Let the child commit everything up to (seq, change) and exit; safe to call twice."""
        if self._closed:
            return
        try:
            # Anything fed counts, not only a child already started: the sender may have taken the
            # first batch off the queue and be starting the child right now.
            with self._mu:
                fed = self._proc is not None or bool(self._queue) or self._target > (0, 0)
            if fed:
                self.sync(seq, change, STOP_WAIT_S, stop=True)
        finally:
            self._closed = True
            self._sender.stop()
            proc = self._proc
            if proc is not None:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if self._conn is not None:
                self._conn.close()

    @property
    def pid(self) -> int | None:
        p = self._proc
        return p.pid if p is not None and p.poll() is None else None

    def status(self) -> dict:
        with self._mu:
            cov = self.covered
            return {"pid": self.pid, "covered_seq": cov[0] if cov else None, "fed_seq": self._target[0],
                    "queued_docs": self._queued_docs, "restarts": self.restarts, "error": self.error}

    # -- the child -------------------------------------------------------------------------

    def _ensure_child(self) -> bool:
        proc = self._proc
        if proc is not None and proc.poll() is None and self._conn is not None:
            return True
        wait = self._started_at + RESTART_AFTER_S - time.monotonic()
        if proc is not None and wait > 0:
            return False
        if proc is not None:
            self.restarts += 1
            log.warning("the cold index process exited (%s); starting it again", proc.returncode)
        store, path, heap, threads, commit_s, max_pending = self._args
        self._started_at = time.monotonic()
        self._proc, conn = start_child("veristream.core.index.coldchild", lambda fd, nice: ChildSpec(
            store, path, heap, threads, commit_s, max_pending, os.getpid(), fd, nice))
        self._conn = conn
        threading.Thread(target=self._receive, args=(self._proc, conn), name="veristream-cold-index-recv",
                         daemon=True).start()
        return True

    def _send_loop(self, worker: Worker) -> None:
        while True:
            with self._mu:
                msg = self._queue.popleft() if self._queue else None
            if msg is None:
                if worker.sleep(0.5):
                    with self._mu:
                        if not self._queue:
                            return
                continue
            while not self._ensure_child():
                time.sleep(0.2)
            if msg[0] != "feed":
                with self._mu:
                    self._sent_to[msg[1]] = self._proc.pid
            try:
                self._conn.send(msg)
            except (OSError, EOFError, AttributeError):
                # It died: what it was sent since its last commit is in the store; the next child
                # reads it from there. A request is asked again by its caller.
                pass
            if msg[0] == "feed" and msg[5] is not None:
                with self._mu:
                    self._queued_docs -= len(msg[5])

    def _receive(self, proc: subprocess.Popen, conn: Connection) -> None:
        while True:
            try:
                msg = conn.recv()
            except (OSError, EOFError):
                break
            if msg[0] == "committed":
                _, seq, change, took = msg
                with self._changed:
                    self.covered = (seq, change)
                    self.error = None  # a process started again is working
                    self.commits.append((time.monotonic(), took))
                    self._changed.notify_all()
            elif msg[0] == "result":
                with self._changed:
                    self._answers[msg[1]] = msg[2]
                    self._changed.notify_all()
        proc.wait()
        with self._changed:
            if self._conn is conn:
                self._conn = None
            if proc.returncode:
                self.error = f"exited with status {proc.returncode}"
            self._gone.add(proc.pid)
            self._changed.notify_all()
        if not self._closed:
            self._sender.wake()


__all__ = ["ColdIndexer"]
