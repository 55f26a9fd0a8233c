"""The application object: a `Core` and the services built on it, composed.

`Engine` is what the CLI, the HTTP API and library users hold. It owns one data directory's
core (`veristream.core.Core`: store, writer, stories, index, search, retention) and builds the
services on it: trend detection and dense vectors (subscribed to what the core accepts and
removes), hybrid retrieval, answers, verification, community notes and the operations
(stats, export, backup). The core knows none of them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .core.engine import Core, us as _us
from .core.errors import EngineError
from .core.index.lexical import Filters
from .core.layout import dir_size
from .core.pipeline import Pipeline
from .core.quarantine import Quarantine, Rejection
from .core.retention import ExpiryReport, Retention
from .core.search import SearchQuery, SearchResult, StoredPost, StorySummary
from .core.store import Store
from .core.index.lexical import LexicalIndex
from .core.writer import IngestResult, Listener, Prepared, RemovalListener
from .model import Post, iso
from .places import resolve_post
from .answer import Answer, Composer, ask as compose_answer
from .backup import BackupInfo, backup as backup_to
from .export import select as select_export
from .notes import CommunityNotes, NotesIngestReport, ScoredNote, ScoreReport
from .retrieve import Retrieval, Retriever, RetrieveQuery
from .settings import Settings
from .stats import Stats, compute as compute_stats
from .trends import Event, StoredTrends, Trend, Trends, TrendsProcess, TrendsStatus
from .media.consumer import MediaConsumer, MediaStatus, open_consumer
from .media.consumer import stored_status as stored_media_status
from .vectors import EmbedStatus, Vectors
from .verify import Verdict, Verifier
from .verify.judge import LLMJudge

if TYPE_CHECKING:
    import numpy as np


class Engine:
    """`Engine(data_dir, settings=None, readonly=False)`: a writing engine, or a read-only
    one beside a writer in another process (`readonly=True`)."""

    def __init__(self, data_dir: str | Path = "veristream-data", settings: Settings | None = None,
                 readonly: bool = False):
        data_dir = Path(data_dir)
        if readonly and not (data_dir / "posts.db").is_file():  # before settings: nothing to read them from
            raise EngineError(f"no veristream data in {data_dir} (run `veristream ingest` first)")
        self.settings = settings or Settings.load(data_dir=data_dir)
        # Expiry starts once every service listening to removals has subscribed.
        self.core = Core(data_dir, self.settings, readonly=readonly, start=False)
        self.data_dir = self.core.data_dir
        self.layout = self.core.layout
        self.readonly = readonly
        self.sources = None  # the running `veristream.sources.SourceRunner`, if any (status)
        # Dense vectors (veristream.vectors): embedded beside ingest on their own thread.
        self.vectors, self.vectors_notice = Vectors.open(self.data_dir, self.store, self.settings, readonly,
                                                         self.core.now_us)
        if self.vectors is not None and self.vectors.embedder is not None:
            self.core.subscribe(self.vectors.embedder.on_accepted)
            self.core.subscribe_removals(self.vectors.embedder.on_removed)
        vectors_dir = self.layout.vectors
        self.core.count_disk(lambda: dir_size(vectors_dir))  # its file never shrinks: retention counts it fixed
        self._retriever = Retriever(self.core.searcher, self.index, self.vectors, self.settings)
        # Text in images (veristream.media): read beside ingest on its own threads, writing back
        # through the core's writer; off with a one-line notice when tesseract is missing.
        self.media: MediaConsumer | None = None
        self.media_notice: str | None = None
        if not readonly:
            self.media, self.media_notice = open_consumer(self.core, self.settings.media, self._quarantine_image)
            if self.media is not None:
                self.core.subscribe(self.media.on_accepted)
        self._trends: StoredTrends | None = None  # Trends (the detector, fed by the writer) or what it stored
        self._verifier = None  # veristream.verify.Verifier: its models load on the first `verify`
        self._verifier_lock = threading.Lock()
        self._notes = None  # veristream.notes.CommunityNotes, opened on first use (notes.sqlite)
        if not readonly and self.settings.trends.enabled:
            self._trends = (TrendsProcess if self.settings.trends.process else Trends)(self.store, self.settings)
            self.core.subscribe(self._trends.observe)
        self.core.start()

    # -- the core's parts, for the services and operations built on it -----------------

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def index(self) -> LexicalIndex:
        return self.core.index

    @property
    def quarantine(self) -> Quarantine:
        return self.core.quarantine

    @property
    def retention(self) -> Retention:
        return self.core.retention

    @property
    def repaired(self) -> int:
        """Posts the index was missing at start-up, replayed from the store."""
        return self.core.repaired

    @property
    def closed(self) -> bool:
        return self.core.closed

    # -- writing (the core's) -------------------------------------------------------------

    def ingest(self, posts: Sequence[Post], offsets: dict[str, str] | None = None) -> IngestResult:
        """Store and index `posts`. On return they are accepted (on disk) and searchable
        (unless `commit_interval_ms` defers the index commit). A post that cannot be stored
        raises BadPost (naming it) before anything is written."""
        return self.core.ingest(posts, offsets)

    def ingest_prepared(self, items: Sequence[Prepared], offsets: dict[str, str] | None = None) -> IngestResult:
        """Like `ingest`, for posts already prepared elsewhere (e.g. by worker processes)."""
        return self.core.ingest_prepared(items, offsets)

    def delete(self, keys: Sequence[str]) -> int:
        return self.core.delete(keys)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(Accepted)` on the writer thread after each accepted batch."""
        self.core.subscribe(listener)

    def subscribe_removals(self, listener: RemovalListener) -> None:
        """Call `listener(Removed)` on the writer thread after posts leave store and index."""
        self.core.subscribe_removals(listener)

    def expire(self) -> ExpiryReport:
        """Apply the retention now (a writing engine also does it every `retention_interval_s`)."""
        return self.core.expire()

    def commit(self) -> None:
        self.core.commit()

    def reindex(self) -> int:
        return self.core.reindex()

    def reject(self, input_name: str, line: int, reason: str, raw: bytes | str) -> Rejection:
        return self.core.reject(input_name, line, reason, raw)

    def pipeline(self, on_batch: Callable[[IngestResult], None] | None = None, bulk: bool = False) -> Pipeline:
        """A pipeline into the writer (see `core.pipeline.Pipeline`; `bulk` for a load as fast as it goes)."""
        return self.core.pipeline(on_batch, bulk)

    # -- reading (the core's) -------------------------------------------------------------

    def search(self, text: str = "", *, since: datetime | None = None, until: datetime | None = None,
               author: str | None = None, lang: str | None = None, hashtag: str | None = None,
               source: str | None = None, has_media: bool | None = None, order: str = "relevance",
               limit: int = 20, all_posts: bool = False, reply_to: str | None = None, domain: str | None = None,
               place: str | None = None, near: tuple[float, float, float] | None = None) -> SearchResult:
        """`reply_to`: a post's key: only its direct replies (any source: Bluesky and Mastodon
        replies need not name the author they answer). `domain`, `place`, `near`: see `Core.search`."""
        return self.core.search(text, since=since, until=until, author=author, lang=lang, hashtag=hashtag,
                                source=source, has_media=has_media, order=order, limit=limit,
                                all_posts=all_posts, reply_to=reply_to, domain=domain, place=place, near=near)

    def search_many(self, queries: list[SearchQuery]) -> list[SearchResult]:
        return self.core.search_many(queries)

    def now_us(self) -> int | None:
        """Event time: the newest post's created_at, not the wall clock."""
        return self.core.now_us()

    def now(self) -> datetime | None:
        return self.core.now()

    def get(self, key: str) -> Post | None:
        return self.core.get(key)

    def story(self, story_id: int, limit: int = 100) -> tuple[StorySummary, list[Post]] | None:
        return self.core.story(story_id, limit)

    def post(self, key: str) -> StoredPost | None:
        """One stored post by key, with its sequence number and its story's counts (`GET /v1/posts/{key}`)."""
        return self.core.post(key)

    def count(self) -> int:
        return self.core.count()

    def indexed(self) -> int:
        return self.core.indexed()

    def offsets(self) -> dict[str, str]:
        return self.core.offsets()

    def live_bytes(self) -> int:
        """Bytes of live data in store and indexes: what `retention_max_disk_mb` limits."""
        return self.core.live_bytes()

    # -- services -------------------------------------------------------------------------

    def trends(self, window: str = "1h", limit: int = 20, lang: str | None = None,
               near: tuple[float, float, float] | None = None) -> list["Trend"]:
        """Terms bursting now (event time) in `window` (one of `trends_windows`), strongest first;
        with `lang`, those most of whose posts since the burst began are in that language; with
        `near` (lat, lon, radius km), those with at least two posts placed there and a third of
        their placed posts (a local burst, not one the whole world shares)."""
        reader = self._trends_reader()
        if lang is None and near is None:
            return reader.trending(window, limit)
        self.core.refresh()
        snap = self.index.searcher()
        out = []
        for t in reader.trending(window, max(limit * 5, 50)):
            text = f'"{t.term}"' if " " in t.term else t.term
            f = Filters(_us(t.since), None)
            try:
                keep = True
                if lang is not None:
                    everyone = self.index.count(snap, self.index.build_query(text, f)[0])
                    theirs = self.index.count(snap, self.index.build_query(text, replace(f, lang=lang))[0])
                    keep = bool(everyone) and theirs * 2 >= everyone
                if keep and near is not None:
                    placed = self.index.count(snap, self.index.build_query(text, replace(f, near=(0.0, 0.0, 20_000.0)))[0])
                    there = self.index.count(snap, self.index.build_query(text, replace(f, near=near))[0])
                    keep = there >= 2 and there * 3 >= placed
            except ValueError:  # a term the query language cannot say: leave it out of a filtered list
                continue
            if keep:
                out.append(t)
                if len(out) == limit:
                    break
        return out

    def events(self, since: datetime | None = None, limit: int = 50, lang: str | None = None) -> list["Event"]:
        """Events seen at/after `since` (event time), newest detection first (docs/trends.md); with `lang`, those with at least a third of their posts in that language."""
        reader = self._trends_reader()
        if lang is None:
            return reader.events(_us(since), limit)
        found = [e for e in reader.events(_us(since), max(limit * 5, 200))
                 if e.langs and e.langs.get(lang, 0) * 3 >= sum(e.langs.values())]
        return found[:limit]

    def map_points(self, events: int = 20, posts: int = 200) -> dict:
        """What the page's map shows: recent events where most of their representative posts are
        placed, and the newest posts with a place (the service's, or resolved from their words)."""
        out_events = []
        for e in self.events(limit=events):
            placed = [pl for k in e.post_ids[:10] if (p := self.get(k)) is not None
                      and (pl := resolve_post(p)) is not None and pl.lat is not None and pl.lon is not None]
            if not placed:
                continue
            label, n = Counter(pl.label() for pl in placed).most_common(1)[0]
            at = [pl for pl in placed if pl.label() == label]
            out_events.append({"id": e.id, "title": e.title, "status": e.status, "posts": e.posts, "place": label,
                               "placed": n, "lat": sum(pl.lat for pl in at) / len(at),  # type: ignore[misc]
                               "lon": sum(pl.lon for pl in at) / len(at)})  # type: ignore[misc]
        hits = self.search("", near=(0.0, 0.0, 20_000.0), order="time", limit=posts, all_posts=True).hits if posts else []
        out_posts = [{"key": h.post.key, "text": h.post.text[:280], "author": h.post.author.handle or h.post.author.id,
                      "created_at": iso(h.post.created_at), "place": h.place.label(), "from": h.place.source,
                      "lat": h.place.lat, "lon": h.place.lon}
                     for h in hits if h.place is not None and h.place.lat is not None]
        return {"events": out_events, "posts": out_posts}

    def _trends_reader(self) -> StoredTrends:
        self.core.check_open()
        if self._trends is None:  # read-only, or detection off: what the writer stored
            self._trends = StoredTrends(self.store, self.settings)
        return self._trends

    # -- retrieval and answers ----------------------------------------------------------

    def retrieve(self, query: str, *, since: datetime | None = None, until: datetime | None = None,
                 limit: int = 20, author: str | None = None, lang: str | None = None, hashtag: str | None = None,
                 source: str | None = None, all_posts: bool = False, recency_weight: float | None = None,
                 dense: bool = True) -> "Retrieval":
        """Posts for a natural-language query: BM25 and dense vectors fused (docs/ask.md).
        `.hits` best first; `.mode` says whether vectors took part; `.embedding` how far they lag."""
        f = Filters(_us(since), _us(until), author, lang, hashtag, source, None)
        return self.retrieve_many([RetrieveQuery(query, f, limit, all_posts, recency_weight, dense)])[0]

    def retrieve_many(self, queries: list["RetrieveQuery"]) -> list["Retrieval"]:
        self.core.check_open()
        self.core.refresh()
        return self._retriever.retrieve_many(queries, self.now_us())

    def embedding_status(self) -> "EmbedStatus":
        """How far embedding has got (vectors, pending posts, lag in event time, rate)."""
        if self.vectors is None:
            return EmbedStatus(False, notice=self.vectors_notice)
        return self.vectors.status()

    def post_vectors(self, seqs: list[int]) -> "tuple[str | None, dict[int, np.ndarray]]":
        """What the vector index holds for these posts: its id (which model embedded what of
        each post, `vectors.index_id`) and the vectors of those already embedded; (None, {})
        without vectors. Verify reads posts through them instead of encoding them again."""
        if self.vectors is None:
            return None, {}
        return self.vectors.model, self.vectors.stored(seqs)

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
        self.core.check_open()
        return compose_answer(self, question, since=since, until=until, composer=composer, on_text=on_text, lang=lang)

    # -- community notes (veristream.notes; docs/notes.md) ----------------------
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
        self.core.check_open()
        if self._notes is not None and write and self._notes.db.readonly:
            self._notes.close()
            self._notes = None
        if self._notes is None:
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
        posts for, against and neither (docs/verify.md). `judge`: an LLM's second reading of
        the key posts' stances, shown beside them and never counted (None: as the setting
        `verify_judge` says; False: none). `record`: a decisive verdict enters its authors'
        record (verify/verdicts.jsonl, when the setting `verify_record` is on)."""
        self.core.check_open()
        with self._verifier_lock:
            if self._verifier is None:
                self._verifier = Verifier(self)
        return self._verifier.verify(claim, since=since, until=until, limit=limit, judge=judge, record=record)

    # -- operations: stats, export, backup ----------------------------------------------

    def stats(self) -> "Stats":
        """Counts, time span, disk use, ingest rate, language mix, retention (`veristream stats`)."""
        st = compute_stats(self.core, self.sources.statuses() if self.sources is not None else None,
                           self.vectors.status() if self.vectors is not None else None)
        st.media = self.media_status().to_dict()
        st.trends = self.trends_status().to_dict()
        return st

    def trends_status(self) -> TrendsStatus:
        """How far trend detection is behind the accepted stream (off: state \"off\")."""
        if self._trends is None:
            return TrendsStatus("off" if not self.settings.trends.enabled else "stored")
        return self._trends.status()

    def media_status(self) -> MediaStatus:
        """How far reading posts' images has got (posts behind, lag, failures by reason)."""
        if self.media is not None:
            return self.media.status()
        if self.readonly and self.settings.media.enabled:
            return stored_media_status(self.core)
        return MediaStatus(False, notice=self.media_notice)

    def _quarantine_image(self, reason: str, url: str, message: str) -> None:
        # A refused image is kept like a refused input line: its reason names the URL.
        self.core.reject("media", 0, f"image refused: {reason}: {message}", url)

    def export(self, since: datetime | None = None, until: datetime | None = None, query: str | None = None):
        """`with engine.export(...) as ex:` the posts to export, from one snapshot: `ex.total`,
        then `ex.batches()` of (seq, ts, story, doc) rows (see `veristream.export`)."""
        return select_export(self.core, _us(since), _us(until), query)

    def backup(self, dest: str | Path) -> "BackupInfo":
        """A consistent backup of the store into the new directory `dest`, ingest going on."""
        return backup_to(self.core, dest)

    # -- lifecycle --------------------------------------------------------------------

    def close(self) -> None:
        """Stop the services, then commit what is pending and release files; safe to call twice."""
        if self.core.closed:
            return
        self.core.stop_background()
        if self._trends is not None:
            self._trends.close()  # drains what the writer handed it, writes its events
        if self._notes is not None:
            self._notes.close()
        if self.vectors is not None:
            self.vectors.close()  # finishes its batch, saves index and checkpoint
        if self.media is not None:
            self.media.close()  # before the core: it writes back through the core's writer
        self.core.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

