"""The recent posts the detector looks back over: one columnar chunk per tick, bounded.

Events are found by looking at which bursting terms occur together in the same recent posts,
and their representative posts and curves come from the same place, so the detector keeps the
last `span_s` of event time (at most `max_posts` posts) in memory: per post its seq, key,
time, author hash, story, whether it is the first post of its story, its term ids, the event
it was matched to, and (for first posts only) text, language and place.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class Chunk:
    tick: int
    seq: np.ndarray
    ts: np.ndarray
    author: np.ndarray  # uint64 author hashes
    story: np.ndarray
    first: np.ndarray  # bool: the first post of its story the detector has seen
    offsets: np.ndarray  # post i's term ids are tids[offsets[i]:offsets[i+1]]
    tids: np.ndarray
    keys: list[str]
    texts: list[str | None]
    langs: list[str]
    places: list[str | None]
    event: np.ndarray = field(default=None)  # type: ignore[assignment]  # matched event id, -1: none
    n: int = 0
    last_ts: int = 0
    _post_of: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.n = len(self.seq)
        self.last_ts = int(self.ts.max()) if self.n else 0
        if self.event is None:
            self.event = np.full(self.n, -1, dtype=np.int64)

    def __len__(self) -> int:
        return self.n

    def post_of_occurrence(self) -> np.ndarray:
        if self._post_of is None:
            self._post_of = np.repeat(np.arange(self.n), np.diff(self.offsets))
        return self._post_of


class View:
    """Several chunks seen as one: arrays concatenated, posts addressed by (chunk, index)."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        n = [len(c) for c in chunks]
        self.starts = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
        cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dtype=dt))
        self.ts = cat([c.ts for c in chunks], np.int64)
        self.author = cat([c.author for c in chunks], np.uint64)
        self.story = cat([c.story for c in chunks], np.int64)
        self.first = cat([c.first for c in chunks], bool)
        self.event = cat([c.event for c in chunks], np.int64)
        self.tids = cat([c.tids for c in chunks], np.int64)
        self.post_of = cat([c.post_of_occurrence() + s for c, s in zip(chunks, self.starts[:-1])], np.int64)

    def __len__(self) -> int:
        return int(self.starts[-1])

    def locate(self, i: int) -> tuple[Chunk, int]:
        c = int(np.searchsorted(self.starts, i, side="right")) - 1
        return self.chunks[c], i - int(self.starts[c])

    def set_event(self, idx: np.ndarray, ev: int) -> None:
        for i in idx.tolist():
            ch, j = self.locate(i)
            ch.event[j] = ev
        self.event[idx] = ev

    def posts_with(self, tids: list[int], first_only: bool = True) -> dict[int, np.ndarray]:
        """Post indices (sorted, unique) containing each of `tids`."""
        if not len(self.tids) or not tids:
            return {t: np.zeros(0, dtype=np.int64) for t in tids}
        want = np.asarray(sorted(set(tids)), dtype=np.int64)
        m = np.isin(self.tids, want)
        occ_t, occ_p = self.tids[m], self.post_of[m]
        if first_only:
            keep = self.first[occ_p]
            occ_t, occ_p = occ_t[keep], occ_p[keep]
        order = np.lexsort((occ_p, occ_t))
        occ_t, occ_p = occ_t[order], occ_p[order]
        out: dict[int, np.ndarray] = {}
        bounds = np.searchsorted(occ_t, want, side="left"), np.searchsorted(occ_t, want, side="right")
        for t, lo, hi in zip(want.tolist(), bounds[0].tolist(), bounds[1].tolist()):
            out[t] = np.unique(occ_p[lo:hi])
        return out


class Recent:
    def __init__(self, span_s: float, max_posts: int):
        self.span_us = int(span_s * 1e6)
        self.max_posts = max_posts
        self.chunks: deque[Chunk] = deque()
        self.posts = 0

    def add(self, chunk: Chunk, t_us: int) -> None:
        self.chunks.append(chunk)
        self.posts += len(chunk)
        cutoff = t_us - self.span_us
        while self.chunks and (self.posts > self.max_posts or self.chunks[0].last_ts < cutoff):
            old = self.chunks.popleft()
            self.posts -= len(old)

    def view(self, since_us: int) -> View:
        return View([c for c in self.chunks if c.n and c.last_ts >= since_us])

    def remap(self, remap: np.ndarray) -> None:
        """Renumber term ids after the vocabulary was pruned (dropped terms vanish)."""
        for c in self.chunks:
            if not len(c.tids):
                continue
            new = remap[c.tids]
            keep = new >= 0
            if keep.all():
                c.tids = new
                continue
            counts = np.bincount(c.post_of_occurrence()[keep], minlength=len(c))
            c.tids = new[keep]
            c._post_of = None
            c.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
