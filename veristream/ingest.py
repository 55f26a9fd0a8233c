"""The single writer: turns batches of posts into store rows, stories and index documents.

Order of work for a batch, and why:
1. classify against the store (new / newer version / duplicate / stale);
2. assign stories to new posts (in memory, bounded);
3. write rows, story counts and source offsets in ONE SQLite transaction: when it commits,
   the posts are accepted;
4. add them to the lexical index and commit it (per `commit_interval_ms`), recording the
   store cursor and offsets the commit covers.
A crash between 3 and 4 loses nothing: start-up replays the store past the index checkpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson
import xxhash

from . import analysis
from .index.lexical import Checkpoint, IndexDoc, LexicalIndex
from .model import Post, ref_key, to_us
from .settings import Settings
from .store import Existing, Removed, Row, Store, StoryRow
from .stories import StoryIndex, TokenHasher, fingerprints


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0  # new posts
    updated: int = 0  # newer versions of stored posts
    duplicates: int = 0  # identical to what is stored
    stale: int = 0  # older versions than what is stored
    deleted: int = 0
    newest_us: int | None = None
    seqs: list[int] = field(default_factory=list)

    def add(self, other: "IngestResult") -> None:
        self.accepted += other.accepted
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.stale += other.stale
        self.deleted += other.deleted
        if other.newest_us is not None and (self.newest_us is None or other.newest_us > self.newest_us):
            self.newest_us = other.newest_us


log = logging.getLogger(__name__)


class Prepared(NamedTuple):
    """A post made ready for the writer: everything that needs no store state.

    Computed outside the writer (in a worker process for bulk ingest), so the single writer
    only does what must be serial. A plain tuple: it crosses process boundaries cheaply."""

    key: str
    ts: int
    version: int  # edited_at or created_at: an older version never replaces a newer one
    author: str
    ref: str | None  # the post this one copies (repost, or quote adding no words)
    digest: int
    doc: bytes
    texthash: int
    ntokens: int
    sig: bytes
    bands: list[int] | None
    text: str
    tags: list[str]
    handle: str
    lang: str
    source: str
    media: bool
    cjk: str  # word tokens of spaceless scripts, space-joined (empty for most posts)
    reply: str  # key of the post this one replies to ("" if none): a thread's replies are found by it

    def index_doc(self, seq: int, story: int) -> IndexDoc:
        return IndexDoc(seq, self.ts, story, self.text, self.tags, self.handle, self.lang, self.source, self.media,
                        self.cjk, self.reply)


def prepare(posts: Sequence[Post], hasher: TokenHasher, min_tokens: int) -> list[Prepared]:
    fps = fingerprints([p.text for p in posts], min_tokens, hasher)
    out: list[Prepared] = []
    dumps, digest = orjson.dumps, xxhash.xxh3_64_intdigest
    for p, fp in zip(posts, fps):
        doc = dumps(p.to_dict())
        ts = p.ts_us
        # A quote that adds no words of its own is a copy of what it quotes.
        ref = p.ref_key(p.repost_of) or (p.ref_key(p.quote_of) if not fp.ntokens else None)
        out.append(Prepared(p.key, ts, to_us(p.edited_at) if p.edited_at else ts, p.author.id, ref, digest(doc), doc,
                            fp.texthash, fp.ntokens, fp.sig, fp.bands, p.text, p.hashtags,
                            p.author.handle.lower(), p.lang or "", p.source, bool(p.media),
                            " ".join(analysis.tokens(p.text, p.lang)) if analysis.needs_analysis(p.text) else "",
                            p.ref_key(p.reply_to) or ""))
    return out


def index_doc_from_row(seq: int, ts: int, story: int, doc: bytes) -> IndexDoc:
    d = orjson.loads(doc)
    text, lang = d["text"], d.get("lang")
    return IndexDoc(seq, ts, story, text, d.get("hashtags") or [], (d["author"].get("handle") or "").lower(),
                    lang or "", d["source"], bool(d.get("media")), " ".join(analysis.tokens(text, lang)),
                    ref_key(d["source"], d.get("reply_to")) or "")


@dataclass(slots=True)
class Accepted:
    """A batch as listeners see it once it is on disk: new posts with their seq and story."""

    items: list[Prepared]
    seqs: list[int]
    stories: list[int]
    updated: list[Prepared]


Listener = Callable[[Accepted], None]
RemovalListener = Callable[[Removed], None]  # posts gone: deleted at the source or expired


class FairLock:
    """A lock granted in the order it was asked for. With a plain lock, a thread that releases
    it and asks again at once (the pipeline's writer, always busy under load) gets it back
    before a waiting thread wakes up, and background expiry would starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the next ticket handed out
        self._serving = 0  # the ticket that holds the lock
        self._abandoned: set[int] = set()  # tickets whose waiter gave up (e.g. Ctrl-C)

    def acquire(self) -> None:
        with self._cond:
            ticket = self._next
            self._next += 1
            try:
                while ticket != self._serving:
                    self._cond.wait()
            except BaseException:
                if ticket == self._serving:
                    self._advance()
                else:
                    self._abandoned.add(ticket)
                raise

    def release(self) -> None:
        with self._cond:
            self._advance()

    def _advance(self) -> None:
        self._serving += 1
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    def __enter__(self) -> "FairLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Writer:
    """Owned by one thread at a time (the engine serialises calls with a lock).

    Listeners (trends, live feeds) are called on the writer's thread after each batch is
    accepted; they must be quick and must not raise (an exception is logged, not fatal).
    Removal listeners are called the same way after posts leave the store and the index
    (deleted at their source, or expired by retention), so derived state can drop them."""

    def __init__(self, store: Store, index: LexicalIndex, settings: Settings):
        self.store = store
        self.index = index
        self.settings = settings
        self.stories = StoryIndex(store.max_story() + 1, settings.dedup_window, settings.dedup_min_agreement)
        self.stories.load(store.recent_fingerprints(settings.dedup_window))
        self.hasher = TokenHasher()
        self._last_commit = 0.0
        self._dirty = False
        self._offsets: dict[str, str] = {}
        self.newest_us = store.newest_ts()
        self.listeners: list[Listener] = []
        self.removal_listeners: list[RemovalListener] = []

    def prepare(self, posts: Sequence[Post]) -> list[Prepared]:
        return prepare(posts, self.hasher, self.settings.dedup_min_tokens)

    # -- the hot path -----------------------------------------------------------------

    def write(self, items: Sequence[Prepared], offsets: dict[str, str] | None = None) -> IngestResult:
        res = IngestResult()
        # Last copy of a key within the batch wins, as it would arriving one by one.
        latest: dict[str, Prepared] = {}
        for it in items:
            prev = latest.get(it.key)
            if prev is not None:
                res.duplicates += 1
                if it.version < prev.version:
                    continue
            latest[it.key] = it
        existing = self.store.lookup(list(latest))
        new: list[Prepared] = []
        updates: list[tuple[Row, Prepared]] = []
        for k, it in latest.items():
            e: Existing | None = existing.get(k)
            if e is None:
                new.append(it)
            elif it.digest == e.digest:
                res.duplicates += 1
            elif it.version < e.version:
                res.stale += 1
            else:
                updates.append((Row(k, it.ts, it.version, it.author, e.story, b"", 0, it.digest, it.doc, seq=e.seq), it))
        new_rows, story_rows, story_authors = self._assign(new)
        self.store.write(new_rows, [r for r, _ in updates], story_rows, story_authors, offsets)
        if offsets:
            self._offsets.update(offsets)
        res.accepted = len(new_rows)
        res.updated = len(updates)
        res.seqs = [r.seq for r in new_rows]
        if new_rows:
            newest = max(r.ts for r in new_rows)
            if self.newest_us is None or newest > self.newest_us:
                self.newest_us = newest
            self.index.add(it.index_doc(r.seq, r.story) for r, it in zip(new_rows, new))
        res.newest_us = self.newest_us
        if updates:
            self.index.replace([it.index_doc(r.seq, r.story) for r, it in updates])
        self._dirty = self._dirty or bool(new_rows or updates)
        self.maybe_commit()
        if self.listeners and (new_rows or updates):
            acc = Accepted(new, [r.seq for r in new_rows], [r.story for r in new_rows], [it for _, it in updates])
            for fn in self.listeners:
                try:
                    fn(acc)
                except Exception:  # a listener's bug must not stop ingest
                    log.exception("ingest listener %r failed", fn)
        return res

    def _assign(self, new: list[Prepared]) -> tuple[list[Row], list[StoryRow], list[tuple[int, str]]]:
        if not new:
            return [], [], []
        first_new_story = self.stories.next_id
        seqs = self.store.reserve(len(new))
        rows: list[Row] = []
        touched: dict[int, list[Row]] = {}
        assign = self.stories.assign
        for it, seq in zip(new, seqs):
            story = assign(it.key, it.texthash, it.ntokens, it.sig, it.bands, it.ref, self._story_in_store)
            row = Row(it.key, it.ts, it.version, it.author, story, it.sig, it.texthash, it.digest, it.doc, seq)
            rows.append(row)
            t = touched.get(story)
            if t is None:
                touched[story] = [row]
            else:
                t.append(row)
        # Most stories are new and single-post: only older ones need their stored state.
        known, singles = self.store.story_state([s for s in touched if s < first_new_story])
        story_rows: list[StoryRow] = []
        story_authors: list[tuple[int, str]] = []
        for sid, rs in touched.items():
            old = known.get(sid) or singles.get(sid)
            if old is None and len(rs) == 1:
                continue  # a new single-post story: no rows until a second post joins
            authors = {r.author for r in rs}
            lo, hi = min(r.ts for r in rs), max(r.ts for r in rs)
            if old is None:
                story_authors.extend((sid, a) for a in authors)
                story_rows.append(StoryRow(sid, rs[0].seq, lo, hi, len(rs), len(authors)))
                continue
            if sid in singles:
                first = self.store.story_first_author(sid)
                if first is not None:
                    authors.add(first)
            story_authors.extend((sid, a) for a in authors)
            # authors = -1: the store recounts distinct authors inside the transaction.
            story_rows.append(StoryRow(sid, old.first_seq, min(old.first_ts, lo), max(old.last_ts, hi),
                                       old.posts + len(rs), -1))
        return rows, story_rows, story_authors

    def _story_in_store(self, key: str) -> int | None:
        d = self.store.lookup([key]).get(key)
        return d.story if d else None

    # -- index commits ----------------------------------------------------------------

    def maybe_commit(self, force: bool = False) -> bool:
        if not self._dirty:
            return False
        now = time.monotonic()
        if not force and (now - self._last_commit) * 1000 < self.settings.commit_interval_ms:
            return False
        self.commit()
        return True

    def commit(self) -> None:
        cur = self.store.cursor()
        self.index.commit(Checkpoint(cur.seq, cur.change, {**self.index.checkpoint().offsets, **self._offsets}))
        self._last_commit = time.monotonic()
        self._dirty = False

    def delete(self, keys: Sequence[str]) -> int:
        found = self.store.lookup(keys)
        return len(self.remove([e.seq for e in found.values()]).seqs) if found else 0

    def remove(self, seqs: Sequence[int], reason: str = "deleted", horizon_us: int | None = None) -> Removed:
        """Remove posts from the store and the index together (the store logs the deletions,
        so a crash before the index commit is repaired on start-up)."""
        gone = self.store.remove(seqs)
        gone.reason, gone.horizon_us = reason, horizon_us
        if gone.seqs:
            self.index.delete(gone.seqs)
            self._dirty = True
            self.maybe_commit()
            for fn in self.removal_listeners:
                try:
                    fn(gone)
                except Exception:  # a listener's bug must not stop the writer
                    log.exception("removal listener %r failed", fn)
        return gone

    # -- recovery ---------------------------------------------------------------------

    def repair(self) -> int:
        """Bring the index level with the store; returns how many documents were re-applied."""
        cp = self.index.checkpoint()
        n = 0
        for rows in self.store.rows_after(cp.seq):
            docs = [index_doc_from_row(*r) for r in rows]
            self.index.replace(docs)
            n += len(docs)
        for _cid, seq, kind in self.store.changes_after(cp.change):
            if kind == "delete":
                self.index.delete([seq])
            else:
                self.index.replace([index_doc_from_row(*r) for r in self.store.rows_by_seq([seq])])
            n += 1
        if n or cp.seq == 0:
            self._offsets = {**cp.offsets, **self.store.offsets()}
            self._dirty = True
            self.commit()
        if self.index.num_docs() != self.store.count():
            n += self.reindex()
        return n

    def reindex(self) -> int:
        """Rebuild the lexical index from the store."""
        self.index.clear()
        n = 0
        for rows in self.store.rows_after(0):
            self.index.add(index_doc_from_row(*r) for r in rows)
            n += len(rows)
        self._offsets = self.store.offsets()
        self._dirty = True
        self.commit()
        return n
