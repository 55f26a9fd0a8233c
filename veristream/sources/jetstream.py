"""Bluesky Jetstream: the public firehose as WebSocket JSON, no account needed.

Protocol (https://github.com/bluesky-social/jetstream): connect to `wss://HOST/subscribe`
with query parameters `wantedCollections` (repeatable), `wantedDids` (repeatable),
`cursor` (unix microseconds) and `compress=true`; each text message is one JSON event
`{"did", "time_us", "kind": "commit"|"identity"|"account", "commit": {...}}`.

* create / update commits of `app.bsky.feed.post` become posts (an update is a newer version:
  the store replaces the older one); delete commits remove the post from store and index.
* resume: the newest `time_us` handed over is stored as the source's offset, in the same
  transaction as the posts before it. On (re)connect the cursor is that value minus
  `overlap_s`, so nothing is missed; the overlap is read again and the store, keyed by the
  post's at-uri and content digest, keeps one copy.
* fail-over: the public instances are tried in turn; a connection that fails moves to the
  next one after a jittered exponential back-off.
* `compress=true`: messages arrive as zstd frames made with Jetstream's custom dictionary.
  That dictionary is published in the Jetstream repository (`pkg/models/zstd_dictionary`);
  veristream does not ship it: pass its path as `zstd_dictionary`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..model import MAX_LINE_BYTES, BadPost, from_us
from ..readers._common import short
from ..readers import jetstream as jr
from ..readers import parse_obj
from .base import NOT_JSON, USER_AGENT, Backoff, Held, Sink, Source, SourceError, check_url, is_loopback, ws_messages

PUBLIC_INSTANCES = [
    "wss://jetstream1.us-east.bsky.network/subscribe",
    "wss://jetstream2.us-east.bsky.network/subscribe",
    "wss://jetstream1.us-west.bsky.network/subscribe",
    "wss://jetstream2.us-west.bsky.network/subscribe",
]
POST_COLLECTION = "app.bsky.feed.post"
_KNOWN_KINDS = frozenset({"commit", "identity", "account"})


@dataclass
class JetstreamConfig:
    urls: list[str] = field(default_factory=lambda: list(PUBLIC_INSTANCES))
    collections: list[str] = field(default_factory=lambda: [POST_COLLECTION])
    dids: list[str] = field(default_factory=list)  # wantedDids: only these repos
    overlap_s: float = 3.0  # cursor rewind on resume: re-read, never miss
    compress: bool = False
    zstd_dictionary: str | None = None  # path to Jetstream's zstd_dictionary (needed for compress)
    offset_every_s: float = 0.25  # how often the resume position is handed to the core
    open_timeout_s: float = 10.0
    idle_timeout_s: float | None = 60.0  # reconnect when no message for this long (None: never)
    ping_interval_s: float | None = 20.0  # WebSocket pings detect a dead peer even when idle
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_message_bytes: int = MAX_LINE_BYTES
    # An event stamped further ahead of this machine's clock is quarantined and never moves
    # the resume cursor: a cursor in the future makes Jetstream answer "now" and skip the gap.
    max_future_s: float = 86_400.0


class JetstreamSource(Source):
    kind = "bluesky"

    def __init__(self, config: JetstreamConfig | None = None, name: str | None = None):
        super().__init__(name)
        self.config = c = config or JetstreamConfig()
        if not c.urls:
            raise SourceError("bluesky: no Jetstream URL given")
        for u in c.urls:
            check_url(u, ("ws", "wss"), "bluesky")
        if len(c.dids) > 10_000:
            raise SourceError("bluesky: Jetstream accepts at most 10,000 wantedDids")
        if len(c.collections) > 100:
            raise SourceError("bluesky: Jetstream accepts at most 100 wantedCollections")
        self._dctx: Any = None
        if c.compress:
            self._dctx = _zstd_decompressor(c.zstd_dictionary)
        self._held = Held()  # the open WebSocket, for stop() to close
        self.cursor: int | None = None  # newest time_us handed over (or loaded from the store)
        self._host = 0

    # -- the URL ------------------------------------------------------------------------

    def url(self, base: str, cursor: int | None) -> str:
        c = self.config
        params: list[tuple[str, str]] = [("wantedCollections", x) for x in c.collections]
        params += [("wantedDids", d) for d in c.dids]
        if cursor is not None:
            params.append(("cursor", str(cursor)))
        if c.compress:
            params.append(("compress", "true"))
        params.append(("maxMessageSizeBytes", str(c.max_message_bytes)))
        u = urlsplit(base)
        query = "&".join(x for x in (u.query, urlencode(params)) if x)
        return urlunsplit((u.scheme, u.netloc, u.path or "/subscribe", query, ""))

    # -- the loop -------------------------------------------------------------------------

    def _run(self, sink: Sink) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
        from websockets.sync.client import connect

        c = self.config
        stored = sink.stored_offset(self.name)
        if stored is not None:
            try:
                self.cursor = int(stored)
            except ValueError:
                self.cursor = None
            if self.cursor is not None and self.cursor > _now_us():
                # Saved by an older version from a forged time_us: resuming there would skip
                # everything up to that date. Resume live, and say so.
                self.update(last_error=f"stored cursor {self.cursor} is in the future; resuming from now")
                self.cursor = _now_us()
        backoff = Backoff(c.backoff_base_s, c.backoff_max_s, "exponential", jitter=0.3)
        first = True
        while not self.stopped:
            base = c.urls[self._host % len(c.urls)]
            cursor = self.cursor - int(c.overlap_s * 1_000_000) if self.cursor is not None else None
            url = self.url(base, cursor)
            if not first:
                self.count("reconnects")
            first = False
            self.update(state="connecting", endpoint=base)
            try:
                ws = connect(url, open_timeout=c.open_timeout_s, ping_interval=c.ping_interval_s,
                             ping_timeout=c.ping_interval_s, close_timeout=2,
                             max_size=c.max_message_bytes + 65536,
                             proxy=None if is_loopback(base) else True,
                             user_agent_header=USER_AGENT).__enter__()  # context-manager form: no legacy warning
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as e:
                self._fail_over(e, backoff)
                continue
            if not self._held.hold(ws, lambda: self.stopped):  # stopped before the socket was published
                ws.close()
                break
            self.connected(base)
            got = 0
            t_open = time.monotonic()
            try:
                got = self._read(ws, sink)
                err: BaseException | str | None = "server closed the connection"
            except ConnectionClosed as e:
                err = e
            except (OSError, TimeoutError) as e:
                err = e
            finally:
                self._held.release()
                ws.close()
                self._flush_offset(sink)
            if self.stopped:
                break
            if got:
                # A connection that worked: reconnect at once, unless it keeps dropping.
                backoff.reset()
                delay = 0.0 if time.monotonic() - t_open >= 2.0 else backoff.next()
                self.disconnected(err, retry_in=delay)
                self.wait(delay)
            else:  # connected but nothing came: treat like a failed connection
                self._fail_over(err, backoff)

    def _fail_over(self, err: BaseException | str | None, backoff: Backoff) -> None:
        self._host += 1
        delay = backoff.next() if self._host % len(self.config.urls) == 0 or len(self.config.urls) == 1 else 0.0
        self.disconnected(err, retry_in=delay)
        self.wait(delay)

    def _read(self, ws: Any, sink: Sink) -> int:
        c = self.config
        got = 0
        last_offset = time.monotonic()
        for msg in ws_messages(ws, c.idle_timeout_s, lambda: self.stopped, lambda: self._maybe_offset(sink)):
            got += 1
            self.handle_safely(self.handle, msg, sink)
            now = time.monotonic()
            if now - last_offset >= c.offset_every_s:
                last_offset = now
                self._maybe_offset(sink)
        return got

    # -- one message ------------------------------------------------------------------------

    def handle(self, msg: bytes | str, sink: Sink) -> None:
        """Decode one WebSocket message and hand its effect to the sink."""
        raw = msg
        if isinstance(msg, bytes) and self._dctx is not None:
            try:
                msg = self._dctx.decompress(msg, max_output_size=self.config.max_message_bytes)
            except Exception as e:  # zstd.ZstdError: corrupt frame or wrong dictionary
                self.message()
                self.quarantine(sink, f"zstd frame does not decompress: {e}", raw)
                return
        obj = self.decode(msg, sink, raw)
        if obj is NOT_JSON:
            return
        time_us = obj.get("time_us") if type(obj) is dict else None
        if type(time_us) is not int:
            time_us = None
        future = time_us is not None and time_us > _now_us() + int(self.config.max_future_s * 1_000_000)
        self.message(from_us(time_us) if time_us is not None and not future and time_us >= _MIN_US else None)
        if type(obj) is not dict:
            self.quarantine(sink, "not a JSON object", raw)
            return
        if future:
            # Neither stored nor used as the resume position (see max_future_s).
            self.quarantine(sink, f"time_us {str(time_us)[:24]} is more than {self.config.max_future_s:g}s "
                            "ahead of this machine's clock", raw)
            return
        kind = obj.get("kind")
        if type(kind) is not str or kind not in _KNOWN_KINDS:
            self.quarantine(sink, f"unknown Jetstream event kind: {short(kind)!r}", raw)
            return
        if time_us is None:
            self.quarantine(sink, "missing or non-integer time_us", raw)
            return
        try:
            key = jr.parse_delete(obj)
            if key is not None:
                sink.delete([key])
                self.count("deleted")
            else:
                post = parse_obj(obj, "jetstream", "bluesky")
                if post is None:
                    self.count("ignored")
                else:
                    self.hand_over(sink, post)
        except BadPost as e:
            self.quarantine(sink, e.reason, raw)
        # Every event, good or bad, moves the position: a bad one is in quarantine.
        if self.cursor is None or time_us > self.cursor:
            self.cursor = time_us

    # -- offsets -------------------------------------------------------------------------------

    _handed: int | None = None

    def _maybe_offset(self, sink: Sink) -> None:
        if self.cursor is not None and self.cursor != self._handed:
            # Never a position ahead of this machine's clock (belt and braces: `handle` already
            # keeps implausible events out of the cursor).
            cursor = min(self.cursor, _now_us())
            sink.offset(self.name, str(cursor))
            self._handed = self.cursor

    def _flush_offset(self, sink: Sink) -> None:
        self._maybe_offset(sink)

    def interrupt(self) -> None:
        self._held.close()


_MIN_US = 631_152_000_000_000  # 1990-01-01: the earliest time a post may carry


def _now_us() -> int:
    return time.time_ns() // 1000


def _zstd_decompressor(path: str | None) -> Any:
    if not path:
        raise SourceError(
            "bluesky: compress=true needs Jetstream's zstd dictionary, which veristream does not ship; "
            "download pkg/models/zstd_dictionary from the Jetstream repository and pass its path "
            "(--zstd-dictionary PATH or zstd_dictionary in [sources.bluesky])")
    try:
        import zstandard  # only with compress=true: not loaded for the common uncompressed stream
    except ImportError:  # pragma: no cover - it is a dependency
        raise SourceError("bluesky: compress=true needs the 'zstandard' package") from None
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"bluesky: zstd dictionary not found: {path}")
    d = zstandard.ZstdCompressionDict(p.read_bytes())
    return zstandard.ZstdDecompressor(dict_data=d)
