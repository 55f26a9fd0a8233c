"""Mastodon streaming API: public, local, hashtag and list timelines of one instance.

WebSocket `wss://STREAMING/api/v1/streaming?stream=public` (or `public:local`,
`hashtag&tag=NAME`, `hashtag:local&tag=NAME`, `list&list=ID`, `user`), with the access
token in the `Authorization: Bearer` header (never in the URL, so it stays out of logs).
More streams share the connection through `{"type": "subscribe", "stream": ..}` messages.
The streaming host is read from `GET /api/v2/instance` (`configuration.urls.streaming`)
unless given. Each message is `{"stream": [...], "event": ..., "payload": ...}`:

* `update` / `status.update`: payload is a Status as a JSON string -> a post (an edit is a
  newer version of the same post, keyed by the status uri);
* `delete`: payload is the instance-local status id -> the post is removed. Local ids are
  mapped to post keys in `sources/<name>-ids.sqlite` in the data directory;
* the other documented events (notification, conversation, filters_changed, announcement...)
  are counted as ignored; anything else is quarantined with a reason.

Only `public` and `unlisted` statuses are stored (setting `visibility`): a `user` or list
stream read with a token also carries followers-only (`private`) and `direct` statuses,
which the API's open read endpoints would then serve to anyone; they are counted as ignored.

Reconnects wait at least `backoff_base_s` (1 s), however the connection ended, and the wait
grows exponentially until a connection stays up for `STABLE_S`: a server that accepts and
drops, or sends one message and closes, is not hammered.

The streaming API has no cursor. To close the gap a reconnect or restart leaves, the newest
local status id seen is stored as the source's offset, and after each (re)connection the
matching REST timeline is read from that id on (`min_id`, up to `backfill_pages` pages of 40).
"""

from __future__ import annotations

import http.client
import os
import sqlite3
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import orjson

from ..model import BadPost
from ..core.store import create_private
from ..readers import parse_obj
from .base import NOT_JSON, USER_AGENT, Backoff, Held, Sink, Source, SourceError, check_url, is_loopback, ws_messages

_KNOWN_EVENTS = frozenset({
    "update", "status.update", "delete", "notification", "conversation", "filters_changed",
    "announcement", "announcement.reaction", "announcement.delete", "encrypted_message",
    "notifications_merged",
})
VISIBILITIES = ("public", "unlisted", "private", "direct", "local")  # "local": Akkoma/Pleroma's local-only
STABLE_S = 60.0  # a connection up this long resets the reconnect back-off


@dataclass(frozen=True)
class Stream:
    """One timeline: `public`, `public:local`, `public:remote`, `hashtag:NAME`,
    `hashtag:local:NAME`, `list:ID` or `user`."""

    stream: str  # the streaming API's name: public, public:local, hashtag, hashtag:local, list, user
    tag: str | None = None
    list: str | None = None

    @classmethod
    def parse(cls, spec: str) -> "Stream":
        s = spec.strip()
        if s in ("public", "public:local", "public:remote", "public:media", "public:local:media",
                 "public:remote:media", "user"):
            return cls(s)
        for prefix in ("hashtag:local:", "hashtag:"):
            if s.startswith(prefix) and s[len(prefix):].lstrip("#"):
                return cls(prefix[:-1], tag=s[len(prefix):].lstrip("#"))
        if s.startswith("list:") and s[5:]:
            return cls("list", list=s[5:])
        raise SourceError(f"mastodon: unknown stream {spec!r}; use public, public:local, hashtag:TAG, "
                          "hashtag:local:TAG, list:ID or user")

    @property
    def spec(self) -> str:
        return self.stream + (f":{self.tag}" if self.tag else "") + (f":{self.list}" if self.list else "")

    def params(self) -> dict[str, str]:
        p = {"stream": self.stream}
        if self.tag:
            p["tag"] = self.tag
        if self.list:
            p["list"] = self.list
        return p

    def rest(self) -> tuple[str, dict[str, str]]:
        """The REST timeline with the same posts (for backfill)."""
        base = self.stream.split(":")[0]
        flags = self.stream.split(":")[1:]
        q = {k: "true" for k in ("local", "remote") if k in flags}
        if "media" in flags:
            q["only_media"] = "true"
        if base == "public":
            return "/api/v1/timelines/public", q
        if base == "hashtag":
            return f"/api/v1/timelines/tag/{quote(self.tag or '', safe='')}", q
        if base == "list":
            return f"/api/v1/timelines/list/{quote(self.list or '', safe='')}", {}
        return "/api/v1/timelines/home", {}


@dataclass
class MastodonConfig:
    instance: str = "https://mastodon.social"
    streams: list[str] = field(default_factory=lambda: ["public"])
    token: str | None = None  # default: env MASTODON_TOKEN
    streaming_url: str | None = None  # default: from /api/v2/instance, else the instance itself
    backfill_pages: int = 5  # REST pages (40 statuses each) read after a reconnect; 0: none
    open_timeout_s: float = 10.0
    http_timeout_s: float = 20.0
    ping_interval_s: float | None = 30.0
    idle_timeout_s: float | None = None  # hashtag/list streams may be silent for hours
    backoff_base_s: float = 1.0  # also the least wait before any reconnect
    backoff_max_s: float = 120.0
    # statuses kept, by visibility; "private" (followers-only) and "direct" ones would be served
    # by the API's open read endpoints: add them only for an API that requires its read token
    visibility: list[str] = field(default_factory=lambda: ["public", "unlisted"])

    def access_token(self) -> str | None:
        return self.token or os.environ.get("MASTODON_TOKEN") or None


class MastodonSource(Source):
    kind = "mastodon"

    def __init__(self, config: MastodonConfig | None = None, name: str | None = None):
        super().__init__(name)
        self.config = c = config or MastodonConfig()
        check_url(c.instance, ("http", "https"), "mastodon")
        if c.streaming_url:
            check_url(c.streaming_url, ("ws", "wss", "http", "https"), "mastodon streaming_url")
        if not c.streams:
            raise SourceError("mastodon: no stream given")
        self.streams = [Stream.parse(s) for s in c.streams]
        bad = sorted(set(c.visibility) - set(VISIBILITIES))
        if bad:
            raise SourceError(f"mastodon: unknown visibility {', '.join(bad)}; use {', '.join(VISIBILITIES)}")
        if not c.backoff_base_s > 0 or c.backoff_max_s < c.backoff_base_s:
            raise SourceError("mastodon: backoff_base_s must be above 0 and at most backoff_max_s")
        self._visible = frozenset(c.visibility)
        self._token = c.access_token()
        self._held = Held()  # the open WebSocket, for stop() to close
        self._ids: _IdMap | None = None
        self._last: dict[str, str] = {}  # stream spec -> newest local status id seen

    def offset_key(self, st: Stream) -> str:
        return f"{self.name}:{urlsplit(self.config.instance).netloc}:{st.spec}"

    # -- URLs ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        h = {"User-Agent": USER_AGENT}
        if self._token:
            h["Authorization"] = f"Bearer {self._token}"
        return h

    def _get_json(self, path: str, query: dict[str, str] | None = None) -> Any:
        u = urlsplit(self.config.instance)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = cls(u.hostname, u.port, timeout=self.config.http_timeout_s)
        try:
            full = (u.path.rstrip("/") or "") + path + (f"?{urlencode(query)}" if query else "")
            conn.request("GET", full, headers={**self._headers(), "Accept": "application/json"})
            resp = conn.getresponse()
            body = resp.read(16 * 1024 * 1024)
        finally:
            conn.close()
        if resp.status != 200:
            raise OSError(f"GET {path}: HTTP {resp.status}")
        return orjson.loads(body)

    def streaming_base(self) -> str:
        c = self.config
        url = c.streaming_url
        if not url:
            try:
                info = self._get_json("/api/v2/instance")
                url = (((info or {}).get("configuration") or {}).get("urls") or {}).get("streaming")
            except (OSError, http.client.HTTPException, orjson.JSONDecodeError, AttributeError):
                url = None
        if not url or type(url) is not str:
            url = c.instance
        u = urlsplit(url)
        scheme = {"https": "wss", "http": "ws"}.get(u.scheme, u.scheme)
        return urlunsplit((scheme, u.netloc, u.path.rstrip("/"), "", ""))

    # -- the loop -------------------------------------------------------------------------------

    def _run(self, sink: Sink) -> None:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
        from websockets.sync.client import connect

        c = self.config
        state = getattr(sink, "state_dir", None)
        self._ids = _IdMap(Path(state) / f"{self.name}-ids.sqlite" if state else None)
        for st in self.streams:
            v = sink.stored_offset(self.offset_key(st))
            if v:
                self._last[st.spec] = v
        backoff = Backoff(c.backoff_base_s, c.backoff_max_s, "exponential", jitter=0.3)
        first = True
        base: str | None = None
        try:
            while not self.stopped:
                if not first:
                    self.count("reconnects")
                first = False
                self.update(state="connecting", endpoint=base or c.instance)
                try:
                    base = base or self.streaming_base()
                    url = f"{base}/api/v1/streaming?{urlencode(self.streams[0].params())}"
                    self.update(endpoint=url.split("?")[0])
                    ws = connect(url, additional_headers=self._headers(), open_timeout=c.open_timeout_s,
                                 ping_interval=c.ping_interval_s, ping_timeout=c.ping_interval_s,
                                 close_timeout=2, proxy=None if is_loopback(base) else True,
                                 user_agent_header=None).__enter__()
                except InvalidStatus as e:
                    code = e.response.status_code
                    delay = max(c.backoff_base_s, backoff.next())
                    msg = f"HTTP {code}" + (" (the instance wants an access token: set MASTODON_TOKEN)"
                                            if code in (401, 403) else "")
                    self.disconnected(msg, retry_in=delay)
                    self.wait(delay)
                    continue
                except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as e:
                    delay = max(c.backoff_base_s, backoff.next())
                    self.disconnected(e, retry_in=delay)
                    self.wait(delay)
                    continue
                if not self._held.hold(ws, lambda: self.stopped):  # stopped before the socket was published
                    ws.close()
                    break
                self.connected(url.split("?")[0])
                up_at = time.monotonic()
                got = 0
                err: BaseException | str | None
                try:
                    for st in self.streams[1:]:
                        ws.send(orjson.dumps({"type": "subscribe", **st.params()}).decode())
                    self._backfill(sink)
                    got = self._read(ws, sink)
                    err = "server closed the connection"
                except (ConnectionClosed, OSError, TimeoutError) as e:
                    err = e
                finally:
                    self._held.release()
                    ws.close()
                    self._ids.commit()
                if self.stopped:
                    break
                if got and time.monotonic() - up_at >= STABLE_S:
                    backoff.reset()  # it worked for a while: start again from the least wait
                delay = max(c.backoff_base_s, backoff.next())  # never at once, whatever ended it
                self.disconnected(err, retry_in=delay)
                self.wait(delay)
        finally:
            self._ids.close()

    def _read(self, ws: Any, sink: Sink) -> int:
        got = 0
        for msg in ws_messages(ws, self.config.idle_timeout_s, lambda: self.stopped, self._ids.commit):
            got += 1
            self.handle_safely(self.handle, msg, sink)  # one message never ends the read loop
        return got

    # -- messages ------------------------------------------------------------------------------

    def handle(self, msg: bytes | str, sink: Sink) -> None:
        obj = self.decode(msg, sink)
        if obj is NOT_JSON:
            return
        if type(obj) is not dict:
            self.message()
            self.quarantine(sink, "not a JSON object", msg)
            return
        if "error" in obj and "event" not in obj:
            self.message()
            self.count("ignored")
            self.update(last_error=f"server: {str(obj.get('error'))[:200]}")
            return
        event = obj.get("event")
        if type(event) is not str or event not in _KNOWN_EVENTS:
            self.message()
            self.quarantine(sink, f"unknown streaming event: {str(event)[:40]!r}", msg)
            return
        streams = obj.get("stream")
        spec = self._match(_spec_of(streams))
        payload = obj.get("payload")
        if event == "delete":
            self.message()
            if type(payload) is not str or not payload:
                self.quarantine(sink, "delete event without a status id", msg)
                return
            key = self._ids.get(payload) if self._ids else None
            if key is None:
                self.count("ignored")  # never stored here: nothing to delete
                return
            sink.delete([key])
            self.count("deleted")
            return
        if event not in ("update", "status.update"):
            self.message()
            self.count("ignored")
            return
        self._on_status(obj, payload, event, spec, sink, msg)

    def _on_status(self, obj: dict, payload: Any, event: str, spec: str, sink: Sink, raw: Any) -> None:
        if isinstance(payload, (str, bytes)):
            payload = self.decode(payload, sink, raw, what="payload is ")
            if payload is NOT_JSON:
                return
        if type(payload) is not dict:
            self.message()
            self.quarantine(sink, "payload is not a status object", raw)
            return
        if not isinstance(payload.get("visibility"), str) or payload["visibility"] not in self._visible:
            # Followers-only and direct statuses (a user or list stream read with a token) must
            # not reach a store whose read endpoints are open; a status without one is not kept.
            self.message()
            self.count("ignored")
            self._advance(payload, spec, sink)
            return
        try:
            post = parse_obj({"event": event, "payload": payload}, "mastodon", "mastodon")
        except BadPost as e:
            self.message()
            self.quarantine(sink, e.reason, raw)
            return
        assert post is not None
        post.raw = obj
        self.message(post.created_at)
        self.hand_over(sink, post)
        self._remember(payload, post.key, spec, sink)  # the offset goes after the post

    def _remember(self, status: dict, key: str, spec: str, sink: Sink) -> None:
        local = status.get("id")
        if type(local) is not str or not local:
            return
        if self._ids is not None:
            self._ids.put(local, key)
        self._advance(status, spec, sink)

    def _advance(self, status: dict, spec: str, sink: Sink) -> None:
        """The stream's offset moves past this status (stored or not), for the next backfill."""
        local = status.get("id")
        if type(local) is not str or not local:
            return
        last = self._last.get(spec)
        if last is None or _id_order(local) > _id_order(last):
            self._last[spec] = local
            for st in self.streams:
                if st.spec == spec:
                    sink.offset(self.offset_key(st), local)

    def _match(self, spec: str | None) -> str:
        """The configured stream a message belongs to (servers may change a tag's case)."""
        if spec:
            for st in self.streams:
                if st.spec.lower() == spec.lower():
                    return st.spec
        return self.streams[0].spec

    # -- backfill --------------------------------------------------------------------------------

    def _backfill(self, sink: Sink) -> None:
        """Read what was posted since the newest id seen, from the REST timelines."""
        pages = self.config.backfill_pages
        if pages <= 0:
            return
        for st in self.streams:
            since = self._last.get(st.spec)
            if since is None:
                continue
            path, q = st.rest()
            for _ in range(pages):
                if self.stopped:
                    return
                try:
                    items = self._get_json(path, {**q, "min_id": since, "limit": "40"})
                except (OSError, http.client.HTTPException, orjson.JSONDecodeError) as e:
                    self.update(last_error=f"backfill {st.spec}: {e}")
                    break
                if type(items) is not list or not items:
                    break
                items = [s for s in items if type(s) is dict and type(s.get("id")) is str]
                items.sort(key=lambda s: _id_order(s["id"]))
                for s in items:  # one status of a page never ends the backfill (or the source)
                    self.handle_safely(lambda s, sink, st=st: self._backfilled(s, st, sink), s, sink)
                newest = items[-1]["id"] if items else since
                if newest == since:
                    break
                since = newest

    def _backfilled(self, s: dict, st: "Stream", sink: Sink) -> None:
        edited = bool(s.get("edited_at"))
        env = {"stream": [st.stream], "event": "status.update" if edited else "update"}
        self._on_status(env, s, env["event"], st.spec, sink, orjson.dumps(s))

    def interrupt(self) -> None:
        self._held.close()


def _spec_of(streams: Any) -> str | None:
    """`["hashtag", "foo"]` -> `hashtag:foo`; `["list", "12"]` -> `list:12`."""
    if type(streams) is not list or not streams or type(streams[0]) is not str:
        return None
    return ":".join(str(x) for x in streams)


def _id_order(i: str) -> tuple[int, str]:
    """Mastodon ids are decimal snowflakes in strings: longer is newer, then lexical."""
    return (len(i), i)


class _IdMap:
    """Instance-local status id -> post key, so `delete` events can find the post.

    Kept in memory (bounded) and, when a path is given, in a small SQLite file that survives
    restarts. A cache: losing it only means a later delete is not applied."""

    MEM = 100_000

    def __init__(self, path: Path | None):
        self._mem: OrderedDict[str, str] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        self._pending = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            create_private(path)  # status ids of what the account reads; its WAL takes this mode
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=OFF")
            self._db.execute("CREATE TABLE IF NOT EXISTS ids(local TEXT PRIMARY KEY, key TEXT NOT NULL, at REAL)")
            # Keep about a month of ids: deletes of older statuses are rare.
            self._db.execute("DELETE FROM ids WHERE at < ?", (time.time() - 30 * 86400,))
            self._db.execute("BEGIN")

    def put(self, local: str, key: str) -> None:
        self._mem[local] = key
        self._mem.move_to_end(local)
        if len(self._mem) > self.MEM:
            self._mem.popitem(last=False)
        if self._db is not None:
            self._db.execute("INSERT OR REPLACE INTO ids VALUES(?,?,?)", (local, key, time.time()))
            self._pending += 1
            if self._pending >= 500:
                self.commit()

    def get(self, local: str) -> str | None:
        k = self._mem.get(local)
        if k is None and self._db is not None:
            row = self._db.execute("SELECT key FROM ids WHERE local=?", (local,)).fetchone()
            k = row[0] if row else None
        return k

    def commit(self) -> None:
        if self._db is not None and self._pending:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._pending = 0

    def close(self) -> None:
        if self._db is not None:
            self.commit()
            try:
                self._db.execute("COMMIT")
            except sqlite3.OperationalError:
                pass
            self._db.close()
            self._db = None
