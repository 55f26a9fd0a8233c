"""Notes, ratings and scores, kept in `notes.sqlite` beside the post store (SQLite, WAL).

Why a file of its own rather than tables in `posts.db`: ratings are bulk third-party data
(the public ratings files hold over a hundred million rows). Kept apart, loading them never
holds the post store's write lock against the live writer, and their size never counts
against the posts' retention disk budget (`retention_max_disk_mb`). Only this module opens
the file. Writes go through one connection under a lock (one writer, as in the store);
reads use a connection per thread, so readers run beside a load.

Rater participant ids (64 hex characters) are stored once, in `raters`; a rating refers to
its rater by a small integer, which keeps a million ratings to a few tens of megabytes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from .records import HELPFUL, MISLEADING, NoteRow, RatingRow

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes(
    note_id INTEGER PRIMARY KEY,      -- the published noteId
    post_key TEXT NOT NULL,           -- the post it is about: x:<tweetId>, or the file's postKey
    author TEXT NOT NULL,             -- noteAuthorParticipantId
    created_ms INTEGER NOT NULL,
    classification TEXT NOT NULL,     -- MISINFORMED_OR_POTENTIALLY_MISLEADING | NOT_MISLEADING
    summary TEXT NOT NULL,
    extra BLOB                        -- the file's other columns (JSON)
);
CREATE INDEX IF NOT EXISTS notes_post ON notes(post_key);
CREATE TABLE IF NOT EXISTS raters(
    id INTEGER PRIMARY KEY,
    participant TEXT NOT NULL UNIQUE, -- raterParticipantId
    intercept REAL,                   -- from the last scoring run (NULL: not in it)
    factor REAL
);
CREATE TABLE IF NOT EXISTS ratings(
    note_id INTEGER NOT NULL,
    rater INTEGER NOT NULL,           -- raters.id
    created_ms INTEGER NOT NULL,      -- a rater's newer rating of a note replaces the older
    value2 INTEGER NOT NULL,          -- helpfulness in halves: 2 helpful, 1 somewhat, 0 not
    tags INTEGER NOT NULL,            -- bit i: the i-th of tsv.RATING_TAGS was ticked
    PRIMARY KEY(note_id, rater)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scores(
    note_id INTEGER PRIMARY KEY,      -- every note with ratings at the last scoring run
    intercept REAL,                   -- NULL: too few ratings to take part in the fit
    factor REAL,
    fitted INTEGER NOT NULL,          -- its ratings that took part in the fit
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scores_status ON scores(status);
CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, report BLOB NOT NULL);
"""

RATER_CACHE_MAX = 500_000  # participant -> id entries remembered while loading ratings


@dataclass(slots=True)
class RatingArrays:
    """Every stored rating as parallel arrays (one read snapshot)."""

    note_ids: np.ndarray  # int64 published note ids
    raters: np.ndarray  # int64 raters.id
    value2: np.ndarray  # int8 helpfulness in halves


@dataclass(slots=True)
class NoteScoreRow:
    note_id: int
    post_key: str
    author: str
    created_ms: int
    summary: str
    classification: str
    status: str | None
    intercept: float | None
    factor: float | None
    ratings: int


class NoteStore:
    def __init__(self, path: str | Path, durability: str = "fsync", readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self.durability = durability
        self._lock = threading.Lock()  # the writer
        self._readers_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._w: sqlite3.Connection | None = None
        self._rater_ids: dict[str, int] = {}
        self._closed = False
        if not readonly:
            w = self._w = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            w.execute("PRAGMA journal_mode=WAL")
            w.execute("PRAGMA busy_timeout=10000")
            w.execute(f"PRAGMA synchronous={'FULL' if durability == 'fsync' else 'NORMAL'}")
            w.executescript(SCHEMA)

    # -- reading ---------------------------------------------------------------------------

    def exists(self) -> bool:
        return self._w is not None or self.path.is_file()

    @property
    def _r(self) -> sqlite3.Connection | None:
        """This thread's reader connection; None while a read-only store has no file yet."""
        con = getattr(self._local, "con", None)
        if con is None:
            if self._closed or not self.exists():
                return None
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
            con.execute("PRAGMA busy_timeout=10000")
            self._local.con = con
            with self._readers_lock:
                self._readers.append(con)
        return con

    def _query(self, sql: str, args: Sequence = ()) -> list[tuple]:
        con = self._r
        if con is None:
            return []
        try:
            return con.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:
            if "no such table" in str(e):  # a writer created the file, not yet its tables
                return []
            raise

    def notes_for(self, keys: Sequence[str]) -> list[NoteScoreRow]:
        """Notes on the posts `keys`, with their scores and rating counts."""
        out: list[NoteScoreRow] = []
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self._query(
                "SELECT n.note_id, n.post_key, n.author, n.created_ms, n.summary, n.classification, s.status, "
                "s.intercept, s.factor, (SELECT count(*) FROM ratings r WHERE r.note_id = n.note_id) "
                f"FROM notes n LEFT JOIN scores s USING(note_id) WHERE n.post_key IN ({','.join('?' * len(chunk))})",
                chunk)
            out += [NoteScoreRow(*r) for r in rows]
        return out

    def helpful_misleading_keys(self) -> list[str]:
        """Posts with at least one note rated helpful that calls them misleading."""
        return [r[0] for r in self._query(
            "SELECT DISTINCT n.post_key FROM scores s JOIN notes n USING(note_id) WHERE s.status = ? "
            "AND n.classification = ?", (HELPFUL, MISLEADING))]

    def counts(self) -> dict[str, int]:
        one = lambda q: (self._query(q) or [(0,)])[0][0]  # noqa: E731
        return {"notes": one("SELECT count(*) FROM notes"), "ratings": one("SELECT count(*) FROM ratings"),
                "raters": one("SELECT count(*) FROM raters")}

    def last_run(self) -> dict | None:
        rows = self._query("SELECT report FROM runs ORDER BY id DESC LIMIT 1")
        return orjson.loads(rows[0][0]) if rows else None

    def rater_scores(self, participants: Sequence[str]) -> dict[str, tuple[float | None, float | None]]:
        """(intercept, factor) of raters from the last scoring run."""
        out: dict[str, tuple[float | None, float | None]] = {}
        for i in range(0, len(participants), 500):
            chunk = list(participants[i : i + 500])
            for p, b, f in self._query("SELECT participant, intercept, factor FROM raters WHERE participant IN "
                                       f"({','.join('?' * len(chunk))})", chunk):
                out[p] = (b, f)
        return out

    def load_ratings(self, batch: int = 200_000) -> RatingArrays:
        """Every rating, read in batches inside one read transaction (a load may go on)."""
        con = self._r
        ids, raters, vals = [], [], []
        if con is not None:
            con.execute("BEGIN")
            try:
                cur = con.execute("SELECT note_id, rater, value2 FROM ratings")
                while rows := cur.fetchmany(batch):
                    a = np.array(rows, dtype=np.int64)
                    ids.append(a[:, 0])
                    raters.append(a[:, 1])
                    vals.append(a[:, 2].astype(np.int8))
            except sqlite3.OperationalError as e:
                if "no such table" not in str(e):
                    raise
            finally:
                con.execute("COMMIT")
        cat = lambda xs, t: np.concatenate(xs) if xs else np.zeros(0, dtype=t)  # noqa: E731
        return RatingArrays(cat(ids, np.int64), cat(raters, np.int64), cat(vals, np.int8))

    # -- writing (one writer) ------------------------------------------------------------

    def add_notes(self, rows: Sequence[NoteRow]) -> int:
        """Store notes (a re-ingested note replaces its stored version); one transaction."""
        data = [(r.note_id, r.post_key, r.author, r.created_ms, r.classification, r.summary,
                 orjson.dumps(r.extra) if r.extra else None) for r in rows]
        with self._tx() as w:
            cur = w.executemany(
                "INSERT INTO notes(note_id, post_key, author, created_ms, classification, summary, extra) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(note_id) DO UPDATE SET post_key=excluded.post_key, "
                "author=excluded.author, created_ms=excluded.created_ms, classification=excluded.classification, "
                "summary=excluded.summary, extra=excluded.extra", data)
            return cur.rowcount

    def add_ratings(self, rows: Sequence[RatingRow]) -> int:
        """Store ratings; a rater's newer rating of a note replaces the older. One transaction.
        Returns how many were stored (new, or newer than the stored one)."""
        with self._tx() as w:
            ids = self._rater_ids_for(w, {r.rater for r in rows})
            cur = w.executemany(
                "INSERT INTO ratings(note_id, rater, created_ms, value2, tags) VALUES (?,?,?,?,?) "
                "ON CONFLICT(note_id, rater) DO UPDATE SET created_ms=excluded.created_ms, value2=excluded.value2, "
                "tags=excluded.tags WHERE excluded.created_ms >= ratings.created_ms",
                [(r.note_id, ids[r.rater], r.created_ms, r.value2, r.tags) for r in rows])
            return cur.rowcount

    def _rater_ids_for(self, w: sqlite3.Connection, participants: set[str]) -> dict[str, int]:
        cache = self._rater_ids
        missing = [p for p in participants if p not in cache]
        if missing:
            if len(cache) + len(missing) > RATER_CACHE_MAX:
                cache.clear()
            w.executemany("INSERT OR IGNORE INTO raters(participant) VALUES (?)", [(p,) for p in missing])
            for i in range(0, len(missing), 500):
                chunk = missing[i : i + 500]
                cache.update(w.execute(f"SELECT participant, id FROM raters WHERE participant IN "
                                       f"({','.join('?' * len(chunk))})", chunk))
        return {p: cache[p] for p in participants}

    def save_scores(self, rows: Sequence[tuple[int, float | None, float | None, int, str]],
                    raters: Sequence[tuple[float, float, int]], report: dict) -> None:
        """Replace all scores with one run's: (note_id, intercept, factor, fitted, status) per
        note and (intercept, factor, raters.id) per fitted rater. Readers see the old scores or
        the new, never a mix."""
        with self._tx() as w:
            w.execute("DELETE FROM scores")
            w.executemany("INSERT INTO scores(note_id, intercept, factor, fitted, status) VALUES (?,?,?,?,?)", rows)
            w.execute("UPDATE raters SET intercept=NULL, factor=NULL WHERE intercept IS NOT NULL")
            w.executemany("UPDATE raters SET intercept=?, factor=? WHERE id=?", raters)
            w.execute("INSERT INTO runs(at_ms, report) VALUES (?, ?)", (int(time.time() * 1000), orjson.dumps(report)))
            w.execute("DELETE FROM runs WHERE id <= (SELECT max(id) - 100 FROM runs)")  # keep the last 100

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the one writer connection."""
        if self._w is None:
            raise RuntimeError("notes store opened read-only")
        with self._lock:
            w = self._w
            w.execute("BEGIN IMMEDIATE")  # the write lock up front, as the post store does
            try:
                yield w
                w.execute("COMMIT")
            except BaseException:
                if w.in_transaction:
                    w.execute("ROLLBACK")
                self._rater_ids.clear()  # ids inserted by the rolled-back transaction are gone
                raise

    def close(self) -> None:
        """Safe to call twice."""
        with self._lock, self._readers_lock:
            if self._closed:
                return
            self._closed = True
            for con in self._readers:
                con.close()
            self._readers.clear()
            if self._w is not None:
                self._w.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._w.close()
                self._w = None

