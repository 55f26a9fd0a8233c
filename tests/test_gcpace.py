"""The writing engine keeps Python's collector from walking its whole heap (core/gcpace.py):
what survives a cold-index commit is frozen, a full collection runs every `gc_full_s` instead,
and closing hands everything back; worker processes pace theirs between units of work.
Observed through the interpreter's own counters."""

from __future__ import annotations

import gc
import multiprocessing
import os
import weakref
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson
from conftest import mkpost

from veristream import Engine, Settings, replay
from veristream.core import preparers
from veristream.core.gcpace import WORKER_GC_FULL_S, YOUNG_THRESHOLD, CollectorPacing
from veristream.core.writer import encode


class Cycle:
    """Garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


def settings(**kw: object) -> Settings:
    return Settings.load(env={}, vectors=False, trends=False, **{"index_cold_commit_s": 3600, **kw})


def test_survivors_of_a_cold_commit_are_frozen_until_the_engine_closes(tmp_path: Path) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    eng = Engine(tmp_path / "d", settings())
    try:
        assert gc.get_threshold()[0] > before[0]  # young objects collected less often while it writes
        eng.ingest([mkpost(str(i), f"river level {i} rising") for i in range(20)])
        eng.core.commit_all()  # a cold commit: the writer settles the collector there
        assert gc.get_freeze_count() > 0
        c = Cycle()
        ref = weakref.ref(c)
        del c
        gc.freeze()  # as the writer's next cold commit would
        gc.collect()
        assert ref() is not None  # frozen cyclic garbage waits for the full collection
        assert eng.search("river", limit=50).total == 20  # and the engine works as ever
    finally:
        eng.close()
    assert gc.get_freeze_count() == 0  # handed back on close ...
    gc.collect()
    assert ref() is None  # ... and collected
    assert gc.get_threshold() == before  # the collector's own pacing, back


def test_a_full_collection_runs_when_due(tmp_path: Path) -> None:
    gc.unfreeze()
    eng = Engine(tmp_path / "d", settings(gc_full_s=0.000001))  # due at every cold commit
    try:
        c = Cycle()
        ref = weakref.ref(c)
        del c
        gc.freeze()
        eng.ingest([mkpost("1", "harbour news")])
        eng.core.commit_all()
        assert ref() is None  # the cold commit unfroze and collected before freezing again
        assert gc.get_freeze_count() > 0
    finally:
        eng.close()


def test_zero_leaves_the_collector_alone(tmp_path: Path) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    eng = Engine(tmp_path / "d", settings(gc_full_s=0))
    try:
        eng.ingest([mkpost("1", "harbour news")])
        eng.core.commit_all()
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    finally:
        eng.close()


def test_pace_collects_what_is_newer_then_freezes_the_survivors() -> None:
    """Between units of work a worker process collects its newest objects and freezes what
    survives: cyclic garbage is freed, never frozen; the long-lived state leaves the walk."""
    gc.unfreeze()
    before = gc.get_threshold()
    pacing = CollectorPacing(WORKER_GC_FULL_S)
    try:
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        kept = [Cycle() for _ in range(100)]  # state the process keeps
        c = Cycle()
        ref = weakref.ref(c)
        del c
        pacing.pace()
        assert ref() is None  # collected before the freeze
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)  # the survivors are out of the collector's walk
    finally:
        pacing.close()
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def _in_worker(initializer, initargs, work, *args):  # -> (work's result, the worker's gc state after it)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=initializer, initargs=initargs) as pool:
        got = pool.submit(work, *args).result()
        return got, pool.submit(gc.get_freeze_count).result(), pool.submit(gc.get_threshold).result()


def test_worker_processes_that_prepare_posts_pace_their_collector() -> None:
    """`replay`'s and the live pipeline's preparing processes: after a unit of work their
    long-lived objects are frozen and young objects are collected every 20,000 allocations
    (with the defaults, the collector took a sixth of a preparing worker's time)."""
    lines = [orjson.dumps(mkpost(str(i), f"flood water rising on Main Street {i}").to_dict()) for i in range(50)]
    (items, rejects), frozen, threshold = _in_worker(
        replay._init_worker, (os.getpid(),), replay._worker_chunk, lines, 1, replay.IngestOptions())
    assert len(items) == 50 and not rejects
    assert frozen > 0 and threshold[0] == YOUNG_THRESHOLD
    docs = [encode(mkpost(str(i), f"bridge closed after the storm {i}")) for i in range(50)]
    (items, rejects), frozen, threshold = _in_worker(preparers._init, (os.getpid(),), preparers.prepare_docs, docs, 5)
    assert len(items) == 50 and not rejects
    assert frozen > 0 and threshold[0] == YOUNG_THRESHOLD


def test_worker_pools_pipes_hold_a_chunk_of_prepared_posts() -> None:
    """A pool's pipes are widened where Linux allows, so a chunk's prepared posts cross in one
    write instead of the worker waiting on a 64 KiB pipe for every piece (a sixth of its time)."""
    import fcntl

    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        return  # not Linux: pipes as the platform makes them
    from veristream.core.worker import PIPE_BYTES, widen_pipes

    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        got = widen_pipes(pool)
        assert got >= min(PIPE_BYTES, limit) > 65536
        for q in (pool._call_queue, pool._result_queue):
            assert fcntl.fcntl(q._writer.fileno(), fcntl.F_GETPIPE_SZ) == got
        line = orjson.dumps(mkpost("1", "ferry cancelled in high winds").to_dict())
        items, rejects = pool.submit(replay._worker_chunk, [line] * 2000, 1, replay.IngestOptions()).result()
    assert len(items) == 2000 and not rejects  # a chunk larger than the pipe still crosses whole
