"""The contract every live source follows, and the pieces they share.

A `Source` is a thread-friendly object: `run(sink, stop)` connects, reads, hands posts to
the `Sink` and reconnects on its own until `stop` is set. It never writes to the engine
directly: the `Sink` (see `runner.EngineSink`) puts posts, deletes and source positions
into the engine's bounded `Pipeline` in order, so back-pressure reaches the network read
loop (a full queue blocks `sink.post`, the socket is not read, the server slows down) and
nothing is dropped silently.

Each source keeps a `SourceStatus` that the runner, the CLI and (later) the API read.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from collections.abc import Callable, Iterator
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from ..core.errors import EngineError
from ..model import BadPost, Post


USER_AGENT = "veristream/0.1"
NOT_JSON = object()  # what `Source.decode` returns for a message it quarantined


class SourceError(ValueError):
    """A source is configured in a way that cannot work (bad URL, missing token...)."""


@dataclass(slots=True)
class SourceStatus:
    """What a source is doing, as of the last message. Copies are handed out (`snapshot`)."""

    name: str
    kind: str  # bluesky | x | mastodon | rss
    endpoint: str | None = None  # where it is (or was last) connected
    state: str = "starting"  # starting | connecting | connected | waiting | stopped | failed | restarting
    connected: bool = False
    connected_since: datetime | None = None
    last_message_at: datetime | None = None  # wall clock of the last message or keep-alive
    last_event_at: datetime | None = None  # event time of the last message (service clock)
    lag_s: float | None = None  # last_message_at - last_event_at: how far behind live we read
    blocked_s: float = 0.0  # total time spent waiting on a full ingest queue (back-pressure)
    reconnects: int = 0
    received: int = 0  # messages read off the wire (keep-alives excluded)
    accepted: int = 0  # posts handed to the core (new, updated or already stored)
    deleted: int = 0  # delete events handed to the core
    ignored: int = 0  # well-formed messages that are not posts (likes, identity events...)
    rejected: int = 0  # malformed or unknown messages, quarantined with a reason
    last_error: str | None = None
    next_retry_at: datetime | None = None
    restarts: int = 0  # times the runner restarted this source after its thread died on an error

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, datetime):
                d[k] = v.isoformat().replace("+00:00", "Z")
        return d

    def line(self) -> str:
        """One human line: `bluesky: connected to host · 1,234 posts · lag 0.4s · ...`."""
        where = _host(self.endpoint) if self.endpoint else "-"
        state = f"{self.state} {'to ' if self.connected else ''}{where}".rstrip()
        parts = [f"{self.name}: {state}", f"{self.accepted:,} posts"]
        if self.deleted:
            parts.append(f"{self.deleted:,} deleted")
        parts.append(f"{self.rejected:,} rejected")
        if self.last_message_at is not None:
            ago = (datetime.now(timezone.utc) - self.last_message_at).total_seconds()
            parts.append(f"last msg {max(0.0, ago):.1f}s ago")
        if self.lag_s is not None:
            parts.append(f"lag {self.lag_s:.1f}s")
        if self.blocked_s >= 0.1:
            parts.append(f"slowed {self.blocked_s:.1f}s by a full queue")
        parts.append(f"{self.reconnects} reconnects")
        if self.restarts:
            parts.append(f"{self.restarts} restarts")
        if self.last_error and not self.connected:
            parts.append(f"last error: {self.last_error[:80]}")
        return " · ".join(parts)


class Sink(Protocol):
    """Where a source hands its output; implemented by `runner.EngineSink` (and test fakes)."""

    def post(self, post: Post) -> None: ...  # blocks while the core is behind
    def delete(self, keys: list[str]) -> None: ...  # applied in order with the posts
    def offset(self, key: str, value: str) -> None: ...  # stored with the batch of the posts before it
    def stored_offset(self, key: str) -> str | None: ...
    def reject(self, counter: int, reason: str, raw: bytes | str) -> None: ...


class Held:
    """The connection a source's reading thread holds now, which `stop` closes from another
    thread to unblock a read. `hold` returns False when the source was stopped before the
    connection could be published (the caller closes it and stops)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: Any = None

    def hold(self, conn: Any, stopped: Callable[[], bool]) -> bool:
        with self._lock:
            self._conn = conn
        return not stopped()

    def release(self) -> None:
        with self._lock:
            self._conn = None

    def close(self) -> None:
        with self._lock:
            conn = self._conn
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing from another thread is best effort
                pass


class Source(ABC):
    """One live input. Subclasses implement `_run(sink)`; `run` adds status bookkeeping."""

    kind: str = ""

    def __init__(self, name: str | None = None):
        self.name = name or self.kind
        self._status = SourceStatus(self.name, self.kind)
        self._lock = threading.Lock()
        self.stop_event = threading.Event()

    # -- the public contract --------------------------------------------------------

    def run(self, sink: Sink, stop: threading.Event | None = None) -> None:
        """Read until `stop` (or `self.stop()`); reconnects by itself. Blocks."""
        if stop is not None:
            self.stop_event = stop
        try:
            self._run(sink)
            self.update(state="stopped", connected=False)
        except BaseException as e:
            self.update(state="failed", connected=False, last_error=_err(e))
            raise

    def stop(self) -> None:
        """Ask `run` to return soon; also unblocks a read in progress."""
        self.stop_event.set()
        self.interrupt()

    def interrupt(self) -> None:  # noqa: B027 - optional hook
        """Close the current connection from another thread (override where reads block)."""

    @property
    def status(self) -> SourceStatus:
        with self._lock:
            return replace(self._status)

    # -- for subclasses -------------------------------------------------------------

    @abstractmethod
    def _run(self, sink: Sink) -> None: ...

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep unless stopped; True if stop was asked."""
        if seconds > 0:
            return self.stop_event.wait(seconds)
        return self.stopped

    def update(self, **kw: Any) -> None:
        with self._lock:
            for k, v in kw.items():
                setattr(self._status, k, v)

    def count(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self._status, field, getattr(self._status, field) + n)

    def connected(self, endpoint: str) -> None:
        self.update(connected=True, state="connected", endpoint=endpoint, connected_since=utcnow(),
                    next_retry_at=None)

    def disconnected(self, error: BaseException | str | None, retry_in: float | None = None) -> None:
        with self._lock:
            s = self._status
            s.connected = False
            s.connected_since = None
            if error is not None:
                s.last_error = error if isinstance(error, str) else _err(error)
            if retry_in is not None and not self.stopped:
                s.state = "waiting"
                s.next_retry_at = datetime.fromtimestamp(time.time() + retry_in, timezone.utc)

    def message(self, event_time: datetime | None = None) -> None:
        """A message arrived (call for keep-alives too with `received=False` semantics)."""
        now = utcnow()
        with self._lock:
            s = self._status
            s.received += 1
            s.last_message_at = now
            if event_time is not None:
                s.last_event_at = event_time
                s.lag_s = max(0.0, (now - event_time).total_seconds())

    def heartbeat(self) -> None:
        with self._lock:
            self._status.last_message_at = utcnow()

    def hand_over(self, sink: Sink, post: Post) -> bool:
        """`sink.post` with the time it blocked (back-pressure) accounted for. A post the sink
        refuses as unstorable (BadPost) is quarantined instead; returns whether it was taken."""
        t = time.monotonic()
        try:
            sink.post(post)
        except BadPost as e:
            self.quarantine(sink, e.reason, _raw_of(post))
            return False
        waited = time.monotonic() - t
        with self._lock:
            self._status.accepted += 1
            if waited > 0.005:
                self._status.blocked_s += waited
        return True

    def handle_safely(self, handle: Callable[[Any, Sink], None], msg: Any, sink: Sink) -> None:
        """Run one message handler; whatever it raises that is not the connection's own
        business becomes a quarantined message, so one message never ends the read loop.
        (Connection errors, raised by reads, never pass through a handler.)"""
        try:
            handle(msg, sink)
        except BadPost as e:
            self.quarantine(sink, e.reason, _raw_msg(msg))
        except RecursionError:
            self.quarantine(sink, "message nested too deep", _raw_msg(msg))
        except Exception as e:  # noqa: BLE001 - the boundary: one message, any exception
            if isinstance(e, EngineError):
                raise  # the core stopped, or is closed: not this message's fault
            self.quarantine(sink, f"message not understood: {_err(e)}", _raw_msg(msg))

    def decode(self, msg: bytes | str, sink: Sink, raw: bytes | str | None = None, what: str = "") -> Any:
        """`msg` parsed as JSON, or NOT_JSON once it is counted and quarantined (with `raw`,
        the message as it came off the wire, if `msg` was unpacked from it)."""
        try:
            return orjson.loads(msg)
        except orjson.JSONDecodeError as e:
            self.message()
            self.quarantine(sink, f"{what}not JSON: {e.msg} at column {e.colno}", msg if raw is None else raw)
            return NOT_JSON

    def quarantine(self, sink: Sink, reason: str, raw: bytes | str) -> None:
        with self._lock:
            self._status.rejected += 1
            n = self._status.received
        sink.reject(n, reason, raw)


class Backoff:
    """Delays between reconnection attempts.

    `linear`: step, 2*step, 3*step ... up to `cap`; `exponential`: base, 2*base, 4*base ...
    up to `cap`. `jitter` (0..1) spreads reconnects of many clients; `reset()` after a
    connection that worked.
    """

    def __init__(self, base: float, cap: float, mode: str = "exponential", jitter: float = 0.0):
        if mode not in ("linear", "exponential"):
            raise ValueError(mode)
        self.base, self.cap, self.mode, self.jitter = base, cap, mode, jitter
        self.attempt = 0

    def next(self) -> float:
        self.attempt += 1
        if self.mode == "linear":
            d = self.base * self.attempt
        else:
            d = self.base * (2 ** min(self.attempt - 1, 30))
        d = min(d, self.cap)
        if self.jitter:
            d *= 1 - self.jitter * random.random()
        return d

    def reset(self) -> None:
        self.attempt = 0


def _raw_msg(msg: Any) -> bytes | str:
    if isinstance(msg, (bytes, str)):
        return msg[:4096]
    return f"<{type(msg).__name__}>"


def _raw_of(post: Post) -> bytes | str:
    raw = post.raw
    if isinstance(raw, (bytes, str)):
        return raw[:4096]
    try:
        return orjson.dumps(raw)[:4096]
    except Exception:  # noqa: BLE001 - the reason it was refused, perhaps
        key = f"{post.source}:{post.id}" if type(post.source) is str and type(post.id) is str else "?"
        return f"<post {key[:4000]}>"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _err(e: BaseException) -> str:
    s = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {s}" if s else type(e).__name__


def _host(url: str) -> str:
    try:
        u = urlsplit(url)
        return u.netloc or url
    except ValueError:
        return url


def shut_down(conn: Any) -> None:
    """Unblock a read in progress on an `http.client` connection, from another thread (stop,
    or a fetch past its deadline): the reader then sees the connection end."""
    if conn is not None and conn.sock is not None:
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def local_host(host: str) -> bool:
    """Whether `host` is, or resolves to, a loopback, private, link-local or reserved address
    (or is localhost): where a public service must not send us. A name is resolved: a public
    name pointing at 127.0.0.1 or 10.x is as local as the address; a name that does not
    resolve is not local (fetching it fails anyway)."""
    h = host.lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        addrs = [ipaddress.ip_address(h)]
    except ValueError:
        try:
            addrs = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(h, None)]
        except (OSError, UnicodeError, ValueError):
            return False
    return any(a.is_loopback or a.is_private or a.is_link_local or a.is_unspecified or a.is_reserved for a in addrs)


def is_loopback(url: str) -> bool:
    """Loopback URLs bypass any configured proxy (tests, local relays)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    u = urlsplit(url)
    if u.scheme not in schemes or not u.hostname:
        raise SourceError(f"{what}: {url!r} is not a {'/'.join(schemes)} URL")
    return url


def reachable(urls: list[str], timeout: float = 3.0) -> bool:
    """True if a TCP connection to any of `urls` opens within `timeout` seconds (DNS included).

    Probes run in parallel daemon threads, so a resolver that hangs cannot hold the caller
    past `timeout`."""
    ok = threading.Event()
    done = threading.Semaphore(0)

    def probe(url: str) -> None:
        try:
            u = urlsplit(url)
            port = u.port or (443 if u.scheme in ("https", "wss") else 80)
            with socket.create_connection((u.hostname, port), timeout=timeout):
                ok.set()
        except (OSError, ValueError):
            pass
        finally:
            done.release()

    for url in urls:
        threading.Thread(target=probe, args=(url,), daemon=True, name="veristream-probe").start()
    deadline = time.monotonic() + timeout
    for _ in urls:
        left = deadline - time.monotonic()
        if left <= 0 or not done.acquire(timeout=left) or ok.is_set():
            break
    return ok.is_set()


def ws_messages(ws: Any, idle_timeout_s: float | None, stopped: Callable[[], bool],
                on_idle: Callable[[], None]) -> Iterator[bytes | str]:
    """Messages from a (sync) WebSocket until `stopped()`; `on_idle` runs on each quiet tick,
    and silence past `idle_timeout_s` raises TimeoutError so the caller reconnects."""
    idle = 0.0
    tick = 1.0 if idle_timeout_s is None else min(1.0, idle_timeout_s)
    while not stopped():
        try:
            msg = ws.recv(timeout=tick)
        except TimeoutError:
            idle += tick
            if idle_timeout_s is not None and idle >= idle_timeout_s:
                raise TimeoutError(f"no message for {idle_timeout_s:g}s") from None
            on_idle()
            continue
        idle = 0.0
        yield msg
