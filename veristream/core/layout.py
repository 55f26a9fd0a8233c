"""The data directory's layout, in one place: every file veristream keeps, by what it is.

Everything that opens, copies, measures or backs up a data directory names its files through
`DataDir`, so the layout can change here alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .index.tiered import hot_dir


@dataclass(frozen=True, slots=True)
class DataDir:
    root: Path

    def __init__(self, root: str | Path):
        object.__setattr__(self, "root", Path(root))

    @property
    def store(self) -> Path:
        """The store, SQLite (with `-wal` and `-shm` beside it): the log of accepted posts."""
        return self.root / "posts.db"

    @property
    def store_files(self) -> tuple[Path, ...]:
        """The store and SQLite's companions, for measuring it."""
        return tuple(self.root / f"posts.db{s}" for s in ("", "-wal", "-shm"))

    @property
    def index(self) -> Path:
        """The lexical index (tantivy), derived from the store: rebuilt when missing."""
        return self.root / "index"

    def hot_index(self, where: str = "") -> Path:
        """The lexical index's hot tier: in shared memory (/dev/shm) unless `where` names another
        place ("disk": beside the index); keyed by this directory's real path. Derived, small,
        and emptied by the writer at start-up (see `core.index.tiered`)."""
        return hot_dir(self.root, self.store, where)

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine.jsonl"

    @property
    def vectors(self) -> Path:
        """Dense vectors (usearch), derived from the store."""
        return self.root / "vectors"

    @property
    def notes(self) -> Path:
        """Community notes and ratings, SQLite, with its own writer."""
        return self.root / "notes.sqlite"

    @property
    def sources(self) -> Path:
        """Live sources' own state (e.g. Mastodon's id map)."""
        return self.root / "sources"

    @property
    def verify(self) -> Path:
        """Verification's state: the authors' record of refuted claims."""
        return self.root / "verify"

    @property
    def settings(self) -> Path:
        """The default settings file (TOML)."""
        return self.root / "veristream.toml"

    @property
    def api_token(self) -> Path:
        return self.root / "api_token"

    def exists(self) -> bool:
        """True if this directory holds a store (something was ever ingested here)."""
        return self.store.is_file()


def dir_size(path: Path) -> int:
    """Bytes of the files under `path` (0 if it is missing); files removed meanwhile are skipped."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total
