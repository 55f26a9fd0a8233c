"""Hostile messages: every reader rejects what cannot become a post with `BadPost` and a reason
naming the field, never with TypeError, RecursionError, OverflowError... (issue 15)."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from veristream.model import BadPost
from veristream.readers import parse_line

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"

JETSTREAM = {
    "did": DID, "time_us": 1725911162329308, "kind": "commit",
    "commit": {"rev": "3l3qo2vutsw2b", "operation": "create", "collection": "app.bsky.feed.post",
               "rkey": "3l3qo2vuowo2b", "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lzfh3kolmgfmucldvhd3sgzcq",
               "record": {"$type": "app.bsky.feed.post", "createdAt": "2024-09-09T19:46:02.102Z", "langs": ["en"],
                          "text": "Flooding on Main St right now #flood",
                          "facets": [{"index": {"byteStart": 30, "byteEnd": 36},
                                      "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "flood"}]}]}},
}

MASTODON = {
    "id": "113200000000000001", "created_at": "2024-09-26T10:15:30.000Z", "language": "en",
    "uri": "https://mastodon.social/users/alice/statuses/113200000000000001",
    "url": "https://mastodon.social/@alice/113200000000000001", "reblogs_count": 12, "favourites_count": 40,
    "content": "<p>Power is out across the east side</p>", "reblog": None,
    "account": {"id": "109000000000000001", "username": "alice", "acct": "alice", "display_name": "Alice",
                "uri": "https://mastodon.social/users/alice", "followers_count": 1500},
    "media_attachments": [{"id": "1", "type": "image", "url": "https://files.example/a.jpg", "description": "dark"}],
    "tags": [], "mentions": [],
}

X = {
    "data": {"id": "1346889436626259968", "text": "Explosions at the finish line", "author_id": "2244994945",
             "created_at": "2013-04-15T18:50:00.000Z", "lang": "en",
             "referenced_tweets": [{"type": "replied_to", "id": "1346889436626259000"}],
             "attachments": {"media_keys": ["3_1"]}},
    "includes": {"users": [{"id": "2244994945", "username": "jdoe", "name": "Jane", "verified_type": "blue"}],
                 "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.example/1.jpg"}]},
}

JSONL = {"id": "1", "text": "hello world", "created_at": "2013-04-15T18:50:00Z", "lang": "en",
         "media": [{"kind": "photo", "url": "https://example.com/a.jpg"}],
         "metrics": {"likes": 3}, "author": {"id": "u1", "handle": "bob", "followers": 10}}


def edited(base: dict, path: tuple, value: Any) -> bytes:
    obj = copy.deepcopy(base)
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return orjson.dumps(obj)


def rejected(raw: bytes | str, fmt: str = "auto") -> str:
    with pytest.raises(BadPost) as e:
        parse_line(raw, fmt, detect_lang=False)
    return e.value.reason


def test_the_seeds_are_good_posts() -> None:
    for seed in (JETSTREAM, MASTODON, X, JSONL):
        assert parse_line(orjson.dumps(seed), detect_lang=False) is not None


@pytest.mark.parametrize("path,value,named", [
    (("commit", "record", "facets", 0, "features"), 5, "record.facets.features"),
    (("commit", "record", "facets", 0, "features"), "tag", "record.facets.features"),
    (("time_us",), 2**64 - 1, "time_us"),  # year 586,912: from_us overflowed
    (("time_us",), 99_999_999_999_999_999, "time_us"),  # year 5138
    (("time_us",), -(2**63), "time_us"),
    (("commit", "record", "embed"), {"$type": ["app.bsky.embed.images"]}, "record.embed.$type"),
])
def test_jetstream_wrong_types_are_rejected_by_name(path: tuple, value: Any, named: str) -> None:
    assert named in rejected(edited(JETSTREAM, path, value))


def test_jetstream_deep_embed_is_rejected() -> None:
    # 500 recordWithMedia levels (1,000 JSON levels, under orjson's 1,024), built as text.
    embed = '{"$type":"app.bsky.embed.external","external":{"uri":"https://a.example"}}'
    for _ in range(500):
        embed = '{"$type":"app.bsky.embed.recordWithMedia","media":' + embed + "}"
    raw = orjson.dumps(JETSTREAM).decode().replace('"facets":', '"embed":' + embed + ',"facets":', 1)
    assert "embed" in rejected(raw.encode())


@pytest.mark.parametrize("path,value,named", [
    (("media_attachments", 0, "type"), ["image"], "media_attachments.type"),
    (("media_attachments", 0, "type"), {"a": 1}, "media_attachments.type"),
    (("reblogs_count",), 1e30, "reblogs_count"),  # a 100-bit integer once converted
])
def test_mastodon_wrong_types_are_rejected_by_name(path: tuple, value: Any, named: str) -> None:
    assert named in rejected(edited(MASTODON, path, value))


def test_mastodon_reblog_chain_is_rejected_not_recursion_error() -> None:
    # 1,000 boosts deep: within orjson's 1,024 levels, past Python's recursion limit. Built as
    # text, the way a hostile peer sends it (Python's own encoders refuse this depth).
    inner = orjson.dumps(MASTODON).decode()
    for i in range(1000):
        head = orjson.dumps({**MASTODON, "id": str(i), "uri": f"https://m.example/s/{i}", "reblog": None}).decode()
        inner = head.replace('"reblog":null', '"reblog":' + inner, 1)
    assert "reblog" in rejected(inner.encode(), "mastodon")


def test_mastodon_reblog_chain_within_json_depth_is_rejected_by_name() -> None:
    status: dict = copy.deepcopy(MASTODON)
    for i in range(5):  # the API never nests boosts: 5 deep is a forged chain
        status = {**copy.deepcopy(MASTODON), "id": str(i), "uri": f"https://m.example/s/{i}", "reblog": status}
    assert "reblog" in rejected(orjson.dumps(status), "mastodon")


@pytest.mark.parametrize("path,value,named", [
    (("data", "referenced_tweets", 0, "type"), ["quoted"], "referenced_tweets.type"),
    (("includes", "users", 0, "verified_type"), ["blue"], "user.verified_type"),
    (("includes", "media", 0, "type"), ["photo"], "media.type"),
    (("includes", "media", 0, "variants"), 5, "media.variants"),
])
def test_x_wrong_types_are_rejected_by_name(path: tuple, value: Any, named: str) -> None:
    if path[-1] == "variants":
        obj = copy.deepcopy(X)
        del obj["includes"]["media"][0]["url"]
        obj["includes"]["media"][0]["variants"] = value
        raw = orjson.dumps(obj)
    else:
        raw = edited(X, path, value)
    assert named in rejected(raw)


def test_x_unicode_digit_id_without_created_at_is_rejected() -> None:
    obj = copy.deepcopy(X)
    obj["data"]["id"] = "²" * 15
    del obj["data"]["created_at"]
    assert "created_at" in rejected(orjson.dumps(obj))


@pytest.mark.parametrize("path,value,named", [
    (("media", 0, "kind"), ["photo"], "media.kind"),
    (("metrics", "likes"), 1e30, "metrics.likes"),
    (("metrics", "likes"), 2**64 - 1, "metrics.likes"),
    (("author", "followers"), 1e25, "author.followers"),
])
def test_jsonl_wrong_types_are_rejected_by_name(path: tuple, value: Any, named: str) -> None:
    assert named in rejected(edited(JSONL, path, value))


@pytest.mark.parametrize("content", [
    "<a " * 300_000,  # unclosed tags: HTMLParser rescans the rest for each (quadratic: hours)
    '<a href="' * 100_000,
    "<!--" * 250_000,
])
def test_mastodon_pathological_html_is_read_in_linear_time(content: str) -> None:
    import time

    t = time.perf_counter()
    # shown as text, as a browser would, and that text is longer than a post may be
    assert "text too long" in rejected(orjson.dumps({**MASTODON, "content": content[:1_000_000]}), "mastodon")
    assert time.perf_counter() - t < 5
    short = parse_line(orjson.dumps({**MASTODON, "content": content[:3000]}), "mastodon", detect_lang=False)
    assert short is not None and short.text.startswith("<")


def test_mastodon_huge_character_reference_is_rejected_by_name() -> None:
    assert "content" in rejected(edited(MASTODON, ("content",), "<p>&#" + "9" * 5000 + ";</p>"), "mastodon")
