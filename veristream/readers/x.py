"""X (Twitter) API v2: filtered-stream and lookup messages.

`{"data": {tweet}, "includes": {"users", "media", "places", "tweets"}, "matching_rules": [...]}`
Field names follow https://docs.x.com/x-api/fundamentals/data-dictionary.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import (
    Author,
    BadPost,
    Card,
    Geo,
    Media,
    Metrics,
    Post,
    parse_time,
)
from ._common import (
    MAX_CARDS,
    alt_text,
    as_id,
    card,
    check_not_empty,
    check_text,
    find_hashtags,
    find_mentions,
    find_urls,
    need,
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
    short,
    tname,
    utc_time,
)

_MEDIA_KINDS = {"photo": "photo", "video": "video", "animated_gif": "gif"}
_REF_FIELDS = {"replied_to": "reply_to", "quoted": "quote_of", "retweeted": "repost_of"}
_VERIFIED_TYPES = frozenset({"blue", "business", "government"})
_TWEPOCH_MS = 1288834974657  # snowflake ids carry their creation time


def parse(obj: dict[str, Any], source: str | None = None) -> Post | None:
    data = obj.get("data")
    if data is None:
        errors = obj.get("errors")
        if errors:
            raise BadPost(f"X API error: {_error_text(errors)}")
        raise BadPost("missing field: data")
    if type(data) is not dict:
        raise BadPost(f"data is not an object (got {tname(data)})")
    inc = opt_dict(obj.get("includes"), "includes") or {}
    users = _index(inc, "users", "id")
    g = data.get

    tid = as_id(need(data, "id"))
    created = g("created_at")
    created_at = utc_time(created) if created is not None else _snowflake_time(tid)

    refs: dict[str, str] = {}
    for r in opt_list(g("referenced_tweets"), "referenced_tweets"):
        if type(r) is not dict:
            continue
        field = _REF_FIELDS.get(opt_key(r.get("type"), "referenced_tweets.type") or "")
        if field and r.get("id") is not None:
            refs.setdefault(field, as_id(r["id"], "referenced_tweets.id"))
    repost_of = refs.get("repost_of")

    # Long posts: `text` is truncated and the full text is in note_tweet. Retweets: `text`
    # is "RT @user: <truncated>", the full original is in includes.tweets.
    body = data
    if repost_of and (orig := _index(inc, "tweets", "id").get(repost_of)):
        body = orig
    text, entities = _full_text(body)

    media = _media(data, _index(inc, "media", "media_key"), body)
    check_not_empty(text, media, repost_of, refs.get("quote_of"))
    hashtags, mentions, urls, cards = _entities(entities, text)

    author_id = opt_id(g("author_id"), "author_id") or ""
    user = users.get(author_id)
    author = _author(user, author_id)
    extra: dict[str, Any] = {}
    if (rules := obj.get("matching_rules")) is not None:
        extra["matching_rules"] = opt_list(rules, "matching_rules")
    edits = opt_list(g("edit_history_tweet_ids"), "edit_history_tweet_ids")
    edited_at = None
    if len(edits) > 1:
        # The message is the latest version: its id and created_at are the edit's.
        extra["edit_history"] = [as_id(e, "edit_history_tweet_ids item") for e in edits]
        edited_at = created_at
    for key in ("conversation_id", "in_reply_to_user_id", "possibly_sensitive"):
        if type(v := g(key)) in (str, int, bool):  # scalars only: anything else is not X's
            extra[key] = v

    return Post(
        id=tid,
        source=source or "x",
        author=author,
        text=text,
        created_at=created_at,
        lang=norm_lang(g("lang")),
        reply_to=refs.get("reply_to"),
        quote_of=refs.get("quote_of"),
        repost_of=repost_of,
        urls=urls,
        hashtags=hashtags,
        mentions=mentions,
        media=media,
        geo=_geo(g("geo"), _index(inc, "places", "id")),
        metrics=_metrics(g("public_metrics")),
        url=f"https://x.com/{author.handle}/status/{tid}" if author.handle else None,
        edited_at=edited_at,
        extra=extra,
        raw=obj,
        cards=cards,
    )


def _snowflake_time(tid: str) -> datetime:
    """created_at is only sent when requested in tweet.fields; the id encodes it anyway."""
    # isascii: str.isdigit() is also true for digits int() refuses, such as "²".
    if not (tid.isascii() and tid.isdigit()) or len(tid) > 20 or int(tid) < 1 << 40:
        raise BadPost("missing field: created_at")
    return parse_time((int(tid) >> 22) + _TWEPOCH_MS)


def _error_text(errors: Any) -> str:
    e = errors[0] if type(errors) is list and errors else errors
    if type(e) is dict:
        parts = [short(e[k], 200) for k in ("title", "detail", "message") if e.get(k)]
        return ": ".join(parts)[:200] or "unknown"
    return short(e, 200)


def _index(inc: dict, key: str, id_key: str) -> dict[str, dict]:
    items = inc.get(key)
    if type(items) is not list:
        return {}
    return {str(i[id_key]): i for i in items if type(i) is dict and type(i.get(id_key)) in (str, int)}


def _full_text(tweet: dict) -> tuple[str, Any]:
    note = tweet.get("note_tweet")
    if type(note) is dict and note.get("text") is not None:
        return check_text(note["text"], "note_tweet.text"), note.get("entities")
    return check_text(tweet.get("text")), tweet.get("entities")


def _entities(entities: Any, text: str) -> tuple[list[str], list[str], list[str], list[Card]]:
    ent = opt_dict(entities, "entities")
    if ent is None:
        return find_hashtags(text), find_mentions(text), find_urls(text), []
    hashtags = [h["tag"].lower() for h in opt_list(ent.get("hashtags"), "entities.hashtags")
                if type(h) is dict and type(h.get("tag")) is str]
    mentions = [m["username"].lower() for m in opt_list(ent.get("mentions"), "entities.mentions")
                if type(m) is dict and type(m.get("username")) is str]
    urls = []
    cards: list[Card] = []
    for u in opt_list(ent.get("urls"), "entities.urls"):
        # Skip the pic.x.com links of attached media: the media list covers those.
        if type(u) is dict and "media_key" not in u:
            link = u.get("unwound_url") or u.get("expanded_url") or u.get("url")
            if type(link) is str:
                urls.append(link)
                # X sends title/description for links it unwound (a card); without them there is no card.
                if (u.get("title") or u.get("description")) and len(cards) < MAX_CARDS and link not in {c.url for c in cards}:
                    if (c := card(link, u.get("title"), u.get("description"), "entities.urls")) is not None:
                        cards.append(c)
    return _dedup(hashtags), _dedup(mentions), _dedup(urls), cards


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _author(user: dict | None, author_id: str) -> Author:
    if user is None:
        return Author(id=author_id, handle="")
    g = user.get
    pm = opt_dict(g("public_metrics"), "user.public_metrics") or {}
    vtype = opt_key(g("verified_type"), "user.verified_type")
    return Author(
        id=author_id,
        handle=opt_str(g("username"), "user.username") or "",
        name=opt_str(g("name"), "user.name"),
        verified=opt_bool(g("verified"), "user.verified") or vtype in _VERIFIED_TYPES,
        followers=opt_int(pm.get("followers_count"), "user.public_metrics.followers_count"),
        created_at=opt_time(g("created_at"), "user.created_at"),
    )


def _media(tweet: dict, by_key: dict[str, dict], body: dict) -> list[Media]:
    att = opt_dict(tweet.get("attachments"), "attachments")
    if att is None and body is not tweet:  # a retweet's media hangs off the original
        att = opt_dict(body.get("attachments"), "attachments")
    if not att:
        return []
    out = []
    for key in opt_list(att.get("media_keys"), "attachments.media_keys"):
        m = by_key.get(str(key)) if type(key) in (str, int) else None
        if m is None:
            continue  # not expanded in includes: nothing to show
        kind = _MEDIA_KINDS.get(opt_key(m.get("type"), "media.type") or "", "photo")
        out.append(Media(kind=kind, url=_media_url(m), alt=alt_text(m.get("alt_text"), "media.alt_text")))
    return out


def _media_url(m: dict) -> str | None:
    url = m.get("url")
    if type(url) is str:
        return url
    best = None
    for v in opt_list(m.get("variants"), "media.variants"):  # videos: highest bit rate mp4
        if type(v) is dict and v.get("content_type") == "video/mp4" and type(v.get("url")) is str:
            if best is None or _bit_rate(v) > _bit_rate(best):
                best = v
    if best is not None:
        return best["url"]
    prev = m.get("preview_image_url")
    return prev if type(prev) is str else None


def _bit_rate(variant: dict) -> int:
    r = variant.get("bit_rate")
    return r if type(r) is int else 0


def _geo(v: Any, places: dict[str, dict]) -> Geo | None:
    geo = opt_dict(v, "geo")
    if not geo:
        return None
    out = Geo()
    coords = opt_dict(geo.get("coordinates"), "geo.coordinates")
    if coords and coords.get("type") == "Point":
        pt = opt_list(coords.get("coordinates"), "geo.coordinates.coordinates")
        if len(pt) >= 2:  # GeoJSON order: [lon, lat]
            out.lon = opt_float(pt[0], "geo longitude")
            out.lat = opt_float(pt[1], "geo latitude")
    pid = geo.get("place_id")
    place = places.get(str(pid)) if type(pid) in (str, int) else None
    if place is not None:
        out.place = opt_str(place.get("full_name"), "place.full_name")
        out.country = opt_str(place.get("country_code"), "place.country_code")
        bbox = (place.get("geo") or {}).get("bbox") if type(place.get("geo")) is dict else None
        if out.lat is None and type(bbox) is list and len(bbox) == 4:
            w, s, e, n = (opt_float(c, "place.geo.bbox") for c in bbox)
            if None not in (w, s, e, n):
                out.lon, out.lat = (w + e) / 2, (s + n) / 2  # type: ignore[operator]
    if out.lat is None and out.place is None:
        return None
    return out


def _metrics(v: Any) -> Metrics:
    pm = opt_dict(v, "public_metrics")
    if not pm:
        return Metrics()
    g = pm.get
    return Metrics(
        reposts=opt_int(g("retweet_count"), "public_metrics.retweet_count"),
        likes=opt_int(g("like_count"), "public_metrics.like_count"),
        replies=opt_int(g("reply_count"), "public_metrics.reply_count"),
        quotes=opt_int(g("quote_count"), "public_metrics.quote_count"),
        views=opt_int(g("impression_count"), "public_metrics.impression_count"),
    )
