"""Feed a file (or any line iterator) into the engine, as fast as possible or in event time.

Event-time replay: the first post's `created_at` is pinned to the wall clock at start, and a
post created `d` seconds later is handed over `d / speed` seconds after start. So `speed=60`
plays an hour of stream per minute, and windows, recency and "now" inside the engine (all in
event time) behave as they did live.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from .core.quarantine import Rejection
from .engine import Engine
from .core.writer import IngestResult, Prepared, prepare_checked
from .model import BadPost, from_us
from .core.stories import TokenHasher
from .core.gcpace import WORKER_GC_FULL_S, CollectorPacing
from .core.worker import exit_with_parent, widen_pipes
from .readers import FORMATS, parse_line
from .settings import Settings

log = logging.getLogger(__name__)

CHUNK = 500  # lines per unit of work: its prepared posts (~600 KB) cross a widened pipe in one write
INLINE_LINES = 5000  # small inputs never pay for starting worker processes


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How input lines become posts, the same for every way in (`veristream ingest` and
    `replay`, `POST /v1/posts`, worker processes): each line's format, the source name of
    posts in the project's own schema, and the settings that shape a post's preparation."""

    fmt: str = "auto"  # one of readers.FORMATS: auto-detected per line by default
    source: str | None = None  # for posts in the project's own schema (default: theirs, else file)
    dedup_min_tokens: int = 5  # setting dedup_min_tokens
    detect_lang: bool = True  # setting detect_lang

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; expected one of {FORMATS}")

    @classmethod
    def of(cls, settings: Settings, fmt: str = "auto", source: str | None = None) -> "IngestOptions":
        return cls(fmt, source, settings.stories.min_tokens, settings.core.detect_lang)


@dataclass(slots=True)
class Progress:
    read: int = 0  # good posts handed to the core
    accepted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    posts_per_s: float = 0.0
    lag_s: float = 0.0  # how far behind the stream (schedule, or hand-off) the core is
    event_time: datetime | None = None
    elapsed_s: float = 0.0
    done: bool = False


def run(engine: Engine, lines: Iterable[bytes | str], *, input_name: str = "-", options: IngestOptions | None = None,
        speed: float | None = None, on_progress: Callable[[Progress], None] | None = None, every_s: float = 0.5,
        on_reject: Callable[[Rejection], None] | None = None) -> Progress:
    """Ingest every line; returns the final progress. `speed=None` means as fast as possible.
    `options`: default, every line's format detected, with the engine's settings."""
    options = options or IngestOptions.of(engine.settings)
    prog = Progress()
    lock = threading.Lock()
    t_start = time.monotonic()
    handed: list[float] = []  # hand-off time of the newest post in flight
    last = [t_start]

    def on_batch(res: IngestResult) -> None:
        now = time.monotonic()
        with lock:
            prog.accepted += res.accepted
            prog.updated += res.updated
            prog.duplicates += res.duplicates + res.stale
            if res.newest_us is not None:
                prog.event_time = from_us(res.newest_us)
            if handed:
                prog.lag_s = max(0.0, now - handed[0])

    def rejected(rej: Rejection) -> None:
        prog.rejected += 1
        if on_reject:
            on_reject(rej)

    def report(done: bool = False) -> None:
        now = time.monotonic()
        prog.elapsed_s = now - t_start
        prog.posts_per_s = prog.read / prog.elapsed_s if prog.elapsed_s > 0 else 0.0
        prog.done = done
        last[0] = now
        if on_progress:
            with lock:
                on_progress(prog)

    pipe = engine.pipeline(on_batch, bulk=speed is None)
    try:
        t0_event: int | None = None
        for items, rejects in _prepared_chunks(engine, lines, options):
            for line_no, reason, raw in rejects:
                rejected(engine.reject(input_name, line_no, reason, raw))
            if speed is None:
                if items:
                    pipe.put_prepared(items)
                    handed[:] = [time.monotonic()]
                    prog.read += len(items)
            else:
                for it in items:
                    if t0_event is None:
                        t0_event = it.ts
                    due = t_start + (it.ts - t0_event) / 1e6 / speed
                    now = time.monotonic()
                    if due > now:
                        time.sleep(due - now)
                    pipe.put_prepared([it])
                    handed[:] = [due]
                    prog.read += 1
                    if time.monotonic() - last[0] >= every_s:
                        report()
            if time.monotonic() - last[0] >= every_s:
                report()
        pipe.flush()
    finally:
        pipe.close()
    report(done=True)
    return prog


def _workers(engine: Engine) -> int:
    n = engine.settings.core.parse_workers
    if n >= 0:
        return n
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, cores - 1)


def _prepared_chunks(engine: Engine, lines: Iterable[bytes | str], opts: IngestOptions
                     ) -> Iterator[tuple[list[Prepared], list[tuple[int, str, bytes | str]]]]:
    """Parse and prepare lines in chunks, in order: inline at first, then (for large inputs,
    when cores allow) in worker processes while this process writes."""
    hasher = TokenHasher()
    it = iter(lines)
    line_no = 1
    workers = _workers(engine)
    while True:
        chunk = list(itertools.islice(it, CHUNK))
        if not chunk:
            return
        yield prepare_chunk(chunk, line_no, opts, hasher)
        line_no += len(chunk)
        if workers and line_no > INLINE_LINES:
            break
    # spawn, not fork: this process already runs tantivy and SQLite threads. An executor, not a
    # multiprocessing.Pool: a worker killed from outside (the OOM killer) breaks the executor,
    # which says so, where a Pool would wait for its result forever.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                               initargs=(os.getpid(),))
    widen_pipes(pool)
    broken = False
    try:
        pending: deque = deque()
        while True:
            while not broken and len(pending) < workers * 3:
                chunk = list(itertools.islice(it, CHUNK))
                if not chunk:
                    break
                try:
                    pending.append((pool.submit(_worker_chunk, chunk, line_no, opts), chunk, line_no))
                except Exception:  # noqa: BLE001 - BrokenProcessPool: prepare this one here
                    broken = True
                    pending.append((None, chunk, line_no))
                line_no += len(chunk)
            if not pending:
                if broken:  # the workers are gone: the rest of the input is prepared here
                    chunk = list(itertools.islice(it, CHUNK))
                    if not chunk:
                        return
                    yield prepare_chunk(chunk, line_no, opts, hasher)
                    line_no += len(chunk)
                    continue
                return
            job, chunk, first = pending.popleft()
            try:
                if job is None:
                    raise RuntimeError("no worker")
                rows, rejects = job.result()
            except Exception as e:  # noqa: BLE001 - a worker failed on this chunk, or died: do it here
                if isinstance(e, BrokenProcessPool) and not broken:
                    broken = True
                    log.warning("a worker process preparing the input died (%s); the rest is prepared here", e)
                yield prepare_chunk(chunk, first, opts, hasher)
                continue
            yield [Prepared._make(r) for r in rows], rejects
    finally:
        pool.shutdown(wait=not broken, cancel_futures=True)


class Unreadable(bytes):
    """Stands for an input item that cannot be handed over as one line of JSON text (an item of
    a JSON array nested deeper than orjson writes back): `prepare_chunk` rejects it with
    `reason`, as it would a bad line, and the other items go on."""

    reason: str = "item cannot be read"


def item_line(item: Any) -> bytes:
    """One decoded item (e.g. of a JSON array body) as a line for `prepare_chunk`."""
    try:
        return orjson.dumps(item)
    except Exception as e:  # noqa: BLE001 - TypeError: recursion limit (255 levels)
        u = Unreadable(b"<item that cannot be re-encoded>")
        u.reason = f"item cannot be read: {type(e).__name__}: {str(e)[:100]} (more than 255 levels deep?)"
        return u


def prepare_chunk(chunk: list[bytes | str], first_line: int, opts: IngestOptions,
                  hasher: TokenHasher) -> tuple[list[Prepared], list[tuple[int, str, bytes | str]]]:
    """Parse and prepare `chunk` (its first line numbered `first_line`): the prepared posts, and
    (line number, reason, line) for each line rejected. One bad line never aborts the others."""
    posts = []
    where: dict[int, tuple[int, bytes | str]] = {}  # id(post) -> (line number, line), for rejects
    rejects: list[tuple[int, str, bytes | str]] = []
    for n, line in enumerate(chunk, first_line):
        try:
            if type(line) is Unreadable:
                raise BadPost(line.reason)
            if not line.strip():
                continue
            p = parse_line(line, opts.fmt, opts.source, detect_lang=opts.detect_lang)
        except BadPost as e:
            rejects.append((n, e.reason, line[:4096]))
            continue
        except Exception as e:  # noqa: BLE001 - one line never aborts a file: it is rejected
            rejects.append((n, f"not understood: {type(e).__name__}: {str(e)[:160]}", line[:4096]))
            continue
        if p is not None:
            posts.append(p)
            where[id(p)] = (n, line)
    if not posts:
        return [], rejects
    items, bad = prepare_checked(posts, hasher, opts.dedup_min_tokens)
    for p, reason in bad:
        n, line = where[id(p)]
        rejects.append((n, reason, line[:4096]))
    if bad:
        rejects.sort(key=lambda r: r[0])
    return items, rejects


# One of each per worker process, set by its initializer.
_worker_hasher: TokenHasher | None = None
_worker_pacing: CollectorPacing | None = None


def _init_worker(parent: int) -> None:
    global _worker_hasher, _worker_pacing
    exit_with_parent(parent)
    _worker_hasher = TokenHasher()
    _worker_pacing = CollectorPacing(WORKER_GC_FULL_S)


def _worker_chunk(chunk, first_line, opts):
    items, rejects = prepare_chunk(chunk, first_line, opts, _worker_hasher or TokenHasher())
    if _worker_pacing is not None:
        _worker_pacing.pace()
    # Plain tuples unpickle about 3x faster than named ones.
    return [tuple(i) for i in items], rejects
