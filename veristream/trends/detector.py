"""What is happening now: bursting terms and the events they form, in event time.

    trends = Trends(store, settings)      # the Engine makes one and subscribes it
    trends.observe(accepted)              # per accepted batch, on the writer thread: enqueues only
    trends.trending("1h", limit=20)       # -> list[Trend], strongest burst first
    trends.events(since_us=None)          # -> list[Event], from the store

Layout: `terms` (what a post is about), `burst` (per-term rate model over several windows,
distinct authors), `recent` (the recent posts looked back over), `events` (grouping, merging,
fading), `records` (the typed records handed out). Events and the latest trending terms are
persisted in the store (`store.EventStore`), so read-only engines (another process, the CLI)
read them there.

**Threading.** `observe` runs on the engine's writer thread and only puts the batch on a
bounded queue; one worker thread (`veristream-trends`) owns all detector state and does the
work, so ingest never waits on detection unless the detector falls a whole queue behind
(then the writer blocks: back-pressure, nothing dropped). Reads (`trending`, `events`) first
let the worker catch up with everything accepted so far.

**Event time.** Posts are bucketed into ticks of one minute of `created_at`; a tick is
processed when the first post of a later tick arrives. "Now" is the end of the last processed
tick, never the wall clock, and results depend only on the order of the posts: replaying a
stream at any speed (or in any batch sizes) raises the same events at the same stream times.

**Restart.** On start-up the worker reloads the events it may still extend (active, or faded
recently) with their working state from the store, then replays the store's recent posts
(the last `REBUILD_S` of event time, at most `REBUILD_MAX` posts, in event-time order) through
the burst model to rebuild the term rates; events are not raised again during that replay.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from itertools import chain
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import orjson
import xxhash

from ..core.worker import STOP, Worker
from ..core.writer import Accepted, Prepared
from ..model import from_us, post_from_doc
from ..places import resolve_post
from ..settings import Settings
from ..core.store import EventStore, Store
from .burst import BurstModel, Window, parse_windows
from .events import EventTracker
from .recent import Chunk, Recent
from .records import Curve, Event, Trend, TrendsStatus
from .terms import Vocabulary, display, extract_many
from .background import post_share


log = logging.getLogger(__name__)

CHECKPOINT = "trends"  # the detector's name among the store's consumers
REBUILD_S = 24 * 3600.0
REBUILD_MAX = 100_000
SPARK_BINS = 12


@dataclass(frozen=True, slots=True)
class TrendConfig:
    windows: tuple[Window, ...] = parse_windows("5m,1h,24h")
    min_authors: int = 5
    fade_s: float = 3600.0
    tick_s: float = 60.0
    z_enter: float = 4.0
    ratio: float = 3.0
    prior_share: float = 1e-4
    dominant_share: float = 0.05  # a topic in this share of a window's posts ...
    dominant_vs_background: float = 50.0  # ... and this many times its general-language share bursts
    max_terms: int = 200_000  # vocabulary bound (the coldest half is dropped when full)
    pair_slots: int = 1 << 20  # distinct-author table size per window (8 bytes a slot)
    recent_s: float = 7200.0  # posts kept for grouping, representatives and sparklines
    recent_max: int = 100_000
    flush_s: float = 1.0  # least wall time between writes of events to the store
    queue_max: int = 64  # batches waiting for the worker before the writer blocks

    @classmethod
    def from_settings(cls, s: Settings) -> "TrendConfig":
        """From the `[trends]` section, which has checked every key (settings/sections.py)."""
        t = s.trends
        return cls(windows=parse_windows(t.windows), min_authors=t.min_authors, fade_s=t.fade_s,
                   dominant_share=t.dominant_share)


class _Call:
    def __init__(self, fn: Callable[[], Any]):
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class StoredTrends:
    """What a writer stored: the latest trending terms and the events, read from the store
    (read-only engines, other processes, the CLI, or an engine with detection off)."""

    readonly = True

    def __init__(self, store: Store, settings: Settings | None = None, config: TrendConfig | None = None):
        self.cfg = config or TrendConfig.from_settings(settings or Settings())
        self.db = EventStore(store)
        self._closed = False

    def sync(self, timeout: float | None = 60.0) -> None:
        """Nothing to wait for: what is stored is all there is."""

    def status(self) -> TrendsStatus:
        return TrendsStatus("stored")

    def trending(self, window: str = "1h", limit: int = 20) -> list[Trend]:
        """Terms bursting in `window` when the writer last stored them, strongest first."""
        self._check_window(window)
        return [Trend.from_dict(d) for d in self.db.trending(window, limit)]

    def events(self, since_us: int | None = None, limit: int = 50) -> list[Event]:
        """Events seen at/after `since_us` (event time), newest detection first."""
        self.sync()
        return [Event.from_dict(d) for d in self.db.events(since_us, limit)]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.db.close()

    def _check_window(self, window: str) -> None:
        if window not in {w.name for w in self.cfg.windows}:
            raise ValueError(f"unknown trend window {window!r}; configured (trends_windows): "
                             f"{', '.join(w.name for w in self.cfg.windows)}")


class Trends(StoredTrends):
    """The detector of a writing engine: it observes accepted batches on its worker and
    stores what it finds; reads let the worker catch up first."""

    readonly = False

    def __init__(self, store: Store, settings: Settings | None = None, config: TrendConfig | None = None,
                 db: EventStore | None = None, resume_seq: int | None = None):
        """`db`: where events go (default: this store's events; a detector in a process of its
        own reads a read-only store and hands its writes to the engine, see `process`).
        `resume_seq`: the posts up to it are replayed quietly on start-up (rates rebuilt, no
        event raised again); later ones must be observed. Default: everything stored now."""
        if store.readonly and db is None:
            raise ValueError("trend detection needs a writable store (read one with StoredTrends)")
        super().__init__(store, settings, config)
        if db is not None:
            self.db.close()
            self.db = db
        c = self.cfg
        self.vocab = Vocabulary(c.max_terms)
        self.model = BurstModel(c.windows, self.vocab, tick_s=c.tick_s, min_authors=c.min_authors, z_enter=c.z_enter,
                                ratio=c.ratio, prior_share=c.prior_share, pair_slots=c.pair_slots,
                                dominant_share=c.dominant_share, dominant_vs_background=c.dominant_vs_background,
                                background=post_share)
        self.recent = Recent(c.recent_s, c.recent_max)
        self.tracker = EventTracker(self.vocab, self.model, 1, min_authors=c.min_authors, fade_s=c.fade_s)
        self.tick: int | None = None
        self.now_us: int | None = None  # end of the last processed tick
        self._tick_us = self.model.tick_us
        self._buf = _TickBuffer()
        self._author_memo: dict[str, int] = {}
        self._quiet = False
        self._snapshot_due = False
        self._last_flush = 0.0
        # What start-up replays: the store as it is now; later posts arrive through observe.
        self._resume_seq = store.cursor().seq if resume_seq is None else resume_seq
        # The newest seq processed, and the one last stored as the detector's checkpoint (moved
        # with the events it raised, in one transaction: a restart from it raises each once).
        self.seq_done = self._saved_seq = self._resume_seq
        # Story ids grow: a post opens a story when its id is above every one seen before it.
        self.max_story = store.max_story() if resume_seq is None else store.max_story_upto(resume_seq)
        self.busy_s = 0.0  # CPU time of the worker spent on batches (for benchmarks)
        # How far behind the detector is: posts handed over (writer thread) and processed
        # (worker), and the newest event time processed; plain counters, read without a lock.
        # The newest accepted is the store's (read when asked, not on the writer's path).
        self._store = store
        self._offered = self._processed = 0
        self._processed_us: int | None = None
        self._q: queue.Queue = queue.Queue(maxsize=c.queue_max)
        self._worker = Worker("trends", self._run).start()

    # -- the public side ------------------------------------------------------------------

    def observe(self, acc: Accepted) -> None:
        """Engine listener: called on the writer thread after each accepted batch."""
        if acc.items and not self._closed and self._worker.alive:
            self._offered += len(acc.items)
            self._q.put(acc)

    def status(self) -> TrendsStatus:
        if self._closed:
            return TrendsStatus("stopped")
        behind = max(0, self._offered - self._processed)
        offered, done = self._store.newest_ts(), self._processed_us
        if behind == 0:
            lag = 0.0 if offered is not None else None
        else:
            lag = max(0.0, (offered - done) / 1e6) if offered is not None and done is not None else None
        return TrendsStatus(self._worker.state, behind, lag)

    def sync(self, timeout: float | None = 60.0) -> None:
        """Wait until everything observed so far is processed and written to the store."""
        if not self._closed:
            self._call(lambda: self._flush(force=True), timeout)

    def trending(self, window: str = "1h", limit: int = 20) -> list[Trend]:
        """Terms bursting now in `window`, strongest first."""
        if self._closed:
            return super().trending(window, limit)
        self._check_window(window)
        return self._call(lambda: self._trending(window, limit))

    def close(self) -> None:
        """Process what is queued, write it out, stop the worker; safe to call twice."""
        if self._closed:
            return
        self._worker.finish(self._q)
        super().close()

    def _call(self, fn: Callable[[], Any], timeout: float | None = 60.0) -> Any:
        if not self._worker.alive:
            raise RuntimeError("the trends worker has stopped (see the log)")
        c = _Call(fn)
        self._q.put(c)
        if not c.done.wait(timeout):
            raise TimeoutError("trends worker did not answer")
        if c.error is not None:
            raise c.error
        return c.result

    # -- the worker -----------------------------------------------------------------------

    def _run(self, worker: Worker) -> None:
        try:
            self._resume()
        except Exception:
            log.exception("trends: resuming from the store failed; starting cold")
        q = self._q
        while True:
            item = q.get()
            if item is STOP:
                try:
                    self._flush(force=True)
                except Exception:
                    log.exception("trends: final flush failed")
                return
            if isinstance(item, _Call):
                try:
                    item.result = item.fn()
                except BaseException as e:  # handed to the caller
                    item.error = e
                item.done.set()
                continue
            t0 = time.thread_time()
            try:
                self._observe(item)
            except Exception:  # a detector bug must not stop ingest
                log.exception("trends: a batch failed")
            self.busy_s += time.thread_time() - t0
            if item.seqs:
                self.seq_done = max(self.seq_done, max(item.seqs))
            newest = max(it.ts for it in item.items)
            if self._processed_us is None or newest > self._processed_us:
                self._processed_us = newest
            self._processed += len(item.items)
            if q.empty() or time.monotonic() - self._last_flush >= self.cfg.flush_s:
                try:
                    self._flush()
                except Exception:
                    log.exception("trends: writing events failed")

    def _observe(self, acc: Accepted, first: list[bool] | None = None) -> None:
        items = acc.items
        n = len(items)
        if not n:
            return
        tick_us = self._tick_us
        ts = [it.ts for it in items]
        stories = acc.stories
        if first is None:
            # Story ids grow: a story is new to us when its id is above every one seen.
            st = np.asarray(stories, dtype=np.int64)
            prev = np.maximum.accumulate(np.concatenate([[self.max_story], st]))[:-1]
            first = (st > prev).tolist()
            self.max_story = max(self.max_story, int(st.max()))
        ticks = [t // tick_us for t in ts]
        start = 0
        if self.tick is None:
            self.tick = ticks[0]
        cur = self.tick
        for i in range(n):
            if ticks[i] > cur:
                if i > start:
                    self._buf.add(items, acc.seqs, stories, first, start, i, self._author_hash)
                start = i
                self._close_tick()
                cur = self.tick = ticks[i]
        self._buf.add(items, acc.seqs, stories, first, start, n, self._author_hash)

    def _author_hash(self, author: str) -> int:
        h = self._author_memo.get(author)
        if h is None:
            if len(self._author_memo) > 500_000:
                self._author_memo.clear()
            h = self._author_memo[author] = xxhash.xxh3_64_intdigest(author.encode())
        return h

    def _close_tick(self) -> None:
        b = self._buf
        self._buf = _TickBuffer()
        tick = self.tick
        assert tick is not None
        t_us = (tick + 1) * self._tick_us
        n = len(b.seq)
        if not n:
            return
        first = np.asarray(b.first, dtype=bool)
        fidx = np.flatnonzero(first).tolist()
        terms = extract_many([b.text[i] for i in fidx], [b.tags[i] for i in fidx])
        tids = np.asarray(self.vocab.ids_of(list(chain.from_iterable(terms))), dtype=np.int64)
        lens = np.zeros(n, dtype=np.int64)
        lens[fidx] = list(map(len, terms))
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        author = np.asarray(b.author, dtype=np.uint64)
        changed = self.model.fold(tick, tids, np.repeat(author, lens), len(fidx))
        self.model.evaluate(tick, changed)
        chunk = Chunk(tick, np.asarray(b.seq, dtype=np.int64), np.asarray(b.ts, dtype=np.int64), author,
                      np.asarray(b.story, dtype=np.int64), first, offsets, tids, b.key,
                      [b.text[i] if first[i] else None for i in range(n)], b.lang, b.places())
        self.recent.add(chunk, t_us)
        self.now_us = t_us
        self._snapshot_due = True
        if not self._quiet:
            self.tracker.on_tick(tick, t_us, chunk, self.recent)
        remap = self.model.prune(t_us, self.tracker.protected_terms()) if len(self.vocab) > self.vocab.capacity else None
        if remap is not None:
            self.recent.remap(remap)
            self.tracker.vocab_gen += 1

    # -- reading (on the worker) ------------------------------------------------------------

    def _trending(self, window: str, limit: int) -> list[Trend]:
        wi = self.model.window_index(window)
        ws = self.model.windows[wi]
        t_us = self.now_us
        if t_us is None or not ws.bursting:
            return []
        ids = np.fromiter(sorted(ws.bursting), dtype=np.int64, count=len(ws.bursting))
        x, e, z = self.model.stats(wi, ids, t_us)
        order = sorted(range(len(ids)), key=lambda j: (-z[j], display(self.vocab.terms[int(ids[j])])))[:limit]
        top = [int(ids[j]) for j in order]
        span_us = int(min(2 * ws.window.span_s, self.cfg.recent_s) * 1e6)
        step_us = span_us // SPARK_BINS
        spark = self._spark(top, t_us - SPARK_BINS * step_us, step_us)
        out = []
        for j, tid in zip(order, top):
            term = self.vocab.terms[tid]
            owner = self.tracker.owner.get(term)
            ev = self.tracker.resolve(owner) if owner is not None else None
            out.append(Trend(display(term), ws.window.name, float(z[j]), float(x[j]), float(e[j]),
                             from_us(ws.bursting[tid].since_us), spark[tid], step_us / 1e6,
                             ev.id if ev is not None else None))
        return out

    def _spark(self, tids: list[int], start_us: int, step_us: int) -> dict[int, list[int]]:
        view = self.recent.view(start_us)
        out = {t: [0] * SPARK_BINS for t in tids}
        if not len(view) or not tids:
            return out
        want = np.asarray(sorted(tids), dtype=np.int64)
        m = np.isin(view.tids, want)
        t_occ = view.tids[m]
        bins = (view.ts[view.post_of[m]] - start_us) // step_us
        ok = (bins >= 0) & (bins < SPARK_BINS)
        row = np.searchsorted(want, t_occ[ok])
        grid = np.zeros((len(want), SPARK_BINS), dtype=np.int64)
        np.add.at(grid, (row, bins[ok]), 1)
        for r, t in enumerate(want.tolist()):
            out[t] = grid[r].tolist()
        return out

    # -- persistence ------------------------------------------------------------------------

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_flush < self.cfg.flush_s:
            return
        self._last_flush = now
        rows = self.tracker.take_changes()
        snap: dict[str, list[bytes]] | None = None
        if self._snapshot_due and self.now_us is not None:
            snap = {ws.window.name: [orjson.dumps(t.to_dict()) for t in self._trending(ws.window.name, 50)]
                    for ws in self.model.windows}
            self._snapshot_due = False
        seq = self.seq_done
        if rows or snap or seq > self._saved_seq:
            self.db.save(rows, snap, (CHECKPOINT, seq, self._processed_us))
            self._saved_seq = seq

    def _resume(self) -> None:
        self.tracker.next_id = self.db.max_id() + 1
        store = self.db.store
        newest = store.newest_ts()
        if newest is None:
            return
        for doc, state in self.db.resumable(newest - int((self.cfg.fade_s + 6 * 3600) * 1e6)):
            self.tracker.load(Event.from_dict(doc), state)
        rows = self.db.recent_posts(self._resume_seq, newest - int(REBUILD_S * 1e6), REBUILD_MAX)
        if not rows:
            return
        self._quiet = True
        try:
            seen: set[int] = set()
            for i in range(0, len(rows), 2000):
                part = rows[i : i + 2000]
                items, seqs, stories, first = [], [], [], []
                for seq, ts, author, story, doc in part:
                    items.append(_from_row(ts, author, doc))
                    seqs.append(seq)
                    stories.append(story)
                    first.append(story not in seen)
                    seen.add(story)
                self._observe(Accepted(items, seqs, stories, []), first)  # type: ignore[arg-type]
        finally:
            self._quiet = False


class _TickBuffer:
    """Columns of the posts of the tick in progress."""

    __slots__ = ("seq", "ts", "author", "story", "first", "key", "text", "tags", "lang", "geo", "named")

    def __init__(self) -> None:
        self.seq: list[int] = []
        self.ts: list[int] = []
        self.author: list[int] = []
        self.story: list[int] = []
        self.first: list[bool] = []
        self.key: list[str] = []
        self.text: list[str] = []
        self.tags: list[list[str]] = []
        self.lang: list[str] = []
        self.geo: list[bytes | None] = []
        self.named: list[str | None] = []

    def add(self, items: list[Prepared], seqs: list[int], stories: list[int], first: list[bool], lo: int, hi: int,
            author_hash: Callable[[str], int]) -> None:
        part = items[lo:hi] if (lo or hi != len(items)) else items
        # Every column is computed before any is extended: they stay the same length.
        ts = [it.ts for it in part]
        author = list(map(author_hash, [it.author for it in part]))
        geo = [it.doc if b'"geo":{' in it.doc else None for it in part]
        named = [it.place or None for it in part]  # resolved from its words (veristream.places)
        self.seq += seqs[lo:hi]
        self.story += stories[lo:hi]
        self.first += first[lo:hi]
        self.ts += ts
        self.author += author
        self.key += [it.key for it in part]
        self.text += [it.text for it in part]
        self.tags += [it.tags for it in part]
        self.lang += [it.lang for it in part]
        self.geo += geo
        self.named += named

    def places(self) -> list[str | None]:
        # The service's place first; else the place its words name, resolved at prepare time.
        return [(_place(g) if g is not None else None) or n for g, n in zip(self.geo, self.named)]


def _place(doc: bytes) -> str | None:
    try:
        g = orjson.loads(doc).get("geo") or {}
    except orjson.JSONDecodeError:
        return None
    if g.get("place"):
        return str(g["place"])
    if g.get("country"):
        return str(g["country"])
    if g.get("lat") is not None and g.get("lon") is not None:
        return f"{g['lat']:.1f},{g['lon']:.1f}"
    return None


class _Stored(NamedTuple):
    """A stored post, replayed on start-up: the fields of `Prepared` the detector reads."""

    key: str
    ts: int
    author: str
    text: str
    tags: list[str]
    lang: str
    doc: bytes  # only its geo
    place: str = ""  # the place its words name (as `Prepared.place`)


def _from_row(ts: int, author: str, doc: bytes, place: str | None = None) -> _Stored:
    """`place`: the place its words name, when known (the writer resolved it: `Prepared.place`,
    "" for none); None: resolved here (the gazetteer: most of the cost of a row)."""
    d = orjson.loads(doc)
    geo = orjson.dumps({"geo": d["geo"]}) if d.get("geo") else b""
    if place is None:
        pl = None if d.get("geo") else resolve_post(post_from_doc(d))
        place = pl.label() if pl is not None else ""
    return _Stored(f"{d.get('source', 'file')}:{d.get('id')}", ts, author, d.get("text") or "",
                   d.get("hashtags") or [], d.get("lang") or "", geo, place)


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int] | list[float]) -> str:
    """Values as a row of block characters (terminal sparkline)."""
    if not values:
        return ""
    hi = max(values)
    if hi <= 0:
        return _BARS[0] * len(values)
    return "".join(_BARS[min(len(_BARS) - 1, int(v / hi * (len(_BARS) - 1) + 0.5))] for v in values)
