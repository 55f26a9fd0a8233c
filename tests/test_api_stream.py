"""The live feed (`GET /v1/stream`) on a real server over loopback, its filter, and its rule that
a slow client is dropped and never slows ingest; `veristream serve` as a user runs it."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest

from api_server import Served
from conftest import mkpost
from live_servers import wait_for
from veristream import Engine, Settings
from veristream.api.feed import FeedFilter, LiveFeed, _Text
from veristream.core.writer import Accepted, prepare
from veristream.sources import DemoConfig, DemoSource, SourceRunner
from veristream.core.stories import TokenHasher


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    eng = Engine(tmp_path / "data", Settings.load(env={}, vectors=False, trends=False))
    try:
        with Served(eng) as s:
            yield s
    finally:
        eng.close()


class Listener:
    """Reads one SSE stream on a thread; events land in a queue."""

    def __init__(self, url: str):
        self.events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, args=(url,), daemon=True)
        self._t.start()

    def _run(self, url: str) -> None:
        try:
            with httpx2.Client(timeout=httpx2.Timeout(30, read=60)) as c, c.stream("GET", url) as r:
                self.events.put(("status", str(r.status_code)))
                ev, data = "message", []
                for line in r.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        if data:
                            self.events.put((ev, "\n".join(data)))
                        ev, data = "message", []
                    elif line.startswith("event:"):
                        ev = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip(" "))
        except httpx2.HTTPError as e:  # the server stopped under it at the end of a test
            self.events.put(("closed", str(e)))

    def next(self, kind: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind!r} event within {timeout}s")
            ev, data = self.events.get(timeout=left)
            if ev == kind:
                return json.loads(data) if kind != "status" else {"status": data}

    def stop(self) -> None:
        self._stop.set()


def post(s: Served, *posts: dict) -> dict:
    r = httpx2.post(s.url + "/v1/posts", content=b"\n".join(orjson.dumps(p) for p in posts), headers=s.auth,
                    timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def p(id: str, text: str, minute: int = 0, **kw: object) -> dict:
    return {"id": id, "text": text, "created_at": f"2026-01-15T12:{minute:02d}:00Z", "lang": "en", **kw}


def test_stream_delivers_matching_posts_as_they_are_stored(served: Served) -> None:
    post(served, p("old1", "marathon route announced", 1), p("old2", "unrelated pizza", 2))
    lst = Listener(served.url + "/v1/stream?q=marathon&recent=5")
    try:
        assert lst.next("status")["status"] == "200"
        assert lst.next("ready")["q"] == "marathon"
        back = lst.next("post")
        assert back["key"] == "file:old1" and back["text"] == "marathon route announced" and "score" not in back
        post(served, p("n1", "Marathon route closed at Boylston", 5), p("n2", "best pizza downtown", 6),
             p("n3", "MARATHÓN runners evacuated", 7))
        got = [lst.next("post")["key"], lst.next("post")["key"]]
        assert got == ["file:n1", "file:n3"]  # accents and case folded; the pizza post never comes
    finally:
        lst.stop()


def test_stream_frames_hostile_text_as_data(served: Served) -> None:
    lst = Listener(served.url + "/v1/stream?q=%23storm")
    try:
        lst.next("ready")
        nasty = "line one\n\nevent: post\ndata: {\"key\": \"forged\"}\r\n\r\n<script>alert(1)</script> #storm"
        post(served, p("h1", nasty, 8))
        got = lst.next("post")
        assert got["key"] == "file:h1" and got["text"] == nasty
        post(served, p("h2", "after the storm #storm", 9))
        assert lst.next("post")["key"] == "file:h2"  # nothing forged came in between
    finally:
        lst.stop()


def test_a_client_that_leaves_is_unregistered(served: Served) -> None:
    feed = served.app.state.api.feed
    for _ in range(3):
        with httpx2.Client(timeout=10) as c, c.stream("GET", served.url + "/v1/stream") as r:
            assert next(r.iter_lines()).startswith("event: ready")
    wait_for(lambda: feed.clients == 0, what="the clients to be unregistered")


def test_stream_bad_filter_is_a_clear_error(served: Served) -> None:
    r = httpx2.get(served.url + "/v1/stream", params={"q": "flood OR fire"}, timeout=10)
    assert r.status_code == 400 and "OR" in r.json()["error"]["message"]
    r = httpx2.get(served.url + "/v1/stream", params={"recent": 1000}, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["param"] == "recent"


def test_a_stalled_client_never_slows_ingest(served: Served) -> None:
    """A client that connects and never reads: ingest through the API goes on at full pace."""
    host, port = served.url.split("//")[1].split(":")
    stalled = socket.create_connection((host, int(port)))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(f"GET /v1/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    try:
        wait_for(lambda: served.app.state.api.feed.clients == 1, what="the stalled client to connect")
        t = time.monotonic()
        for b in range(4):
            post(served, *[p(f"bulk{b}-{i}", f"bulk post {b} {i} " + "words " * 60, 10) for i in range(500)])
        took = time.monotonic() - t
        assert took < 60, took
        r = httpx2.get(served.url + "/v1/search", params={"q": "bulk", "all": "true", "limit": 1}, timeout=10)
        assert r.json()["total"] == 2000
    finally:
        stalled.close()


# -- the feed's parts, directly ----------------------------------------------------------------

def accepted(posts: list) -> Accepted:
    items = prepare(posts, TokenHasher(), 5)
    return Accepted(items, list(range(1, len(items) + 1)), list(range(1, len(items) + 1)), [])


def test_filter_words_phrases_tags_handles_exclusions() -> None:
    posts = [mkpost("a", "Power outage at Northgate Stadium #blackout", author="nws"),
             mkpost("b", "The power-outage is over, lights back", author="bob"),
             mkpost("c", "Señal de inundación en el río", author="ana", lang="es"),
             mkpost("d", "東京で地震がありました", author="kei", lang="ja"),
             mkpost("e", "power restored", author="Nws")]
    items = prepare(posts, TokenHasher(), 5)

    def keys(q: str = "", **kw: object) -> list[str]:
        f = FeedFilter.parse(q, **kw)  # type: ignore[arg-type]
        return [it.key.split(":")[1] for it in items if f.matches(it, _Text(it))]

    assert keys("power outage") == ["a", "b"]
    assert keys('"power outage"') == ["a"]
    assert keys("power -outage") == ["e"]
    assert keys("#blackout") == ["a"] and keys(hashtag="BLACKOUT") == ["a"]
    assert keys("@nws") == ["a", "e"] and keys(author="NWS") == ["a", "e"]
    assert keys("inundacion") == ["c"] and keys(lang="es") == ["c"]
    assert keys("地震") == ["d"]
    assert keys("") == ["a", "b", "c", "d", "e"]


def test_slow_client_is_dropped_and_publish_never_blocks() -> None:
    async def scenario() -> tuple[str | None, int, float]:
        feed = LiveFeed(client_queue=5)
        try:
            slow = feed.connect(FeedFilter.parse(""))  # never reads
            fast = feed.connect(FeedFilter.parse("storm"))
            got, worst = 0, 0.0
            for b in range(4):
                batch = accepted([mkpost(f"{b}-{i}", f"storm update {b} {i}") for i in range(4)])
                t = time.perf_counter()
                feed.publish(batch)
                worst = max(worst, time.perf_counter() - t)
                want = got + 4
                while got < want:
                    items = await fast.next(5)
                    assert items, "the fast client stopped receiving"
                    got += len(items)
            for _ in range(100):
                if slow.dropped:
                    break
                await asyncio.sleep(0.01)
            return slow.dropped, got, worst
        finally:
            feed.close()

    dropped, fast_got, worst_publish_s = asyncio.run(scenario())
    assert dropped is not None and "too slowly" in dropped
    assert fast_got == 16  # every post, though the slow client was dropped beside it
    assert worst_publish_s < 0.05


# -- the demo source -----------------------------------------------------------------------------

def test_demo_source_catches_up_then_runs_on_the_wall_clock(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, vectors=False, trends=False))
    try:
        src = DemoSource(DemoConfig(rate=20, catch_up_s=10))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted >= 150, what="the catch-up")
            runner.flush()
            n0, t0 = src.status.accepted, time.monotonic()
            time.sleep(1.5)
            rate = (src.status.accepted - n0) / (time.monotonic() - t0)
            assert 5 < rate < 60, rate  # about 20 posts/s, live
        newest = eng.now()
        assert newest is not None and abs(newest.timestamp() - time.time()) < 30
        assert eng.search("", source="demo", limit=1).total >= 150
    finally:
        eng.close()


# -- veristream serve -----------------------------------------------------------------------------

def test_serve_command_prints_address_and_token_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "d"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISTREAM_")}
    proc = subprocess.Popen([sys.executable, "-m", "veristream.cli", "--data-dir", str(data), "serve", "--no-sources",
                             "--port", "0"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any("API token" in x for x in lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stderr.readline())
        # (a machine without tesseract prints a one-line OCR notice first)
        url = next(x for x in lines if "serving " in x).split("serving ")[1].split()[0]
        token = (data / "api_token").read_text().strip()
        assert token in "".join(lines)  # shown once, on first start
        assert stat.S_IMODE(os.stat(data / "api_token").st_mode) == 0o600
        wait_for(lambda: _up(url), timeout=30, what="the server")
        r = httpx2.post(url + "v1/posts", json=p("s1", "served from the command line"),
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200 and r.json()["accepted"] == 1
        hits = httpx2.get(url + "v1/search", params={"q": "command line"}, timeout=10).json()["hits"]
        assert hits[0]["key"] == "file:s1"
        assert "<title>veristream</title>" in httpx2.get(url, timeout=10).text
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopped after" in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # Second start: the token is not shown again, only where it is kept.
    proc = subprocess.Popen([sys.executable, "-m", "veristream.cli", "--data-dir", str(data), "serve", "--no-sources",
                             "--port", "0"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any("api_token" in x for x in lines):  # what comes before (notices) varies by machine
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stderr.readline())
        assert token not in "".join(lines)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "stopped after" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _up(url: str) -> bool:
    try:
        return httpx2.get(url + "healthz", timeout=2).status_code == 200
    except httpx2.HTTPError:
        return False


def test_serve_refuses_a_taken_port(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from veristream.cli import cli

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "serve", "--no-sources", "--port", str(port)])
    assert r.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in r.stderr and "--port" in r.stderr
