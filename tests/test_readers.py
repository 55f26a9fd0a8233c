"""Readers: real message shapes from X API v2, Bluesky Jetstream, Mastodon and our own JSONL."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import orjson
import pytest

from veristream.model import MAX_LINE_BYTES, MAX_TEXT_CHARS, Author, BadPost, Geo, Media, Metrics, Post
from veristream.readers import FORMATS, detect_format, parse_line, parse_obj
from veristream.readers.jetstream import parse_delete
from veristream.readers.mastodon import html_to_text


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def line(obj: object) -> bytes:
    return orjson.dumps(obj)


# --------------------------------------------------------------------------- X API v2

X_FULL = {
    "data": {
        "id": "1346889436626259968",
        "text": "Explosions at the #BostonMarathon finish line, stay away from Boylston St "
        "@BostonPolice https://t.co/56a0vZUx7i https://t.co/pic1",
        "created_at": "2013-04-15T18:50:00.000Z",
        "author_id": "2244994945",
        "lang": "en",
        "conversation_id": "1346889436626259968",
        "edit_history_tweet_ids": ["1346889436626259968"],
        "possibly_sensitive": False,
        "entities": {
            "hashtags": [{"start": 18, "end": 33, "tag": "BostonMarathon"}],
            "mentions": [{"start": 74, "end": 87, "username": "BostonPolice", "id": "19043371"}],
            "urls": [
                {
                    "start": 88,
                    "end": 111,
                    "url": "https://t.co/56a0vZUx7i",
                    "expanded_url": "https://www.boston.gov/news/marathon",
                    "display_url": "boston.gov/news/marathon",
                },
                {
                    "start": 112,
                    "end": 135,
                    "url": "https://t.co/pic1",
                    "expanded_url": "https://x.com/jdoe/status/1346889436626259968/photo/1",
                    "display_url": "pic.x.com/pic1",
                    "media_key": "3_1346889425192337409",
                },
            ],
        },
        "attachments": {"media_keys": ["3_1346889425192337409"]},
        "geo": {
            "place_id": "01a9a39529b27f36",
            "coordinates": {"type": "Point", "coordinates": [-71.0787, 42.3497]},
        },
        "public_metrics": {
            "retweet_count": 812,
            "reply_count": 95,
            "like_count": 1204,
            "quote_count": 31,
            "impression_count": 250000,
        },
    },
    "includes": {
        "users": [
            {
                "id": "2244994945",
                "name": "Jane Doe",
                "username": "jdoe",
                "verified": False,
                "verified_type": "blue",
                "created_at": "2009-03-02T10:11:12.000Z",
                "public_metrics": {
                    "followers_count": 5120,
                    "following_count": 300,
                    "tweet_count": 4000,
                    "listed_count": 12,
                },
            }
        ],
        "media": [
            {
                "media_key": "3_1346889425192337409",
                "type": "photo",
                "url": "https://pbs.twimg.com/media/Eq1rB4yVQAEh0Zl.jpg",
                "alt_text": "Smoke rising over Boylston Street",
                "width": 1200,
                "height": 800,
            }
        ],
        "places": [
            {
                "id": "01a9a39529b27f36",
                "full_name": "Boston, MA",
                "name": "Boston",
                "country": "United States",
                "country_code": "US",
                "place_type": "city",
                "geo": {"type": "Feature", "bbox": [-71.191421, 42.227797, -70.986004, 42.399542], "properties": {}},
            }
        ],
    },
    "matching_rules": [{"id": "1166916266197536768", "tag": "boston marathon"}],
}


def test_x_full_message() -> None:
    p = parse_line(line(X_FULL), "x")
    assert p is not None
    assert p.key == "x:1346889436626259968"
    assert p.created_at == utc(2013, 4, 15, 18, 50)
    assert p.author == Author(
        id="2244994945", handle="jdoe", name="Jane Doe", verified=True, followers=5120,
        created_at=utc(2009, 3, 2, 10, 11, 12),
    )
    assert p.lang == "en"
    assert p.hashtags == ["bostonmarathon"]
    assert p.mentions == ["bostonpolice"]
    assert p.urls == ["https://www.boston.gov/news/marathon"]  # the media link is not a url
    assert p.media == [
        Media(kind="photo", url="https://pbs.twimg.com/media/Eq1rB4yVQAEh0Zl.jpg",
              alt="Smoke rising over Boylston Street")
    ]
    assert p.geo == Geo(lat=42.3497, lon=-71.0787, place="Boston, MA", country="US")
    assert p.metrics == Metrics(reposts=812, likes=1204, replies=95, quotes=31, views=250000)
    assert p.extra["matching_rules"] == [{"id": "1166916266197536768", "tag": "boston marathon"}]
    assert "edit_history" not in p.extra and p.edited_at is None
    assert p.url == "https://x.com/jdoe/status/1346889436626259968"
    assert p.reply_to is p.quote_of is p.repost_of is None
    assert p.raw == X_FULL


def test_x_place_without_coordinates_uses_bbox_centre() -> None:
    msg = copy.deepcopy(X_FULL)
    del msg["data"]["geo"]["coordinates"]
    p = parse_obj(msg, "x")
    assert p is not None and p.geo is not None
    assert p.geo.place == "Boston, MA"
    assert p.geo.lat == pytest.approx((42.227797 + 42.399542) / 2)
    assert p.geo.lon == pytest.approx((-71.191421 + -70.986004) / 2)


def test_x_note_tweet_replaces_truncated_text() -> None:
    long_text = "Thread on what we know so far about the #Boston explosions. " + "Details follow. " * 30
    msg = {
        "data": {
            "id": "1445078208190291968",
            "text": long_text[:270] + "… https://t.co/xyz",
            "created_at": "2021-10-04T17:27:47.000Z",
            "author_id": "42",
            "edit_history_tweet_ids": ["1445078208190291968"],
            "note_tweet": {
                "text": long_text,
                "entities": {"hashtags": [{"start": 40, "end": 47, "tag": "Boston"}]},
            },
        },
        "includes": {"users": [{"id": "42", "name": "Reporter", "username": "reporter"}]},
    }
    p = parse_obj(msg, "x")
    assert p is not None
    assert p.text == long_text
    assert p.hashtags == ["boston"]
    assert p.lang == "en"  # not given by the source: detected


def test_x_retweet_uses_original_text() -> None:
    original = "Two explosions near the Boston Marathon finish line, many injured. #BostonMarathon"
    msg = {
        "data": {
            "id": "323850700000000001",
            "text": "RT @breaking: Two explosions near the Boston Marathon finish line, many inj…",
            "created_at": "2013-04-15T18:58:00.000Z",
            "author_id": "7",
            "lang": "en",
            "referenced_tweets": [{"type": "retweeted", "id": "323850100000000000"}],
            "entities": {"mentions": [{"start": 3, "end": 12, "username": "breaking", "id": "6017542"}]},
        },
        "includes": {
            "users": [{"id": "7", "name": "Bob", "username": "bob"}],
            "tweets": [
                {
                    "id": "323850100000000000",
                    "text": original,
                    "author_id": "6017542",
                    "created_at": "2013-04-15T18:56:00.000Z",
                    "entities": {"hashtags": [{"start": 67, "end": 82, "tag": "BostonMarathon"}]},
                }
            ],
        },
    }
    p = parse_obj(msg, "x")
    assert p is not None
    assert p.repost_of == "323850100000000000"
    assert p.ref_key(p.repost_of) == "x:323850100000000000"
    assert p.text == original
    assert p.hashtags == ["bostonmarathon"]


def test_x_reply_and_quote_references() -> None:
    msg = {
        "data": {
            "id": "323851000000000002",
            "text": "@bob Is this confirmed? https://t.co/q",
            "created_at": "2013-04-15T19:00:00.000Z",
            "author_id": "8",
            "lang": "en",
            "in_reply_to_user_id": "7",
            "referenced_tweets": [
                {"type": "replied_to", "id": "323850700000000001"},
                {"type": "quoted", "id": "323850100000000000"},
            ],
        }
    }
    p = parse_obj(msg, "x")
    assert p is not None
    assert p.reply_to == "323850700000000001"
    assert p.quote_of == "323850100000000000"
    assert p.author == Author(id="8", handle="")
    assert p.url is None  # username unknown without includes.users
    assert p.mentions == ["bob"]  # no entities: extracted from the text
    assert p.extra["in_reply_to_user_id"] == "7"


def test_x_edited_tweet_and_time_from_snowflake() -> None:
    msg = {
        "data": {
            "id": "1346889436626259968",
            "text": "Correction: the road is closed until 6pm",
            "author_id": "1",
            "lang": "en",
            "edit_history_tweet_ids": ["1346889000000000000", "1346889436626259968"],
        }
    }
    p = parse_obj(msg, "x")
    assert p is not None
    assert p.id == "1346889436626259968"
    assert p.extra["edit_history"] == ["1346889000000000000", "1346889436626259968"]
    # created_at was not requested in tweet.fields: the snowflake id carries it.
    assert p.created_at == datetime(2021, 1, 6, 18, 40, 40, 344000, tzinfo=timezone.utc)
    assert p.edited_at == p.created_at


@pytest.mark.parametrize("code", ["und", "zxx", "qme", "qht"])
def test_x_non_language_codes(code: str) -> None:
    msg = {"data": {"id": "1", "text": "https://t.co/abc", "created_at": "2024-01-01T00:00:00Z", "lang": code}}
    p = parse_obj(msg, "x")
    assert p is not None and p.lang is None


def test_x_legacy_language_codes() -> None:
    msg = {"data": {"id": "1", "text": "Selamat pagi", "created_at": "2024-01-01T00:00:00Z", "lang": "in"}}
    p = parse_obj(msg, "x")
    assert p is not None and p.lang == "id"


def test_x_video_media_picks_best_variant() -> None:
    msg = copy.deepcopy(X_FULL)
    msg["includes"]["media"] = [
        {
            "media_key": "3_1346889425192337409",
            "type": "video",
            "preview_image_url": "https://pbs.twimg.com/preview.jpg",
            "variants": [
                {"bit_rate": 256000, "content_type": "video/mp4", "url": "https://video.twimg.com/low.mp4"},
                {"bit_rate": 2176000, "content_type": "video/mp4", "url": "https://video.twimg.com/high.mp4"},
                {"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/pl.m3u8"},
            ],
        }
    ]
    p = parse_obj(msg, "x")
    assert p is not None
    assert p.media == [Media(kind="video", url="https://video.twimg.com/high.mp4", alt=None)]


def test_x_error_message() -> None:
    msg = {"errors": [{"title": "operational-disconnect", "detail": "This stream has been disconnected"}]}
    assert detect_format(msg) == "x"
    with pytest.raises(BadPost, match="X API error: operational-disconnect"):
        parse_obj(msg)


# --------------------------------------------------------------------------- Bluesky Jetstream

DID = "did:plc:eygmaihciaxprqvxpfvl6flk"
JS_CREATE = {
    "did": DID,
    "time_us": 1725911162329308,
    "kind": "commit",
    "commit": {
        "rev": "3l3qo2vutsw2b",
        "operation": "create",
        "collection": "app.bsky.feed.post",
        "rkey": "3l3qo2vuowo2b",
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": "2024-09-09T19:46:02.102Z",
            "langs": ["en"],
            "text": "Flooding on Main St right now #flood cc @alice.bsky.social more at example.com/live",
            "facets": [
                {
                    "index": {"byteStart": 30, "byteEnd": 36},
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Flood"}],
                },
                {
                    "index": {"byteStart": 40, "byteEnd": 58},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:alice123"}],
                },
                {
                    "index": {"byteStart": 67, "byteEnd": 83},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/live"}],
                },
            ],
            "reply": {
                "root": {
                    "cid": "bafyreiroot",
                    "uri": "at://did:plc:root/app.bsky.feed.post/3l3qnroot",
                },
                "parent": {
                    "cid": "bafyreiparent",
                    "uri": "at://did:plc:parent/app.bsky.feed.post/3l3qnparent",
                },
            },
            "embed": {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "alt": "Water up to the car doors",
                        "image": {
                            "$type": "blob",
                            "ref": {"$link": "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4"},
                            "mimeType": "image/jpeg",
                            "size": 347080,
                        },
                        "aspectRatio": {"height": 1500, "width": 2000},
                    }
                ],
            },
        },
        "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
    },
}


def test_jetstream_create() -> None:
    p = parse_line(line(JS_CREATE), "jetstream")
    assert p is not None
    assert p.source == "bluesky"
    assert p.id == f"at://{DID}/app.bsky.feed.post/3l3qo2vuowo2b"
    assert p.key == f"bluesky:at://{DID}/app.bsky.feed.post/3l3qo2vuowo2b"
    assert p.author == Author(id=DID, handle=DID)
    assert p.created_at == utc(2024, 9, 9, 19, 46, 2, 102000)
    assert p.lang == "en"
    assert p.hashtags == ["flood"]
    assert p.mentions == ["did:plc:alice123"]
    assert p.urls == ["https://example.com/live"]
    assert p.media == [
        Media(
            kind="photo",
            url=f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/"
            "bafkreibjfgx2gprinfvicegelk5kosd6y2frmqpqzwqkg7usac74l3t2v4@jpeg",
            alt="Water up to the car doors",
        )
    ]
    assert p.reply_to == "at://did:plc:parent/app.bsky.feed.post/3l3qnparent"
    assert p.ref_key(p.reply_to) == "bluesky:at://did:plc:parent/app.bsky.feed.post/3l3qnparent"
    assert p.url == f"https://bsky.app/profile/{DID}/post/3l3qo2vuowo2b"
    assert p.extra["time_us"] == 1725911162329308
    assert p.edited_at is None


def _js(record: dict, operation: str = "create", **top: object) -> dict:
    msg = copy.deepcopy(JS_CREATE)
    msg["commit"]["operation"] = operation
    msg["commit"]["record"] = {"$type": "app.bsky.feed.post", "createdAt": "2024-09-09T19:46:02.102Z", **record}
    msg.update(top)
    return msg


def test_jetstream_quote_with_media_and_external() -> None:
    rwm = _js({
        "text": "This is what it looked like from the bridge",
        "langs": ["en"],
        "embed": {
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {
                "$type": "app.bsky.embed.record",
                "record": {"cid": "bafyq", "uri": "at://did:plc:q/app.bsky.feed.post/3kquoted"},
            },
            "media": {
                "$type": "app.bsky.embed.video",
                "video": {"$type": "blob", "ref": {"$link": "bafkreivideo"}, "mimeType": "video/mp4", "size": 9},
                "alt": "Drone footage",
            },
        },
    })
    p = parse_obj(rwm)
    assert p is not None
    assert p.quote_of == "at://did:plc:q/app.bsky.feed.post/3kquoted"
    assert p.media == [
        Media(kind="video", url="https://video.bsky.app/watch/did%3Aplc%3Aeygmaihciaxprqvxpfvl6flk/"
              "bafkreivideo/playlist.m3u8", alt="Drone footage")
    ]

    ext = _js({
        "text": "",
        "embed": {
            "$type": "app.bsky.embed.external",
            "external": {"uri": "https://news.example/flood", "title": "City floods", "description": "..."},
        },
    })
    p = parse_obj(ext)
    assert p is not None
    assert p.text == "" and p.lang is None
    assert p.urls == ["https://news.example/flood"]
    assert p.media == [Media(kind="link", url="https://news.example/flood", alt="City floods")]

    lst = _js({"text": "Follow this list", "embed": {"$type": "app.bsky.embed.record", "record": {
        "uri": "at://did:plc:q/app.bsky.graph.list/3klist", "cid": "bafyl"}}})
    p = parse_obj(lst)
    assert p is not None and p.quote_of is None


def test_jetstream_without_facets_or_langs() -> None:
    p = parse_obj(_js({"text": "Das Hochwasser steigt weiter, die Feuerwehr evakuiert die Altstadt #hochwasser"}))
    assert p is not None
    assert p.hashtags == ["hochwasser"]
    assert p.lang == "de"  # detected


def test_jetstream_update_sets_edited_at() -> None:
    p = parse_obj(_js({"text": "Flooding on Main St (edited)", "langs": ["en-US"]}, operation="update"))
    assert p is not None
    assert p.lang == "en"
    assert p.created_at == utc(2024, 9, 9, 19, 46, 2, 102000)
    assert p.edited_at == datetime.fromtimestamp(1725911162.329308, tz=timezone.utc)


def test_jetstream_times() -> None:
    msg = _js({"text": "no createdAt"})
    del msg["commit"]["record"]["createdAt"]
    p = parse_obj(msg)
    assert p is not None and p.created_at == datetime.fromtimestamp(1725911162.329308, tz=timezone.utc)
    # A createdAt far after the relay saw the commit is capped at the commit time.
    p = parse_obj(_js({"text": "from the future", "createdAt": "2030-01-01T00:00:00Z"}))
    assert p is not None and p.created_at == datetime.fromtimestamp(1725911162.329308, tz=timezone.utc)


def test_jetstream_delete() -> None:
    msg = {
        "did": DID,
        "time_us": 1725911162329310,
        "kind": "commit",
        "commit": {"rev": "3l3qo2vutsw2c", "operation": "delete", "collection": "app.bsky.feed.post",
                   "rkey": "3l3qo2vuowo2b"},
    }
    assert parse_line(line(msg)) is None
    assert parse_delete(msg) == f"bluesky:at://{DID}/app.bsky.feed.post/3l3qo2vuowo2b"
    assert parse_delete(JS_CREATE) is None
    like_delete = copy.deepcopy(msg)
    like_delete["commit"]["collection"] = "app.bsky.feed.like"
    assert parse_delete(like_delete) is None


def test_jetstream_non_post_events_are_skipped() -> None:
    identity = {
        "did": DID,
        "time_us": 1725516666833633,
        "kind": "identity",
        "identity": {"did": DID, "handle": "alice.bsky.social", "seq": 1409752997, "time": "2024-09-05T06:11:04.870Z"},
    }
    account = {
        "did": DID,
        "time_us": 1725516665333808,
        "kind": "account",
        "account": {"active": True, "did": DID, "seq": 1409753013, "time": "2024-09-05T06:11:04.870Z"},
    }
    like = {
        "did": DID,
        "time_us": 1725911162329308,
        "kind": "commit",
        "commit": {
            "rev": "3l3qo2vutsw2b",
            "operation": "create",
            "collection": "app.bsky.feed.like",
            "rkey": "3l3qo2vuowo2b",
            "record": {
                "$type": "app.bsky.feed.like",
                "createdAt": "2024-09-09T19:46:02.102Z",
                "subject": {"cid": "bafyrei", "uri": "at://did:plc:wa7b35aakoll7hugkrjtf3xf/app.bsky.feed.post/3l3pte3p2e325"},
            },
            "cid": "bafyreidw",
        },
    }
    for msg in (identity, account, like):
        assert detect_format(msg) == "jetstream"
        assert parse_line(line(msg)) is None


def test_jetstream_bad_post() -> None:
    with pytest.raises(BadPost, match="missing field: record.text"):
        parse_obj(_js({"langs": ["en"]}))
    with pytest.raises(BadPost, match="record.createdAt is not a valid timestamp"):
        parse_obj(_js({"text": "x", "createdAt": "soon"}))


# --------------------------------------------------------------------------- Mastodon

MASTO_STATUS = {
    "id": "113200000000000001",
    "created_at": "2024-09-26T10:15:30.000Z",
    "in_reply_to_id": None,
    "in_reply_to_account_id": None,
    "sensitive": False,
    "spoiler_text": "",
    "visibility": "public",
    "language": "en",
    "uri": "https://mastodon.social/users/alice/statuses/113200000000000001",
    "url": "https://mastodon.social/@alice/113200000000000001",
    "replies_count": 3,
    "reblogs_count": 12,
    "favourites_count": 40,
    "edited_at": None,
    "content": '<p>Power is out across the east side &amp; traffic lights are down. '
    '<a href="https://mastodon.social/tags/Outage" class="mention hashtag" rel="tag">#<span>Outage</span></a></p>'
    '<p>Updates: <a href="https://power.example/status/outages" rel="nofollow noopener" target="_blank">'
    '<span class="invisible">https://</span><span class="ellipsis">power.example/status/outa</span>'
    '<span class="invisible">ges</span></a><br />cc <span class="h-card"><a href="https://city.social/@ops" '
    'class="u-url mention">@<span>ops</span></a></span></p>',
    "reblog": None,
    "account": {
        "id": "109000000000000001",
        "username": "alice",
        "acct": "alice",
        "display_name": "Alice",
        "bot": False,
        "created_at": "2022-11-05T00:00:00.000Z",
        "uri": "https://mastodon.social/users/alice",
        "url": "https://mastodon.social/@alice",
        "followers_count": 1500,
        "following_count": 200,
        "statuses_count": 900,
    },
    "media_attachments": [
        {
            "id": "113199999999999999",
            "type": "image",
            "url": "https://files.mastodon.social/media_attachments/files/113/original/a.jpg",
            "preview_url": "https://files.mastodon.social/media_attachments/files/113/small/a.jpg",
            "remote_url": None,
            "description": "Dark street with no traffic lights",
        }
    ],
    "mentions": [{"id": "1", "username": "ops", "url": "https://city.social/@ops", "acct": "ops@city.social"}],
    "tags": [{"name": "outage", "url": "https://mastodon.social/tags/outage"}],
    "emojis": [],
    "card": None,
    "poll": None,
}


def test_mastodon_status() -> None:
    p = parse_line(line(MASTO_STATUS))
    assert p is not None
    assert p.source == "mastodon"
    assert p.id == "https://mastodon.social/users/alice/statuses/113200000000000001"
    assert p.extra["local_id"] == "113200000000000001"
    assert p.text == (
        "Power is out across the east side & traffic lights are down. #Outage\n\n"
        "Updates: https://power.example/status/outages\ncc @ops"
    )
    assert p.urls == ["https://power.example/status/outages"]
    assert p.hashtags == ["outage"]
    assert p.mentions == ["ops@city.social"]
    assert p.author == Author(
        id="https://mastodon.social/users/alice", handle="alice", name="Alice", verified=False,
        followers=1500, created_at=utc(2022, 11, 5),
    )
    assert p.media == [
        Media(kind="photo", url="https://files.mastodon.social/media_attachments/files/113/original/a.jpg",
              alt="Dark street with no traffic lights")
    ]
    assert p.metrics == Metrics(reposts=12, likes=40, replies=3, quotes=None, views=None)
    assert p.lang == "en"
    assert p.url == "https://mastodon.social/@alice/113200000000000001"
    assert p.created_at == utc(2024, 9, 26, 10, 15, 30)


def test_mastodon_reblog() -> None:
    boost = {
        **MASTO_STATUS,
        "id": "113200000000000050",
        "uri": "https://fosstodon.org/users/bob/statuses/113200000000000050/activity",
        "url": None,
        "content": "",
        "language": None,
        "media_attachments": [],
        "tags": [],
        "mentions": [],
        "created_at": "2024-09-26T10:20:00.000Z",
        "account": {"id": "5", "username": "bob", "acct": "bob@fosstodon.org", "display_name": "",
                    "url": "https://fosstodon.org/@bob", "followers_count": 10},
        "reblog": MASTO_STATUS,
    }
    p = parse_obj(boost)
    assert p is not None
    assert p.id == "https://fosstodon.org/users/bob/statuses/113200000000000050/activity"
    assert p.repost_of == MASTO_STATUS["uri"]
    assert p.ref_key(p.repost_of) == "mastodon:" + MASTO_STATUS["uri"]
    assert p.text.startswith("Power is out across the east side & traffic lights")
    assert p.author.handle == "bob@fosstodon.org" and p.author.name is None
    assert p.hashtags == ["outage"] and len(p.media) == 1 and p.lang == "en"
    assert p.created_at == utc(2024, 9, 26, 10, 20)


def test_mastodon_reply_card_spoiler_and_no_uri() -> None:
    status = {
        **MASTO_STATUS,
        "uri": None,
        "in_reply_to_id": "113199000000000000",
        "spoiler_text": "flood",
        "language": None,
        "content": "<p>La crue de la Seine continue, les quais sont fermés jusqu&#39;à nouvel ordre.</p>",
        "media_attachments": [],
        "tags": [],
        "mentions": [],
        "edited_at": "2024-09-26T11:00:00.000Z",
        "card": {"url": "https://meteo.example/crue", "title": "Crue de la Seine", "type": "link"},
    }
    p = parse_obj(status, "mastodon")
    assert p is not None
    assert p.id == "113200000000000001"
    assert p.reply_to == "113199000000000000"
    assert p.text == "La crue de la Seine continue, les quais sont fermés jusqu'à nouvel ordre."
    assert p.lang == "fr"
    assert p.extra["spoiler_text"] == "flood"
    assert p.urls == ["https://meteo.example/crue"]
    assert p.media == [Media(kind="link", url="https://meteo.example/crue", alt="Crue de la Seine")]
    assert p.edited_at == utc(2024, 9, 26, 11)


def test_mastodon_streaming_envelope() -> None:
    update = {"stream": ["public"], "event": "update", "payload": orjson.dumps(MASTO_STATUS).decode()}
    assert detect_format(update) == "mastodon"
    p = parse_line(line(update))
    assert p is not None and p.id == MASTO_STATUS["uri"] and p.raw == update
    edit = {"stream": ["public"], "event": "status.update", "payload": orjson.dumps(MASTO_STATUS).decode()}
    p = parse_line(line(edit))
    assert p is not None and p.edited_at == p.created_at
    assert parse_line(line({"stream": ["public"], "event": "delete", "payload": "113200000000000001"})) is None


def test_html_to_text() -> None:
    assert html_to_text("plain &amp; simple") == ("plain & simple", [])
    assert html_to_text("<p>a<br>b</p><p>c</p>")[0] == "a\nb\n\nc"
    assert html_to_text("<p>x</p><ul><li>one</li><li>two</li></ul>")[0] == "x\n\none\n\ntwo"
    assert html_to_text("<p>ok<script>alert(1)</script></p>")[0] == "ok"


# --------------------------------------------------------------------------- own schema


def _full_post() -> Post:
    return Post(
        id="9001",
        source="x",
        author=Author(id="u1", handle="alice", name="Alice", verified=True, followers=10,
                      created_at=utc(2010, 1, 2, 3, 4, 5)),
        text="Shelter open at the high school #evacuation @redcross https://shelter.example",
        created_at=utc(2013, 4, 15, 18, 50, 0, 123456),
        lang="en",
        reply_to="9000",
        quote_of="8999",
        repost_of=None,
        urls=["https://shelter.example"],
        hashtags=["evacuation"],
        mentions=["redcross"],
        media=[Media(kind="photo", url="https://img.example/1.jpg", alt="Gym with cots")],
        geo=Geo(lat=42.35, lon=-71.06, place="Boston, MA", country="US"),
        metrics=Metrics(reposts=1, likes=2, replies=3, quotes=4, views=None),
        url="https://x.com/alice/status/9001",
        edited_at=utc(2013, 4, 15, 19, 0),
        extra={"matching_rules": [{"id": "1", "tag": "boston"}]},
        raw={"data": {"id": "9001"}},
    )


def test_own_schema_round_trip() -> None:
    post = _full_post()
    d = post.to_dict()
    back = parse_line(line(d))
    assert back == post  # raw is the service's original message, carried through
    assert back.to_dict() == d
    # Without raw, the post is its own original: raw stays empty (no second copy stored).
    d2 = post.to_dict(raw=False)
    back2 = parse_obj(orjson.loads(line(d2)))
    assert back2 is not None
    assert back2.to_dict(raw=False) == d2 and back2.raw is None


def test_own_schema_minimal_and_string_author() -> None:
    p = parse_line(b'{"id": 42, "text": "Road closed at #Boylston, see https://t.co/x @BPD",'
                   b' "created_at": "2013-04-15T18:50:00Z", "lang": "en"}')
    assert p is not None
    assert p.id == "42" and p.source == "file"
    assert p.author == Author(id="", handle="")
    assert p.hashtags == ["boylston"] and p.mentions == ["bpd"] and p.urls == ["https://t.co/x"]
    assert p.metrics == Metrics() and p.geo is None and p.extra == {}

    p = parse_line('{"id": "7", "text": "hi there", "created_at": 1366051800, "author": "@bob", "lang": "en"}',
                   source="demo")
    assert p is not None
    assert p.author == Author(id="bob", handle="bob")
    assert p.source == "demo"
    assert p.created_at == utc(2013, 4, 15, 18, 50)

    p = parse_obj({"id": "7", "text": "Hi", "created_at": "2013-04-15T18:50:00Z", "lang": "en",
                   "author": {"handle": "carol"}, "hashtags": ["#Boston", "boston"], "source": "x"},
                  source="demo")
    assert p is not None
    assert p.author.id == "carol" and p.hashtags == ["boston"] and p.source == "x"


def test_crisislex_shape() -> None:
    p = parse_line(b'{"tweet_id": "\'324190378419281920\'", "created_at": "Mon Apr 15 18:50:00 +0000 2013",'
                   b' "text": "Praying for everyone in Boston right now #prayforboston"}')
    assert p is not None
    assert p.id == "324190378419281920"
    assert p.created_at == utc(2013, 4, 15, 18, 50)
    assert p.hashtags == ["prayforboston"]
    assert p.lang == "en"
    p = parse_obj({"tweet_id": 324190378419281921, "created_at": "2013-04-15 18:51:00", "text": "Stay safe"})
    assert p is not None and p.id == "324190378419281921"


def test_language_detection_can_be_turned_off() -> None:
    msg = b'{"id": "1", "created_at": "2013-04-15T18:50:00Z", "text": "Praying for everyone in Boston"}'
    assert parse_line(msg).lang == "en"
    assert parse_line(msg, detect_lang=False).lang is None
    assert parse_obj(orjson.loads(msg), detect_lang=False).lang is None


def test_empty_text_rules() -> None:
    base = {"id": "1", "created_at": "2013-04-15T18:50:00Z", "text": ""}
    with pytest.raises(BadPost, match="text is empty"):
        parse_obj(base)
    with pytest.raises(BadPost, match="text is empty"):
        parse_obj({**base, "text": "  \n "})
    assert parse_obj({**base, "repost_of": "0"}) is not None
    assert parse_obj({**base, "media": [{"kind": "photo", "url": "https://i.example/a.jpg"}]}) is not None


# --------------------------------------------------------------------------- auto-detection


def test_auto_detection() -> None:
    assert detect_format(X_FULL) == "x"
    assert detect_format(JS_CREATE) == "jetstream"
    assert detect_format(MASTO_STATUS) == "mastodon"
    assert detect_format(_full_post().to_dict()) == "veristream"
    assert detect_format({"tweet_id": "1", "text": "a", "created_at": "2013-01-01"}) == "veristream"
    sources = [parse_line(line(m)).source for m in (X_FULL, JS_CREATE, MASTO_STATUS, _full_post().to_dict())]
    assert sources == ["x", "bluesky", "mastodon", "x"]
    assert FORMATS == ("auto", "veristream", "x", "jetstream", "mastodon")
    with pytest.raises(ValueError):
        parse_obj({}, "rss")


# --------------------------------------------------------------------------- bad input

OK = {"id": "1", "text": "hello world", "created_at": "2013-04-15T18:50:00Z", "lang": "en"}


def _without(key: str) -> bytes:
    return line({k: v for k, v in OK.items() if k != key})


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"this is not json", "not JSON: "),
        (b'{"id": "1", "text": "a"', "not JSON: "),
        (b"[1, 2]", "not a JSON object (got array)"),
        (b'"just a string"', "not a JSON object (got string)"),
        (b"42", "not a JSON object (got number)"),
        (b"null", "not a JSON object (got null)"),
        (_without("id"), "missing field: id"),
        (_without("text"), "missing field: text"),
        (_without("created_at"), "missing field: created_at"),
        (line({**OK, "created_at": "yesterday"}), "created_at is not a valid timestamp: 'yesterday'"),
        (line({**OK, "created_at": "1850-01-01T00:00:00Z"}), "created_at out of range"),
        (line({**OK, "created_at": True}), "created_at must be a timestamp, got bool"),
        (line({**OK, "text": 5}), "text is not a string (got int)"),
        (line({**OK, "id": [1]}), "id is not a string or integer (got list)"),
        (line({**OK, "id": True}), "id is not a string or integer (got bool)"),
        (line({**OK, "id": ""}), "id is empty"),
        (line({**OK, "author": 5}), "author is not an object or string (got int)"),
        (line({**OK, "author": {"handle": "a", "followers": "many"}}), "author.followers is not an integer (got str)"),
        (line({**OK, "author": {"handle": "a", "verified": "yes"}}), "author.verified is not a boolean (got str)"),
        (line({**OK, "author": {"handle": "a", "created_at": "later"}}), "author.created_at is not a valid timestamp"),
        (line({**OK, "hashtags": "boston"}), "hashtags is not a list (got str)"),
        (line({**OK, "urls": [1]}), "urls item is not a string (got int)"),
        (line({**OK, "media": [{"kind": "hologram"}]}), "media kind is not one of"),
        (line({**OK, "media": ["https://x"]}), "media item is not an object (got str)"),
        (line({**OK, "geo": {"lat": "north"}}), "geo.lat is not a number (got str)"),
        (line({**OK, "metrics": {"likes": 1.5}}), "metrics.likes is not an integer (got float)"),
        (line({**OK, "metrics": []}), "metrics is not an object (got list)"),
        (line({**OK, "lang": 1}), "lang is not a string (got int)"),
        (line({**OK, "extra": "x"}), "extra is not an object (got str)"),
        (line({**OK, "edited_at": "never"}), "edited_at is not a valid timestamp"),
        (line({**OK, "text": "x" * (MAX_TEXT_CHARS + 1)}), f"text too long: {MAX_TEXT_CHARS + 1} chars > {MAX_TEXT_CHARS}"),
        (b'{"id": "1", "text": "caf\xe9", "created_at": "2013-04-15T18:50:00Z"}', "invalid UTF-8 at byte 24"),
        (b'\xff\xfe{"id": "1"}', "invalid UTF-8 at byte 0"),
        (b'{"id": "1", "text": "\\ud83d", "created_at": "2013-04-15T18:50:00Z"}', "not JSON: "),
        (b" " * (MAX_LINE_BYTES + 1), f"line too long: {MAX_LINE_BYTES + 1} bytes > {MAX_LINE_BYTES}"),
    ],
)
def test_bad_input(raw: bytes, reason: str) -> None:
    with pytest.raises(BadPost) as exc:
        parse_line(raw)
    assert exc.value.reason.startswith(reason), exc.value.reason
    assert "\n" not in exc.value.reason


def test_bad_input_in_service_formats() -> None:
    with pytest.raises(BadPost, match="missing field: data"):
        parse_obj({"includes": {}}, "x")
    with pytest.raises(BadPost, match="missing field: text"):
        parse_obj({"data": {"id": "1", "created_at": "2024-01-01T00:00:00Z"}}, "x")
    with pytest.raises(BadPost, match=r"user.public_metrics.followers_count is not an integer \(got str\)"):
        msg = copy.deepcopy(X_FULL)
        msg["includes"]["users"][0]["public_metrics"]["followers_count"] = "lots"
        parse_obj(msg)
    with pytest.raises(BadPost, match="missing field: created_at"):
        parse_obj({"data": {"id": "abc", "text": "no time"}}, "x")
    with pytest.raises(BadPost, match="missing field: created_at"):
        parse_obj({k: v for k, v in MASTO_STATUS.items() if k != "created_at"})
    with pytest.raises(BadPost, match=r"content is not a string \(got list\)"):
        parse_obj({**MASTO_STATUS, "content": []})
    with pytest.raises(BadPost, match="missing field: kind"):
        parse_obj({"did": DID, "commit": {}}, "jetstream")
    with pytest.raises(BadPost, match="not a JSON object"):
        parse_obj([1])  # type: ignore[arg-type]


def test_str_lines_and_blank_lines() -> None:
    p = parse_line(orjson.dumps(OK).decode() + "\n")
    assert p is not None and p.text == "hello world"
    assert parse_line(b"") is None
    assert parse_line("  \r\n") is None
    with pytest.raises(BadPost, match="invalid UTF-8 at char 21"):
        parse_line('{"id": "1", "text": "\udcff", "created_at": "2013-04-15T18:50:00Z"}')
