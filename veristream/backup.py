"""Backup and restore of a data directory, while ingest goes on.

A backup holds the store alone: `posts.db`, copied with SQLite's online backup API inside one
read transaction, so it is exactly the store as of the moment the backup began (every post
accepted before then, none half-written) while the writer keeps committing beside it. The
lexical index is not copied (it is derived, and tantivy files change under merges): restore
rebuilds it from the store. Also copied, as they are at that moment: the settings file
(`veristream.toml`), `quarantine.jsonl`, live sources' state (`sources/`) and the community
notes (`notes.sqlite`, through the same online backup API). A `manifest.json` records what the
backup holds.

    veristream backup /backups/2026-11-28          # any time, ingest running or not
    veristream --data-dir restored restore /backups/2026-11-28

Restore copies the store into an empty (or, with `force`, replaced) data directory and opens
it, which rebuilds the index; stop any ingest into that directory first.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .model import iso

if TYPE_CHECKING:
    from .engine import Engine

MANIFEST = "manifest.json"
FORMAT = 1
EXTRA_FILES = ("veristream.toml", "quarantine.jsonl")
EXTRA_DIRS = ("sources",)
SQLITE_FILES = ("notes.sqlite",)  # other SQLite files, copied consistently by SQLite's backup API
DERIVED = ("index", "vectors")  # rebuilt from the store; removed when a store is restored


class BackupError(RuntimeError):
    pass


@dataclass(slots=True)
class BackupInfo:
    path: str
    posts: int  # posts in the backup
    bytes: int  # size of the backed-up store
    began_at: str  # wall clock when the snapshot began: everything accepted before is in it
    newest_post: str | None  # created_at of the newest post in it
    took_s: float
    veristream: str = ""
    format: int = FORMAT

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def backup(engine: Engine, dest: str | Path) -> BackupInfo:
    """Write a consistent backup of `engine`'s data directory into `dest` (new or empty)."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new directory")
    if dest.resolve().is_relative_to(engine.data_dir.resolve()):
        raise BackupError(f"{dest} is inside the data directory {engine.data_dir}")
    dest.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    began = datetime.now(timezone.utc)
    partial = dest / "posts.db.partial"
    with engine.store.snapshot() as snap:
        posts = snap.count()
        newest = snap.newest_ts()
        snap.backup(partial)
    os.replace(partial, dest / "posts.db")
    src = engine.data_dir
    for name in EXTRA_FILES:
        if (src / name).is_file():
            shutil.copyfile(src / name, dest / name)
    for name in EXTRA_DIRS:
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name)
    for name in SQLITE_FILES:
        if (src / name).is_file():
            _sqlite_copy(src / name, dest / name)
    from .model import from_us

    info = BackupInfo(str(dest), posts, (dest / "posts.db").stat().st_size, iso(began),
                      iso(from_us(newest)) if newest is not None else None, time.perf_counter() - t0, _version())
    (dest / MANIFEST).write_bytes(orjson.dumps(info.to_dict(), option=orjson.OPT_INDENT_2))
    return info


def read_manifest(src: str | Path) -> dict[str, Any]:
    src = Path(src)
    try:
        m = orjson.loads((src / MANIFEST).read_bytes())
    except FileNotFoundError:
        raise BackupError(f"{src} is not a veristream backup (no {MANIFEST})") from None
    except orjson.JSONDecodeError as e:
        raise BackupError(f"{src / MANIFEST}: not valid JSON: {e}") from None
    if not (src / "posts.db").is_file():
        raise BackupError(f"{src} is incomplete: no posts.db")
    if m.get("format") != FORMAT:
        raise BackupError(f"{src}: backup format {m.get('format')!r} is not supported (expected {FORMAT})")
    return m


def restore(src: str | Path, data_dir: str | Path, force: bool = False) -> dict[str, Any]:
    """Copy the backup in `src` into `data_dir`; the caller then opens an Engine on it, which
    rebuilds the index. Returns the backup's manifest."""
    from .store import Store

    src, data_dir = Path(src), Path(data_dir)
    manifest = read_manifest(src)
    problem = Store.check(src / "posts.db")
    if problem:
        raise BackupError(f"{src / 'posts.db'} is damaged: {problem}")
    if (data_dir / "posts.db").exists() and not force:
        raise BackupError(f"{data_dir} already holds data: restore into a new directory, or use --force to replace it")
    data_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"posts.db{suffix}").unlink(missing_ok=True)
    for name in DERIVED + EXTRA_DIRS:
        shutil.rmtree(data_dir / name, ignore_errors=True)
    tmp = data_dir / "posts.db.partial"
    shutil.copyfile(src / "posts.db", tmp)
    os.replace(tmp, data_dir / "posts.db")
    for name in EXTRA_FILES:
        if (src / name).is_file():
            shutil.copyfile(src / name, data_dir / name)
    for name in EXTRA_DIRS:
        if (src / name).is_dir():
            shutil.copytree(src / name, data_dir / name)
    for name in SQLITE_FILES:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"{name}{suffix}").unlink(missing_ok=True)
        if (src / name).is_file():
            shutil.copyfile(src / name, data_dir / name)
    return manifest


def _sqlite_copy(src: Path, dest: Path) -> None:
    import sqlite3

    partial = dest.with_name(dest.name + ".partial")
    s = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    d = sqlite3.connect(partial)
    try:
        s.backup(d)
    finally:
        d.close()
        s.close()
    os.replace(partial, dest)


def _version() -> str:
    try:
        return version("veristream")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return ""
