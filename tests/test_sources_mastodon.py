"""Mastodon streaming source against loopback servers: the WebSocket streaming API and REST."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from live_servers import Conn, HTTPServer, Request, WSServer, wait_for

from veristream import Engine, Settings
from veristream.sources import MastodonConfig, MastodonSource, SourceError, SourceRunner

TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0"
HOST = "social.example"


def status(n: int, text: str, edited: bool = False, tags: list[str] | None = None) -> dict:
    """A Status entity as the API sends it."""
    sid = str(113_000_000_000_000_000 + n)
    return {
        "id": sid, "created_at": "2026-01-15T12:00:00.000Z", "in_reply_to_id": None,
        "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "", "visibility": "public",
        "language": "en", "uri": f"https://{HOST}/users/alice/statuses/{sid}",
        "url": f"https://{HOST}/@alice/{sid}", "replies_count": 0, "reblogs_count": 2, "favourites_count": 5,
        "edited_at": "2026-01-15T12:05:00.000Z" if edited else None,
        "content": f"<p>{text}</p>", "reblog": None, "application": {"name": "Web", "website": None},
        "account": {"id": "109", "username": "alice", "acct": "alice", "display_name": "Alice",
                    "locked": False, "bot": False, "created_at": "2022-11-01T00:00:00.000Z",
                    "url": f"https://{HOST}/@alice", "uri": f"https://{HOST}/users/alice",
                    "followers_count": 120, "following_count": 80, "statuses_count": 999},
        "media_attachments": [], "mentions": [],
        "tags": [{"name": t, "url": f"https://{HOST}/tags/{t}"} for t in tags or []],
        "emojis": [], "card": None, "poll": None,
    }


def event(name: str, payload, stream: list[str] | None = None) -> dict:
    return {"stream": stream or ["public"], "event": name,
            "payload": payload if isinstance(payload, str) else orjson.dumps(payload).decode()}


def key(n: int) -> str:
    return f"mastodon:https://{HOST}/users/alice/statuses/{113_000_000_000_000_000 + n}"


def sid(n: int) -> str:
    return str(113_000_000_000_000_000 + n)


class Instance:
    """REST side: /api/v2/instance (points at the streaming server) and the public timeline."""

    def __init__(self, ws: WSServer):
        self.ws = ws
        self.timeline: list[dict] = []

    def __call__(self, req: Request, srv: HTTPServer) -> None:
        if req.route == "/api/v2/instance":
            req.respond(200, {"domain": HOST, "title": "Example", "version": "4.3.0",
                              "configuration": {"urls": {"streaming": f"ws://127.0.0.1:{self.ws.port}"}}})
        elif req.route in ("/api/v1/timelines/public", "/api/v1/timelines/tag/news"):
            since = int(req.query.get("min_id", "0"))
            newer = [s for s in self.timeline if int(s["id"]) > since]
            newer.sort(key=lambda s: int(s["id"]))
            page = newer[: int(req.query.get("limit", "20"))]
            req.respond(200, list(reversed(page)))  # newest first, as Mastodon answers
        else:
            req.respond(404, {"error": "Record not found"})


def settings() -> Settings:
    return Settings.load(env={}, durability="os", batch_delay_ms=1.0)


def cfg(api: HTTPServer, **kw) -> MastodonConfig:
    kw.setdefault("backoff_base_s", 0.05)
    kw.setdefault("backoff_max_s", 0.2)
    return MastodonConfig(instance=api.url, token=TOKEN, **kw)


def test_update_edit_delete_and_bad_events(tmp_path: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        c.send(event("update", status(1, "Power is out across the east side")))
        c.send(event("update", status(2, "Crews are on the way to the substation")))
        c.send(event("notification", {"id": "1", "type": "mention"}))  # not a post
        c.send(event("filters_changed", "") | {"payload": None})
        c.send("this is not json")
        c.send(event("weird.event", "x"))  # unknown event
        c.send(event("update", "{broken"))  # payload is not JSON
        c.send(event("status.update", status(1, "Power is out across the east side, restored by 9pm", edited=True)))
        c.send(event("delete", sid(2)))
        c.send(event("delete", "999"))  # never seen: nothing to do
        c.send(event("update", status(3, "Street lights back on downtown")))
        c.hold(srv.stop_event)

    with WSServer(script) as ws, HTTPServer(Instance(ws)) as api, Engine(tmp_path / "d", settings()) as eng:
        src = MastodonSource(cfg(api))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 4 and src.status.deleted == 1 and src.status.received >= 11)
            runner.flush()
            st = src.status
            assert st.connected and st.rejected == 3 and st.ignored == 3
            assert st.endpoint == f"ws://127.0.0.1:{ws.port}/api/v1/streaming"
            assert [h.post.key for h in eng.search("restored").hits] == [key(1)]
            assert eng.get(key(2)) is None
            assert eng.search("street lights").hits[0].post.author.handle == "alice"
        c = ws.conns[0]
        assert c.query["stream"] == ["public"] and "access_token" not in c.query
        assert c.headers["Authorization"] == f"Bearer {TOKEN}"
        assert eng.count() == 2
        reasons = [orjson.loads(x)["reason"] for x in eng.quarantine.path.read_bytes().splitlines()]
        assert any("unknown streaming event" in r for r in reasons) and any("payload is not JSON" in r for r in reasons)


def test_hashtag_and_list_streams_share_one_connection(tmp_path: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        c.send(event("update", status(1, "news from the hashtag #news", tags=["news"]), stream=["hashtag", "news"]))
        c.hold(srv.stop_event)

    with WSServer(script) as ws, HTTPServer(Instance(ws)) as api, Engine(tmp_path / "d", settings()) as eng:
        src = MastodonSource(cfg(api, streams=["hashtag:news", "list:42"]))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.accepted == 1)
            wait_for(lambda: ws.conns[0].received, what="the subscribe message")
        c = ws.conns[0]
        assert c.query["stream"] == ["hashtag"] and c.query["tag"] == ["news"]
        assert orjson.loads(c.received[0]) == {"type": "subscribe", "stream": "list", "list": "42"}
        assert eng.offsets()[f"mastodon:127.0.0.1:{api.port}:hashtag:news"] == sid(1)


def test_reconnect_and_restart_backfill_the_gap_from_the_rest_timeline(tmp_path: Path) -> None:
    inst_ref: dict = {}

    def script(c: Conn, srv: WSServer) -> None:
        if c.index == 0:
            c.send(event("update", status(1, "first streamed status")))
            c.cut_mid_message('{"stream":["public"],"event":"update","payload":"{\\"id\\":')
            return
        c.send(event("update", status(4, "streamed after the reconnect")))
        c.hold(srv.stop_event)

    with WSServer(script) as ws:
        inst = Instance(ws)
        inst_ref["i"] = inst
        # what was posted while the connection was down
        inst.timeline = [status(1, "first streamed status"), status(2, "missed while down, one"),
                         status(3, "missed while down, two")]
        with HTTPServer(inst) as api:
            with Engine(tmp_path / "d", settings()) as eng:
                src = MastodonSource(cfg(api))
                with SourceRunner(eng, [src]) as runner:
                    wait_for(lambda: src.status.accepted >= 4)
                    runner.flush()
                    assert src.status.reconnects == 1
                backfills = api.routes("/api/v1/timelines/public")
                assert backfills[0].query["min_id"] == sid(1)
                assert backfills[0].headers["authorization"] == f"Bearer {TOKEN}"
                assert eng.count() == 4 and all(eng.get(key(n)) for n in (1, 2, 3, 4))
            # a restart: the stored newest id drives the backfill, nothing is stored twice
            inst.timeline += [status(4, "streamed after the reconnect"), status(5, "posted while stopped")]
            with Engine(tmp_path / "d", settings()) as eng:
                src = MastodonSource(cfg(api))
                with SourceRunner(eng, [src]) as runner:
                    wait_for(lambda: src.status.accepted >= 2)  # 5 from REST, 4 streamed again
                    runner.flush()
                    assert runner.totals.accepted == 1 and runner.totals.duplicates >= 1
                assert api.routes("/api/v1/timelines/public")[-2].query["min_id"] == sid(4)
                assert eng.count() == 5


def test_instance_refusing_anonymous_access_says_a_token_is_needed(tmp_path: Path) -> None:
    def deny(conn, request):
        return conn.respond(401, "Missing access token\n")

    def script(c: Conn, srv: WSServer) -> None:  # never reached
        pass

    with WSServer(script, process_request=deny) as ws, HTTPServer(Instance(ws)) as api, \
            Engine(tmp_path / "d", settings()) as eng:
        src = MastodonSource(MastodonConfig(instance=api.url, backoff_base_s=0.05, backoff_max_s=0.1))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.reconnects >= 1)
            assert "MASTODON_TOKEN" in (src.status.last_error or "")


def test_stream_specs() -> None:
    with pytest.raises(SourceError, match="unknown stream"):
        MastodonSource(MastodonConfig(streams=["federated"]))
    src = MastodonSource(MastodonConfig(streams=["public:local", "hashtag:local:#Flood", "list:7", "user"]))
    assert [s.params() for s in src.streams] == [
        {"stream": "public:local"}, {"stream": "hashtag:local", "tag": "Flood"}, {"stream": "list", "list": "7"},
        {"stream": "user"}]
    assert src.streams[0].rest() == ("/api/v1/timelines/public", {"local": "true"})
    assert src.streams[1].rest() == ("/api/v1/timelines/tag/Flood", {"local": "true"})


def test_followers_only_and_direct_statuses_are_not_stored(tmp_path: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        for n, vis in enumerate(("public", "unlisted", "private", "direct"), 1):
            c.send(event("update", status(n, f"a {vis} status about the ferry") | {"visibility": vis}, stream=["user"]))
        no_vis = status(5, "a status that says nothing of its audience")
        del no_vis["visibility"]
        c.send(event("update", no_vis, stream=["user"]))
        c.hold(srv.stop_event)

    with WSServer(script) as ws, HTTPServer(Instance(ws)) as api, Engine(tmp_path / "d", settings()) as eng:
        src = MastodonSource(cfg(api, streams=["user"]))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.received >= 5)
            runner.flush()
            assert src.status.accepted == 2 and src.status.ignored == 3 and src.status.rejected == 0
        assert eng.get(key(1)) is not None and eng.get(key(2)) is not None
        assert all(eng.get(key(n)) is None for n in (3, 4, 5))
        assert eng.search("ferry").total == 2
        # the offset still moves past them: the next backfill does not read them again
        assert eng.offsets()[f"mastodon:127.0.0.1:{api.port}:user"] == sid(5)
    ids = tmp_path / "d" / "sources" / "mastodon-ids.sqlite"  # what the account reads: its owner's only
    assert ids.stat().st_mode & 0o077 == 0 and (tmp_path / "d").stat().st_mode & 0o077 == 0


def test_visibility_setting_admits_followers_only_statuses(tmp_path: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        c.send(event("update", status(1, "followers only ferry news") | {"visibility": "private"}, stream=["user"]))
        c.send(event("update", status(2, "a direct ferry message") | {"visibility": "direct"}, stream=["user"]))
        c.hold(srv.stop_event)

    with WSServer(script) as ws, HTTPServer(Instance(ws)) as api, Engine(tmp_path / "d", settings()) as eng:
        src = MastodonSource(cfg(api, streams=["user"], visibility=["public", "unlisted", "private"]))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.received >= 2)
            runner.flush()
        assert eng.get(key(1)) is not None and eng.get(key(2)) is None
    with pytest.raises(SourceError, match="unknown visibility"):
        MastodonSource(MastodonConfig(visibility=["everyone"]))
    from veristream.settings import SettingsError

    with pytest.raises(SettingsError, match="unknown visibility"):  # said when the settings load
        Settings.load(env={}, sources={"mastodon": {"visibility": ["everyone"]}})


def test_reconnects_always_wait_even_after_a_connection_that_delivered(tmp_path: Path) -> None:
    # Each connection delivers one status and closes at once: the old loop reconnected with no
    # delay after any connection that got a message, hundreds of times a second.
    def script(c: Conn, srv: WSServer) -> None:
        c.send(event("update", status(c.index, f"status number {c.index}")))

    with WSServer(script) as ws, HTTPServer(Instance(ws)) as api, Engine(tmp_path / "d", settings()) as eng:
        src = MastodonSource(cfg(api, backoff_base_s=0.5, backoff_max_s=5.0, backfill_pages=0))
        with SourceRunner(eng, [src]):
            wait_for(lambda: len(ws.conns) >= 2)
            t0 = ws.conns[0].opened
            wait_for(lambda: src.status.next_retry_at is not None and len(ws.conns) >= 3, timeout=10)
            started = [c.opened - t0 for c in ws.conns[:3]]
        # waits of at least backoff_base_s, growing while connections keep ending at once
        assert started[1] >= 0.5 - 0.02 and started[2] - started[1] >= started[1] - 0.1
        assert len(ws.conns) <= 6
