"""The pipeline: a bounded queue in front of the core's single writer, for streams.

Producers (sources, the API, bulk ingest) block when the core falls behind (back-pressure);
nothing is dropped, and one post never stops the writer (see `Pipeline`).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from ..model import Post
from ..settings import Settings
from .errors import EngineError
from .preparers import Preparers, default_workers
from .worker import STOP, BatchQueue, Worker, flush_through
from .writer import BESIDE, BULK, NOW, IngestResult, Prepared, encode



class Writes(Protocol):
    """What the pipeline needs of a core (`Core` is one): it knows nothing else of it."""

    settings: Settings

    def prepare_checked(self, posts: Sequence[Post]) -> tuple[list[Prepared], list[tuple[Post, str]]]: ...
    def ingest_prepared(self, items: Sequence[Prepared], offsets: dict[str, str] | None = None,
                        when: str = NOW) -> IngestResult: ...
    def delete(self, keys: Sequence[str]) -> int: ...
    def commit(self) -> None: ...
    def repair(self) -> int: ...
    def stored(self, keys: Sequence[str]) -> bool: ...
    def reject(self, input_name: str, line: int, reason: str, raw: bytes | str) -> object: ...

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Offset:
    source: str
    value: str


@dataclass(slots=True)
class _Encoded:
    post: Post
    doc: bytes  # what `encode` made of it: the writer stores this


@dataclass(slots=True)
class _Delete:
    keys: list[str]


@dataclass(slots=True)
class _Gathered:
    """One batch as taken from the queue, in order."""

    posts: list[Post] = field(default_factory=list)
    docs: list[bytes] = field(default_factory=list)  # the posts' documents, encoded by `put`
    prepared: list[Prepared] = field(default_factory=list)
    offsets: dict[str, str] = field(default_factory=dict)
    waiters: list[threading.Event] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    stop: bool = False
    future: Future | None = None  # a worker process preparing `docs`


# A batch this large goes to a worker process to be prepared (when there are any): the writer
# is behind. Smaller ones are prepared on the writer, with no hop: at low rates that is faster.
PREPARE_AWAY_MIN = 100


# Writer failures that are about the machine, not about a post: they stop the pipeline (and
# health says so). Anything else a batch raises is assumed to come from one of its posts.
_FATAL = (OSError, MemoryError, EngineError, sqlite3.OperationalError, sqlite3.InternalError,
          sqlite3.NotSupportedError)


def _fatal(e: BaseException) -> bool:
    # ProgrammingError is both "a value SQLite cannot bind" (a post's) and "closed database".
    return isinstance(e, _FATAL) or (isinstance(e, sqlite3.ProgrammingError) and "closed" in str(e))


class Pipeline:
    """A bounded queue in front of the core's writer, drained by one thread in batches.

    Hostile input never stops the writer: `put` refuses (BadPost) a post that cannot be
    stored, and a batch that still fails in the writer is split until the post(s) at fault
    are found; those go to quarantine and the rest is written. Only a failure that is not
    about a post (disk full, database gone) stops it; then `state` is "failed" and `error`
    says why. `status()` is cheap and safe from any thread (health checks)."""

    def __init__(self, core: Writes, on_batch: Callable[[IngestResult], None] | None = None, bulk: bool = False):
        """`bulk`: a load as fast as it goes (`replay --speed max`), whose posts go to the cold
        tier alone and are searchable at its next commit, or at a flush (`writer.BULK`); else a
        live stream, whose hot commits run beside the writing of the next batch (freshness at
        5,000 posts/s: p50 and p99 a third to a half lower, docs/performance.md)."""
        self.core = core
        self._when = BULK if bulk else BESIDE
        s = core.settings
        # Bounded in posts, not queue items: a prepared chunk of 1,000 posts counts 1,000.
        self._q = BatchQueue(s.core.queue_max)
        self._batch_max = s.core.batch_max
        self._delay = s.core.batch_delay_ms / 1000
        self._on_batch = on_batch
        self.result = IngestResult()
        self.error: BaseException | None = None  # what stopped the writer (None while it runs)
        self.quarantined = 0  # posts the writer itself set aside (failed in prepare or write)
        self.batches = 0  # batches written
        self.last_batch_at: float | None = None  # time.monotonic() of the last batch written
        self._closed = False
        workers = default_workers(s.core.prepare_workers)
        self._preparers = Preparers(workers, s.stories.min_tokens) if workers else None
        # With preparing processes, batches are gathered on a thread of their own and handed to
        # the writer through `_ready`; without, the writer gathers its own.
        self._ready: queue.Queue = queue.Queue(maxsize=2)
        self._worker = Worker("writer", self._run).start()
        self._gatherer = Worker("prepare", self._gather_loop).start() if self._preparers is not None else None

    # -- health ---------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """True while the writer thread runs and has not failed."""
        return self.error is None and self._worker.alive

    @property
    def state(self) -> str:
        """running | failed (the writer stopped on `error`) | stopped (closed)."""
        if self.error is not None:
            return "failed"
        if self._worker.alive:
            return "running"
        return "stopped" if self._closed else "failed"

    def status(self) -> dict:
        """JSON-ready: state, error, backlog, quarantined, batches, seconds since the last batch,
        batches prepared by worker processes (and why they stopped, if they did)."""
        err = self.error
        last = self.last_batch_at
        return {"state": self.state, "alive": self.alive,
                "error": f"{type(err).__name__}: {err}" if err is not None else None,
                "backlog": self._q.weight, "quarantined": self.quarantined, "batches": self.batches,
                "last_batch_age_s": round(time.monotonic() - last, 3) if last is not None else None,
                "prepared_by_workers": self._preparers.batches if self._preparers is not None else 0,
                "prepare_workers_failed": self._preparers.failed if self._preparers is not None else None}

    # -- producers ------------------------------------------------------------------------

    def put(self, post: Post) -> None:
        """Hand over a post; blocks while the queue is full (the core is behind). Raises
        BadPost, queueing nothing, for a post that cannot be stored (see `ingest.encode`)."""
        doc = encode(post)  # validated here, on the producer's thread: the writer never meets it
        self._q.put(_Encoded(post, doc), 1, self._check)

    def put_prepared(self, items: Sequence[Prepared]) -> None:
        """Hand over posts prepared elsewhere (see `Engine.ingest_prepared`); blocks like `put`."""
        items = list(items)
        self._q.put(items, len(items), self._check)

    def put_offset(self, source: str, value: str) -> None:
        """Record a source position, stored with the batch that contains the posts before it."""
        self._q.put(_Offset(source, value))

    def put_delete(self, keys: Sequence[str]) -> None:
        """Delete `keys` in stream order: after the posts put before, before those put after."""
        self._q.put(_Delete(list(keys)), 1, self._check)

    def backlog(self) -> int:
        """Posts handed over and not yet accepted."""
        return self._q.weight

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything put so far is accepted and searchable."""
        flush_through(self._q.put, self._check, timeout, "pipeline flush")

    def close(self) -> None:
        self._closed = True
        if self._gatherer is not None:
            if self._gatherer.alive:
                self._q.put(STOP)  # through the gatherer to the writer
            self._gatherer.join()
            self._worker.join()
            self._preparers.close()
        else:
            self._worker.finish(self._q)
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise EngineError(f"ingest failed: {self.error}") from self.error

    # -- the writer thread ----------------------------------------------------------------

    def _full(self, item: object) -> bool:
        """Whether the batch being gathered ends with `item` (see `_gather`)."""
        self._gathered += len(item) if isinstance(item, list) else isinstance(item, _Encoded)
        return (item is STOP or isinstance(item, (threading.Event, _Delete))
                or self._gathered >= self._batch_max)

    def _gather(self) -> _Gathered:
        """The next batch from the queue (what arrived within `batch_delay_ms` of its first item,
        up to `batch_max` posts, ending early at a flush, a delete or the stop)."""
        self._gathered = 0
        g = _Gathered()
        for item in self._q.take(self._full, self._delay):
            if isinstance(item, _Encoded):
                g.posts.append(item.post)
                g.docs.append(item.doc)
            elif isinstance(item, list):
                g.prepared.extend(item)
            elif isinstance(item, _Offset):
                g.offsets[item.source] = item.value
            elif isinstance(item, threading.Event):
                g.waiters.append(item)
            elif isinstance(item, _Delete):
                g.deletes = item.keys
            elif item is STOP:
                g.stop = True
        return g

    def _gather_loop(self, worker: Worker) -> None:
        """With worker processes: gather batches and hand large ones to a process to prepare
        while the writer writes the one before (in order: the writer takes them as gathered)."""
        assert self._preparers is not None
        while True:
            g = self._gather()
            if len(g.posts) >= PREPARE_AWAY_MIN:
                g.future = self._preparers.submit(g.docs)
            while True:
                try:
                    self._ready.put(g, timeout=0.5)
                    break
                except queue.Full:
                    if self.error is not None or not self._worker.alive:
                        return  # the writer stopped: nothing will take it
            if g.stop:
                return

    def _run(self, worker: Worker) -> None:
        while True:
            g = self._ready.get() if self._preparers is not None else self._gather()
            if self._write_gathered(g):
                return

    def _write_gathered(self, g: _Gathered) -> bool:
        """Prepare (unless a worker did) and write one gathered batch; True when the writer is
        to stop (asked to, or failed)."""
        stop = g.stop
        taken = len(g.posts) + len(g.prepared) + (1 if g.deletes else 0)
        try:
            if g.posts or g.prepared or g.offsets:
                prepared = self._screen(g.prepared) if g.prepared else []
                if g.posts:
                    prepared.extend(self._prepare(g))
                res = self._write(prepared, g.offsets or None)
                self.result.add(res)
                self.batches += 1
                self.last_batch_at = time.monotonic()
                if self._on_batch:
                    self._on_batch(res)
            if g.deletes:
                res = IngestResult(deleted=self.core.delete(g.deletes))
                self.result.add(res)
                if self._on_batch:
                    self._on_batch(res)
            if g.waiters or stop:  # a flush, or the last batch: searchable before anyone is told
                self.core.commit()
        except BaseException as e:  # surfaced to the producer on its next call, and in `state`
            log.exception("ingest writer stopped")
            self.error = e
            stop = True
        self._q.release(taken)
        for ev in g.waiters:
            ev.set()
        return stop

    def _prepare(self, g: _Gathered) -> list[Prepared]:
        """The batch's posts made ready for the writer, by a worker process if one took them,
        else here; posts that cannot be prepared go to quarantine."""
        got = self._preparers.result(g.future) if g.future is not None and self._preparers is not None else None
        if got is None:
            items, bad = self.core.prepare_checked(g.posts, g.docs)
            for p, reason in bad:
                self._set_aside(p.source, reason, _post_raw(p))
            return items
        items, rejects = got
        for i, reason in rejects:
            p = g.posts[i]
            self._set_aside(p.source, reason, _post_raw(p))
        return items

    def _write(self, items: list[Prepared], offsets: dict[str, str] | None) -> IngestResult:
        """Write `items`; if that fails for a reason that may be one post's, split the batch
        in halves until the failing post is alone, set it aside, and write the rest (in order,
        the offsets with the last part: a position is stored only with the posts before it)."""
        try:
            # searchable once its hot commit, begun beside the next batch's writing, is done (or,
            # in bulk, at the cold tier's next commit); a flush (`commit`) waits for it
            return self.core.ingest_prepared(items, offsets, self._when)
        except Exception as e:  # noqa: BLE001 - about a post until shown otherwise
            if _fatal(e) or not items:
                raise
            self._resync(items)
            if len(items) == 1:
                it = items[0]
                self._set_aside(_source_of(it), f"writer: post {str(getattr(it, 'key', '?'))[:200]!r}: "
                                f"{type(e).__name__}: {str(e)[:160]}", _item_raw(it))
                return self.core.ingest_prepared([], offsets) if offsets else IngestResult()
        mid = len(items) // 2
        res = self._write(items[:mid], None)
        res.add(self._write(items[mid:], offsets))
        return res

    def _resync(self, items: list[Prepared]) -> None:
        """If the failed write got as far as committing rows to the store (it failed in the index
        after), bring the index level with the store, as start-up would: splitting the batch
        then finds those posts stored, and they must be searchable too."""
        keys = [it.key for it in items if type(getattr(it, "key", None)) is str]
        try:
            stored = self.core.stored(keys) if keys else False
        except Exception:  # noqa: BLE001 - a key SQLite cannot bind: nothing was stored
            return
        if stored:
            log.warning("a failed batch was stored but not indexed: re-indexing from the store")
            self.core.repair()

    def _screen(self, items: list[Prepared]) -> list[Prepared]:
        """Drop (to quarantine) prepared items whose fields would fail in the index after the
        store has committed them: there, a failure could not be undone by splitting the batch."""
        ok = [it for it in items if _index_ready(it)]
        if len(ok) != len(items):
            for it in items:
                if not _index_ready(it):
                    self._set_aside(_source_of(it), f"writer: post {str(getattr(it, 'key', '?'))[:200]!r}: "
                                    "prepared item has fields of the wrong type", _item_raw(it))
        return ok

    def _set_aside(self, source: str, reason: str, raw: bytes | str) -> None:
        self.quarantined += 1
        try:
            self.core.reject(source, 0, reason, raw)
        except Exception:  # noqa: BLE001 - the quarantine file itself failing must not stop ingest
            log.exception("could not quarantine a post (%s)", reason)


def _index_ready(it: object) -> bool:
    return (type(it) is Prepared and type(it.text) is str and type(it.handle) is str and type(it.lang) is str
            and type(it.source) is str and type(it.cjk) is str and type(it.reply) is str
            and type(it.tags) is list and all(type(t) is str for t in it.tags)
            and type(it.doc) is bytes and type(it.key) is str)


def _source_of(it: object) -> str:
    src = getattr(it, "source", None)
    return src if type(src) is str and src else "writer"


def _item_raw(it: object) -> bytes | str:
    doc = getattr(it, "doc", None)
    return doc if type(doc) is bytes else repr(it)[:4096]


def _post_raw(p: Post) -> bytes | str:
    raw = p.raw
    if type(raw) in (bytes, str):
        return raw
    try:
        return orjson.dumps(raw)
    except Exception:  # noqa: BLE001 - the very reason it was rejected, maybe
        pass
    try:
        return repr(raw)[:4096]
    except Exception:  # noqa: BLE001 - RecursionError on a deep enough value
        return f"<{type(raw).__name__} that cannot be shown>"
