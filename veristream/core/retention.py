"""Retention: how long posts are kept, and the expiry that enforces it in the background.

Three limits, any combination (0 turns one off):

- `retention_days`: age, in the clock `retention_clock` names. `event` (the default) measures
  a post's `created_at` back from the newest post's `created_at` (the same event-time "now"
  that search uses, so a replayed stream expires as it would have live), capped at the wall
  clock + 10 minutes so one post dated in the future cannot expire everything. `arrival`
  measures from when the post was stored, on the wall clock.
- `retention_max_posts`: the oldest posts (in that clock) beyond this count expire.
- `retention_max_disk_mb`: when store + indexes pass this size, the oldest posts expire until
  they are back under 90 % of it (sizes count live data: SQLite reuses the pages it frees and
  tantivy drops deleted documents when it merges, so neither file shrinks at once). Expiry
  frees only store and lexical index; the rest (the vector index: usearch keeps the slots of
  removed vectors, so its file never shrinks) counts as a fixed share of the limit, and the
  posts are fitted into what it leaves. When that share alone fills the limit nothing expires
  by size (a warning says so): expiring every post would not bring the size down.

Expiry goes through the engine's single writer, `retention_batch` posts per hold of the
write lock (doubling, up to 4x, while more is due, so it keeps pace with a busy ingest). The
lock is granted in FIFO order, so an ingest batch waiting for it goes before the next expiry
batch: ingest never waits longer than one expiry batch. Each batch leaves store and
index together (the store logs the deletions, so a crash between the two is repaired on
start-up) and is announced to removal listeners (trends, vectors). Story summaries (counts,
first/last seen, title) outlive their posts until the story's last post is
`retention_story_days` old; the change log and arrival marks the index no longer needs are
pruned, so nothing grows with expired posts.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from .worker import Worker

if TYPE_CHECKING:
    from .index.lexical import LexicalIndex
    from .writer import Writer
    from .store import Store

log = logging.getLogger(__name__)

DAY_US = 86_400 * 1_000_000
MAX_FUTURE_US = 600 * 1_000_000  # event-time now is at most the wall clock + 10 minutes
DISK_TARGET = 0.9  # over the disk limit, expire down to this share of it
SUMMARY_SCAN = 20_000  # story summaries looked at per run (the scan resumes where it stopped)
CATCH_UP = 4  # a run that finds more due grows its batches up to this many times retention_batch
ARRIVALS_KEEP_S = 3600  # arrival marks kept for the ingest rate, beyond those stored posts need


@dataclass(frozen=True, slots=True)
class Retention:
    """The retention in force (from settings)."""

    days: float = 0.0
    clock: str = "event"
    max_posts: int = 0
    max_disk_mb: float = 0.0
    story_days: float = 30.0
    interval_s: float = 10.0
    batch: int = 1000

    @classmethod
    def from_settings(cls, s: Settings) -> "Retention":
        r = s.retention
        return cls(r.days, r.clock, r.max_posts, r.max_disk_mb, r.story_days, r.interval_s, r.batch)

    @property
    def in_force(self) -> bool:
        return bool(self.days or self.max_posts or self.max_disk_mb)

    def to_dict(self) -> dict[str, Any]:
        return {"in_force": self.in_force, **asdict(self)}

    def describe(self) -> str:
        if not self.in_force:
            return "none (posts are kept forever)"
        parts = []
        if self.days:
            parts.append(f"{_days(self.days)} of {'event time' if self.clock == 'event' else 'arrival (wall clock)'}")
        if self.max_posts:
            parts.append(f"at most {self.max_posts:,} posts")
        if self.max_disk_mb:
            parts.append(f"at most {self.max_disk_mb:,.0f} MB")
        when = f"expiry every {self.interval_s:g}s" if self.interval_s else "expiry on demand only"
        return f"{', '.join(parts)}; story summaries kept {_days(self.story_days)} past their last post; {when}"


def _days(d: float) -> str:
    if d >= 1:
        return f"{d:g} days"
    if d * 24 >= 1:
        return f"{d * 24:g} hours"
    return f"{d * 1440:g} minutes"


@dataclass(slots=True)
class ExpiryReport:
    by_age: int = 0
    by_count: int = 0
    by_disk: int = 0
    summaries: int = 0  # story summaries dropped (their last post passed retention_story_days)
    events: int = 0  # faded trend events dropped on the same horizon
    batches: int = 0
    longest_hold_ms: float = 0.0  # longest single hold of the write lock
    took_s: float = 0.0
    runs: int = 0

    @property
    def expired(self) -> int:
        return self.by_age + self.by_count + self.by_disk

    def add(self, o: "ExpiryReport") -> None:
        self.by_age += o.by_age
        self.by_count += o.by_count
        self.by_disk += o.by_disk
        self.summaries += o.summaries
        self.batches += o.batches
        self.longest_hold_ms = max(self.longest_hold_ms, o.longest_hold_ms)
        self.took_s += o.took_s
        self.runs += o.runs

    def to_dict(self) -> dict[str, Any]:
        return {"expired": self.expired, **asdict(self)}


def release_freed_memory() -> None:
    """Hand memory freed by expiry back to the OS. glibc keeps freed blocks in per-thread
    arenas; with the writer, searchers and workers each allocating in their own, a process
    under retention creeps up in RSS though what it holds stays flat (bench/soak.py)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


class Expirer:
    """Enforces a `Retention` for one engine: `run()` once, or `start()` a background thread.

    `lock` is the engine's write lock; `disk_used` returns the live bytes of store + indexes
    (the share expiry cannot free is what it counts beyond the store's and the lexical index's)."""

    def __init__(self, store: Store, index: LexicalIndex, writer: Writer, lock: AbstractContextManager,
                 retention: Retention, disk_used: Callable[[], int]):
        self.store = store
        self.index = index
        self.writer = writer
        self.lock = lock
        self.retention = retention
        self.disk_used = disk_used
        self.totals = ExpiryReport()  # of finished runs
        self.removed = 0  # posts removed so far, updated batch by batch
        self.last_run_at: float | None = None  # wall clock
        self._run_lock = threading.Lock()
        self._worker: Worker | None = None
        self._summary_cursor = 0
        self.disk_stuck = False  # the last run found the limit filled by what expiry cannot free

    # -- background ---------------------------------------------------------------------

    def start(self) -> None:
        if self._worker is None and self.retention.interval_s > 0:
            self._worker = Worker("expiry", self._loop).start()

    def _loop(self, worker: Worker) -> None:
        wait = min(1.0, self.retention.interval_s)  # soon after start: a restart may find a backlog
        while not worker.sleep(wait):
            wait = self.retention.interval_s
            try:
                if self.run().expired:
                    release_freed_memory()
            except Exception:  # logged; the next run tries again
                log.exception("expiry run failed")

    def stop(self) -> None:
        """Stop the background thread (an expiry batch in progress finishes first)."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    @property
    def _stopping(self) -> bool:
        w = self._worker
        return w is not None and w.stopping

    # -- one run --------------------------------------------------------------------------

    def run(self) -> ExpiryReport:
        """Expire everything the retention says is due, in batches; returns what was done."""
        rep = ExpiryReport(runs=1)
        t0 = time.perf_counter()
        with self._run_lock:
            r = self.retention
            by = "ts" if r.clock == "event" else "seq"
            if r.days:
                if r.clock == "event":
                    now = self._event_now()
                    if now is not None:
                        horizon = now - round(r.days * DAY_US)
                        rep.by_age = self._drain(rep, "age", horizon, lambda n: self.store.oldest(n, "ts", before_ts=horizon))
                else:
                    upto = self.store.arrived_before(time.time() - r.days * 86_400)
                    if upto:
                        rep.by_age = self._drain(rep, "age", None, lambda n: self.store.oldest(n, "seq", upto_seq=upto))
            if r.max_posts:
                excess = self.store.count() - r.max_posts
                if excess > 0:
                    rep.by_count = self._drain(rep, "count", None, lambda n: self.store.oldest(n, by), excess)
            if r.max_disk_mb:
                n = self._due_by_disk(r.max_disk_mb * 1_000_000)
                if n:
                    rep.by_disk = self._drain(rep, "disk", None, lambda k: self.store.oldest(k, by), n)
            rep.summaries = self._drop_summaries(rep)
            self._prune()
        rep.took_s = time.perf_counter() - t0
        self.totals.add(rep)
        self.last_run_at = time.time()
        if rep.expired or rep.summaries:
            log.info("expired %d posts (%d by age, %d by count, %d by disk) and %d story summaries in %.2fs",
                     rep.expired, rep.by_age, rep.by_count, rep.by_disk, rep.summaries, rep.took_s)
        return rep

    def freeable_bytes(self) -> int:
        """Live bytes that expiring posts frees: the store's pages in use and the lexical
        index's live documents."""
        return self.store.used_bytes() + self.index.disk_bytes()[1]

    def _due_by_disk(self, limit: float) -> int:
        """Posts to expire so that store + indexes fall to DISK_TARGET of `limit`, counting
        what expiry cannot shrink as fixed; never every post."""
        used = self.disk_used()
        if used <= limit:
            self.disk_stuck = False
            return 0
        freeable = self.freeable_bytes()
        fixed = max(0, used - freeable)
        room = DISK_TARGET * limit - fixed  # what the posts may take beside the fixed part
        count = self.store.count()
        if room <= 0 or freeable <= 0:
            if not self.disk_stuck:
                log.warning("retention_max_disk_mb (%.1f MB) is filled by %.1f MB that expiry cannot free "
                            "(the vector index keeps its size): no post expires by size; raise the limit",
                            limit / 1e6, fixed / 1e6)
            self.disk_stuck = True
            return 0
        self.disk_stuck = False
        if freeable <= room:
            return 0
        # Posts take about the same room each: expire the share of them over the room.
        return min(count - 1, math.ceil(count * (freeable - room) / freeable)) if count > 1 else 0

    def _event_now(self) -> int | None:
        newest = self.writer.newest_us
        if newest is None:
            return None
        return min(newest, time.time_ns() // 1000 + MAX_FUTURE_US)

    def _drain(self, rep: ExpiryReport, reason: str, horizon: int | None, pick: Callable[[int], list[int]],
               limit: int | None = None) -> int:
        """Remove batches of `pick(n)` (the oldest due posts, read outside the lock) until none
        is left or `limit` posts are gone."""
        done = 0
        size = self.retention.batch
        while not self._stopping and (limit is None or done < limit):
            want = size if limit is None else min(size, limit - done)
            seqs = pick(want)
            if not seqs:
                break
            with self.lock:  # FIFO: a waiting ingest batch goes before the next expiry batch
                t0 = time.perf_counter()
                n = len(self.writer.remove(seqs, reason, horizon).seqs)
                held = time.perf_counter() - t0
            rep.batches += 1
            rep.longest_hold_ms = max(rep.longest_hold_ms, held * 1000)
            done += n
            self.removed += n
            if n == 0 or len(seqs) < want:
                break
            # Still behind: bigger batches (up to CATCH_UP x), so expiry keeps pace with an
            # ingest that has the writer busy, each turn of the lock moving more posts out.
            size = min(size * 2, CATCH_UP * self.retention.batch)
        return done

    def _drop_summaries(self, rep: ExpiryReport) -> int:
        r = self.retention
        if r.clock == "event":
            now = self._event_now()
            if now is None:
                return 0
        else:
            now = time.time_ns() // 1000
        before = now - round(r.story_days * DAY_US)
        page = self.store.summaries_page(self._summary_cursor, SUMMARY_SCAN)
        self._summary_cursor = page[-1][0] if len(page) == SUMMARY_SCAN else 0
        due = [sid for sid, last_ts in page if last_ts < before]
        dropped = 0
        for i in range(0, len(due), r.batch):
            if self._stopping:
                break
            with self.lock:
                dropped += self.store.drop_summaries(due[i : i + r.batch], before)
            rep.batches += 1
        with self.lock:
            rep.events += self.store.drop_events(before)
        return dropped

    def _prune(self) -> None:
        """Drop change-log entries the committed index covers, and arrival marks no post needs."""
        with self.lock:
            self.writer.commit_all(only_if_changed=True)  # so the cold checkpoint covers the removals just made
            upto = self.index.checkpoint().change
            self.store.prune_changes(upto)
            self.store.prune_arrivals(time.time() - ARRIVALS_KEEP_S)
