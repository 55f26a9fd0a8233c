"""Stories: reposts, empty quotes and near-duplicate copies collapse into one."""

from __future__ import annotations

from veristream import Engine, Settings
from veristream.core.stories import fingerprints, normalise
from conftest import mkpost

CAMPAIGN = "Vote NO on measure 12, it will raise your taxes and close our local schools forever"


def test_normalise_strips_retweet_prefix_urls_and_mentions() -> None:
    assert normalise("RT @bob: Big NEWS https://t.co/x @alice  today") == "big news today"


def test_fingerprint_similarity_tracks_jaccard() -> None:
    a, b, c = fingerprints([CAMPAIGN, CAMPAIGN.replace("schools", "hospitals"),
                            "The weather in the mountains is lovely this weekend for hiking trips"], 5)
    import numpy as np

    sa, sb, sc = (np.frombuffer(x.sig, dtype=np.uint32) for x in (a, b, c))
    assert (sa == sb).mean() > 0.6
    assert (sa == sc).mean() < 0.2


def test_copies_retweets_and_quotes_group_into_one_story(engine: Engine) -> None:
    posts = [mkpost("orig", CAMPAIGN, minutes=0, author="org")]
    # Copy-paste campaign: a word or a link varied, many accounts.
    posts += [mkpost(f"c{i}", CAMPAIGN.replace("forever", w) + f" https://ex.am/{i}", minutes=1 + i, author=f"bot{i}")
              for i, w in enumerate(["for good", "forever!!", "FOREVER", "forever now", "forever"])]
    posts.append(mkpost("rt", f"RT @org: {CAMPAIGN}", minutes=10, author="fan", repost_of="orig"))
    posts.append(mkpost("q", "", minutes=11, author="quoter", quote_of="orig"))
    posts.append(mkpost("other", "Measure 12 debate tonight at the town hall, bring questions about schools", minutes=12, author="news"))
    engine.ingest(posts)
    res = engine.search("measure 12")
    assert len(res.hits) == 2  # the campaign story and the unrelated post
    top = next(h for h in res.hits if h.post.id != "other")
    assert top.story.posts == 8 and top.story.authors == 8
    assert engine.search("measure 12", all_posts=True, limit=50).total == 8  # 'q' has no text to match
    summary, members = engine.story(top.story.id)
    assert {p.id for p in members} == {"orig", "c0", "c1", "c2", "c3", "c4", "rt", "q"}
    assert summary.first_seen == posts[0].created_at


def test_repost_that_arrives_before_its_original(engine: Engine) -> None:
    engine.ingest([mkpost("rt1", "", minutes=1, author="early", repost_of="late-orig")])
    engine.ingest([mkpost("late-orig", "The original announcement arrives after its repost", minutes=0, author="src")])
    summary, members = engine.story(engine.search("announcement").hits[0].story.id)
    assert {p.id for p in members} == {"rt1", "late-orig"}


def test_stories_grow_across_batches_and_restarts(tmp_path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest([mkpost("1", CAMPAIGN, author="a")])
    eng.close()
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest([mkpost("2", CAMPAIGN + " today", author="b"), mkpost("3", CAMPAIGN, author="a")])
    hit = eng.search("measure taxes").hits[0]
    assert (hit.story.posts, hit.story.authors) == (3, 2)
    eng.close()


def test_short_different_posts_are_not_merged(engine: Engine) -> None:
    engine.ingest([mkpost("1", "good morning"), mkpost("2", "good night"), mkpost("3", "good morning", author="bob")])
    res = engine.search("good", all_posts=False)
    assert len(res.hits) == 2
    assert sorted(h.story.posts for h in res.hits) == [1, 2]


def test_similar_but_different_news_stays_apart(engine: Engine) -> None:
    engine.ingest([
        mkpost("1", "Magnitude 6.1 earthquake strikes off the coast of Chile, no tsunami warning issued"),
        mkpost("2", "Stadium lights go out during the cup final, fans use phone torches to light the stands"),
        mkpost("3", "Earthquake damage reported in Santiago as aftershocks continue through the night"),
    ])
    assert len(engine.search("earthquake").hits) == 2


def test_a_huge_story_does_not_hide_the_others(tmp_path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, candidates=50))
    storm = [mkpost(f"rt{i}", f"RT @wire: Dam failure reported upstream, evacuate now {i % 2}", minutes=10 + i / 100,
                    author=f"r{i}") for i in range(400)]
    others = [mkpost("o1", "Dam inspectors say the structure held overnight", minutes=1, author="eng1"),
              mkpost("o2", "Photos of the dam spillway this morning", minutes=2, author="eng2"),
              mkpost("o3", "Is the dam really failing? No official word yet", minutes=3, author="eng3")]
    eng.ingest(others + storm)
    for order in ("relevance", "time"):
        res = eng.search("dam", order=order, limit=4)
        assert {h.post.id for h in res.hits} >= {"o1", "o2", "o3"}, order
        assert len({h.story.id for h in res.hits}) == 4
    eng.close()
