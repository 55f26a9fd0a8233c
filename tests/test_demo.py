"""The synthetic demo stream: deterministic, fast, valid, realistic enough to search."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from veristream import Engine, Post, Settings
from veristream.demo import DEFAULT_START, EVENTS, demo_lines, generate, line_of
from veristream.readers import parse_line

N = 3000


@pytest.fixture(scope="module")
def posts() -> list[Post]:
    return list(generate(N))


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    a = list(demo_lines(500, seed=3))
    assert a == list(demo_lines(500, seed=3))
    assert a != list(demo_lines(500, seed=4))
    # A longer stream is not a prefix of a shorter one (events scale with its length),
    # but each is reproducible.
    assert list(demo_lines(800, seed=3)) == list(demo_lines(800, seed=3))


def test_fast_enough_to_feed_benchmarks() -> None:
    # The target on a quiet machine is >= 100k posts/s; the test allows for a busy CI box.
    # CPU time, not wall time: other processes on a shared machine do not count against it.
    best = 0.0
    for _ in range(3):
        t0 = time.process_time()
        for _p in generate(20_000):
            pass
        best = max(best, 20_000 / max(time.process_time() - t0, 1e-9))
    assert best >= 40_000, f"{best:,.0f} posts/s"


def test_lines_are_the_projects_schema_and_round_trip(posts: list[Post]) -> None:
    lines = list(demo_lines(N))
    assert len(lines) == N
    for p, line in zip(posts, lines):
        assert line == line_of(p)
        d = p.to_dict(raw=False)
        assert line == orjson.dumps(d)  # byte for byte what the spec says
        back = parse_line(line)
        assert back is not None
        assert back.to_dict(raw=False) == d


def test_post_fields_are_consistent(posts: list[Post]) -> None:
    assert len({p.id for p in posts}) == N
    assert all(p.source == "demo" and p.lang for p in posts)
    assert posts[0].created_at >= DEFAULT_START
    assert all(a.created_at <= b.created_at for a, b in zip(posts, posts[1:]))
    # Poisson arrivals at 50/s by default: N posts span about N/50 seconds.
    span = (posts[-1].created_at - posts[0].created_at).total_seconds()
    assert N / 50 * 0.8 < span < N / 50 * 1.2
    for p in posts:
        assert p.text and p.text == p.text.strip()
        # Entities are set directly; they must agree with the text.
        for h in p.hashtags:
            assert h == h.lower() and re.search(rf"#{re.escape(h)}\b", p.text, re.IGNORECASE), (h, p.text)
        for m in p.mentions:
            assert f"@{m}" in p.text.lower(), (m, p.text)
        for u in p.urls:
            assert u in p.text
        for media in p.media:
            assert media.kind == "photo" and media.alt and media.url
        if p.geo is not None:
            assert p.geo.lat is not None and p.geo.lon is not None and p.geo.place
            assert -90 <= p.geo.lat <= 90 and -180 <= p.geo.lon <= 180


def test_start_and_rate_are_honoured() -> None:
    start = DEFAULT_START + timedelta(days=3)
    ps = list(generate(2000, seed=1, start=start, rate_per_s=500))
    assert ps[0].created_at >= start
    span = (ps[-1].created_at - start).total_seconds()
    assert 2000 / 500 * 0.8 < span < 2000 / 500 * 1.2


def test_authors_languages_media_geo(posts: list[Post]) -> None:
    by_author = Counter(p.author.id for p in posts)
    assert len(by_author) > 300  # many accounts ...
    top = by_author.most_common(1)[0][1]
    assert top > 5 * (N / len(by_author))  # ... with Zipf-like activity
    assert any(p.author.verified for p in posts)
    assert all(p.author.handle and p.author.followers is not None for p in posts)
    langs = Counter(p.lang for p in posts)
    assert langs["en"] > 0.6 * N
    assert sum(1 for lg in ("es", "de", "fr", "ja", "pt") if langs[lg]) >= 4
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", p.text) for p in posts if p.lang == "ja")
    assert 0.02 * N < sum(bool(p.media) for p in posts) < 0.25 * N
    assert 0.01 * N < sum(p.geo is not None for p in posts) < 0.15 * N


def test_events_burst_and_fade(posts: list[Post]) -> None:
    for ev in EVENTS:
        tags = {t[1:].lower() for t in ev.hashtags}
        times = [i for i, p in enumerate(posts) if tags & set(p.hashtags) and p.repost_of is None]
        assert len(times) >= 10, ev.name
        # Nothing before the event starts; most of it soon after.
        assert times[0] >= int(ev.at * N * 0.9) - 5, ev.name
        first = [t for t in times if t < (ev.at + ev.rise + 3 * ev.fade) * N * 1.1]
        assert len(first) >= 0.6 * len(times), ev.name


def test_retweets_replies_quotes_reference_earlier_posts(posts: list[Post]) -> None:
    seen: set[str] = set()
    by_id = {p.id: p for p in posts}
    rts = replies = quotes = 0
    for p in posts:
        if p.repost_of:
            rts += 1
            assert p.repost_of in seen
            orig = by_id[p.repost_of]
            assert p.text == f"RT @{orig.author.handle}: {orig.text}"
        if p.reply_to:
            replies += 1
            assert p.reply_to in seen and p.text.startswith("@")
        if p.quote_of:
            quotes += 1
            assert p.quote_of in seen
        seen.add(p.id)
    assert 0.03 * N < rts < 0.08 * N
    assert replies > 0.03 * N and quotes > 0.01 * N


def test_copy_paste_campaigns(posts: list[Post]) -> None:
    # The same text with a word or URL varied, posted by many accounts.
    groups: dict[str, set[str]] = defaultdict(set)
    for p in posts:
        if p.repost_of is None and p.urls:
            skeleton = p.text
            for u in p.urls:
                skeleton = skeleton.replace(u, "")
            groups[skeleton.strip()].add(p.author.id)
    widest = max(len(a) for a in groups.values())
    assert widest >= 5
    assert sum(1 for a in groups.values() if len(a) >= 3) >= 3


def test_ingested_demo_stream_is_searchable_with_stories(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "data", Settings.load(env={}))
    try:
        ps = list(generate(2000))
        for i in range(0, len(ps), 500):
            eng.ingest(ps[i : i + 500])
        assert eng.count() == 2000
        # Breaking news is findable by its words and by its hashtag.
        quake = eng.search("earthquake")
        assert quake.total and quake.total >= 10
        assert all("earthquake" in h.post.text.lower() or "earthquake" in h.post.hashtags for h in quake.hits)
        assert eng.search("", hashtag="CedarRidgeFire").hits
        assert eng.search("stadium power").hits
        # Copies are grouped: retweets join their original, campaigns join each other.
        grouped = [h for h in quake.hits if h.story and h.story.posts > 1]
        assert grouped, "no earthquake story with more than one post"
        camp = eng.search("giveaway retweet win")
        assert camp.hits and camp.hits[0].story and camp.hits[0].story.posts >= 3
        # One hit per story by default: fewer hits than posts when copies are grouped.
        every = eng.search("giveaway retweet win", all_posts=True, limit=100)
        assert len(every.hits) > len(camp.hits)
        # Other languages are searchable too.
        assert eng.search("", lang="ja").hits
    finally:
        eng.close()
