"""Bluesky Jetstream source against a loopback WebSocket server speaking Jetstream's protocol."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest
from live_servers import Conn, WSServer, free_port, wait_for

from veristream import Engine, Settings
from veristream.sources import JetstreamConfig, JetstreamSource, SourceError, SourceRunner

T0 = 1_767_000_000_000_000  # time_us of the first event (2025-12-29)
DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def post_event(n: int, text: str, op: str = "create", t: int | None = None, did: str = DID) -> dict:
    """A commit event shaped as Jetstream sends it."""
    time_us = t if t is not None else T0 + n * 1000
    ev = {"did": did, "time_us": time_us, "kind": "commit",
          "commit": {"rev": f"3l3qo2vutsw{n:02d}", "operation": op, "collection": "app.bsky.feed.post",
                     "rkey": f"3l3qo2vuowo{n:02d}"}}
    if op != "delete":
        ev["commit"]["record"] = {"$type": "app.bsky.feed.post", "createdAt": "2025-12-29T09:20:00.000Z",
                                  "langs": ["en"], "text": text}
        ev["commit"]["cid"] = f"bafyreidwaivazkwu67xztlmuobx35hs2lzfh3kolmgfmucldvhd3sgzcq{n:02d}"
    return ev


def key(n: int) -> str:
    return f"bluesky:at://{DID}/app.bsky.feed.post/3l3qo2vuowo{n:02d}"


def settings() -> Settings:
    return Settings.load(env={}, durability="os", batch_delay_ms=1.0)


def config(*urls: str, **kw) -> JetstreamConfig:
    kw.setdefault("backoff_base_s", 0.05)
    kw.setdefault("backoff_max_s", 0.2)
    kw.setdefault("offset_every_s", 0.0)
    return JetstreamConfig(urls=list(urls), **kw)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_posts_updates_deletes_and_bad_messages_flow_into_search(data: Path) -> None:
    script_done = threading.Event()

    def script(c: Conn, srv: WSServer) -> None:
        c.send(post_event(1, "Flooding on the river road near the old mill"))
        c.send(post_event(2, "Second post about the flooding downtown"))
        c.send({"did": DID, "time_us": T0 + 2500, "kind": "identity",
                "identity": {"did": DID, "handle": "alice.bsky.social", "seq": 1409752997, "time": "2025-12-29T09:20:00.000Z"}})
        c.send({"did": DID, "time_us": T0 + 2600, "kind": "account",
                "account": {"active": True, "did": DID, "seq": 1409753013, "time": "2025-12-29T09:20:00.000Z"}})
        c.send("{not json")  # malformed
        c.send({"did": DID, "time_us": T0 + 2700, "kind": "mystery"})  # unknown kind
        c.send({"did": DID, "time_us": T0 + 2800, "kind": "commit",  # a post without text
                "commit": {"rev": "x", "operation": "create", "collection": "app.bsky.feed.post", "rkey": "bad",
                           "record": {"createdAt": "2025-12-29T09:20:00.000Z"}}})
        c.send(post_event(3, "A like is not a post") | {"commit": {**post_event(3, "")["commit"],
                                                                     "collection": "app.bsky.feed.like"}})
        c.send(post_event(1, "Flooding on the river road, bridge now closed", op="update", t=T0 + 4000))
        c.send(post_event(2, "", op="delete", t=T0 + 5000))
        c.send(post_event(6, "After the bad ones, the stream goes on: evacuation center open"))
        script_done.set()
        c.hold(srv.stop_event)

    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(config(srv.url()))
        with SourceRunner(eng, [src]) as runner:
            assert eng.sources is runner
            wait_for(lambda: src.status.received >= 11, what="all messages")
            wait_for(lambda: src.status.accepted == 4 and src.status.deleted == 1)  # 3 posts + 1 update
            runner.flush()
            st = src.status
            assert st.connected and st.state == "connected" and st.endpoint == srv.url()
            assert st.rejected == 3 and st.ignored == 3 and st.reconnects == 0
            assert st.lag_s is not None and st.last_message_at is not None
            q = srv.conns[0].query
            assert q["wantedCollections"] == ["app.bsky.feed.post"] and "cursor" not in q
            # search sees the update, not the old text, and not the deleted post
            hits = eng.search("bridge closed").hits
            assert [h.post.key for h in hits] == [key(1)]
            assert eng.search("mill").hits == []  # the old version's words are gone from the index
            assert eng.get(key(2)) is None
            assert eng.search("evacuation").hits[0].post.key == key(6)
        assert eng.sources is None
        assert eng.count() == 2
        # the position of the last event is stored with the posts
        assert eng.offsets()["bluesky"] == str(T0 + 6000)
        reasons = [orjson.loads(x)["reason"] for x in (data / "quarantine.jsonl").read_bytes().splitlines()]
        assert len(reasons) == 3
        assert any("not JSON" in r for r in reasons) and any("unknown Jetstream event kind" in r for r in reasons)
        assert any("record.text" in r for r in reasons)
        assert all(orjson.loads(x)["input"] == "bluesky" for x in (data / "quarantine.jsonl").read_bytes().splitlines())


def test_disconnect_mid_message_reconnects_with_cursor_and_loses_nothing(data: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        if c.index == 0:
            c.send(post_event(1, "first post before the cut"))
            c.send(post_event(2, "second post before the cut"))
            c.cut_mid_message()
            return
        c.send(post_event(2, "second post before the cut"))  # the overlap, sent again
        c.send(post_event(3, "third post after the reconnect"))
        c.hold(srv.stop_event)

    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(config(srv.url(), overlap_s=0.001))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted >= 4, what="posts after the reconnect")
            runner.flush()
            assert src.status.reconnects == 1 and src.status.connected
            assert "ConnectionClosed" in (src.status.last_error or "")
        # reconnected from the last event's time_us minus the overlap (1 ms)
        assert srv.conns[1].query["cursor"] == [str(T0 + 2000 - 1000)]
        assert eng.count() == 3
        assert sorted(h.post.key for h in eng.search("post", all_posts=True).hits) == [key(1), key(2), key(3)]


def test_restart_resumes_from_the_stored_cursor_with_no_gap_and_no_duplicate(data: Path) -> None:
    # The server keeps a log and honours `cursor` like Jetstream: events with time_us >= cursor.
    log = [post_event(n, f"numbered post {n} about the storm") for n in range(1, 6)]
    more = [post_event(n, f"numbered post {n} about the storm") for n in range(6, 9)]
    phase = {"n": 0}

    def script(c: Conn, srv: WSServer) -> None:
        cursor = int(c.query["cursor"][0]) if "cursor" in c.query else None
        events = log if phase["n"] == 0 else log + more
        for ev in events:
            if cursor is None or ev["time_us"] >= cursor:
                c.send(ev)
        c.hold(srv.stop_event)

    with WSServer(script) as srv:
        with Engine(data, settings()) as eng:
            src = JetstreamSource(config(srv.url(), overlap_s=0.0015))
            with SourceRunner(eng, [src]):
                wait_for(lambda: src.status.accepted == 5)
            assert eng.offsets()["bluesky"] == str(T0 + 5000)
        # ... the process stops; meanwhile more is posted; it starts again
        phase["n"] = 1
        with Engine(data, settings()) as eng:
            src = JetstreamSource(config(srv.url(), overlap_s=0.0015))
            with SourceRunner(eng, [src]) as runner:
                wait_for(lambda: src.status.accepted >= 5)  # 2 re-read (overlap) + 3 new
                runner.flush()
                totals = runner.totals
            assert srv.conns[1].query["cursor"] == [str(T0 + 5000 - 1500)]
            assert totals.accepted == 3 and totals.duplicates == 2
            assert eng.count() == 8
            keys = [h.post.key for h in eng.search("numbered storm", all_posts=True, limit=50).hits]
            assert sorted(keys) == [key(n) for n in range(1, 9)]
            assert eng.offsets()["bluesky"] == str(T0 + 8000)


def test_fails_over_to_the_next_instance(data: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        c.send(post_event(1, "served by the second instance"))
        c.hold(srv.stop_event)

    dead = f"ws://127.0.0.1:{free_port()}/subscribe"
    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(config(dead, srv.url(), open_timeout_s=2))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.accepted == 1)
            st = src.status
            assert st.endpoint == srv.url() and st.connected and st.reconnects == 1
            assert "refused" in (st.last_error or "").lower() or "Errno" in (st.last_error or "")


def test_silence_past_the_idle_limit_reconnects(data: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        c.send(post_event(c.index + 1, f"message on connection {c.index}"))
        c.hold(srv.stop_event)  # then nothing

    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(config(srv.url(), idle_timeout_s=0.3))
        with SourceRunner(eng, [src]):
            wait_for(lambda: len(srv.conns) >= 2, what="a reconnect after silence")
            wait_for(lambda: src.status.accepted >= 2)
            assert "no message for 0.3s" in (src.status.last_error or "")
        gap = srv.conns[1].opened - srv.conns[0].opened
        assert gap >= 0.3


def test_wanted_dids_and_collections_are_sent() -> None:
    src = JetstreamSource(JetstreamConfig(urls=["wss://jetstream2.us-west.bsky.network/subscribe"],
                                          collections=["app.bsky.feed.post", "app.bsky.feed.like"],
                                          dids=["did:plc:a", "did:plc:b"]))
    url = src.url(src.config.urls[0], 1725911162329308)
    assert url.startswith("wss://jetstream2.us-west.bsky.network/subscribe?")
    assert "wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.like" in url
    assert "wantedDids=did%3Aplc%3Aa&wantedDids=did%3Aplc%3Ab" in url and "cursor=1725911162329308" in url


def test_zstd_compressed_stream_with_a_dictionary(data: Path, tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    # Jetstream's own dictionary is not shipped; the mechanism is the same with any dictionary.
    samples = [orjson.dumps(post_event(n, f"sample post number {n} with some words #tag{n % 7}"))
               for n in range(400)]
    zdict = zstandard.train_dictionary(4096, samples)
    path = tmp_path / "zstd_dictionary"
    path.write_bytes(zdict.as_bytes())
    comp = zstandard.ZstdCompressor(dict_data=zdict)

    def script(c: Conn, srv: WSServer) -> None:
        assert c.query.get("compress") == ["true"]
        c.send(comp.compress(orjson.dumps(post_event(1, "compressed post about the eclipse"))))
        c.send(b"\x28\xb5\x2f\xfd garbage")  # a corrupt frame: quarantined
        c.send(comp.compress(orjson.dumps(post_event(2, "another compressed eclipse post"))))
        c.hold(srv.stop_event)

    with WSServer(script) as srv, Engine(data, settings()) as eng:
        src = JetstreamSource(config(srv.url(), compress=True, zstd_dictionary=str(path)))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 2 and src.status.rejected == 1)
            runner.flush()
            assert len(eng.search("eclipse", all_posts=True).hits) == 2


def test_compress_without_the_dictionary_says_what_to_do() -> None:
    with pytest.raises(SourceError, match="zstd_dictionary"):
        JetstreamSource(JetstreamConfig(compress=True))


def test_back_pressure_slows_the_source_and_drops_nothing(tmp_path: Path) -> None:
    n = 100

    def script(c: Conn, srv: WSServer) -> None:
        for i in range(1, n + 1):
            c.send(post_event(i, f"burst post {i} during the outage"))
        c.hold(srv.stop_event)

    # a tiny queue and fsync'd batches of 5: the writer is the bottleneck
    s = Settings.load(env={}, queue_max=5, batch_max=5, batch_delay_ms=0.0)
    with WSServer(script) as srv, Engine(tmp_path / "d", s) as eng:
        src = JetstreamSource(config(srv.url()))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == n, timeout=30)
            runner.flush()
            assert src.status.blocked_s > 0
        assert eng.count() == n
