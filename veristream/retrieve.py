"""Hybrid retrieval: BM25 and dense vectors fused by reciprocal rank, in event time, by story.

The query is natural language (a question, a claim). Two ranked lists come from one tantivy
searcher snapshot:

* lexical: the question's content words, OR-ed, scored BM25 x recency by the `Searcher`
  (its best-BM25 and newest candidates), so every stored post can be found, embedded yet
  or not;
* dense: the question's MiniLM vector against the ANN index (posts embedded so far), plus
  the best BM25 candidates the ANN did not return (`dense_rescore`; their vectors made at
  query time when the embedder has not reached them yet), kept when the cosine similarity
  reaches `dense_min_similarity`, checked against the same snapshot (filters, deletions) and
  ordered by similarity x the same recency factor. So a stream faster than the embedder
  (MiniLM embeds a few hundred posts a second on two cores) loses only the matches in
  meaning that share no word with the question, not the dense ordering of what words find.

Fused score = sum over the lists of 1 / (rrf_k + rank). Copies of a post (one story) show
once unless `all_posts`. The result says which lists were used and how far embedding lags.

This is the engine's retrieval for anything that needs evidence (answers, verification):
`Engine.retrieve(...)`; thread-safe for reads like search.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from . import words
from .core.index.lexical import Filters, IndexHit, LexicalIndex
from .model import all_words, from_us
from .core.search import Hit as SearchHit
from .core.search import SearchError, Searcher
from .settings import Settings

if TYPE_CHECKING:
    from .vectors import EmbedStatus, Vectors


@dataclass(slots=True)
class RetrieveQuery:
    text: str
    filters: Filters = field(default_factory=Filters)
    limit: int = 20
    all_posts: bool = False  # False: one hit per story
    recency_weight: float | None = None  # None: the `recency_weight` setting; 1: fresh first ("latest on ...")
    dense: bool = True  # False: lexical list only


@dataclass(slots=True)
class Hit(SearchHit):
    """A search hit with how each list ranked it."""

    lexical_rank: int | None = None  # 1-based, in the BM25 x recency list
    dense_rank: int | None = None  # 1-based, in the vector list
    similarity: float | None = None  # cosine similarity to the query
    coverage: float = 0.0  # share of the query's content words found in the post


@dataclass(slots=True)
class Retrieval:
    query: RetrieveQuery
    hits: list[Hit]
    keywords: list[str]  # the lexical query's terms
    as_of: datetime | None  # the event-time now recency was measured from
    mode: str  # "hybrid" or "lexical"
    embedding: "EmbedStatus | None"
    took_ms: float
    lexical_candidates: int = 0
    dense_candidates: int = 0


def recency_factor(age_us: int, weight: float, half_life_s: float) -> float:
    if weight <= 0 or half_life_s <= 0:
        return 1.0
    return (1.0 - weight) + weight * 0.5 ** (max(0, age_us) / (half_life_s * 1e6))


class TextVectors:
    """A bounded map of text -> vector, least recently used dropped; thread-safe."""

    def __init__(self, size: int):
        self.size = size
        self._map: OrderedDict[str, np.ndarray] = OrderedDict()
        self._mu = threading.Lock()

    def get_many(self, texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> list[np.ndarray]:
        with self._mu:
            got = {t: self._map[t] for t in texts if t in self._map}
            for t in got:
                self._map.move_to_end(t)
        todo = list(dict.fromkeys(t for t in texts if t not in got))
        if todo:
            made = encode(todo)
            with self._mu:
                for t, v in zip(todo, made):
                    got[t] = self._map[t] = v
                while len(self._map) > self.size:
                    self._map.popitem(last=False)
        return [got[t] for t in texts]


class Retriever:
    def __init__(self, searcher: Searcher, index: LexicalIndex, vectors: "Vectors | None", settings: Settings):
        self.searcher = searcher
        self.index = index
        self.vectors = vectors
        self.settings = settings
        self._made = TextVectors(4096)  # vectors made at query time, by text: the next query reuses them

    def retrieve_many(self, queries: list[RetrieveQuery], now_us: int | None) -> list[Retrieval]:
        return [self._retrieve(q, now_us) for q in queries]

    def _retrieve(self, q: RetrieveQuery, now_us: int | None) -> Retrieval:
        t0 = time.perf_counter()
        if q.limit < 1:
            raise SearchError(f"limit must be at least 1, got {q.limit}")
        s = self.settings
        kws = words.keywords(q.text)
        snap = self.index.searcher()  # one snapshot for every part of the query
        n = max(s.search.candidates, q.limit * 4)
        weight = s.search.recency_weight if q.recency_weight is None else q.recency_weight

        query, has_text = self.index.build_query(" ".join(kws), q.filters, any_term=True)
        lexical = self.searcher.candidates(snap, query, n, now_us, by_time=not has_text)
        if has_text and q.recency_weight is not None and now_us is not None:
            # The searcher blended with the default weight: re-blend with the one asked for.
            for h in lexical:
                was = recency_factor(now_us - h.ts, s.search.recency_weight, s.search.half_life_s)
                if was > 0:
                    h.bm25 *= recency_factor(now_us - h.ts, weight, s.search.half_life_s) / was
            lexical.sort(key=lambda h: (-h.bm25, -h.ts))

        dense: list[tuple[IndexHit, float]] = []
        status = self.vectors.status() if self.vectors is not None else None
        if self.vectors is not None and q.dense and q.text.strip():
            dense = self._dense(snap, q, n, now_us, weight, lexical)
        mode = "hybrid" if q.dense and (dense or (status is not None and status.vectors)) else "lexical"

        fused: dict[int, list] = {}  # seq -> [score, IndexHit, lexical rank, dense rank, similarity]
        k = s.vectors.rrf_k
        for rank, h in enumerate(lexical, 1):
            fused[h.seq] = [1.0 / (k + rank), h, rank, None, None]
        wd = s.vectors.weight
        for rank, (h, sim) in enumerate(dense, 1):
            f = fused.get(h.seq)
            if f is None:
                fused[h.seq] = [wd / (k + rank), h, None, rank, sim]
            else:
                f[0] += wd / (k + rank)
                f[3], f[4] = rank, sim
        ranked = sorted(fused.values(), key=lambda f: (-f[0], -(f[4] or 0.0), -f[1].ts))  # ties: closer, then newer
        picked, stories = [], set()
        for f in ranked:
            if not q.all_posts:
                if f[1].story in stories:
                    continue
                stories.add(f[1].story)
            picked.append(f)
            if len(picked) == q.limit:
                break
        for f in picked:
            f[1].bm25 = f[0]  # the hit's score is the fused one
        base_hits = self.searcher.materialise([f[1] for f in picked])
        meta = {f[1].seq: f for f in picked}
        stems = {words.stem(w) for w in kws}
        hits = []
        for h in base_hits:
            f = meta[h.seq]
            # Coverage counts the words of its images and link cards too: they matched the query.
            hits.append(Hit(h.post, h.score, h.story, h.seq, place=h.place, lexical_rank=f[2], dense_rank=f[3],
                            similarity=f[4], coverage=words.coverage(stems, all_words(h.post))))
        return Retrieval(q, hits, kws, from_us(now_us) if now_us else None, mode, status,
                         (time.perf_counter() - t0) * 1000, len(lexical), len(dense))

    def _dense(self, snap, q: RetrieveQuery, n: int, now_us: int | None, weight: float,
               lexical: list[IndexHit]) -> list[tuple[IndexHit, float]]:
        assert self.vectors is not None
        s = self.settings
        vec = self.vectors.encode([q.text])[0]
        narrow = any(v is not None for v in (q.filters.since_us, q.filters.until_us, q.filters.author, q.filters.lang,
                                             q.filters.hashtag, q.filters.source, q.filters.has_media,
                                             q.filters.reply_to))
        found = self.vectors.search(vec, n * 4 if narrow else n)
        sims = {seq: sim for seq, sim in found if sim >= s.vectors.min_similarity}
        by_seq = {h.seq: h for h in lexical}
        for seq, sim in self._rescored(vec, [h.seq for h in lexical[:s.vectors.rescore]], {seq for seq, _ in found}):
            if sim >= s.vectors.min_similarity:
                sims[seq] = sim
        if not sims:
            return []
        todo = [seq for seq in sims if seq not in by_seq]  # the lexical hits passed the same snapshot and filters
        checked = [by_seq[seq] for seq in sims if seq in by_seq]
        if todo:
            only, _ = self.index.build_query("", q.filters)  # filters only (or every document)
            checked += self.index.hits_for(snap, only, todo)  # also drops posts deleted since embedding
        out = []
        for h in checked:
            sim = sims[h.seq]
            score = sim * (recency_factor(now_us - h.ts, weight, s.search.half_life_s) if now_us is not None else 1.0)
            out.append((h, sim, score))
        out.sort(key=lambda x: (-x[2], -x[0].ts))
        return [(h, sim) for h, sim, _ in out[:n]]

    def _rescored(self, vec: np.ndarray, seqs: list[int], seen: set[int]) -> list[tuple[int, float]]:
        """(seq, similarity to the query) of the lexical candidates the vector search did not
        return: from their stored vectors, or for posts not embedded yet (the embedder far
        behind a fast stream), from vectors made now. Nearly all of what the dense list adds to
        BM25 is its reordering of BM25's own best candidates (bench/dense.py), so answers keep
        it however far embedding lags."""
        assert self.vectors is not None
        seqs = [seq for seq in seqs if seq not in seen]
        if not seqs:
            return []
        have = self.vectors.stored(seqs)
        missing = [seq for seq in seqs if seq not in have]
        if missing:
            docs = self.searcher.store.docs(missing)
            texts = {seq: d.get("text") for seq, d in docs.items()}
            todo = [seq for seq in missing if isinstance(texts.get(seq), str) and texts[seq].strip()]
            vecs = self._made.get_many([texts[seq] for seq in todo], self.vectors.encode)
            have.update(zip(todo, vecs))
        return [(seq, float(np.dot(have[seq], vec))) for seq in seqs if seq in have]
