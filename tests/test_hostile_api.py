"""The API's doors against hostile clients (issue 15), on a real server over loopback (one
process): the Host check against DNS rebinding, the token on what costs CPU, money or other
people's credibility, a bounded compose queue that holds a place until the work has really
ended, a per-client cap on live-feed connections, metric labels that arbitrary methods cannot
multiply, errors that are JSON with the right status, and a `/healthz` that tells the truth."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest

from api_server import Served
from conftest import mkpost
from live_servers import HTTPServer, Request, wait_for
from veristream import Engine, Settings

POSTS = [
    ("w1", 1, "ann", "Evacuation ordered near Cedar Ridge as the wildfire spreads #wildfire"),
    ("w2", 3, "ben", "Cedar Ridge wildfire: the school is now an evacuation centre"),
    ("w3", 5, "cat", "Smoke from the Cedar Ridge wildfire is everywhere this morning"),
]
QUESTION = "What is happening with the Cedar Ridge wildfire?"


def settings(**kw: object) -> Settings:
    return Settings.load(env={}, vectors=False, trends=False, **kw)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(tmp_path / "data", settings())
    eng.ingest([mkpost(i, t, minutes=m, author=a) for i, m, a, t in POSTS])
    yield eng
    eng.close()


def err(r: httpx2.Response, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body["error"]) >= {"message", "type", "code", "param"}, body
    return body["error"]


# -- DNS rebinding: the Host check -------------------------------------------------------------

def test_a_foreign_host_is_refused_on_loopback(engine: Engine) -> None:
    with Served(engine) as s:
        port = s.url.rsplit(":", 1)[1]
        for host in ("evil.example", f"evil.example:{port}", "192.168.1.20", "localhost.evil.example"):
            e = err(httpx2.get(s.url + "/v1/search", params={"q": "wildfire"}, headers={"Host": host}), 400)
            assert e["param"] == "Host" and "api_allowed_hosts" in e["message"], e
        # The rebinding attack's own requests (a page's fetch to its own name) get nothing, writes neither.
        err(httpx2.post(s.url + "/v1/posts", headers={"Host": "evil.example"} | s.auth, content=b"{}"), 400)
        for host in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST."):
            r = httpx2.get(s.url + "/v1/search", params={"q": "wildfire"}, headers={"Host": host})
            assert r.status_code == 200, (host, r.text)
        assert httpx2.get(s.url + "/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_allowed_hosts_when_listening_beyond_loopback(engine: Engine) -> None:
    st = settings(api_host="0.0.0.0", api_allowed_hosts="search.example, .corp.example")
    with Served(engine, st) as s:
        get = lambda host: httpx2.get(s.url + "/v1/search", headers={"Host": host})  # noqa: E731
        assert get("search.example:8080").status_code == 200
        assert get("a.b.corp.example").status_code == 200
        assert get("10.1.2.3:8080").status_code == 200  # an IP address cannot be rebound
        err(get("evil.example"), 400)
        err(get("corp.example.evil.example"), 400)
    with Served(engine, settings(api_allowed_hosts="*")) as s:
        assert httpx2.get(s.url + "/v1/search", headers={"Host": "anything.example"}).status_code == 200


# -- the token on what costs ---------------------------------------------------------------------

def test_costly_composers_need_the_token(engine: Engine) -> None:
    with Served(engine) as s:
        for composer in ("local", "openai"):
            e = err(httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "composer": composer}), 401)
            assert e["param"] == "Authorization" and "api_open_composers" in e["message"], e
        # With the token it goes on (openai is not configured here: the digest takes over, saying why).
        r = httpx2.post(s.url + "/v1/ask", headers=s.auth, json={"question": QUESTION, "composer": "openai",
                                                                 "stream": False}, timeout=30)
        assert r.status_code == 200 and r.json()["asked"] == "openai" and "openai_base_url" in r.json()["fallback"]
        e = err(httpx2.post(s.url + "/v1/chat/completions", json={
            "model": "veristream-local", "messages": [{"role": "user", "content": QUESTION}]}), 401)
        assert "model 'local'" in e["message"]
        r = httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "stream": False}, timeout=30)
        assert r.status_code == 200 and r.json()["citations"]  # the extractive digest stays open
    with Served(engine, settings(api_open_composers="extractive,openai")) as s:  # opened to everyone
        r = httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "composer": "openai", "stream": False},
                        timeout=30)
        assert r.status_code == 200 and r.json()["asked"] == "openai"
        err(httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "composer": "local"}), 401)


# -- the compose queue -------------------------------------------------------------------------

class SlowModel:
    """An OpenAI-compatible server whose answer waits until the test lets it go."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.server = HTTPServer(self._answer)

    def _answer(self, req: Request, server: HTTPServer) -> None:
        self.go.wait(30)
        req.respond(200, {"choices": [{"index": 0, "message": {"role": "assistant",
                                                                "content": "The Cedar Ridge school is an evacuation centre [1]."}}]})


def test_compose_queue_is_bounded_and_a_hang_up_keeps_the_place_until_the_work_ends(engine: Engine) -> None:
    model = SlowModel()
    st = settings(api_ask_running=1, api_ask_queue=1, openai_base_url=model.server.url + "/v1", openai_timeout_s=30)
    try:
        with Served(engine, st) as s:
            # A streaming answer whose client hangs up as soon as it has started.
            with httpx2.Client(timeout=30) as c, c.stream("POST", s.url + "/v1/ask", headers=s.auth,
                                                          json={"question": QUESTION, "composer": "openai"}) as r:
                assert r.status_code == 200
                wait_for(lambda: len(model.server.requests) == 1, what="the composer to call the model")
            time.sleep(0.5)  # the server sees the hang-up; a place freed now would be the bug
            queued: list[httpx2.Response] = []
            t = threading.Thread(target=lambda: queued.append(httpx2.post(
                s.url + "/v1/ask", json={"question": QUESTION, "stream": False}, timeout=60)))
            t.start()
            health = wait_for(lambda: (h := httpx2.get(s.url + "/healthz").json())["composing"]["waiting"] == 1 and h,
                              what="the second answer to wait its turn")
            assert health["composing"]["running"] == 1  # the abandoned answer's thread still holds its place
            e = err(httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "stream": False}), 429)
            assert e["code"] == "too_many_requests" and "api_ask_queue" in e["message"]
            r429 = httpx2.post(s.url + "/v1/verify", json={"claim": "the school is an evacuation centre"})
            assert err(r429, 429) and int(r429.headers["retry-after"]) >= 1
            assert model.server.active == 1 and not queued  # nothing ran past the limit
            model.go.set()  # the abandoned answer's thread ends: its place goes to the one waiting
            t.join(60)
            assert queued and queued[0].status_code == 200, queued
            r = httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "stream": False}, timeout=60)
            assert r.status_code == 200
            assert len(model.server.requests) == 1
            h = httpx2.get(s.url + "/healthz").json()
            assert h["composing"] == {"running": 0, "waiting": 0}, h
    finally:
        model.go.set()
        model.server.close()


# -- verdicts recorded only with the token -------------------------------------------------------

FOR = "Police confirmed the gunman was arrested at Central Station, he is in custody"
AGAINST = [
    "That's not true, it's fake: police say nobody has been arrested at Central Station",
    "Hoax. No arrest at Central Station, police statement says the gunman is still at large",
    "False report: police deny any arrest at Central Station, stop spreading rumours",
    "Not true at all, the Central Station gunman was NOT arrested, police say he escaped",
    "Fake news, police denied that anyone was arrested at Central Station",
]
CLAIM = "Police confirmed the gunman was arrested at Central Station"


def test_verify_records_verdicts_only_with_the_token(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "data", Settings.load(env={}, trends=False))
    eng.ingest([mkpost("s0", FOR, author="fan0")]
               + [mkpost(f"d{i}", t, minutes=5 + i, author=f"critic{i}") for i, t in enumerate(AGAINST)])
    assert eng.wait_embedded(120)
    log = tmp_path / "data" / "verify" / "verdicts.jsonl"
    try:
        with Served(eng) as s:
            r = httpx2.post(s.url + "/v1/verify", json={"claim": CLAIM}, timeout=120)
            assert r.status_code == 200 and r.json()["verdict"] == "refuted", r.text
            assert r.json()["recorded"] is False and not log.exists()  # anyone may ask; nobody's record moves
            err(httpx2.post(s.url + "/v1/verify", json={"claim": CLAIM}, headers={"Authorization": "Bearer wrong"},
                            timeout=120), 401)
            r = httpx2.post(s.url + "/v1/verify", json={"claim": CLAIM}, headers=s.auth, timeout=120)
            assert r.status_code == 200 and r.json()["recorded"] is True
            assert [orjson.loads(x)["for"] for x in log.read_bytes().splitlines()] == [["id-fan0"]]
        with Served(eng, Settings.load(env={}, trends=False, api_open_verify_record=True)) as s:
            r = httpx2.post(s.url + "/v1/verify", json={"claim": CLAIM}, timeout=120)
            assert r.json()["recorded"] is True and len(log.read_bytes().splitlines()) == 2
    finally:
        eng.close()


# -- the live feed: a cap per client ---------------------------------------------------------------

class Stream:
    """A GET /v1/stream held open from a given local address, until closed."""

    def __init__(self, url: str, local_address: str = "127.0.0.1", headers: dict[str, str] | None = None):
        self.client = httpx2.Client(transport=httpx2.HTTPTransport(local_address=local_address), timeout=30)
        self.cm = self.client.stream("GET", url + "/v1/stream", headers=headers)
        self.response = self.cm.__enter__()

    def close(self) -> None:
        self.cm.__exit__(None, None, None)
        self.client.close()


def test_one_client_cannot_take_every_live_feed_connection(engine: Engine) -> None:
    with Served(engine, settings(api_stream_per_client=2)) as s:
        held = [Stream(s.url), Stream(s.url)]
        try:
            assert [x.response.status_code for x in held] == [200, 200]
            wait_for(lambda: httpx2.get(s.url + "/healthz").json()["feed_clients"] == 2, what="both streams")
            r = httpx2.get(s.url + "/v1/stream")
            e = err(r, 429)
            assert "api_stream_per_client" in e["message"] and int(r.headers["retry-after"]) >= 1
            # Naming another client in the reader's header is not believed from a client.
            err(httpx2.get(s.url + "/v1/stream", headers={"x-veristream-client": "10.9.9.9",
                                                          "x-veristream-proxy": "guess"}), 429)
            other = Stream(s.url, "127.0.0.2")  # another address has its own places
            held.append(other)
            assert other.response.status_code == 200
            held.pop(0).close()
            again = wait_for(lambda: (x := Stream(s.url)).response.status_code == 200 and x or x.close(),
                             what="a place freed by a closed stream")
            held.append(again)
        finally:
            for x in held:
                x.close()


# -- metrics: bounded label values ---------------------------------------------------------------

def test_arbitrary_methods_do_not_make_new_metric_series(engine: Engine) -> None:
    with Served(engine) as s:
        for m in ("FOOBAR", "BREW", "PROPFIND"):
            r = httpx2.request(m, s.url + "/v1/search")
            err(r, 405)
        err(httpx2.request("XYZZY", s.url + "/no/such/route"), 404)
        assert httpx2.get(s.url + "/v1/search").status_code == 200
        text = httpx2.get(s.url + "/metrics").text
        methods = set(re.findall(r'veristream_http_request_duration_seconds_count\{method="([^"]*)"', text))
        assert methods == {"GET", "other"}, methods
        assert 'route="unmatched"' in text


# -- every error is JSON with the right status -----------------------------------------------------

def test_times_out_of_range_are_a_400_naming_the_parameter(engine: Engine) -> None:
    with Served(engine) as s:
        for path, name in (("/v1/search", "since"), ("/v1/search", "until"), ("/v1/events", "since")):
            for value in ("99999999999d", "1e300w"):
                e = err(httpx2.get(s.url + path, params={name: value}), 400)
                assert e["param"] == name and value in e["message"], e
        e = err(httpx2.post(s.url + "/v1/ask", json={"question": QUESTION, "since": "99999999999d"}), 400)
        assert e["param"] == "since"
        e = err(httpx2.post(s.url + "/v1/verify", json={"claim": "a fire", "until": "99999999999d"}), 400)
        assert e["param"] == "until"


def test_open_endpoints_take_small_bodies_only(engine: Engine) -> None:
    big = orjson.dumps({"question": QUESTION, "since": None, "padding": "x" * (2 << 20)})

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    with Served(engine) as s:
        for path in ("/v1/ask", "/v1/verify", "/v1/chat/completions"):
            for content in (big, chunks()):  # announced, and counted as it comes
                e = err(httpx2.post(s.url + path, content=content, headers={"Content-Type": "application/json"},
                                    timeout=30), 413)
                assert "1,048,576" in e["message"] and "POST /v1/posts" in e["message"], e
        # Bulk ingest, with the token, still takes up to api_max_body_mb.
        lines = b"\n".join(orjson.dumps({"id": f"b{i}", "text": "y" * 1000, "created_at": "2026-01-15T12:30:00Z"})
                           for i in range(1500))
        r = httpx2.post(s.url + "/v1/posts", content=lines, headers=s.auth, timeout=60)
        assert r.status_code == 200 and r.json()["accepted"] == 1500


# -- health ------------------------------------------------------------------------------------------

def test_health_reports_a_stopped_writer_and_the_lags(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "data", settings())
    try:
        with Served(eng) as s:
            h = httpx2.get(s.url + "/healthz")
            assert h.status_code == 200
            body = h.json()
            assert body["status"] == "ok" and body["problems"] == [] and body["readers"] is None
            assert body["lag"]["ingest_backlog_posts"] == 0 and "freshness_s" in body["lag"]
            assert body["lag"]["embedding"] is None  # vectors off
            r = httpx2.post(s.url + "/v1/posts", headers=s.auth,
                            content=orjson.dumps({"id": "a", "text": "first post", "created_at": "2026-01-15T12:00:00Z"}))
            assert r.status_code == 200
            body = httpx2.get(s.url + "/healthz").json()
            assert body["writers"]["api"]["state"] == "running" and body["stream_now"].startswith("2026-01-15")
            eng.close()  # the store goes away under the server: ingest can no longer work
            r = httpx2.post(s.url + "/v1/posts", headers=s.auth,
                            content=orjson.dumps({"id": "b", "text": "second", "created_at": "2026-01-15T12:01:00Z"}))
            err(r, 503)
            h = httpx2.get(s.url + "/healthz")
            e = err(h, 503)
            body = h.json()
            assert body["status"] == "failing" and body["writers"]["api"]["state"] == "failed"
            assert "ingest writer stopped" in e["message"] and "closed" in e["message"], e
    finally:
        eng.close()


def test_health_answers_while_every_worker_thread_is_busy(engine: Engine) -> None:
    """/healthz runs on the event loop: 45 answers stuck on a model hold every pool thread (40),
    and health still answers at once, saying so."""
    model = SlowModel()
    st = settings(api_ask_running=45, api_ask_queue=0, openai_base_url=model.server.url + "/v1", openai_timeout_s=30)
    try:
        with Served(engine, st) as s:
            askers = [threading.Thread(target=httpx2.post, args=(s.url + "/v1/ask",), kwargs={
                "json": {"question": QUESTION, "composer": "openai", "stream": False}, "headers": s.auth,
                "timeout": 60}) for _ in range(45)]
            for t in askers:
                t.start()
            wait_for(lambda: len(model.server.requests) >= 40, what="every pool thread to wait on the model")
            t0 = time.monotonic()
            h = httpx2.get(s.url + "/healthz", timeout=5)
            assert h.status_code == 200 and time.monotonic() - t0 < 1.0
            # At least the 40 holding every pool thread; the last askers may not be admitted yet
            # (a request waiting for a pool thread is not counted until it gets one).
            assert 40 <= h.json()["composing"]["running"] <= 45
            model.go.set()
            for t in askers:
                t.join(60)
    finally:
        model.go.set()
        model.server.close()


def test_health_reports_a_failed_source(tmp_path: Path) -> None:
    from veristream.sources import SourceRunner
    from veristream.sources.base import Source

    class Broken(Source):
        """A live source whose connection code fails outright."""

        kind = name = "broken"

        def _run(self, sink) -> None:  # noqa: ANN001
            raise RuntimeError("the feed's certificate expired")

    eng = Engine(tmp_path / "data", settings())
    runner = SourceRunner(eng, [Broken()])
    try:
        with Served(eng) as s:
            runner.start()
            h = wait_for(lambda: (b := httpx2.get(s.url + "/healthz").json())["status"] != "ok" and b,
                         what="health to see the failed source")
            assert h["status"] == "degraded" and any("broken" in p and "certificate" in p for p in h["problems"]), h
            assert h["sources"][0]["name"] == "broken" and "certificate" in h["sources"][0]["last_error"]
            assert httpx2.get(s.url + "/healthz").status_code == 200  # ingest through the API still works
    finally:
        runner.stop()
        eng.close()
