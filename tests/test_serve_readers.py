"""`veristream serve --readers N`: reader processes answer searches beside the writing one
(veristream.serve). Real processes on loopback: read-your-writes across processes, the
feed and answers forwarded (streamed) to the writer, and no process left behind however the
server ends."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest

from live_servers import wait_for
from test_api_stream import Listener, p
from veristream.serve import default_readers, served_by_reader

TOKEN = "readers-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Serve:
    """`veristream serve --no-sources --readers N` in a child process."""

    def __init__(self, data: Path, readers: int, *extra: str, session: bool = False,
                 settings: dict[str, str] | None = None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VERISTREAM_")}
        env.update(VERISTREAM_API_TOKEN=TOKEN, VERISTREAM_VECTORS="false", VERISTREAM_TRENDS="false")
        env.update({f"VERISTREAM_{k.upper()}": v for k, v in (settings or {}).items()})
        self.proc = subprocess.Popen([sys.executable, "-m", "veristream.cli", "--data-dir", str(data), "serve",
                                      "--no-sources", "--port", "0", "-q", "--readers", str(readers), *extra],
                                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
                                     start_new_session=session)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        m = re.search(r"serving (http://\S+)/ ", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line}{self.proc.stderr.read()}")
        self.url = m.group(1)
        self.lines = [line]
        # Drained as it comes: a full pipe would block the server's logging, then the server.
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()
        # The address is printed once every reader serves: the readers are children by now.
        self.readers = wait_for(lambda: len(children(self.proc.pid)) == readers and children(self.proc.pid),
                                what="the reader processes")

    def _read_rest(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def output(self, timeout: float = 60) -> str:
        """Everything it printed, once it has exited."""
        self.proc.wait(timeout)
        self._drain.join(timeout)
        return "".join(self.lines)

    def stop(self, sig: int = signal.SIGTERM) -> str:
        self.proc.send_signal(sig)
        return self.output()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d))
    return sorted(out)


def gone(pid: int) -> bool:
    """Exited (a zombie waiting for a reaper counts as exited: it runs nothing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def ingest(url: str, *posts: dict, client: httpx2.Client | None = None) -> dict:
    body = b"\n".join(orjson.dumps(x) for x in posts)
    r = (client or httpx2).post(url + "/v1/posts", content=body, headers=AUTH | {"Content-Type": "application/x-ndjson"},
                                timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    s = Serve(tmp_path_factory.mktemp("readers") / "data", 2)
    try:
        yield s
        err = s.stop()
        assert s.proc.returncode == 0 and "stopped after" in err and "Traceback" not in err, err
    finally:
        s.kill()


def test_routing_table() -> None:
    assert served_by_reader("GET", "/v1/search") and served_by_reader("GET", "/v1/posts/bluesky:at://x/y")
    assert served_by_reader("GET", "/v1/stories/3") and served_by_reader("GET", "/")
    assert not served_by_reader("POST", "/v1/posts") and not served_by_reader("GET", "/v1/stream")
    assert not served_by_reader("POST", "/v1/ask") and not served_by_reader("GET", "/metrics")
    assert default_readers(1) == 1 and default_readers(2) == 2 and default_readers(8) == 4


def test_a_post_acknowledged_is_found_by_the_next_search(served: Serve) -> None:
    # Keep-alive and fresh connections alike: whichever reader takes the search, it sees the commit.
    with httpx2.Client(base_url=served.url, timeout=30) as keep:
        for i in range(12):
            word = f"zq{i}readyourwrites"
            ingest(served.url, p(f"ryw{i}", f"checkpoint {word} at the bridge", i), client=keep if i % 2 else None)
            get = keep.get if i % 3 else (lambda path, **kw: httpx2.get(served.url + path, timeout=30, **kw))
            r = get("/v1/search", params={"q": word})
            assert r.status_code == 200 and [h["key"] for h in r.json()["hits"]] == [f"file:ryw{i}"], r.text
            r = get(f"/v1/posts/file:ryw{i}")
            assert r.status_code == 200 and r.json()["text"] == f"checkpoint {word} at the bridge"
    assert httpx2.get(served.url + "/healthz", timeout=10).json()["status"] == "ok"
    # /metrics (the writer's) counts the searches the readers answered too.
    text = httpx2.get(served.url + "/metrics", timeout=10).text
    searches = re.search(r'^veristream_http_request_duration_seconds_count\{method="GET",route="/v1/search",'
                         r'status="200"\} (\S+)$', text, re.MULTILINE)
    assert searches and float(searches.group(1)) >= 12, text
    assert re.search(r'^veristream_posts_ingested_total (\S+)$', text, re.MULTILINE)


def test_feed_and_answers_stream_through_the_readers(served: Serve) -> None:
    lst = Listener(served.url + "/v1/stream?q=ferrysplit")
    try:
        assert lst.next("status")["status"] == "200"
        lst.next("ready")
        ingest(served.url, p("f1", "the ferrysplit service is suspended", 30), p("f2", "unrelated lunch", 31))
        assert lst.next("post")["key"] == "file:f1"
    finally:
        lst.stop()
    # A client that leaves is unregistered by the writer: the reader ends the forwarded stream.
    for _ in range(2):
        with httpx2.Client(timeout=10) as c, c.stream("GET", served.url + "/v1/stream") as r:
            assert next(r.iter_lines()).startswith("event: ready")
    metric = re.compile(r"^veristream_live_feed_clients (\S+)$", re.MULTILINE)
    wait_for(lambda: float(metric.search(httpx2.get(served.url + "/metrics", timeout=10).text).group(1)) <= 1,
             what="the feed clients that left to be unregistered")  # the Listener's may linger until a ping
    with httpx2.Client(timeout=30) as c, c.stream("POST", served.url + "/v1/ask",
                                                  json={"question": "is the ferrysplit service suspended?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
    assert events[-1] == "answer" and "text" in events
    r = httpx2.post(served.url + "/v1/ask", json={"question": "ferrysplit?", "stream": False}, timeout=30)
    assert r.status_code == 200 and r.json()["citations"][0]["post_id"] == "file:f1"
    # Writes still need the token, checked where they are done.
    r = httpx2.post(served.url + "/v1/posts", json=p("nope", "no token"), timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"]


def test_a_reader_that_dies_is_replaced_and_stopping_leaves_no_process(tmp_path: Path) -> None:
    s = Serve(tmp_path / "data", 1)
    try:
        first = s.readers[0]
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: gone(first), what="the reader to exit")
        again = wait_for(lambda: [c for c in children(s.proc.pid) if c != first], timeout=30,
                         what="a new reader process")
        ingest(s.url, p("after", "served again after the crash", 1))
        hits = wait_for(lambda: _hits(s.url, "crash"), timeout=30, what="a search answered by the new reader")
        assert hits == ["file:after"]
        err = s.stop(signal.SIGTERM)
        assert s.proc.returncode == 0 and "starting it again" in err and "Traceback" not in err, err
        assert all(gone(pid) for pid in again)
    finally:
        s.kill()


def test_ctrl_c_in_a_terminal_stops_every_process_cleanly(tmp_path: Path) -> None:
    s = Serve(tmp_path / "data", 2, session=True)
    try:
        ingest(s.url, p("c1", "stopping together", 1))
        os.killpg(s.proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole process group
        err = s.output()
        assert s.proc.returncode == 0 and "stopped after" in err and "Traceback" not in err, err
        wait_for(lambda: all(gone(pid) for pid in s.readers), what="the readers to exit")
    finally:
        s.kill()


def test_readers_end_when_the_writer_is_killed(tmp_path: Path) -> None:
    s = Serve(tmp_path / "data", 2)
    try:
        s.proc.kill()  # no chance to stop them: their lifeline pipe closes
        s.proc.wait()
        wait_for(lambda: all(gone(pid) for pid in s.readers), timeout=30, what="the readers to exit")
    finally:
        s.kill()
        for pid in s.readers:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def _hits(url: str, q: str) -> list[str] | None:
    try:
        r = httpx2.get(url + "/v1/search", params={"q": q}, timeout=10)
    except httpx2.HTTPError:
        return None
    return [h["key"] for h in r.json()["hits"]] if r.status_code == 200 and r.json()["hits"] else None
