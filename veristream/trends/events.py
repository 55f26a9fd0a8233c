"""Events: bursting terms that occur together, and the stories behind them, grouped.

At the end of each tick (after the burst model is updated):

1. **Match** the tick's posts to active events. A first post of a story matches an event when
   it contains event terms worth at least 2 (a phrase or hashtag is worth 2, a word 1); a copy
   follows its story's event. Posts matching two events are counted towards merging them.
2. **Attach or form.** A bursting term (in a window of at most an hour) that no event owns is
   attached to the event whose posts carry it (at least `ATTACH_SHARE` of the recent posts
   with the term match that event), else grouped with the other unowned bursting terms it
   co-occurs with (at least 2 posts and `LINK_SHARE` of the smaller term's posts) into a new
   event. A group becomes an event only with `min_authors` distinct authors among its recent
   first posts (twice that for a lone word: a phrase, a hashtag or co-occurring words say more
   about what happened; an everyday word such as "right" never does alone): one account, or
   one story copied by many, never does.
3. **Merge**: when `MERGE_SHARE` of the smaller event's stories also matched the other, the
   younger event is merged into the older (its record stays, `status = merged`, with
   `merged_into`).
4. **Fade**: an event none of whose terms has burst for `fade_s` of event time fades. A later
   burst of its terms within `REVIVE_S` revives it; after that its terms are free again.

Everything here runs on the trends worker thread, at tick boundaries, in event time.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field

import numpy as np
import orjson

from ..model import to_us
from .burst import BurstModel
from .recent import Chunk, Recent, View
from .records import Curve, Event, dt
from .terms import GENERIC, Vocabulary, display

MATCH_SCORE = 2.0
ATTACH_SHARE = 0.5
LINK_SHARE = 0.3
MERGE_SHARE = 0.3
REVIVE_S = 6 * 3600.0
EVENT_MAX_SPAN_S = 3600.0  # windows longer than this report trends but do not raise events
CURVE_STEP_S = 300.0
CURVE_MAX = 2016  # points; older halves are merged pairwise beyond this
POOL = 40  # candidate representative posts kept per event
REPS = 10
MAX_TERMS = 30  # terms kept per event
STORY_MAP_MAX = 200_000
RETRY_TICKS = 5  # an unowned bursting term that formed nothing is looked at again after this


def term_weight(term: bytes) -> float:
    return 2.0 if (term[:1] == b"#" or b" " in term) else 1.0


class Distinct:
    """Distinct count of 64-bit hashes: exact up to K, then a K-minimum-values estimate."""

    K = 1024

    def __init__(self, values: list[int] | None = None):
        self._set: set[int] = set(values or [])
        self._heap = [-v for v in self._set]
        heapq.heapify(self._heap)

    def add(self, h: int) -> None:
        if h in self._set:
            return
        if len(self._heap) < self.K:
            self._set.add(h)
            heapq.heappush(self._heap, -h)
        elif h < -self._heap[0]:
            self._set.discard(-heapq.heappushpop(self._heap, -h))
            self._set.add(h)

    def merge(self, other: "Distinct") -> None:
        for v in other._set:
            self.add(v)

    def estimate(self) -> int:
        n = len(self._heap)
        if n < self.K:
            return n
        return int(round((self.K - 1) / ((-self._heap[0] + 1) / 2.0**64)))

    def values(self) -> list[int]:
        return sorted(self._set)


@dataclass(slots=True)
class Rep:
    score: float
    ts: int
    seq: int
    key: str
    author: int
    story: int
    text: str
    terms: frozenset[bytes]


@dataclass(slots=True)
class EventState:
    id: int
    first_seen: int
    detected_at: int
    last_seen: int
    last_burst: int
    status: str = "active"
    terms: dict[bytes, float] = field(default_factory=dict)
    posts: int = 0
    stories: int = 0
    authors: Distinct = field(default_factory=Distinct)
    langs: dict[str, int] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)
    curve_start: int = 0
    curve_step_s: float = CURVE_STEP_S
    curve: list[int] = field(default_factory=list)
    pool: list[Rep] = field(default_factory=list)
    merged_into: int | None = None
    detected_ids: list[str] = field(default_factory=list)
    _ids: tuple[int, np.ndarray, np.ndarray] | None = None  # (vocab generation, sorted ids, weights)
    _idset: tuple[np.ndarray, frozenset[int]] | None = None  # (the ids it was made from, as a set)

    def ids_weights(self, vocab: Vocabulary, gen: int) -> tuple[np.ndarray, np.ndarray]:
        if self._ids is None or self._ids[0] != gen:
            pairs = sorted((i, term_weight(t)) for t in self.terms if (i := vocab.get(t)) is not None)
            self._ids = (gen, np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs]))
        return self._ids[1], self._ids[2]

    def need(self) -> float:
        return min(MATCH_SCORE, sum(term_weight(t) for t in self.terms))

    def id_set(self, vocab: Vocabulary, gen: int) -> frozenset[int]:
        ids, _ = self.ids_weights(vocab, gen)
        if self._idset is None or self._idset[0] is not ids:
            self._idset = (ids, frozenset(ids.tolist()))
        return self._idset[1]

    def add_terms(self, terms: dict[bytes, float]) -> None:
        for t, w in terms.items():
            self.terms[t] = self.terms.get(t, 0.0) + w
        if len(self.terms) > MAX_TERMS:
            keep = sorted(self.terms.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]
            self.terms = dict(keep)
        self._ids = None

    def add_post(self, ts: int, author: int, story: int, first: bool, lang: str, place: str | None,
                 rep: Rep | None) -> None:
        self.posts += 1
        if first:
            self.stories += 1
        self.authors.add(author)
        if ts > self.last_seen:
            self.last_seen = ts
        if ts < self.first_seen:
            self.first_seen = ts
        if lang:
            self.langs[lang] = self.langs.get(lang, 0) + 1
        if place:
            if place in self.places or len(self.places) < 50:
                self.places[place] = self.places.get(place, 0) + 1
        self._curve_add(ts)
        if rep is not None:
            for t in rep.terms:
                if t in self.terms:
                    self.terms[t] += 1.0
            self.pool.append(rep)
            if len(self.pool) > 2 * POOL:
                self._trim_pool()

    def _curve_add(self, ts: int, n: int = 1) -> None:
        step_us = int(self.curve_step_s * 1e6)
        if not self.curve:
            self.curve_start = ts - ts % step_us
        if ts < self.curve_start:  # a late post before the curve's start: extend it back
            k = (self.curve_start - ts + step_us - 1) // step_us
            self.curve[:0] = [0] * k
            self.curve_start -= k * step_us
        i = (ts - self.curve_start) // step_us
        if i >= len(self.curve):
            self.curve.extend([0] * (i + 1 - len(self.curve)))
        self.curve[i] += n
        while len(self.curve) > CURVE_MAX:
            c = self.curve + [0] * (len(self.curve) % 2)
            self.curve = [c[j] + c[j + 1] for j in range(0, len(c), 2)]
            self.curve_step_s *= 2
            step2 = int(self.curve_step_s * 1e6)
            self.curve_start -= self.curve_start % step2

    def rescore(self) -> None:
        for r in self.pool:
            r.score = sum(self.terms.get(t, 0.0) * term_weight(t) for t in r.terms)

    def _trim_pool(self) -> None:
        self.rescore()
        self.pool.sort(key=lambda r: (-r.score, r.ts, r.seq))
        del self.pool[POOL:]

    def representatives(self) -> list[Rep]:
        self._trim_pool()
        out: list[Rep] = []
        authors: set[int] = set()
        stories: set[int] = set()
        for r in self.pool:
            if r.author in authors or r.story in stories:
                continue
            out.append(r)
            authors.add(r.author)
            stories.add(r.story)
            if len(out) == REPS:
                break
        return out

    def key_terms(self, n: int = 10) -> list[str]:
        ranked = sorted(self.terms.items(), key=lambda kv: (-kv[1] * term_weight(kv[0]), kv[0]))
        phrases = [t for t, _ in ranked if b" " in t]
        out: list[bytes] = []
        for t, _ in ranked:
            if b" " not in t and t[:1] != b"#" and any(t in p.split(b" ") for p in phrases[:n]):
                continue  # a word already shown inside a phrase
            out.append(t)
            if len(out) == n:
                break
        return [display(t) for t in out]

    def merge(self, other: "EventState") -> None:
        self.add_terms(other.terms)
        self.posts += other.posts
        self.stories += other.stories
        self.authors.merge(other.authors)
        for k, v in other.langs.items():
            self.langs[k] = self.langs.get(k, 0) + v
        for k, v in other.places.items():
            self.places[k] = self.places.get(k, 0) + v
        self.first_seen = min(self.first_seen, other.first_seen)
        self.detected_at = min(self.detected_at, other.detected_at)
        self.last_seen = max(self.last_seen, other.last_seen)
        self.last_burst = max(self.last_burst, other.last_burst)
        step_us = int(other.curve_step_s * 1e6)
        for i, c in enumerate(other.curve):
            if c:
                self._curve_add(other.curve_start + i * step_us, c)
        self.pool.extend(other.pool)
        self._trim_pool()

    # -- records ------------------------------------------------------------------------

    def public(self) -> Event:
        reps = self.representatives()
        return Event(self.id, title_of(reps[0].text) if reps else " ".join(self.key_terms(4)), self.key_terms(),
                     dt(self.first_seen), dt(self.detected_at), dt(self.last_seen), self.status, self.posts,
                     self.stories, self.authors.estimate(), [r.key for r in reps],
                     dict(sorted(self.langs.items(), key=lambda kv: (-kv[1], kv[0]))),
                     dict(sorted(self.places.items(), key=lambda kv: (-kv[1], kv[0]))[:20]),
                     Curve(dt(self.curve_start), self.curve_step_s, list(self.curve)), self.merged_into,
                     list(self.detected_ids))

    def state(self) -> bytes:
        return orjson.dumps({
            "last_burst": self.last_burst, "terms": [[display(t), w] for t, w in self.terms.items()],
            "authors": [str(v) for v in self.authors.values()],
            "pool": [[r.score, r.ts, r.seq, r.key, str(r.author), r.story, r.text, [display(t) for t in r.terms]]
                     for r in self.pool[:POOL]],
            "curve_start": self.curve_start, "curve_step_s": self.curve_step_s,
        })

    @classmethod
    def restore(cls, ev: Event, state: bytes) -> "EventState":
        s = orjson.loads(state)
        e = cls(ev.id, to_us(ev.first_seen), to_us(ev.detected_at), to_us(ev.last_seen), s["last_burst"],
                ev.status, {t.encode(): w for t, w in s["terms"]}, ev.posts, ev.stories,
                Distinct([int(v) for v in s["authors"]]), dict(ev.langs), dict(ev.places), s["curve_start"],
                s["curve_step_s"], list(ev.curve.counts),
                [Rep(p[0], p[1], p[2], p[3], int(p[4]), p[5], p[6], frozenset(t.encode() for t in p[7]))
                 for p in s["pool"]], ev.merged_into, list(ev.detected_ids))
        return e


_TITLE_NOISE = re.compile(r"^\s*(?:rt\s+)?(?:@[\w.\-]+:?\s*)+|https?://\S+|\s+", re.IGNORECASE)


def title_of(text: str, limit: int = 120) -> str:
    t = _TITLE_NOISE.sub(lambda m: " " if m.group(0).isspace() or m.group(0).startswith("http") else "", text)
    t = " ".join(t.split())
    if t.endswith(("...", "…")):
        t = t.rstrip(".… ")
    if len(t) > limit:
        cut = t[:limit].rsplit(" ", 1)[0]
        t = (cut if len(cut) > limit // 2 else t[:limit]) + "…"
    return t


class EventTracker:
    """Owned by the trends worker thread."""

    def __init__(self, vocab: Vocabulary, model: BurstModel, next_id: int, *, min_authors: int, fade_s: float):
        self.vocab = vocab
        self.model = model
        self.next_id = next_id
        self.min_authors = min_authors
        self.fade_us = int(fade_s * 1e6)
        self.events: dict[int, EventState] = {}
        self.owner: dict[bytes, int] = {}  # term -> event
        self.story_event: dict[int, int] = {}
        self.overlap: dict[tuple[int, int], int] = {}
        self.redirect: dict[int, int] = {}  # merged event -> the event it merged into
        self.changed: set[int] = set()
        self.structural = False  # an event was raised, merged, faded or revived since the last flush
        self.vocab_gen = 0
        self._tried: dict[int, int] = {}  # unowned bursting term -> tick it last failed to form an event
        self.event_windows = [i for i, ws in enumerate(model.windows) if ws.window.span_s <= EVENT_MAX_SPAN_S]
        if not self.event_windows:
            self.event_windows = [0]
        self.look_back_us = int(max(model.windows[i].window.span_s for i in self.event_windows) * 1e6)

    def load(self, ev: Event, state: bytes | None) -> None:
        if state is None:
            return
        e = EventState.restore(ev, state)
        if e.merged_into is not None:
            self.redirect[e.id] = e.merged_into
        self.events[e.id] = e
        for t in e.terms:
            self.owner[t] = e.id

    def resolve(self, eid: int) -> EventState | None:
        """The event `eid` is now part of (itself unless merged), if still in memory."""
        seen = 0
        while eid in self.redirect and seen < 100:
            eid = self.redirect[eid]
            seen += 1
        return self.events.get(eid)

    # -- per tick -----------------------------------------------------------------------

    def on_tick(self, tick: int, t_us: int, chunk: Chunk, recent: Recent) -> None:
        self._match(chunk)
        self._bursts(tick, t_us, recent)
        self._merge()
        self._fade(t_us)

    def _match(self, chunk: Chunk) -> None:
        n = len(chunk)
        active = [e for e in sorted(self.events.values(), key=lambda e: e.id) if e.status == "active"]
        if not n:
            return
        best = np.full(n, -1, dtype=np.int64)
        if active and len(chunk.tids):
            best_score = np.zeros(n)
            post_of = chunk.post_of_occurrence()
            present = set(chunk.tids.tolist()) if len(chunk.tids) < 4096 else None
            for e in active:
                ids, wts = e.ids_weights(self.vocab, self.vocab_gen)
                if not len(ids) or (present is not None and present.isdisjoint(e.id_set(self.vocab, self.vocab_gen))):
                    continue
                pos = np.minimum(np.searchsorted(ids, chunk.tids), len(ids) - 1)
                hit = ids[pos] == chunk.tids
                sc = np.bincount(post_of[hit], weights=wts[pos[hit]], minlength=n)
                ok = (sc >= e.need()) & chunk.first
                both = ok & (best >= 0)
                if both.any():
                    for other, cnt in zip(*np.unique(best[both], return_counts=True)):
                        k = (int(other), e.id)
                        self.overlap[k] = self.overlap.get(k, 0) + int(cnt)
                better = ok & (sc > best_score)
                best[better] = e.id
                best_score[better] = sc[better]
        if self.story_event:
            for i in np.flatnonzero(~chunk.first).tolist():
                eid = self.story_event.get(int(chunk.story[i]))
                if eid is not None:
                    e = self.resolve(eid)
                    if e is not None and e.status == "active":
                        best[i] = e.id
        for i in np.flatnonzero(best >= 0).tolist():
            e = self.events[int(best[i])]
            self._add(e, chunk, i)

    def _add(self, e: EventState, chunk: Chunk, i: int) -> None:
        first = bool(chunk.first[i])
        rep = None
        story = int(chunk.story[i])
        if first:
            terms = self.vocab.terms
            rep = Rep(0.0, int(chunk.ts[i]), int(chunk.seq[i]), chunk.keys[i], int(chunk.author[i]), story,
                      chunk.texts[i] or "",
                      frozenset(terms[t] for t in chunk.tids[chunk.offsets[i]:chunk.offsets[i + 1]].tolist()))
            self.story_event[story] = e.id
            if len(self.story_event) > STORY_MAP_MAX:
                for k in list(self.story_event)[: STORY_MAP_MAX // 4]:
                    del self.story_event[k]
        e.add_post(int(chunk.ts[i]), int(chunk.author[i]), story, first, chunk.langs[i], chunk.places[i], rep)
        chunk.event[i] = e.id
        self.changed.add(e.id)

    def _bursts(self, tick: int, t_us: int, recent: Recent) -> None:
        bursting: set[int] = set()
        for wi in self.event_windows:
            bursting.update(self.model.windows[wi].bursting)
        unowned: list[int] = []
        terms = self.vocab.terms
        for tid in sorted(bursting):
            term = terms[tid]
            owner = self.owner.get(term)
            if owner is not None:
                e = self.resolve(owner)
                if e is not None and e.status == "active":
                    e.last_burst = t_us
                    continue
                if e is not None and e.status == "faded" and t_us - e.last_burst <= REVIVE_S * 1e6:
                    e.status = "active"
                    e.last_burst = t_us
                    self.changed.add(e.id)
                    self.structural = True
                    continue
                del self.owner[term]
            unowned.append(tid)
        self._tried = {t: k for t, k in self._tried.items() if t in bursting}
        # Terms that formed nothing are looked at again only after a while, or as soon as a new
        # term starts bursting (they may form an event together).
        if all(tick - self._tried.get(t, -(1 << 40)) < RETRY_TICKS for t in unowned):
            return
        view = recent.view(t_us - self.look_back_us)
        if not len(view):
            return
        P = view.posts_with(unowned)
        cands = [e for e in sorted(self.events.values(), key=lambda e: e.id)
                 if e.status == "active" or (e.status == "faded" and t_us - e.last_burst <= REVIVE_S * 1e6)]
        masks = {e.id: self._event_mask(e, view) for e in cands}
        left: list[int] = []
        for u in unowned:
            pu = P.get(u)
            if pu is None or not len(pu):
                self._tried[u] = tick
                continue
            best, best_frac = None, 0.0
            for e in cands:
                frac = float(masks[e.id][pu].mean())
                if frac > best_frac:
                    best, best_frac = e, frac
            if best is not None and best_frac >= ATTACH_SHARE:
                self._attach(best, u, len(pu), t_us)
            else:
                left.append(u)
        if left:
            self._form(left, P, view, tick, t_us)

    def _event_mask(self, e: EventState, view: View) -> np.ndarray:
        ids, wts = e.ids_weights(self.vocab, self.vocab_gen)
        n = len(view)
        sc = np.zeros(n)
        if len(ids) and len(view.tids):
            pos = np.minimum(np.searchsorted(ids, view.tids), len(ids) - 1)
            hit = ids[pos] == view.tids
            sc = np.bincount(view.post_of[hit], weights=wts[pos[hit]], minlength=n)
        return (sc >= e.need()) | (view.event == e.id)

    def _attach(self, e: EventState, tid: int, weight: int, t_us: int) -> None:
        term = self.vocab.terms[tid]
        e.add_terms({term: float(weight)})
        self.owner[term] = e.id
        e.last_burst = t_us
        if e.status != "active":
            e.status = "active"
            self.structural = True
        self.changed.add(e.id)

    def _form(self, left: list[int], P: dict[int, np.ndarray], view: View, tick: int, t_us: int) -> None:
        # Strongest bursts first; a bounded number per tick keeps the pairwise step small.
        z: dict[int, float] = {}
        for wi in self.event_windows:
            ids = np.asarray(sorted(set(left) & set(self.model.windows[wi].bursting)), dtype=np.int64)
            if len(ids):
                for tid, zz in zip(ids.tolist(), self.model.stats(wi, ids, t_us)[2].tolist()):
                    z[tid] = max(z.get(tid, 0.0), zz)
        left = sorted(left, key=lambda t: (-z.get(t, 0.0), t))[:200]
        parent = {u: u for u in left}

        def find(u: int) -> int:
            while parent[u] != u:
                parent[u] = parent[parent[u]]
                u = parent[u]
            return u

        for a in range(len(left)):
            pa = P[left[a]]
            for b in range(a + 1, len(left)):
                pb = P[left[b]]
                need = max(2.0, LINK_SHARE * min(len(pa), len(pb)))
                if min(len(pa), len(pb)) < need:
                    continue
                if len(np.intersect1d(pa, pb, assume_unique=True)) >= need:
                    ra, rb = find(left[a]), find(left[b])
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
        groups: dict[int, list[int]] = {}
        for u in left:
            groups.setdefault(find(u), []).append(u)
        terms = self.vocab.terms
        order = sorted(groups.values(), key=lambda g: min(int(P[u][0]) if len(P[u]) else 1 << 62 for u in g))
        for g in order:
            weight = sum(term_weight(terms[u]) for u in g)
            posts = np.unique(np.concatenate([P[u] for u in g]))
            posts = posts[view.event[posts] < 0]
            authors = len(np.unique(view.author[posts]))
            # A lone word needs twice the authors: a phrase, a hashtag or words that co-occur
            # say more about what happened than one word does.
            if weight < 2 and terms[g[0]] in GENERIC:
                authors = 0
            if authors < (self.min_authors if weight >= 2 else 2 * self.min_authors):
                for u in g:
                    self._tried[u] = tick
                continue
            self._raise(g, P, posts, view, t_us)

    def _raise(self, g: list[int], P: dict[int, np.ndarray], posts: np.ndarray, view: View, t_us: int) -> None:
        terms = self.vocab.terms
        e = EventState(self.next_id, int(view.ts[posts].min()), t_us, int(view.ts[posts].max()), t_us)
        self.next_id += 1
        e.add_terms({terms[u]: 0.0 for u in g})
        stories = view.story[posts]
        copies = np.flatnonzero(~view.first & (view.event < 0) & np.isin(view.story, stories))
        for i in np.concatenate([posts, copies]).tolist():
            ch, j = view.locate(i)
            self._add(e, ch, j)
            view.event[i] = e.id
        e.detected_ids = [r.key for r in e.representatives()]
        self.events[e.id] = e
        for u in g:
            self.owner[terms[u]] = e.id
        self.changed.add(e.id)
        self.structural = True

    def _merge(self) -> None:
        if not self.overlap:
            return
        for (a, b), cnt in sorted(self.overlap.items()):
            ea, eb = self.resolve(a), self.resolve(b)
            if ea is None or eb is None or ea is eb or ea.status != "active" or eb.status != "active":
                continue
            if cnt < max(3.0, MERGE_SHARE * min(ea.stories, eb.stories)):
                continue
            old, young = (ea, eb) if ea.id < eb.id else (eb, ea)
            old.merge(young)
            young.status = "merged"
            young.merged_into = old.id
            self.redirect[young.id] = old.id
            if len(self.redirect) > STORY_MAP_MAX:
                for k in list(self.redirect)[: STORY_MAP_MAX // 4]:
                    del self.redirect[k]
            for t in young.terms:
                self.owner[t] = old.id
            self.changed.update((old.id, young.id))
            self.structural = True
        self.overlap = {k: v for k, v in self.overlap.items()
                        if all((e := self.resolve(x)) is not None and e.status == "active" and e.id == x for x in k)}

    def _fade(self, t_us: int) -> None:
        for e in list(self.events.values()):
            if e.status == "active" and t_us - e.last_burst >= self.fade_us:
                e.status = "faded"
                self.changed.add(e.id)
                self.structural = True
            elif e.id not in self.changed and (e.status == "merged" or (e.status == "faded" and t_us - e.last_burst > REVIVE_S * 1e6)):
                # Gone for good: its record is in the store; its terms are free again.
                for t, owner in list(self.owner.items()):
                    if owner == e.id:
                        del self.owner[t]
                del self.events[e.id]

    def protected_terms(self) -> set[int]:
        out = set()
        for t in self.owner:
            i = self.vocab.get(t)
            if i is not None:
                out.add(i)
        return out

    def take_changes(self) -> list[tuple[int, str, int, int, int, bytes, bytes | None]]:
        """Rows for the store: (id, status, first_seen, detected_at, last_seen, doc, state)."""
        rows = []
        for eid in sorted(self.changed):
            e = self.events.get(eid)
            if e is None:
                continue
            pub = e.public()
            rows.append((e.id, e.status, e.first_seen, e.detected_at, e.last_seen, orjson.dumps(pub.to_dict()),
                         e.state() if e.status != "merged" else None))
        self.changed.clear()
        self.structural = False
        return rows


__all__ = ["EventTracker", "EventState", "Distinct", "title_of"]
