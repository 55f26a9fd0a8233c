"""The API's doors with reader processes (`veristream serve --readers N`, issue 15): the same
Host check and per-client limits in front of what a reader answers and what it forwards; the
write token checked by the reader before it reads a body; an oversized chunked body a JSON
413; a writer's 500 never turning into a 502 for the next client; `/healthz` seeing the
readers. Real processes on loopback."""

from __future__ import annotations

import os
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest

from live_servers import wait_for
from test_hostile_api import Stream, err
from test_serve_readers import AUTH, Serve, gone, ingest
from test_api_stream import p


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    s = Serve(tmp_path_factory.mktemp("hostile") / "data", 2,
              settings={"api_max_body_mb": "0.05", "api_stream_per_client": "1"})
    try:
        ingest(s.url, p("h1", "hostile readers test post about a ferry", 1))
        yield s
        out = s.stop()
        assert s.proc.returncode == 0 and "Traceback" not in out, out
    finally:
        s.kill()


def test_readers_refuse_a_foreign_host(served: Serve) -> None:
    port = served.url.rsplit(":", 1)[1]
    for path in ("/v1/search?q=ferry", "/v1/sources", "/healthz", "/"):  # answered here, and forwarded
        e = err(httpx2.get(served.url + path, headers={"Host": "evil.example"}), 400)
        assert e["param"] == "Host", e
        assert httpx2.get(served.url + path, headers={"Host": f"localhost:{port}"}).status_code == 200, path
    err(httpx2.post(served.url + "/v1/posts", headers=AUTH | {"Host": "evil.example"},
                    content=orjson.dumps(p("h2", "rebound write", 2))), 400)


def raw_request(url: str, head: bytes, body: bytes = b"", timeout: float = 10.0) -> bytes:
    """Send `head` (and `body`) on a fresh connection; what the server answers within `timeout`."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + body)
        got = b""
        while b"\r\n\r\n" not in got or not re.search(rb'"error"\s*:\s*\{.*\}\}', got, re.S):
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
        return got


def test_the_write_token_is_checked_before_the_body_is_read(served: Serve) -> None:
    # 30 MB announced, 1 KB sent: an answer now means nothing waited for (or buffered) the rest.
    head = (b"POST /v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
            b"Content-Length: 30000000\r\n\r\n")
    got = raw_request(served.url, head, b"x" * 1024)
    assert got.startswith(b"HTTP/1.1 401"), got[:300]
    assert b'"code":"missing_token"' in got
    got = raw_request(served.url, head.replace(b"\r\n\r\n", b"\r\nAuthorization: Bearer wrong\r\n\r\n"), b"x" * 1024)
    assert got.startswith(b"HTTP/1.1 401") and b'"code":"invalid_token"' in got, got[:300]


def test_an_oversized_body_is_a_json_413_chunked_or_not(served: Serve) -> None:
    line = orjson.dumps(p("big", "x" * 1000, 3)) + b"\n"

    def chunks() -> Iterator[bytes]:
        for _ in range(80):  # ~85 KB, over the 0.05 MB limit, with no Content-Length
            yield line

    r = httpx2.post(served.url + "/v1/posts", headers=AUTH | {"Content-Type": "application/x-ndjson"},
                    content=chunks(), timeout=30)
    e = err(r, 413)
    assert e["code"] == "body_too_large" and "api_max_body_mb" in e["message"]
    e = err(httpx2.post(served.url + "/v1/posts", headers=AUTH, content=line * 80, timeout=30), 413)
    assert e["param"] == "body"
    e = err(httpx2.post(served.url + "/v1/ask", content=chunks(), headers={"Content-Type": "application/json"},
                        timeout=30), 413)  # no token needed there: bounded all the same, before it is forwarded
    assert e["code"] == "body_too_large"
    ingest(served.url, p("small", "a small post still goes in", 4))  # nothing broken behind


def test_the_feed_cap_counts_each_client_not_the_reader(served: Serve) -> None:
    first = Stream(served.url)
    try:
        assert first.response.status_code == 200
        e = err(httpx2.get(served.url + "/v1/stream"), 429)  # the same client again, through either reader
        assert "api_stream_per_client" in e["message"]
        err(httpx2.get(served.url + "/v1/stream", headers={"x-veristream-client": "10.1.1.1"}), 429)  # not believed
        other = Stream(served.url, "127.0.0.2")  # another client: its own place, though every request the
        try:                                     # writer sees comes from a reader's address
            assert other.response.status_code == 200
        finally:
            other.close()
    finally:
        first.close()


def test_unknown_methods_through_a_reader_are_one_metric_label(served: Serve) -> None:
    for m in ("FOOBAR", "BREW"):
        err(httpx2.request(m, served.url + "/v1/search"), 405)
    text = httpx2.get(served.url + "/metrics").text
    methods = set(re.findall(r'veristream_http_request_duration_seconds_count\{method="([^"]*)"', text))
    assert "other" in methods and not methods - {"GET", "POST", "other"}, methods


def test_health_sees_the_readers(served: Serve) -> None:  # last: it kills a reader
    h = httpx2.get(served.url + "/healthz").json()
    assert h["status"] == "ok" and h["readers"] == {"expected": 2, "alive": 2, "restarts": 0, "failure": None}, h
    victim = served.readers[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: gone(victim), what="the reader to exit")
    h = wait_for(lambda: (b := _health(served.url)) and b["readers"]["restarts"] == 1 and b, timeout=30,
                 what="health to count the restart")
    assert h["readers"]["expected"] == 2


def _health(url: str) -> dict | None:
    try:
        return httpx2.get(url + "/healthz", timeout=5).json()
    except httpx2.HTTPError:  # the killed reader's connection
        return None


def test_a_writer_500_never_makes_the_next_request_a_502(tmp_path: Path) -> None:
    # Weights that do not exist: every claim check fails in the writer (an internal error, 500).
    s = Serve(tmp_path / "data", 1, settings={"verify_stance_weights": str(tmp_path / "missing.npz")})
    try:
        ingest(s.url, p("v1", "the ferry to Harlow Island is cancelled today", 1))
        with httpx2.Client(timeout=30) as c:  # one client: its reader's pooled connections to the writer
            for i in range(25):
                r = c.post(s.url + "/v1/verify", json={"claim": "the ferry is cancelled"})
                assert err(r, 500)["code"] == "internal_error"
                r = c.get(s.url + "/v1/sources")
                assert r.status_code == 200, (i, r.status_code, r.text)
        for i in range(10):  # fresh connections too
            assert httpx2.post(s.url + "/v1/verify", json={"claim": "the ferry"}).status_code == 500
            assert httpx2.get(s.url + "/healthz").status_code == 200, i
    finally:
        s.stop()
        s.kill()
