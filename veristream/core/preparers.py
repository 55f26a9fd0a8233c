"""Worker processes that prepare live posts for the writer when the stream is busy.

Preparing a post (fingerprints for stories, word analysis, index fields, places) is per-post
Python work that needs no store state; on the writer's thread it took ~40 % of a saturated
writer. Bulk ingest already does it in worker processes (`replay`); this does it for the
live pipeline: a batch is prepared from the documents `encode` made of its posts (the same
documents the store keeps, so the result is what a re-index would make), in a process of its
own, while the writer writes the batch before it.

Processes are started (spawn: this process runs tantivy, SQLite and onnxruntime threads) only
once a batch is large enough to be worth the hop, i.e. when the writer falls behind; until they
are up, and whenever one fails, batches are prepared on the writer as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

import orjson

from ..model import post_from_doc
from .gcpace import WORKER_GC_FULL_S, CollectorPacing
from .stories import TokenHasher
from .worker import exit_with_parent, widen_pipes
from .writer import Prepared, prepare_checked

log = logging.getLogger(__name__)

# One of each per worker process, made by its initializer.
_hasher: TokenHasher | None = None
_pacing: CollectorPacing | None = None


def _init(parent: int) -> None:
    global _hasher, _pacing
    exit_with_parent(parent)
    _hasher = TokenHasher()
    _pacing = CollectorPacing(WORKER_GC_FULL_S)


def _ready() -> bool:
    return True


def prepare_docs(docs: list[bytes], min_tokens: int) -> tuple[list[tuple], list[tuple[int, str]]]:
    """In a worker: the prepared items of `docs` (plain tuples), and (position, reason) of each
    document that could not be prepared."""
    assert _hasher is not None
    posts, at, rejects = [], [], []
    for i, doc in enumerate(docs):
        try:
            posts.append(post_from_doc(orjson.loads(doc)))
            at.append(i)
        except Exception as e:  # noqa: BLE001 - `encode` made it: should not happen, but one post never stops a batch
            rejects.append((i, f"cannot be read back for preparing: {type(e).__name__}: {str(e)[:160]}"))
    where = {id(p): i for p, i in zip(posts, at)}
    items, bad = prepare_checked(posts, _hasher, min_tokens, [docs[i] for i in at])
    rejects += [(where[id(p)], reason) for p, reason in bad]
    if _pacing is not None:
        _pacing.pace()
    return [tuple(it) for it in items], rejects


def default_workers(n: int) -> int:
    """`n` >= 0 as given; -1: one per core beyond the first two. On two cores the second is
    taken by the producer, the embedder, trends and media: a preparing process there made
    freshness at 5,000 posts/s worse (p99 2.6-3.0 s against 1.4 s without; docs/performance.md)."""
    if n >= 0:
        return n
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, cores - 2)


class Preparers:
    """A pool of `workers` preparing processes, started on first need. `submit` hands a batch
    over, or returns None while the pool is starting (or has failed): prepare it here then."""

    def __init__(self, workers: int, min_tokens: int):
        self.workers = workers
        self.min_tokens = min_tokens
        self._pool: ProcessPoolExecutor | None = None
        self._warm: Future | None = None
        self.failed: str | None = None  # why the pool was given up, if it was
        self.batches = 0  # batches prepared by the pool

    def submit(self, docs: list[bytes]) -> Future | None:
        if self.failed is not None or not self.workers:
            return None
        if self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init, initargs=(os.getpid(),))
                widen_pipes(self._pool)
                self._warm = self._pool.submit(_ready)
            except Exception as e:  # noqa: BLE001 - no processes here (limits, sandbox): the writer prepares
                self._give_up(e)
            return None
        if self._warm is not None:
            if not self._warm.done():
                return None
            try:
                self._warm.result()
            except Exception as e:  # noqa: BLE001
                self._give_up(e)
                return None
            self._warm = None
        try:
            fut = self._pool.submit(prepare_docs, docs, self.min_tokens)
        except Exception as e:  # noqa: BLE001 - BrokenProcessPool: a worker died (OOM-killed, say)
            self._give_up(e)
            return None
        self.batches += 1
        return fut

    def result(self, fut: Future) -> tuple[list[Prepared], list[tuple[int, str]]] | None:
        """The batch's items and rejects; None when its worker failed (prepare it here)."""
        try:
            rows, rejects = fut.result()
        except Exception as e:  # noqa: BLE001 - the process died or the batch broke it
            self._give_up(e)
            return None
        return [Prepared._make(r) for r in rows], rejects

    def _give_up(self, e: BaseException) -> None:
        if self.failed is None:
            log.warning("preparing posts in worker processes stopped (%s: %s); the writer prepares them",
                        type(e).__name__, e)
        self.failed = f"{type(e).__name__}: {e}"
        self.close(wait=False)

    def close(self, wait: bool = True) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)
