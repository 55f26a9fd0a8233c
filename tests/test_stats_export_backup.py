"""Running it for weeks: `stats` against a known data set, export round-trips (JSONL back
through ingest, Parquet through pyarrow), and backup taken mid-ingest, then restored."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from veristream import Author, Engine, Media, Post, Settings
from veristream.model import Geo, Metrics
from veristream.cli import cli
from conftest import T0, mkpost


def run(args: list[str]):
    res = CliRunner().invoke(cli, args, catch_exceptions=False)
    return res


def rich_posts() -> list[Post]:
    """Every field of the schema used somewhere."""
    edited = mkpost("e", "Edited: the ferry leaves at 9, not 8 #ferry", minutes=3, author="port")
    edited.edited_at = T0 + timedelta(minutes=4)
    full = Post(id="full", source="mastodon", author=Author("m1", "reporter@social.example", "Rita Reporter", True, 1200,
                                                             T0 - timedelta(days=400)),
                text="Photos from the harbour flood #flood @coastguard https://news.example/a", created_at=T0,
                lang="en", reply_to="r0", urls=["https://news.example/a"], hashtags=["flood"], mentions=["coastguard"],
                media=[Media("photo", "https://img.example/1.jpg", "flooded pier"), Media("video", "https://v.example/2")],
                geo=Geo(51.5, -0.1, "Harbour", "GB"), metrics=Metrics(3, 10, 2, 1, 500), url="https://social.example/@r/1",
                extra={"rules": ["flood"]}, raw={"id": "full", "content": "<p>Photos</p>"})
    return [full, edited,
            mkpost("es1", "Inundación en el puerto esta mañana", minutes=1, author="noticias", lang="es"),
            mkpost("rt", "RT @reporter: Photos from the harbour flood", minutes=2, author="fan", repost_of="full",
                   source="mastodon"),
            mkpost("nolang", "zzz 123", minutes=5, author="bot", lang=None)]


# -- stats -------------------------------------------------------------------------------------

def test_stats_against_a_known_data_set(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "veristream.toml").write_text("retention_days = 30\n")  # read by the command too
    eng = Engine(data, Settings.load(data_dir=data, env={}))
    text = "Bridge on route 9 closed after the flood, detour through the old mill road"
    posts = [mkpost(f"c{i}", text, minutes=i, author=f"a{i % 2}") for i in range(4)]  # one story of 4, 2 authors
    posts += [mkpost(f"en{i}", t, minutes=10 + i, author="a0")
              for i, t in enumerate(["Ferry timetable changes on Monday", "Storm warning for the northern coast tonight",
                                     "Local bakery wins the regional bread prize"])]
    posts += [mkpost(f"es{i}", t, minutes=20 + i, author="b", lang="es")
              for i, t in enumerate(["Corte de luz en el barrio norte", "Mañana abre el nuevo mercado central"])]
    posts.append(mkpost("x", "no language given", minutes=30, author="c", lang=None))
    eng.ingest(posts)
    eng.reject("bad.jsonl", 3, "not JSON", b"{oops")
    st = eng.stats()
    assert (st.posts, st.stories, st.story_summaries, st.authors) == (10, 7, 1, 4)
    assert st.oldest == T0 and st.newest == T0 + timedelta(minutes=30)
    assert st.languages == {"en": 7, "es": 2, "": 1}
    assert st.index_docs == 10 and st.quarantined == 1
    assert st.ingest_rate > 0
    assert st.retention["days"] == 30 and st.retention["in_force"] and st.expiry["expired"] == 0
    assert st.disk["store"] > 0 and st.disk["index"] > 0 and st.disk["quarantine"] > 0
    assert st.disk["total"] >= st.disk["store"] + st.disk["index"] + st.disk["quarantine"]
    assert st.sources is None  # no live source runs in this process
    if eng.vectors is None:
        assert st.embedding_lag is None
    else:  # posts behind the embedder, however far it has got
        assert 0 <= st.embedding_lag["posts"] <= 10 and st.embedding_lag["state"]
    eng.close()
    # The command shows the same figures, read-only (a writer may be running).
    out = orjson.loads(run(["--data-dir", str(data), "stats", "--json"]).stdout)
    assert (out["posts"], out["stories"], out["authors"], out["languages"]) == (10, 7, 4, {"en": 7, "es": 2, "": 1})
    assert out["oldest"] == "2026-01-15T12:00:00Z" and out["expiry"] is None
    text_out = run(["--data-dir", str(data), "stats"]).stdout
    assert "posts        10 " in text_out and "en 70.0%" in text_out and "retention    30 days of event time" in text_out


# -- export --------------------------------------------------------------------------------------

def test_jsonl_export_round_trips_through_ingest(tmp_path: Path) -> None:
    src, dst, out = tmp_path / "src", tmp_path / "dst", tmp_path / "all.jsonl"
    eng = Engine(src, Settings.load(env={}))
    eng.ingest(rich_posts())
    eng.close()
    res = run(["--data-dir", str(src), "export", "-o", str(out)])
    assert "exported 5 posts" in res.stderr
    lines = out.read_bytes().splitlines()
    assert len(lines) == 5 and orjson.loads(lines[0])["id"] == "full"  # oldest first
    res = run(["--data-dir", str(dst), "ingest", str(out), "-q"])
    assert "5 new" in res.stderr
    a, b = Engine(src, readonly=True), Engine(dst, readonly=True)
    try:
        assert b.count() == a.count() == 5
        for p in rich_posts():
            assert b.get(p.key) == a.get(p.key)
            da, db = a.store.doc_by_key(p.key), b.store.doc_by_key(p.key)
            for d in (da, db):
                del d["seq"], d["story"]  # the store's own addresses, not part of the post
            assert da == db  # raw included
        assert b.get("mastodon:full") == rich_posts()[0]
        # Stories are found again from the posts themselves.
        assert b.search("harbour flood").hits[0].story.posts == 2
    finally:
        a.close()
        b.close()


def test_export_selects_by_time_and_query(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest([mkpost(str(i), f"{'flood' if i % 3 == 0 else 'sunny'} report {i}", minutes=i) for i in range(30)])
    eng.close()
    d = str(tmp_path / "d")
    ids = lambda r: [orjson.loads(x)["id"] for x in r.stdout_bytes.splitlines()]  # noqa: E731
    assert ids(run(["--data-dir", d, "export", "--since", "2026-01-15T12:10:00Z", "--until", "2026-01-15T12:12:00Z"])) == ["10", "11", "12"]
    assert ids(run(["--data-dir", d, "export", "--since", "5m"])) == [str(i) for i in range(24, 30)]  # back from event-time now
    assert ids(run(["--data-dir", d, "export", "--query", "flood", "--until", "2026-01-15T12:10:00Z"])) == ["0", "3", "6", "9"]
    assert ids(run(["--data-dir", d, "export", "--query", "nothing-matches"])) == []
    res = CliRunner().invoke(cli, ["--data-dir", d, "export", "--format", "parquet"])
    assert res.exit_code == 2 and "Parquet needs a file" in res.output


def test_parquet_export(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest(rich_posts())
    eng.close()
    out = tmp_path / "posts.parquet"
    run(["--data-dir", str(tmp_path / "d"), "export", "--format", "parquet", "-o", str(out)])
    t = pq.read_table(out)
    assert t.num_rows == 5
    rows = {r["key"]: r for r in t.to_pylist()}
    full = rows["mastodon:full"]
    assert full["created_at"] == T0 and full["author_created_at"] == T0 - timedelta(days=400)
    assert (full["author_handle"], full["author_verified"], full["author_followers"]) == ("reporter@social.example", True, 1200)
    assert full["hashtags"] == ["flood"] and full["mentions"] == ["coastguard"]
    assert full["media"] == [{"kind": "photo", "url": "https://img.example/1.jpg", "alt": "flooded pier"},
                             {"kind": "video", "url": "https://v.example/2", "alt": None}]
    assert (full["geo_lat"], full["geo_country"], full["likes"], full["views"]) == (51.5, "GB", 10, 500)
    assert orjson.loads(full["raw"]) == {"id": "full", "content": "<p>Photos</p>"}
    assert orjson.loads(full["extra"]) == {"rules": ["flood"]}
    assert rows["mastodon:rt"]["story"] == full["story"] and rows["mastodon:rt"]["repost_of"] == "full"
    assert rows["file:e"]["edited_at"] == T0 + timedelta(minutes=4)
    assert rows["file:nolang"]["lang"] is None


# -- while ingest runs ---------------------------------------------------------------------------

class Ingesting:
    """A writer thread ingesting batches until stopped; `accepted` lists every key whose
    ingest call has returned (accepted means committed)."""

    def __init__(self, eng: Engine):
        self.eng = eng
        self.accepted: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        b = 0
        try:
            while not self.stop.is_set():
                posts = [mkpost(f"{b}-{i}", f"live post {b} {i} about the tide", minutes=b + i / 100, author=f"u{i}")
                         for i in range(50)]
                self.eng.ingest(posts)
                self.accepted += [p.key for p in posts]
                b += 1
        except BaseException as e:  # surfaced by the test
            self.error = e

    def __enter__(self) -> "Ingesting":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        assert self.error is None, self.error

    def wait_for(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < n:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "ingest too slow"
            time.sleep(0.01)


def test_backup_taken_mid_ingest_restores_every_post_accepted_before_it(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "live", Settings.load(env={}, durability="os"))
    eng.reject("x.jsonl", 1, "not JSON", b"{")
    with Ingesting(eng) as ing:
        ing.wait_for(500)
        before = list(ing.accepted)  # all committed: each ingest call had returned
        info = eng.backup(tmp_path / "bk")
        n_during = len(ing.accepted)
        ing.wait_for(n_during + 100)  # ingest went on during and after the backup
    eng.close()
    assert info.posts >= len(before)
    res = run(["--data-dir", str(tmp_path / "restored"), "restore", str(tmp_path / "bk")])
    assert f"restored {info.posts:,} posts ({info.posts:,} indexed)" in res.stderr
    r = Engine(tmp_path / "restored", readonly=True)
    try:
        assert r.count() == info.posts
        missing = [k for k in before if r.get(k) is None]
        assert missing == []
        assert r.search("tide", all_posts=True, limit=5).total == info.posts  # the index was rebuilt
        assert r.quarantine.count() == 1
    finally:
        r.close()


def test_export_mid_ingest_is_one_consistent_snapshot(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, durability="os"))
    with Ingesting(eng) as ing:
        ing.wait_for(300)
        before = set(ing.accepted)
        with eng.export() as ex:
            ing.wait_for(len(ing.accepted) + 200)  # more arrives after the snapshot began
            keys = [f"{d['source']}:{d['id']}" for rows in ex.batches() for *_, doc in rows for d in [orjson.loads(doc)]]
    eng.close()
    assert len(keys) == ex.total == len(set(keys))
    assert before <= set(keys)


def test_backup_and_restore_refuse_to_overwrite(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}))
    eng.ingest([mkpost("1", "hello")])
    eng.close()
    d = str(tmp_path / "d")
    assert run(["--data-dir", d, "backup", str(tmp_path / "bk")]).exit_code == 0
    res = CliRunner().invoke(cli, ["--data-dir", d, "backup", str(tmp_path / "bk")])
    assert res.exit_code == 2 and "not empty" in res.output
    res = CliRunner().invoke(cli, ["--data-dir", d, "restore", str(tmp_path / "bk")])
    assert res.exit_code == 2 and "already holds data" in res.output
    res = CliRunner().invoke(cli, ["--data-dir", d, "restore", str(tmp_path)])
    assert res.exit_code == 2 and "not a veristream backup" in res.output
    res = run(["--data-dir", d, "restore", "--force", str(tmp_path / "bk")])
    assert "restored 1 posts" in res.stderr


@pytest.mark.parametrize("cmd", ["stats", "export", "backup"])
def test_commands_need_data(tmp_path: Path, cmd: str) -> None:
    args = ["--data-dir", str(tmp_path / "none"), cmd] + ([str(tmp_path / "bk")] if cmd == "backup" else [])
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "no veristream data" in res.output
