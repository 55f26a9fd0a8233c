"""What crosses NATS between the root and the shards: queries, hits, stories, as JSON.

A story's identity must hold across partitions: copies of one post land on many shards, each
of which groups them under its own local integer id. The global id is derived from content
instead — a hash of the normalised title of the story (its first post's text, as the store
keeps it) — so a copy storm spread over every shard is one story at the root, whose counts are
the sums of the shards' (`story_gid`). Near-duplicates whose first posts differ in words stay
separate stories across shards (within a shard, MinHash still groups them).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import xxhash

from ..core.index.lexical import Filters
from ..core.search import StorySummary
from ..core.stories import normalise
from ..core.store import TITLE_CHARS
from ..model import Post, from_us, post_from_doc, to_us

FILTER_FIELDS = tuple(f.name for f in fields(Filters))


def title_of(text: str) -> str:
    """A story's title as the store keeps it (its first post's text, spaces folded, cut)."""
    t = " ".join(text.split())
    return t if len(t) <= TITLE_CHARS else t[: TITLE_CHARS - 1] + "…"


def story_gid(title: str) -> int:
    """The cluster-wide id of the story whose title is `title`: equal on every shard for copies."""
    return xxhash.xxh3_64_intdigest(normalise(title).encode()) >> 1


def filters_json(f: Filters) -> dict[str, Any]:
    return {k: getattr(f, k) for k in FILTER_FIELDS}


def filters_from(d: dict[str, Any] | None) -> Filters:
    d = d or {}
    return Filters(**{k: d.get(k) for k in FILTER_FIELDS})


def story_wire(s: StorySummary | None, gid: int | None) -> dict[str, Any] | None:
    if s is None or gid is None:
        return None
    return {"id": gid, "local": s.id, "posts": s.posts, "authors": s.authors, "first_us": to_us(s.first_seen),
            "last_us": to_us(s.last_seen)}


def story_from(d: dict[str, Any] | None) -> StorySummary | None:
    if not d:
        return None
    return StorySummary(d["id"], d["posts"], d["authors"], from_us(d["first_us"]), from_us(d["last_us"]),
                        d.get("title"))


def merge_stories(parts: list[StorySummary]) -> StorySummary:
    """One story from its parts on several shards: posts and authors summed (an author whose
    copies landed on two partitions counts twice: authors is an upper bound across shards)."""
    first = min(parts, key=lambda s: s.first_seen)
    return StorySummary(first.id, sum(s.posts for s in parts), sum(s.authors for s in parts), first.first_seen,
                        max(s.last_seen for s in parts), first.title)


def post_wire(p: Post) -> dict[str, Any]:
    return p.to_dict(raw=False)


def post_from(d: dict[str, Any]) -> Post:
    return post_from_doc(d)
