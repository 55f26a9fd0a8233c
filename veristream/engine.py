"""The Engine: owns one data directory and wires store, index, stories and search.

The CLI, the HTTP API and the tests all go through it. There is no process-wide state:
several engines (e.g. one per partition of a stream) can live in one process, each with its
own directory.

Threading rule: searches are safe from any thread; writes are serialised by one lock and go
through a single `Writer`. `Pipeline` adds a bounded queue and a writer thread in front, for
streams: producers block when the core falls behind (back-pressure), nothing is dropped.
Retention (`veristream.core.retention`) expires posts on a background thread of a writing engine,
through the same lock, a small batch at a time.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from .core.index.lexical import Filters, LexicalIndex
from .core.writer import FairLock, IngestResult, Listener, Prepared, RemovalListener, Writer, encode, prepare_checked
from .model import Post, from_us, iso, post_from_doc
from .core.retention import Expirer, ExpiryReport, Retention
from .core.search import SearchQuery, SearchResult, Searcher, StorySummary
from .settings import Settings


class EngineError(RuntimeError):
    pass


log = logging.getLogger(__name__)


@dataclass(slots=True)
class Rejection:
    input: str
    line: int
    reason: str


class Quarantine:
    """Rejected input, one JSON line each, so nothing sent to us silently disappears.

    Bounded: past `max_bytes` the file becomes `NAME.1` (replacing the previous one) and a new
    one starts, so a stream of rejects costs at most twice that on disk. Created 0600: rejects
    are posts, and posts may be private."""

    MAX_RAW = 4096

    def __init__(self, path: Path, max_bytes: int = 64 << 20):
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._f = None
        self._size = 0

    def add(self, rej: Rejection, raw: bytes | str) -> None:
        if isinstance(raw, bytes):
            raw = raw[: self.MAX_RAW].decode("utf-8", "backslashreplace")
        rec = {"at": iso(datetime.now().astimezone()), "input": rej.input, "line": rej.line,
               "reason": rej.reason, "raw": raw[: self.MAX_RAW]}
        try:
            line = orjson.dumps(rec)
        except TypeError:  # a lone surrogate in a str (input built in Python, not read off the wire)
            line = orjson.dumps({k: v.encode("utf-8", "backslashreplace").decode() if isinstance(v, str) else v
                                 for k, v in rec.items()})
        line += b"\n"
        with self._lock:
            if self._f is not None and self.max_bytes > 0 and self._size + len(line) > self.max_bytes:
                self._f.close()
                self._f = None
                os.replace(self.path, self.rotated)
            if self._f is None:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                os.fchmod(fd, 0o600)  # one left readable by an older version
                self._size = os.fstat(fd).st_size
                self._f = os.fdopen(fd, "ab")
            self._f.write(line)
            self._f.flush()
            self._size += len(line)

    @property
    def rotated(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    def count(self) -> int:
        """Rejects on disk: the current file and the rotated one."""
        n = 0
        for p in (self.rotated, self.path):
            try:
                with open(p, "rb") as f:
                    n += sum(1 for _ in f)
            except FileNotFoundError:
                pass
        return n

    def close(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.close()
                self._f = None


class Engine:
    def __init__(self, data_dir: str | Path = "veristream-data", settings: Settings | None = None,
                 readonly: bool = False):
        self.data_dir = Path(data_dir)
        self.readonly = readonly
        if readonly and not (self.data_dir / "posts.db").is_file():
            raise EngineError(f"no veristream data in {self.data_dir} (run `veristream ingest` first)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = settings or Settings.load(data_dir=self.data_dir)
        from .core.store import Store  # local: keeps `import veristream` light for tools

        self.store = Store(self.data_dir / "posts.db", self.settings.durability, readonly=readonly)
        self.index = LexicalIndex(self.data_dir / "index", self.settings.index_heap_mb,
                                  self.settings.index_threads, readonly=readonly)
        self.quarantine = Quarantine(self.data_dir / "quarantine.jsonl", int(self.settings.quarantine_max_mb * (1 << 20)))
        self._lock = FairLock()  # FIFO: the pipeline's writer and expiry take turns
        self._closed = False
        self._writer: Writer | None = None
        self.repaired = 0
        self.sources = None  # the running `veristream.sources.SourceRunner`, if any (status)
        self.retention = Retention.from_settings(self.settings)
        self._expirer: Expirer | None = None
        if not readonly:
            self._writer = Writer(self.store, self.index, self.settings)
            self.repaired = self._writer.repair()
            self._expirer = Expirer(self.store, self.index, self._writer, self._lock, self.retention, self.live_bytes)
        self._searcher = Searcher(self.store, self.index, self.settings)
        # Dense vectors (veristream.vectors): embedded beside ingest on their own thread.
        from .retrieve import Retriever
        from .vectors import Vectors

        self.vectors, self.vectors_notice = Vectors.open(self.data_dir, self.store, self.settings, readonly, self.now_us)
        if self.vectors is not None and self.vectors.embedder is not None:
            self.subscribe(self.vectors.embedder.on_accepted)
            self.subscribe_removals(self.vectors.embedder.on_removed)
        self._retriever = Retriever(self._searcher, self.index, self.vectors, self.settings)
        self._trends = None  # veristream.trends.Trends: bursts and events, fed by the writer
        self._verifier = None  # veristream.verify.Verifier: its models load on the first `verify`
        self._verifier_lock = threading.Lock()
        self._notes = None  # veristream.notes.CommunityNotes, opened on first use (notes.sqlite)
        if not readonly and self.settings.trends:
            from .trends import Trends

            self._trends = Trends(self.store, self.settings)
            self.subscribe(self._trends.observe)
        if self._expirer is not None and self.retention.in_force:
            self._expirer.start()  # last: every removal listener is subscribed

    # -- writing ----------------------------------------------------------------------

    def ingest(self, posts: Sequence[Post], offsets: dict[str, str] | None = None) -> IngestResult:
        """Store and index `posts`. On return they are accepted (on disk) and searchable
        (unless `commit_interval_ms` defers the index commit). A post that cannot be stored
        raises BadPost (naming it) before anything is written."""
        w = self._need_writer()
        items = w.prepare(posts)  # outside the lock: needs no store state
        with self._lock:
            return w.write(items, offsets)

    def ingest_prepared(self, items: Sequence[Prepared], offsets: dict[str, str] | None = None) -> IngestResult:
        """Like `ingest`, for posts already prepared elsewhere (e.g. by worker processes)."""
        w = self._need_writer()
        with self._lock:
            return w.write(items, offsets)

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

    def expire(self) -> ExpiryReport:
        """Apply the retention now (a writing engine also does it every `retention_interval_s`)."""
        self._need_writer()
        assert self._expirer is not None
        return self._expirer.run()

    def commit(self) -> None:
        w = self._need_writer()
        with self._lock:
            w.maybe_commit(force=True)

    def reindex(self) -> int:
        w = self._need_writer()
        with self._lock:
            return w.reindex()

    def reject(self, input_name: str, line: int, reason: str, raw: bytes | str) -> Rejection:
        rej = Rejection(input_name, line, reason)
        self.quarantine.add(rej, raw)
        return rej

    def pipeline(self, on_batch: Callable[[IngestResult], None] | None = None) -> "Pipeline":
        return Pipeline(self, on_batch)

    def _need_writer(self) -> Writer:
        if self._closed:
            raise EngineError("engine is closed")
        if self._writer is None:
            raise EngineError("engine was opened read-only")
        return self._writer

    # -- reading ----------------------------------------------------------------------

    def search(self, text: str = "", *, since: datetime | None = None, until: datetime | None = None,
               author: str | None = None, lang: str | None = None, hashtag: str | None = None,
               source: str | None = None, has_media: bool | None = None, order: str = "relevance",
               limit: int = 20, all_posts: bool = False, reply_to: str | None = None) -> SearchResult:
        """`reply_to`: a post's key: only its direct replies (any source: Bluesky and Mastodon
        replies need not name the author they answer)."""
        f = Filters(_us(since), _us(until), author, lang, hashtag, source, has_media, reply_to)
        return self.search_many([SearchQuery(text, f, order, limit, all_posts)])[0]

    def search_many(self, queries: list[SearchQuery]) -> list[SearchResult]:
        if self._closed:
            raise EngineError("engine is closed")
        if self.readonly:
            self.index.reload()  # another process writes: pick up its latest commit
        return self._searcher.search_many(queries, self.now_us())

    def now_us(self) -> int | None:
        """Event time: the newest post's created_at, not the wall clock."""
        if self._writer is not None:
            return self._writer.newest_us
        return self.store.newest_ts()

    def now(self) -> datetime | None:
        us = self.now_us()
        return from_us(us) if us is not None else None

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

    def count(self) -> int:
        return self.store.count()

    def offsets(self) -> dict[str, str]:
        return self.store.offsets()

    def trends(self, window: str = "1h", limit: int = 20, lang: str | None = None) -> list["Trend"]:
        """Terms bursting now (event time) in `window` (one of `trends_windows`), strongest first;
        with `lang`, those most of whose posts since the burst began are in that language."""
        reader = self._trends_reader()
        if lang is None:
            return reader.trending(window, limit)
        if self.readonly:
            self.index.reload()
        snap = self.index.searcher()
        out = []
        for t in reader.trending(window, max(limit * 5, 50)):
            text = f'"{t.term}"' if " " in t.term else t.term
            f = Filters(_us(t.since), None)
            try:
                everyone = self.index.count(snap, self.index.build_query(text, f)[0])
                theirs = self.index.count(snap, self.index.build_query(text, replace(f, lang=lang))[0])
            except ValueError:  # a term the query language cannot say: leave it out of a filtered list
                continue
            if everyone and theirs * 2 >= everyone:
                out.append(t)
                if len(out) == limit:
                    break
        return out

    def events(self, since: datetime | None = None, limit: int = 50, lang: str | None = None) -> list["Event"]:
        """Events seen at/after `since` (event time), newest detection first (README: Trends and
        events); with `lang`, those with at least a third of their posts in that language."""
        reader = self._trends_reader()
        if lang is None:
            return reader.events(_us(since), limit)
        found = [e for e in reader.events(_us(since), max(limit * 5, 200))
                 if e.langs and e.langs.get(lang, 0) * 3 >= sum(e.langs.values())]
        return found[:limit]

    def _trends_reader(self):
        if self._closed:
            raise EngineError("engine is closed")
        if self._trends is None:  # read-only, or detection off: what the writer stored
            from .trends import Trends

            self._trends = Trends(self.store, self.settings, readonly=True)
        return self._trends

    # -- retrieval and answers ----------------------------------------------------------

    def retrieve(self, query: str, *, since: datetime | None = None, until: datetime | None = None,
                 limit: int = 20, author: str | None = None, lang: str | None = None, hashtag: str | None = None,
                 source: str | None = None, all_posts: bool = False, recency_weight: float | None = None,
                 dense: bool = True) -> "Retrieval":
        """Posts for a natural-language query: BM25 and dense vectors fused (README: Ask).
        `.hits` best first; `.mode` says whether vectors took part; `.embedding` how far they lag."""
        from .retrieve import RetrieveQuery

        f = Filters(_us(since), _us(until), author, lang, hashtag, source, None)
        return self.retrieve_many([RetrieveQuery(query, f, limit, all_posts, recency_weight, dense)])[0]

    def retrieve_many(self, queries: list["RetrieveQuery"]) -> list["Retrieval"]:
        if self._closed:
            raise EngineError("engine is closed")
        if self.readonly:
            self.index.reload()
        return self._retriever.retrieve_many(queries, self.now_us())

    def embedding_status(self) -> "EmbedStatus":
        """How far embedding has got (vectors, pending posts, lag in event time, rate)."""
        from .vectors import EmbedStatus

        if self.vectors is None:
            return EmbedStatus(False, notice=self.vectors_notice)
        return self.vectors.status()

    def wait_embedded(self, timeout: float | None = None) -> bool:
        """Wait until every post stored so far is embedded (a writing engine); False on timeout."""
        emb = self.vectors.embedder if self.vectors is not None else None
        if emb is None:
            raise EngineError(self.vectors_notice or "embedding runs in the writing engine")
        return emb.wait(timeout)

    def rebuild_vectors(self) -> None:
        """Drop the vectors and embed every stored post again (in the background)."""
        emb = self.vectors.embedder if self.vectors is not None else None
        if emb is None:
            raise EngineError(self.vectors_notice or "vectors are rebuilt by a writing engine")
        emb.rebuild()

    def ask(self, question: str, *, since: datetime | None = None, until: datetime | None = None,
            composer: "str | Composer" = "extractive", on_text: Callable[[str], None] | None = None,
            lang: str | None = None) -> "Answer":
        """A cited answer from the stored posts, stamped with the event time of the newest post
        it uses; `on_text` receives the answer's checked statements as they are produced."""
        from .answer import ask

        if self._closed:
            raise EngineError("engine is closed")
        return ask(self, question, since=since, until=until, composer=composer, on_text=on_text, lang=lang)

    # -- community notes (veristream.notes; README: Community notes) ----------------------
    # Loading and scoring write only notes.sqlite (never the posts), so they also work on a
    # read-only engine, beside a writer of the posts in another process.

    def ingest_notes(self, path: str | Path, on_reject: Callable[[Rejection], None] | None = None) -> "NotesIngestReport":
        """Store the notes of a Community Notes notes TSV file (the published format). A bad
        row is rejected with its line and reason (quarantine.jsonl, `on_reject`); reading goes on."""
        return self._notes_part(write=True).ingest(path, "notes", self._note_rejects(path, on_reject))

    def ingest_ratings(self, path: str | Path, on_reject: Callable[[Rejection], None] | None = None) -> "NotesIngestReport":
        """Store the ratings of a Community Notes ratings TSV file, streamed in batches; a
        rater's newer rating of a note replaces the older. Bad rows as in `ingest_notes`."""
        return self._notes_part(write=True).ingest(path, "ratings", self._note_rejects(path, on_reject))

    def score_notes(self) -> "ScoreReport":
        """Score every note from all stored ratings (bridging matrix factorisation) and store
        the statuses, replacing the previous run's at once."""
        return self._notes_part(write=True).score()

    def notes_for(self, post_keys: list[str]) -> dict[str, list["ScoredNote"]]:
        """The community notes on each post (key `source:id`, e.g. `x:123`), with their scores:
        every key given is in the result; helpful notes first."""
        return self._notes_part().notes_for(post_keys)

    def author_note_record(self, author_ids: list[str]) -> dict[str, int]:
        """For each author id (`Post.author.id`), how many of their stored posts carry a note
        rated helpful that calls the post misleading."""
        out = {a: 0 for a in author_ids}
        for author in self.store.authors_of(self._notes_part().helpful_misleading_keys()).values():
            if author in out:
                out[author] += 1
        return out

    def _notes_part(self, write: bool = False) -> "CommunityNotes":
        # Notes live in their own file with their own single writer, so a read-only engine may
        # load and score them too: `veristream notes ingest` works beside a running live ingest.
        if self._closed:
            raise EngineError("engine is closed")
        if self._notes is not None and write and self._notes.db.readonly:
            self._notes.close()
            self._notes = None
        if self._notes is None:
            from .notes import CommunityNotes

            self._notes = CommunityNotes(self.data_dir / "notes.sqlite", self.settings,
                                         readonly=self.readonly and not write)
        return self._notes

    def _note_rejects(self, path: str | Path, on_reject: Callable[[Rejection], None] | None):
        def reject(line: int, reason: str, raw: str) -> None:
            rej = self.reject(str(path), line, reason, raw)
            if on_reject is not None:
                on_reject(rej)

        return reject

    def verify(self, claim: str, *, since: datetime | None = None, until: datetime | None = None,
               limit: int = 10, judge: "LLMJudge | bool | None" = None, record: bool = True) -> "Verdict":
        """Check `claim` against the stored posts: each post's stance, independence (copies
        count once), credibility signals and community notes, a verdict (supported, refuted,
        contested, unverified) with a calibrated confidence and its reasons, and up to `limit`
        posts for, against and neither (README: Verify). `judge`: an LLM's second reading of
        the key posts' stances, shown beside them and never counted (None: as the setting
        `verify_judge` says; False: none). `record`: a decisive verdict enters its authors'
        record (verify/verdicts.jsonl, when the setting `verify_record` is on)."""
        from .verify import Verifier

        if self._closed:
            raise EngineError("engine is closed")
        with self._verifier_lock:
            if self._verifier is None:
                self._verifier = Verifier(self)
        return self._verifier.verify(claim, since=since, until=until, limit=limit, judge=judge, record=record)

    # -- operations: stats, export, backup ----------------------------------------------

    def stats(self) -> "Stats":
        """Counts, time span, disk use, ingest rate, language mix, retention (`veristream stats`)."""
        from .stats import compute

        return compute(self)

    def live_bytes(self) -> int:
        """Bytes of live data in store and indexes: what `retention_max_disk_mb` limits."""
        from .stats import dir_size

        return self.store.used_bytes() + self.index.disk_bytes()[1] + dir_size(self.data_dir / "vectors")

    def export(self, since: datetime | None = None, until: datetime | None = None, query: str | None = None):
        """`with engine.export(...) as ex:` the posts to export, from one snapshot: `ex.total`,
        then `ex.batches()` of (seq, ts, story, doc) rows (see `veristream.export`)."""
        from .export import select

        return select(self, _us(since), _us(until), query)

    def backup(self, dest: str | Path) -> "BackupInfo":
        """A consistent backup of the store into the new directory `dest`, ingest going on."""
        from .backup import backup

        return backup(self, dest)

    # -- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        """Commit what is pending and release files; safe to call twice."""
        if self._closed:
            return
        if self._expirer is not None:
            self._expirer.stop()
        if self._trends is not None:
            self._trends.close()  # drains what the writer handed it, writes its events
        if self._notes is not None:
            self._notes.close()
        if self.vectors is not None:
            self.vectors.close()  # finishes its batch, saves index and checkpoint
        with self._lock:
            if self._writer is not None:
                self._writer.maybe_commit(force=True)
            self._closed = True
            self.index.close()
            self.store.close()
            self.quarantine.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if TYPE_CHECKING:
    from .answer import Answer, Composer
    from .retrieve import Retrieval, RetrieveQuery
    from .vectors import EmbedStatus
    from .backup import BackupInfo
    from .stats import Stats
    from .trends import Event, Trend
    from .verify import Verdict
    from .verify.judge import LLMJudge
    from .notes import CommunityNotes, NotesIngestReport, ScoredNote, ScoreReport


def _us(dt: datetime | None) -> int | None:
    from .model import to_us

    return to_us(dt) if dt is not None else None


@dataclass(slots=True)
class _Offset:
    source: str
    value: str


@dataclass(slots=True)
class _Delete:
    keys: list[str]


# Writer failures that are about the machine, not about a post: they stop the pipeline (and
# health says so). Anything else a batch raises is assumed to come from one of its posts.
_FATAL = (OSError, MemoryError, EngineError, sqlite3.OperationalError, sqlite3.InternalError,
          sqlite3.NotSupportedError)


def _fatal(e: BaseException) -> bool:
    # ProgrammingError is both "a value SQLite cannot bind" (a post's) and "closed database".
    return isinstance(e, _FATAL) or (isinstance(e, sqlite3.ProgrammingError) and "closed" in str(e))


class Pipeline:
    """A bounded queue in front of the engine's writer, drained by one thread in batches.

    Hostile input never stops the writer: `put` refuses (BadPost) a post that cannot be
    stored, and a batch that still fails in the writer is split until the post(s) at fault
    are found; those go to quarantine and the rest is written. Only a failure that is not
    about a post (disk full, database gone) stops it; then `state` is "failed" and `error`
    says why. `status()` is cheap and safe from any thread (health checks)."""

    _STOP = object()

    def __init__(self, engine: Engine, on_batch: Callable[[IngestResult], None] | None = None):
        self.engine = engine
        s = engine.settings
        # Bounded in posts, not queue items: a prepared chunk of 1,000 posts counts 1,000.
        self._q: queue.Queue = queue.Queue()
        self._max = s.queue_max
        self._inflight = 0
        self._room = threading.Condition()
        self._batch_max = s.batch_max
        self._delay = s.batch_delay_ms / 1000
        self._on_batch = on_batch
        self.result = IngestResult()
        self.error: BaseException | None = None  # what stopped the writer (None while it runs)
        self.quarantined = 0  # posts the writer itself set aside (failed in prepare or write)
        self.batches = 0  # batches written
        self.last_batch_at: float | None = None  # time.monotonic() of the last batch written
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="veristream-writer", daemon=True)
        self._thread.start()

    # -- health ---------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        """True while the writer thread runs and has not failed."""
        return self.error is None and self._thread.is_alive()

    @property
    def state(self) -> str:
        """running | failed (the writer stopped on `error`) | stopped (closed)."""
        if self.error is not None:
            return "failed"
        if self._thread.is_alive():
            return "running"
        return "stopped" if self._closed else "failed"

    def status(self) -> dict:
        """JSON-ready: state, error, backlog, quarantined, batches, seconds since the last batch."""
        err = self.error
        last = self.last_batch_at
        return {"state": self.state, "alive": self.alive,
                "error": f"{type(err).__name__}: {err}" if err is not None else None,
                "backlog": self._inflight, "quarantined": self.quarantined, "batches": self.batches,
                "last_batch_age_s": round(time.monotonic() - last, 3) if last is not None else None}

    # -- producers ------------------------------------------------------------------------

    def put(self, post: Post) -> None:
        """Hand over a post; blocks while the queue is full (the core is behind). Raises
        BadPost, queueing nothing, for a post that cannot be stored (see `ingest.encode`)."""
        encode(post)  # validated here, on the producer's thread: the writer never meets it
        self._admit(1)
        self._q.put(post)

    def put_prepared(self, items: Sequence[Prepared]) -> None:
        """Hand over posts prepared elsewhere (see `Engine.ingest_prepared`); blocks like `put`."""
        items = list(items)
        self._admit(len(items))
        self._q.put(items)

    def _admit(self, n: int) -> None:
        """Wait for room for `n` posts (an oversized chunk is let in when the queue is empty)."""
        with self._room:
            while self._inflight and self._inflight + n > self._max:
                self._check()
                self._room.wait(0.5)
            self._check()
            self._inflight += n

    def _release(self, n: int) -> None:
        with self._room:
            self._inflight -= n
            self._room.notify_all()

    def put_offset(self, source: str, value: str) -> None:
        """Record a source position, stored with the batch that contains the posts before it."""
        self._q.put(_Offset(source, value))

    def put_delete(self, keys: Sequence[str]) -> None:
        """Delete `keys` in stream order: after the posts put before, before those put after."""
        self._admit(1)
        self._q.put(_Delete(list(keys)))

    def backlog(self) -> int:
        """Posts handed over and not yet accepted."""
        return self._inflight

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything put so far is accepted and searchable."""
        ev = threading.Event()
        self._q.put(ev)
        while not ev.wait(0.2):
            self._check()
            if timeout is not None:
                timeout -= 0.2
                if timeout <= 0:
                    raise TimeoutError("pipeline flush timed out")
        self._check()

    def close(self) -> None:
        self._closed = True
        if self._thread.is_alive():
            self._q.put(self._STOP)
            self._thread.join()
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise EngineError(f"ingest failed: {self.error}") from self.error

    # -- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        q = self._q
        stop = False
        while not stop:
            item = q.get()
            batch: list[Post] = []
            prepared: list[Prepared] = []
            offsets: dict[str, str] = {}
            waiters: list[threading.Event] = []
            deletes: list[str] = []
            deadline = time.monotonic() + self._delay
            while True:
                if isinstance(item, Post):
                    batch.append(item)
                elif isinstance(item, list):
                    prepared.extend(item)
                elif isinstance(item, _Offset):
                    offsets[item.source] = item.value
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                elif isinstance(item, _Delete):
                    deletes = item.keys
                elif item is self._STOP:
                    stop = True
                if stop or waiters or deletes or len(batch) + len(prepared) >= self._batch_max:
                    break
                remaining = deadline - time.monotonic()
                try:
                    item = q.get(timeout=remaining) if remaining > 0 else q.get_nowait()
                except queue.Empty:
                    break
            taken = len(batch) + len(prepared) + (1 if deletes else 0)
            try:
                if batch or prepared or offsets:
                    if prepared:
                        prepared = self._screen(prepared)
                    if batch:
                        items, bad = prepare_checked(batch, self.engine._need_writer().hasher,
                                                     self.engine.settings.dedup_min_tokens)
                        for p, reason in bad:
                            self._set_aside(p.source, reason, _post_raw(p))
                        prepared.extend(items)
                    res = self._write(prepared, offsets or None)
                    self.result.add(res)
                    self.batches += 1
                    self.last_batch_at = time.monotonic()
                    if self._on_batch:
                        self._on_batch(res)
                if deletes:
                    res = IngestResult(deleted=self.engine.delete(deletes))
                    self.result.add(res)
                    if self._on_batch:
                        self._on_batch(res)
                if waiters:
                    self.engine.commit()
            except BaseException as e:  # surfaced to the producer on its next call, and in `state`
                log.exception("ingest writer stopped")
                self.error = e
                stop = True
            self._release(taken)
            for ev in waiters:
                ev.set()

    def _write(self, items: list[Prepared], offsets: dict[str, str] | None) -> IngestResult:
        """Write `items`; if that fails for a reason that may be one post's, split the batch
        in halves until the failing post is alone, set it aside, and write the rest (in order,
        the offsets with the last part: a position is stored only with the posts before it)."""
        try:
            return self.engine.ingest_prepared(items, offsets)
        except Exception as e:  # noqa: BLE001 - about a post until shown otherwise
            if _fatal(e) or not items:
                raise
            self._resync(items)
            if len(items) == 1:
                it = items[0]
                self._set_aside(_source_of(it), f"writer: post {str(getattr(it, 'key', '?'))[:200]!r}: "
                                f"{type(e).__name__}: {str(e)[:160]}", _item_raw(it))
                return self.engine.ingest_prepared([], offsets) if offsets else IngestResult()
        mid = len(items) // 2
        res = self._write(items[:mid], None)
        res.add(self._write(items[mid:], offsets))
        return res

    def _resync(self, items: list[Prepared]) -> None:
        """If the failed write got as far as committing rows to the store (it failed in the index
        after), bring the index level with the store, as start-up would: splitting the batch
        then finds those posts stored, and they must be searchable too."""
        keys = [it.key for it in items if type(getattr(it, "key", None)) is str]
        try:
            stored = self.engine.store.lookup(keys) if keys else {}
        except Exception:  # noqa: BLE001 - a key SQLite cannot bind: nothing was stored
            return
        if stored:
            log.warning("a failed batch was stored but not indexed: re-indexing from the store")
            w = self.engine._need_writer()
            with self.engine._lock:
                w.repair()

    def _screen(self, items: list[Prepared]) -> list[Prepared]:
        """Drop (to quarantine) prepared items whose fields would fail in the index after the
        store has committed them: there, a failure could not be undone by splitting the batch."""
        ok = [it for it in items if _index_ready(it)]
        if len(ok) != len(items):
            for it in items:
                if not _index_ready(it):
                    self._set_aside(_source_of(it), f"writer: post {str(getattr(it, 'key', '?'))[:200]!r}: "
                                    "prepared item has fields of the wrong type", _item_raw(it))
        return ok

    def _set_aside(self, source: str, reason: str, raw: bytes | str) -> None:
        self.quarantined += 1
        try:
            self.engine.reject(source, 0, reason, raw)
        except Exception:  # noqa: BLE001 - the quarantine file itself failing must not stop ingest
            log.exception("could not quarantine a post (%s)", reason)


def _index_ready(it: object) -> bool:
    return (type(it) is Prepared and type(it.text) is str and type(it.handle) is str and type(it.lang) is str
            and type(it.source) is str and type(it.cjk) is str and type(it.reply) is str
            and type(it.tags) is list and all(type(t) is str for t in it.tags)
            and type(it.doc) is bytes and type(it.key) is str)


def _source_of(it: object) -> str:
    src = getattr(it, "source", None)
    return src if type(src) is str and src else "writer"


def _item_raw(it: object) -> bytes | str:
    doc = getattr(it, "doc", None)
    return doc if type(doc) is bytes else repr(it)[:4096]


def _post_raw(p: Post) -> bytes | str:
    raw = p.raw
    if type(raw) in (bytes, str):
        return raw
    try:
        return orjson.dumps(raw)
    except Exception:  # noqa: BLE001 - the very reason it was rejected, maybe
        pass
    try:
        return repr(raw)[:4096]
    except Exception:  # noqa: BLE001 - RecursionError on a deep enough value
        return f"<{type(raw).__name__} that cannot be shown>"
