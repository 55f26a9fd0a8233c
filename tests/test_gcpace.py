"""The writing engine keeps Python's collector from walking its whole heap (core/gcpace.py):
what survives a cold-index commit is frozen, a full collection runs every `gc_full_s` instead,
and closing hands everything back. Observed through the interpreter's own counters."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from conftest import mkpost

from veristream import Engine, Settings


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
