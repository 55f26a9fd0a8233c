"""A SQLite FTS5 baseline with the same ingest/search shape as `veristream.Engine`.

What a small team would build first: posts as JSON in a table, an FTS5 index over the
same fields the engine searches (text, hashtags, author handle), WAL, one transaction per
batch, BM25 ordering with a LIMIT. `Fts5Pipeline` puts the same kind of bounded queue and
batching writer thread in front of it as `veristream.Pipeline` does for the engine (same
`queue_max`, `batch_max`, `batch_delay_ms`), and bulk loads parse lines in worker processes
(`rows_from_lines`) as `veristream replay` does, so the comparison is about storage and search.

Like the engine's store, a committed batch is durable (`synchronous=FULL` when the
engine's `durability` is "fsync") and, being committed, immediately visible to readers.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from veristream.core.worker import STOP, BatchQueue, Worker, flush_through
from veristream.core.writer import IngestResult
from veristream.model import Post, post_from_doc
from veristream.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts(
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    ts INTEGER NOT NULL,
    doc BLOB NOT NULL
);
-- contentless: like the engine's tantivy index, the FTS index holds no post bodies
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, tags, handle, content='', tokenize='unicode61');
"""

_WORD = re.compile(r"\w+", re.UNICODE)

# A post made ready for the table, outside the writer: (key, ts, doc, text, tags, handle).
FtsRow = tuple[str, int, bytes, str, str, str]


def rows_from_posts(posts: Sequence[Post]) -> list[FtsRow]:
    dumps, opt = orjson.dumps, orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
    return [(p.key, p.ts_us, dumps(p, option=opt), p.text, " ".join(p.hashtags), p.author.handle.lower())
            for p in posts]


def rows_from_lines(lines: list[bytes]) -> tuple[list[FtsRow], int]:
    """Parse JSONL lines (in a worker process for bulk loads); returns (rows, rejected)."""
    from veristream.model import BadPost
    from veristream.readers import parse_line

    posts: list[Post] = []
    rejected = 0
    for line in lines:
        try:
            p = parse_line(line)
        except BadPost:
            rejected += 1
            continue
        if p is not None:
            posts.append(p)
    return rows_from_posts(posts), rejected


def fts_query(text: str, any_word: bool = False) -> str:
    """Free text -> an FTS5 query: every word must match (like the engine's default) or, with
    `any_word`, any of them; each word quoted so input is never read as FTS5 syntax."""
    return (" OR " if any_word else " ").join(f'"{w}"' for w in _WORD.findall(text.lower()))


class Fts5Baseline:
    def __init__(self, path: str | Path, settings: Settings | None = None, readonly: bool = False):
        self.path = Path(path)
        self.settings = settings or Settings()
        self.readonly = readonly
        self._local = threading.local()
        self._w: sqlite3.Connection | None = None
        self.newest_us: int | None = None
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            w = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            w.execute("PRAGMA journal_mode=WAL")
            w.execute(f"PRAGMA synchronous={'FULL' if self.settings.core.durability == 'fsync' else 'NORMAL'}")
            w.execute("PRAGMA cache_size=-65536")
            w.executescript(SCHEMA)
            self._w = w
            self._next_seq = (w.execute("SELECT coalesce(max(seq), 0) FROM posts").fetchone()[0]) + 1

    # -- writing (one writer; `Pipeline` calls these from its thread) -------------------

    def ingest(self, posts: Sequence[Post], offsets: dict[str, str] | None = None) -> IngestResult:
        """Store and index `posts` in one transaction; on return they are durable and visible."""
        return self.ingest_rows(rows_from_posts(posts))

    def ingest_rows(self, rows: Sequence[FtsRow]) -> IngestResult:
        w = self._w
        if w is None:
            raise RuntimeError("opened read-only")
        latest = {r[0]: r for r in rows}  # last copy of a key in the batch wins
        keys = list(latest)
        have: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key FROM posts WHERE key IN ({','.join('?' * len(chunk))})"
            have.update(k for (k,) in w.execute(q, chunk))
        post_rows = []
        fts_rows = []
        for k in keys:
            if k in have:
                continue
            _key, ts, doc, text, tags, handle = latest[k]
            seq = self._next_seq
            self._next_seq += 1
            post_rows.append((seq, k, ts, doc))
            fts_rows.append((seq, text, tags, handle))
            if self.newest_us is None or ts > self.newest_us:
                self.newest_us = ts
        try:
            w.execute("BEGIN")
            w.executemany("INSERT INTO posts(seq, key, ts, doc) VALUES (?,?,?,?)", post_rows)
            w.executemany("INSERT INTO fts(rowid, text, tags, handle) VALUES (?,?,?,?)", fts_rows)
            w.execute("COMMIT")
        except BaseException:
            if w.in_transaction:
                w.execute("ROLLBACK")
            raise
        return IngestResult(accepted=len(post_rows), duplicates=len(rows) - len(post_rows), newest_us=self.newest_us)

    # -- reading ----------------------------------------------------------------------

    @property
    def _r(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA cache_size=-32768")
            self._local.con = con
        return con

    def search(self, text: str, limit: int = 20, any_word: bool = False) -> list[Post]:
        """Best `limit` posts by BM25 (all words required, or any with `any_word`),
        materialised like the engine's hits."""
        q = fts_query(text, any_word)
        if not q:
            return []
        con = self._r
        ranked = con.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?", (q, limit)).fetchall()
        if not ranked:
            return []
        seqs = [r[0] for r in ranked]
        docs = dict(con.execute(f"SELECT seq, doc FROM posts WHERE seq IN ({','.join('?' * len(seqs))})", seqs))
        return [post_from_doc(orjson.loads(docs[s])) for s in seqs if s in docs]

    def count(self) -> int:
        return (self._w or self._r).execute("SELECT count(*) FROM posts").fetchone()[0]

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
        if self._w is not None:
            self._w.close()
            self._w = None


class Fts5Pipeline:
    """A bounded queue drained by one writer thread in batches (mirrors `veristream.Pipeline`):
    at most `queue_max` posts wait (producers block beyond that); a batch closes at
    `batch_max` posts or after `batch_delay_ms`."""

    def __init__(self, db: Fts5Baseline):
        s = db.settings
        self.db = db
        self._q = BatchQueue(s.core.queue_max)
        self._batch_max = s.core.batch_max
        self._delay = s.core.batch_delay_ms / 1000
        self.accepted = 0
        self.error: BaseException | None = None
        self._gathered = 0
        self._worker = Worker("fts5-writer", self._run).start()

    def put(self, post: Post) -> None:
        self.put_rows(rows_from_posts([post]))

    def put_rows(self, rows: list[FtsRow]) -> None:
        """Hand over prepared rows; blocks while `queue_max` posts are already waiting."""
        self._q.put(rows, len(rows), self._check)

    def backlog(self) -> int:
        return self._q.weight

    def flush(self) -> None:
        """Wait until everything put so far is committed (and so searchable)."""
        flush_through(self._q.put, self._check, what="fts5 flush")

    def close(self) -> None:
        self._worker.finish(self._q)
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"fts5 ingest failed: {self.error}") from self.error

    def _full(self, item: object) -> bool:
        self._gathered += len(item) if isinstance(item, list) else 0
        return item is STOP or isinstance(item, threading.Event) or self._gathered >= self._batch_max

    def _run(self, worker: Worker) -> None:
        stop = False
        while not stop:
            self._gathered = 0
            batch: list[FtsRow] = []
            waiters: list[threading.Event] = []
            for item in self._q.take(self._full, self._delay):
                if item is STOP:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    batch.extend(item)
            try:
                if batch:
                    self.accepted += self.db.ingest_rows(batch).accepted
            except BaseException as e:  # surfaced to the producer on its next call
                self.error = e
                stop = True
            self._q.release(len(batch))
            for ev in waiters:
                ev.set()
