"""The durable store: every accepted post, its story, and the source offsets, in SQLite (WAL).

Only this module opens the SQLite file. One writer connection (used by the engine's single
writer) and any number of reader connections; WAL lets readers run beside the writer.

Sequence numbers (`seq`) are the store's own document addresses: assigned once on insert,
never reused (AUTOINCREMENT), and recorded in the lexical index so a hit resolves to its row.
Updates and deletions are logged in `changes`, so an index that lags the store can be
brought up to date from (last seq, last change) alone; entries the index already covers are
pruned (`prune_changes`), so the log does not grow with expired posts.

`arrivals` marks, once per wall-clock second with writes, the last seq stored by then: the
arrival clock for retention and the ingest rate for stats, readable by any process.

Posts are whatever the sources sent, private statuses included where a source was given a
token: a writing store makes its directory 0700 and its files 0600 (SQLite gives the WAL and
shared-memory files the database's mode). A writer holds a shared `flock` on `posts.db.lock`
while it is open, so `restore` (which takes it exclusively) can tell that one is running.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .worker import Worker

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
CREATE INDEX IF NOT EXISTS posts_story_author ON posts(story, author);  -- story lookups; expiry prunes story_authors
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
    posts INTEGER NOT NULL,       -- every post the story has had, expired ones included
    authors INTEGER NOT NULL,     -- distinct authors: authors_gone + rows in story_authors
    title TEXT,                   -- first post's text, kept when the story's posts expire
    authors_gone INTEGER NOT NULL DEFAULT 0  -- authors whose last post in the story expired
);
CREATE TABLE IF NOT EXISTS story_authors(
    story INTEGER NOT NULL, author TEXT NOT NULL, PRIMARY KEY(story, author)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets(source TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS arrivals(
    sec INTEGER PRIMARY KEY,      -- wall clock, seconds since epoch
    seq INTEGER NOT NULL          -- posts with seq <= this had arrived by the end of `sec`
);
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY,       -- trends: an event raised by the detector (EventStore, end of file)
    status TEXT NOT NULL,         -- 'active' | 'faded' | 'merged'
    first_seen INTEGER NOT NULL,  -- event time, microseconds
    detected_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    doc BLOB NOT NULL,            -- the public record (JSON)
    state BLOB                    -- the detector's working state, to resume it after a restart
);
CREATE INDEX IF NOT EXISTS events_last_seen ON events(last_seen);
CREATE TABLE IF NOT EXISTS media_text(
    seq INTEGER PRIMARY KEY,      -- the post (posts.seq) whose images were read
    text TEXT NOT NULL            -- the text read from them (OCR), kept beside the post's document
);
CREATE TABLE IF NOT EXISTS consumers(
    name TEXT PRIMARY KEY,        -- a consumer of the accepted stream that writes back (e.g. 'media')
    seq INTEGER NOT NULL,         -- every post up to this seq is done
    ts INTEGER                    -- created_at of the post at `seq` (its lag in event time)
);
CREATE TABLE IF NOT EXISTS trending(
    win TEXT NOT NULL, rank INTEGER NOT NULL, doc BLOB NOT NULL, PRIMARY KEY(win, rank)
) WITHOUT ROWID;                  -- trends: the writer's latest trending terms per window
"""

TITLE_CHARS = 280


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
class Removed:
    """Posts removed from the store (and then the index): expired by retention or deleted at
    their source. What removal listeners (trends, vectors) receive."""

    seqs: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    stories: list[int] = field(default_factory=list)  # story of each removed post
    ts: list[int] = field(default_factory=list)  # created_at (us) of each removed post
    reason: str = "deleted"  # deleted | age | count | disk
    horizon_us: int | None = None  # age expiry: posts created before this are gone


@dataclass(slots=True)
class Cursor:
    """How far the store has gone: the index checkpoint compares against this."""

    seq: int
    change: int


POST_COLUMNS = ("seq", "key", "ts", "version", "author", "story", "sig", "texthash", "digest", "doc")
_INSERT_POSTS = f"INSERT INTO posts({','.join(POST_COLUMNS)}) VALUES"


# Rows per multi-row INSERT (`_insert`): 256 rows of 10 columns stay far below SQLite's 32,766
# parameters, and whole chunks of one size reuse one cached statement.
_ROWS_PER_INSERT = 256


def _insert(con: sqlite3.Connection, head: str, rows: Sequence[Sequence], tail: str = "") -> None:
    """`head` ("INSERT INTO t(a,b) VALUES") with `rows`, many rows per statement.

    Not `executemany`: it releases the interpreter around every row's step, and each time must
    win it back; beside a busy thread of the same process (unpickling prepared posts, the feed)
    every row then waits out a switch interval. Measured (2,000-row transactions, one thread
    spinning beside): executemany 1,372-1,547 µs a row, 256-row statements 8-14 (idle: 7-10 and 6-9)."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ",".join("?" * width) + ")"
    # (an SQLite built before 3.32 takes 999 parameters a statement, not 32,766)
    per = max(1, min(_ROWS_PER_INSERT, con.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    for i in range(0, len(rows), per):
        chunk = rows[i:i + per]
        con.execute(f"{head} {','.join([one] * len(chunk))} {tail}", [v for r in chunk for v in r])


def _signed(u: int) -> int:
    # SQLite integers are signed 64-bit; hashes are unsigned.
    return u - (1 << 64) if u >= (1 << 63) else u


def _unsigned(s: int) -> int:
    return s + (1 << 64) if s < 0 else s


log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"  # posts.db.lock: held (shared) by every writing store, exclusively by restore


class StoreBusy(RuntimeError):
    """The data directory is held by another party: a writer (for restore) or a restore (for a writer)."""


def private(path: Path) -> None:
    """Take group and other permissions off `path` (a directory: 0700; a file: 0600 or less)."""
    try:
        st = path.stat()
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077 and st.st_uid == os.geteuid():
            os.chmod(path, mode & 0o700)
    except FileNotFoundError:
        pass
    except PermissionError:  # someone else's: leave it, say so
        log.warning("%s is readable by others and cannot be made private here", path)


def create_private(path: Path) -> None:
    """Create `path` as an empty 0600 file if it is missing, else make it private."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        private(path)


def lock_path(db: str | Path) -> Path:
    return Path(db).with_name(Path(db).name + LOCK_SUFFIX)


def _flock(db: str | Path, exclusive: bool) -> int:
    """An open descriptor holding the store's lock (shared or exclusive), or StoreBusy."""
    import fcntl

    fd = os.open(lock_path(db), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreBusy(f"{Path(db).parent}: " + (
            "a veristream process is writing here (ingest or serve): stop it first" if exclusive
            else "a restore is replacing this data directory")) from None
    return fd


@contextmanager
def _immediate(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: the write lock taken at once (a deferred upgrade can fail midway),
    committed when the block ends, rolled back on anything it raises."""
    try:
        con.execute("BEGIN IMMEDIATE")
        yield con
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


@contextmanager
def exclusive(db: str | Path) -> Iterator[None]:
    """Hold the store at `db` against writers for the block (StoreBusy if one is running)."""
    fd = _flock(db, exclusive=True)
    try:
        yield
    finally:
        os.close(fd)


class Store:
    def __init__(self, path: str | Path, durability: str = "fsync", readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._closed = False
        self._lock_fd: int | None = None
        if readonly:
            self._w = None
        else:
            private(self.path.parent)
            create_private(self.path)  # before SQLite: its WAL and SHM files take this mode
            for suffix in ("-wal", "-shm"):
                private(self.path.with_name(self.path.name + suffix))
            self._lock_fd = _flock(self.path, exclusive=False)
            try:
                self._w = self._connect()
            except BaseException:
                os.close(self._lock_fd)
                raise
            self._migrate(self._w)
            self._w.executescript(SCHEMA)
            self._w.execute("DROP INDEX IF EXISTS posts_story")  # replaced by posts_story_author
            # FULL fsyncs the WAL on every commit: accepted means on disk. NORMAL only
            # reaches the OS, which still survives a process crash (SIGKILL).
            self._w.execute(f"PRAGMA synchronous={'FULL' if durability == 'fsync' else 'NORMAL'}")
            # Checkpoints (WAL -> database file) run on their own thread and connection, so
            # the writer's commits only append to the WAL; sqlite releases the GIL meanwhile.
            self._w.execute("PRAGMA wal_autocheckpoint=0")
            self._w.commit()
            self._ckpt = Worker("checkpoint", self._checkpointer).start()
            row = self._w.execute("SELECT seq FROM sqlite_sequence WHERE name='posts'").fetchone()
            self._next_seq = (row[0] if row else 0) + 1

    @staticmethod
    def _migrate(con: sqlite3.Connection) -> None:
        """Columns added to tables of an existing store (before SCHEMA's CREATE ... IF NOT EXISTS)."""
        cols = {r[1] for r in con.execute("PRAGMA table_info(stories)")}
        if cols and "title" not in cols:
            con.execute("ALTER TABLE stories ADD COLUMN title TEXT")
        if cols and "authors_gone" not in cols:
            con.execute("ALTER TABLE stories ADD COLUMN authors_gone INTEGER NOT NULL DEFAULT 0")

    def _connect(self) -> sqlite3.Connection:
        uri = f"file:{self.path}?mode=ro" if self.readonly else f"file:{self.path}"
        con = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None if self.readonly else "DEFERRED")
        con.execute("PRAGMA journal_mode=WAL") if not self.readonly else None
        con.execute("PRAGMA busy_timeout=10000")
        con.execute("PRAGMA cache_size=-65536")
        if not self.readonly:
            con.execute("PRAGMA journal_size_limit=67108864")  # the WAL shrinks back after a burst
        return con

    def _checkpointer(self, worker: Worker) -> None:
        con = self._connect()
        try:
            while not worker.sleep(0.5):
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

    def write(self, new: Sequence[tuple], updates: list[Row], stories: Sequence[StoryRow],
              story_authors: list[tuple[int, str]], offsets: dict[str, str] | None = None) -> None:
        """One transaction: on return (commit done) the rows are accepted. `new`: the new posts'
        rows as tuples in `POST_COLUMNS` order, their hashes as SQLite's signed integers: the
        writer makes them so, with no object per row in between."""
        w = self._w
        assert w is not None
        with _immediate(w):
            _insert(w, _INSERT_POSTS, new)
            if updates:
                w.executemany(
                    "UPDATE posts SET ts=?, version=?, digest=?, doc=? WHERE seq=?",
                    [(r.ts, r.version, _signed(r.digest), r.doc, r.seq) for r in updates],
                )
                w.executemany("INSERT INTO changes(seq, kind) VALUES (?, 'update')", [(r.seq,) for r in updates])
            # (a story appears once in `stories`: one statement never upserts a row twice)
            _insert(w, "INSERT INTO stories(id,first_seq,first_ts,last_ts,posts,authors) VALUES",
                    [(s.id, s.first_seq, s.first_ts, s.last_ts, s.posts, s.authors) for s in stories],
                    "ON CONFLICT(id) DO UPDATE SET first_ts=excluded.first_ts, last_ts=excluded.last_ts, "
                    "posts=excluded.posts, authors=excluded.authors")
            _insert(w, "INSERT OR IGNORE INTO story_authors(story, author) VALUES", story_authors)
            # (`_in` runs it 500 ids a statement; an UPDATE yields no rows)
            list(_in(w, "UPDATE stories SET authors=authors_gone+(SELECT count(*) FROM story_authors "
                        "WHERE story=stories.id) WHERE id IN ({})", [s.id for s in stories if s.authors < 0]))
            if new:
                sec = int(time.time())
                w.execute("INSERT INTO arrivals(sec, seq) VALUES (?,?) ON CONFLICT(sec) DO UPDATE SET seq=excluded.seq",
                          (sec, new[-1][0]))
            if offsets:
                w.executemany("INSERT INTO offsets(source, value) VALUES (?,?) ON CONFLICT(source) DO UPDATE SET value=excluded.value",
                              list(offsets.items()))

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
        return self.remove(list(found.values())).seqs if found else []

    def remove(self, seqs: Sequence[int]) -> Removed:
        """Remove posts by seq in one transaction, logged in `changes` for the index.

        Story summaries stay (counts, first/last seen; the title is saved from the first post
        removed); a story's author rows go once none of its kept posts is by that author."""
        w = self._w
        assert w is not None
        out = Removed()
        with _immediate(w):
            rows: list[tuple[int, str, int, int, str]] = []
            for i in range(0, len(seqs), 500):
                chunk = seqs[i : i + 500]
                rows += w.execute(f"SELECT seq, key, story, ts, author FROM posts WHERE seq IN ({','.join('?' * len(chunk))}) "
                                  "ORDER BY seq", chunk).fetchall()
            if not rows:
                return out
            summarised = dict(_in(w, "SELECT id, title IS NULL FROM stories WHERE id IN ({})", list({r[2] for r in rows})))
            first: dict[int, int] = {}
            for seq, _k, story, _t, _a in rows:
                if summarised.get(story) and story not in first:
                    first[story] = seq
            if first:
                docs = dict(_in(w, "SELECT seq, doc FROM posts WHERE seq IN ({})", list(first.values())))
                w.executemany("UPDATE stories SET title=? WHERE id=?",
                              [(_title(docs[seq]), story) for story, seq in first.items() if seq in docs])
            removed = [(r[0],) for r in rows]
            w.executemany("DELETE FROM posts WHERE seq=?", removed)
            w.executemany("DELETE FROM media_text WHERE seq=?", removed)
            w.executemany("INSERT INTO changes(seq, kind) VALUES (?, 'delete')", removed)
            gone: dict[int, int] = {}
            for story, author in {(r[2], r[4]) for r in rows if r[2] in summarised}:
                if w.execute("SELECT 1 FROM posts WHERE story=? AND author=? LIMIT 1", (story, author)).fetchone():
                    continue
                if w.execute("DELETE FROM story_authors WHERE story=? AND author=?", (story, author)).rowcount:
                    gone[story] = gone.get(story, 0) + 1
            w.executemany("UPDATE stories SET authors_gone=authors_gone+? WHERE id=?", [(n, s) for s, n in gone.items()])
        out.seqs = [r[0] for r in rows]
        out.keys = [r[1] for r in rows]
        out.stories = [r[2] for r in rows]
        out.ts = [r[3] for r in rows]
        return out

    def set_image_texts(self, texts: Sequence[tuple[int, str]], consumer: str, done_seq: int,
                        done_ts: int | None) -> list[int]:
        """Keep the text read from posts' images ((seq, text) each; logged in `changes`, so a
        crash before the index commit is repaired on start-up) and the consumer's checkpoint,
        in one transaction. Returns the seqs still stored (a post may have gone meanwhile)."""
        w = self._w
        assert w is not None
        with _immediate(w):
            there = {r[0] for r in _in(w, "SELECT seq FROM posts WHERE seq IN ({})", [seq for seq, _ in texts])}
            rows = [(seq, text) for seq, text in texts if seq in there]
            w.executemany("INSERT INTO media_text(seq, text) VALUES (?,?) ON CONFLICT(seq) DO UPDATE SET text=excluded.text",
                          rows)
            w.executemany("INSERT INTO changes(seq, kind) VALUES (?, 'update')", [(seq,) for seq, _ in rows])
            self._save_consumer(w, consumer, done_seq, done_ts)
        return [seq for seq, _ in rows]

    def set_consumer(self, name: str, seq: int, ts: int | None) -> None:
        """Move a consumer's checkpoint (posts it had nothing to write for)."""
        w = self._w
        assert w is not None
        with _immediate(w):
            self._save_consumer(w, name, seq, ts)

    @staticmethod
    def _save_consumer(w: sqlite3.Connection, name: str, seq: int, ts: int | None) -> None:
        w.execute("INSERT INTO consumers(name, seq, ts) VALUES (?,?,?) ON CONFLICT(name) DO UPDATE SET "
                  "seq=max(seq, excluded.seq), ts=CASE WHEN excluded.seq >= seq THEN excluded.ts ELSE ts END",
                  (name, seq, ts))

    def has_consumer(self, name: str) -> bool:
        """Whether a consumer of that name ever stored a checkpoint."""
        return self._r.execute("SELECT 1 FROM consumers WHERE name=?", (name,)).fetchone() is not None

    def consumer(self, name: str) -> tuple[int, int | None]:
        """(seq, ts) a consumer has done up to ((0, None) if it never ran)."""
        row = self._r.execute("SELECT seq, ts FROM consumers WHERE name=?", (name,)).fetchone()
        return (row[0], row[1]) if row else (0, None)

    def image_texts(self, seqs: Sequence[int]) -> dict[int, str]:
        """Text read from the images of these posts (absent: none read, or none found)."""
        return dict(_in(self._w or self._r, "SELECT seq, text FROM media_text WHERE seq IN ({})", list(seqs))) if seqs else {}

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

    def max_story_upto(self, seq: int) -> int:
        """The highest story id among the posts up to `seq` (story ids grow as posts arrive, so
        the story index read from its top stops at once for a `seq` near the newest)."""
        con = self._w or self._r
        row = con.execute("SELECT story FROM posts INDEXED BY posts_story_author WHERE seq <= ? ORDER BY story DESC "
                          "LIMIT 1", (seq,)).fetchone()
        first = con.execute("SELECT coalesce(max(id), 0) FROM stories WHERE first_seq <= ?", (seq,)).fetchone()[0]
        return max(row[0] if row else 0, first)

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
            q = (f"SELECT p.seq, p.story, p.doc, m.text FROM posts p LEFT JOIN media_text m ON m.seq = p.seq "
                 f"WHERE p.seq IN ({','.join('?' * len(chunk))})")
            for seq, story, doc, image_text in con.execute(q, chunk):
                d = orjson.loads(doc)
                d["story"] = story
                if image_text:
                    d["image_text"] = image_text
                out[seq] = d
        return out

    def doc_by_key(self, key: str) -> dict | None:
        row = self._r.execute("SELECT p.seq, p.story, p.doc, m.text FROM posts p LEFT JOIN media_text m ON m.seq = p.seq "
                              "WHERE p.key=?", (key,)).fetchone()
        if not row:
            return None
        d = orjson.loads(row[2])
        d["story"] = row[1]
        d["seq"] = row[0]
        if row[3]:
            d["image_text"] = row[3]
        return d

    def authors_of(self, keys: Sequence[str]) -> dict[str, str]:
        """Author id of each stored post among `keys` (absent: not stored)."""
        return dict(_in(self._r, "SELECT key, author FROM posts WHERE key IN ({})", list(keys)))

    def stories(self, ids: Sequence[int]) -> dict[int, StoryRow]:
        rows, singles = _story_rows(self._r, ids)
        rows.update(singles)
        return rows

    def stories_of(self, keys: Sequence[str]) -> dict[str, int]:
        """The story of each stored post among `keys` (writer connection), in one query per 500."""
        assert self._w is not None
        return dict(_in(self._w, "SELECT key, story FROM posts WHERE key IN ({})", list(keys)))

    def story_first_authors(self, stories: Sequence[int]) -> dict[int, str]:
        """The author of each story's first stored post (writer connection)."""
        assert self._w is not None
        # SQLite takes the bare column `author` from the row that holds min(seq).
        return {s: a for s, a, _ in _in(self._w, "SELECT story, author, min(seq) FROM posts WHERE story IN ({}) "
                                        "GROUP BY story", list(stories))}

    def story_first_author(self, story: int) -> str | None:
        assert self._w is not None
        row = self._w.execute("SELECT author FROM posts WHERE story=? ORDER BY seq LIMIT 1", (story,)).fetchone()
        return row[0] if row else None

    def story_title(self, story: int) -> str | None:
        row = self._r.execute("SELECT title FROM stories WHERE id=?", (story,)).fetchone()
        return row[0] if row else None

    def story_seqs(self, story: int, limit: int = 1000) -> list[int]:
        return [r[0] for r in self._r.execute("SELECT seq FROM posts WHERE story=? ORDER BY ts LIMIT ?", (story, limit))]

    def count(self) -> int:
        return self._r.execute("SELECT count(*) FROM posts").fetchone()[0]

    def newest_ts(self) -> int | None:
        return self._r.execute("SELECT max(ts) FROM posts").fetchone()[0]

    def offsets(self) -> dict[str, str]:
        return dict(self._r.execute("SELECT source, value FROM offsets"))

    def rows_after(self, seq: int, batch: int = 5000, upto: int | None = None) -> Iterator[list[tuple[int, int, int, bytes]]]:
        """(seq, ts, story, doc) of posts with seq > `seq` (and <= `upto`), in batches, for (re)indexing."""
        con = self._r
        hi = (1 << 63) - 1 if upto is None else upto
        while True:
            rows = con.execute("SELECT seq, ts, story, doc FROM posts WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                               (seq, hi, batch)).fetchall()
            if not rows:
                return
            yield rows
            seq = rows[-1][0]

    def rows_at(self, seqs: Sequence[int]) -> list[tuple[int, int, int, bytes]]:
        """(seq, ts, story, doc) of these posts, in seq order (removed ones are absent)."""
        out: list[tuple[int, int, int, bytes]] = []
        for i in range(0, len(seqs), 500):
            chunk = list(seqs[i : i + 500])
            out += self._r.execute(f"SELECT seq, ts, story, doc FROM posts WHERE seq IN ({','.join('?' * len(chunk))})",
                                   chunk).fetchall()
        return sorted(out)

    def changes_after(self, change: int) -> list[tuple[int, int, str]]:
        return self._r.execute("SELECT id, seq, kind FROM changes WHERE id > ? ORDER BY id", (change,)).fetchall()

    def rows_by_seq(self, seqs: Sequence[int], writer: bool = False) -> list[tuple[int, int, int, bytes]]:
        """`writer`: read on the writer's connection (the writer's thread, seeing its own writes)."""
        out = []
        con = self._w if writer and self._w is not None else self._r
        for i in range(0, len(seqs), 500):
            chunk = seqs[i : i + 500]
            out += con.execute(f"SELECT seq, ts, story, doc FROM posts WHERE seq IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return out

    def recent_fingerprints(self, limit: int) -> list[tuple[str, int, int, bytes]]:
        """(key, story, texthash, sig) of the newest `limit` posts, oldest first."""
        rows = self._r.execute(
            "SELECT key, story, texthash, sig FROM posts ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
        rows.reverse()
        return [(k, st, _unsigned(th), sig) for k, st, th, sig in rows]

    # -- retention: picking what expires (reader), pruning logs (writer) --------------

    def oldest(self, limit: int, by: str = "ts", before_ts: int | None = None, upto_seq: int | None = None) -> list[int]:
        """Seqs of the oldest posts, by event time (`ts`) or arrival (`seq`), optionally only
        those created before `before_ts` or stored up to `upto_seq`."""
        if by == "ts":
            q, arg = ("SELECT seq FROM posts WHERE ts < ? ORDER BY ts LIMIT ?", before_ts) if before_ts is not None \
                else ("SELECT seq FROM posts ORDER BY ts LIMIT ?", None)
        else:
            q, arg = ("SELECT seq FROM posts WHERE seq <= ? ORDER BY seq LIMIT ?", upto_seq) if upto_seq is not None \
                else ("SELECT seq FROM posts ORDER BY seq LIMIT ?", None)
        args = (limit,) if arg is None else (arg, limit)
        return [r[0] for r in self._r.execute(q, args)]

    def arrived_before(self, sec: float) -> int:
        """The highest seq stored before wall-clock time `sec` (0 if none)."""
        row = self._r.execute("SELECT max(seq) FROM arrivals WHERE sec < ?", (int(sec),)).fetchone()
        return row[0] or 0

    def prune_changes(self, upto: int, limit: int = 100_000) -> int:
        """Drop change-log entries the index already covers (id <= `upto`)."""
        assert self._w is not None
        cur = self._w.execute("DELETE FROM changes WHERE id IN (SELECT id FROM changes WHERE id <= ? ORDER BY id LIMIT ?)",
                              (upto, limit))
        self._w.commit()
        return cur.rowcount

    def prune_arrivals(self, before_sec: float) -> int:
        """Drop arrival marks older than `before_sec` that no stored post needs."""
        assert self._w is not None
        cur = self._w.execute("DELETE FROM arrivals WHERE sec < ? AND seq < coalesce((SELECT min(seq) FROM posts), ?)",
                              (int(before_sec), 1 << 62))
        self._w.commit()
        return cur.rowcount

    def summaries_page(self, after_id: int, limit: int) -> list[tuple[int, int]]:
        """(id, last_ts) of story summaries after `after_id`, in id order (reader)."""
        return self._r.execute("SELECT id, last_ts FROM stories WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)).fetchall()

    def drop_summaries(self, ids: Sequence[int], before_ts: int) -> int:
        """Delete the summaries of stories last seen before `before_ts` that have no posts left."""
        w = self._w
        assert w is not None
        n = 0
        with _immediate(w):
            for sid in ids:
                cur = w.execute("DELETE FROM stories WHERE id=?1 AND last_ts < ?2 AND NOT EXISTS "
                                "(SELECT 1 FROM posts WHERE story=?1)", (sid, before_ts))
                if cur.rowcount:
                    n += 1
                    w.execute("DELETE FROM story_authors WHERE story=?", (sid,))
        return n

    def drop_events(self, before_ts: int, limit: int = 10_000) -> int:
        """Delete trend events that faded (or merged) and were last seen before `before_ts`:
        like story summaries, they outlive their posts by `retention_story_days`, no longer."""
        w = self._w
        assert w is not None
        try:
            cur = w.execute("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE last_seen < ? "
                            "AND status != 'active' LIMIT ?)", (before_ts, limit))
            w.commit()
        except sqlite3.OperationalError:  # a store written before events existed
            return 0
        return cur.rowcount

    # -- stats, export and backup (readers) --------------------------------------------

    def used_bytes(self) -> int:
        """Bytes of the database's pages in use: not the pages freed for reuse (the file keeps
        them), nor the WAL (a transient copy of pages, cut back to 64 MB after checkpoints)."""
        con = self._r
        size, pages, free = (con.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count", "freelist_count"))
        return size * (pages - free)

    def figures(self) -> dict[str, int | None]:
        """Counts for `stats` over one snapshot: posts, stories, summaries, authors, time span."""
        con = self._reader()
        try:
            con.execute("BEGIN")
            one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
            return {"posts": one("SELECT count(*) FROM posts"),
                    "stories": one("SELECT count(DISTINCT story) FROM posts"),
                    "story_summaries": one("SELECT count(*) FROM stories"),
                    "summaries_without_posts": one("SELECT count(*) FROM stories s WHERE NOT EXISTS "
                                                   "(SELECT 1 FROM posts WHERE story=s.id)"),
                    "authors": one("SELECT count(DISTINCT author) FROM posts"),
                    "story_authors": one("SELECT count(*) FROM story_authors"),
                    "changes": one("SELECT count(*) FROM changes"),
                    "oldest_us": one("SELECT min(ts) FROM posts"),
                    "newest_us": one("SELECT max(ts) FROM posts")}
        finally:
            con.close()

    def ingest_rate(self, window_s: float = 60.0, now: float | None = None) -> float:
        """New posts per second stored over the last `window_s` seconds of wall-clock time."""
        now = time.time() if now is None else now
        con = self._r
        last = con.execute("SELECT sec, seq FROM arrivals ORDER BY sec DESC LIMIT 1").fetchone()
        if last is None or last[0] < now - window_s:
            return 0.0
        base = con.execute("SELECT sec, seq FROM arrivals WHERE sec < ? ORDER BY sec DESC LIMIT 1", (int(now - window_s),)).fetchone()
        if base is None:  # the store is younger than the window
            first = con.execute("SELECT sec FROM arrivals ORDER BY sec LIMIT 1").fetchone()[0]
            lo = con.execute("SELECT min(seq) FROM posts").fetchone()[0] or last[1]
            return (last[1] - lo + 1) / max(1.0, now - first)
        return (last[1] - base[1]) / max(1.0, now - base[0] - 1)

    @staticmethod
    def check(path: str | Path) -> str | None:
        """None if the SQLite file at `path` is sound, else what is wrong (quick_check)."""
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                res = [r[0] for r in con.execute("PRAGMA quick_check")]
                con.execute("SELECT count(*) FROM posts").fetchone()
            finally:
                con.close()
        except sqlite3.DatabaseError as e:
            return str(e)
        return None if res == ["ok"] else "; ".join(res[:5])

    @contextmanager
    def snapshot(self) -> Iterator["Snapshot"]:
        """A consistent read-only view for as long as the block runs (the writer goes on)."""
        con = self._reader()
        try:
            con.execute("BEGIN")
            con.execute("SELECT 1 FROM posts LIMIT 1").fetchall()  # the snapshot starts here
            yield Snapshot(con)
        finally:
            con.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._w is not None:
            self._ckpt.stop()
            self._w.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._w.close()
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


class Snapshot:
    """One read transaction: every query sees the store as it was when the snapshot began."""

    def __init__(self, con: sqlite3.Connection):
        self._con = con

    def _where(self, since_us: int | None, until_us: int | None) -> tuple[str, list[int]]:
        cond, args = [], []
        if since_us is not None:
            cond.append("ts >= ?")
            args.append(since_us)
        if until_us is not None:
            cond.append("ts <= ?")
            args.append(until_us)
        return (" WHERE " + " AND ".join(cond) if cond else ""), args

    def count(self, since_us: int | None = None, until_us: int | None = None) -> int:
        where, args = self._where(since_us, until_us)
        return self._con.execute(f"SELECT count(*) FROM posts{where}", args).fetchone()[0]

    def rows(self, since_us: int | None = None, until_us: int | None = None,
             batch: int = 2000) -> Iterator[list[tuple[int, int, int, bytes]]]:
        """(seq, ts, story, doc) of posts in event-time order, in batches."""
        where, args = self._where(since_us, until_us)
        cur = self._con.execute(f"SELECT seq, ts, story, doc FROM posts{where} ORDER BY ts, seq", args)
        while rows := cur.fetchmany(batch):
            yield rows

    def newest_ts(self) -> int | None:
        return self._con.execute("SELECT max(ts) FROM posts").fetchone()[0]

    def rows_by_seq(self, seqs: Sequence[int]) -> list[tuple[int, int, int, bytes]]:
        return list(_in(self._con, "SELECT seq, ts, story, doc FROM posts WHERE seq IN ({}) ORDER BY ts, seq", seqs))

    def backup(self, path: str | Path) -> None:
        """Copy the whole database as of this snapshot into a new file at `path` (0600)."""
        create_private(Path(path))
        dst = sqlite3.connect(str(path))
        try:
            self._con.backup(dst)  # pages=-1: one step, inside this read transaction
        finally:
            dst.close()


def _in(con: sqlite3.Connection, query: str, values: Sequence) -> Iterator[tuple]:
    """Rows of `query` whose single `IN ({})` takes `values`, 500 at a time."""
    for i in range(0, len(values), 500):
        chunk = values[i : i + 500]
        yield from con.execute(query.format(",".join("?" * len(chunk))), chunk)


def _title(doc: bytes) -> str:
    text = " ".join(str(orjson.loads(doc).get("text") or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


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


# -- events (trends) ----------------------------------------------------------------------
# The trends detector (veristream.trends) persists its events and its latest trending terms
# here. It runs on its own thread, so it writes through its own connection (WAL: one writer
# at a time; these transactions are small and rate-limited) and reads what it resumes from
# through the same connection; callers on other threads read through their own.


class EventStore:
    def __init__(self, store: Store):
        self.store = store
        self._w: sqlite3.Connection | None = None

    def _writer(self) -> sqlite3.Connection:
        if self._w is None:
            assert not self.store.readonly
            self._w = self.store._connect()
            self._w.execute("PRAGMA synchronous=NORMAL")  # derived data: a lost flush is re-derived
        return self._w

    def save(self, events: Sequence[tuple[int, str, int, int, int, bytes, bytes | None]],
             trending: dict[str, list[bytes]] | None = None, consumer: tuple[str, int, int | None] | None = None
             ) -> None:
        """Upsert event rows (id, status, first_seen, detected_at, last_seen, doc, state) and
        replace the trending snapshot of the windows given, in one transaction; with
        `consumer` (name, seq, ts), the detector's checkpoint moves in the same transaction."""
        if not events and not trending and consumer is None:
            return
        w = self._writer()
        with _immediate(w):
            if consumer is not None:
                Store._save_consumer(w, *consumer)
            w.executemany(
                "INSERT INTO events(id, status, first_seen, detected_at, last_seen, doc, state) VALUES (?,?,?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET status=excluded.status, first_seen=excluded.first_seen, "
                "detected_at=excluded.detected_at, last_seen=excluded.last_seen, doc=excluded.doc, state=excluded.state",
                events)
            for win, docs in (trending or {}).items():
                w.execute("DELETE FROM trending WHERE win=?", (win,))
                w.executemany("INSERT INTO trending(win, rank, doc) VALUES (?,?,?)",
                              [(win, i, d) for i, d in enumerate(docs)])

    def events(self, since_us: int | None = None, limit: int = 50, merged: bool = False) -> list[dict]:
        """Public event records seen at/after `since_us`, newest detection first."""
        q = "SELECT doc FROM events WHERE last_seen >= ?" + ("" if merged else " AND status != 'merged'")
        q += " ORDER BY detected_at DESC, id DESC LIMIT ?"
        try:
            rows = self.store._r.execute(q, (since_us if since_us is not None else -(1 << 62), limit)).fetchall()
        except sqlite3.OperationalError:  # a store written before events existed
            return []
        return [orjson.loads(r[0]) for r in rows]

    def _read(self) -> sqlite3.Connection:
        """The writer's connection (it sees its own writes), or in a read-only store (a
        detector in a process of its own) the thread's reader."""
        return self.store._r if self.store.readonly else self._writer()

    def posts_after(self, after: int, upto: int, limit: int) -> list[tuple[int, int, str, int, bytes]]:
        """(seq, ts, author, story, doc) of posts with after < seq <= upto, in seq order: what a
        detector tailing the store reads next."""
        return self.store._r.execute("SELECT seq, ts, author, story, doc FROM posts WHERE seq > ? AND seq <= ? "
                                     "ORDER BY seq LIMIT ?", (after, upto, limit)).fetchall()

    def resumable(self, since_us: int) -> list[tuple[dict, bytes]]:
        """(record, state) of events the detector may still extend: not merged, seen since."""
        rows = self._read().execute(
            "SELECT doc, state FROM events WHERE status != 'merged' AND state IS NOT NULL AND last_seen >= ? "
            "ORDER BY id", (since_us,)).fetchall()
        return [(orjson.loads(d), s) for d, s in rows]

    def max_id(self) -> int:
        return self._read().execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]

    def trending(self, win: str, limit: int = 20) -> list[dict]:
        try:
            rows = self.store._r.execute("SELECT doc FROM trending WHERE win=? ORDER BY rank LIMIT ?",
                                         (win, limit)).fetchall()
        except sqlite3.OperationalError:
            return []
        return [orjson.loads(r[0]) for r in rows]

    def recent_posts(self, max_seq: int, since_us: int, limit: int) -> list[tuple[int, int, str, int, bytes]]:
        """(seq, ts, author, story, doc) of the newest `limit` posts with ts >= since_us and
        seq <= max_seq, in event-time order: what the detector replays on start-up."""
        rows = self._read().execute(
            "SELECT seq, ts, author, story, doc FROM posts WHERE ts >= ? AND seq <= ? ORDER BY ts DESC, seq DESC LIMIT ?",
            (since_us, max_seq, limit)).fetchall()
        rows.reverse()
        return rows

    def close(self) -> None:
        if self._w is not None:
            self._w.close()
            self._w = None
