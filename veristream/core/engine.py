"""The core: one data directory's store (the log), single writer, stories, index and search.

It imports nothing above it. Services (trends, vectors, answers, verification, notes,
operations) are built on a `Core` by the application object (`veristream.Engine`), subscribe
to what it accepts and removes, and use only its public methods. There is no process-wide
state: several cores (e.g. one per partition of a stream) can live in one process.

Threading rule: searches are safe from any thread; writes are serialised by one lock and go
through a single `Writer`. `Pipeline` adds a bounded queue and a writer thread in front, for
streams: producers block when the core falls behind (back-pressure), nothing is dropped.
Retention expires posts on a background thread of a writing core, through the same lock, a
small batch at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from ..model import Post, from_us, post_from_doc, to_us
from ..settings import Settings
from .errors import EngineError
from .index.lexical import Filters
from .index.tiered import TieredIndex
from .layout import DataDir, dir_size
from .pipeline import Pipeline
from .quarantine import Quarantine, Rejection
from .retention import Expirer, ExpiryReport, Retention
from .search import SearchQuery, SearchResult, Searcher, StoredPost, StorySummary
from .store import Store
from .writer import NOW, FairLock, IngestResult, Listener, Prepared, RemovalListener, Writer, prepare_checked

log = logging.getLogger(__name__)


class Core:
    """`Core(data_dir, settings, readonly=False, start=True)`.

    A writing core runs retention in the background once started (`start()`, or `start=True`):
    the application starts it after its services have subscribed, so that every removal
    reaches them."""

    def __init__(self, data_dir: str | Path, settings: Settings, readonly: bool = False, start: bool = True):
        self.layout = DataDir(data_dir)
        self.data_dir = self.layout.root
        self.readonly = readonly
        if readonly and not self.layout.exists():
            raise EngineError(f"no veristream data in {self.data_dir} (run `veristream ingest` first)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings
        self.store = Store(self.layout.store, settings.core.durability, readonly=readonly)
        c = settings.core
        self.index = TieredIndex(self.layout.index, self.layout.hot_index(c.index_hot_dir), self.layout.store,
                                 c.index_heap_mb, c.index_threads, readonly=readonly, hot=c.index_cold_commit_s > 0)
        self.quarantine = Quarantine(self.layout.quarantine, int(settings.core.quarantine_max_mb * (1 << 20)))
        self._lock = FairLock()  # FIFO: the pipeline's writer and expiry take turns
        self._closed = False
        self._writer: Writer | None = None
        self._disk_users: list[Callable[[], int]] = []
        self.repaired = 0  # posts the index was missing at start-up, replayed from the store
        self.retention = Retention.from_settings(settings)
        self._expirer: Expirer | None = None
        if not readonly:
            self._writer = Writer(self.store, self.index, settings, self._lock)
            self.repaired = self._writer.repair()
            if settings.core.index_process:
                self._writer.start_cold_process()
            self._expirer = Expirer(self.store, self.index, self._writer, self._lock, self.retention, self.live_bytes)
        self.searcher = Searcher(self.store, self.index, settings)
        if start:
            self.start()

    def start(self) -> None:
        """Start background expiry (a writing core with retention in force); idempotent."""
        if self._expirer is not None and self.retention.in_force:
            self._expirer.start()

    # -- writing ----------------------------------------------------------------------

    def ingest(self, posts: Sequence[Post], offsets: dict[str, str] | None = None) -> IngestResult:
        """Store and index `posts`. On return they are accepted (on disk) and searchable
        (unless `commit_interval_ms` defers the index commit). A post that cannot be stored
        raises BadPost (naming it) before anything is written."""
        w = self._need_writer()
        items = w.prepare(posts)  # outside the lock: needs no store state
        with self._lock:
            return w.write(items, offsets)

    def ingest_prepared(self, items: Sequence[Prepared], offsets: dict[str, str] | None = None,
                        when: str = NOW) -> IngestResult:
        """Like `ingest`, for posts already prepared elsewhere (e.g. by worker processes).
        `when` they become searchable: on return (`NOW`), or later (`BESIDE`, `BULK`: see
        `writer`); `commit` makes them so."""
        w = self._need_writer()
        with self._lock:
            return w.write(items, offsets, when)

    def prepare(self, posts: Sequence[Post]) -> list[Prepared]:
        """Prepare `posts` for `ingest_prepared` (the work that needs no store state)."""
        return self._need_writer().prepare(posts)

    def prepare_checked(self, posts: Sequence[Post], encoded: Sequence[bytes] | None = None
                        ) -> tuple[list[Prepared], list[tuple[Post, str]]]:
        """Prepare `posts` for `ingest_prepared`, rejecting (post, reason) those that cannot be
        stored; `encoded`: their documents from `encode`, when the caller already made them."""
        w = self._need_writer()
        return prepare_checked(posts, w.hasher, self.settings.stories.min_tokens, encoded)

    def annotate(self, texts: Sequence[tuple[int, str]], consumer: str, done_seq: int, done_ts: int | None) -> int:
        """Add text read from posts' images ((seq, text) each) to their stored records and index
        documents (a consumer of the accepted stream, e.g. media OCR), moving that consumer's
        checkpoint in the same transaction; one batch takes the writer's lock once. Returns how
        many posts were annotated (gone ones are skipped)."""
        w = self._need_writer()
        with self._lock:
            return w.annotate(texts, consumer, done_seq, done_ts)

    def consumer_done(self, consumer: str, done_seq: int, done_ts: int | None) -> None:
        """Move a consumer's checkpoint past posts it had nothing to add to."""
        w = self._need_writer()
        with self._lock:
            w.store.set_consumer(consumer, done_seq, done_ts)

    def delete(self, keys: Sequence[str]) -> int:
        w = self._need_writer()
        with self._lock:
            return w.delete(keys)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(Accepted)` on the writer thread after each accepted batch."""
        self._need_writer().listeners.append(listener)

    def subscribe_removals(self, listener: RemovalListener) -> None:
        """Call `listener(Removed)` on the writer thread after posts leave store and index
        (deleted at their source, or expired by retention), so state derived from them
        (trends, vectors) can drop them too. Quick, and must not raise, like `subscribe`."""
        self._need_writer().removal_listeners.append(listener)

    def count_disk(self, used_bytes: Callable[[], int]) -> None:
        """Count what `used_bytes()` returns in `live_bytes` (a service's files in the data
        directory, e.g. the vector index): retention by size then sees it."""
        self._disk_users.append(used_bytes)

    def expire(self) -> ExpiryReport:
        """Apply the retention now (a writing core also does it every `retention_interval_s`)."""
        self._need_writer()
        assert self._expirer is not None
        return self._expirer.run()

    def expiry_totals(self) -> ExpiryReport | None:
        """What finished expiry runs have removed (None: a read-only core expires nothing)."""
        return self._expirer.totals if self._expirer is not None else None

    @property
    def expirer(self) -> Expirer | None:
        """The retention worker of a writing core (its counters, e.g. `removed` batch by batch)."""
        return self._expirer

    def commit(self) -> None:
        w = self._need_writer()
        with self._lock:
            w.maybe_commit(force=True)

    def commit_all(self) -> None:
        """Commit the cold tier of the index now (not waiting for `index_cold_commit_s`)."""
        w = self._need_writer()
        with self._lock:
            w.commit_all()

    def commit_times(self, since: float = 0.0) -> dict[str, dict]:
        """Index commits per tier since `since` (time.monotonic()): how many, and the p50, p99
        and max of the time each took, in ms (what a commit costs as the index grows)."""
        w = self._need_writer()
        out: dict[str, dict] = {}
        logs = dict(w.commit_log)
        if w.cold_feed is not None:  # committed by the cold tier's own process
            logs["cold"] = w.cold_feed.commits
        for tier, log_ in logs.items():
            ms = sorted(d * 1000 for t, d in list(log_) if t >= since)
            out[tier] = {"commits": len(ms), "p50_ms": _pct(ms, 50), "p99_ms": _pct(ms, 99),
                         "max_ms": round(ms[-1], 2) if ms else None}
        return out

    def cold_index_status(self) -> dict | None:
        """The cold index's own process (`[core] index_process`): its pid, how many accepted
        posts it has not committed yet (`posts_behind`; the hot tier serves them), its restarts
        and last error. None where the writer builds the cold tier itself, or read-only."""
        w = self._writer
        feed = w.cold_feed if w is not None else None
        if feed is None:
            return None
        st = feed.status()
        covered = st["covered_seq"] if st["covered_seq"] is not None else self.index.checkpoint().seq
        st["posts_behind"] = max(0, st["fed_seq"] - covered)
        return st

    def reindex(self) -> int:
        w = self._need_writer()
        with self._lock:
            return w.reindex()

    def repair(self) -> int:
        """Bring the index level with the store (as start-up does); the posts replayed."""
        w = self._need_writer()
        with self._lock:
            return w.repair()

    def stored(self, keys: Sequence[str]) -> bool:
        """True if any of `keys` is in the store."""
        return bool(self.store.lookup(keys))

    def reject(self, input_name: str, line: int, reason: str, raw: bytes | str) -> Rejection:
        rej = Rejection(input_name, line, reason)
        self.quarantine.add(rej, raw)
        return rej

    def pipeline(self, on_batch: Callable[[IngestResult], None] | None = None, bulk: bool = False) -> Pipeline:
        return Pipeline(self, on_batch, bulk)

    def _need_writer(self) -> Writer:
        if self._closed:
            raise EngineError("engine is closed")
        if self._writer is None:
            raise EngineError("engine was opened read-only")
        return self._writer

    # -- reading ----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def check_open(self) -> None:
        if self._closed:
            raise EngineError("engine is closed")

    def refresh(self) -> None:
        """A read-only core picks up the writing process's latest index commits (both tiers)."""
        if self.readonly:
            self.index.reload()

    def search(self, text: str = "", *, since: datetime | None = None, until: datetime | None = None,
               author: str | None = None, lang: str | None = None, hashtag: str | None = None,
               source: str | None = None, has_media: bool | None = None, order: str = "relevance",
               limit: int = 20, all_posts: bool = False, reply_to: str | None = None, domain: str | None = None,
               place: str | None = None, near: tuple[float, float, float] | None = None) -> SearchResult:
        """`reply_to`: a post's key: only its direct replies (any source: Bluesky and Mastodon
        replies need not name the author they answer). `domain`: posts linking to that host (or
        one under it); `place`: posts whose place is, or is in, that city, US state or country;
        `near`: (lat, lon, radius km) around which the post's place lies."""
        f = Filters(us(since), us(until), author, lang, hashtag, source, has_media, reply_to, domain, place, near)
        return self.search_many([SearchQuery(text, f, order, limit, all_posts)])[0]

    def search_many(self, queries: list[SearchQuery]) -> list[SearchResult]:
        self.check_open()
        self.refresh()
        return self.searcher.search_many(queries, self.now_us())

    def now_us(self) -> int | None:
        """Event time: the newest post's created_at, not the wall clock."""
        if self._writer is not None:
            return self._writer.newest_us
        return self.store.newest_ts()

    def now(self) -> datetime | None:
        n = self.now_us()
        return from_us(n) if n is not None else None

    def get(self, key: str) -> Post | None:
        d = self.store.doc_by_key(key)
        return post_from_doc(d) if d else None

    def story(self, story_id: int, limit: int = 100) -> tuple[StorySummary, list[Post]] | None:
        s = self.store.stories([story_id]).get(story_id)
        if s is None:
            return None
        docs = self.store.docs(self.store.story_seqs(story_id, limit))
        posts = sorted((post_from_doc(d) for d in docs.values()), key=lambda p: p.created_at)
        title = posts[0].text if posts else self.store.story_title(story_id)  # posts expired: the summary's
        return StorySummary(s.id, s.posts, s.authors, from_us(s.first_ts), from_us(s.last_ts), title), posts

    def post(self, key: str) -> StoredPost | None:
        """One stored post by key, with its sequence number and its story's counts."""
        d = self.store.doc_by_key(key)
        if d is None:
            return None
        s = self.store.stories([d["story"]]).get(d["story"])
        story = StorySummary(s.id, s.posts, s.authors, from_us(s.first_ts), from_us(s.last_ts)) if s else None
        return StoredPost(key, d["seq"], d, story)

    def count(self) -> int:
        return self.store.count()

    def indexed(self) -> int:
        """Documents in the lexical index (equal to `count()` once start-up has caught up)."""
        return self.index.num_docs()

    def offsets(self) -> dict[str, str]:
        return self.store.offsets()

    def live_bytes(self) -> int:
        """Bytes of live data in store and indexes: what `retention_max_disk_mb` limits."""
        return self.store.used_bytes() + self.index.disk_bytes()[1] + sum(f() for f in self._disk_users)

    # -- lifecycle --------------------------------------------------------------------

    def stop_background(self) -> None:
        """Stop background expiry (first, before the services that listen to removals close)."""
        if self._expirer is not None:
            self._expirer.stop()

    def close(self) -> None:
        """Commit what is pending and release files; safe to call twice."""
        if self._closed:
            return
        self.stop_background()
        with self._lock:
            if self._writer is not None:
                try:
                    self._writer.stop_cold_process(reattach=False)
                except Exception:  # noqa: BLE001 - start-up repairs the cold tier from the store
                    log.exception("the cold index process did not finish")
                self._writer.commit_all(only_if_changed=True)
                self._writer.close()
            self._closed = True
            self.index.close()
            self.store.close()
            self.quarantine.close()

    def __enter__(self) -> "Core":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pct(sorted_ms: list[float], q: float) -> float | None:
    return round(sorted_ms[min(len(sorted_ms) - 1, int(q / 100 * len(sorted_ms)))], 2) if sorted_ms else None


def us(dt: datetime | None) -> int | None:
    """Microseconds since the epoch, as the core's filters take them (None stays None)."""
    return to_us(dt) if dt is not None else None


__all__ = ["Core", "EngineError", "Pipeline", "Quarantine", "Rejection", "dir_size"]
