#!/usr/bin/env python
"""A real rumour stream to replay: PHEME source tweets with their authors, plus the RumourEval
2017 reply threads, as one JSONL file in veristream's own post schema, sorted by time.

    python eval/rumour_stream.py /tmp/rumours.jsonl
    veristream --data-dir /tmp/vs-rumours replay /tmp/rumours.jsonl --speed max
    veristream --data-dir /tmp/vs-rumours verify "the Germanwings co-pilot was a Muslim convert"

PHEME gives each source tweet's author (screen name, verified flag, followers) and counts;
RumourEval gives the replies (with `reply_to`) but not who wrote them, so each reply's
author is its own unknown account (`unknown-<id>`). Read from ../shared/data at run time;
the output stays outside the repository (tweet text is under X's terms).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--event", action="append", help="only these PHEME events (e.g. germanwings-crash)")
    a = ap.parse_args()
    posts: dict[str, dict] = {}
    authors: dict[str, dict] = {}
    event_of: dict[str, str] = {}
    for line in open(a.data / "pheme" / "pheme_source_tweets.jsonl", "rb"):
        d = orjson.loads(line)
        if a.event and d["event"] not in a.event:
            continue
        handle = d.get("user_screen_name") or "unknown"
        author = {"id": handle.lower(), "handle": handle, "verified": bool(d.get("user_verified")),
                  "followers": d.get("user_followers")}
        authors[d["tweet_id"]] = author
        event_of[d["tweet_id"]] = d["event"]
        posts[d["tweet_id"]] = {
            "id": d["tweet_id"], "source": "x", "text": d["text"], "created_at": d["created_at"], "lang": d.get("lang"),
            "author": author, "url": f"https://twitter.com/{handle}/status/{d['tweet_id']}",
            "metrics": {"reposts": d.get("retweet_count"), "likes": d.get("favorite_count")},
            "extra": {"pheme_event": d["event"]}}
    for line in open(a.data / "rumoureval2017" / "traindev_threads.jsonl", "rb"):
        t = orjson.loads(line)
        if t["thread_id"] not in event_of:
            continue
        for p in t["posts"]:
            if p["post_id"] in posts:
                continue
            posts[p["post_id"]] = {
                "id": p["post_id"], "source": "x", "text": p["text"], "created_at": p["created_at"],
                "author": {"id": f"unknown-{p['post_id']}", "handle": ""}, "reply_to": p.get("in_reply_to"),
                "extra": {"pheme_event": event_of[t["thread_id"]]}}
    rows = sorted(posts.values(), key=lambda r: (r["created_at"], r["id"]))
    with open(a.out, "wb") as f:
        for r in rows:
            f.write(orjson.dumps(r) + b"\n")
    print(f"{len(rows)} posts -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
