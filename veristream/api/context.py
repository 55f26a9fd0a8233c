"""What the routes of one app share (`ApiContext`, kept in `app.state.api`): the engine,
settings, token guard, Host policy, live feed, metrics, the compose queue and the pipeline that
API ingest goes through. Several apps (and engines) can live in one process."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.stories import TokenHasher
from ..core.writer import Accepted
from ..engine import Engine, Pipeline
from ..model import from_us, iso
from ..settings import Settings
from . import errors
from .auth import Guard
from .errors import ApiError
from .feed import LiveFeed
from .metrics import ApiMetrics

RETRY_AFTER_S = 2  # what a 429 tells a client to wait: about one answer's time
# Set by a reader process (veristream.serve) on what it forwards: the client's own address,
# believed only beside the proxy secret that the writer handed its readers.
CLIENT_HEADER = b"x-veristream-client"
PROXY_HEADER = b"x-veristream-proxy"


class ComposeQueue:
    """At most `running` answers and claim checks computed at once, `waiting` more in line, and
    beyond that a 429 at once (an unbounded line only turns a flood into memory and latency).

    A place is held until the work's thread has ended, not until its client leaves: threads
    cannot be stopped, and releasing on a hang-up let any number of them compute at once,
    starving searches, `/healthz` and ingest. Used on the event loop only."""

    def __init__(self, running: int, waiting: int):
        self.running = running
        self.waiting = waiting
        self._sem = asyncio.Semaphore(running)
        # A dropped ticket may be collected on another thread, or by a collection inside this lock: reentrant.
        self._count_lock = threading.RLock()
        self.admitted = 0  # holding a place or waiting for one
        self.active = 0  # holding one

    def admit(self) -> "ComposeTicket":
        """A place in line, or a 429 (with Retry-After) when the line is full."""
        with self._count_lock:
            if self.admitted >= self.running + self.waiting:
                raise ApiError(429, f"the server is busy: {self.running} answers or claim checks are being composed "
                                    f"and {self.waiting} more wait (settings api_ask_running, api_ask_queue); try "
                                    f"again in {RETRY_AFTER_S} s", "too_many_requests", None,
                               {"Retry-After": str(RETRY_AFTER_S)})
            self.admitted += 1
        return ComposeTicket(self)


class ComposeTicket:
    """One admitted request's place: `await turn()`, then `release()` once its work has ended
    (idempotent). One never used is released when dropped (a response never started)."""

    def __init__(self, queue: ComposeQueue):
        self._queue = queue
        self._held = False
        self._released = False

    async def turn(self) -> None:
        await self._queue._sem.acquire()
        self._held = True
        with self._queue._count_lock:
            self._queue.active += 1

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        q = self._queue
        with q._count_lock:
            q.admitted -= 1
            if self._held:
                q.active -= 1
        if self._held:
            q._sem.release()

    def __del__(self) -> None:
        if not self._held:  # a place in line only (no semaphore to hand back): safe from any thread
            self.release()


class HostPolicy:
    """Which Host headers the API answers (DNS rebinding: a page on evil.example whose name
    later resolves to 127.0.0.1 reaches the API from the victim's browser, with Host
    evil.example). Loopback names always; any IP address when the server listens beyond
    loopback (a rebinding needs a name); the names of `api_allowed_hosts`; '*' any."""

    def __init__(self, bound_host: str, allowed: str):
        names = [_host_name(n) for n in allowed.split(",") if n.strip()]
        self.any = "*" in names
        self.names = frozenset(n for n in names if not n.startswith("."))
        self.suffixes = tuple(n for n in names if n.startswith("."))
        self.ip_addresses = not _is_loopback(_host_name(bound_host))

    def allows(self, host: str | None) -> bool:
        if host is None or self.any:
            return True  # no Host at all (HTTP/1.0): not a browser, so not a rebinding
        name = _host_name(host)
        if _is_loopback(name) or name in self.names or (self.suffixes and name.endswith(self.suffixes)):
            return True
        return self.ip_addresses and _ip(name) is not None


def _host_name(host: str) -> str:
    """`Host` without its port, lowercase, brackets and final dot dropped: [::1]:80 -> ::1."""
    h = host.strip().lower()
    if h.startswith("["):
        h = h[1:].split("]", 1)[0]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _is_loopback(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):  # browsers resolve these to loopback themselves
        return True
    ip = _ip(name)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


class ApiContext:
    """What the routes share: the engine, settings, token guard, live feed, metrics and the
    pipeline that API ingest goes through."""

    def __init__(self, engine: Engine, settings: Settings, token: str, inline_reads: bool = False,
                 proxy_secret: str | None = None):
        self.engine = engine
        self.settings = settings
        self.inline_reads = inline_reads  # searches on the event loop (a reader process), not the pool
        self.guard = Guard(token, settings.api.read_token_required)
        self.hosts = HostPolicy(settings.api.host, settings.api.allowed_hosts)
        self.open_composers = frozenset(c.strip() for c in settings.api.open_composers.split(",") if c.strip())
        self.feed = LiveFeed(max_per_client=settings.api.stream_per_client)
        self.metrics = ApiMetrics(self)
        self.hasher = TokenHasher()  # for API ingest's fingerprints (memoised token hashes)
        self.composes = ComposeQueue(settings.api.ask_running, settings.api.ask_queue)
        self.proxy_secret = proxy_secret.encode() if proxy_secret else None
        # With reader processes (veristream.serve.readers): their state, for /healthz (set by the server).
        self.readers: Callable[[], dict[str, Any]] | None = None
        self.rejected = 0  # posts rejected by POST /v1/posts
        self.closed = False
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()
        if not engine.readonly:
            engine.subscribe(self._on_accepted)

    def _on_accepted(self, acc: Accepted) -> None:
        # On the engine's writer thread: quick, and never raises into it.
        if self.closed:
            return
        try:
            if acc.items:
                self.metrics.ingested.inc(len(acc.items))
            if acc.updated:
                self.metrics.updated.inc(len(acc.updated))
            self.feed.publish(acc)
        except Exception:  # noqa: BLE001
            errors.log.exception("API listener failed on an accepted batch")

    def pipeline(self) -> Pipeline:
        """The pipeline API ingest goes through (started on first use)."""
        if self.engine.readonly:
            raise ApiError(503, "this server's engine is read-only: it cannot store posts", "read_only")
        with self._lock:
            if self.closed:
                raise ApiError(503, "the server is stopping", "unavailable")
            if self._pipeline is None:
                self._pipeline = self.engine.pipeline()
            return self._pipeline

    def backlog(self) -> int:
        """Posts handed over (API and live sources) and not yet stored."""
        n = self._pipeline.backlog() if self._pipeline is not None else 0
        runner = self.engine.sources
        return n + (runner.backlog() if runner is not None else 0)

    def client_address(self, headers: list[tuple[bytes, bytes]], client: tuple[str, int] | None) -> str:
        """Who sent a request: the peer's address, or, on a request a reader process forwarded
        (it carries the proxy secret), the address the reader saw."""
        if self.proxy_secret is not None:
            fwd = secret = None
            for k, v in headers:
                if k == CLIENT_HEADER:
                    fwd = v
                elif k == PROXY_HEADER:
                    secret = v
            if fwd and secret is not None and hmac.compare_digest(secret, self.proxy_secret):
                return fwd.decode("latin-1")
        return client[0] if client else "unknown"

    def health(self) -> tuple[int, dict[str, Any]]:
        """What `/healthz` says: (HTTP status, body). Read from plain fields and short locks only,
        never the engine's write lock, so it answers while ingest is stuck. 503 when posts can no
        longer be stored (a writer stopped, the engine closed, the reader processes given up);
        'degraded' (200) when a source failed, a reader is down or being restarted."""
        eng = self.engine
        failing: list[str] = []
        degraded: list[str] = []
        if self.closed:
            failing.append("the server is stopping")
        writers: dict[str, Any] = {}
        runner = eng.sources
        for name, pipe in (("api", self._pipeline), ("sources", runner.pipeline if runner is not None else None)):
            if pipe is None:
                continue
            writers[name] = st = pipe.status()
            if st["state"] == "failed":
                failing.append(f"the {name} ingest writer stopped: {st['error']}")
        sources = []
        if runner is not None:
            crashed = dict(runner.errors)
            dead = set(runner.dead())
            for st in runner.statuses():
                err = crashed.get(st.name)
                last = f"{type(err).__name__}: {err}" if err is not None else st.last_error
                sources.append({"name": st.name, "state": st.state, "connected": st.connected, "lag_s": st.lag_s,
                                "restarts": st.restarts, "dead": st.name in dead, "last_error": last})
                if st.name in dead:
                    degraded.append(f"source {st.name} has stopped for good: {last or 'it ended'}")
                elif st.state in ("failed", "restarting"):
                    degraded.append(f"source {st.name} failed ({st.restarts} restarts so far): {last}")
        readers = self.readers() if self.readers is not None else None
        if readers is not None:
            if readers.get("failure"):
                failing.append(readers["failure"])
            elif readers["alive"] < readers["expected"]:
                degraded.append(f"{readers['expected'] - readers['alive']} of {readers['expected']} reader processes "
                                "down (being started again)")
        now_us = eng.now_us()
        lag: dict[str, Any] = {"ingest_backlog_posts": self.backlog(),
                               "freshness_s": round(max(0.0, time.time() - now_us / 1e6), 3) if now_us else None,
                               "embedding": None}
        try:
            emb = eng.embedding_status()
            if emb.enabled:
                lag["embedding"] = {"state": emb.state, "pending_posts": emb.pending, "lag_s": emb.lag_s}
        except Exception as e:  # noqa: BLE001 - a status that fails is itself the news
            degraded.append(f"embedding status unavailable: {type(e).__name__}: {e}")
        status = "failing" if failing else "degraded" if degraded else "ok"
        body: dict[str, Any] = {
            "status": status, "problems": failing + degraded, "readonly": eng.readonly,
            "stream_now": iso(from_us(now_us)) if now_us else None, "writers": writers, "sources": sources,
            "readers": readers, "lag": lag,
            "composing": {"running": self.composes.active, "waiting": self.composes.admitted - self.composes.active},
            "feed_clients": self.feed.clients}
        if failing:
            body["error"] = errors.error_body(503, "; ".join(failing), "unhealthy")["error"]
            return 503, body
        return 200, body

    def close(self) -> None:
        """Stop the feed and write what the API queued; the engine stays open (its owner closes it)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            pipe, self._pipeline = self._pipeline, None
        self.feed.close()
        if pipe is not None:
            pipe.close()
