"""`veristream serve`: the engine, its live sources and the HTTP app in one process.

    sources (threads) --> SourceRunner's bounded queue --> Engine (one writer)
    uvicorn (main thread: event loop + thread pool) --> create_app(engine) --> Engine

With `api_readers` > 0 (veristream.serve.readers), reader processes accept the public connections
and answer searches from read-only engines; this process then serves only what they forward
(ingest, answers, the feed...) on a loopback port, so searches never wait for this GIL.
uvicorn runs on the main thread so that Ctrl-C and SIGTERM stop it gracefully (open SSE
streams get a few seconds to end); then the sources stop, what they queued is written, and the
caller closes the engine.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import FrameType

import uvicorn

from ..api import create_app, load_or_create_token
from ..core.writer import IngestResult
from ..engine import Engine
from ..settings import Settings
from ..sources.base import Source
from ..sources.runner import SourceRunner
from .process import ServeError, bind, sigterm_stops, url_of, uvicorn_config
from .readers import ReaderPool, default_readers

STATUS_EVERY_S = 30.0


@dataclass(slots=True)
class ServeResult:
    url: str
    elapsed_s: float = 0.0
    totals: IngestResult = field(default_factory=IngestResult)
    rejected: int = 0
    errors: dict[str, BaseException] = field(default_factory=dict)


def run_server(engine: Engine, sources: Sequence[Source], settings: Settings, host: str, port: int, *,
               quiet: bool = False, open_page: bool = False, echo: Callable[[str], None] | None = None,
               readers: int | None = None) -> ServeResult:
    """Serve `engine` (and follow `sources` into it) until Ctrl-C or SIGTERM. Blocks; the
    engine stays open (the caller closes it). `open_page`: open the page in a browser.
    `readers` (default: the setting `api_readers`): processes serving the read endpoints
    beside this one (veristream.serve.readers); 0: everything in this process."""
    say = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    # One process serves requests beside the writer thread: hand the GIL over every 1 ms rather
    # than 5 ms, so a short search does not wait out the writer's slices (bench/serve.py: search
    # p50 under ingest 93 -> 48 ms on the 2-core machine).
    sys.setswitchinterval(0.001)
    n_readers = settings.api.readers if readers is None else readers
    if n_readers < 0:
        n_readers = default_readers()
    if engine.readonly or sys.platform == "win32":
        n_readers = 0  # nothing writes here (nothing to get away from); or no fd passing (Windows)
    token = load_or_create_token(engine.data_dir, settings)
    settings = replace(settings, api_host=host)  # what the Host check goes by: where it really listens
    proxy_secret = secrets.token_urlsafe(24) if n_readers else None
    app = create_app(engine, settings, token=token.value, proxy_secret=proxy_secret)
    sock = bind(host, port)
    url = url_of(sock)
    result = ServeResult(url)
    pool: ReaderPool | None = None
    served = sock
    if n_readers:
        # The readers accept on the public socket; this process serves what they forward on a
        # loopback port of its own and never accepts a public connection.
        served = bind("127.0.0.1", 0)
        pool = ReaderPool(n_readers, engine.data_dir, settings, token.value, sock, url_of(served), say,
                          proxy_secret or "")
        app.state.api.readers = pool.status  # /healthz: dead readers, restarts
    runner = SourceRunner(engine, list(sources)) if sources else None
    server = _Server(uvicorn_config(app), pool)
    if pool is not None:
        app.state.api.metrics.peers = pool.request_samples  # /metrics: request latencies of every process
        try:
            pool.start()
        except RuntimeError as e:
            served.close()
            sock.close()
            app.state.api.close()
            raise ServeError(f"{e}; serve with --readers 0 to keep everything in one process") from None

    # SIGTERM stops cleanly from the moment the address is printed (a script may send it at once).
    restore = sigterm_stops(server)
    say(f"veristream: serving {url} (the page; API under /v1, schema at /openapi.json, "
        f"OpenAI-compatible at {url}v1) — Ctrl-C to stop")
    if host in ("0.0.0.0", "::"):
        say("  listening on every interface: anyone who can reach this machine can read the stream (Host names "
            "other than localhost and IP addresses are refused unless listed in the setting api_allowed_hosts)")
    if token.created:
        say(f"  API token, shown once (kept in {token.path}): {token.value}")
    elif token.path is not None:
        say(f"  API token for writing (POST /v1/posts): in {token.path}")
    if pool is not None:
        say(f"  searches served by {n_readers} reader process{'es' if n_readers > 1 else ''} beside this writing "
            "one (setting api_readers)")
    if runner is not None:
        names = ", ".join(s.name for s in sources)
        say(f"  following {names} into {engine.data_dir}/")
    else:
        say(f"  no live source: posts come through POST /v1/posts into {engine.data_dir}/")

    if open_page:
        # The socket already listens: the browser's first request waits in its backlog.
        threading.Thread(target=_open, args=(url,), daemon=True, name="veristream-browser").start()
    t0 = time.monotonic()
    stop_status = threading.Event()
    if runner is not None:
        runner.start()
        if not quiet:
            threading.Thread(target=_status_loop, args=(runner, stop_status, say), daemon=True,
                             name="veristream-status").start()
    if pool is not None:
        pool.watch(lambda reason: (say(f"veristream: {reason}"), setattr(server, "should_exit", True)))
    unnice = None
    if pool is not None and settings.api.writer_nice:
        unnice = _lower_priority(settings.api.writer_nice, keep={pool.watcher_tid()})
    try:
        server.run(sockets=[served])
    except KeyboardInterrupt:  # uvicorn re-raises the signal that stopped it, once it has shut down
        pass
    finally:
        restore()
        if unnice is not None:
            unnice()
        stop_status.set()
        if pool is not None:
            pool.stop()  # before anything else closes: their forwarded requests are finished
            served.close()
        sock.close()
        app.state.api.close()
        if runner is not None:
            result.totals = runner.stop()
            result.rejected = sum(s.rejected for s in runner.statuses())
            result.errors = dict(runner.errors)
    result.elapsed_s = time.monotonic() - t0
    return result


class _Server(uvicorn.Server):
    """uvicorn's server, which on Ctrl-C/SIGTERM first asks the reader processes to stop, so they
    stop accepting while this process still answers what they have forwarded."""

    def __init__(self, config: uvicorn.Config, pool: ReaderPool | None):
        super().__init__(config)
        self.pool = pool

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.pool is not None:
            self.pool.terminate()
        super().handle_exit(sig, frame)


def _lower_priority(increment: int, keep: set[int]) -> Callable[[], None] | None:
    """Lower the CPU priority of every thread of this process but those in `keep` (native ids):
    the event loop and its thread pool (ingest parsing), the ingest writer, tantivy's indexing
    and merging threads, trends, live sources. Linux keeps a nice value per thread and a new
    thread takes its creator's, so threads started later by these run lower too, while the
    reader pool's watcher (kept) starts readers again at the usual priority. Returns what puts
    the calling thread back (the others end with the server)."""
    me = threading.get_native_id()
    try:
        old = os.getpriority(os.PRIO_PROCESS, me)
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except (OSError, AttributeError):  # no per-thread priorities here
        return None
    for tid in tids:
        if tid in keep:
            continue
        try:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + increment))
        except OSError:  # ended meanwhile, or not permitted
            pass

    def restore() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, me, old)
        except OSError:  # raising it back needs a privilege this process may not have
            pass

    return restore


def can_open_browser() -> bool:
    """A graphical session to open a page in. Without one, Python's `webbrowser` would start a
    text browser (lynx, w3m) in this very terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open(url: str) -> None:
    try:
        webbrowser.open(url, new=2)
    except webbrowser.Error:
        pass


def _status_loop(runner: SourceRunner, stop: threading.Event, say: Callable[[str], None]) -> None:
    while not stop.wait(STATUS_EVERY_S):
        backlog = runner.backlog()
        for line in runner.status_lines():
            say(line + (f" · queue {backlog:,}" if backlog else ""))


def summary(res: ServeResult) -> str:
    t = res.totals
    msg = (f"stopped after {res.elapsed_s:.1f}s: {t.accepted:,} new, {t.updated:,} updated, {t.deleted:,} deleted, "
           f"{t.duplicates + t.stale:,} already stored, {res.rejected:,} rejected from live sources")
    if res.rejected:
        msg += " (reasons in quarantine.jsonl)"
    return msg

