"""Bluesky Jetstream messages (https://github.com/bluesky-social/jetstream).

Only `app.bsky.feed.post` commits become posts. Post ids are at-uris, which are globally
unique, so `Post.key` is "bluesky:at://<did>/app.bsky.feed.post/<rkey>".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from ..model import Author, BadPost, Card, Media, Post
from ._common import (
    MAX_CARDS,
    alt_text,
    card,
    check_not_empty,
    check_text,
    find_hashtags,
    find_mentions,
    find_urls,
    need,
    norm_lang,
    opt_dict,
    opt_key,
    opt_list,
    opt_str,
    str_list,
    tname,
    us_time,
    utc_time,
)

POST = "app.bsky.feed.post"
_FACET = "app.bsky.richtext.facet#"
# Clients choose createdAt freely; one far ahead of the relay's clock would pin a post to
# the top of "latest" results, so it is capped at the time Jetstream saw the commit.
_MAX_CLOCK_SKEW = timedelta(minutes=5)


def parse(obj: dict[str, Any], source: str | None = None) -> Post | None:
    kind = need(obj, "kind")
    if kind != "commit":
        return None  # identity / account (and any future kind): nothing to store
    commit = opt_dict(need(obj, "commit"), "commit")
    assert commit is not None
    if commit.get("collection") != POST or commit.get("operation") not in ("create", "update"):
        return None  # likes, follows, reposts, ...; deletes go through parse_delete
    did = _str(need(obj, "did"), "did")
    rkey = _str(need(commit, "rkey", "commit.rkey"), "commit.rkey")
    record = opt_dict(need(commit, "record", "commit.record"), "commit.record")
    assert record is not None
    text = check_text(record.get("text"), "record.text")

    time_us = obj.get("time_us")
    seen = None if time_us is None else us_time(time_us, "time_us")
    created = record.get("createdAt")
    if created is not None:
        created_at = utc_time(created, "record.createdAt")
        if seen is not None and created_at > seen + _MAX_CLOCK_SKEW:
            created_at = seen
    elif seen is not None:
        created_at = seen
    else:
        raise BadPost("missing field: record.createdAt")

    facets = record.get("facets")
    if facets is None:
        hashtags, mentions, urls = find_hashtags(text), find_mentions(text), find_urls(text)
    else:
        hashtags, mentions, urls = _facets(facets)
    for t in str_list(record.get("tags"), "record.tags"):  # extra tags not shown in text
        if t.strip("#").lower() not in hashtags:
            hashtags.append(t.strip("#").lower())

    media: list[Media] = []
    cards: list[Card] = []
    quote_of = _embed(record.get("embed"), did, media, urls, cards)
    check_not_empty(text, media, quote_of)

    reply = opt_dict(record.get("reply"), "record.reply")
    reply_to = None
    if reply:
        parent = opt_dict(reply.get("parent"), "record.reply.parent") or {}
        reply_to = opt_str(parent.get("uri"), "record.reply.parent.uri")

    langs = str_list(record.get("langs"), "record.langs")
    extra: dict[str, Any] = {"time_us": time_us}
    if type(cid := commit.get("cid")) is str:
        extra["cid"] = cid
    handle = obj.get("handle")  # not sent by Jetstream; present when a relay enriches it
    return Post(
        id=f"at://{did}/{POST}/{rkey}",
        source=source or "bluesky",
        author=Author(id=did, handle=handle if type(handle) is str and handle else did),
        text=text,
        created_at=created_at,
        lang=norm_lang(langs[0], "record.langs") if langs else None,
        reply_to=reply_to,
        quote_of=quote_of,
        urls=urls,
        hashtags=hashtags,
        mentions=mentions,
        media=media,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        edited_at=seen if commit["operation"] == "update" else None,
        extra=extra,
        raw=obj,
        cards=cards[:MAX_CARDS],
    )


def parse_delete(obj: dict[str, Any]) -> str | None:
    """Key of the post a delete commit removes ("bluesky:at://..."), else None."""
    commit = obj.get("commit")
    if (
        obj.get("kind") != "commit"
        or type(commit) is not dict
        or commit.get("operation") != "delete"
        or commit.get("collection") != POST
    ):
        return None
    did, rkey = obj.get("did"), commit.get("rkey")
    if type(did) is not str or not did or type(rkey) is not str or not rkey:
        raise BadPost("delete commit without did/rkey")
    return f"bluesky:at://{did}/{POST}/{rkey}"


def _str(v: Any, what: str) -> str:
    if type(v) is not str or not v:
        raise BadPost(f"{what} is not a non-empty string (got {tname(v)})")
    return v


def _facets(facets: Any) -> tuple[list[str], list[str], list[str]]:
    tags: dict[str, None] = {}
    mentions: dict[str, None] = {}
    urls: dict[str, None] = {}
    for f in opt_list(facets, "record.facets"):
        if type(f) is not dict:
            continue
        for feat in opt_list(f.get("features"), "record.facets.features"):
            if type(feat) is not dict or type(t := feat.get("$type")) is not str:
                continue
            if t == _FACET + "tag" and type(v := feat.get("tag")) is str:
                tags[v.lstrip("#").lower()] = None
            elif t == _FACET + "mention" and type(v := feat.get("did")) is str:
                mentions[v] = None
            elif t == _FACET + "link" and type(v := feat.get("uri")) is str:
                urls[v] = None
    return list(tags), list(mentions), list(urls)


def _blob_cid(blob: Any) -> str | None:
    if type(blob) is not dict:
        return None
    ref = blob.get("ref")
    if type(ref) is dict and type(ref.get("$link")) is str:
        return ref["$link"]
    cid = blob.get("cid")  # legacy blob form
    return cid if type(cid) is str else None


def _embed(embed: Any, did: str, media: list[Media], urls: list[str], cards: list[Card], depth: int = 0) -> str | None:
    """Append the embed's media/links; return the quoted post's uri, if any."""
    e = opt_dict(embed, "record.embed")
    if not e:
        return None
    if depth > 2:  # recordWithMedia holds media, never another recordWithMedia: bound the recursion
        raise BadPost("record.embed nested too deep")
    t = opt_key(e.get("$type"), "record.embed.$type")
    if t == "app.bsky.embed.images":
        for img in opt_list(e.get("images"), "embed.images"):
            if type(img) is dict:
                cid = _blob_cid(img.get("image"))
                url = f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg" if cid else None
                media.append(Media(kind="photo", url=url, alt=alt_text(img.get("alt"), "embed.images.alt")))
    elif t == "app.bsky.embed.video":
        cid = _blob_cid(e.get("video"))
        url = f"https://video.bsky.app/watch/{quote(did, safe='')}/{cid}/playlist.m3u8" if cid else None
        media.append(Media(kind="video", url=url, alt=alt_text(e.get("alt"), "embed.video.alt")))
    elif t == "app.bsky.embed.external":
        ext = opt_dict(e.get("external"), "embed.external") or {}
        uri = opt_str(ext.get("uri"), "embed.external.uri")
        if uri:
            if uri not in urls:
                urls.append(uri)
            media.append(Media(kind="link", url=uri, alt=opt_str(ext.get("title"), "embed.external.title") or None))
            c = card(uri, ext.get("title"), ext.get("description"), "embed.external")
            if c is not None:
                cards.append(c)
    elif t == "app.bsky.embed.record":
        rec = opt_dict(e.get("record"), "embed.record") or {}
        uri = opt_str(rec.get("uri"), "embed.record.uri")
        # Quoting a feed generator, list or starter pack is not quoting a post.
        return uri if uri and f"/{POST}/" in uri else None
    elif t == "app.bsky.embed.recordWithMedia":
        rec = opt_dict(e.get("record"), "embed.record") or {}
        quoted = _embed({**rec, "$type": "app.bsky.embed.record"}, did, media, urls, cards, depth + 1)
        _embed(e.get("media"), did, media, urls, cards, depth + 1)
        return quoted
    return None
