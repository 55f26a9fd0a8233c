"""The project's own JSONL schema (what `Post.to_dict()` writes), plus CrisisLex tweets.

This is the ingest hot path: fields that are present are validated and used as given;
hashtags/mentions/urls are only extracted from the text when the message omits them.
"""

from __future__ import annotations

from typing import Any

from ..model import (
    Author,
    BadPost,
    Geo,
    Media,
    Metrics,
    Post,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    parse_time,
)
from ._common import (
    as_id,
    check_not_empty,
    check_text,
    fill_lang,
    norm_lang,
    opt_bool,
    opt_dict,
    opt_float,
    opt_id,
    opt_int,
    opt_list,
    opt_str,
    opt_time,
    str_list,
    tags,
    tname,
)

_MEDIA_KINDS = frozenset({"photo", "video", "gif", "audio", "link"})


def parse(obj: dict[str, Any], source: str | None = None) -> Post:
    g = obj.get
    pid = g("id")
    if pid is None:
        pid = g("tweet_id")  # CrisisLex: {"tweet_id", "created_at", "text"}
        if type(pid) is str:
            pid = pid.strip("'")  # CrisisLex CSV exports quote ids: "'348351442404376578'"
    if pid is None:
        raise BadPost("missing field: id")
    pid = as_id(pid)
    text = check_text(g("text"))
    created = g("created_at")
    if created is None:
        raise BadPost("missing field: created_at")
    created_at = parse_time(created)

    src = g("source")
    if src is None:
        src = source or "file"
    elif type(src) is not str or not src:
        raise BadPost(f"source is not a string (got {tname(src)})")

    v = g("hashtags")
    hashtags = extract_hashtags(text) if v is None else tags(str_list(v, "hashtags"))
    v = g("mentions")
    mentions = extract_mentions(text) if v is None else tags(str_list(v, "mentions"))
    v = g("urls")
    urls = extract_urls(text) if v is None else str_list(v, "urls")

    v = g("media")
    media = [_media(m) for m in opt_list(v, "media")] if v is not None else []
    repost_of = opt_id(g("repost_of"), "repost_of")
    quote_of = opt_id(g("quote_of"), "quote_of")
    check_not_empty(text, media, repost_of, quote_of)

    v = g("geo")
    geo = _geo(v) if v is not None else None
    v = g("metrics")
    metrics = _metrics(v) if v is not None else Metrics()
    extra = opt_dict(g("extra"), "extra")
    raw = g("raw")
    return Post(
        id=pid,
        source=src,
        author=_author(g("author")),
        text=text,
        created_at=created_at,
        lang=fill_lang(norm_lang(g("lang")), text),
        reply_to=opt_id(g("reply_to"), "reply_to"),
        quote_of=quote_of,
        repost_of=repost_of,
        urls=urls,
        hashtags=hashtags,
        mentions=mentions,
        media=media,
        geo=geo,
        metrics=metrics,
        url=opt_str(g("url"), "url"),
        edited_at=opt_time(g("edited_at"), "edited_at"),
        extra=extra if extra is not None else {},
        # A re-read `to_dict()` carries the service's original message: keep that one.
        raw=obj if raw is None else raw,
    )


def _author(a: Any) -> Author:
    if a is None:
        return Author(id="", handle="")
    if type(a) is str:
        handle = a.lstrip("@")
        return Author(id=handle, handle=handle)
    if type(a) is not dict:
        raise BadPost(f"author is not an object or string (got {tname(a)})")
    g = a.get
    handle = opt_str(g("handle"), "author.handle") or ""
    aid = opt_id(g("id"), "author.id")
    return Author(
        id=aid if aid is not None else handle,
        handle=handle,
        name=opt_str(g("name"), "author.name"),
        verified=opt_bool(g("verified"), "author.verified"),
        followers=opt_int(g("followers"), "author.followers"),
        created_at=opt_time(g("created_at"), "author.created_at"),
    )


def _media(m: Any) -> Media:
    if type(m) is not dict:
        raise BadPost(f"media item is not an object (got {tname(m)})")
    kind = m.get("kind") or "photo"
    if kind not in _MEDIA_KINDS:
        raise BadPost(f"media kind is not one of {'|'.join(sorted(_MEDIA_KINDS))}: {str(kind)[:20]!r}")
    return Media(kind=kind, url=opt_str(m.get("url"), "media.url"), alt=opt_str(m.get("alt"), "media.alt"))


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
    d = opt_dict(v, "metrics")
    assert d is not None
    g = d.get
    return Metrics(
        reposts=opt_int(g("reposts"), "metrics.reposts"),
        likes=opt_int(g("likes"), "metrics.likes"),
        replies=opt_int(g("replies"), "metrics.replies"),
        quotes=opt_int(g("quotes"), "metrics.quotes"),
        views=opt_int(g("views"), "metrics.views"),
    )
