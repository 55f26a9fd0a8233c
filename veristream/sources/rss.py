"""RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 feeds, polled politely.

Each feed is fetched every `interval_s` with `If-None-Match` (ETag) and `If-Modified-Since`
(Last-Modified) from the previous answer, so an unchanged feed costs a `304` and no parsing.
Those validators are stored as the source's offsets (`rss:<feed url>`), with the posts of
the same poll, so they survive a restart. `Retry-After` on 429/503 is honoured; a failing
feed backs off exponentially without holding up the others.

Each entry becomes a post once: its id is `<feed>#<entry id>`, the entry's `<id>` / `<guid>` /
`<link>` scoped to the feed it came from (a feed cannot replace another feed's posts by
reusing their ids, URL-shaped or not); an entry whose `<updated>` moves on is a newer version
of the same post. Posts are keyed `rss:<feed>#<entry id>`.

A feed URL may carry secrets (`https://user:pass@host/feed`, `?key=...`): user and password
are sent as HTTP Basic auth to the feed's own origin only, and everywhere the URL is shown or
stored (post ids, authors, `extra.feed`, offsets, the source's status and errors) it appears
redacted (`feed_ref`). Each fetch is bounded: redirects only to http(s), at most
`max_redirects`, never from a public host to a loopback or private address; at most
`max_bytes` of body; and `fetch_timeout_s` in all (a server dripping bytes is cut off).
"""

from __future__ import annotations

import base64
import http.client
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit, urlunsplit

import orjson

from ..model import MAX_TEXT_CHARS, Author, BadPost, Media, Post, parse_time, to_us
from ..readers._common import find_hashtags, find_mentions, norm_lang
from ..lang import detect_lang as detect
from ..readers.mastodon import html_to_text
from .base import Backoff, Sink, Source, SourceError, USER_AGENT, check_url, local_host, shut_down, utcnow

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
MEDIA = "{http://search.yahoo.com/mrss/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class RSSConfig:
    feeds: list[str] = field(default_factory=list)
    interval_s: float = 300.0
    timeout_s: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    backoff_max_s: float = 3600.0
    max_redirects: int = 5
    fetch_timeout_s: float = 60.0  # one fetch in all, redirects included (timeout_s is per socket wait)


# Query parameters whose values are secrets, by name; values that look like keys are redacted too.
_SECRET_NAMES = re.compile(r"(key|token|secret|passw|pass$|pwd|auth|sig|session|sid$|code$|credential|hash|"
                           r"nonce|ticket|jwt|bearer|private)", re.I)
_TOKEN_LIKE = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_\-.~+/=%]{16,}$")
REDACTED = "redacted"


def feed_ref(url: str) -> str:
    """`url` as it may be shown and stored: without user and password, and with the values of
    query parameters that are (or look like) secrets replaced by `redacted`."""
    u = urlsplit(url)
    pairs = parse_qsl(u.query, keep_blank_values=True)
    secret = [bool(v) and bool(_SECRET_NAMES.search(k) or _TOKEN_LIKE.match(v)) for k, v in pairs]
    if "@" not in u.netloc and not any(secret):
        return url  # nothing to hide: the URL as given (ids made from it stay as they were)
    query = "&".join(f"{quote(k, safe='')}={REDACTED if hide else quote(v, safe='')}"
                     for (k, v), hide in zip(pairs, secret)) if any(secret) else u.query
    return urlunsplit((u.scheme, u.netloc.rpartition("@")[2], u.path, query, u.fragment))


def _origin(url: str) -> tuple[str, str, int | None]:
    u = urlsplit(url)
    return u.scheme, (u.hostname or "").lower(), u.port or (443 if u.scheme == "https" else 80)


class FetchError(ValueError):
    """A fetch broke one of its bounds (redirects, size, time); the message names no secret."""


@dataclass
class _Feed:
    url: str
    etag: str | None = None
    modified: str | None = None
    due: float = 0.0  # monotonic time of the next fetch
    backoff: Backoff | None = None


class RSSSource(Source):
    kind = "rss"

    def __init__(self, config: RSSConfig | None = None, name: str | None = None):
        super().__init__(name)
        self.config = c = config or RSSConfig()
        if not c.feeds:
            raise SourceError("rss: no feed URL given")
        refs: dict[str, str] = {}
        for u in c.feeds:
            try:
                check_url(u, ("http", "https"), "rss")
            except SourceError:
                raise SourceError(f"rss: {feed_ref(u)!r} is not a http/https URL") from None
            other = refs.setdefault(feed_ref(u), u)
            if other != u:
                raise SourceError(f"rss: two feeds differ only in secrets ({feed_ref(u)}): their posts' ids would clash")
        if c.fetch_timeout_s <= 0 or c.max_redirects < 0 or c.max_bytes < 1:
            raise SourceError("rss: fetch_timeout_s and max_bytes must be above 0, max_redirects at least 0")
        self.feeds = [_Feed(u, backoff=Backoff(c.interval_s, max(c.interval_s, c.backoff_max_s)))
                      for u in dict.fromkeys(c.feeds)]
        self._seen: dict[str, int] = {}  # post key -> version handed over this session
        self.polls = 0
        self._conn: http.client.HTTPConnection | None = None

    def offset_key(self, feed: _Feed) -> str:
        return f"{self.name}:{feed_ref(feed.url)}"

    def _run(self, sink: Sink) -> None:
        for f in self.feeds:
            v = sink.stored_offset(self.offset_key(f))
            if v:
                try:
                    d = orjson.loads(v)
                    f.etag, f.modified = d.get("etag"), d.get("modified")
                except (orjson.JSONDecodeError, AttributeError):
                    pass
        self.update(endpoint=feed_ref(self.feeds[0].url) if len(self.feeds) == 1 else f"{len(self.feeds)} feeds")
        while not self.stopped:
            now = time.monotonic()
            for f in self.feeds:
                if self.stopped:
                    return
                if f.due <= now:
                    self.poll(f, sink)
            nxt = min(f.due for f in self.feeds)
            self.wait(max(0.05, nxt - time.monotonic()))

    # -- one fetch ------------------------------------------------------------------------------

    def poll(self, f: _Feed, sink: Sink) -> None:
        if not self.status.connected:
            self.update(state="connecting")
        ref = feed_ref(f.url)
        try:
            status, headers, body, final_url = self._fetch(f)
        except FetchError as e:
            self._failed(f, f"{ref}: {e}", None)
            return
        except (OSError, http.client.HTTPException, ValueError) as e:
            self._failed(f, f"{ref}: {type(e).__name__}: {str(e)[:200]}".rstrip(": "), None)
            return
        self.polls += 1
        if status == 304:
            self._ok(f)
            return
        if status != 200:
            self._failed(f, f"HTTP {status} from {ref}", headers.get("retry-after"))
            return
        self._ok(f)
        self.message()
        try:
            entries = parse_feed(body, feed_ref(final_url))
        except BadPost as e:
            self.quarantine(sink, f"{ref}: {e.reason}", body[:4096])
            return
        for n, entry in enumerate(entries):
            try:
                post = entry_to_post(entry, ref)
            except BadPost as e:
                self.quarantine(sink, f"{ref} entry {n + 1}: {e.reason}", orjson.dumps(entry, default=str))
                continue
            v = to_us(post.edited_at or post.created_at)
            if self._seen.get(post.key, -1) >= v:
                continue  # handed over already (the store would call it a duplicate)
            self._seen[post.key] = v
            self.hand_over(sink, post)
        self.update(last_event_at=utcnow(), lag_s=0.0)
        f.etag = headers.get("etag") or None
        f.modified = headers.get("last-modified") or None
        sink.offset(self.offset_key(f), orjson.dumps({"etag": f.etag, "modified": f.modified}).decode())

    def _ok(self, f: _Feed) -> None:
        assert f.backoff is not None
        f.backoff.reset()
        f.due = time.monotonic() + self.config.interval_s
        if not self.status.connected:
            self.update(connected_since=utcnow())
        self.update(connected=True, state="connected", last_message_at=utcnow(), next_retry_at=None)

    def _failed(self, f: _Feed, err: Any, retry_after: str | None) -> None:
        assert f.backoff is not None
        delay = f.backoff.next()  # exponential from interval_s
        ra = _retry_after(retry_after)
        if ra is not None:  # the server says when to come back
            delay = ra
        f.due = time.monotonic() + delay
        self.count("reconnects")
        self.disconnected(err if isinstance(err, str) else err, retry_in=delay)

    def _fetch(self, f: _Feed) -> tuple[int, dict[str, str], bytes, str]:
        """GET the feed within its bounds: (status, headers, body, final URL)."""
        c = self.config
        deadline = time.monotonic() + c.fetch_timeout_s
        # A hard stop for the whole fetch: a server that answers a byte at a time keeps every
        # single socket wait under timeout_s, so the connection is shut from outside.
        expired = threading.Event()
        watchdog = threading.Timer(c.fetch_timeout_s, self._cut, (expired,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._fetch_within(f, deadline)
        except (OSError, http.client.HTTPException, ValueError):
            if expired.is_set():
                raise FetchError(f"gave up after fetch_timeout_s ({c.fetch_timeout_s:g}s)") from None
            raise
        finally:
            watchdog.cancel()

    def _cut(self, expired: threading.Event) -> None:
        expired.set()
        shut_down(self._conn)

    def _fetch_within(self, f: _Feed, deadline: float) -> tuple[int, dict[str, str], bytes, str]:
        c = self.config
        url = f.url
        first = _origin(f.url)
        user = urlsplit(f.url)
        basic = None
        if user.username is not None:
            cred = f"{unquote(user.username)}:{unquote(user.password or '')}".encode()
            basic = "Basic " + base64.b64encode(cred).decode()
        for _ in range(c.max_redirects + 1):
            u = urlsplit(url)
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchError(f"gave up after fetch_timeout_s ({c.fetch_timeout_s:g}s)")
            cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
            conn = cls(u.hostname, u.port, timeout=min(c.timeout_s, left))
            self._conn = conn
            try:
                headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                           "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"}
                if basic and _origin(url) == first:  # credentials go to the feed's own origin only
                    headers["Authorization"] = basic
                if f.etag:
                    headers["If-None-Match"] = f.etag
                if f.modified:
                    headers["If-Modified-Since"] = f.modified
                conn.request("GET", (u.path or "/") + (f"?{u.query}" if u.query else ""), headers=headers)
                resp = conn.getresponse()
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if resp.status in (301, 302, 303, 307, 308) and hdrs.get("location"):
                    url = self._redirect(url, hdrs["location"])
                    continue
                body = self._body(resp, deadline) if resp.status == 200 else b""
                want = hdrs.get("content-length")
                if resp.status == 200 and want and want.isdigit() and len(body) < int(want):
                    raise http.client.IncompleteRead(body, int(want) - len(body))  # cut off mid-feed
                return resp.status, hdrs, body, url
            finally:
                conn.close()
                self._conn = None
        raise FetchError(f"more than max_redirects ({c.max_redirects}) redirects")

    def _redirect(self, url: str, location: str) -> str:
        nxt = urljoin(url, location.strip())
        u = urlsplit(nxt)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise FetchError(f"redirected to {feed_ref(nxt)[:200]!r}: only http(s) redirects are followed")
        if local_host(u.hostname) and not local_host(urlsplit(url).hostname or ""):
            raise FetchError(f"redirected from a public host to a local address ({u.hostname}): not followed")
        return nxt

    def _body(self, resp: http.client.HTTPResponse, deadline: float) -> bytes:
        """The body, read in pieces so that size and time are checked as it comes."""
        c = self.config
        out = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise FetchError(f"gave up after fetch_timeout_s ({c.fetch_timeout_s:g}s)")
            piece = resp.read1(65536)
            if not piece:
                return bytes(out)
            out += piece
            if len(out) > c.max_bytes:
                raise FetchError(f"feed larger than max_bytes ({c.max_bytes:,} bytes)")


def _retry_after(v: str | None) -> float | None:
    if not v:
        return None
    try:
        return max(0.0, float(v))
    except ValueError:
        try:
            return max(0.0, parse_time(v, "Retry-After").timestamp() - time.time())
        except BadPost:
            return None


# -- parsing ----------------------------------------------------------------------------------

def _text(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    t = "".join(el.itertext()).strip()
    return t or None


def parse_feed(body: bytes, feed_url: str) -> list[dict[str, Any]]:
    """Feed bytes -> plain entry dicts (title, id, link, summary, published, updated, ...)."""
    if not body.strip():
        raise BadPost("feed is empty")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise BadPost(f"feed is not well-formed XML: {e}") from None
    tag = root.tag
    if tag == f"{ATOM}feed":
        return _atom(root, feed_url)
    if tag == "rss":
        ch = root.find("channel")
        if ch is None:
            raise BadPost("RSS feed without <channel>")
        return _rss(ch, ch.findall("item"), "", feed_url)
    if tag == f"{RDF}RDF":
        ch = root.find(f"{RSS1}channel")
        return _rss(ch, root.findall(f"{RSS1}item"), RSS1, feed_url)
    raise BadPost(f"not an RSS or Atom feed (root element {tag[:60]!r})")


def _rss(ch: ET.Element | None, items: list[ET.Element], ns: str, feed_url: str) -> list[dict[str, Any]]:
    feed_title = _text(ch.find(f"{ns}title")) if ch is not None else None
    feed_lang = (_text(ch.find("language")) or _text(ch.find(f"{DC}language"))) if ch is not None else None
    out = []
    for it in items:
        guid_el = it.find("guid")
        link = _text(it.find(f"{ns}link"))
        guid = _text(guid_el)
        rdf_about = it.get(f"{RDF}about")
        media = []
        for enc in it.findall("enclosure"):
            media.append({"url": enc.get("url"), "type": enc.get("type") or ""})
        media += _media_rss(it)
        out.append({
            "id": guid or rdf_about or link,
            "permalink": guid_el is not None and (guid_el.get("isPermaLink", "true") == "true") and guid,
            "title": _text(it.find(f"{ns}title")),
            "link": link,
            "summary": _text(it.find(f"{CONTENT}encoded")) or _text(it.find(f"{ns}description")),
            "published": _text(it.find("pubDate")) or _text(it.find(f"{DC}date")),
            "updated": None,
            "author": _text(it.find(f"{DC}creator")) or _text(it.find("author")),
            "categories": [t for t in (_text(c) for c in it.findall("category")) if t]
            + [t for t in (_text(c) for c in it.findall(f"{DC}subject")) if t],
            "media": media,
            "lang": feed_lang,
            "feed_title": feed_title,
        })
    return out


def _atom(root: ET.Element, feed_url: str) -> list[dict[str, Any]]:
    feed_title = _text(root.find(f"{ATOM}title"))
    feed_lang = root.get(XML_LANG)
    feed_author = _text(root.find(f"{ATOM}author/{ATOM}name"))
    out = []
    for e in root.findall(f"{ATOM}entry"):
        link = None
        media = []
        for ln in e.findall(f"{ATOM}link"):
            rel = ln.get("rel", "alternate")
            if rel == "alternate" and link is None:
                link = ln.get("href")
            elif rel == "enclosure":
                media.append({"url": ln.get("href"), "type": ln.get("type") or ""})
        media += _media_rss(e)
        content = e.find(f"{ATOM}content")
        summary = _text(e.find(f"{ATOM}summary"))
        body = _text(content) if content is not None and content.get("src") is None else None
        out.append({
            "id": _text(e.find(f"{ATOM}id")) or link,
            "permalink": False,
            "title": _text(e.find(f"{ATOM}title")),
            "link": urljoin(feed_url, link) if link else None,
            "summary": body or summary,
            "published": _text(e.find(f"{ATOM}published")),
            "updated": _text(e.find(f"{ATOM}updated")),
            "author": _text(e.find(f"{ATOM}author/{ATOM}name")) or feed_author,
            "categories": [c.get("term") for c in e.findall(f"{ATOM}category") if c.get("term")],
            "media": media,
            "lang": e.get(XML_LANG) or feed_lang,
            "feed_title": feed_title,
        })
    return out


def _media_rss(el: ET.Element) -> list[dict[str, Any]]:
    out = []
    for m in el.iter(f"{MEDIA}content"):
        out.append({"url": m.get("url"), "type": m.get("type") or m.get("medium") or ""})
    for m in el.iter(f"{MEDIA}thumbnail"):
        out.append({"url": m.get("url"), "type": "image/"})
    return out


def _kind(mime: str) -> str:
    m = mime.lower()
    if m.startswith("image") or m == "image/":
        return "gif" if m == "image/gif" else "photo"
    if m.startswith("video"):
        return "video"
    if m.startswith("audio"):
        return "audio"
    return "link"


def entry_to_post(e: dict[str, Any], feed_url: str, detect_lang: bool = True) -> Post:
    """`feed_url`: the feed as configured (shown redacted, `feed_ref`): the scope of the entry's id."""
    feed_url = feed_ref(feed_url)
    raw_id = e.get("id") or e.get("link")
    if not raw_id:
        raise BadPost("entry has no id, guid or link")
    raw_id = raw_id.strip()
    # Every id is scoped to its feed, URL-shaped ones too: else any feed could publish an
    # entry with another feed's id and replace that post.
    pid = f"{feed_url}#{raw_id}"
    title = html_to_text(e["title"])[0] if e.get("title") else ""
    summary, links = html_to_text(e["summary"]) if e.get("summary") else ("", [])
    text = title if not summary or summary == title else f"{title}\n\n{summary}" if title else summary
    if not text.strip():
        raise BadPost("entry has no title or text")
    if len(text) > MAX_TEXT_CHARS:
        text = text[: MAX_TEXT_CHARS - 1] + "…"
    published = _time(e.get("published"), "published")
    updated = _time(e.get("updated"), "updated")
    created = published or updated or utcnow()
    edited = updated if updated and published and updated > published else None
    link = e.get("link") or (raw_id if e.get("permalink") else None)
    urls = list(dict.fromkeys(([link] if link else []) + links))
    media = [Media(kind=_kind(m.get("type") or ""), url=m["url"]) for m in e.get("media") or [] if m.get("url")]
    host = urlsplit(feed_url).hostname or feed_url
    author = e.get("author")
    tags = [t.lstrip("#").lower() for t in e.get("categories") or [] if t and " " not in t.strip()]
    hashtags = list(dict.fromkeys(find_hashtags(text) + tags))
    lang = norm_lang(e.get("lang"))
    if lang is None and detect_lang:
        lang = detect(text)
    return Post(
        id=pid,
        source="rss",
        author=Author(id=feed_url, handle=host, name=author or e.get("feed_title")),
        text=text,
        created_at=created,
        lang=lang,
        urls=urls,
        hashtags=hashtags,
        mentions=find_mentions(text) if "@" in text else [],
        media=media,
        url=link,
        edited_at=edited,
        extra={"feed": feed_url, **({"feed_title": e["feed_title"]} if e.get("feed_title") else {})},
        raw={k: v for k, v in e.items() if k != "feed_title"},
    )


def _time(v: str | None, what: str) -> datetime | None:
    if not v:
        return None
    try:
        return parse_time(v, what)
    except BadPost:
        return None
