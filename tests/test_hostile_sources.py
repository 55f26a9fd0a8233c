"""Hostile messages on live sources (issue 15): a poison record is quarantined and the source
goes on; a Jetstream event from the far future never becomes the saved cursor; a source
whose thread dies anyway is restarted with back-off, the failure in its status."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
from live_servers import Conn, HTTPServer, Request, WSServer, wait_for

from veristream import Engine, Settings
from veristream.model import Author, Post
from veristream.sources import JetstreamConfig, JetstreamSource, SourceRunner, XConfig, XSource
from veristream.sources.base import Sink, Source

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
T0 = 1_767_000_000_000_000  # 2025-12-29
YEAR_5138 = 99_999_999_999_999_999


def settings() -> Settings:
    return Settings.load(env={}, durability="os", batch_delay_ms=1.0)


def post_event(n: int, text: str, t: int | None = None, **record) -> dict:
    return {"did": DID, "time_us": T0 + n * 1000 if t is None else t, "kind": "commit",
            "commit": {"rev": f"rev{n:03d}", "operation": "create", "collection": "app.bsky.feed.post",
                       "rkey": f"rkey{n:03d}", "cid": f"bafy{n:03d}",
                       "record": {"$type": "app.bsky.feed.post", "createdAt": "2025-12-29T09:20:00.000Z",
                                  "langs": ["en"], "text": text, **record}}}


def key(n: int) -> str:
    return f"bluesky:at://{DID}/app.bsky.feed.post/rkey{n:03d}"


def quarantined(data: Path) -> list[dict]:
    p = data / "quarantine.jsonl"
    return [orjson.loads(x) for x in p.read_bytes().splitlines()] if p.exists() else []


def test_jetstream_poison_records_are_quarantined_and_the_source_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    deep = '{"a":' * 300 + "1" + "}" * 300  # an unknown field nested past what the writer can store

    def script(c: Conn, srv: WSServer) -> None:
        c.send(post_event(1, "Flood gauge rising at the north bridge"))
        c.send(post_event(2, "facet with features 5", facets=[{"index": {"byteStart": 0, "byteEnd": 5},
                                                                 "features": 5}]))
        c.send(post_event(3, "from the year 5138", t=YEAR_5138))
        c.send(orjson.dumps(post_event(4, "deep unknown field")).decode().replace('"langs"', '"x":' + deep + ',"langs"', 1))
        c.send(post_event(5, "kind is a list") | {"kind": ["commit"]})
        c.send(post_event(6, "huge number", t=2**64 - 1))
        c.send(post_event(7, "Flood gauge back to normal at the north bridge"))
        c.hold(srv.stop_event)

    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(JetstreamConfig(urls=[srv.url()], backoff_base_s=0.05, backoff_max_s=0.2,
                                              offset_every_s=0.0))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.received >= 7, what="all messages")
            wait_for(lambda: src.status.accepted == 2, what="the good posts")
            runner.flush()
            st = src.status
            assert st.state == "connected" and st.connected and runner.running and runner.dead() == []
            assert st.rejected == 5 and st.reconnects == 0 and st.restarts == 0
            assert runner.pipeline is not None and runner.pipeline.alive
            assert {h.post.key for h in eng.search("flood gauge", all_posts=True).hits} == {key(1), key(7)}
        # the cursor is the last good event's, never the year 5138
        assert eng.offsets()["bluesky"] == str(T0 + 7000)
    reasons = [q["reason"] for q in quarantined(data)]
    assert len(reasons) == 5
    assert any("record.facets.features" in r for r in reasons)
    assert any("ahead of this machine's clock" in r for r in reasons)
    assert any("cannot be stored" in r and "raw" in r and key(4)[8:] in r for r in reasons)
    assert any("event kind" in r for r in reasons)


def test_jetstream_never_saves_or_resumes_from_a_cursor_in_the_future(tmp_path: Path) -> None:
    data = tmp_path / "data"
    now_us = time.time_ns() // 1000
    # as left by the old code after a forged time_us: resuming there would skip to "now"
    with Engine(data, settings()) as eng:
        eng.ingest([], {"bluesky": str(YEAR_5138)})

    def script(c: Conn, srv: WSServer) -> None:
        c.send(post_event(1, "two days ahead of the clock",
                          t=now_us + 2 * 86_400_000_000))
        c.send(post_event(2, "Shelter open at the school gym", t=now_us - 1_000_000))
        c.hold(srv.stop_event)

    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(JetstreamConfig(urls=[srv.url()], offset_every_s=0.0))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 1 and src.status.rejected == 1)
            runner.flush()
            assert "in the future" in (src.status.last_error or "")
        cursor = int(srv.conns[0].query["cursor"][0])
        assert now_us - 60_000_000 < cursor <= time.time_ns() // 1000  # from now, not the year 5138
        # resumed from "now" at start-up, and the event two days ahead never moved it
        assert now_us - 1_000_000 <= int(eng.offsets()["bluesky"]) <= time.time_ns() // 1000


def tweet(n: int, text: str) -> dict:
    tid = str(1_880_000_000_000_000_000 + n)
    return {"data": {"id": tid, "text": text, "author_id": "2244994945", "created_at": "2026-01-15T12:00:00.000Z",
                     "lang": "en", "attachments": {"media_keys": ["3_1"]},
                     "referenced_tweets": [{"type": "replied_to", "id": "1880000000000000000"}]},
            "includes": {"users": [{"id": "2244994945", "username": "floodwatch", "verified_type": "government"}],
                         "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/F1.jpg"}]}}


def test_x_poison_messages_are_quarantined_and_the_stream_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad_ref = tweet(2, "bad ref type")
    bad_ref["data"]["referenced_tweets"][0]["type"] = ["quoted"]
    bad_user = tweet(3, "bad verified type")
    bad_user["includes"]["users"][0]["verified_type"] = ["blue"]
    bad_media = tweet(4, "bad media type")
    bad_media["includes"]["media"][0]["type"] = {"photo": 1}
    errors_list = {"errors": [{"title": ["x"] * 3, "detail": {"a": 1}}]}

    def handler(req: Request, srv: HTTPServer) -> None:
        if req.index > 0:
            req.silent_until_closed()
            return
        req.start_stream()
        req.line(tweet(1, "Flood water over the road on 5th avenue"))
        for bad in (bad_ref, bad_user, bad_media, errors_list):
            req.line(bad)
        req.line(tweet(5, "Flood water receding on 5th avenue"))
        req.silent_until_closed()

    with HTTPServer(handler) as srv, Engine(data, settings()) as eng:
        src = XSource(XConfig(base_url=srv.url, bearer_token="t", stall_timeout_s=5.0))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 2, what="the good posts")
            runner.flush()
            st = src.status
            assert st.connected and st.rejected == 3 and st.reconnects == 0 and st.restarts == 0
            assert {h.post.id for h in eng.search("flood water", all_posts=True).hits} == {
                "1880000000000000001", "1880000000000000005"}
    reasons = " | ".join(q["reason"] for q in quarantined(data))
    for field in ("referenced_tweets.type", "user.verified_type", "media.type"):
        assert field in reasons


class Flaky(Source):
    """A source whose thread dies on its first two runs (as an unforeseen bug would kill it)."""

    kind = "flaky"

    def __init__(self) -> None:
        super().__init__("flaky")
        self.runs = 0

    def _run(self, sink: Sink) -> None:
        self.runs += 1
        self.connected("test://flaky")
        if self.runs <= 2:
            raise KeyError(f"bug on run {self.runs}")
        self.hand_over(sink, Post(id="1", source="api", author=Author("a", "a"), text="made it after two restarts",
                                  created_at=datetime(2026, 1, 1, tzinfo=timezone.utc)))
        self.stop_event.wait()


def test_a_source_thread_that_dies_is_restarted_with_backoff_and_says_so(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        src = Flaky()
        runner = SourceRunner(eng, [src], restart_base_s=0.2, restart_max_s=1.0)
        t0 = time.monotonic()
        with runner:
            wait_for(lambda: src.status.accepted == 1, what="the post after the restarts")
            took = time.monotonic() - t0
            runner.flush()
            st = src.status
            assert src.runs == 3 and st.restarts == 2 and st.state == "connected"
            assert "KeyError" in (st.last_error or "") and "bug on run 2" in st.last_error
            assert runner.dead() == [] and runner.summary()["errors"] == {}
        assert took >= 0.2 * 0.8 + 0.4 * 0.8  # backed off: jittered 0.2 s, then 0.4 s
        assert eng.search("restarts").hits[0].post.id == "1"


def test_restart_backoff_is_interrupted_by_stop(tmp_path: Path) -> None:
    class Broken(Source):
        kind = "broken"

        def _run(self, sink: Sink) -> None:
            raise RuntimeError("always")

    with Engine(tmp_path / "data", settings()) as eng:
        src = Broken("broken")
        runner = SourceRunner(eng, [src], restart_base_s=30.0).start()
        wait_for(lambda: src.status.state == "restarting")
        t = time.monotonic()
        runner.stop()
        assert time.monotonic() - t < 5 and not runner.running
        assert src.status.restarts == 1 and src.status.state == "stopped"
