"""The cluster on NATS JetStream (docs/cluster.md), for real: a `nats-server -js` on a free
loopback port, shards as real processes (`veristream shard`), the publisher and the root in
this process. Publish -> shards -> scatter-gather finds every post once; a copy storm spread
over partitions is one story with its full counts; a malformed message is quarantined; a
stopped or frozen shard leaves a partial answer naming its partitions. The SIGKILL and NATS
restart rounds are slow (tests/conftest.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import mkpost
from veristream import Settings
from veristream.cli import cli
from veristream.cluster.local import LocalNats, free_port
from veristream.cluster.partition import parse_partitions, partition_of
from veristream.cluster.publish import Publisher
from veristream.cluster.remote import RemoteEngine
from veristream.cluster.shard import partition_settings
from veristream.core.search import SearchError
from veristream.model import Post

NATS_SERVER = Path(sys.executable).with_name("nats-server")
PARTITIONS = 4
STORM = "The bridge on Route 9 has collapsed, avoid the area and take the ferry"

CONFIG = f"""
[vectors]
enabled = false
[core]
durability = "os"
[cluster]
partitions = {PARTITIONS}
query_timeout_s = 1.0
fetch_batch = 100
ack_wait_s = 2.0
"""


def wait_until(cond: Callable[[], bool], timeout: float = 90.0, what: "str | Callable[[], str]" = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what() if callable(what) else what}")
        time.sleep(0.1)


class Nats(LocalNats):
    """A nats-server with JetStream, its store in `dir`; `restart()` keeps port and store."""

    def __init__(self, dir: Path):
        super().__init__(dir, str(NATS_SERVER))


class ShardProc:
    """`veristream shard` for some partitions, as its own process."""

    def __init__(self, url: str, config: Path, partitions: str, data: Path, *extra: str):
        self.args = [sys.executable, "-m", "veristream.cli", "--config", str(config), "shard", "--nats", url,
                     "--partitions", partitions, "--data-dir", str(data), *extra]
        self.log = data.parent / f"shard-{partitions}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "ShardProc":
        self._mark = self.log.stat().st_size if self.log.exists() else 0
        f = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, stdout=f, stderr=f, env=os.environ | {"VERISTREAM_SKIP_LLM": "1"})
        f.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        assert self.proc is not None
        wait_until(lambda: b"ready on" in self.log.read_bytes()[self._mark:] or self.proc.poll() is not None, 60,
                   "the shard to start")
        assert self.proc.poll() is None, self.log.read_text()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict]:
    config = tmp_path / "veristream.toml"
    config.write_text(CONFIG)
    nats = Nats(tmp_path)
    nats.start()
    shards: list[ShardProc] = []

    def shard(partitions: str, *extra: str) -> ShardProc:
        s = ShardProc(nats.url, config, partitions, tmp_path / "shards", *extra).start()
        shards.append(s)
        return s

    def start_shards(*specs: str) -> list[ShardProc]:
        """Shard processes for each partition spec, started together (each takes ~1 s to start)."""
        started = [ShardProc(nats.url, config, spec, tmp_path / "shards").start(wait=False) for spec in specs]
        shards.extend(started)
        for s in started:
            s.wait_ready()
        return started

    settings = Settings.load(config, env={})

    def stop_shards() -> None:
        for s in shards:
            s.stop()

    try:
        yield {"nats": nats, "config": config, "settings": settings, "shard": shard, "shards": start_shards,
               "data": tmp_path / "shards", "stop_shards": stop_shards}
    finally:
        for s in shards:
            s.stop()
        nats.stop()


def posts(n: int, start: int = 0) -> list[Post]:
    topics = ["harbour fire", "marathon results", "power outage downtown", "election night", "river flooding"]
    return [mkpost(f"p{i}", f"update {i} on the {topics[i % 5]} tok{i}", minutes=i / 10, author=f"user{i % 17}")
            for i in range(start, start + n)]


def storm(n: int) -> list[Post]:
    # Copies by many accounts (some as retweets): one story wherever they land.
    return [mkpost(f"storm{i}", (f"RT @origin: {STORM}" if i % 3 else STORM), minutes=5 + i / 100, author=f"copier{i}")
            for i in range(n)]


def stored(eng: RemoteEngine) -> int:
    """Posts stored over every partition (-1 while one has not answered: a busy shard, waited for)."""
    g = eng.client.scatter("status", timeout=5.0)
    return -1 if g.missing else sum(r["posts"] for r in g.replies.values())


def every_key(eng: RemoteEngine) -> list[str]:
    res = eng.search("", all_posts=True, order="time", limit=1000)
    return [h.post.key for h in res.hits]


def test_publish_shards_scatter_gather(cluster: dict) -> None:
    st = cluster["settings"]
    _, b = cluster["shards"]("0-1", "2-3")
    sent = posts(300) + storm(40)
    with Publisher(cluster["nats"].url, st) as pub:
        pub.publish_many(sent)
        # Hostile input on the wire: not JSON, not a post, a post on the wrong partition.
        wrong = next(p for p in posts(20, 1000) if partition_of(p.key, PARTITIONS) != 0)
        pub.publish_raw(0, b"{not json", "bad-1")
        pub.publish_raw(0, b'{"id": "x1", "text": 5}', "bad-2")
        pub.publish_raw(0, json.dumps(wrong.to_dict(), default=str).encode(), "bad-3")
        assert pub.flush(60)
    keys = {p.key for p in sent}
    assert len({partition_of(p.key, PARTITIONS) for p in storm(40)}) == PARTITIONS  # the storm is spread

    with RemoteEngine(cluster["nats"].url, st) as eng:
        wait_until(lambda: stored(eng) == len(sent), what="every post stored")
        # Stored (the count) comes a moment before searchable (the index commit after it).
        wait_until(lambda: len(every_key(eng)) >= len(sent), what="every post searchable")
        found = every_key(eng)
        assert len(found) == len(sent) and set(found) == keys  # every post, once

        res = eng.search("bridge collapsed ferry", limit=5)
        top = res.hits[0]
        assert STORM in top.post.text and top.story is not None
        assert (top.story.posts, top.story.authors) == (40, 40)  # one story, full counts
        assert [h for h in res.hits if h.story and h.story.id == top.story.id] == [top]
        assert eng.missing == {}
        merged = eng.story(top.story.id)
        assert merged is not None and merged[0].posts == 40 and len(merged[1]) == 40
        assert eng.get("file:p7").text.startswith("update 7")

        hits = eng.search("harbour", all_posts=True, limit=1000).hits
        assert {h.post.key for h in hits} == {p.key for p in sent if "harbour" in p.text}
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert isinstance(eng.trends("1h"), list) and isinstance(eng.events(), list)
        with pytest.raises(SearchError, match="unknown query"):  # a shard answers nonsense with a reason
            eng.client.scatter("drop tables")
        with pytest.raises(SearchError, match="order must be"):
            eng.search("harbour", order="sideways")
        assert eng.search("harbour").hits  # and goes on

        # Re-publishing the same posts adds nothing: JetStream drops them by Nats-Msg-Id.
        with Publisher(cluster["nats"].url, st) as again:
            again.publish_many(sent[:50])
            assert again.flush(60)
            assert again.duplicates == 50
        assert stored(eng) == len(sent)

        # An edit of a post is not a re-send: it gets through, and replaces the stored version.
        edited = mkpost("p9", "update 9 corrected: the harbour fire is out", minutes=0.9, author="user9")
        edited.edited_at = edited.created_at + timedelta(minutes=30)
        with Publisher(cluster["nats"].url, st) as again:
            again.publish(edited)
            assert again.flush(60) and again.duplicates == 0
        wait_until(lambda: "corrected" in (eng.get("file:p9").text), what="the edit stored")
        assert stored(eng) == len(sent)

        # A frozen shard: its partitions time out, named; a stopped one: no shard, named.
        b.signal(signal.SIGSTOP)
        eng.begin()
        res = eng.search("", all_posts=True, order="time", limit=1000)
        assert sorted(eng.missing) == [2, 3] and "partitions 2-3 of 4 did not answer" in eng.partial_note()
        assert {h.post.key for h in res.hits} == {k for k in keys if partition_of(k, PARTITIONS) in (0, 1)}
        b.signal(signal.SIGCONT)
        b.signal(signal.SIGTERM)
        eng.begin()
        eng.search("harbour")
        assert sorted(eng.missing) == [2, 3] and "no shard" in eng.partial_note()

    q = (cluster["data"] / "p0" / "quarantine.jsonl").read_text()
    assert "not JSON" in q and "text" in q and "belongs to partition" in q


class QuerySpy:
    """A plain NATS subscriber to the partitions' query subjects: counts the messages a root sends."""

    def __init__(self, url: str, settings: Settings):
        import asyncio

        import nats

        from veristream.cluster.partition import Names

        self.seen: list[str] = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

        async def on(msg) -> None:
            self.seen.append(msg.subject)

        async def start():
            nc = await nats.connect(url)
            await nc.subscribe(Names.of(settings).query(0).rsplit(".", 1)[0] + ".*", cb=on)
            await nc.flush()
            return nc

        self.nc = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    def count(self, fn: Callable[[], Any]) -> int:
        # The spy's copies of the messages arrive after the answers (later on a loaded machine):
        # those of earlier calls are let in first, and these counted once none has come for a while.
        self._quiet(len(self.seen))
        before = len(self.seen)
        fn()
        self._quiet(before + 1)
        return len(self.seen) - before

    def _quiet(self, at_least: int, still_s: float = 0.5) -> None:
        last, still, deadline = -1, 0.0, time.monotonic() + 10
        while time.monotonic() < deadline and (len(self.seen) < at_least or still < still_s):
            n = len(self.seen)
            still = still + 0.05 if n == last else 0.0
            last = n
            time.sleep(0.05)

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.nc.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def test_partitions_of_one_process_are_asked_in_one_message(cluster: dict) -> None:
    st = cluster["settings"]
    _, b = cluster["shards"]("0-1", "2-3")
    sent = posts(200) + storm(20)
    with Publisher(cluster["nats"].url, st) as pub:
        pub.publish_many(sent)
        assert pub.flush(60)
    spy = QuerySpy(cluster["nats"].url, st)
    try:
        with RemoteEngine(cluster["nats"].url, st) as eng:
            wait_until(lambda: len(every_key(eng)) == len(sent), what="every post searchable")
            with RemoteEngine(cluster["nats"].url, st) as fresh:  # knows no layout: one message per partition
                assert spy.count(lambda: fresh.search("harbour fire")) == PARTITIONS
                expected = [(h.post.key, h.score, h.story) for h in fresh.search("harbour fire", limit=30).hits]
            # Two processes serve the four partitions: two messages, the same answer.
            assert spy.count(lambda: eng.search("harbour fire")) == 2
            assert [(h.post.key, h.score, h.story) for h in eng.search("harbour fire", limit=30).hits] == expected
            storm_hit = eng.search("bridge collapsed ferry", limit=1).hits[0]
            assert (storm_hit.story.posts, storm_hit.story.authors) == (20, 20) and eng.missing == {}

            # Partitions 2-3 move to a process each: the group's message reaches partition 2's new
            # process, which answers for 2 alone; 3 is asked on its own in the same query.
            b.signal(signal.SIGTERM)
            cluster["shards"]("2", "3")
            eng.begin()
            assert sorted(h.post.key for h in eng.search("", all_posts=True, order="time", limit=1000).hits) == \
                sorted(p.key for p in sent)
            assert eng.missing == {}
            assert spy.count(lambda: eng.search("harbour fire")) == 3  # 0-1 together, 2 and 3 alone
            with RemoteEngine(cluster["nats"].url, st) as fresh:  # (restarted, the index's tiers changed)
                fresh.search("harbour fire")  # learns the cluster's newest post, which recency counts from
                expected = [(h.post.key, h.score, h.story) for h in fresh.search("harbour fire", limit=30).hits]
            assert [(h.post.key, h.score, h.story) for h in eng.search("harbour fire", limit=30).hits] == expected
    finally:
        spy.close()


def test_cli_publish_status_and_search(cluster: dict, tmp_path: Path) -> None:
    metrics_port = free_port()
    cluster["shard"]("all", "--metrics-port", str(metrics_port))
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(p.to_dict(), default=str) + "\n" for p in posts(60)) + "oops\n")
    url, cfg = cluster["nats"].url, str(cluster["config"])
    root = str(tmp_path / "root")  # the root's own data directory (verify's verdict log)

    def run(cli: Any, args: list[str]) -> Any:
        return CliRunner().invoke(cli, ["--data-dir", root, *args])

    r = run(cli, ["--config", cfg, "ingest", str(src), "--to", url])
    assert r.exit_code == 0 and "published 60 posts" in r.output and "1 rejected" in r.output, r.output
    with RemoteEngine(url, cluster["settings"]) as eng:
        wait_until(lambda: stored(eng) == 60, what="60 posts stored")
        wait_until(lambda: len(every_key(eng)) == 60, what="60 posts searchable")
    r = run(cli, ["--config", cfg, "cluster", "status", "--nats", url, "--json"])
    st = json.loads(r.output)
    assert st["posts"] == 60 and st["lag"] == 0 and st["missing"] == [] and st["stream"]["messages"] == 60
    assert all(p["consumer"] is not None and p["shard"]["posts"] > 0 for p in st["partitions"])
    r = run(cli, ["--config", cfg, "cluster", "status", "--nats", url])
    assert "60 posts stored" in r.output and "lag 0" in r.output
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    posts_by_partition = [float(line.split()[-1]) for line in metrics.splitlines()
                          if line.startswith("veristream_shard_posts{")]
    assert len(posts_by_partition) == 4 and sum(posts_by_partition) == 60
    assert 'veristream_shard_stored_total{partition="0"}' in metrics

    # The reading commands over the cluster, as over a data directory.
    r = run(cli, ["--config", cfg, "search", "harbour", "--nats", url, "--json"])
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.exit_code == 0 and len(hits) == 12 and all("harbour" in h["text"] for h in hits), r.output
    r = run(cli, ["--config", cfg, "ask", "what is the latest on the harbour fire?", "--nats", url, "--json"])
    ans = json.loads(r.stdout)
    assert r.exit_code == 0 and ans["citations"], r.output
    assert all("harbour" in c["text"] for c in ans["citations"])
    r = run(cli, ["--config", cfg, "verify", "there is a fire at the harbour", "--nats", url, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["verdict"], r.output
    for cmd in (["trends", "--json"], ["events", "--json"]):
        r = run(cli, ["--config", cfg, *cmd, "--nats", url])
        assert r.exit_code == 0, r.output
    cluster["stop_shards"]()
    r = run(cli, ["--config", cfg, "search", "harbour", "--nats", url])
    assert r.exit_code == 0 and "partial: partitions 0-3 of 4 did not answer (no shard)" in r.output, r.output


def test_live_source_publishes_and_resumes_from_its_acked_cursor(cluster: dict) -> None:
    # A Bluesky Jetstream source (the loopback stand-in) published to the cluster: its cursor is
    # stored only once the posts before it are acked; a restarted publisher resumes from it.
    from live_servers import Conn, WSServer
    from test_sources_jetstream import T0, key, post_event

    from veristream.cluster.publish import PublishSink
    from veristream.sources import JetstreamConfig, JetstreamSource

    cluster["shard"]("all")
    url, st = cluster["nats"].url, cluster["settings"]
    log = [post_event(n, f"numbered post {n} about the storm") for n in range(1, 6)]
    more = [post_event(n, f"numbered post {n} about the storm") for n in range(6, 9)]
    phase = {"n": 0}

    def script(c: Conn, srv: WSServer) -> None:
        cursor = int(c.query["cursor"][0]) if "cursor" in c.query else None
        for ev in log if phase["n"] == 0 else log + more:
            if cursor is None or ev["time_us"] >= cursor:
                c.send(ev)
        c.hold(srv.stop_event)

    def follow(srv: WSServer, until: str) -> Publisher:
        pub = Publisher(url, st)
        src = JetstreamSource(JetstreamConfig(urls=[srv.url()], backoff_base_s=0.05, backoff_max_s=0.2,
                                              offset_every_s=0.0, overlap_s=0.0015))
        stop = threading.Event()
        t = threading.Thread(target=src.run, args=(PublishSink(pub, "bluesky"), stop), daemon=True)
        t.start()
        wait_until(lambda: pub.stored_offset("bluesky") == until, 30, "the cursor stored")
        stop.set()
        src.interrupt()
        t.join(10)
        pub.close()
        return pub

    with WSServer(script) as srv:
        first = follow(srv, str(T0 + 5000))
        assert first.acked == 5
        phase["n"] = 1  # the publisher stopped; more was posted; it starts again
        again = follow(srv, str(T0 + 8000))
        assert srv.conns[1].query["cursor"] == [str(T0 + 5000 - 1500)]  # from the stored cursor
        assert again.duplicates == 2  # the overlap re-read: dropped by JetStream (Nats-Msg-Id)
    with RemoteEngine(url, st) as eng:
        wait_until(lambda: stored(eng) == 8, what="8 posts stored")
        wait_until(lambda: len(every_key(eng)) == 8, what="8 posts searchable")
        assert sorted(every_key(eng)) == sorted(key(n) for n in range(1, 9))


def test_http_api_over_the_cluster(cluster: dict, tmp_path: Path) -> None:
    # `veristream serve --nats`: the app over a remote engine that publishes what it is given.
    from fastapi.testclient import TestClient

    from veristream.api import create_app

    cluster["shard"]("all")
    url, st = cluster["nats"].url, cluster["settings"]
    sent = posts(40)
    body = "".join(json.dumps(p.to_dict(), default=str) + "\n" for p in sent) + '{"id": "bad"}\n'
    with RemoteEngine(url, st, tmp_path / "root", publish=True) as eng:
        app = create_app(eng, st, token="cluster-token")
        with TestClient(app, base_url="http://127.0.0.1") as client:
            auth = {"Authorization": "Bearer cluster-token"}
            r = client.post("/v1/posts", content=body, headers=auth | {"Content-Type": "application/x-ndjson"})
            assert r.status_code == 200 and r.json()["accepted"] == 40 and r.json()["rejected"] == 1, r.text
            wait_until(lambda: len(every_key(eng)) == 40, what="40 posts searchable")
            r = client.get("/v1/search", params={"q": "harbour", "limit": 50})
            assert r.status_code == 200 and len(r.json()["hits"]) == 8, r.text
            r = client.get("/v1/posts/file:p3")
            assert r.status_code == 200 and r.json()["text"].startswith("update 3"), r.text
            assert client.get("/v1/posts/file:nope").status_code == 404
            assert client.get("/healthz").status_code == 200
            assert client.get("/v1/events").status_code == 200
            assert "partial" not in client.get("/v1/search", params={"q": "harbour"}).json()

            # The shard stops: every response says which partitions it left out, and why.
            cluster["stop_shards"]()
            r = client.get("/v1/search", params={"q": "harbour"})
            assert r.status_code == 200 and r.json()["hits"] == [], r.text
            partial = r.json()["partial"]
            assert partial["missing"] == [0, 1, 2, 3] and partial["partitions"] == PARTITIONS, partial
            assert partial["reasons"]["2"] == "no shard" and "partitions 0-3 of 4 did not answer" in partial["note"]
            assert client.get("/v1/trends").json()["partial"]["missing"] == [0, 1, 2, 3]
            r = client.post("/v1/ask", json={"question": "what happened at the harbour?", "stream": False})
            assert r.status_code == 200 and r.json()["partial"]["missing"] == [0, 1, 2, 3], r.text
            r = client.post("/v1/verify", json={"claim": "the harbour fire spread to the docks"}, headers=auth)
            assert r.status_code == 200 and r.json()["verdict"] == "unverified", r.text
            assert r.json()["partial"]["missing"] == [0, 1, 2, 3], r.text
        assert "bad" in (tmp_path / "root" / "quarantine.jsonl").read_text()


def test_partitions_are_stable_and_parsed() -> None:
    assert partition_of("x:123", 4) == partition_of("x:123", 4)  # xxh3, not the salted hash()
    assert {partition_of(f"x:{i}", 4) for i in range(100)} == {0, 1, 2, 3}
    assert parse_partitions("0-1,3", 4) == [0, 1, 3] and parse_partitions("all", 2) == [0, 1]
    with pytest.raises(ValueError):
        parse_partitions("2-5", 4)


def test_partition_search_candidates_scale_with_partitions() -> None:
    base = Settings.load(env={})
    c = base.search.candidates
    assert partition_settings(base, 1) is base and partition_settings(base, 2) is base
    four = partition_settings(base, 4)
    assert four.search.candidates == c // 2 and four.search.half_life_s == base.search.half_life_s
    assert four.cluster == base.cluster and four.core == base.core


def test_shard_sends_stored_posts_as_the_engine_reads_them(tmp_path: Path) -> None:
    """A shard's search hits carry the stored documents, not Posts written out again: the root
    must rebuild the very posts (links, places, edits, media) and stories the engine returns."""
    from veristream import Engine
    from veristream.cluster.shard import Shard
    from veristream.cluster.wire import post_from
    from veristream.core.search import SearchQuery
    from veristream.model import Card, Geo

    rich = mkpost("r1", "flooding near the harbour bridge in Ipswich", media=True, likes=3)
    rich.geo = Geo(-27.61, 152.76, "Ipswich", "AU")
    rich.cards = [Card("https://news.example/flood", "Flood warning", "Roads closed")]
    rich.edited_at = rich.created_at + timedelta(minutes=5)
    rich.raw = {"kept": "out of the reply"}
    sent = [rich] + posts(30) + storm(5)
    eng = Engine(tmp_path / "p0", Settings.load(env={}))
    try:
        eng.ingest(sent)
        shard = Shard.__new__(Shard)  # only its hit encoders: no NATS here
        shard._gids = {}
        for text in ("harbour", "bridge collapsed ferry", "flooding"):
            q = SearchQuery(text, limit=10)
            full = shard._hits(eng, eng.core.searcher.search_many([q], eng.now_us())[0].hits)
            lean = shard._stored_hits(eng, 0, eng.core.searcher.pick(q, eng.now_us())[0])
            assert [post_from(h["post"]) for h in lean] == [post_from(h["post"]) for h in full]
            assert [(h["seq"], h["ts"], h["story"], h["score"]) for h in lean] == \
                [(h["seq"], h["ts"], h["story"], h["score"]) for h in full]
            assert lean and all("raw" not in h["post"] for h in lean)
        assert rich.key in {post_from(h["post"]).key for h in lean}  # the last query's ("flooding")
    finally:
        eng.close()


def _publish_in_background(url: str, st: Settings, sent: list[Post]) -> tuple[threading.Thread, list]:
    errors: list[BaseException] = []

    def go() -> None:
        try:
            with Publisher(url, st) as pub:
                for i in range(0, len(sent), 100):
                    pub.publish_many(sent[i : i + 100])
                    time.sleep(0.05)  # a stream, not one burst: the kills land mid-stream
                assert pub.flush(120)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t, errors


@pytest.mark.slow
def test_sigkill_shards_mid_stream_lose_and_double_nothing(cluster: dict) -> None:
    st = cluster["settings"]
    shards = cluster["shards"]("0-1", "2-3")
    sent = posts(3000)
    t, errors = _publish_in_background(cluster["nats"].url, st, sent)
    rng = random.Random(17)
    with RemoteEngine(cluster["nats"].url, st) as eng:
        for _ in range(4):
            time.sleep(rng.uniform(0.3, 1.0))
            victim = rng.choice(shards)
            victim.signal(signal.SIGKILL)
            victim.start()
        t.join(180)
        assert not t.is_alive() and not errors, errors
        wait_until(lambda: stored(eng) == len(sent), 120,
                   lambda: f"every post stored ({eng.client.scatter('status', timeout=5)})")
        found = every_key(eng) if len(sent) <= 1000 else None
        assert found is None or len(found) == len(set(found))
        counts = eng.client.scatter("status").replies
        assert sum(r["posts"] for r in counts.values()) == len(sent)
        wait_until(lambda: len(eng.search("harbour", all_posts=True, limit=1000).hits) >= 600, 30, "searchable")
        res = eng.search("harbour", all_posts=True, limit=1000)
        assert {h.post.key for h in res.hits} == {p.key for p in sent if "harbour" in p.text}

        # Partitions move: both processes stop; one process takes all four partitions on.
        for s in shards:
            s.stop()
        cluster["shard"]("all")
        more = posts(200, 5000)
        with Publisher(cluster["nats"].url, st) as pub:
            pub.publish_many(more)
            assert pub.flush(60)
        wait_until(lambda: stored(eng) == len(sent) + len(more), 120, "the moved partitions to go on")
        wait_until(lambda: len(eng.search("tok5199", limit=5).hits) == 1, 30, "the last post searchable")


@pytest.mark.slow
def test_nats_restart_mid_stream_loses_and_doubles_nothing(cluster: dict) -> None:
    st = cluster["settings"]
    cluster["shards"]("0-1", "2-3")
    sent = posts(3000)
    t, errors = _publish_in_background(cluster["nats"].url, st, sent)
    time.sleep(0.8)
    cluster["nats"].restart()  # publishers retry, shards reconnect and bind their consumers again
    time.sleep(1.0)
    cluster["nats"].restart()
    t.join(180)
    assert not t.is_alive() and not errors, errors
    with RemoteEngine(cluster["nats"].url, st) as eng:
        wait_until(lambda: stored(eng) == len(sent), 180, "every post stored")
        wait_until(lambda: len(eng.search("marathon", all_posts=True, limit=1000).hits) >= 600, 30, "searchable")
        res = eng.search("marathon", all_posts=True, limit=1000)
        assert {h.post.key for h in res.hits} == {p.key for p in sent if "marathon" in p.text}


def test_shard_pinned_to_cores(cluster: dict) -> None:
    """`--cpus` pins the shard process (and the threads its engines start) to those cores; a
    core the machine lacks is refused before anything starts."""
    s = cluster["shard"]("all", "--cpus", "0")
    assert s.proc is not None
    assert os.sched_getaffinity(s.proc.pid) == {0}
    threads = list(Path(f"/proc/{s.proc.pid}/task").iterdir())
    assert len(threads) > 1 and all(os.sched_getaffinity(int(t.name)) == {0} for t in threads)
    assert "on CPUs 0 ready on" in s.log.read_text()
    bad = subprocess.run([sys.executable, "-m", "veristream.cli", "--config", str(cluster["config"]), "shard",
                          "--nats", cluster["nats"].url, "--cpus", str(os.cpu_count() or 1)],
                         capture_output=True, text=True, timeout=60, env=os.environ | {"VERISTREAM_SKIP_LLM": "1"})
    assert bad.returncode == 2 and "--cpus" in bad.stderr
