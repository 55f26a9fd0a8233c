"""Independence: what counts as one source when posts corroborate a claim.

Copies, reposts and coordinated copy-paste share a story (the core's near-duplicate
grouping), so a story counts once, by its earliest post here, whoever else pasted it. One
author counts once however many stories they post. Linked original sources count by
distinct domain. So 100 copies of one post count 1; five people writing their own posts
count 5; five accounts pasting the same text count 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Item:
    key: str
    author: str  # author id
    story: int | None  # None: a post alone (its own story)
    time: datetime
    weight: float = 1.0  # the source's credibility weight
    domains: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Corroboration:
    posts: int = 0
    stories: int = 0  # distinct stories (copies count once)
    authors: int = 0  # distinct authors of those stories' first posts: the independent sources
    domains: list[str] = field(default_factory=list)  # distinct original sources linked
    weight: float = 0.0  # sum over independent sources of their best weight
    counted: list[str] = field(default_factory=list)  # keys of the posts that were counted

    def to_dict(self) -> dict:
        return {"posts": self.posts, "stories": self.stories, "authors": self.authors,
                "domains": len(self.domains), "domain_list": self.domains[:20], "weight": round(self.weight, 3)}


def corroboration(items: Sequence[Item]) -> Corroboration:
    if not items:
        return Corroboration()
    first: dict[object, Item] = {}
    for it in sorted(items, key=lambda i: (i.time, i.key)):
        sid = it.story if it.story is not None else ("post", it.key)
        first.setdefault(sid, it)  # the story's earliest post stands for it
    best: dict[str, Item] = {}
    for it in first.values():
        cur = best.get(it.author)
        if cur is None or it.weight > cur.weight:
            best[it.author] = it
    domains = list(dict.fromkeys(d for it in sorted(items, key=lambda i: i.time) for d in it.domains))
    return Corroboration(len(items), len(first), len(best), domains, sum(it.weight for it in best.values()),
                         [it.key for it in best.values()])
