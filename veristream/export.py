"""Export: posts out of a data directory, streamed in batches from one consistent snapshot.

JSONL is the project's own schema (`Post.to_dict()`, raw message included), written exactly
as stored, so `veristream ingest` of an export gives back the same posts. Parquet (pyarrow)
has one flat row per post (`PARQUET_COLUMNS`); lists stay lists, `extra` and `raw` are JSON
text. Posts come in event-time order. The writer goes on meanwhile: the export sees the store
as it was when it started (SQLite WAL keeps that snapshot; the WAL file grows until the export
ends).

With a query, the lexical index picks the posts (same query language and filters as search,
every match rather than one per story); they are read from the same store snapshot.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from .core.engine import Core
from .core.index.lexical import Filters
from .core.store import Snapshot


FORMATS = ("jsonl", "parquet")
BATCH = 2000
ROW_GROUP = 65_536  # rows per Parquet row group

Rows = list[tuple[int, int, int, bytes]]  # (seq, ts, story, doc)


class ExportError(ValueError):
    pass


@dataclass(slots=True)
class Export:
    """The posts selected, as of one snapshot: `total` of them, streamed by `batches()`."""

    total: int
    _snap: Snapshot
    _since: int | None
    _until: int | None
    _seqs: list[int] | None  # chosen by a query; None: every post in the time range
    batch: int = BATCH

    def batches(self) -> Iterator[Rows]:
        if self._seqs is None:
            yield from self._snap.rows(self._since, self._until, self.batch)
            return
        for i in range(0, len(self._seqs), self.batch):
            rows = self._snap.rows_by_seq(self._seqs[i : i + self.batch])
            if rows:
                yield rows


@contextmanager
def select(core: Core, since_us: int | None = None, until_us: int | None = None, query: str | None = None,
           batch: int = BATCH) -> Iterator[Export]:
    """Open a snapshot and pick the posts to export; read them inside the `with` block."""
    with core.store.snapshot() as snap:
        if not query:
            yield Export(snap.count(since_us, until_us), snap, since_us, until_us, None, batch)
            return
        if core.readonly:
            core.index.reload()
        index = core.index
        searcher = index.searcher()
        q, _ = index.build_query(query, Filters(since_us, until_us))
        _, n = index.top(searcher, q, 1, by_time=True, count=True)
        hits, _ = index.top(searcher, q, max(1, n or 0), by_time=True)
        hits.sort(key=lambda h: (h.ts, h.seq))
        yield Export(len(hits), snap, since_us, until_us, [h.seq for h in hits], batch)


def write_jsonl(batches: Iterator[Rows], out: IO[bytes], progress: Callable[[int], None] | None = None) -> int:
    n = 0
    for rows in batches:
        out.write(b"\n".join(doc for _, _, _, doc in rows) + b"\n")
        n += len(rows)
        if progress:
            progress(len(rows))
    out.flush()
    return n


# -- Parquet -------------------------------------------------------------------------------

PARQUET_COLUMNS = """key id source created_at edited_at author_id author_handle author_name author_verified
author_followers author_created_at text lang reply_to quote_of repost_of urls hashtags mentions media geo_lat
geo_lon geo_place geo_country reposts likes replies quotes views url story extra raw""".split()


def parquet_schema() -> Any:
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    s, i = pa.string(), pa.int64()
    return pa.schema([
        ("key", s), ("id", s), ("source", s), ("created_at", ts), ("edited_at", ts),
        ("author_id", s), ("author_handle", s), ("author_name", s), ("author_verified", pa.bool_()),
        ("author_followers", i), ("author_created_at", ts),
        ("text", s), ("lang", s), ("reply_to", s), ("quote_of", s), ("repost_of", s),
        ("urls", pa.list_(s)), ("hashtags", pa.list_(s)), ("mentions", pa.list_(s)),
        ("media", pa.list_(pa.struct([("kind", s), ("url", s), ("alt", s)]))),
        ("geo_lat", pa.float64()), ("geo_lon", pa.float64()), ("geo_place", s), ("geo_country", s),
        ("reposts", i), ("likes", i), ("replies", i), ("quotes", i), ("views", i),
        ("url", s), ("story", i), ("extra", s), ("raw", s),
    ])


def _time(v: str | None) -> datetime | None:
    return datetime.fromisoformat(v) if v else None


def _json(v: Any) -> str | None:
    return None if v is None or v == {} else orjson.dumps(v).decode()


def parquet_columns(rows: Rows) -> dict[str, list]:
    """One batch of store rows as Parquet columns."""
    cols: dict[str, list] = {c: [] for c in PARQUET_COLUMNS}
    for _seq, ts, story, doc in rows:
        d = orjson.loads(doc)
        a = d.get("author") or {}
        g = d.get("geo") or {}
        m = d.get("metrics") or {}
        vals = (f"{d['source']}:{d['id']}", str(d["id"]), d["source"], ts, _time(d.get("edited_at")),
                a.get("id"), a.get("handle"), a.get("name"), a.get("verified"), a.get("followers"),
                _time(a.get("created_at")), d["text"], d.get("lang"), d.get("reply_to"), d.get("quote_of"),
                d.get("repost_of"), d.get("urls") or [], d.get("hashtags") or [], d.get("mentions") or [],
                d.get("media") or [], g.get("lat"), g.get("lon"), g.get("place"), g.get("country"),
                m.get("reposts"), m.get("likes"), m.get("replies"), m.get("quotes"), m.get("views"),
                d.get("url"), story, _json(d.get("extra")), _json(d.get("raw")))
        for c, v in zip(PARQUET_COLUMNS, vals):
            cols[c].append(v)
    return cols


def open_private(path: str | Path) -> BinaryIO:
    """Open `path` for writing; a new file is created 0600: an export holds stored posts,
    private statuses among them where a source was given a token. An existing file keeps
    its mode (its owner chose it)."""
    return os.fdopen(os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600), "wb")


def write_parquet(batches: Iterator[Rows], path: str | Path, progress: Callable[[int], None] | None = None) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - a declared dependency
        raise ExportError("Parquet export needs pyarrow (pip install pyarrow)") from None
    schema = parquet_schema()
    n = 0
    pending: list[Any] = []
    held = 0
    with open_private(path) as f, pq.ParquetWriter(f, schema, compression="zstd") as w:
        for rows in batches:
            pending.append(pa.Table.from_pydict(parquet_columns(rows), schema=schema))
            held += len(rows)
            n += len(rows)
            if held >= ROW_GROUP:
                w.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
                pending, held = [], 0
            if progress:
                progress(len(rows))
        if pending:
            w.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP)
    return n
