"""Mastodon Status entities (REST and streaming API), https://docs.joinmastodon.org/entities/Status/.

Status ids are local to the instance that served them, so the post id is the status `uri`
(the ActivityPub id, globally unique) when present. `in_reply_to_id` has no uri form in the
API: `reply_to` holds that instance-local id and only marks the post as a reply.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import orjson

from ..model import Author, BadPost, Card, Media, Metrics, Post
from ._common import (
    alt_text,
    as_id,
    card,
    check_not_empty,
    check_text,
    find_hashtags,
    need,
    norm_lang,
    opt_bool,
    opt_dict,
    opt_id,
    opt_int,
    opt_key,
    opt_list,
    opt_str,
    opt_time,
    tags,
    tname,
    utc_time,
)

_MEDIA_KINDS = {"image": "photo", "gifv": "gif", "video": "video", "audio": "audio"}
_BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"})
_MANY_NEWLINES = re.compile(r"[ \t]*\n[ \t]*\n(?:[ \t]*\n)+")


def parse(obj: dict[str, Any], source: str | None = None) -> Post | None:
    if "event" in obj and "payload" in obj and "content" not in obj:
        return _stream_event(obj, source)
    return _status(obj, source or "mastodon", edited=False)


def _stream_event(obj: dict[str, Any], source: str | None) -> Post | None:
    """Streaming API envelope: {"event": "update", "payload": "<status JSON string>"}."""
    event = obj.get("event")
    if event not in ("update", "status.update"):
        return None  # delete, notification, filters_changed, ...: not posts
    payload = obj.get("payload")
    if isinstance(payload, (str, bytes)):
        try:
            payload = orjson.loads(payload)
        except orjson.JSONDecodeError as e:
            raise BadPost(f"payload is not JSON: {e.msg}") from None
    if type(payload) is not dict:
        raise BadPost(f"payload is not an object (got {tname(payload)})")
    post = _status(payload, source or "mastodon", edited=event == "status.update")
    post.raw = obj
    return post


def status_id(status: dict[str, Any], what: str = "id") -> str:
    uri = status.get("uri")
    if type(uri) is str and uri:
        return uri
    return as_id(need(status, "id", what), what)


# The API never nests a boost in a boost (a reblog's `reblog` is null); a chain of them is
# built to exhaust the recursion limit, so anything past this depth is rejected.
_MAX_REBLOG_DEPTH = 2


def _status(s: dict[str, Any], source: str, edited: bool, depth: int = 0) -> Post:
    g = s.get
    pid = status_id(s)
    created_at = utc_time(g("created_at"))
    author = _account(g("account"))
    reblog = opt_dict(g("reblog"), "reblog")
    metrics = Metrics(
        reposts=opt_int(g("reblogs_count"), "reblogs_count"),
        likes=opt_int(g("favourites_count"), "favourites_count"),
        replies=opt_int(g("replies_count"), "replies_count"),
        quotes=opt_int(g("quotes_count"), "quotes_count"),
    )
    extra: dict[str, Any] = {}
    if type(local_id := g("id")) in (str, int) and local_id != pid:
        extra["local_id"] = str(local_id)
    if author_bot := opt_bool(g("account").get("bot"), "account.bot"):  # a dict: _account checked it
        extra["bot"] = author_bot

    if reblog is not None:
        # A boost: the text, tags and media are the boosted status's.
        if depth >= _MAX_REBLOG_DEPTH:
            raise BadPost(f"reblog nested more than {_MAX_REBLOG_DEPTH} deep")
        inner = _status(reblog, source, edited=False, depth=depth + 1)
        return Post(
            id=pid,
            source=source,
            author=author,
            text=inner.text,
            created_at=created_at,
            lang=inner.lang,
            repost_of=inner.id,
            urls=inner.urls,
            hashtags=inner.hashtags,
            mentions=inner.mentions,
            media=inner.media,
            cards=inner.cards,
            metrics=metrics,
            url=opt_str(g("url"), "url"),
            extra=extra,
            raw=s,
        )

    content = g("content")
    if type(content) is not str:
        raise BadPost("missing field: content" if content is None else f"content is not a string (got {tname(content)})")
    text, links = html_to_text(content)
    text = check_text(text)

    media = [_attachment(m) for m in opt_list(g("media_attachments"), "media_attachments")]
    cards: list[Card] = []
    cd = opt_dict(g("card"), "card")
    if cd and type(cd.get("url")) is str:
        links.append(cd["url"])
        media.append(Media(kind="link", url=cd["url"], alt=opt_str(cd.get("title"), "card.title") or None))
        if (c := card(cd["url"], cd.get("title"), cd.get("description"), "card")) is not None:
            cards.append(c)
    quote_of = _quote(g("quote"), g("quote_id"))
    check_not_empty(text, media, quote_of)

    tag_list = opt_list(g("tags"), "tags")
    names = [t["name"] for t in tag_list if type(t) is dict and type(t.get("name")) is str]
    hashtags = tags(names, "tags") if g("tags") is not None else find_hashtags(text)
    accts = [m["acct"] for m in opt_list(g("mentions"), "mentions") if type(m) is dict and type(m.get("acct")) is str]
    mentions = tags(accts, "mentions")
    if spoiler := opt_str(g("spoiler_text"), "spoiler_text"):
        extra["spoiler_text"] = spoiler
    edited_at = opt_time(g("edited_at"), "edited_at")
    return Post(
        id=pid,
        source=source,
        author=author,
        text=text,
        created_at=created_at,
        lang=norm_lang(g("language"), "language"),
        reply_to=opt_id(g("in_reply_to_id"), "in_reply_to_id"),
        quote_of=quote_of,
        urls=list(dict.fromkeys(links)),
        hashtags=hashtags,
        mentions=mentions,
        media=media,
        metrics=metrics,
        url=opt_str(g("url"), "url") or opt_str(g("uri"), "uri"),
        edited_at=edited_at if edited_at or not edited else created_at,
        extra=extra,
        raw=s,
        cards=cards,
    )


def _account(v: Any) -> Author:
    a = opt_dict(v, "account")
    if a is None:
        raise BadPost("missing field: account")
    g = a.get
    acct = opt_str(g("acct"), "account.acct") or opt_str(g("username"), "account.username") or ""
    # Account ids are instance-local too; the actor uri/url is global.
    aid = opt_str(g("uri"), "account.uri") or opt_str(g("url"), "account.url") or opt_id(g("id"), "account.id")
    return Author(
        id=aid or acct,
        handle=acct,
        name=opt_str(g("display_name"), "account.display_name") or None,
        verified=False,  # Mastodon has no account verification, only verified profile links
        followers=opt_int(g("followers_count"), "account.followers_count"),
        created_at=opt_time(g("created_at"), "account.created_at"),
    )


def _attachment(m: Any) -> Media:
    if type(m) is not dict:
        raise BadPost(f"media_attachments item is not an object (got {tname(m)})")
    url = m.get("url") or m.get("remote_url")
    return Media(
        kind=_MEDIA_KINDS.get(opt_key(m.get("type"), "media_attachments.type") or "", "link"),
        url=opt_str(url, "media_attachments.url"),
        alt=alt_text(m.get("description"), "media_attachments.description"),
    )


def _quote(q: Any, quote_id: Any) -> str | None:
    """Mastodon 4.4+ `quote` ({state, quoted_status | quoted_status_id}); forks send a Status."""
    if type(q) is dict:
        if type(qs := q.get("quoted_status")) is dict:
            return status_id(qs, "quote.quoted_status.id")
        if q.get("quoted_status_id") is not None:
            return as_id(q["quoted_status_id"], "quote.quoted_status_id")
        if "content" in q:
            return status_id(q, "quote.id")
    return opt_id(quote_id, "quote_id")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def _newline(self, n: int) -> None:
        if self.parts:
            self.parts.append("\n" * n)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            self._newline(2)
        elif tag in _BLOCKS:
            self._newline(1)
        elif tag == "a":
            a = dict(attrs)
            cls = a.get("class") or ""
            # Mentions and hashtags are links too; they are kept in their own fields.
            if a.get("href") and "mention" not in cls and "hashtag" not in cls:
                self.links.append(a["href"])  # type: ignore[arg-type]
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in _BLOCKS and tag != "p":
            self._newline(1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


# A "<" that does not open a complete tag before the next "<" (an unclosed `<a `, `<a href="`,
# `<!--`...). HTMLParser rescans the rest of the input for the end of each one: quadratic, so a
# 1 MiB status of `<a <a <a ...` held a source for hours. Escaped first (in linear time: each
# look-ahead stops at the next "<"), they are text, as a browser would show them; Mastodon's
# sanitised HTML (p, br, a, span) never has them.
_NOT_A_TAG = re.compile(r"<(?!/?[A-Za-z][A-Za-z0-9]*(?:[\s/][^<>]*)?>)")


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Status HTML -> (plain text, non-mention/hashtag link targets)."""
    if "<" not in html and "&" not in html:
        return html.strip(), []
    p = _TextExtractor()
    try:
        p.feed(_NOT_A_TAG.sub("&lt;", html) if "<" in html else html)
        p.close()
    except ValueError as e:  # e.g. a character reference of thousands of digits (int() refuses)
        raise BadPost(f"content is not readable HTML: {str(e)[:100]}") from None
    text = _MANY_NEWLINES.sub("\n\n", "".join(p.parts)).strip()
    return text, p.links
