"""The project's own JSONL schema (what `Post.to_dict()` writes), plus CrisisLex tweets.

This is the ingest hot path. Each field has a fast path for the well-typed common case and
falls back to the validating helpers (which name the problem) only when that check fails;
hashtags/mentions/urls are extracted from the text only when the message omits them.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable

from ..model import MAX_TEXT_CHARS, Author, BadPost, Card, Geo, Media, Metrics, Post
from ._common import (
    INT64_MAX,
    INT64_MIN,
    MAX_CARDS,
    alt_text,
    as_id,
    card,
    check_not_empty,
    check_text,
    find_hashtags,
    find_mentions,
    find_urls,
    norm_lang,
    opt_bool,
    opt_dict,
    opt_float,
    opt_id,
    opt_int,
    opt_key,
    opt_list,
    opt_str,
    opt_time,
    str_list,
    tags,
    tname,
    utc_time,
)

_MEDIA_KINDS = frozenset({"photo", "video", "gif", "audio", "link"})

# Posts, authors and metrics are built with positional arguments: keyword calls cost about a
# microsecond more per post. That relies on the field order, which is checked here.
_ORDER = {
    Post: ("id", "source", "author", "text", "created_at", "lang", "reply_to", "quote_of", "repost_of",
           "urls", "hashtags", "mentions", "media", "geo", "metrics", "url", "edited_at", "extra", "raw", "cards"),
    Author: ("id", "handle", "name", "verified", "followers", "created_at"),
    Metrics: ("reposts", "likes", "replies", "quotes", "views"),
}
for _cls, _names in _ORDER.items():
    if tuple(f.name for f in fields(_cls))[: len(_names)] != _names:
        raise ImportError(f"veristream.readers.jsonl: {_cls.__name__} fields changed order; update the reader")


def parse(obj: dict[str, Any], source: str | None = None) -> Post:
    g: Callable[[str], Any] = obj.get
    pid = g("id")
    if type(pid) is not str or not pid:
        pid = _id(obj)
    text = g("text")
    if type(text) is not str or len(text) > MAX_TEXT_CHARS:
        check_text(text)  # raises with the reason
    created_at = utc_time(g("created_at"))

    src = g("source")
    if src is None:
        src = source or "file"
    elif type(src) is not str or not src:
        raise BadPost(f"source is not a string (got {tname(src)})")

    v = g("hashtags")
    hashtags = find_hashtags(text) if v is None else tags(v, "hashtags")
    v = g("mentions")
    mentions = find_mentions(text) if v is None else tags(v, "mentions")
    v = g("urls")
    urls = find_urls(text) if v is None else str_list(v, "urls")

    v = g("media")
    media = [_media(m) for m in opt_list(v, "media")] if v is not None else []
    reply_to = g("reply_to")
    if reply_to is not None and (type(reply_to) is not str or not reply_to):
        reply_to = opt_id(reply_to, "reply_to")
    quote_of = g("quote_of")
    if quote_of is not None and (type(quote_of) is not str or not quote_of):
        quote_of = opt_id(quote_of, "quote_of")
    repost_of = g("repost_of")
    if repost_of is not None and (type(repost_of) is not str or not repost_of):
        repost_of = opt_id(repost_of, "repost_of")
    if not text or text.isspace():
        check_not_empty(text, media, repost_of, quote_of)

    lang = norm_lang(g("lang"))

    v = g("geo")
    geo = _geo(v) if v is not None else None
    v = g("metrics")
    metrics = _metrics(v) if v is not None else Metrics()
    url = g("url")
    if url is not None and type(url) is not str:
        opt_str(url, "url")
    v = g("edited_at")
    edited_at = None if v is None else opt_time(v, "edited_at")
    extra = g("extra")
    if extra is None:
        extra = {}
    elif type(extra) is not dict:
        opt_dict(extra, "extra")
    # A re-read `to_dict()` carries the service's original message: keep it. A post written in
    # this schema is its own original (storing it twice would double the store); a foreign
    # shape such as CrisisLex keeps what it came with.
    raw = g("raw")
    if raw is None and "id" not in obj:
        raw = obj
    v = g("cards")
    cards = _cards(v) if v is not None else []
    # `image_text` is not read: it is what this system's media consumer derived from the images
    # (a client cannot claim it), and it is derived again from the images of a re-read post.
    return Post(
        pid, src, _author(g("author")), text, created_at, lang, reply_to, quote_of, repost_of,
        urls, hashtags, mentions, media, geo, metrics, url, edited_at, extra, raw, cards,
    )  # fmt: skip


def _id(obj: dict[str, Any]) -> str:
    pid = obj.get("id")
    if pid is None:
        pid = obj.get("tweet_id")  # CrisisLex: {"tweet_id", "created_at", "text"}
        if type(pid) is str:
            pid = pid.strip("'")  # CrisisLex CSV exports quote ids: "'348351442404376578'"
        elif pid is None:
            raise BadPost("missing field: id")
    return as_id(pid)


def _author(a: Any) -> Author:
    if a is None:
        return Author("", "")
    if type(a) is str:
        handle = a.lstrip("@")
        return Author(handle, handle)
    if type(a) is not dict:
        raise BadPost(f"author is not an object or string (got {tname(a)})")
    g: Callable[[str], Any] = a.get
    aid, handle, name, verified, followers, created = (
        g("id"), g("handle"), g("name"), g("verified"), g("followers"), g("created_at"),
    )  # fmt: skip
    if not (
        (type(aid) is str or aid is None)
        and (type(handle) is str or handle is None)
        and (type(name) is str or name is None)
        and (type(verified) is bool or verified is None)
        and ((type(followers) is int and INT64_MIN <= followers <= INT64_MAX) or followers is None)
    ):
        aid = opt_id(aid, "author.id")
        opt_str(handle, "author.handle")
        opt_str(name, "author.name")
        opt_bool(verified, "author.verified")
        followers = opt_int(followers, "author.followers")
    handle = handle or ""
    return Author(
        aid if aid else handle,
        handle,
        name,
        verified is True,
        followers,
        None if created is None else opt_time(created, "author.created_at"),
    )


def _media(m: Any) -> Media:
    if type(m) is not dict:
        raise BadPost(f"media item is not an object (got {tname(m)})")
    kind = opt_key(m.get("kind"), "media.kind") or "photo"
    if kind not in _MEDIA_KINDS:
        raise BadPost(f"media kind is not one of {'|'.join(sorted(_MEDIA_KINDS))}: {str(kind)[:20]!r}")
    return Media(kind=kind, url=opt_str(m.get("url"), "media.url"), alt=alt_text(m.get("alt"), "media.alt"))


def _cards(v: Any) -> list[Card]:
    out: list[Card] = []
    for c in opt_list(v, "cards")[:MAX_CARDS]:
        d = opt_dict(c, "cards item")
        if d and (cd := card(d.get("url"), d.get("title"), d.get("description"), "cards")) is not None:
            out.append(cd)
    return out


def _geo(v: Any) -> Geo:
    d = opt_dict(v, "geo")
    assert d is not None
    g = d.get
    return Geo(
        lat=opt_float(g("lat"), "geo.lat"),
        lon=opt_float(g("lon"), "geo.lon"),
        place=opt_str(g("place"), "geo.place"),
        country=opt_str(g("country"), "geo.country"),
    )


def _metrics(v: Any) -> Metrics:
    if type(v) is not dict:
        raise BadPost(f"metrics is not an object (got {tname(v)})")
    g = v.get
    vals: tuple[Any, ...] = (g("reposts"), g("likes"), g("replies"), g("quotes"), g("views"))
    for x in vals:
        if x is not None and (type(x) is not int or not INT64_MIN <= x <= INT64_MAX):
            vals = tuple(opt_int(x, f"metrics.{k}") for x, k in zip(vals, _ORDER[Metrics]))
            break
    return Metrics(*vals)
