"""`veristream serve` split over processes: reads served beside the writer, not under its GIL.
This module is the writer's side (`ReaderPool`); a reader runs `veristream.serve.reader`, its
front is `veristream.serve.proxy`.

    clients --> public socket (shared) --> reader process 1..N: uvicorn + Engine(readonly=True)
                                             | search, posts/{key}, stories, the page: here
                                             | everything else: forwarded (streamed) over loopback
                                             v
                                           writer process: uvicorn on an internal loopback socket
                                             + the Engine's writer, sources, embedding, trends

In one process the event loop, the writer thread, the embedding thread and trends share one GIL,
so a 2 ms search waits behind ingest's Python (bench/serve.py: search p99 ~600 ms at 5,000
posts/s). Here the N reader processes share the listening socket (the kernel hands each new
connection to whichever accepts first) and answer the read endpoints from their own read-only
engine: a new tantivy reader generation and a new SQLite WAL snapshot on every search, so a post
acknowledged by `POST /v1/posts` (stored, committed) is found by any search sent after the ack.
The writer process never accepts a public connection: it serves the forwarded requests (ingest,
ask, chat completions, verify, trends, events, the SSE feed, sources, metrics, health) on its
own loopback port, with the same app, token checks and limits as in one process.

Lifecycle: the writer starts the readers and waits until each serves; a reader that exits is
started again (a few times a minute at most, else the server stops with the reason). Ctrl-C or
SIGTERM to the writer stops the readers first (SIGTERM, then SIGKILL after a grace period).
Each reader holds the read end of a pipe whose only write end the writer holds, so a writer that
dies in any way (even SIGKILL) leaves no reader behind: the read returns end-of-file and the
reader stops.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2

from ..settings import Settings

READY = b"r"  # then the reader's stats port, then a newline
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 8.0  # a reader gets this long to finish its requests (uvicorn's grace is 3 s)
RESTARTS_PER_MINUTE = 5


def default_readers(cpus: int | None = None) -> int:
    """Reader processes for `api_readers = -1`: one per core, at most 4 (each holds its own
    engine, ~80-150 MB). Not one fewer for the writer: it uses the cores when searches do not,
    and with two readers on 2 cores a burst of searches runs on both (bench/serve.py, README)."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cpus))


@dataclass(slots=True)
class ReaderSpec:
    """What a reader process is told (pickled to its stdin)."""

    data_dir: str
    settings: Settings
    token: str
    writer_url: str
    listen_fd: int
    alive_fd: int
    proxy_secret: str  # sent with each forwarded request: the writer then believes the client address given


class ReaderPool:
    """N reader processes on the public socket `listen`, forwarding to `writer_url`."""

    def __init__(self, n: int, data_dir: Path, settings: Settings, token: str, listen: socket.socket,
                 writer_url: str, say: Callable[[str], None], proxy_secret: str = ""):
        self.n = n
        self.proxy_secret = proxy_secret
        self.data_dir = Path(data_dir)
        self.settings = settings
        self.token = token
        self.listen = listen
        self.writer_url = writer_url
        self.say = say
        self.procs: list[subprocess.Popen | None] = [None] * n
        self.stats_ports: list[int | None] = [None] * n  # each reader's loopback port for its metrics
        self.restarts = 0
        self.failure: str | None = None  # why the pool gave up (the server then stops)
        self._stopping = threading.Event()
        self._restarted_at: list[float] = []
        self._lock = threading.Lock()
        # The readers' lifeline: they read the read end; the write end stays in this process only
        # (not inheritable), so it closes when this process ends, however it ends.
        self._alive_r, self._alive_w = os.pipe()
        self._watch: threading.Thread | None = None

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start the readers; return once each accepts connections. Raises RuntimeError if one
        cannot start (its own error went to stderr)."""
        for i in range(self.n):
            self.procs[i] = self._spawn(i)
        deadline = time.monotonic() + timeout
        for i, p in enumerate(self.procs):
            assert p is not None
            self.stats_ports[i] = _wait_ready(p, deadline)
            if self.stats_ports[i] is None:
                self.stop()
                raise RuntimeError(f"reader process {i + 1} did not start (exit code {p.poll()})")

    def watch(self, on_failure: Callable[[str], None]) -> None:
        """Restart readers that exit; if they keep exiting, call `on_failure(reason)` once."""
        self._watch = threading.Thread(target=self._watch_loop, args=(on_failure,), daemon=True,
                                       name="veristream-readers")
        self._watch.start()

    def watcher_tid(self) -> int | None:
        """The native id of the thread that starts readers again (it keeps its priority)."""
        return self._watch.native_id if self._watch is not None else None

    def alive(self) -> int:
        return sum(1 for p in self.procs if p is not None and p.poll() is None)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p is not None]

    def status(self) -> dict:
        """For /healthz: readers expected and alive, restarts so far, why the pool gave up."""
        return {"expected": self.n, "alive": self.alive(), "restarts": self.restarts, "failure": self.failure}

    def request_samples(self) -> list[tuple[str, dict[str, str], float]]:
        """The readers' request histograms (for the writer's `/metrics`), from each reader's
        loopback stats port; a reader that does not answer at once is left out of this scrape."""
        out: list[tuple[str, dict[str, str], float]] = []
        for port in list(self.stats_ports):
            if port is None:
                continue
            try:
                r = httpx2.get(f"http://127.0.0.1:{port}/metrics", timeout=2.0, trust_env=False)
                if r.status_code == 200:
                    out += [(name, labels, value) for name, labels, value in r.json()]
            except (httpx2.HTTPError, ValueError):
                pass
        return out

    def terminate(self) -> None:
        """Ask every reader to stop (they finish their requests); returns at once."""
        self._stopping.set()
        for p in self.procs:
            if p is not None and p.poll() is None:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Stop every reader: SIGTERM, then SIGKILL past `grace`; reaps them all."""
        self.terminate()
        with self._lock:  # no restart in flight; one started just before is asked too
            procs = [p for p in self.procs if p is not None]
            self.terminate()
        deadline = time.monotonic() + grace
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self._watch is not None:
            self._watch.join(2)  # before closing what it may be reading
        for p in procs:
            if p.stdout is not None:
                p.stdout.close()
        for fd in (self._alive_r, self._alive_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _spawn(self, i: int) -> subprocess.Popen:
        spec = ReaderSpec(str(self.data_dir), self.settings, self.token, self.writer_url, self.listen.fileno(),
                          self._alive_r, self.proxy_secret)
        p = subprocess.Popen([sys.executable, "-m", "veristream.serve.reader"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, pass_fds=(self.listen.fileno(), self._alive_r))
        assert p.stdin is not None
        try:
            p.stdin.write(pickle.dumps(spec))
            p.stdin.close()
        except BrokenPipeError:  # it died at once: the caller sees it exit
            pass
        return p

    def _watch_loop(self, on_failure: Callable[[str], None]) -> None:
        while not self._stopping.wait(0.2):
            for i, p in enumerate(self.procs):
                if p is None or p.poll() is None:
                    continue
                with self._lock:
                    if self._stopping.is_set():
                        return
                    now = time.monotonic()
                    self._restarted_at = [t for t in self._restarted_at if now - t < 60] + [now]
                    if len(self._restarted_at) > RESTARTS_PER_MINUTE:
                        self.failure = (f"reader process {i + 1} exited (code {p.returncode}) "
                                        f"{len(self._restarted_at)} times within a minute; stopping")
                        self._stopping.set()
                        on_failure(self.failure)
                        return
                    self.say(f"  reader process {i + 1} exited (code {p.returncode}); starting it again")
                    if p.stdout is not None:
                        p.stdout.close()
                    self.restarts += 1
                    self.stats_ports[i] = None
                    self.procs[i] = q = self._spawn(i)
                # Outside the lock: a stop meanwhile finds the new process and ends it.
                self.stats_ports[i] = _wait_ready(q, time.monotonic() + START_TIMEOUT_S)


def _wait_ready(p: subprocess.Popen, deadline: float) -> int | None:
    """Wait for the reader's 'serving' note on its stdout; its stats port, or None if it exited
    or did not start in time."""
    assert p.stdout is not None
    got = b""
    with selectors.DefaultSelector() as sel:
        sel.register(p.stdout, selectors.EVENT_READ)
        while not got.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(p.stdout.fileno(), 64)
            if not chunk:
                return None
            got += chunk
    return int(got[len(READY):]) if got.startswith(READY) else None
