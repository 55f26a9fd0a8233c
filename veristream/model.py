"""Typed records that cross module boundaries: the post and what search returns.

A `Post` is source-neutral. Readers (`veristream.readers`) turn each service's wire
format into one; everything downstream (store, index, stories, search) only sees posts.
Time is kept as timezone-aware UTC `datetime` for callers and as integer microseconds
(`ts_us`) for storage and indexing, because integer comparisons are what the hot path does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

SOURCES = ("file", "x", "bluesky", "mastodon", "rss", "api", "demo")

# Posts are hostile input: their size is bounded before anything else touches them.
MAX_TEXT_CHARS = 25_000  # X's longest posts (Premium) are 25,000 characters
MAX_LINE_BYTES = 1_048_576

_HASHTAG = re.compile(r"(?:^|(?<=[^\w&]))#(\w{1,100})", re.UNICODE)
_MENTION = re.compile(r"(?:^|(?<=[^\w]))@([\w.\-]{1,100}\w)", re.UNICODE)
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@runtime_checkable
class Record(Protocol):
    """A typed record handed out by the engine: `to_dict` is its one serialisation (JSON-ready
    data), the same for the CLI's --json, the API and the page."""

    def to_dict(self) -> dict[str, Any]: ...


class BadPost(ValueError):
    """A post that cannot be accepted; `reason` is a one-line explanation."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class Author:
    id: str
    handle: str = ""
    name: str | None = None
    verified: bool = False
    followers: int | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Media:
    kind: str  # photo | video | gif | audio | link
    url: str | None = None
    alt: str | None = None


@dataclass(slots=True)
class Card:
    """A link card: the page a post links to, as the service previewed it (Bluesky
    `app.bsky.embed.external`, X `entities.urls` with a title, Mastodon `card`). Its words are
    searched with the post's; `domain` is what `--domain` filters on."""

    url: str
    title: str | None = None
    description: str | None = None

    @property
    def domain(self) -> str:
        return url_domain(self.url)


@dataclass(slots=True)
class Geo:
    lat: float | None = None
    lon: float | None = None
    place: str | None = None
    country: str | None = None


@dataclass(slots=True)
class Metrics:
    reposts: int | None = None
    likes: int | None = None
    replies: int | None = None
    quotes: int | None = None
    views: int | None = None


@dataclass(slots=True)
class Post:
    id: str
    source: str
    author: Author
    text: str
    created_at: datetime
    lang: str | None = None
    reply_to: str | None = None
    quote_of: str | None = None
    repost_of: str | None = None
    urls: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    geo: Geo | None = None
    metrics: Metrics = field(default_factory=Metrics)
    url: str | None = None  # permalink on the origin service
    edited_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. X matching_rules
    raw: Any = None  # the original message, as received
    # Appended after `raw` (readers build posts positionally up to `raw`):
    cards: list[Card] = field(default_factory=list)  # link cards, read with the post
    # Text read from the post's images (OCR) by the media consumer after the post was accepted;
    # kept in the store beside the post's document (never part of it), shown with the post.
    image_text: str | None = None

    @property
    def key(self) -> str:
        """Globally unique id: ids are only unique within their source."""
        return f"{self.source}:{self.id}"

    @property
    def ts_us(self) -> int:
        return to_us(self.created_at)

    def ref_key(self, ref: str | None) -> str | None:
        """Key of a referenced post (reply_to / quote_of / repost_of) of the same source."""
        return ref_key(self.source, ref)

    def to_dict(self, raw: bool = True) -> dict[str, Any]:
        """The project's own JSONL schema (see README); readers parse it back.

        Written out by hand rather than with `asdict`: this runs once per ingested post."""
        a = self.author
        g = self.geo
        m = self.metrics
        d = {
            "id": self.id, "source": self.source,
            "author": {"id": a.id, "handle": a.handle, "name": a.name, "verified": a.verified,
                       "followers": a.followers, "created_at": iso(a.created_at) if a.created_at else None},
            "text": self.text, "created_at": iso(self.created_at), "lang": self.lang,
            "reply_to": self.reply_to, "quote_of": self.quote_of, "repost_of": self.repost_of,
            "urls": self.urls, "hashtags": self.hashtags, "mentions": self.mentions,
            "media": [{"kind": x.kind, "url": x.url, "alt": x.alt} for x in self.media],
            "geo": {"lat": g.lat, "lon": g.lon, "place": g.place, "country": g.country} if g else None,
            "metrics": {"reposts": m.reposts, "likes": m.likes, "replies": m.replies, "quotes": m.quotes, "views": m.views},
            "url": self.url, "edited_at": iso(self.edited_at) if self.edited_at else None, "extra": self.extra,
        }
        # Written only when present: a post without them serialises exactly as before, so the
        # digests of stored posts (an identical re-ingest is a no-op) stay what they were.
        if self.cards:
            d["cards"] = [{"url": c.url, "title": c.title, "description": c.description} for c in self.cards]
        if self.image_text:
            d["image_text"] = self.image_text
        if raw:
            d["raw"] = self.raw
        return d


def attachments(p: Post) -> list[tuple[str, str]]:
    """What comes with a post's words, each with where it came from: ("image", text read from
    its images), ("alt", an image's alt text), ("card", a link card's title and description).
    Answers and verification cite these as the post's ("in an image attached to [3]")."""
    out: list[tuple[str, str]] = []
    if p.image_text:
        out.append(("image", p.image_text))
    out += [("alt", m.alt) for m in p.media if m.alt and m.kind != "link"]
    out += [("card", " — ".join(x for x in (c.title, c.description) if x)) for c in p.cards if c.title or c.description]
    return out


def all_words(p: Post) -> str:
    """The post's words and what comes with them (alt text, link cards, text read from its
    images): what search matches, one block of text."""
    parts = [p.text]
    parts += [m.alt for m in p.media if m.alt and m.kind != "link"]
    parts += [" ".join(x for x in (c.title, c.description) if x) for c in p.cards]
    if p.image_text:
        parts.append(p.image_text)
    return "\n".join(x for x in parts if x)


def ref_key(source: str, ref: str | None) -> str | None:
    """Key of a post referenced from a post of `source`: a bare id is of the same source."""
    if not ref:
        return None
    return ref if ":" in ref and ref.split(":", 1)[0] in SOURCES else f"{source}:{ref}"


def to_us(dt: datetime) -> int:
    # Exact integer arithmetic: float timestamps lose microseconds for recent dates.
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=timezone.utc)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso(dt: datetime) -> str:
    if dt.tzinfo is not timezone.utc:
        dt = dt.astimezone(timezone.utc)
    return dt.isoformat().replace("+00:00", "Z")


def parse_time(value: Any, what: str = "created_at") -> datetime:
    """Parse an ISO-8601 string, epoch seconds/milliseconds, or RFC 2822 date into UTC."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, bool) or value is None:
        raise BadPost(f"{what} must be a timestamp, got {type(value).__name__}")
    elif isinstance(value, (int, float)):
        v = float(value)
        if v > 1e14:  # microseconds
            v /= 1e6
        elif v > 1e11:  # milliseconds
            v /= 1e3
        try:
            dt = datetime.fromtimestamp(v, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise BadPost(f"{what} out of range: {value!r}") from None
    elif isinstance(value, str):
        s = value.strip()
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            try:
                from email.utils import parsedate_to_datetime

                dt = parsedate_to_datetime(s)
            except (TypeError, ValueError, IndexError):
                raise BadPost(f"{what} is not a valid timestamp: {s[:60]!r}") from None
    else:
        raise BadPost(f"{what} must be a timestamp, got {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    elif dt.utcoffset():
        dt = dt.astimezone(timezone.utc)
    if not (1990 <= dt.year <= 2200):
        raise BadPost(f"{what} out of range: {value!r}")
    return dt


def extract_hashtags(text: str) -> list[str]:
    return _dedup(m.lower() for m in _HASHTAG.findall(text))


def extract_mentions(text: str) -> list[str]:
    return _dedup(m.lower() for m in _MENTION.findall(text))


def extract_urls(text: str) -> list[str]:
    return _dedup(u.rstrip(".,;:!?)]}") for u in _URL.findall(text))


def url_domain(url: str) -> str:
    """The host of `url`, lowercased, without a leading "www." ("" when there is none)."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _dedup(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def post_from_doc(d: dict[str, Any]) -> Post:
    """Rebuild a Post from the store's own JSON document (trusted: written by `Post`)."""
    a = d.get("author") or {}
    g = d.get("geo")
    return Post(
        id=d["id"],
        source=d["source"],
        author=Author(a.get("id", ""), a.get("handle", ""), a.get("name"), bool(a.get("verified")),
                      a.get("followers"), _opt_time(a.get("created_at"))),
        text=d["text"],
        created_at=datetime.fromisoformat(d["created_at"]),
        lang=d.get("lang"),
        reply_to=d.get("reply_to"),
        quote_of=d.get("quote_of"),
        repost_of=d.get("repost_of"),
        urls=d.get("urls") or [],
        hashtags=d.get("hashtags") or [],
        mentions=d.get("mentions") or [],
        media=[Media(m.get("kind", "photo"), m.get("url"), m.get("alt")) for m in d.get("media") or []],
        geo=Geo(g.get("lat"), g.get("lon"), g.get("place"), g.get("country")) if g else None,
        metrics=Metrics(**(d.get("metrics") or {})),
        url=d.get("url"),
        edited_at=_opt_time(d.get("edited_at")),
        extra=d.get("extra") or {},
        raw=d.get("raw"),
        cards=[Card(c["url"], c.get("title"), c.get("description")) for c in d.get("cards") or []],
        image_text=d.get("image_text"),
    )


def _opt_time(v: Any) -> datetime | None:
    return datetime.fromisoformat(v) if v else None
