"""Search: BM25 blended with recency in event time, filters, one result per story.

Candidates come from two lists over the same searcher snapshot: the best BM25 matches and
the newest matches (so fresh posts are not lost behind many older equal-scoring ones). Each
candidate's score is BM25 × ((1 − w) + w · 2^(−age / half_life)), with age measured from the
newest post in the store, not the wall clock, so a replayed stream ranks as it did live.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .index.lexical import Filters, IndexHit, LexicalIndex
from ..model import Post, from_us, iso, post_from_doc
from ..places import Place, distance_km, resolve_post
from ..settings import Settings
from .store import Store


@dataclass(slots=True)
class StorySummary:
    id: int
    posts: int
    authors: int
    first_seen: datetime
    last_seen: datetime
    title: str | None = None  # text of the first post (kept after the story's posts expire)


@dataclass(slots=True)
class Hit:
    post: Post
    score: float
    story: StorySummary | None
    seq: int
    place: Place | None = None  # where the post is (the service's, or resolved from its words)


def post_json(p: Post) -> dict:
    """A post as the CLI's `--json` and the HTTP API show it: its own schema without the raw
    message, and its key."""
    return p.to_dict(raw=False) | {"key": p.key}


def story_counts_json(s: StorySummary) -> dict:
    """A story's counts, as a hit carries them."""
    return {"id": s.id, "posts": s.posts, "authors": s.authors, "first_seen": iso(s.first_seen),
            "last_seen": iso(s.last_seen)}


def hit_json(h: Hit) -> dict:
    """A search hit as JSON (`veristream search --json`, `GET /v1/search`): the post, its score
    and its story's counts."""
    d = post_json(h.post)
    d["score"] = round(h.score, 4)
    if h.story:
        d["story"] = story_counts_json(h.story)
    if h.place is not None:
        d["place"] = h.place.to_dict()
    return d


@dataclass(slots=True)
class StoredPost:
    """One stored post as the store holds it (`GET /v1/posts/{key}`): its document (without
    the raw message), its sequence number in the log, and its story's counts."""

    key: str
    seq: int
    doc: dict[str, Any]
    story: StorySummary | None

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.doc.items() if k != "raw"}
        d["key"], d["seq"] = self.key, self.seq
        d["story"] = story_counts_json(self.story) if self.story is not None else None
        return d


def story_json(s: StorySummary, posts: list[Post]) -> dict:
    """A story and its posts as JSON (`veristream story --json`, `GET /v1/stories/{id}`)."""
    return story_counts_json(s) | {"title": s.title, "items": [post_json(p) for p in posts]}


@dataclass(slots=True)
class SearchQuery:
    text: str = ""
    filters: Filters = field(default_factory=Filters)
    order: str = "relevance"  # relevance | time
    limit: int = 20
    all_posts: bool = False  # False: one hit per story


@dataclass(slots=True)
class SearchResult:
    query: SearchQuery
    hits: list[Hit]
    total: int | None  # matching posts
    as_of: datetime | None  # event time the recency was measured from
    took_ms: float


class SearchError(ValueError):
    pass


class Searcher:
    def __init__(self, store: Store, index: LexicalIndex, settings: Settings):
        self.store = store
        self.index = index
        self.settings = settings

    def search_many(self, queries: list[SearchQuery], now_us: int | None) -> list[SearchResult]:
        return [self._search(q, now_us) for q in queries]

    def _search(self, q: SearchQuery, now_us: int | None) -> SearchResult:
        t0 = time.perf_counter()
        picked, total = self.pick(q, now_us)
        hits = self._materialise(picked)
        if q.filters.near is not None:
            # The index matched the box around the circle: drop the box's corners.
            lat, lon, r = q.filters.near
            hits = [h for h in hits if h.place is not None and h.place.lat is not None and h.place.lon is not None
                    and distance_km(lat, lon, h.place.lat, h.place.lon) <= r]
        return SearchResult(q, hits, total, from_us(now_us) if now_us else None, (time.perf_counter() - t0) * 1000)

    def pick(self, q: SearchQuery, now_us: int | None) -> tuple[list[IndexHit], int | None]:
        """The hits of `q` as index entries (seq, story, time, score), best first, one per story
        unless `all_posts`, and the number of matching posts: what `search_many` returns before
        the posts are read (a shard reads the stored documents itself and sends them as they
        are). A `near` filter is not applied here beyond its bounding box."""
        if q.order not in ("relevance", "time"):
            raise SearchError(f"order must be 'relevance' or 'time', got {q.order!r}")
        if q.limit < 1:
            raise SearchError(f"limit must be at least 1, got {q.limit}")
        searcher = self.index.searcher()
        query, has_text = self.index.build_query(q.text, q.filters)
        by_time = q.order == "time" or not has_text
        n = max(self.settings.search.candidates, q.limit * 4)
        picked: list[IndexHit] = []
        seen_stories: set[int] = set()
        seen_seqs: set[int] = set()
        total: int | None = None
        offset = 0
        # When copies of a few big stories crowd the candidates, ask again without those
        # stories (one result each is all they get); with every post wanted, read on to the
        # next page (never re-reading what was read). At most three times.
        for _ in range(4):
            if by_time:
                cands, cnt = self._page(searcher, query, n, True, total is None, offset)
            else:
                cands, cnt = self._blended(searcher, query, n, now_us, total is None, offset)
            if total is None:
                total = cnt
            for h in cands:
                if h.seq in seen_seqs:
                    continue
                seen_seqs.add(h.seq)
                if not q.all_posts:
                    if h.story in seen_stories:
                        continue
                    seen_stories.add(h.story)
                picked.append(h)
                if len(picked) == q.limit:
                    break
            if len(picked) >= q.limit or len(cands) < n:
                break
            if q.all_posts:
                offset += n
                n *= 4
            else:
                # Stories were read whole or in part: the next best posts of the others, found
                # at once instead of after pages of copies (a spam wave's thousands of copies
                # in two stories took 4 pages and 30 ms at 1M posts).
                query = self.index.without_stories(query, seen_stories)
        return picked, total

    # -- shared with hybrid retrieval (veristream.retrieve) ---------------------------------

    def candidates(self, searcher, query, n: int, now_us: int | None, by_time: bool = False) -> list[IndexHit]:
        """Up to ~2n candidates over one searcher snapshot: BM25 x recency, best first (or
        newest first when `by_time`), before story grouping."""
        if by_time:
            return self._page(searcher, query, n, True, False)[0]
        return self._blended(searcher, query, n, now_us, False)[0]

    def materialise(self, picked: list[IndexHit]) -> list[Hit]:
        """Hits with their posts and story summaries (posts deleted meanwhile are left out)."""
        return self._materialise(picked)

    def _page(self, searcher, query, n: int, by_time: bool, count: bool, offset: int = 0
              ) -> tuple[list[IndexHit], int | None]:
        return self.index.top(searcher, query, n, by_time=by_time, count=count, offset=offset)

    def _blended(self, searcher, query, n: int, now_us: int | None, count: bool, offset: int = 0
                 ) -> tuple[list[IndexHit], int | None]:
        best, cnt = self.index.top(searcher, query, n, by_time=False, count=count, offset=offset)
        # Every match is already among the best (fewer than asked for, or all of them counted):
        # the newest ones are too, so the second pass would find nothing to add.
        every = len(best) < n or (cnt is not None and offset == 0 and cnt <= n)
        newest = [] if every else self.index.top(searcher, query, n, by_time=True, offset=offset)[0]
        have = {h.seq for h in best}
        extra = [h for h in newest if h.seq not in have]
        if extra:
            # The newest page's scores over its span of time; posts sharing those times beyond
            # what the pass returned are looked up one by one (many posts in the same second).
            scores = self.index.scores_between(searcher, query, min(h.ts for h in newest), max(h.ts for h in newest),
                                               5 * len(newest))
            missing = [h.seq for h in extra if h.seq not in scores]
            if missing:
                scores.update(self.index.scores_for(searcher, query, missing))
            for h in extra:
                h.bm25 = scores.get(h.seq, 0.0)
        cands = best + extra
        w = self.settings.search.recency_weight
        hl_us = self.settings.search.half_life_s * 1e6
        if now_us is not None and w > 0 and hl_us > 0:
            for h in cands:
                age = max(0, now_us - h.ts)
                h.bm25 *= (1.0 - w) + w * 0.5 ** (age / hl_us)
        cands.sort(key=lambda h: (-h.bm25, -h.ts))
        return cands, cnt

    def _materialise(self, picked: list[IndexHit]) -> list[Hit]:
        docs = self.store.docs([h.seq for h in picked])
        stories = self.store.stories(list({h.story for h in picked}))
        out: list[Hit] = []
        for h in picked:
            d = docs.get(h.seq)
            if d is None:  # deleted since the snapshot was taken
                continue
            s = stories.get(h.story)
            summary = StorySummary(s.id, s.posts, s.authors, from_us(s.first_ts), from_us(s.last_ts)) if s else None
            p = post_from_doc(d)
            out.append(Hit(p, h.bm25, summary, h.seq, resolve_post(p)))
        return out
