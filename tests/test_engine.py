"""The real-time core through the Engine: durable, idempotent, searchable at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from veristream import Engine, EngineError, Settings
from conftest import T0, mkpost


def ids(res) -> list[str]:
    return [h.post.id for h in res.hits]


def test_post_is_searchable_as_soon_as_ingest_returns(engine: Engine) -> None:
    r = engine.ingest([mkpost("1", "Power outage hits the stadium during the final")])
    assert r.accepted == 1
    assert ids(engine.search("stadium outage")) == ["1"]


def test_reingest_keeps_one_copy_and_newer_version_updates(engine: Engine) -> None:
    engine.ingest([mkpost("1", "Bridge closed after the storm", likes=1)])
    again = engine.ingest([mkpost("1", "Bridge closed after the storm", likes=1)])
    assert (again.accepted, again.duplicates) == (0, 1)
    upd = engine.ingest([mkpost("1", "Bridge closed after the storm, reopening at noon", likes=50)])
    assert upd.updated == 1
    assert engine.count() == 1
    res = engine.search("reopening")
    assert ids(res) == ["1"] and res.hits[0].post.metrics.likes == 50
    # The old text is no longer indexed for that post.
    assert engine.search("bridge storm").total == 1


def test_older_version_never_replaces_newer(engine: Engine) -> None:
    new = mkpost("1", "edited text about trains")
    new.edited_at = T0 + timedelta(minutes=5)
    engine.ingest([new])
    old = mkpost("1", "original text about trains")
    r = engine.ingest([old])
    assert r.stale == 1
    assert engine.get("file:1").text == "edited text about trains"


def test_same_id_different_sources_are_different_posts(engine: Engine) -> None:
    engine.ingest([mkpost("7", "hello from x", source="x"), mkpost("7", "hello from bluesky", source="bluesky")])
    assert engine.count() == 2
    assert {h.post.source for h in engine.search("hello", all_posts=True).hits} == {"x", "bluesky"}


def test_filters(engine: Engine) -> None:
    engine.ingest([
        mkpost("a", "flood warning downtown #flood", minutes=0, author="alice", lang="en"),
        mkpost("b", "flood warning upstream #flood", minutes=30, author="bob", lang="en", media=True),
        mkpost("c", "aviso de inundación flood", minutes=60, author="carla", lang="es", source="mastodon"),
        mkpost("d", "flood photos from the river", minutes=90, author="bob", lang="en"),
    ])
    assert sorted(ids(engine.search("flood", author="bob"))) == ["b", "d"]
    assert sorted(ids(engine.search("flood", author="@BOB"))) == ["b", "d"]
    assert ids(engine.search("flood", lang="es")) == ["c"]
    assert sorted(ids(engine.search("flood", hashtag="#flood"))) == ["a", "b"]
    assert ids(engine.search("flood", source="mastodon")) == ["c"]
    assert ids(engine.search("flood", has_media=True)) == ["b"]
    assert "b" not in ids(engine.search("flood", has_media=False))
    assert sorted(ids(engine.search("flood", since=T0 + timedelta(minutes=30), until=T0 + timedelta(minutes=60)))) == ["b", "c"]
    # Filters without text browse by time.
    assert ids(engine.search("", author="bob")) == ["d", "b"]


def test_hashtag_and_handle_are_searchable_as_words(engine: Engine) -> None:
    engine.ingest([mkpost("1", "Great show tonight #eurovision", author="songfan"),
                   mkpost("2", "nothing to see", author="eurovision")])
    assert sorted(ids(engine.search("eurovision", all_posts=True))) == ["1", "2"]
    assert ids(engine.search("#eurovision", hashtag="eurovision")) == ["1"]
    assert ids(engine.search("@songfan")) == ["1"]


def test_order_by_time_and_recency_blend(tmp_path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, half_life_s=3600, recency_weight=0.9))
    # Old post mentions the term twice (higher BM25), the new one once, 10 hours later.
    eng.ingest([mkpost("old", "earthquake earthquake reported near the coast", minutes=0, author="a"),
                mkpost("new", "earthquake felt in the city centre today", minutes=600, author="b")])
    assert ids(eng.search("earthquake", order="time")) == ["new", "old"]
    assert ids(eng.search("earthquake"))[0] == "new"
    eng.close()
    pure = Engine(tmp_path / "d", Settings.load(env={}, recency_weight=0.0))
    assert ids(pure.search("earthquake"))[0] == "old"
    pure.close()


def test_recency_blend_scores_the_newest_posts_exactly(tmp_path) -> None:
    # 300 old posts score high on the words alone; 700 newer ones (all in the same second) low.
    # The blend reads the newest page's scores over its span of time: every score must be the
    # post's own BM25 times its recency, including the newest posts beyond what that pass returns.
    old = [mkpost(f"o{i}", f"flood flood warning for district {i}", minutes=i / 10, author=f"a{i}") for i in range(300)]
    new = [mkpost(f"n{i}", "flood " + " ".join(f"note{i}x{j}" for j in range(3 + (i * 7) % 30)), minutes=900,
                  author=f"b{i}") for i in range(700)]
    with Engine(tmp_path / "d", Settings.load(env={})) as eng:
        eng.ingest(old + new)
    with Engine(tmp_path / "d", Settings.load(env={}, recency_weight=0.0)) as pure:
        bm25 = {h.post.key: h.score for h in pure.search("flood", all_posts=True, limit=2000).hits}
    assert len(bm25) == 1000
    w, half_life = 0.9, 3600.0
    # 100 candidates a page: 700 posts share the newest page's second, more than its pass returns.
    with Engine(tmp_path / "d", Settings.load(env={}, half_life_s=half_life, recency_weight=w, candidates=100)) as eng:
        now = T0 + timedelta(minutes=900)
        def blended(key: str, created) -> float:
            return bm25[key] * ((1 - w) + w * 0.5 ** ((now - created).total_seconds() / half_life))

        for limit in (20, 60):
            hits = eng.search("flood", all_posts=True, limit=limit).hits
            assert len(hits) == limit and all(h.post.id.startswith("n") for h in hits)  # recency wins
            for h in hits:
                assert h.score == pytest.approx(blended(h.post.key, h.post.created_at), rel=1e-5)
            # ... and they are the best of the candidates: the best page by words, the newest page.
            n = max(100, 4 * limit)
            page = {h.post.key: h.post.created_at for h in eng.search("flood", order="time", all_posts=True, limit=n).hits}
            page.update((p.key, p.created_at) for p in old + new if p.key in sorted(bm25, key=bm25.get)[-n:])
            best = sorted(page, key=lambda k: -blended(k, page[k]))[:limit]
            assert [h.score for h in hits] == pytest.approx([blended(k, page[k]) for k in best], rel=1e-5)


def test_as_of_is_event_time_of_newest_post(engine: Engine) -> None:
    engine.ingest([mkpost("1", "a", minutes=0), mkpost("2", "b", minutes=42)])
    res = engine.search("a")
    assert res.as_of == T0 + timedelta(minutes=42)


def test_reopen_and_readonly_engine(tmp_path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest([mkpost(str(i), f"post number {i} about rivers") for i in range(50)])
    reader = Engine(tmp_path / "d", readonly=True)
    assert reader.search("rivers", all_posts=True, limit=100).total == 50
    eng.ingest([mkpost("new", "a fresh post about rivers")])
    # The read-only engine (another process in production) sees the writer's commit.
    assert "new" in ids(reader.search("fresh rivers"))
    with pytest.raises(EngineError):
        reader.ingest([mkpost("x", "nope")])
    reader.close()
    eng.close()
    eng.close()  # idempotent
    again = Engine(tmp_path / "d", Settings.load(env={}))
    assert again.count() == 51 and again.repaired == 0
    again.close()


def test_startup_repairs_an_index_that_lags_the_store(tmp_path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest([mkpost(str(i), f"lagging index post {i}") for i in range(30)])
    eng.close()
    # Simulate a crash after the store commit but before the index caught up:
    # wipe the index directory entirely.
    import shutil

    shutil.rmtree(tmp_path / "d" / "index")
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    assert eng.repaired == 30
    assert eng.search("lagging", all_posts=True, limit=100).total == 30
    eng.close()


def test_reindex_rebuilds_from_store(engine: Engine) -> None:
    engine.ingest([mkpost(str(i), f"reindex me {i}") for i in range(20)])
    assert engine.reindex() == 20
    assert engine.search("reindex", all_posts=True, limit=50).total == 20
    assert engine.index.num_docs() == 20


def test_delete_removes_from_store_and_index(engine: Engine) -> None:
    engine.ingest([mkpost("1", "to be deleted soon"), mkpost("2", "to be kept soon")])
    assert engine.delete(["file:1"]) == 1
    assert ids(engine.search("soon", all_posts=True)) == ["2"]
    assert engine.get("file:1") is None


def test_pipeline_backpressure_and_flush(tmp_path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, queue_max=10, batch_max=7))
    pipe = eng.pipeline()
    for i in range(200):
        pipe.put(mkpost(str(i), f"queued post {i}"))
    pipe.flush()
    assert eng.search("queued", all_posts=True, limit=500).total == 200
    pipe.close()
    assert pipe.result.accepted == 200
    eng.close()


def test_offsets_are_recorded_with_the_batch_and_the_index_checkpoint(engine: Engine) -> None:
    engine.ingest([mkpost("1", "with offset")], offsets={"bluesky": "1725911162329308"})
    assert engine.offsets() == {"bluesky": "1725911162329308"}
    # The hot tier's commit covers it now; the cold tier's (start-up repairs from it) once it commits.
    assert engine.index.hot_checkpoint().offsets == {"bluesky": "1725911162329308"}
    engine.core.commit_all()
    assert engine.index.checkpoint().offsets == {"bluesky": "1725911162329308"}


def test_bad_settings_fail_clearly(tmp_path) -> None:
    from veristream.settings import SettingsError

    (tmp_path / "veristream.toml").write_text("half_life_s = 10\nnot_a_setting = 1\n")
    with pytest.raises(SettingsError, match="not_a_setting"):
        Settings.load(data_dir=tmp_path, env={})
    with pytest.raises(SettingsError, match="half_life_s"):
        Settings.load(env={"VERISTREAM_HALF_LIFE_S": "soon"})
    assert Settings.load(env={"VERISTREAM_HALF_LIFE_S": "60"}).half_life_s == 60.0


def test_pipeline_bounds_posts_not_chunks(tmp_path) -> None:
    """A producer handing over prepared chunks blocks once `queue_max` posts are in flight."""
    import threading

    eng = Engine(tmp_path / "d", Settings.load(env={}, queue_max=100))
    w = eng.core
    chunks = [w.prepare([mkpost(f"{c}-{i}", f"chunk {c} post {i}") for i in range(60)]) for c in range(4)]
    pipe = eng.pipeline()
    gate = threading.Event()
    eng.subscribe(lambda acc: gate.wait(10))  # hold the writer inside its first batch
    pipe.put_prepared(chunks[0])
    done = threading.Event()

    def produce() -> None:
        for c in chunks[1:]:
            pipe.put_prepared(c)
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert not done.wait(0.5), "producer was not held back"
    assert pipe.backlog() <= 160
    gate.set()
    assert done.wait(10)
    pipe.flush()
    pipe.close()
    assert eng.count() == 240
    eng.close()


def test_a_reader_of_an_index_from_another_version_is_told_how_to_rebuild_it(tmp_path) -> None:
    from click.testing import CliRunner

    from veristream.cli import cli

    d = tmp_path / "d"
    with Engine(d, Settings.load(env={}, vectors=False)) as eng:
        eng.ingest([mkpost("1", "the ferry leaves at dawn")])
    (d / "index" / "version").write_text("0")  # as an older veristream left it
    with pytest.raises(EngineError, match="another version of veristream.*reindex"):
        Engine(d, Settings.load(env={}, vectors=False), readonly=True)
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "ferry"])
    assert out.exit_code == 2 and "veristream reindex" in out.output and "Traceback" not in out.output
    with Engine(d, Settings.load(env={}, vectors=False)) as eng:  # a writer rebuilds it from the store
        assert [h.post.id for h in eng.search("ferry").hits] == ["1"]
    with Engine(d, Settings.load(env={}, vectors=False), readonly=True) as eng:
        assert eng.count() == 1
