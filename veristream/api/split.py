"""`veristream serve` split over processes: reads served beside the writer, not under its GIL.

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

import gc
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from ..settings import Settings

if TYPE_CHECKING:
    from .auth import Guard

READY = b"r"  # then the reader's stats port, then a newline
START_TIMEOUT_S = 60.0
STOP_GRACE_S = 8.0  # a reader gets this long to finish its requests (uvicorn's grace is 3 s)
RESTARTS_PER_MINUTE = 5
# Not forwarded either way: they describe one hop, not the request (RFC 9110 7.6.1).
HOP_HEADERS = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding",
                         b"upgrade", b"host", b"proxy-authenticate", b"proxy-authorization"})
# Answered by a reader from its read-only engine: cheap, frequent, and they only read what the
# writer has committed. Trends and events stay with the writer (it holds the detector's live
# state), the feed needs the writer's accepted batches, answers its embedder.
LOCAL_PREFIXES = ("/v1/search", "/v1/posts/", "/v1/stories/", "/static/")
LOCAL_PATHS = frozenset({"/", "/openapi.json"})
# Forwarded requests that need the write token: checked by the reader before it reads the body,
# so a client without the token cannot make it buffer api_max_body_mb first.
WRITE_ROUTES = frozenset({("POST", "/v1/posts")})


def served_by_reader(method: str, path: str) -> bool:
    """Whether a reader answers this request itself (else it goes to the writer)."""
    if method not in ("GET", "HEAD"):
        return False
    return path in LOCAL_PATHS or path.startswith(LOCAL_PREFIXES)


def default_readers(cpus: int | None = None) -> int:
    """Reader processes for `api_readers = -1`: one per core, at most 4 (each holds its own
    engine, ~80-150 MB). Not one fewer for the writer: it uses the cores when searches do not,
    and with two readers on 2 cores a burst of searches runs on both (bench/serve.py, README)."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cpus))


# -- the writer's side -------------------------------------------------------------------------------


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
        import httpx2

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
        p = subprocess.Popen([sys.executable, "-m", "veristream.api.split"], stdin=subprocess.PIPE,
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
    import selectors

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


# -- the reader's side -------------------------------------------------------------------------------


class WriterProxy:
    """ASGI app forwarding each request to the writer process and streaming its answer back
    (SSE included: each chunk is passed on as it arrives). A client that hangs up ends the
    forwarded request too, so the writer drops e.g. its feed subscription at once."""

    def __init__(self, writer_url: str, proxy_secret: str = ""):
        self.writer_url = writer_url.rstrip("/")
        self.proxy_secret = proxy_secret.encode()
        # httpx2.AsyncClient, made on the reader's event loop at first use; it lives as long as
        # the process (its connections close when the process ends).
        self._client = None

    def _http(self):
        import httpx2

        if self._client is None:
            # No read timeout: a feed may be quiet for long and an answer may take long; the
            # writer's own limits (and the client's) bound them.
            self._client = httpx2.AsyncClient(
                timeout=httpx2.Timeout(None, connect=10.0), trust_env=False,
                limits=httpx2.Limits(max_connections=None, max_keepalive_connections=64))
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import anyio
        import httpx2

        from . import errors

        chunks: list[bytes] = []
        while True:  # bodies are bounded by the _BodyLimit in front of this app
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body", False):
                break
        from .app import CLIENT_HEADER, PROXY_HEADER

        # A client's own x-veristream-* headers are dropped: only this reader names the client.
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_HEADERS and k not in (CLIENT_HEADER, PROXY_HEADER)]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", client[0].encode()))
            headers += [(CLIENT_HEADER, client[0].encode()), (PROXY_HEADER, self.proxy_secret)]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            raw_path += b"?" + scope["query_string"]
        http = self._http()
        url = httpx2.URL(self.writer_url).copy_with(raw_path=raw_path)
        body = b"".join(chunks)
        for attempt in (1, 2):
            req = http.build_request(scope["method"], url, headers=headers, content=body)
            try:
                resp = await http.send(req, stream=True)
                break
            except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError) as e:
                # Most likely a kept-alive connection the writer was closing (as it does after an
                # unhandled error), failing before any answer: sent once more rather than failing
                # a request the writer has not seen. Should it have been seen, a second ingest of
                # the same posts stores nothing new and a second answer costs only its time.
                if attempt == 2:
                    await errors.error_response(502, f"the writer process did not answer: {type(e).__name__}",
                                                "unavailable")(scope, receive, send)
                    return
            except httpx2.HTTPError as e:
                await errors.error_response(502, f"the writer process did not answer: {type(e).__name__}",
                                            "unavailable")(scope, receive, send)
                return
        try:
            await send({"type": "http.response.start", "status": resp.status_code,
                        "headers": [(k.lower(), v) for k, v in resp.headers.raw if k.lower() not in HOP_HEADERS]})

            async def pump(cancel: anyio.CancelScope) -> None:
                try:
                    async for chunk in resp.aiter_raw():
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                except httpx2.HTTPError:
                    pass  # the writer went away mid-answer: end what was sent
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                cancel.cancel()

            async def hang_up(cancel: anyio.CancelScope) -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                cancel.cancel()

            async with anyio.create_task_group() as tg:
                tg.start_soon(pump, tg.cancel_scope)
                tg.start_soon(hang_up, tg.cancel_scope)
        finally:
            await resp.aclose()


class SplitApp:
    """A reader's app: the read endpoints from `local` (the usual app on a read-only engine),
    the rest forwarded by `proxy`. Lifespan events go to `local`. On `stats_port` (loopback,
    for the writer only) it answers `GET /metrics` with its request histogram as JSON."""

    def __init__(self, local: FastAPI, proxy: WriterProxy, body_limit: int, stats_port: int):
        from .app import HostCheck, _BodyLimit

        self.local = local
        self.proxy = proxy
        api = local.state.api
        # What is forwarded passes the same doors here as in the writer, before its body is read.
        self.forward = HostCheck(_TokenGate(_BodyLimit(proxy, limit=body_limit), api.guard), api.hosts)
        self.stats_port = stats_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.local(scope, receive, send)
        elif (scope.get("server") or (None, None))[1] == self.stats_port:
            await self._stats(scope, receive, send)
        elif served_by_reader(scope["method"], scope["path"]):
            await self.local(scope, receive, send)
        else:
            await self.forward(scope, receive, send)

    async def _stats(self, scope: Scope, receive: Receive, send: Send) -> None:
        import orjson
        from starlette.responses import Response

        from . import errors

        if scope["path"] != "/metrics":
            await errors.error_response(404, "not found", "not_found")(scope, receive, send)
            return
        body = orjson.dumps(self.local.state.api.metrics.request_samples())
        await Response(body, media_type="application/json")(scope, receive, send)


class _TokenGate:
    """The token of a forwarded request, checked before its body is read: write routes always,
    the others (but /healthz) when `api_read_token_required` is on. The writer checks again."""

    def __init__(self, app: Callable, guard: "Guard"):
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from starlette.requests import Request

        from . import errors
        from .errors import ApiError

        write = (scope["method"], scope["path"]) in WRITE_ROUTES
        if write or (self.guard.read_required and scope["path"] != "/healthz"):
            try:
                self.guard.check(Request(scope), write=write)
            except ApiError as e:
                await errors.error_response(e.status, e.message, e.code, e.param, e.headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _ReaderServer(uvicorn.Server):
    """A reader stops on SIGTERM (from the writer) or when the writer is gone, not on SIGINT:
    Ctrl-C in a terminal reaches every process of the group, and the writer then stops its
    readers itself, after they have finished their requests (a second signal would cut them)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGINT:
            super().handle_exit(sig, frame)


def reader_main() -> int:
    """A reader process: the spec on stdin, READY on stdout once it serves, then serve until
    SIGTERM/SIGINT or until the writer is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer stops us (see _ReaderServer)
    spec: ReaderSpec = pickle.load(sys.stdin.buffer)
    alive_fd = spec.alive_fd
    server_box: list = []
    writer_gone = threading.Event()

    def lifeline() -> None:
        try:
            while os.read(alive_fd, 1):  # nobody writes: returns b"" once the writer is gone
                pass
        except OSError:
            pass
        writer_gone.set()
        if server_box:
            server_box[0].should_exit = True
        else:
            os._exit(0)  # still starting: nothing to finish

    threading.Thread(target=lifeline, daemon=True, name="veristream-lifeline").start()

    from ..engine import Engine
    from .app import create_app
    from .server import KEEP_ALIVE_S, _sigterm_stops, bind

    sys.setswitchinterval(0.001)  # as in the writer: short requests do not wait out long slices
    # Reads only: no embedding model, no detector state (answers and trends are the writer's).
    settings = replace(spec.settings, vectors=False, trends=False)
    engine = Engine(spec.data_dir, settings, readonly=True)
    local = create_app(engine, settings, token=spec.token, inline_reads=True)
    proxy = WriterProxy(spec.writer_url, spec.proxy_secret)
    sock = socket.socket(fileno=spec.listen_fd)
    stats = bind("127.0.0.1", 0)
    stats_port = stats.getsockname()[1]
    app = SplitApp(local, proxy, int(settings.api_max_body_mb * 1024 * 1024), stats_port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none",
                            timeout_graceful_shutdown=3, timeout_keep_alive=KEEP_ALIVE_S)
    server = _ReaderServer(config)
    server_box.append(server)
    if writer_gone.is_set():
        server.should_exit = True

    def note_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        try:
            os.write(sys.stdout.fileno(), READY + b"%d\n" % stats_port)
        except OSError:
            pass

    threading.Thread(target=note_ready, daemon=True, name="veristream-ready").start()
    # What start-up built (the app, the engine, the analysers' tables) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it, so it stops
    # pausing searches for tens of milliseconds (bench/serve.py: gen-2 passes of 52-87 ms before, ~5 ms after).
    gc.collect()
    gc.freeze()
    restore = _sigterm_stops(server)
    try:
        server.run(sockets=[sock, stats])
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        stats.close()
        local.state.api.close()
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(reader_main())
