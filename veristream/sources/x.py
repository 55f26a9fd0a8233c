"""X API v2 filtered stream, and its rules.

Stream: `GET {base}/2/tweets/search/stream` with a bearer token (env `X_BEARER_TOKEN`),
answered with a chunked HTTP/1.1 body of JSON lines (`{"data", "includes",
"matching_rules"}`) separated by `\\r\\n`, and a bare `\\r\\n` keep-alive when nothing matches.
The request asks for the expansions and fields that fill the post model: the author (user
fields), media (media fields), the place (place fields) and referenced posts.

Reconnection follows X's guidance for streams:
* silence (no post, no keep-alive) for longer than `stall_timeout_s` (20 s): reconnect;
* network errors (refused, reset, cut mid-message, stall): back off linearly, 250 ms more
  each attempt, up to 16 s;
* HTTP errors: back off exponentially from 5 s, doubling, up to 320 s;
* 429 (rate limited, or too many connections): wait until `x-rate-limit-reset` when the
  header is sent, else back off exponentially from 1 minute;
* never more than one connection: one source reads on one thread, closes a connection before
  opening the next, and a process-wide guard refuses a second stream on the same app.
`backfill_minutes` (X Pro/Enterprise) asks X to resend what was missed while reconnecting.

Rules: `XRules(...).list() / add([(value, tag)]) / delete(ids)` on
`{base}/2/tweets/search/stream/rules`; the CLI wraps them as `veristream x-rules`.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

from ..model import MAX_LINE_BYTES, BadPost
from ..readers._common import short
from ..readers import parse_obj
from .base import NOT_JSON, USER_AGENT, Backoff, Sink, Source, SourceError, check_url, shut_down

DEFAULT_BASE = "https://api.x.com"
STREAM_PATH = "/2/tweets/search/stream"
RULES_PATH = "/2/tweets/search/stream/rules"

# What the post model needs (veristream.readers.x reads exactly these).
TWEET_FIELDS = ("attachments,author_id,conversation_id,created_at,edit_history_tweet_ids,entities,geo,"
                "id,in_reply_to_user_id,lang,note_tweet,possibly_sensitive,public_metrics,referenced_tweets,text")
EXPANSIONS = ("author_id,attachments.media_keys,geo.place_id,referenced_tweets.id,"
              "referenced_tweets.id.author_id")
USER_FIELDS = "created_at,id,name,public_metrics,username,verified,verified_type"
MEDIA_FIELDS = "alt_text,duration_ms,height,media_key,preview_image_url,type,url,variants,width"
PLACE_FIELDS = "country,country_code,full_name,geo,id,name,place_type"


class XApiError(RuntimeError):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status


@dataclass
class XConfig:
    base_url: str = DEFAULT_BASE
    bearer_token: str | None = None  # default: env X_BEARER_TOKEN
    stall_timeout_s: float = 20.0  # X sends a keep-alive at least every 20 s
    connect_timeout_s: float = 10.0
    net_step_s: float = 0.25  # network errors: linear
    net_max_s: float = 16.0
    http_base_s: float = 5.0  # HTTP errors: exponential
    http_max_s: float = 320.0
    rate_base_s: float = 60.0  # 429: exponential, or until x-rate-limit-reset
    rate_max_s: float = 960.0
    backfill_minutes: int = 0  # 1..5 on reconnects (Pro/Enterprise access)
    extra_params: dict[str, str] = field(default_factory=dict)

    def token(self) -> str:
        tok = self.bearer_token or os.environ.get("X_BEARER_TOKEN")
        if not tok:
            raise SourceError("x: no bearer token; set X_BEARER_TOKEN (an app-only token from the X developer portal)")
        return tok


# One stream per app at a time: X allows a single connection per app on most plans, and a
# second one gets 429 TooManyConnections and can knock the first off.
_OPEN: set[str] = set()
_OPEN_LOCK = threading.Lock()


class XSource(Source):
    kind = "x"

    def __init__(self, config: XConfig | None = None, name: str | None = None):
        super().__init__(name)
        self.config = c = config or XConfig()
        check_url(c.base_url, ("http", "https"), "x")
        self._token = c.token()
        if not 0 <= c.backfill_minutes <= 5:
            raise SourceError("x: backfill_minutes must be 0..5")
        self._conn: http.client.HTTPConnection | None = None
        self._conn_lock = threading.Lock()
        self.connections = 0  # opened over this source's life (tests check "one at a time")

    def stream_url(self, reconnect: bool) -> str:
        c = self.config
        params = {"tweet.fields": TWEET_FIELDS, "expansions": EXPANSIONS, "user.fields": USER_FIELDS,
                  "media.fields": MEDIA_FIELDS, "place.fields": PLACE_FIELDS, **c.extra_params}
        if reconnect and c.backfill_minutes:
            params["backfill_minutes"] = str(c.backfill_minutes)
        return f"{STREAM_PATH}?{urlencode(params)}"

    # -- the loop -------------------------------------------------------------------------------

    def _run(self, sink: Sink) -> None:
        app = hashlib.sha256(f"{self.config.base_url}\0{self._token}".encode()).hexdigest()
        with _OPEN_LOCK:
            if app in _OPEN:
                raise SourceError("x: a filtered stream for this app is already open in this process "
                                  "(X allows one connection)")
            _OPEN.add(app)
        try:
            self._loop(sink)
        finally:
            with _OPEN_LOCK:
                _OPEN.discard(app)

    def _loop(self, sink: Sink) -> None:
        c = self.config
        net = Backoff(c.net_step_s, c.net_max_s, "linear")
        httpb = Backoff(c.http_base_s, c.http_max_s, "exponential")
        rate = Backoff(c.rate_base_s, c.rate_max_s, "exponential")
        attempts = 0
        while not self.stopped:
            if attempts:
                self.count("reconnects")
            attempts += 1
            self.update(state="connecting", endpoint=c.base_url)
            delay: float
            try:
                conn, resp = self._open(reconnect=attempts > 1)
            except (OSError, http.client.HTTPException) as e:
                delay = net.next()
                self.disconnected(e, retry_in=delay)
                self.wait(delay)
                continue
            try:
                if resp.status == 200:
                    for b in (net, httpb, rate):
                        b.reset()
                    self.connected(c.base_url)
                    try:
                        self._read(resp, sink)
                        err: BaseException | str = "server closed the stream"
                    except (OSError, http.client.HTTPException) as e:
                        err = e
                    if self.stopped:
                        break
                    delay = net.next()
                    self.disconnected(err, retry_in=delay)
                else:
                    detail = _error_detail(resp)
                    if resp.status == 429:
                        reset = _reset_delay(resp.getheader("x-rate-limit-reset"))
                        delay = rate.next()
                        if reset is not None:  # X says when the window opens again
                            delay = max(reset, c.net_step_s)
                    else:
                        delay = httpb.next()
                    self.disconnected(f"HTTP {resp.status}: {detail}", retry_in=delay)
            finally:
                self._close(conn)
            self.wait(delay)

    def _open(self, reconnect: bool) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        c = self.config
        u = urlsplit(c.base_url)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = cls(u.hostname, u.port, timeout=c.connect_timeout_s)
        with self._conn_lock:
            self._conn = conn
        if self.stopped:
            raise OSError("stopped")
        self.connections += 1
        try:
            conn.request("GET", (u.path.rstrip("/") or "") + self.stream_url(reconnect), headers={
                "Authorization": f"Bearer {self._token}", "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity"})
            resp = conn.getresponse()
        except BaseException:
            self._close(conn)
            raise
        if conn.sock is not None:
            conn.sock.settimeout(c.stall_timeout_s)  # silence longer than this is a stall
        return conn, resp

    def _close(self, conn: http.client.HTTPConnection) -> None:
        with self._conn_lock:
            if self._conn is conn:
                self._conn = None
        try:
            conn.close()
        except OSError:
            pass

    def interrupt(self) -> None:
        with self._conn_lock:
            conn = self._conn
        shut_down(conn)

    def _read(self, resp: http.client.HTTPResponse, sink: Sink) -> None:
        limit = MAX_LINE_BYTES + 2
        skipping = False
        while not self.stopped:
            try:
                line = resp.readline(limit)
            except socket.timeout:
                raise TimeoutError(f"stalled: no data or keep-alive for {self.config.stall_timeout_s:g}s") from None
            if not line:
                return  # end of the stream
            if not line.endswith(b"\n"):
                if len(line) < limit:
                    raise ConnectionError("connection dropped in the middle of a message")
                if not skipping:  # longer than any post can be: skip to the next newline
                    self.message()
                    self.quarantine(sink, f"line too long: more than {MAX_LINE_BYTES} bytes", line[:4096])
                skipping = True
                continue
            if skipping:
                skipping = False
                continue
            if not line.strip():
                self.heartbeat()  # keep-alive
                continue
            self.handle_safely(self.handle, line, sink)

    def handle(self, line: bytes, sink: Sink) -> None:
        obj = self.decode(line, sink)
        if obj is NOT_JSON:
            return
        if type(obj) is not dict:
            self.message()
            self.quarantine(sink, "not a JSON object", line)
            return
        if "data" not in obj and obj.get("errors"):
            # A stream-level notice, e.g. operational-disconnect before X closes the stream.
            self.message()
            self.count("ignored")
            e = obj["errors"][0] if type(obj["errors"]) is list else obj["errors"]
            if type(e) is dict:
                self.update(last_error=": ".join(short(e[k], 200) for k in ("title", "detail") if e.get(k))[:200])
            return
        try:
            post = parse_obj(obj, "x", "x")
        except BadPost as e:
            self.message()
            self.quarantine(sink, e.reason, line)
            return
        if post is None:
            self.message()
            self.count("ignored")
            return
        self.message(post.created_at)
        self.hand_over(sink, post)


def _error_detail(resp: http.client.HTTPResponse) -> str:
    try:
        body = resp.read(65536)
    except (OSError, http.client.HTTPException):
        return resp.reason or ""
    try:
        d = orjson.loads(body)
        if type(d) is dict:
            parts = [short(d[k], 200) for k in ("title", "detail") if d.get(k)]
            if not parts and type(d.get("errors")) is list and d["errors"]:
                e = d["errors"][0]
                parts = [short(e.get(k), 200) for k in ("title", "message", "detail") if type(e) is dict and e.get(k)]
            if parts:
                return ": ".join(parts)[:200]
    except orjson.JSONDecodeError:
        pass
    return resp.reason or body[:200].decode("utf-8", "replace")


def _reset_delay(header: str | None) -> float | None:
    """`x-rate-limit-reset` is the epoch second when the window resets."""
    if not header:
        return None
    try:
        reset = float(header)
    except ValueError:
        try:
            reset = parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            return None
    return max(0.0, reset - time.time())


# -- rules ---------------------------------------------------------------------------------------

class XRules:
    """The filtered stream's rules: each a query (`value`) with an optional `tag`."""

    def __init__(self, base_url: str = DEFAULT_BASE, bearer_token: str | None = None, timeout_s: float = 20.0):
        self.base_url = check_url(base_url, ("http", "https"), "x").rstrip("/")
        self._token = XConfig(bearer_token=bearer_token).token()
        self.timeout_s = timeout_s

    def list(self) -> list[dict[str, Any]]:
        return self._call("GET", RULES_PATH).get("data") or []

    def add(self, rules: list[tuple[str, str | None]], dry_run: bool = False) -> dict[str, Any]:
        body = {"add": [{"value": v, **({"tag": t} if t else {})} for v, t in rules]}
        return self._call("POST", RULES_PATH + ("?dry_run=true" if dry_run else ""), body)

    def delete(self, ids: list[str] | None = None, values: list[str] | None = None) -> dict[str, Any]:
        what: dict[str, Any] = {}
        if ids:
            what["ids"] = [str(i) for i in ids]
        if values:
            what["values"] = list(values)
        if not what:
            raise ValueError("give rule ids or values to delete")
        return self._call("POST", RULES_PATH, {"delete": what})

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        u = urlsplit(self.base_url)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = cls(u.hostname, u.port, timeout=self.timeout_s)
        headers = {"Authorization": f"Bearer {self._token}", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, (u.path.rstrip("/") or "") + path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            raise XApiError(0, f"cannot reach {self.base_url}: {e}") from None
        finally:
            conn.close()
        try:
            d = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            d = {}
        if resp.status >= 400:
            msg = ""
            if type(d) is dict:
                msg = ": ".join(str(d[k]) for k in ("title", "detail") if d.get(k))
            raise XApiError(resp.status, msg or resp.reason or "error")
        if type(d) is not dict:
            raise XApiError(resp.status, "unexpected answer (not a JSON object)")
        return d
