"""The durable store: every accepted post, its story, and the source offsets, in SQLite (WAL).

Only this module opens the SQLite file. One writer connection (used by the engine's single
writer) and any number of reader connections; WAL lets readers run beside the writer.

Sequence numbers (`seq`) are the store's own document addresses: assigned once on insert,
never reused (AUTOINCREMENT), and recorded in the lexical index so a hit resolves to its row.
Updates and deletions are logged in `changes`, so an index that lags the store can be
brought up to date from (last seq, last change) alone.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    ts INTEGER NOT NULL,          -- created_at, microseconds since epoch (event time)
    version INTEGER NOT NULL,     -- edited_at or created_at: an older version never replaces a newer one
    author TEXT NOT NULL,
    story INTEGER NOT NULL,
    sig BLOB NOT NULL,            -- MinHash signature (stories)
    texthash INTEGER NOT NULL,
    digest INTEGER NOT NULL,      -- hash of doc: an identical re-ingest is a no-op
    doc BLOB NOT NULL             -- the post as JSON (own schema, with raw)
);
CREATE INDEX IF NOT EXISTS posts_ts ON posts(ts);
CREATE INDEX IF NOT EXISTS posts_story ON posts(story);
CREATE TABLE IF NOT EXISTS changes(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL            -- 'update' | 'delete'
);
CREATE TABLE IF NOT EXISTS stories(
    id INTEGER PRIMARY KEY,
    first_seq INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    posts INTEGER NOT NULL,
    authors INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS story_authors(
    story INTEGER NOT NULL, author TEXT NOT NULL, PRIMARY KEY(story, author)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets(source TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(slots=True)
class Row:
    """One post as the writer hands it to the store."""

    key: str
    ts: int
    version: int
    author: str
    story: int
    sig: bytes
    texthash: int
    digest: int
    doc: bytes
    seq: int = 0  # assigned by the store on insert


@dataclass(slots=True)
class Existing:
    seq: int
    version: int
    digest: int
    story: int


@dataclass(slots=True)
class StoryRow:
    id: int
    first_seq: int
    first_ts: int
    last_ts: int
    posts: int
    authors: int


@dataclass(slots=True)
class Cursor:
    """How far the store has gone: the index checkpoint compares against this."""

    seq: int
    change: int


def _signed(u: int) -> int:
    # SQLite integers are signed 64-bit; hashes are unsigned.
    return u - (1 << 64) if u >= (1 << 63) else u


def _unsigned(s: int) -> int:
    return s + (1 << 64) if s < 0 else s


class Store:
    def __init__(self, path: str | Path, durability: str = "fsync", readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._closed = False
        if readonly:
            self._w = None
        else:
            self._w = self._connect()
            self._w.executescript(SCHEMA)
            # FULL fsyncs the WAL on every commit: accepted means on disk. NORMAL only
            # reaches the OS, which still survives a process crash (SIGKILL).
            self._w.execute(f"PRAGMA synchronous={'FULL' if durability == 'fsync' else 'NORMAL'}")
            # Checkpoints (WAL -> database file) run on their own thread and connection, so
            # the writer's commits only append to the WAL; sqlite releases the GIL meanwhile.
            self._w.execute("PRAGMA wal_autocheckpoint=0")
            self._w.commit()
            self._stop = threading.Event()
            self._ckpt = threading.Thread(target=self._checkpointer, name="veristream-checkpoint", daemon=True)
            self._ckpt.start()
            row = self._w.execute("SELECT seq FROM sqlite_sequence WHERE name='posts'").fetchone()
            self._next_seq = (row[0] if row else 0) + 1

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{self.path}?mode=ro" if self.readonly else f"file:{self.path}"
        con = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None if self.readonly else "DEFERRED")
        con.execute("PRAGMA journal_mode=WAL") if not self.readonly else None
        con.execute("PRAGMA busy_timeout=10000")
        con.execute("PRAGMA cache_size=-65536")
        return con

    def _checkpointer(self) -> None:
        con = self._connect()
        try:
            while not self._stop.wait(0.5):
                con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            con.close()

    @property
    def _r(self) -> sqlite3.Connection:
        """A reader connection per thread: sqlite3 connections must not be shared mid-query."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self._connect() if self.readonly or self._w is None else self._reader()
        return con

    def _reader(self) -> sqlite3.Connection:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
        con.execute("PRAGMA busy_timeout=10000")
        con.execute("PRAGMA cache_size=-32768")
        return con

    # -- writing (single writer) -------------------------------------------------------

    def lookup(self, keys: Sequence[str]) -> dict[str, Existing]:
        """Rows already stored for these keys (writer connection: sees its own writes)."""
        out: dict[str, Existing] = {}
        assert self._w is not None
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT key, seq, version, digest, story FROM posts WHERE key IN ({','.join('?' * len(chunk))})"
            for key, seq, version, digest, story in self._w.execute(q, chunk):
                out[key] = Existing(seq, version, _unsigned(digest), story)
        return out

    def write(self, new: list[Row], updates: list[Row], stories: Sequence[StoryRow],
              story_authors: list[tuple[int, str]], offsets: dict[str, str] | None = None) -> None:
        """One transaction: on return (commit done) the rows are accepted."""
        w = self._w
        assert w is not None
        try:
            w.execute("BEGIN")
            w.executemany(
                "INSERT INTO posts(seq,key,ts,version,author,story,sig,texthash,digest,doc) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(r.seq, r.key, r.ts, r.version, r.author, r.story, r.sig, _signed(r.texthash), _signed(r.digest), r.doc) for r in new],
            )
            if updates:
                w.executemany(
                    "UPDATE posts SET ts=?, version=?, digest=?, doc=? WHERE seq=?",
                    [(r.ts, r.version, _signed(r.digest), r.doc, r.seq) for r in updates],
                )
                w.executemany("INSERT INTO changes(seq, kind) VALUES (?, 'update')", [(r.seq,) for r in updates])
            w.executemany(
                "INSERT INTO stories(id,first_seq,first_ts,last_ts,posts,authors) VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET first_ts=excluded.first_ts, last_ts=excluded.last_ts, "
                "posts=excluded.posts, authors=excluded.authors",
                [(s.id, s.first_seq, s.first_ts, s.last_ts, s.posts, s.authors) for s in stories],
            )
            w.executemany("INSERT OR IGNORE INTO story_authors(story, author) VALUES (?,?)", story_authors)
            w.executemany("UPDATE stories SET authors=(SELECT count(*) FROM story_authors WHERE story=?1) WHERE id=?1",
                          [(s.id,) for s in stories if s.authors < 0])
            if offsets:
                w.executemany("INSERT INTO offsets(source, value) VALUES (?,?) ON CONFLICT(source) DO UPDATE SET value=excluded.value",
                              list(offsets.items()))
            w.execute("COMMIT")
        except BaseException:
            if w.in_transaction:
                w.execute("ROLLBACK")
            raise

    def reserve(self, n: int) -> range:
        """Seqs for `n` new rows; a seq is never handed out twice, even if its write fails."""
        r = range(self._next_seq, self._next_seq + n)
        self._next_seq += n
        return r

    def delete(self, keys: Sequence[str]) -> list[int]:
        """Remove posts (e.g. deleted at the source); returns the seqs removed."""
        w = self._w
        assert w is not None
        found = {k: e.seq for k, e in self.lookup(keys).items()}
        if not found:
            return []
        w.execute("BEGIN")
        seqs = list(found.values())
        w.executemany("DELETE FROM posts WHERE seq=?", [(s,) for s in seqs])
        w.executemany("INSERT INTO changes(seq, kind) VALUES (?, 'delete')", [(s,) for s in seqs])
        w.execute("COMMIT")
        return seqs

    def story_state(self, ids: Sequence[int]) -> tuple[dict[int, StoryRow], dict[int, StoryRow]]:
        """(stories with a row, single-post stories) among `ids`, seen by the writer.

        A story gets a row (and author rows) only once it has two posts: most posts are
        unique, and skipping those rows halves the store's write work."""
        assert self._w is not None
        return _story_rows(self._w, ids)

    def max_story(self) -> int:
        con = self._w or self._r
        return max(con.execute("SELECT coalesce(max(id), 0) FROM stories").fetchone()[0],
                   con.execute("SELECT coalesce(max(story), 0) FROM posts").fetchone()[0])

    # -- reading ----------------------------------------------------------------------

    def cursor(self) -> Cursor:
        con = self._w or self._r
        seq = con.execute("SELECT seq FROM sqlite_sequence WHERE name='posts'").fetchone()
        ch = con.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()
        return Cursor(seq[0] if seq else 0, ch[0] if ch else 0)

    def docs(self, seqs: Sequence[int]) -> dict[int, dict]:
        """Decoded post documents by seq (missing seqs, e.g. deleted, are absent)."""
        out: dict[int, dict] = {}
        con = self._r
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            q = f"SELECT seq, story, doc FROM posts WHERE seq IN ({','.join('?' * len(chunk))})"
            for seq, story, doc in con.execute(q, chunk):
                d = orjson.loads(doc)
                d["story"] = story
                out[seq] = d
        return out

    def doc_by_key(self, key: str) -> dict | None:
        row = self._r.execute("SELECT seq, story, doc FROM posts WHERE key=?", (key,)).fetchone()
        if not row:
            return None
        d = orjson.loads(row[2])
        d["story"] = row[1]
        d["seq"] = row[0]
        return d

    def stories(self, ids: Sequence[int]) -> dict[int, StoryRow]:
        rows, singles = _story_rows(self._r, ids)
        rows.update(singles)
        return rows

    def story_first_author(self, story: int) -> str | None:
        assert self._w is not None
        row = self._w.execute("SELECT author FROM posts WHERE story=? ORDER BY seq LIMIT 1", (story,)).fetchone()
        return row[0] if row else None

    def story_seqs(self, story: int, limit: int = 1000) -> list[int]:
        return [r[0] for r in self._r.execute("SELECT seq FROM posts WHERE story=? ORDER BY ts LIMIT ?", (story, limit))]

    def count(self) -> int:
        return self._r.execute("SELECT count(*) FROM posts").fetchone()[0]

    def newest_ts(self) -> int | None:
        return self._r.execute("SELECT max(ts) FROM posts").fetchone()[0]

    def offsets(self) -> dict[str, str]:
        return dict(self._r.execute("SELECT source, value FROM offsets"))

    def rows_after(self, seq: int, batch: int = 5000) -> Iterator[list[tuple[int, int, int, bytes]]]:
        """(seq, ts, story, doc) of posts with seq > `seq`, in batches, for (re)indexing."""
        con = self._r
        while True:
            rows = con.execute("SELECT seq, ts, story, doc FROM posts WHERE seq > ? ORDER BY seq LIMIT ?", (seq, batch)).fetchall()
            if not rows:
                return
            yield rows
            seq = rows[-1][0]

    def changes_after(self, change: int) -> list[tuple[int, int, str]]:
        return self._r.execute("SELECT id, seq, kind FROM changes WHERE id > ? ORDER BY id", (change,)).fetchall()

    def rows_by_seq(self, seqs: Sequence[int]) -> list[tuple[int, int, int, bytes]]:
        out = []
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            out += self._r.execute(f"SELECT seq, ts, story, doc FROM posts WHERE seq IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return out

    def recent_fingerprints(self, limit: int) -> list[tuple[str, int, int, bytes]]:
        """(key, story, texthash, sig) of the newest `limit` posts, oldest first."""
        rows = self._r.execute(
            "SELECT key, story, texthash, sig FROM posts ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
        rows.reverse()
        return [(k, st, _unsigned(th), sig) for k, st, th, sig in rows]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._w is not None:
            self._stop.set()
            self._ckpt.join()
            self._w.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._w.close()
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()


def _story_rows(con: sqlite3.Connection, ids: Sequence[int]) -> tuple[dict[int, StoryRow], dict[int, StoryRow]]:
    rows: dict[int, StoryRow] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        q = f"SELECT id, first_seq, first_ts, last_ts, posts, authors FROM stories WHERE id IN ({','.join('?' * len(chunk))})"
        for row in con.execute(q, chunk):
            rows[row[0]] = StoryRow(*row)
    missing = [i for i in ids if i not in rows]
    singles: dict[int, StoryRow] = {}
    for i in range(0, len(missing), 500):
        chunk = missing[i : i + 500]
        q = f"SELECT story, seq, ts FROM posts WHERE story IN ({','.join('?' * len(chunk))})"
        for story, seq, ts in con.execute(q, chunk):
            singles[story] = StoryRow(story, seq, ts, ts, 1, 1)
    return rows, singles
