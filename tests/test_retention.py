"""Retention: expiry by age (event or arrival time), count and disk size, through the single
writer, store and index together, story summaries kept, nothing growing with expired posts."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from veristream import Engine, Settings
from veristream.core.store import Removed
from conftest import T0, mkpost

HOUR_DAYS = 1 / 24


def settings(**kw) -> Settings:
    return Settings.load(env={}, retention_interval_s=0, **kw)


def wait_for(cond, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def sql(eng: Engine, q: str, *args) -> list[tuple]:
    con = sqlite3.connect(f"file:{eng.data_dir / 'posts.db'}?mode=ro", uri=True)
    try:
        return con.execute(q, args).fetchall()
    finally:
        con.close()


def stream(n: int, minutes_apart: float = 1.0, start: int = 0) -> list:
    return [mkpost(str(i), f"tok{i} harbour report number {i}", minutes=i * minutes_apart, author=f"u{i % 7}")
            for i in range(start, start + n)]


def test_expiry_by_event_time_removes_posts_from_store_and_index_together(tmp_path: Path) -> None:
    data = tmp_path / "d"
    eng = Engine(data, settings(retention_days=HOUR_DAYS))
    eng.ingest(stream(180))  # minutes 0..179 of event time
    rep = eng.expire()
    # Event-time now is the newest post (minute 179): posts older than minute 119 go.
    assert rep.by_age == 119 and rep.expired == 119
    assert eng.count() == 61 and eng.index.num_docs() == 61
    assert eng.get("file:50") is None and eng.get("file:150") is not None
    assert eng.search("tok50").total == 0 and eng.search("tok150").total == 1
    assert eng.search("harbour", all_posts=True, limit=1000).total == 61
    assert eng.expire().expired == 0  # nothing more is due
    # The change log the index already covers is pruned: it does not grow with expired posts.
    assert sql(eng, "SELECT count(*) FROM changes") == [(0,)]
    eng.close()
    # Reopened, store and index agree without any repair.
    eng = Engine(data, settings(retention_days=HOUR_DAYS))
    assert eng.repaired == 0 and eng.count() == eng.index.num_docs() == 61
    eng.close()


def test_a_crash_between_store_and_index_is_repaired_from_the_logged_deletions(tmp_path: Path) -> None:
    data = tmp_path / "d"
    eng = Engine(data, settings())
    eng.ingest(stream(100))
    # What expiry does, stopped after the store's transaction (as a crash would).
    eng.store.remove(eng.store.oldest(40))
    assert eng.count() == 60 and eng.index.num_docs() == 100
    eng.close()
    eng = Engine(data, settings())
    assert eng.repaired == 40
    assert eng.count() == eng.index.num_docs() == 60
    assert eng.search("tok10").total == 0 and eng.search("tok70").total == 1
    eng.close()


def test_story_summary_outlives_its_posts_then_expires(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(retention_days=HOUR_DAYS, retention_story_days=3 * HOUR_DAYS))
    text = "Bridge on route 9 closed after the flood, detour through the old mill road"
    eng.ingest([mkpost(f"c{i}", text, minutes=i, author=f"a{i}") for i in range(3)])
    story = eng.search("bridge").hits[0].story
    assert (story.posts, story.authors) == (3, 3)
    eng.ingest([mkpost("later", "unrelated weather update for the coast", minutes=120)])
    assert eng.expire().by_age == 3
    summary, posts = eng.story(story.id)
    assert posts == [] and (summary.posts, summary.authors) == (3, 3)
    assert summary.title == text and summary.first_seen == T0 and summary.last_seen == T0 + timedelta(minutes=2)
    # Author rows go with the posts; the count stays in the summary.
    assert sql(eng, "SELECT count(*) FROM story_authors WHERE story=?", story.id) == [(0,)]
    assert eng.stats().summaries_without_posts == 1
    # Three hours after its last post, the summary goes too.
    eng.ingest([mkpost("much-later", "another coast weather update", minutes=2 + 3 * 60 + 1)])
    rep = eng.expire()
    assert rep.summaries == 1 and eng.story(story.id) is None
    assert sql(eng, "SELECT count(*) FROM stories") == [(0,)]
    eng.close()


def test_story_author_rows_follow_the_posts_kept(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(retention_days=HOUR_DAYS))
    text = "Power is out across the east side of town, crews say repairs will take hours"
    eng.ingest([mkpost("1", text, minutes=0, author="ann"), mkpost("2", text, minutes=1, author="bob"),
                mkpost("3", text, minutes=70, author="ann")])
    sid = eng.search("crews repairs").hits[0].story.id
    assert eng.expire().by_age == 2  # posts 1 and 2 (older than minute 10)
    # ann still has a post in the story, bob has none: only bob's row goes.
    assert sql(eng, "SELECT author FROM story_authors WHERE story=?", sid) == [("id-ann",)]
    eng.ingest([mkpost("4", text, minutes=71, author="cat")])
    s = eng.search("crews repairs").hits[0].story
    assert s.id == sid and (s.posts, s.authors) == (4, 3)
    eng.close()


def test_max_posts_keeps_the_newest(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(retention_max_posts=50, retention_batch=7))
    posts = stream(120)
    posts.reverse()  # arrival order is not event order: the oldest by created_at go
    eng.ingest(posts)
    rep = eng.expire()
    assert rep.by_count == 70 and rep.batches == 4  # 7, then growing while more is due: 14, 28, 21
    assert eng.count() == eng.index.num_docs() == 50
    assert {int(h.post.id) for h in eng.search("harbour", all_posts=True, limit=200).hits} == set(range(70, 120))
    eng.close()


def test_arrival_clock_expires_by_when_posts_were_stored(tmp_path: Path, monkeypatch) -> None:
    clock = [time.time()]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    eng = Engine(tmp_path / "d", settings(retention_days=HOUR_DAYS, retention_clock="arrival"))
    eng.ingest(stream(30))
    clock[0] += 1800
    eng.ingest(stream(20, start=30))
    assert eng.expire().expired == 0
    clock[0] += 1900  # the first 30 arrived 3700 s ago, the last 20 1900 s ago
    assert eng.expire().by_age == 30
    assert eng.count() == eng.index.num_docs() == 20 and eng.get("file:29") is None
    eng.close()


def test_max_disk_size(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(retention_max_disk_mb=0.4))
    long = " ".join(f"word{j}" for j in range(60))
    eng.ingest([mkpost(str(i), f"tok{i} {long}", minutes=i / 10, author=f"u{i % 50}") for i in range(3000)])
    before = eng.live_bytes()
    assert before > 400_000
    for _ in range(3):
        if eng.live_bytes() <= 400_000:
            break
        eng.expire()
    assert eng.live_bytes() <= 400_000
    assert 0 < eng.count() < 3000 and eng.count() == eng.index.num_docs()
    assert eng.get("file:2999") is not None and eng.get("file:0") is None  # the oldest went first
    eng.close()


def test_expiry_releases_the_write_lock_between_batches(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings(retention_days=HOUR_DAYS, retention_batch=25))
    eng.ingest(stream(400, minutes_apart=0.1))
    eng.ingest([mkpost("now", "the present", minutes=200)])
    batches: list[Removed] = []
    ingested_at: list[int] = []

    def ingest_meanwhile() -> None:
        eng.ingest([mkpost("fresh", "fresh post during expiry", minutes=200)])
        ingested_at.append(len(batches))

    t = threading.Thread(target=ingest_meanwhile)

    def on_removed(r: Removed) -> None:
        batches.append(r)
        if len(batches) == 1:
            t.start()  # it needs the write lock, held while this listener runs

    eng.subscribe_removals(on_removed)
    rep = eng.expire()
    t.join(10)
    assert rep.by_age == 400 and len(batches) == rep.batches >= 5
    # The ingest got in between two batches (the lock is FIFO), before the expiry was over.
    assert ingested_at and ingested_at[0] < len(batches)
    assert eng.get("file:fresh") is not None
    r = batches[0]
    assert r.reason == "age" and len(r.keys) == 25 and r.horizon_us is not None and max(r.ts) < r.horizon_us
    eng.close()


def test_removal_listener_hears_source_deletes(engine: Engine) -> None:
    got: list[Removed] = []
    engine.subscribe_removals(got.append)
    engine.ingest(stream(3))
    assert engine.delete(["file:1", "file:nope"]) == 1
    assert [(r.reason, r.keys) for r in got] == [("deleted", ["file:1"])]


def test_background_expiry_keeps_pace_with_a_stream(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, retention_days=10 / 1440, retention_interval_s=0.05,
                                               retention_story_days=10 / 1440, retention_batch=100,
                                               dedup_window=200))
    pipe = eng.pipeline()
    for i in range(3000):  # one post per 2 s of event time: 100 minutes
        pipe.put(mkpost(str(i), f"tok{i} ferry schedule update {i % 40}", minutes=i / 30, author=f"u{i % 11}"))
    pipe.flush(30)
    # The expiry thread brings the store down to the last 10 minutes (301 posts) by itself.
    wait_for(lambda: eng.core.expiry_totals().by_age == 2699, what="background expiry")
    pipe.close()
    eng.commit()
    assert eng.count() == eng.index.num_docs() == 301
    st = eng.stats()
    assert st.retention["in_force"] and st.expiry["expired"] == 2699
    # Nothing grows with expired posts: the story window, story tables, the change log.
    stories = eng.core._writer.stories  # the writer's memory: nothing grows
    assert len(stories._key_story) <= 200 and len(stories._text) <= 200 and len(stories._pending_ref) <= 200
    wait_for(lambda: sql(eng, "SELECT count(*) FROM changes") == [(0,)], what="change log pruning")
    wait_for(lambda: sql(eng, "SELECT count(*) FROM stories s WHERE NOT EXISTS "
                         "(SELECT 1 FROM posts WHERE story=s.id)") == [(0,)], what="story summaries to expire")
    eng.close()


def test_settings_are_checked() -> None:
    from veristream.settings import SettingsError

    with pytest.raises(SettingsError, match="retention_clock"):
        Settings.load(env={}, retention_clock="wall")
    with pytest.raises(SettingsError, match="retention_days"):
        Settings.load(env={}, retention_days=-1)
    s = Settings.load(env={"VERISTREAM_RETENTION_DAYS": "7", "VERISTREAM_RETENTION_MAX_POSTS": "1000"})
    assert (s.retention.days, s.retention.max_posts) == (7.0, 1000)


def test_the_write_lock_is_first_come_first_served() -> None:
    from veristream.core.writer import FairLock

    lock, order = FairLock(), []
    lock.acquire()

    def take(i: int) -> None:
        with lock:
            order.append(i)

    threads = []
    for i in range(4):
        threads.append(threading.Thread(target=take, args=(i,)))
        threads[-1].start()
        wait_for(lambda: lock._next == i + 2, what=f"waiter {i} queued")
    lock.release()
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3]


def test_faded_trend_events_go_on_the_summary_horizon(tmp_path: Path) -> None:
    from veristream.model import to_us

    eng = Engine(tmp_path / "d", settings(retention_days=HOUR_DAYS, retention_story_days=3 * HOUR_DAYS))
    old, recent = to_us(T0), to_us(T0 + timedelta(hours=5))
    con = sqlite3.connect(eng.data_dir / "posts.db")
    con.executemany("INSERT INTO events(id, status, first_seen, detected_at, last_seen, doc) VALUES (?,?,?,?,?,?)",
                    [(901, "faded", old, old, old, b"{}"), (902, "active", old, old, old, b"{}"),
                     (903, "faded", recent, recent, recent, b"{}")])
    con.commit()
    con.close()
    eng.ingest([mkpost("now", "a post five hours later", minutes=5 * 60)])
    assert eng.expire().events == 1
    assert sql(eng, "SELECT id FROM events WHERE id > 900 ORDER BY id") == [(902,), (903,)]
    eng.close()
