"""The near-real-time index (core/index/tiered.py): a small hot tier committed per batch in
front of the large cold tier committed every `index_cold_commit_s`. A post is searchable as
soon as ingest returns, in this process and in read-only ones; updates and removals show at
once (masks); a crash before the cold commit loses nothing; no post is counted twice. Each
holds whether the cold tier is built by its own process (`index_process`, the default) or by
the writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import mkpost

from veristream import Engine, Settings

ROOT = Path(__file__).resolve().parent.parent


def settings(**kw: object) -> Settings:
    return Settings.load(env={}, vectors=False, trends=False, **{"index_cold_commit_s": 3600, **kw})


both = pytest.mark.parametrize("process", [True, False], ids=["cold-process", "cold-in-writer"])


def ids(res) -> list[str]:
    return sorted(h.post.id for h in res.hits)


@both
def test_posts_are_searchable_through_the_hot_tier_before_the_cold_commit(tmp_path: Path, process: bool) -> None:
    eng = Engine(tmp_path / "d", settings(index_process=process))
    try:
        eng.ingest([mkpost(str(i), f"river level {i} rising") for i in range(30)])
        ix = eng.index
        assert ix.checkpoint().seq == 0 and ix.hot_checkpoint().seq == 30  # only the hot tier committed
        assert ix.searcher().cold.num_docs == 0
        assert eng.search("river", all_posts=True, limit=100).total == 30
        reader = Engine(tmp_path / "d", readonly=True)  # another engine: reads both tiers' files
        try:
            assert reader.search("river", all_posts=True, limit=100).total == 30
            eng.ingest([mkpost("x", "a river flood warning")])
            assert "x" in [h.post.id for h in reader.search("flood").hits]  # read-your-writes
            eng.core.commit_all()  # into the cold tier; the hot tier is emptied
            assert ix.checkpoint().seq == 31 and ix.hot_docs == 0 and ix.searcher().hot is None
            assert reader.search("river", all_posts=True, limit=100).total == 31
            assert eng.index.num_docs() == eng.count() == 31
        finally:
            reader.close()
    finally:
        eng.close()


@both
def test_updates_and_removals_show_at_once_and_count_once(tmp_path: Path, process: bool) -> None:
    eng = Engine(tmp_path / "d", settings(index_process=process))
    try:
        eng.ingest([mkpost(str(i), f"harbour news item{i}") for i in range(10)])
        eng.core.commit_all()  # these are now in the cold tier
        edited = mkpost("3", "completely different words now")
        edited.edited_at = edited.created_at + timedelta(minutes=5)
        eng.ingest([edited])  # a newer version: the cold copy is masked, the hot copy found
        eng.delete(["file:4"])  # removed: masked at once, though the cold tier still holds it
        assert eng.search("item3").total == 0 and ids(eng.search("different")) == ["3"]
        assert eng.search("item4").total == 0
        assert eng.search("harbour", all_posts=True, limit=50).total == 8
        assert eng.index.num_docs() == eng.count() == 9
        reader = Engine(tmp_path / "d", readonly=True)
        try:
            assert reader.search("item3").total == 0 and ids(reader.search("different")) == ["3"]
            assert reader.search("harbour", all_posts=True, limit=50).total == 8
        finally:
            reader.close()
        eng.core.commit_all()
        assert eng.search("item3").total == 0 and ids(eng.search("different")) == ["3"]
        assert eng.search("harbour", all_posts=True, limit=50).total == 8
        assert eng.index.num_docs() == eng.count() == 9
    finally:
        eng.close()


def test_a_post_in_both_tiers_is_found_once(tmp_path: Path) -> None:
    # A reader may take its hot snapshot just before the writer empties the hot tier, and its
    # cold one just after the cold commit: the same post is then in both.
    eng = Engine(tmp_path / "d", settings(index_process=False))  # commits the cold tier by hand
    try:
        eng.ingest([mkpost(str(i), f"storm warning {i}", author=f"a{i}", minutes=i) for i in range(12)])
        cur = eng.store.cursor()
        from veristream.core.index.lexical import Checkpoint

        eng.index.cold.commit(Checkpoint(cur.seq, cur.change))  # committed, hot tier not emptied
        snap = eng.index.searcher()
        assert snap.hot is not None and snap.hot.num_docs == 12 and snap.cold.num_docs == 12
        res = eng.search("storm", all_posts=True, limit=50)
        assert len(res.hits) == 12 and len({h.post.id for h in res.hits}) == 12
        assert [h.post.id for h in eng.search("storm", order="time", all_posts=True, limit=5).hits] == \
            ["11", "10", "9", "8", "7"]
        assert eng.index.num_docs() == 12 and eng.index.term_counts("lang") == {"en": 12}
    finally:
        eng.close()


@both
def test_the_cold_tier_commits_by_time_and_by_size(tmp_path: Path, process: bool) -> None:
    eng = Engine(tmp_path / "d", settings(index_process=process, index_hot_max_posts=50))
    try:
        w = eng.core._writer
        started = w.cold_commits  # start-up's
        for b in range(4):
            eng.ingest([mkpost(f"{b}-{i}", f"tide table {b} {i}") for i in range(30)])
        # The cold commit that the size brought forward runs beside the writer: once it is
        # done, the next commit empties the hot tier of what it covers.
        # A cold commit finishing in its thread shows in the checkpoint a moment before it
        # empties the hot tier (in turn with the writer): wait until none is under way.
        # (The child also commits on its own clock: one may land between reading the checkpoint and
        # the hot tier, which the writer trims at its next commit. Read both once they agree.)
        for _ in range(500):
            if w.cold_commits > started and not eng.index.cold_busy and \
                    eng.index.hot_docs == 120 - eng.index.checkpoint().seq:
                break
            time.sleep(0.01)
            eng.commit()
        covered = eng.index.checkpoint().seq
        assert w.cold_commits > started and covered >= 60  # brought forward by size
        assert eng.index.hot_docs == 120 - covered  # the hot tier holds only what came after
        assert eng.search("tide", all_posts=True, limit=200).total == 120
    finally:
        eng.close()
    eng = Engine(tmp_path / "e", settings(index_process=process, index_cold_commit_s=0))  # 0: the cold tier commits every batch
    try:
        eng.ingest([mkpost("1", "low tide")])
        assert eng.index.checkpoint().seq == 1 and eng.index.hot_docs == 0
    finally:
        eng.close()


@both
def test_a_clean_close_commits_the_cold_tier_and_removes_the_hot_one(tmp_path: Path, process: bool) -> None:
    eng = Engine(tmp_path / "d", settings(index_process=process))
    hot = eng.index.hot_path
    eng.ingest([mkpost(str(i), f"ferry timetable {i}") for i in range(5)])
    assert (hot / "meta.json").is_file()
    eng.close()
    assert not hot.exists()
    eng = Engine(tmp_path / "d", settings(index_process=process))
    try:
        assert eng.repaired == 0 and eng.index.checkpoint().seq == 5
        assert eng.search("ferry", all_posts=True).total == 5
    finally:
        eng.close()


def test_a_close_while_the_cold_process_is_still_starting_commits_what_it_was_fed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # On a loaded machine the feeding thread can have taken the first batch and still be
    # starting the child when the engine closes: the close must still have it committed.
    from veristream.core.index import coldproc

    real = coldproc.start_child

    def slow_start(*args, **kwargs):
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(coldproc, "start_child", slow_start)
    eng = Engine(tmp_path / "d", settings(index_process=True))
    hot = eng.index.hot_path
    eng.ingest([mkpost(str(i), f"ferry timetable {i}") for i in range(5)])
    time.sleep(0.1)  # the batch is off the queue, its child not started yet
    eng.close()
    assert not hot.exists()
    eng = Engine(tmp_path / "d", settings(index_process=False))
    try:
        assert eng.repaired == 0 and eng.index.checkpoint().seq == 5
    finally:
        eng.close()


def test_the_hot_tier_can_live_beside_the_index(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(index_hot_dir="disk"))
    try:
        assert eng.index.hot_path == tmp_path / "d" / "index-hot"
        eng.ingest([mkpost("1", "bridge closed")])
        assert ids(eng.search("bridge")) == ["1"]
    finally:
        eng.close()


WRITER = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime, timedelta, timezone
    from veristream import Author, Engine, Post, Settings
    data, n = sys.argv[1], int(sys.argv[2])
    eng = Engine(data, Settings.load(env={}, vectors=False, trends=False, index_cold_commit_s=3600,
                                     index_process=sys.argv[3] == "1"))
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    eng.ingest([Post(id="0", source="file", author=Author("a", "a"), text="first post tok0",
                     created_at=t0)])
    eng.core.commit_all()  # one post in the cold tier, the rest only in the hot one
    for b in range(1, n, 40):
        eng.ingest([Post(id=str(i), source="file", author=Author(f"a{i % 7}", f"u{i % 7}"),
                         text=f"hot tier post tok{i} about the quay", created_at=t0 + timedelta(seconds=i))
                    for i in range(b, min(b + 40, n))])
    eng.delete(["file:0"])  # masked in the hot tier only
    sys.stdout.write("acknowledged\\n")
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # before any cold commit
""")


@both
def test_sigkill_before_the_cold_commit_loses_nothing_and_the_hot_tier_is_rebuilt(tmp_path: Path, process: bool) -> None:
    data = tmp_path / "d"
    n = 200
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", WRITER, str(data), str(n), "1" if process else "0"], capture_output=True, env=env,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL and b"acknowledged" in proc.stdout, proc.stderr.decode()[-2000:]
    # The dead writer's hot tier still serves read-only engines: acknowledged means findable.
    reader = Engine(data, readonly=True)
    try:
        assert reader.index.checkpoint().seq == 1  # the cold tier has the first post only
        assert reader.search("quay", all_posts=True, limit=500).total == n - 1
        assert reader.search("tok0").total == 0  # its removal is masked
    finally:
        reader.close()
    # A restarted writer replays the store past the cold checkpoint and starts a fresh hot tier.
    eng = Engine(data, settings(index_process=process))
    try:
        assert eng.repaired == n  # n - 1 posts and one removal
        assert eng.index.hot_docs == 0 and eng.index.checkpoint().seq == n
        assert eng.count() == eng.index.num_docs() == n - 1
        assert eng.search("quay", all_posts=True, limit=500).total == n - 1
        assert ids(eng.search("tok77")) == ["77"] and eng.search("tok0").total == 0
    finally:
        eng.close()


def test_hot_tiers_of_deleted_data_directories_are_swept_and_live_ones_kept(tmp_path: Path) -> None:
    live = Engine(tmp_path / "live", settings())
    try:
        live.ingest([mkpost("1", "still here")])
        shared = live.index.hot_path.parent
        if shared.name != f"veristream-{os.getuid()}":
            return  # no /dev/shm here: hot tiers live beside their index and go with it
        # What a writer killed before its data directory was deleted leaves behind.
        stale = shared / "0000stale0000000"
        stale.mkdir()
        (stale / "owner").write_text(f"1:2\n{tmp_path / 'gone' / 'posts.db'}\n")
        (stale / "meta.json").write_text("{}")
        Engine(tmp_path / "third", settings()).close()  # a writer starting sweeps the shared directory
        assert not stale.exists() and (live.index.hot_path / "meta.json").is_file()
        assert ids(live.search("still")) == ["1"]
    finally:
        live.close()


def test_read_only_engines_find_the_hot_tier_where_the_writer_put_it(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(index_hot_dir=str(tmp_path / "elsewhere")))
    try:
        assert eng.index.hot_path.parent.parent == tmp_path / "elsewhere"
        eng.ingest([mkpost("1", "tram strike")])
        reader = Engine(tmp_path / "d", readonly=True)  # knows no settings: reads index/hot
        try:
            assert reader.index.hot_path == eng.index.hot_path and ids(reader.search("tram")) == ["1"]
        finally:
            reader.close()
    finally:
        eng.close()


@both
def test_cold_commits_beside_the_writer_lose_and_double_nothing(tmp_path: Path, process: bool) -> None:
    """The cold tier commits in a thread while batches go on: posts added, edited and removed
    while it commits are found (and not found) exactly as with a blocking commit, here, in a
    read-only engine, and after a restart."""
    eng = Engine(tmp_path / "d", settings(index_process=process, index_cold_commit_s=0.000001))  # a cold commit at every batch
    reader = Engine(tmp_path / "d", readonly=True)
    live: dict[str, str] = {}
    edits = 0
    try:
        for b in range(40):
            batch = [mkpost(f"{b}-{i}", f"ferry route{b} stop{i} schedule") for i in range(15)]
            eng.ingest(batch)
            live.update({p.id: p.text for p in batch})
            if b % 3 == 1:  # an edit of a post from an earlier batch: likely in a commit's window
                old = f"{b - 1}-2"
                e = mkpost(old, f"ferry cancelled edited{b}")
                e.edited_at = e.created_at + timedelta(minutes=5)
                eng.ingest([e])
                live[old] = e.text
                edits += 1
            if b % 4 == 2:
                eng.delete([f"file:{b}-5"])
                live.pop(f"{b}-5")
            w = eng.core._writer
            if process and b % 2:  # let its process commit what it was fed, while batches go on
                seen = w.cold_feed.covered
                for _ in range(200):
                    if w.cold_feed.covered != seen:
                        break
                    time.sleep(0.01)
                eng.core.commit()  # the hot tier emptied up to there
            for searcher in (eng, reader):
                # Hits: each live post once (a search's total may count a post twice while a
                # finished cold commit waits for the writer: see index.tiered).
                assert ids(searcher.search("ferry", all_posts=True, limit=1000)) == sorted(live)
                if b % 4 == 2:
                    assert searcher.search(f"route{b} stop5").total == 0
                if b % 3 == 1:
                    assert ids(searcher.search(f"edited{b}")) == [f"{b - 1}-2"]
                    assert searcher.search(f"route{b - 1} stop2").total == 0
        assert w.cold_commits >= 10  # most batches found a commit to finish or start
        assert eng.index.num_docs() == eng.count() == len(live)
    finally:
        reader.close()
        eng.close()
    eng = Engine(tmp_path / "d", settings(index_process=process))
    try:
        assert eng.repaired == 0  # the clean close committed everything
        assert eng.search("ferry", all_posts=True, limit=1000).total == len(live) == 40 * 15 - 10
        assert eng.search("cancelled", all_posts=True, limit=100).total == edits
        assert eng.index.num_docs() == eng.count()
    finally:
        eng.close()


def test_the_cold_index_process_killed_mid_stream_is_started_again_and_loses_nothing(tmp_path: Path) -> None:
    """The cold tier's own process dies (SIGKILL, out of memory) while posts arrive, are edited
    and removed: searches never miss a post meanwhile (the hot tier keeps it until a cold commit
    covers it), a new process resumes from the checkpoint and the store, and nothing is indexed
    twice; `stats` says it restarted."""
    eng = Engine(tmp_path / "d", settings(index_cold_commit_s=0.05))
    live: dict[str, str] = {}
    kills = 0
    try:
        for b in range(30):
            batch = [mkpost(f"{b}-{i}", f"pier lantern{b} post{i}") for i in range(20)]
            eng.ingest(batch)
            live.update({p.id: p.text for p in batch})
            if b % 5 == 3:
                e = mkpost(f"{b - 1}-1", f"pier lantern moved edited{b}")
                e.edited_at = e.created_at + timedelta(minutes=5)
                eng.ingest([e])
                live[e.id] = e.text
                eng.delete([f"file:{b - 1}-2"])
                live.pop(f"{b - 1}-2")
            if b in (8, 19):
                pid = eng.core.cold_index_status()["pid"]
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)
                    kills += 1
            eng.core.commit()
            assert ids(eng.search("pier", all_posts=True, limit=1000)) == sorted(live)
        assert kills >= 1
        eng.core.commit_all()  # a process started again commits what the dead one had not
        st = eng.core.cold_index_status()
        assert st is not None and st["restarts"] >= 1 and st["posts_behind"] == 0
        assert eng.index.checkpoint().seq == eng.store.cursor().seq and eng.index.hot_docs == 0
        assert eng.index.num_docs() == eng.count() == len(live)
        assert ids(eng.search("edited13")) == ["12-1"] and eng.search("lantern12 post2").total == 0
        assert ids(eng.search("pier", all_posts=True, limit=1000)) == sorted(live)
        assert "restarts" in eng.stats().to_dict()["cold_index"]
    finally:
        eng.close()
    eng = Engine(tmp_path / "d", settings())
    try:
        assert eng.repaired == 0 and eng.index.num_docs() == eng.count() == len(live)
    finally:
        eng.close()


def _hot_committers() -> int:
    import threading
    return sum(t.name.startswith("veristream-hot-commit") for t in threading.enumerate())


def test_a_live_pipeline_commits_the_hot_tier_beside_its_writer_and_a_flush_waits_for_it(tmp_path: Path) -> None:
    # A live stream's batch is searchable once its hot commit, begun beside the writing of the
    # next batch, is done; a flush waits for it. A bulk load (replay at full speed) commits no hot
    # tier at all (next test), and `ingest` waits for its commit.
    eng = Engine(tmp_path / "d", settings())
    try:
        eng.ingest([mkpost("0", "harbour wall repaired")])
        assert eng.search("harbour").total == 1 and _hot_committers() == 0
        bulk = eng.pipeline(bulk=True)
        for i in range(300):
            bulk.put(mkpost(f"b{i}", f"harbour crane {i}"))
        bulk.flush()
        bulk.close()
        assert eng.search("crane", all_posts=True, limit=500).total == 300 and _hot_committers() == 0
        live = eng.pipeline()
        for i in range(600):
            live.put(mkpost(f"l{i}", f"harbour ferry {i}"))
            if i % 150 == 149:
                time.sleep(0.05)  # batches apart, as a live stream's
        live.flush()
        assert eng.search("ferry", all_posts=True, limit=1000).total == 600
        assert _hot_committers() == 1  # the hot tier was committed beside the writer
        for i in range(50):
            live.put(mkpost(f"m{i}", f"harbour tug {i}"))
        live.close()  # the last batch is searchable once the pipeline is closed
        assert eng.search("tug", all_posts=True, limit=100).total == 50
    finally:
        eng.close()
    assert _hot_committers() == 0  # its thread ends with the engine


def test_a_bulk_load_is_indexed_once_in_the_cold_tier_and_searchable_at_its_commit(tmp_path: Path) -> None:
    # `replay --speed max` and `ingest FILE` (a bulk pipeline) give new posts to the cold tier's
    # process alone: no hot copy and no hot commit. They are found once that process commits
    # (every `index_cold_commit_s`, whether or not more posts come), or at the load's flush.
    eng = Engine(tmp_path / "d", settings(index_cold_commit_s=1.0))
    reader = None
    try:
        eng.ingest([mkpost("0", "harbour wall repaired")])
        eng.core.commit_all()
        w = eng.core._writer
        hot_commits = len(w.commit_log["hot"])
        bulk = eng.pipeline(bulk=True)
        for i in range(300):
            bulk.put(mkpost(f"b{i}", f"harbour crane {i}"))
        for _ in range(500):
            if bulk.backlog() == 0:
                break
            time.sleep(0.01)
        assert bulk.backlog() == 0 and eng.count() == 301  # accepted, not flushed
        assert eng.index.hot_docs == 0 and len(w.commit_log["hot"]) == hot_commits
        reader = Engine(tmp_path / "d", readonly=True)
        found = 0
        for _ in range(100):  # the cold process commits on its own clock
            found = reader.search("crane", all_posts=True, limit=500).total
            if found == 300:
                break
            time.sleep(0.1)
        assert found == 300
        for i in range(50):
            bulk.put(mkpost(f"c{i}", f"harbour dredger {i}"))
        bulk.flush()
        assert eng.search("dredger", all_posts=True, limit=100).total == 50  # a flush commits the cold tier
        bulk.close()
        live = eng.pipeline()
        live.put(mkpost("l0", "harbour ferry late"))
        live.flush()
        assert eng.index.hot_docs == 1 and eng.search("ferry").total == 1  # a live post goes through the hot tier
        live.close()
        assert eng.search("harbour", all_posts=True, limit=500).total == eng.count() == 352
    finally:
        if reader is not None:
            reader.close()
        eng.close()
