#!/usr/bin/env python
"""Poison-message fuzzing: no message, line or request body may stop ingest or lose a good post.

    .venv/bin/python bench/fuzz.py                     # 100,000 mutated messages (a few minutes, 2 cores)
    .venv/bin/python bench/fuzz.py --messages 5000     # quicker
    .venv/bin/python bench/fuzz.py --seed 7 --keep DIR # another sequence; keep the data directory

Real-shaped messages (a Bluesky Jetstream commit, a Mastodon status and its streaming
envelope, an X API v2 stream message, the project's own JSONL) are mutated: wrong types at
every field, lists where strings are expected, deep nesting (up to past orjson's 1,024
levels), integers past 64 bits, invalid UTF-8 and escaped lone surrogates, truncated and
bit-flipped frames, 1 MiB strings, unknown fields. Each goes to one target:

* readers: `parse_line` (one format, or auto-detection), then what bulk ingest and the API do
  with a chunk of lines (`replay.prepare_chunk`, then the pipeline);
* live sources: the message handlers of `JetstreamSource`, `MastodonSource` and `XSource`,
  called as their read loops call them, writing through the runner's `EngineSink` into a real
  engine and pipeline;
* `POST /v1/posts` through the ASGI app (`create_app`) with an HTTP client (NDJSON bodies,
  JSON arrays, single objects).

A good message is interleaved every few bad ones; at the end every good post must be stored.

Counted: `unhandled` (an exception escaping a reader other than BadPost, a handler raising at
all, a 5xx answer), `sources_stopped` (handler calls that raised: the read loop would have
ended), `writer_stops` (pipelines whose writer stopped). Progress on stderr; the last line
on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veristream import Engine, Settings  # noqa: E402
from veristream.model import BadPost  # noqa: E402

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
T_US = 1_767_000_000_000_000  # 2025-12-29

# -- real-shaped seeds -------------------------------------------------------------------------


def jetstream_seed(n: int, text: str) -> dict:
    return {
        "did": DID, "time_us": T_US + n, "kind": "commit",
        "commit": {
            "rev": "3l3qo2vutsw2b", "operation": "create", "collection": "app.bsky.feed.post",
            "rkey": f"fz{n}", "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lzfh3kolmgfmucldvhd3sgzcq",
            "record": {
                "$type": "app.bsky.feed.post", "createdAt": "2025-12-29T09:20:00.000Z", "langs": ["en"],
                "text": text,
                "facets": [{"index": {"byteStart": 0, "byteEnd": 6},
                            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "flood"}]},
                           {"index": {"byteStart": 7, "byteEnd": 20},
                            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a"}]}],
                "tags": ["storm"],
                "reply": {"root": {"cid": "bafyroot", "uri": "at://did:plc:root/app.bsky.feed.post/3l3qnroot"},
                          "parent": {"cid": "bafyparent", "uri": "at://did:plc:parent/app.bsky.feed.post/3l3qnp"}},
                "embed": {"$type": "app.bsky.embed.recordWithMedia",
                          "record": {"record": {"cid": "bafyq", "uri": "at://did:plc:q/app.bsky.feed.post/3q"}},
                          "media": {"$type": "app.bsky.embed.images",
                                    "images": [{"alt": "water", "image": {"$type": "blob", "ref": {"$link": "bafkimg"},
                                                                          "mimeType": "image/jpeg", "size": 1}}]}},
            },
        },
    }


def mastodon_seed(n: int, text: str) -> dict:
    return {
        "id": f"1132000000000{n:05d}", "created_at": "2025-12-29T10:15:30.000Z", "in_reply_to_id": None,
        "sensitive": False, "spoiler_text": "", "visibility": "public", "language": "en",
        "uri": f"https://mastodon.example/users/alice/statuses/fz{n}",
        "url": f"https://mastodon.example/@alice/fz{n}", "replies_count": 3, "reblogs_count": 12,
        "favourites_count": 40, "edited_at": None,
        "content": f'<p>{text} <a href="https://m.example/tags/flood" class="mention hashtag">#<span>flood</span></a>'
                   '</p><p><a href="https://power.example/outages">power.example/outages</a></p>',
        "reblog": None,
        "account": {"id": "109000000000000001", "username": "alice", "acct": "alice", "display_name": "Alice",
                    "bot": False, "created_at": "2022-11-05T00:00:00.000Z",
                    "uri": "https://mastodon.example/users/alice", "url": "https://mastodon.example/@alice",
                    "followers_count": 1500},
        "media_attachments": [{"id": "1", "type": "image", "url": "https://files.example/a.jpg",
                               "description": "dark street"}],
        "mentions": [{"id": "1", "username": "ops", "acct": "ops@city.social"}],
        "tags": [{"name": "flood", "url": "https://m.example/tags/flood"}],
        "card": {"url": "https://power.example/outages", "title": "Outages"},
    }


def x_seed(n: int, text: str) -> dict:
    tid = str(1_880_000_000_000_000_000 + n)
    return {
        "data": {
            "id": tid, "text": text, "author_id": "2244994945", "created_at": "2026-01-15T12:00:00.000Z",
            "edit_history_tweet_ids": [tid], "lang": "en", "conversation_id": tid,
            "referenced_tweets": [{"type": "quoted", "id": "1880000000000000000"}],
            "attachments": {"media_keys": ["3_1", "7_1"]},
            "entities": {"hashtags": [{"start": 0, "end": 6, "tag": "flood"}],
                         "mentions": [{"start": 7, "end": 12, "username": "city"}],
                         "urls": [{"start": 13, "end": 20, "url": "https://t.co/a", "expanded_url": "https://a.example"}]},
            "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 3, "quote_count": 0,
                               "impression_count": 40},
            "geo": {"place_id": "01a9", "coordinates": {"type": "Point", "coordinates": [-74.0, 40.7]}},
        },
        "includes": {
            "users": [{"id": "2244994945", "name": "Flood Watch", "username": "floodwatch", "verified": True,
                       "verified_type": "government", "created_at": "2013-12-14T04:35:55.000Z",
                       "public_metrics": {"followers_count": 5000}}],
            "media": [{"media_key": "3_1", "type": "photo", "url": "https://pbs.example/F1.jpg", "alt_text": "water"},
                      {"media_key": "7_1", "type": "video", "variants": [
                          {"content_type": "video/mp4", "bit_rate": 832000, "url": "https://video.example/1.mp4"},
                          {"content_type": "video/mp4", "bit_rate": 2176000, "url": "https://video.example/2.mp4"}]}],
            "places": [{"id": "01a9", "full_name": "Manhattan, NY", "country_code": "US",
                        "geo": {"type": "Feature", "bbox": [-74.02, 40.70, -73.91, 40.88], "properties": {}}}],
            "tweets": [{"id": "1880000000000000000", "text": "the quoted post"}],
        },
        "matching_rules": [{"id": "1880000000000000001", "tag": "floods"}],
    }


def jsonl_seed(n: int, text: str) -> dict:
    return {"id": f"fz{n}", "text": text, "created_at": "2026-01-15T12:00:00Z", "lang": "en",
            "author": {"id": "u1", "handle": "watcher", "name": "Watcher", "verified": False, "followers": 10,
                       "created_at": "2020-01-01T00:00:00Z"},
            "reply_to": "fz0", "urls": ["https://a.example"], "hashtags": ["flood"], "mentions": ["city"],
            "media": [{"kind": "photo", "url": "https://img.example/a.jpg", "alt": "water"}],
            "geo": {"lat": 40.7, "lon": -74.0, "place": "New York", "country": "US"},
            "metrics": {"reposts": 1, "likes": 2, "replies": 3, "quotes": 4, "views": 5},
            "url": "https://example.com/fz", "extra": {"rule": "floods", "n": [1, 2, {"k": "v"}]}}


SEEDS: dict[str, Callable[[int, str], dict]] = {
    "jetstream": jetstream_seed, "mastodon": mastodon_seed, "x": x_seed, "veristream": jsonl_seed,
}


def good_key(fmt: str, n: int) -> str:
    return {"jetstream": f"bluesky:at://{DID}/app.bsky.feed.post/fz{n}",
            "mastodon": f"mastodon:https://mastodon.example/users/alice/statuses/fz{n}",
            "x": f"x:{1_880_000_000_000_000_000 + n}",
            "veristream": f"file:fz{n}"}[fmt]


# -- mutations -----------------------------------------------------------------------------------

STALL_S = 2.0  # a message handled slower than this counts as a stall

_BIG = "\U0001F30A" * 10 + "x" * (1 << 20)  # a 1 MiB string (plus some 4-byte characters)
# Strings that are slow rather than large for some parser: unclosed tags for an HTML parser
# (quadratic before html_to_text escaped them), a character reference int() refuses, runs of
# the characters the hashtag/mention/URL patterns start on.
_SLOW = ["<a " * 300_000, '<a href="' * 100_000, "<!--" * 200_000, "<p>&#" + "9" * 5000 + ";</p>",
         "#" * 25_000, "@a." * 8_000, "http://" * 3_500, "\u4e00" * 25_000]


def _deep(levels: int, kind: int) -> bytes:
    if kind == 0:
        return b'{"a":' * levels + b"1" + b"}" * levels
    if kind == 1:
        return b"[" * levels + b'"x"' + b"]" * levels
    return b'{"a":[' * (levels // 2) + b"{}" + b"]}" * (levels // 2)


# Raw JSON texts no Python value serialises to: spliced in where a sentinel string was put.
_RAW_NUMBERS = [b"18446744073709551616", b"-9223372036854775809", b"1" + b"0" * 40, b"1e400", b"-1e400",
                b"1e-400", b"-0", b"0.0000000000000000000000000001", b"123456789012345678901234567890.5"]
_RAW_STRINGS = [b'"\\ud800"', b'"\\udfff x"', b'"a\\u0000b"', b'"\\uD83C"', b'"\\u00"']


class Mutator:
    """Deterministic (seeded) mutations of a decoded message; returns wire bytes."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.values: list[Any] = [
            None, True, False, 0, -1, 1, 2**63 - 1, -(2**63), 2**64 - 1, 1.5, -1e308, 1e308, 3.0e30, "", " ",
            "x", "\u202e\u0000", "2026-01-15T12:00:00Z", "not a date", "99999-12-31T00:00:00Z", "0", "-1",
            "at://", "://", "#", "@", "²³", [], [None], [1, 2], ["a"], [["a"]], [{}], {}, {"a": 1}, {"$type": 5},
            {"text": ["x"]}, [{"$link": 5}],
        ]
        self.counts: Counter[str] = Counter()

    def paths(self, obj: Any, prefix: tuple = ()) -> Iterator[tuple]:
        if type(obj) is dict:
            for k, v in obj.items():
                yield (*prefix, k)
                yield from self.paths(v, (*prefix, k))
        elif type(obj) is list:
            for i, v in enumerate(obj):
                yield (*prefix, i)
                yield from self.paths(v, (*prefix, i))

    @staticmethod
    def _get_parent(obj: Any, path: tuple) -> Any:
        for k in path[:-1]:
            obj = obj[k]
        return obj

    def mutate(self, seed: dict) -> bytes:
        r = self.rng
        obj = copy.deepcopy(seed)
        splices: dict[str, bytes] = {}
        paths = list(self.paths(obj))
        for _ in range(r.choice((1, 1, 1, 2, 3))):
            op = r.choices(("type", "delete", "wrap", "deep", "number", "string", "big", "unknown", "swap"),
                           (30, 8, 10, 6, 8, 5, 1.5, 6, 6))[0]
            self.counts[op] += 1
            path = r.choice(paths) if paths else None
            if path is None:
                continue
            try:
                parent = self._get_parent(obj, path)
                key = path[-1]
                if not ((type(parent) is dict and type(key) is str and key in parent)
                        or (type(parent) is list and type(key) is int and key < len(parent))):
                    continue  # an earlier mutation changed what this path leads to
                if op == "type":
                    parent[key] = copy.deepcopy(r.choice(self.values))
                elif op == "delete":
                    if type(parent) is dict:
                        del parent[key]
                    else:
                        parent.pop(key)
                elif op == "wrap":  # a list (or object) where a scalar is expected
                    parent[key] = [parent[key]] if r.random() < 0.7 else {"v": parent[key]}
                elif op == "deep":
                    tag = f"\x00splice{len(splices)}\x00"
                    splices[tag] = _deep(r.choice((30, 254, 256, 300, 600, 1000, 1030)), r.randrange(3))
                    parent[key] = tag
                elif op == "number":
                    tag = f"\x00splice{len(splices)}\x00"
                    splices[tag] = r.choice(_RAW_NUMBERS)
                    parent[key] = tag
                elif op == "string":
                    tag = f"\x00splice{len(splices)}\x00"
                    splices[tag] = r.choice(_RAW_STRINGS)
                    parent[key] = tag
                elif op == "big":
                    parent[key] = _BIG if r.random() < 0.5 else r.choice(_SLOW)
                elif op == "unknown":
                    target = parent if type(parent) is dict else obj
                    tag = f"\x00splice{len(splices)}\x00"
                    splices[tag] = _deep(r.choice((40, 300)), r.randrange(3))
                    target[r.choice(("zz", "extra", "raw", "$type", "__proto__"))] = r.choice(
                        (tag, copy.deepcopy(r.choice(self.values))))
                elif op == "swap":  # another field's value, of the wrong kind
                    other = self._get_parent(obj, r.choice(paths)) if paths else None
                    if isinstance(other, (dict, list)):
                        parent[key] = copy.deepcopy(other)
            except (KeyError, IndexError, TypeError):
                pass  # the path went away with an earlier mutation
            paths = list(self.paths(obj)) if op in ("delete", "wrap", "swap", "unknown") else paths
        raw = orjson.dumps(obj)
        for tag, text in splices.items():
            raw = raw.replace(orjson.dumps(tag), text)
        # byte-level damage, after encoding
        x = r.random()
        if x < 0.06:
            self.counts["truncate"] += 1
            raw = raw[: r.randrange(max(1, len(raw)))]
        elif x < 0.10:
            self.counts["utf8"] += 1
            i = r.randrange(max(1, len(raw)))
            raw = raw[:i] + r.choice((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28", b"\x80")) + raw[i:]
        elif x < 0.13:
            self.counts["flip"] += 1
            b = bytearray(raw)
            for _ in range(r.randint(1, 4)):
                i = r.randrange(len(b))
                b[i] = r.randrange(256)
            raw = bytes(b)
        elif x < 0.14:
            self.counts["newline"] += 1  # a frame holding two messages, or a stray line break
            i = r.randrange(max(1, len(raw)))
            raw = raw[:i] + b"\n" + raw[i:]
        return raw


# -- targets -----------------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.messages = 0
        self.unhandled = 0
        self.sources_stopped = 0
        self.good: dict[str, str] = {}  # key -> target (posts that must be stored)
        self.per_target: Counter[str] = Counter()
        self.examples: list[str] = []
        self.writer_stops = 0
        self.slowest: tuple[float, str] = (0.0, "")
        self.stalls = 0  # messages that took longer than STALL_S to handle
        self.boundary = 0  # exceptions a handler let out and the source's boundary caught
        self.boundary_examples: list[str] = []

    def timed(self, target: str, seconds: float, raw: bytes) -> None:
        """One message's handling time: a slow one holds a source's read loop (a stall)."""
        if seconds > self.slowest[0]:
            self.slowest = (seconds, f"{target}: {bytes(raw[:120])!r}")
        if seconds > STALL_S:
            self.stalls += 1

    def fail(self, target: str, what: str, raw: bytes | str, exc: BaseException | None = None) -> None:
        self.unhandled += 1
        if len(self.examples) < 10:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip() if exc else ""
            self.examples.append(f"{target}: {what}: {detail[:300]} :: {bytes(raw[:200]) if isinstance(raw, bytes) else raw[:200]!r}")


def run_readers(eng: Engine, pipe: Any, mut: Mutator, n: int, tally: Tally, start: int) -> None:
    """parse_line on each line (strict: only BadPost may escape), then the bulk/API chunk path."""
    from veristream.core.writer import encode
    from veristream.readers import parse_line
    from veristream.replay import IngestOptions, prepare_chunk
    from veristream.core.stories import TokenHasher

    hasher = TokenHasher()
    s = eng.settings
    fmts = list(SEEDS)
    chunk: list[bytes] = []
    serial = start
    for i in range(n):
        fmt = fmts[i % len(fmts)]
        serial += 1
        if i % 10 == 0:
            raw = orjson.dumps(SEEDS[fmt](serial, f"fuzz good post number {serial} about the flood"))
            tally.good[good_key(fmt, serial)] = "readers"
        else:
            raw = mut.mutate(SEEDS[fmt](serial, "bad post about the flood"))
        tally.messages += 1
        tally.per_target["readers"] += 1
        t_msg = time.perf_counter()
        try:
            p = parse_line(raw, fmt if i % 4 else "auto", detect_lang=False)
            if p is not None:
                try:
                    encode(p)
                except BadPost:
                    pass
        except BadPost:
            pass
        except Exception as e:  # noqa: BLE001
            tally.fail("readers", fmt, raw, e)
        tally.timed("readers", time.perf_counter() - t_msg, raw)
        chunk.append(raw.replace(b"\n", b" ") if b"\n" in raw else raw)
        if len(chunk) == 200 or i == n - 1:
            try:
                items, _rejects = prepare_chunk(chunk, 1, IngestOptions(dedup_min_tokens=s.stories.min_tokens, detect_lang=False), hasher)
                if items:
                    pipe.put_prepared(items)
            except Exception as e:  # noqa: BLE001
                tally.fail("readers", "prepare_chunk", b"", e)
            chunk = []


def make_sources(eng: Engine, pipe: Any) -> dict[str, tuple[Any, Any]]:
    from veristream.sources import JetstreamConfig, JetstreamSource, MastodonConfig, MastodonSource, XConfig, XSource
    from veristream.sources.runner import EngineSink

    offsets: dict[str, str] = {}
    out = {}
    for src in (JetstreamSource(JetstreamConfig(urls=["ws://127.0.0.1:9/subscribe"])),
                MastodonSource(MastodonConfig(instance="http://127.0.0.1:9")),
                XSource(XConfig(base_url="http://127.0.0.1:9", bearer_token="fuzz"))):
        out[src.kind] = (src, EngineSink(eng, pipe, src, offsets))
    return out


def source_message(kind: str, raw_status: bytes, rng: random.Random) -> bytes:
    """Mastodon's stream wraps the status JSON as a string in an envelope (sometimes mutated too)."""
    if kind != "mastodon":
        return raw_status
    try:
        payload = raw_status.decode("utf-8")
    except UnicodeDecodeError:
        return raw_status  # not text: what a broken frame looks like
    env: Any = {"stream": ["public"], "event": "update", "payload": payload}
    x = rng.random()
    if x < 0.05:
        env["event"] = rng.choice((["update"], {"a": 1}, 5, None, "status.update", "delete"))
    elif x < 0.08:
        env["stream"] = rng.choice((5, {"a": 1}, [[1]], "public", None, ["hashtag", ["x"]]))
    elif x < 0.10:
        env["payload"] = rng.choice((5, [1], {"a": 1}, None, ""))
    return orjson.dumps(env)


def run_sources(eng: Engine, pipe: Any, mut: Mutator, n: int, tally: Tally, start: int) -> None:
    srcs = make_sources(eng, pipe)
    seed_of = {"bluesky": "jetstream", "mastodon": "mastodon", "x": "x"}
    kinds = list(srcs)
    serial = start
    for i in range(n):
        kind = kinds[i % len(kinds)]
        src, sink = srcs[kind]
        fmt = seed_of[kind]
        serial += 1
        if i % 10 == 0:
            raw = source_message(kind, orjson.dumps(SEEDS[fmt](serial, f"fuzz good post number {serial} about the flood")),
                                 random.Random(0))
            tally.good[good_key(fmt, serial)] = f"source:{kind}"
        else:
            raw = source_message(kind, mut.mutate(SEEDS[fmt](serial, "bad post about the flood")), mut.rng)
        tally.messages += 1
        tally.per_target[f"source:{kind}"] += 1

        def strict(msg: Any, snk: Any, src: Any = src, kind: str = kind) -> None:
            # The handler on its own: what escapes it is caught by the read loop's boundary
            # (`handle_safely`), and counted here, since each is a shape nobody foresaw.
            try:
                src.handle(msg, snk)
            except BadPost:
                raise
            except Exception as e:  # noqa: BLE001
                tally.boundary += 1
                if len(tally.boundary_examples) < 5:
                    tally.boundary_examples.append(f"source:{kind}: {type(e).__name__}: {str(e)[:200]}")
                raise

        t_msg = time.perf_counter()
        try:
            src.handle_safely(strict, raw, sink)  # as the read loop calls it: what escapes ends the loop
        except Exception as e:  # noqa: BLE001
            tally.sources_stopped += 1
            tally.fail(f"source:{kind}", "handler raised", raw, e)
        tally.timed(f"source:{kind}", time.perf_counter() - t_msg, raw)
    for src, sink in srcs.values():
        st = src.status
        tally.per_target[f"source:{src.kind}:rejected"] = st.rejected


def run_jetstream_live(eng: Engine, mut: Mutator, n: int, tally: Tally, start: int) -> None:
    """End to end: a loopback WebSocket server speaking Jetstream sends mutated events (text
    frames, as Jetstream does; none over the 1 MiB it is asked for) and good ones to a real
    JetstreamSource run by a SourceRunner. The source must neither die nor be restarted."""
    from websockets.sync.server import serve

    from veristream.sources import JetstreamConfig, JetstreamSource, SourceRunner

    frames: list[str | bytes] = []
    serial = start
    for i in range(n):
        serial += 1
        if i % 10 == 0:
            raw = orjson.dumps(jetstream_seed(serial, f"fuzz good post number {serial} about the flood"))
            tally.good[good_key("jetstream", serial)] = "live:bluesky"
        else:
            raw = mut.mutate(jetstream_seed(serial, "bad post about the flood"))
        if len(raw) > (1 << 20):
            continue  # the server honours maxMessageSizeBytes
        try:
            frames.append(raw.decode("utf-8"))  # a text frame, as Jetstream sends
        except UnicodeDecodeError:
            frames.append(raw)  # a binary frame: not JSON text, quarantined
    sent = 0
    done = threading.Event()

    def handler(ws: Any) -> None:
        nonlocal sent
        while sent < len(frames):
            ws.send(frames[sent])
            sent += 1
        done.wait(600)

    server = serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None, max_size=None)
    port = server.socket.getsockname()[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    src = JetstreamSource(JetstreamConfig(urls=[f"ws://127.0.0.1:{port}/subscribe"], backoff_base_s=0.1,
                                          backoff_max_s=0.5, idle_timeout_s=None))
    runner = SourceRunner(eng, [src], restart_base_s=0.1)
    try:
        runner.start()
        deadline = time.monotonic() + 300
        while src.status.received < len(frames) and time.monotonic() < deadline and not runner.dead():
            time.sleep(0.05)
        runner.flush(timeout=120)
        st = src.status
        tally.messages += len(frames)
        tally.per_target["live:bluesky"] += len(frames)
        tally.per_target["live:bluesky:rejected"] = st.rejected
        tally.per_target["live:bluesky:reconnects"] = st.reconnects
        stopped = len(runner.dead()) + st.restarts
        if st.received < len(frames):
            tally.fail("live:bluesky", f"received {st.received} of {len(frames)} frames", b"")
        if stopped:
            tally.sources_stopped += stopped
            tally.fail("live:bluesky", f"source died or restarted: {st.last_error}", b"")
        if runner.pipeline is not None and runner.pipeline.error is not None:
            tally.writer_stops += 1
    finally:
        done.set()
        runner.stop()
        server.shutdown()


def _loads_ok(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
        return True
    except orjson.JSONDecodeError:
        return False


def run_api(eng: Engine, mut: Mutator, n: int, tally: Tally, start: int) -> int:
    """POST /v1/posts; returns how many API pipelines' writers stopped."""
    from fastapi.testclient import TestClient

    from veristream.api import create_app

    token = "fuzz-token"
    app = create_app(eng, eng.settings, token=token)
    auth = {"Authorization": f"Bearer {token}"}
    fmts = list(SEEDS)
    serial = start
    sent = 0
    stops = 0
    with TestClient(app, base_url="http://127.0.0.1") as client:
        while sent < n:
            size = min(n - sent, mut.rng.choice((1, 1, 5, 20, 50)))
            lines: list[bytes] = []
            objs_ok = True
            for j in range(size):
                fmt = fmts[(sent + j) % len(fmts)]
                serial += 1
                if (sent + j) % 10 == 0:
                    raw = orjson.dumps(SEEDS[fmt](serial, f"fuzz good post number {serial} about the flood"))
                    tally.good[good_key(fmt, serial)] = "api"
                else:
                    raw = mut.mutate(SEEDS[fmt](serial, "bad post about the flood"))
                if b"\n" in raw:
                    objs_ok = False
                lines.append(raw.replace(b"\n", b" "))
            sent += size
            tally.messages += size
            tally.per_target["api"] += size
            shape = mut.rng.random()
            if size == 1 and shape < 0.5:
                body, ctype = lines[0], "application/json"
            elif shape < 0.2 and objs_ok and all(_loads_ok(x) for x in lines):  # an array of bad items
                body, ctype = b"[" + b",".join(lines) + b"]", "application/json"
            else:
                body, ctype = b"\n".join(lines), "application/x-ndjson"
            try:
                r = client.post("/v1/posts", content=body, headers={**auth, "content-type": ctype})
            except Exception as e:  # noqa: BLE001
                tally.fail("api", "client raised", body, e)
                continue
            tally.per_target[f"api:http_{r.status_code}"] += 1
            if r.status_code >= 500:
                tally.fail("api", f"HTTP {r.status_code} {r.text[:200]}", body)
                if "ingest failed" in r.text or "not stored" in r.text:
                    stops += 1
                    break
            elif r.status_code not in (200, 202, 400, 413, 422):
                tally.fail("api", f"unexpected HTTP {r.status_code} {r.text[:200]}", body)
        api_ctx = app.state.api if hasattr(app.state, "api") else None
        pipe = getattr(api_ctx, "_pipeline", None) if api_ctx is not None else None
        if pipe is not None:
            try:
                pipe.flush(timeout=120)
            except Exception:  # noqa: BLE001
                pass
            if pipe.error is not None:
                stops += 1
    return stops


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=100_000,
                    help="mutated messages in all (default 100,000); one good message more per nine")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the data directory here (default: a temporary one, removed)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    logging.getLogger("veristream").setLevel(logging.CRITICAL)  # the writer logs what it sets aside
    out = fuzz(args.messages, args.seed, Path(args.keep) if args.keep else None, log=not args.quiet)
    print(json.dumps(out))
    return 0 if out["unhandled"] == 0 and out["writer_stops"] == 0 and out["good_posts"] == out["good_posts_stored"] else 1


def fuzz(messages: int, seed: int = 1, keep: Path | None = None, log: bool = True) -> dict[str, Any]:
    """Run the whole harness; returns the figures (see the module docstring)."""
    tmp = Path(tempfile.mkdtemp(prefix="veristream-fuzz-")) if keep is None else keep
    data = tmp / "data"
    settings = Settings.load(env={}, data_dir=data, durability="os", batch_delay_ms=5.0, vectors=False, trends=False,
                             detect_lang=False)
    rng = random.Random(seed)
    mut = Mutator(rng)
    tally = Tally()
    t0 = time.monotonic()
    # Every tenth message of each target is a good one: `messages` counts the mutated ones.
    def with_good(mutated: int) -> int:
        n = mutated
        while n - -(-n // 10) < mutated:
            n += 1
        return n

    m_readers, m_sources = int(messages * 0.4), int(messages * 0.4)
    n_readers, n_sources = with_good(m_readers), with_good(m_sources)
    n_api = with_good(messages - m_readers - m_sources)
    n_live = min(5000, max(200, messages // 20))  # on top: end to end through a real socket
    writer_stops = 0

    def say(msg: str) -> None:
        if log:
            print(f"[{time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    try:
        with Engine(data, settings) as eng:
            pipe = eng.pipeline()
            say(f"readers: {n_readers:,} messages")
            run_readers(eng, pipe, mut, n_readers, tally, 0)
            say(f"live source handlers: {n_sources:,} messages")
            run_sources(eng, pipe, mut, n_sources, tally, 10_000_000)
            try:
                pipe.flush(timeout=300)
            except Exception:  # noqa: BLE001 - counted below
                pass
            if pipe.error is not None:
                writer_stops += 1
            say(f"POST /v1/posts: {n_api:,} messages")
            writer_stops += run_api(eng, mut, n_api, tally, 20_000_000)
            pipe.close() if pipe.error is None else None
            say(f"a live Jetstream source over a loopback WebSocket: {n_live:,} messages")
            run_jetstream_live(eng, mut, n_live, tally, 30_000_000)
            writer_stops += tally.writer_stops
            keys = list(tally.good)
            found: set[str] = set()
            for i in range(0, len(keys), 500):
                found.update(eng.store.lookup(keys[i:i + 500]))
            stored = len(found)
            missing = Counter(tally.good[k] for k in keys if k not in found)
            missing_examples = [k for k in keys if k not in found][:5]
            quarantined = eng.quarantine.count()
            # Rejections made by a boundary's catch-all rather than by a reader's own checks:
            # handled, but each is a shape nobody foresaw (worth a typed check).
            with open(eng.quarantine.path, "rb") as f:
                for rec in f:
                    reason = orjson.loads(rec)["reason"]
                    if "not understood:" in reason or "nested too deep" in reason:
                        tally.boundary += 1
                        if len(tally.boundary_examples) < 5:
                            tally.boundary_examples.append(reason[:300])
            pipeline_quarantined = pipe.quarantined
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    out = {
        "messages": tally.messages, "mutated": tally.messages - len(tally.good), "unhandled": tally.unhandled, "sources_stopped": tally.sources_stopped,
        "writer_stops": writer_stops, "good_posts": len(tally.good), "good_posts_stored": stored,
        "quarantined": quarantined, "writer_quarantined": pipeline_quarantined,
        "seconds": round(time.monotonic() - t0, 1), "per_target": dict(tally.per_target),
        "mutations": dict(mut.counts), "seed": seed,
    }
    if missing:
        out["good_posts_missing"] = dict(missing)
        out["missing_examples"] = missing_examples
    out["slowest_message_ms"] = round(tally.slowest[0] * 1000, 1)
    out["stalls"] = tally.stalls
    out["caught_at_boundary"] = tally.boundary
    if tally.boundary_examples:
        out["boundary_examples"] = tally.boundary_examples
    if tally.examples:
        out["examples"] = tally.examples
    return out


if __name__ == "__main__":
    sys.exit(main())
