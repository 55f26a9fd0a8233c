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

Restore never touches the data directory until the restored one is complete: it writes the
backup into a new directory beside it (`.NAME.restore-*`, same parent, so the last step is a
rename), checks that store (SQLite's quick_check, and the post count the manifest records),
carries over what the backup does not replace (`api_token`, verdict records...), then swaps
the two directories in one atomic `renameat2(RENAME_EXCHANGE)` (two renames where the file
system lacks it) and removes the old one. A failure or kill before the swap leaves the old
data directory as it was (and at most a `.NAME.restore-*` directory to delete). It refuses
while a veristream process writes there (the writer's lock on `posts.db.lock`); opening the
restored directory rebuilds the index.

Backups hold secrets (the settings file may carry tokens and API keys) and every stored post:
the backup directory is made 0700 and its files 0600.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson

from .core.engine import Core
from .model import from_us, iso
from .core.store import Store, StoreBusy, create_private, exclusive


MANIFEST = "manifest.json"
FORMAT = 1
EXTRA_FILES = ("veristream.toml", "quarantine.jsonl")
EXTRA_DIRS = ("sources",)
SQLITE_FILES = ("notes.sqlite",)  # other SQLite files, copied consistently by SQLite's backup API
DERIVED = ("index", "vectors")  # rebuilt from the store; removed when a store is restored
STORE_FILES = ("posts.db", "posts.db-wal", "posts.db-shm", "posts.db.lock", "posts.db.partial")


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


def backup(core: Core, dest: str | Path) -> BackupInfo:
    """Write a consistent backup of the core's data directory into `dest` (new or empty)."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: back up into a new directory")
    if dest.resolve().is_relative_to(core.data_dir.resolve()):
        raise BackupError(f"{dest} is inside the data directory {core.data_dir}")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private(dest)
    t0 = time.perf_counter()
    began = datetime.now(timezone.utc)
    partial = dest / "posts.db.partial"
    with core.store.snapshot() as snap:
        posts = snap.count()
        newest = snap.newest_ts()
        snap.backup(partial)
    os.replace(partial, dest / "posts.db")
    src = core.data_dir
    for name in EXTRA_FILES:
        if (src / name).is_file():
            _copy_file(src / name, dest / name)
    for name in EXTRA_DIRS:
        if (src / name).is_dir():
            _copy_tree(src / name, dest / name)
    for name in SQLITE_FILES:
        if (src / name).is_file():
            _sqlite_copy(src / name, dest / name)
    info = BackupInfo(str(dest), posts, (dest / "posts.db").stat().st_size, iso(began),
                      iso(from_us(newest)) if newest is not None else None, time.perf_counter() - t0, _version())
    _write_private(dest / MANIFEST, orjson.dumps(info.to_dict(), option=orjson.OPT_INDENT_2))
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
    """Replace `data_dir` with the backup in `src`: written beside it, checked, then swapped in
    (see the module's doc); the caller then opens an Engine on it, which rebuilds the index.
    Returns the backup's manifest. `BackupError` leaves `data_dir` as it was."""
    src = Path(src)
    manifest = read_manifest(src)
    problem = _check_store(src / "posts.db", manifest)
    if problem:
        raise BackupError(f"{src / 'posts.db'} is damaged: {problem}")
    # The swap renames the real directory (a symlinked data directory keeps its link).
    target = Path(os.path.realpath(data_dir))
    if target.exists() and not target.is_dir():
        raise BackupError(f"{data_dir} is not a directory")
    if (target / "posts.db").exists() and not force:
        raise BackupError(f"{data_dir} already holds data: restore into a new directory, or use --force to replace it")
    if Path(os.path.realpath(src)).is_relative_to(target):
        raise BackupError(f"{src} is inside the data directory {data_dir}: move the backup out first")
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target if target.is_dir() else None
    try:
        with exclusive(target / "posts.db") if old is not None else _nothing():
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))  # 0700
            try:
                _fill(src, tmp, old)
                problem = _check_store(tmp / "posts.db", manifest)
                if problem:
                    raise BackupError(f"the restored copy of {src / 'posts.db'} does not check: {problem}")
                _swap(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)  # the unfinished copy, or after the swap the old data
    except StoreBusy as e:
        raise BackupError(f"{e}; nothing was restored") from None
    except OSError as e:
        raise BackupError(f"restore failed, {data_dir} is unchanged: {e}") from None
    return manifest


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _check_store(db: Path, manifest: dict[str, Any]) -> str | None:

    problem = Store.check(db)
    if problem:
        return problem
    want = manifest.get("posts")
    if type(want) is int:
        import sqlite3

        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            have = con.execute("SELECT count(*) FROM posts").fetchone()[0]
        finally:
            con.close()
        if have != want:
            return f"it holds {have:,} posts, the manifest says {want:,}"
    return None


def _fill(src: Path, tmp: Path, old: Path | None) -> None:
    """The restored data directory, in `tmp`: the backup's files, then what the old directory
    holds that a backup neither carries nor derives (the API token, verdict records...)."""
    _copy_file(src / "posts.db", tmp / "posts.db", sync=True)
    replaced = set(STORE_FILES) | set(DERIVED) | set(EXTRA_DIRS)
    replaced |= {f"{n}{x}" for n in SQLITE_FILES for x in ("", "-wal", "-shm")}
    for name in EXTRA_FILES:
        if (src / name).is_file():
            _copy_file(src / name, tmp / name)
            replaced.add(name)
    for name in EXTRA_DIRS:
        if (src / name).is_dir():
            _copy_tree(src / name, tmp / name)
    for name in SQLITE_FILES:
        if (src / name).is_file():
            _copy_file(src / name, tmp / name)
    if old is not None:
        for entry in old.iterdir():
            if entry.name in replaced or entry.name.startswith("."):
                continue
            if entry.is_dir() and not entry.is_symlink():
                _copy_tree(entry, tmp / entry.name)
            else:
                shutil.copy2(entry, tmp / entry.name, follow_symlinks=False)
    _fsync_dir(tmp)


def _swap(new: Path, target: Path) -> None:
    """Put `new` in `target`'s place; afterwards `new` names the old directory (if any)."""
    if not target.exists():
        os.rename(new, target)
        _fsync_dir(target.parent)
        return
    if not _exchange(new, target):  # no RENAME_EXCHANGE here: two renames, undone if the second fails
        aside = target.with_name(new.name + ".old")
        os.rename(target, aside)
        try:
            os.rename(new, target)
        except OSError:
            os.rename(aside, target)
            raise
        os.rename(aside, new)
    _fsync_dir(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private(path: Path) -> None:
    os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _write_private(dest: Path, data: bytes) -> None:
    fd = os.open(dest, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _copy_file(src: Path, dest: Path, sync: bool = False) -> None:
    """Copy `src` to a new 0600 file (settings hold tokens; data files hold private posts)."""
    fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with open(src, "rb") as i, os.fdopen(fd, "wb") as o:
        shutil.copyfileobj(i, o, 1 << 20)
        if sync:
            o.flush()
            os.fsync(o.fileno())


def _copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, copy_function=lambda a, b: _copy_file(Path(a), Path(b)))
    for root, dirs, _files in os.walk(dest):
        os.chmod(root, 0o700)


def _sqlite_copy(src: Path, dest: Path) -> None:
    import sqlite3

    partial = dest.with_name(dest.name + ".partial")

    create_private(partial)
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
