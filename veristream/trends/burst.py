"""Per-term rate model: which terms are bursting, over several windows, in event time.

For each window W (e.g. 5 min, 1 h, 24 h) every term has two exponentially decayed counts:
a fast one (time constant W: "how many in about the last W") and a slow one, the baseline
(time constant `BASELINE_FACTOR` × W). The stream's volume has the same two counts. The
term's expected count now is its baseline share of the stream times the stream's current
volume (so a busier hour does not make every word trend, and a cold start needs no warm
baseline), floored by a prior share for terms never seen before:

    expected = max((slow_term − fast_term) / (slow_volume − fast_volume), prior_share) × fast_volume
    z        = (fast_term − expected) / sqrt(expected + 1)

A term starts bursting when its count is at least `min_authors`, at least `ratio` × expected
and z ≥ `z_enter`; it stops when it falls under half of those (hysteresis; checked every
tick, every span/60 ticks for windows over an hour). A window reports bursts only after
`WARMUP_FACTOR` spans of stream.

**A topic that fills the stream.** A term already everywhere when the stream starts is its
own baseline and never rises over it. It bursts instead when it holds `dominant_share` of the
window's counted posts (the lower bound: count − 2√count) and that is `dominant_vs_background`
times its share in general language (`background.py`); it stops when it falls under half that
share.

**Distinct authors, not posts.** Only the first post of a story counts (copies, reposts and
copy-paste campaigns add nothing), and an author counts at most once per term and window
span: a (term, author) pair seen within the last W is not counted again. The pairs live in
a fixed-size table per window (slot = hash of the pair, holding a 32-bit fingerprint and
the tick it was counted), so memory is fixed whatever the stream's size; a slot reused by
another pair can only let an author count again early.

**Event time and determinism.** Posts are grouped into ticks of `tick_s` of event time.
Counts of a tick are folded into the model when the first post of a later tick arrives, in
one vectorised step, so the result depends only on the order of the posts, never on how
they were batched or how fast they arrived. Decay uses one global scale per time constant
(values are stored multiplied by e^(t/τ)), so a tick touches only the terms it contains.
The baseline leaves out about the last window (slow − fast) so that a burst does not raise
its own expectation.

**Bounded.** The vocabulary holds at most `max_terms` terms; when it is full the coldest
half (lowest baseline, not bursting, not held by an event) is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..settings.spans import parse_spans
from .terms import Vocabulary, display

BASELINE_FACTOR = 24.0  # baseline time constant, in window spans
WARMUP_FACTOR = 3.0  # a window needs this many spans of stream before it may report bursts
_RENORM = 600.0  # renormalise scaled values before e^(t/τ) gets near float64's range
_MULT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    span_s: float

    @property
    def baseline_s(self) -> float:
        return self.span_s * BASELINE_FACTOR




def parse_windows(spec: str) -> tuple[Window, ...]:
    """'5m,1h,24h' -> windows, shortest first."""
    return tuple(sorted((Window(name, s) for name, s in parse_spans(spec)), key=lambda w: w.span_s))


@dataclass(slots=True)
class Burst:
    """A term bursting in one window (its current figures come from `BurstModel.stats`)."""

    since_us: int
    dominant: bool = False  # entered as a topic filling the stream, not as a rise over its past


@dataclass(slots=True)
class _Decayed:
    """Exponentially decayed values with time constant `tau_s`, stored scaled by e^((t-base)/τ)."""

    tau_s: float
    values: np.ndarray
    total: float = 0.0  # the stream's volume, same scaling
    base_us: int = 0

    def scale(self, t_us: int) -> float:
        return math.exp((t_us - self.base_us) / 1e6 / self.tau_s)

    def renorm(self, t_us: int) -> None:
        f = math.exp(-(t_us - self.base_us) / 1e6 / self.tau_s)
        self.values *= f
        self.total *= f
        self.base_us = t_us


@dataclass(slots=True)
class _WindowState:
    window: Window
    fast: _Decayed
    slow: _Decayed
    horizon: int  # ticks an author counts once per term
    bursting: dict[int, Burst] = field(default_factory=dict)


class BurstModel:
    """Owned by one thread (the trends worker)."""

    def __init__(self, windows: tuple[Window, ...], vocab: Vocabulary, *, tick_s: float = 60.0,
                 min_authors: int = 5, z_enter: float = 4.0, ratio: float = 3.0, prior_share: float = 1e-4,
                 pair_slots: int = 1 << 20, dominant_share: float = 0.0, dominant_vs_background: float = 50.0,
                 background: Callable[[str], float | None] | None = None):
        self.vocab = vocab
        self.tick_us = int(tick_s * 1e6)
        self.min_count = float(min_authors)
        self.z_enter = z_enter
        self.ratio = ratio
        self.prior = prior_share
        # A topic that fills the stream from the start is its own baseline and never rises over
        # it; it bursts instead when it holds `dominant_share` of the window's posts and that is
        # `dominant_vs_background` times its share in general language (0: off).
        self.dominant_share = dominant_share
        self.dominant_vs_background = dominant_vs_background
        self.background = background
        self.started_us: int | None = None
        cap = 1024
        slots = 1 << max(10, int(pair_slots - 1).bit_length())
        self._mask = np.uint64(slots - 1)
        self.windows = [
            _WindowState(w, _Decayed(w.span_s, np.zeros(cap)), _Decayed(w.baseline_s, np.zeros(cap)),
                         max(1, int(round(w.span_s * 1e6 / self.tick_us))))
            for w in windows
        ]
        # Distinct-author tables, one row per window: per slot the fingerprint of the (term,
        # author) pair last counted there and the tick it was counted (-1: empty).
        self._fps = np.zeros((len(windows), slots), dtype=np.uint32)
        self._stamps = np.full((len(windows), slots), -1, dtype=np.int32)
        self._horizons = np.array([[ws.horizon] for ws in self.windows], dtype=np.int64)
        # Bursts in a window of many ticks are checked for their end every span/60 ticks.
        self._exit_every = [max(1, ws.horizon // 60) for ws in self.windows]

    # -- folding a tick ---------------------------------------------------------------

    def fold(self, tick: int, tids: np.ndarray, author_h: np.ndarray, posts: int) -> list[np.ndarray]:
        """Add one tick's counted occurrences (term id, author hash per occurrence; `posts`
        counted posts). Returns, per window, the ids whose count went up (may repeat)."""
        t_us = (tick + 1) * self.tick_us  # values are as of the end of the tick
        if self.started_us is None:
            self.started_us = tick * self.tick_us
        self._grow(len(self.vocab))
        changed: list[np.ndarray] = []
        fresh = tids_u = None
        if len(tids):
            with np.errstate(over="ignore"):
                keys = self.vocab.hashes[tids] ^ (author_h * _MULT)
            keys, uniq_first = np.unique(keys, return_index=True)
            slot = (keys & self._mask).astype(np.int64)
            fp = (keys >> np.uint64(32)).astype(np.uint32)
            stamps = self._stamps[:, slot]
            fresh = (self._fps[:, slot] != fp) | (stamps <= tick - self._horizons) | (stamps < 0)
            wi, k = np.nonzero(fresh)
            self._fps[wi, slot[k]] = fp[k]
            self._stamps[wi, slot[k]] = tick
            tids_u = tids[uniq_first]
        for i, ws in enumerate(self.windows):
            for d in (ws.fast, ws.slow):
                if (t_us - d.base_us) / 1e6 / d.tau_s > _RENORM:
                    d.renorm(t_us)
            sf, ss = ws.fast.scale(t_us), ws.slow.scale(t_us)
            ws.fast.total += posts * sf
            ws.slow.total += posts * ss
            if fresh is None:
                changed.append(np.zeros(0, dtype=np.int64))
                continue
            counted = tids_u[fresh[i]]  # may repeat a term (several authors)
            if len(counted) > 64:
                np.add.at(ws.fast.values, counted, sf)
                np.add.at(ws.slow.values, counted, ss)
            else:  # the same additions in the same order, without np.add.at's fixed cost
                fv, sv = ws.fast.values, ws.slow.values
                for t in counted.tolist():
                    fv[t] += sf
                    sv[t] += ss
            changed.append(counted)
        return changed

    def _grow(self, n: int) -> None:
        for ws in self.windows:
            for d in (ws.fast, ws.slow):
                if len(d.values) < n:
                    d.values = np.concatenate([d.values, np.zeros(max(n, 2 * len(d.values)) - len(d.values))])

    # -- reading ----------------------------------------------------------------------

    def stats(self, wi: int, ids: np.ndarray, t_us: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(count, expected, z) of terms `ids` in window `wi` at event time `t_us`."""
        ws = self.windows[wi]
        sf, ss = ws.fast.scale(t_us), ws.slow.scale(t_us)
        x = ws.fast.values[ids] / sf
        vol_fast = ws.fast.total / sf
        # The baseline leaves out about the last window (slow minus fast), so a burst does not
        # raise its own expectation; an old burst fades into the baseline as fast decays.
        base = np.maximum(ws.slow.values[ids] / ss - x, 0.0)
        vol_base = ws.slow.total / ss - vol_fast
        share = base / vol_base if vol_base > 0 else np.zeros(len(ids))
        exp = np.maximum(share, self.prior) * vol_fast
        z = (x - exp) / np.sqrt(exp + 1.0)
        return x, exp, z

    def warm(self, wi: int, t_us: int) -> bool:
        span = self.windows[wi].window.span_s
        return self.started_us is not None and (t_us - self.started_us) >= WARMUP_FACTOR * span * 1e6

    def evaluate(self, tick: int, changed: list[np.ndarray]) -> list[tuple[int, int]]:
        """Update burst states at the end of `tick`; returns (window index, term id) of bursts
        that started now."""
        t_us = (tick + 1) * self.tick_us
        started: list[tuple[int, int]] = []
        for wi, ws in enumerate(self.windows):
            if not self.warm(wi, t_us):
                continue
            ids = changed[wi]
            if len(ids):  # most terms of a tick are far under the count needed: look at the rest
                ids = ids[ws.fast.values[ids] >= self.min_count * ws.fast.scale(t_us)]
            if len(ids):
                x, e, z = self.stats(wi, ids, t_us)
                hot = (x >= self.min_count) & (x >= self.ratio * e) & (z >= self.z_enter)
                for j in np.flatnonzero(hot).tolist():
                    tid = int(ids[j])
                    if tid not in ws.bursting:
                        ws.bursting[tid] = Burst(t_us)
                        started.append((wi, tid))
                if self.dominant_share > 0 and self.background is not None:
                    vol = ws.fast.total / ws.fast.scale(t_us)
                    # Its share's lower bound (two standard deviations of a count): a few posts
                    # in a quiet window are not a topic filling the stream.
                    low = x - 2.0 * np.sqrt(x)
                    for j in np.flatnonzero(~hot & (x >= self.min_count) & (low >= self.dominant_share * vol)).tolist():
                        tid = int(ids[j])
                        if tid not in ws.bursting and self._unusual(tid, x[j] / vol):
                            ws.bursting[tid] = Burst(t_us, dominant=True)
                            started.append((wi, tid))
            if ws.bursting and tick % self._exit_every[wi] == 0:
                bids = np.fromiter(ws.bursting, dtype=np.int64, count=len(ws.bursting))
                x, e, z = self.stats(wi, bids, t_us)
                cold = (x < 0.5 * self.min_count) | (x < 0.5 * self.ratio * e) | (z < 0.5 * self.z_enter)
                if self.dominant_share > 0:
                    vol = ws.fast.total / ws.fast.scale(t_us)
                    dom = np.fromiter((ws.bursting[t].dominant for t in bids.tolist()), dtype=bool, count=len(bids))
                    cold = np.where(dom, (x < 0.5 * self.min_count) | (x < 0.5 * self.dominant_share * vol), cold)
                for tid in bids[cold].tolist():
                    del ws.bursting[tid]
        return started

    def _unusual(self, tid: int, share: float) -> bool:
        bg = self.background(display(self.vocab.terms[tid])) if self.background is not None else None
        return bg is not None and share >= self.dominant_vs_background * bg

    def bursting_ids(self, max_span_s: float | None = None) -> set[int]:
        out: set[int] = set()
        for ws in self.windows:
            if max_span_s is None or ws.window.span_s <= max_span_s:
                out.update(ws.bursting)
        return out

    def window_index(self, name: str) -> int:
        for i, ws in enumerate(self.windows):
            if ws.window.name == name:
                return i
        raise ValueError(f"unknown trend window {name!r}; configured: {', '.join(w.window.name for w in self.windows)}")

    # -- bounding memory ----------------------------------------------------------------

    def prune(self, t_us: int, protect: set[int]) -> np.ndarray | None:
        """Drop the coldest half of the vocabulary when it is over capacity; returns the
        old -> new id map (None when nothing was dropped)."""
        n = len(self.vocab)
        if n <= self.vocab.capacity:
            return None
        heat = np.zeros(n)
        for ws in self.windows:
            heat = np.maximum(heat, ws.slow.values[:n] / ws.slow.scale(t_us))
            heat = np.maximum(heat, ws.fast.values[:n] / ws.fast.scale(t_us))
        keep_n = self.vocab.capacity // 2
        keep = np.zeros(n, dtype=bool)
        keep[np.argpartition(-heat, keep_n)[:keep_n]] = True
        for tid in protect | self.bursting_ids():
            if tid < n:
                keep[tid] = True
        remap = self.vocab.keep(keep)
        kept = np.flatnonzero(keep)
        for ws in self.windows:
            for d in (ws.fast, ws.slow):
                v = np.zeros(max(1024, len(kept) * 2))
                v[: len(kept)] = d.values[kept]
                d.values = v
            ws.bursting = {int(remap[t]): b for t, b in ws.bursting.items()}
        return remap
