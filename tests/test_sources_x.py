"""X filtered stream against a loopback chunked HTTP/1.1 server shaped like X API v2."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from live_servers import HTTPServer, Request, wait_for

from veristream import Engine, Settings
from veristream.cli import cli
from veristream.sources import SourceError, SourceRunner, XConfig, XRules, XSource

TOKEN = "AAAAAAAAAAAAAAAAAAAAAtest%2Fbearer"


def tweet(n: int, text: str, rule_tag: str = "floods") -> dict:
    """A filtered-stream message with the expansions veristream asks for."""
    tid = str(1_880_000_000_000_000_000 + n)
    return {
        "data": {
            "id": tid, "text": text, "author_id": "2244994945", "created_at": "2026-01-15T12:00:00.000Z",
            "edit_history_tweet_ids": [tid], "lang": "en", "conversation_id": tid,
            "attachments": {"media_keys": ["3_1"]},
            "entities": {"hashtags": [{"start": 0, "end": 6, "tag": "flood"}]},
            "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 3, "quote_count": 0,
                               "impression_count": 40},
            "geo": {"place_id": "01a9a39529b27f36"},
        },
        "includes": {
            "users": [{"id": "2244994945", "name": "Flood Watch", "username": "floodwatch", "verified": True,
                       "verified_type": "government", "created_at": "2013-12-14T04:35:55.000Z",
                       "public_metrics": {"followers_count": 5000, "following_count": 10, "tweet_count": 9,
                                          "listed_count": 1}}],
            "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/F1.jpg",
                       "alt_text": "water over the road"}],
            "places": [{"id": "01a9a39529b27f36", "full_name": "Manhattan, NY", "country_code": "US",
                        "geo": {"type": "Feature", "bbox": [-74.02, 40.70, -73.91, 40.88], "properties": {}}}],
        },
        "matching_rules": [{"id": "1880000000000000001", "tag": rule_tag}],
    }


def key(n: int) -> str:
    return f"x:{1_880_000_000_000_000_000 + n}"


def config(srv: HTTPServer, **kw) -> XConfig:
    base = dict(base_url=srv.url, bearer_token=TOKEN, stall_timeout_s=2.0, net_step_s=0.05, net_max_s=0.2,
                http_base_s=0.1, http_max_s=1.0, rate_base_s=0.1, rate_max_s=1.0)
    base.update(kw)
    return XConfig(**base)


@pytest.fixture
def eng(tmp_path: Path):
    e = Engine(tmp_path / "data", Settings.load(env={}, durability="os", batch_delay_ms=1.0))
    yield e
    e.close()


def streams(srv: HTTPServer) -> list[Request]:
    return srv.routes("/2/tweets/search/stream")


def test_stream_keepalives_split_chunks_and_bad_lines_flow_into_search(eng: Engine) -> None:
    def handler(req: Request, srv: HTTPServer) -> None:
        if req.index > 0:
            req.silent_until_closed()
            return
        req.start_stream()
        req.keepalive()
        req.line(tweet(1, "#flood water over the road on 5th avenue"))
        whole = orjson.dumps(tweet(2, "the subway is flooded too")) + b"\r\n"
        req.chunk(whole[:50])  # one message split across chunks
        req.chunk(whole[50:])
        req.keepalive()
        req.line(b'{"data": {"id": "1", "text": ')  # malformed, then the stream goes on
        req.line({"data": {"id": "77", "text": 5}})  # not a post
        req.line({"errors": [{"title": "operational-disconnect", "disconnect_type": "UpstreamOperationalDisconnect",
                              "detail": "This stream has been disconnected upstream for operational reasons."}]})
        req.line(tweet(3, "evacuation shelters open at the school"))
        req.silent_until_closed()

    with HTTPServer(handler) as srv:
        src = XSource(config(srv))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 3 and src.status.rejected == 2)
            runner.flush()
            st = src.status
            assert st.connected and st.reconnects == 0 and st.ignored == 1
            assert "operational-disconnect" in (st.last_error or "")
            hits = eng.search("flood", all_posts=True).hits
            assert {h.post.key for h in hits} >= {key(1)}
            p = eng.get(key(1))
            assert p is not None and p.author.handle == "floodwatch" and p.author.verified
            assert p.media[0].alt == "water over the road" and p.geo and p.geo.place == "Manhattan, NY"
            assert p.extra["matching_rules"] == [{"id": "1880000000000000001", "tag": "floods"}]
            assert eng.search("evacuation").hits[0].post.key == key(3)
        r = streams(srv)[0]
        assert r.headers["authorization"] == f"Bearer {TOKEN}"
        assert "author_id" in r.query["expansions"] and "attachments.media_keys" in r.query["expansions"]
        assert "geo.place_id" in r.query["expansions"] and "referenced_tweets.id" in r.query["expansions"]
        assert "username" in r.query["user.fields"] and "alt_text" in r.query["media.fields"]
        assert "note_tweet" in r.query["tweet.fields"] and "full_name" in r.query["place.fields"]
        assert len(eng.quarantine.path.read_bytes().splitlines()) == 2


def test_cut_mid_message_and_silence_reconnect_with_linear_back_off(eng: Engine) -> None:
    def handler(req: Request, srv: HTTPServer) -> None:
        req.start_stream()
        if req.index == 0:
            req.line(tweet(1, "before the cut"))
            req.cut()  # half a message, then the connection drops
        elif req.index == 1:
            req.line(tweet(2, "before the silence"))
            req.silent_until_closed()  # no keep-alive: the client must give up after stall_timeout_s
        elif req.index == 2:
            for _ in range(12):  # keep-alives keep a quiet stream open past the stall limit
                req.keepalive()
                time.sleep(0.1)
            req.line(tweet(3, "after the keep-alives"))
            req.silent_until_closed()
        else:
            req.silent_until_closed()

    with HTTPServer(handler) as srv:
        # a stall limit well above the keep-alives' spacing: a loaded machine's scheduling hiccup
        # between two keep-alives must not read as a stall
        src = XSource(config(srv, stall_timeout_s=1.0, net_step_s=0.1, net_max_s=1.0))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.accepted == 3)
            wait_for(lambda: len(streams(srv)) >= 4, what="the reconnect after the stall")
        reqs = streams(srv)
        assert srv.max_active == 1  # never more than one connection
        # a network error after a good connection: the first linear step (0.1 s)
        assert reqs[1].at - reqs[0].ended >= 0.1 - 0.02
        # silence: the stall limit (1.0 s) then one step
        assert reqs[2].at - reqs[1].at >= 1.0 + 0.1 - 0.02
        # 1.2 s of keep-alives with a 1.0 s stall limit did not reconnect before the post came
        assert reqs[3].at - reqs[2].at >= 1.2 + 1.0
        assert src.status.reconnects >= 3 and "stalled" in (src.status.last_error or "")


def test_http_errors_back_off_exponentially(eng: Engine) -> None:
    def handler(req: Request, srv: HTTPServer) -> None:
        if req.index < 3:
            req.respond(503, {"title": "Service Unavailable", "detail": "try later", "type": "about:blank"})
            return
        req.start_stream()
        req.line(tweet(1, "service is back"))
        req.silent_until_closed()

    with HTTPServer(handler) as srv:
        src = XSource(config(srv, http_base_s=0.1, http_max_s=10))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.accepted == 1)
            assert src.status.reconnects == 3
        t = [r.at for r in streams(srv)]
        gaps = [b - a for a, b in zip(t, t[1:])]
        for gap, want in zip(gaps, (0.1, 0.2, 0.4)):
            assert want - 0.02 <= gap < want + 0.5, gaps


def test_429_waits_for_the_rate_limit_reset_header(eng: Engine) -> None:
    sent: dict[str, float] = {}

    def handler(req: Request, srv: HTTPServer) -> None:
        if req.index == 0:
            reset = int(time.time()) + 2  # epoch seconds, as X sends it
            sent["reset"] = reset
            req.respond(429, {"title": "ConnectionException", "detail": "This stream is currently at the maximum "
                              "allowed connection limit.", "connection_issue": "TooManyConnections"},
                        headers={"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0",
                                 "x-rate-limit-reset": str(reset)})
            return
        if req.index == 1:
            req.respond(429, {"title": "Too Many Requests"})  # no reset header: exponential from rate_base_s
            return
        sent["third"] = time.time()
        req.start_stream()
        req.line(tweet(1, "finally connected"))
        req.silent_until_closed()

    with HTTPServer(handler) as srv:
        # rate_base_s is long, so only the header can explain a reconnect in about 2 s
        src = XSource(config(srv, rate_base_s=0.3, rate_max_s=5))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.accepted == 1, timeout=10)
        reqs = streams(srv)
        wall_second = time.time() - (time.monotonic() - reqs[1].at)
        assert wall_second >= sent["reset"] - 0.05  # not before the window reopened
        assert reqs[1].at - reqs[0].at < 3.0
        # the 429 without a header: second attempt of the exponential schedule (0.3 * 2)
        assert 0.6 - 0.02 <= reqs[2].at - reqs[1].at < 1.2


def test_only_one_stream_per_app_in_a_process(eng: Engine) -> None:
    def handler(req: Request, srv: HTTPServer) -> None:
        req.start_stream()
        req.line(tweet(1, "hello"))
        req.silent_until_closed()

    with HTTPServer(handler) as srv:
        a, b = XSource(config(srv)), XSource(config(srv), name="x2")
        with SourceRunner(eng, [a, b]) as runner:
            wait_for(lambda: a.status.accepted + b.status.accepted == 1)
            wait_for(lambda: len(runner.errors) == 1)
            assert "already open" in str(next(iter(runner.errors.values())))
        assert srv.max_active == 1


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    with pytest.raises(SourceError, match="X_BEARER_TOKEN"):
        XSource(XConfig(base_url="http://127.0.0.1:9"))


class RulesAPI:
    """GET/POST /2/tweets/search/stream/rules as X documents them."""

    def __init__(self) -> None:
        self.rules: list[dict] = []
        self.next = 1_880_000_000_000_000_100

    def __call__(self, req: Request, srv: HTTPServer) -> None:
        assert req.route == "/2/tweets/search/stream/rules"
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            req.respond(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
            return
        now = "2026-01-15T12:00:00.000Z"
        if req.method == "GET":
            body = {"data": self.rules, "meta": {"sent": now, "result_count": len(self.rules)}}
            if not self.rules:
                body = {"meta": {"sent": now, "result_count": 0}}
            req.respond(200, body)
            return
        cmd = orjson.loads(req.body)
        if "add" in cmd:
            created = []
            for r in cmd["add"]:
                rule = {"id": str(self.next), "value": r["value"], **({"tag": r["tag"]} if "tag" in r else {})}
                self.next += 1
                created.append(rule)
            if req.query.get("dry_run") != "true":
                self.rules += created
            req.respond(201, {"data": created, "meta": {"sent": now, "summary": {
                "created": len(created), "not_created": 0, "valid": len(created), "invalid": 0}}})
        else:
            ids = set(cmd["delete"]["ids"])
            before = len(self.rules)
            self.rules = [r for r in self.rules if r["id"] not in ids]
            req.respond(200, {"meta": {"sent": now, "summary": {"deleted": before - len(self.rules),
                                                                   "not_deleted": len(ids) - (before - len(self.rules))}}})


def test_rules_add_list_delete_with_tags() -> None:
    api = RulesAPI()
    with HTTPServer(api) as srv:
        rules = XRules(srv.url, bearer_token=TOKEN)
        assert rules.list() == []
        res = rules.add([("flood has:media -is:retweet", "floods"), ("earthquake lang:en", None)])
        assert res["meta"]["summary"]["created"] == 2
        listed = rules.list()
        assert [(r["value"], r.get("tag")) for r in listed] == [("flood has:media -is:retweet", "floods"),
                                                               ("earthquake lang:en", None)]
        assert rules.delete([listed[0]["id"]])["meta"]["summary"]["deleted"] == 1
        assert [r["value"] for r in rules.list()] == ["earthquake lang:en"]
        post = [r for r in srv.requests if r.method == "POST"][0]
        assert post.headers["content-type"] == "application/json"
        assert orjson.loads(post.body)["add"][0] == {"value": "flood has:media -is:retweet", "tag": "floods"}


def test_x_rules_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    api = RulesAPI()
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    with HTTPServer(api) as srv:
        def run(*args: str):
            return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "x-rules", "--url", srv.url, *args],
                                      catch_exceptions=False)

        r = run("add", "wildfire -is:retweet", "--tag", "fires")
        assert r.exit_code == 0 and "added" in r.stdout and "fires" in r.stdout
        r = run("list")
        assert r.exit_code == 0 and "wildfire -is:retweet" in r.stdout and "1 rule(s)" in r.stderr
        rid = r.stdout.split("\t")[0]
        r = run("list", "--json")
        assert orjson.loads(r.stdout.splitlines()[0])["tag"] == "fires"
        r = run("delete", rid)
        assert r.exit_code == 0 and "deleted 1" in r.stderr
        assert api.rules == []
        monkeypatch.setenv("X_BEARER_TOKEN", "wrong")
        r = run("list")
        assert r.exit_code == 1 and "HTTP 401" in r.stderr
