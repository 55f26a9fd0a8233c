"""Trends and events: bursts vs steady traffic, the many-authors rule, merging, fading,
restarts, and event-time determinism, on synthetic streams built here."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from veristream import Engine, Geo, Post, Settings
from veristream.cli import cli
from veristream.trends import sparkline
from veristream.trends.terms import extract
from conftest import T0, mkpost

SYL = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "se", "vi", "da", "ge", "hu", "ri", "zo", "be", "fa"]
FIRE = ["explosion", "chemical plant", "downtown", "smoke", "#plantfire"]
FLOOD = ["levee", "river", "rescue boats", "flooding", "#floodwatch"]


def settings(**kw) -> Settings:
    kw.setdefault("trends_windows", "5m,1h")
    return Settings.load(env={}, durability="os", **kw)


class Stream:
    """Background chatter (10 posts a minute from 300 accounts, words from a made-up
    vocabulary) plus whatever a test injects."""

    def __init__(self, minutes: float, seed: int = 1):
        self.rng = random.Random(seed)
        vocab: set[str] = set()
        while len(vocab) < 400:
            vocab.add("".join(self.rng.choice(SYL) for _ in range(self.rng.randint(2, 3))))
        self.vocab = sorted(vocab)
        self.posts: list[Post] = []
        t = 0.0
        i = 0
        while t < minutes:
            t += self.rng.expovariate(10)
            self.posts.append(mkpost(f"b{i}", " ".join(self.rng.sample(self.vocab, 8)), minutes=t,
                                     author=f"user{self.rng.randrange(300)}"))
            i += 1

    def burst(self, name: str, terms: list[str], at: float, authors: int, every: float = 0.3,
              author: str | None = None, copy: bool = False, k: int = 3) -> None:
        """`authors` posts from `at` (minutes), each with the first of `terms` and `k - 1` others
        among filler words: distinct stories by distinct accounts, unless one `author` or
        `copy` (one text) is given."""
        text0 = " ".join(terms + self.rng.sample(self.vocab, 5))
        for j in range(authors):
            if copy:
                text = text0
            else:
                words = [terms[0]] + self.rng.sample(terms[1:], k - 1) + self.rng.sample(self.vocab, 5)
                self.rng.shuffle(words)
                text = " ".join(words)
            self.posts.append(mkpost(f"{name}{j}", text, minutes=at + j * every, author=author or f"{name}-acct{j}"))

    def sorted(self) -> list[Post]:
        return sorted(self.posts, key=lambda p: p.created_at)

    def until(self, minutes: float) -> list[Post]:
        return [p for p in self.sorted() if p.created_at < T0 + timedelta(minutes=minutes)]


def feed(eng: Engine, posts: list[Post], batch: int = 200) -> None:
    for i in range(0, len(posts), batch):
        eng.ingest(posts[i : i + batch])


def at(minutes: float):
    return T0 + timedelta(minutes=minutes)


def mentions(e, words: list[str]) -> bool:
    return any(w in " ".join(e.terms) for w in words)


# -- terms --------------------------------------------------------------------------------

def test_terms_are_words_phrases_and_hashtags() -> None:
    terms = extract("RT @nws: Tornado warning for Moore until 3:45pm, take shelter now https://t.co/x", ["okwx"])
    assert terms[0] == b"#okwx"
    assert {b"tornado", b"warning", b"moore", b"shelter", b"tornado warning"} <= set(terms)
    assert not {b"rt", b"nws", b"for", b"now", b"https", b"t", b"co"} & set(terms)
    assert sparkline([0, 1, 4, 8]) == "▁▂▅█"


# -- bursts vs steady traffic -------------------------------------------------------------

def test_burst_by_many_authors_raises_trend_and_event_at_the_right_stream_time(tmp_path: Path) -> None:
    s = Stream(200)
    s.burst("fire", FIRE, at=180, authors=30)
    for p in s.posts[-5:]:
        p.geo = Geo(37.8, -96.9, "Springfield, KS", "US")
    eng = Engine(tmp_path / "d", settings())
    feed(eng, s.until(186))
    rising = {t.term: t for t in eng.trends("5m")}  # reads let the detector catch up first
    st = eng.trends_status()
    assert (st.state, st.posts_behind, st.lag_s) == ("running", 0, 0.0)
    assert eng.stats().to_dict()["trends"] == {"state": "running", "posts_behind": 0, "lag_s": 0.0}
    assert "explosion" in rising and rising["explosion"].count >= 5
    assert rising["explosion"].since >= at(180) and rising["explosion"].since <= at(184)
    assert "explosion" in {t.term for t in eng.trends("1h")}
    feed(eng, s.sorted()[len(s.until(186)):])
    evs = eng.events()
    assert len(evs) == 1, [e.terms for e in evs]  # steady chatter raised nothing
    e = evs[0]
    assert mentions(e, ["explosion", "chemical plant", "#plantfire"])
    assert e.first_seen == at(180)
    assert at(180) < e.detected_at <= at(185)  # detected within minutes, in stream time
    assert e.authors >= 25 and e.posts == e.stories >= 25
    assert e.post_ids and all(k.startswith("file:fire") for k in e.post_ids)
    assert e.langs == {"en": e.posts} and sum(e.curve.counts) == e.posts
    assert e.places == {"Springfield, KS": 5}
    assert set(e.detected_ids) <= {p.key for p in s.posts if p.id.startswith("fire")}
    assert e.title and e.status == "active"
    eng.close()


def test_steady_traffic_raises_nothing(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", settings())
    feed(eng, Stream(240, seed=5).sorted())
    assert eng.events() == []
    assert eng.trends("1h") == [] and eng.trends("5m") == []
    eng.close()


# -- one account, one story -----------------------------------------------------------------

def test_one_account_spamming_does_not_trend(tmp_path: Path) -> None:
    s = Stream(200)
    s.burst("spam", FIRE, at=180, authors=60, every=0.15, author="spammer")
    eng = Engine(tmp_path / "d", settings())
    feed(eng, s.until(190))
    assert not {"explosion", "smoke", "#plantfire"} & {t.term for w in ("5m", "1h") for t in eng.trends(w)}
    feed(eng, s.sorted()[len(s.until(190)):])
    assert eng.events() == []
    eng.close()


def test_copy_paste_campaign_does_not_trend(tmp_path: Path) -> None:
    s = Stream(200)
    s.burst("bot", FIRE, at=180, authors=60, every=0.15, copy=True)  # 60 accounts, one text
    eng = Engine(tmp_path / "d", settings())
    feed(eng, s.until(190))
    assert not {"explosion", "smoke", "#plantfire"} & {t.term for w in ("5m", "1h") for t in eng.trends(w)}
    feed(eng, s.sorted()[len(s.until(190)):])
    assert eng.events() == []
    eng.close()


# -- merging and fading -------------------------------------------------------------------

def test_two_sub_events_merge_when_they_turn_out_to_be_one(tmp_path: Path) -> None:
    s = Stream(215)
    s.burst("fire", FIRE, at=180, authors=25)
    s.burst("flood", FLOOD, at=181, authors=25)
    eng = Engine(tmp_path / "d", settings())
    feed(eng, s.until(190))
    two = eng.events()
    assert len(two) == 2 and {mentions(e, ["explosion", "chemical plant"]) for e in two} == {True, False}
    # Then many accounts talk about both at once: it was one event all along.
    s.burst("both", FIRE + FLOOD, at=195, authors=30, k=5)
    feed(eng, s.sorted()[len(s.until(190)):])
    evs = eng.events()
    assert len(evs) == 1
    e = evs[0]
    assert mentions(e, ["explosion", "chemical plant"]) and mentions(e, ["levee", "rescue boats", "flooding"])
    assert e.id == min(x.id for x in two) and e.first_seen == at(180)
    merged = [x for x in eng._trends.db.events(merged=True) if x["status"] == "merged"]
    assert len(merged) == 1 and merged[0]["merged_into"] == e.id
    eng.close()


def test_event_fades_when_quiet(tmp_path: Path) -> None:
    s = Stream(260)
    s.burst("fire", FIRE, at=180, authors=30)
    eng = Engine(tmp_path / "d", settings(trends_fade_s=1200))
    feed(eng, s.until(195))
    assert [e.status for e in eng.events()] == ["active"]
    feed(eng, s.sorted()[len(s.until(195)):])
    (e,) = eng.events()
    assert e.status == "faded" and e.last_seen < at(190)
    assert eng.events(since=at(200)) == []  # nothing of it seen since
    eng.close()


# -- persistence and event time -------------------------------------------------------------

def test_restart_keeps_events_and_goes_on_with_them(tmp_path: Path) -> None:
    s = Stream(215)
    s.burst("fire", FIRE, at=180, authors=20, every=0.25)
    s.burst("late", FIRE, at=200, authors=20, every=0.25)  # the same event, after a restart
    eng = Engine(tmp_path / "d", settings())
    feed(eng, s.until(190))
    (before,) = eng.events()
    eng.close()
    reader = Engine(tmp_path / "d", settings(), readonly=True)  # another process, e.g. the CLI
    assert [e.id for e in reader.events()] == [before.id]
    assert "explosion" in {t.term for t in reader.trends("5m")}
    reader.close()
    eng = Engine(tmp_path / "d", settings())
    assert [e.to_dict() for e in eng.events()] == [before.to_dict()]
    assert "explosion" in {t.term for t in eng.trends("1h")}  # rates rebuilt from the stored posts
    feed(eng, s.sorted()[len(s.until(190)):])
    (after,) = eng.events()
    assert after.id == before.id and after.posts > before.posts and after.last_seen >= at(200)
    eng.close()


def _jsonl(path: Path, posts: list[Post]) -> Path:
    with open(path, "wb") as f:
        for p in posts:
            f.write(orjson.dumps(p.to_dict(raw=False)) + b"\n")
    return path


def test_replay_at_different_speeds_raises_the_same_events(tmp_path: Path) -> None:
    from veristream.replay import run

    s = Stream(50, seed=3)
    s.burst("fire", FIRE, at=30, authors=25, every=0.2)
    s.burst("flood", FLOOD, at=40, authors=25, every=0.2)
    src = _jsonl(tmp_path / "stream.jsonl", s.sorted())
    got = []
    for name, speed in (("max", None), ("fast", 1500.0)):
        eng = Engine(tmp_path / name, settings(trends_windows="5m"))
        with open(src, "rb") as f:
            run(eng, f, speed=speed)
        got.append([e.to_dict() for e in eng.events()])
        eng.close()
    # A third pass, fed in odd batch sizes through the library, agrees too.
    eng = Engine(tmp_path / "lib", settings(trends_windows="5m"))
    feed(eng, s.sorted(), batch=37)
    got.append([e.to_dict() for e in eng.events()])
    eng.close()
    assert len(got[0]) == 2
    assert got[0] == got[1] == got[2]


def test_memory_stays_bounded_and_cold_terms_are_pruned(tmp_path: Path) -> None:
    from veristream.trends import TrendConfig, Trends
    from veristream.trends.burst import parse_windows

    s = Stream(200)
    for i, p in enumerate(s.posts):  # every post also brings two words never seen before
        p.text += f" zq{i}x zr{i}y"
    s.burst("fire", FIRE, at=180, authors=30)
    eng = Engine(tmp_path / "d", settings(trends=False))
    trends = Trends(eng.store, config=TrendConfig(windows=parse_windows("5m,1h"), max_terms=3000, recent_max=500))
    eng.subscribe(trends.observe)
    feed(eng, s.sorted())
    (e,) = trends.events()
    assert mentions(e, ["explosion", "chemical plant"])
    assert trends._call(lambda: len(trends.vocab)) <= 3000 + 800  # pruned back to half when over
    assert trends._call(lambda: trends.recent.posts) <= 500
    trends.close()
    eng.close()


# -- settings and CLI ---------------------------------------------------------------------

def test_trends_can_be_turned_off(tmp_path: Path) -> None:
    s = Stream(200)
    s.burst("fire", FIRE, at=180, authors=30)
    eng = Engine(tmp_path / "d", settings(trends=False))
    feed(eng, s.sorted())
    assert eng.events() == [] and eng.trends("1h") == []
    with pytest.raises(ValueError, match="24h"):
        eng.trends("24h")
    eng.close()


def test_cli_trends_and_events(tmp_path: Path) -> None:
    s = Stream(190)
    s.burst("fire", FIRE, at=180, authors=30)
    src = _jsonl(tmp_path / "in.jsonl", s.sorted())
    data = tmp_path / "data"
    (tmp_path / "data").mkdir()
    (data / "veristream.toml").write_text('trends_windows = "5m,1h"\ndurability = "os"\n')

    def run(*args: str):
        return CliRunner().invoke(cli, ["--data-dir", str(data), *args], catch_exceptions=False)

    assert run("replay", str(src), "--speed", "max", "-q").exit_code == 0
    table = run("trends", "--window", "5m")
    assert table.exit_code == 0 and "explosion" in table.stdout and "▁" in table.stdout + "█"
    rows = [json.loads(line) for line in run("trends", "--window", "5m", "--json").stdout.splitlines()]
    assert "explosion" in {r["term"] for r in rows} and all(len(r["spark"]) == 12 for r in rows)
    assert run("trends", "--window", "2h").exit_code == 2  # not a configured window
    evs = [json.loads(line) for line in run("events", "--json").stdout.splitlines()]
    assert len(evs) == 1
    e = evs[0]
    for field in ("id", "title", "terms", "first_seen", "detected_at", "posts", "authors", "post_ids"):
        assert field in e
    assert e["first_seen"] == "2026-01-15T15:00:00Z" and e["post_ids"][0].startswith("file:fire")
    assert run("events", "--since", "1m", "--json").stdout == ""
    listing = run("events")
    assert listing.exit_code == 0 and f"#{e['id']}" in listing.stdout and "terms:" in listing.stdout


STORM = ["hurricane", "storm surge", "evacuation", "landfall", "#hurricane"]
CAFE = ["que", "para", "hoy", "muy", "bien"]  # common Spanish words: no topic, however many posts


@pytest.mark.parametrize("dominant_share", [0.05, 0.0])
def test_a_stream_that_starts_full_of_a_topic_still_raises_it(tmp_path: Path, dominant_share: float) -> None:
    """A filtered stream joined mid-event: the topic is its own baseline from the first minute
    and never rises over it, but it fills the stream far beyond its share of general language."""
    s = Stream(200)
    s.burst("storm", STORM, at=0.1, authors=660, every=0.3)  # a quarter of the posts, from the start
    s.burst("cafe", CAFE, at=0.2, authors=660, every=0.3)  # as many, in words common in Spanish
    eng = Engine(tmp_path / "d", settings(trends_dominant_share=dominant_share))
    feed(eng, s.sorted())
    terms = {t.term for t in eng.trends("1h")} | {t.term for t in eng.trends("5m")}
    evs = eng.events()
    if dominant_share:
        assert "hurricane" in terms
        assert any(mentions(e, ["hurricane"]) for e in evs)
    else:  # the stream's own baseline alone: the topic never rises over itself
        assert "hurricane" not in terms and not evs
    assert not terms & {"que", "para", "hoy", "muy", "bien"}  # common words never fill a stream enough
    assert not any(mentions(e, ["que", "hoy"]) for e in evs)
    eng.close()


def test_japanese_burst_trends_in_its_own_script(tmp_path: Path) -> None:
    s = Stream(200)
    places = ["東京", "千葉", "横浜", "埼玉", "静岡", "仙台"]
    rng = random.Random(3)
    notes = ["本棚が倒れて部屋がめちゃくちゃです", "電車が全部止まっているみたい", "家族はみんな無事でした",
             "猫がびっくりして隠れてしまった", "エレベーターに閉じ込められた人がいるらしい", "津波の心配はないそうです",
             "会社のビルがかなり長く揺れた", "コンビニの商品が床に落ちていた", "スマホの警報音で目が覚めた",
             "余震が続いているので気をつけて", "停電していて真っ暗です", "学校は休みになるかもしれない"]
    for j in range(30):
        a, b = rng.sample(notes, 2)
        text = f"{rng.choice(places)}{rng.choice(['で', 'の辺りで', '周辺で'])}地震。{a}。{b}"
        s.posts.append(mkpost(f"jq{j}", text, minutes=180 + j * 0.2, lang="ja", author=f"jp{j}"))
    s.burst("fire", FIRE, at=181, authors=30)  # an English burst at the same time
    eng = Engine(tmp_path / "d", settings())
    feed(eng, s.until(187))
    terms = {t.term for t in eng.trends("5m")}
    assert "地震" in terms and "explosion" in terms
    assert not {"がありました", "で地", "震が"} & terms
    # Language is a filter: a term trends in the language most of its posts are in.
    ja = {t.term for t in eng.trends("5m", lang="ja")}
    en = {t.term for t in eng.trends("5m", lang="en")}
    assert "地震" in ja and "explosion" not in ja
    assert "explosion" in en and "地震" not in en
    evs = eng.events(lang="ja")
    assert evs and all(e.langs.get("ja", 0) * 3 >= sum(e.langs.values()) for e in evs)
    assert any("地震" in " ".join(e.terms) for e in evs)
    assert not any("explosion" in " ".join(e.terms) for e in evs)
    # ... and the answer to a Japanese question is worded in Japanese, citing Japanese posts.
    ans = eng.ask("過去10分の地震の状況は？")
    assert "「地震」に触れた投稿は" in ans.text and "件" in ans.text and ans.question.window == "過去10分"
    assert ans.citations and all("地震" in eng.get(c.post_id).text for c in ans.citations)
    assert eng.ask("過去10分の地震の状況は？", lang="en").text.startswith("過去10分に「地震」についての投稿はストリームにありません")
    eng.close()


# -- the detector's process and its checkpoint ------------------------------------------------

CRASHER = """
import pickle, sys, time
from veristream import Engine, Settings
data, path = sys.argv[1], sys.argv[2]
first, rest = pickle.load(open(path, "rb"))
eng = Engine(data, Settings.load(env={}, durability="os", trends_windows="5m,1h"))
for i in range(0, len(first), 200):
    eng.ingest(first[i:i + 200])
eng.events()  # the detector has read all of it and stored its checkpoint
for i in range(0, len(rest), 200):
    eng.ingest(rest[i:i + 200])
print("fed", eng._trends.pid, flush=True)
time.sleep(600)
"""


def _events(eng: Engine) -> list[tuple]:
    return sorted((e.id, tuple(sorted(e.terms)), e.first_seen, e.detected_at) for e in eng.events())


def _two_bursts() -> tuple[list[Post], list[Post]]:
    s = Stream(215, seed=5)
    s.burst("fire", FIRE, at=180, authors=20, every=0.25)
    s.burst("flood", FLOOD, at=200, authors=20, every=0.25)
    return s.until(190), s.sorted()[len(s.until(190)):]


def test_an_engine_killed_mid_stream_resumes_detection_from_the_checkpoint_raising_each_event_once(
        tmp_path: Path) -> None:
    import pickle
    import signal
    import subprocess
    import sys

    first, rest = _two_bursts()
    with Engine(tmp_path / "ref", settings()) as ref:
        feed(ref, first + rest)
        want = _events(ref)
    assert len(want) == 2
    (tmp_path / "posts.pkl").write_bytes(pickle.dumps((first, rest)))
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(tmp_path / "d"), str(tmp_path / "posts.pkl")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("fed"), proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)  # the detector may or may not have read `rest`
    proc.wait(30)
    with Engine(tmp_path / "d", settings()) as eng:
        assert _events(eng) == want  # the flood raised once, by whichever process read it; the fire kept
        assert eng.trends_status().posts_behind == 0


def test_a_killed_detector_process_is_started_again_and_goes_on_from_its_checkpoint(tmp_path: Path) -> None:
    import os
    import signal

    first, rest = _two_bursts()
    with Engine(tmp_path / "ref", settings()) as ref:
        feed(ref, first + rest)
        want = _events(ref)
    with Engine(tmp_path / "d", settings()) as eng:
        feed(eng, first)
        eng.events()
        pid = eng._trends.pid
        assert pid is not None and pid != os.getpid()  # detection runs in a process of its own
        feed(eng, rest[: len(rest) // 2])
        os.kill(pid, signal.SIGKILL)
        feed(eng, rest[len(rest) // 2:])
        assert _events(eng) == want
        assert eng._trends.pid not in (None, pid)


def test_detection_in_a_thread_gives_the_same_events(tmp_path: Path) -> None:
    first, rest = _two_bursts()
    got = []
    for process in (True, False):
        with Engine(tmp_path / str(process), settings(trends_process=process)) as eng:
            feed(eng, first + rest)
            got.append(([e.to_dict() for e in eng.events()], [t.to_dict() for t in eng.trends("1h")]))
    assert got[0] == got[1] and len(got[0][0]) == 2


def test_a_store_from_before_the_checkpoint_is_not_read_again(tmp_path: Path) -> None:
    first, rest = _two_bursts()
    import sqlite3

    with Engine(tmp_path / "d", settings(trends_process=False)) as eng:  # what older versions ran
        feed(eng, first)
        before = [e.to_dict() for e in eng.events()]
    with sqlite3.connect(tmp_path / "d" / "posts.db") as con:  # they kept no checkpoint
        assert con.execute("DELETE FROM consumers WHERE name='trends'").rowcount == 1
    assert len(before) == 1
    with Engine(tmp_path / "d", settings()) as eng:
        assert eng.trends_status().posts_behind == 0  # read as done: no reading the whole store again
        assert [e.to_dict() for e in eng.events()] == before
        feed(eng, rest)
        assert len(_events(eng)) == 2
