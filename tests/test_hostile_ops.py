"""Operations that cannot lose data or leak secrets: retention by size beside a vector index
that never shrinks, restore written beside the old store and swapped in, file modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.cli import main
from veristream.stats import dir_size
from conftest import mkpost


def settings(**kw) -> Settings:
    return Settings.load(env={}, retention_interval_s=0, trends=False, **kw)


def posts(n: int, start: int = 0, word: str = "harbour") -> list:
    return [mkpost(str(i), f"tok{i} {word} report number {i} about the storm surge", minutes=i / 10,
                   author=f"u{i % 50}") for i in range(start, start + n)]


def embedded_store(data: Path, n: int = 600) -> int:
    """A data directory with `n` posts and their saved vector index; returns its size in bytes."""
    with Engine(data, settings()) as eng:
        eng.ingest(posts(n))
        assert eng.wait_embedded(120)
    size = dir_size(data / "vectors")
    assert size > 100_000  # the usearch file is there (saved on close)
    return size


# -- retention by disk size ---------------------------------------------------------------------

def test_disk_limit_below_the_vector_index_expires_nothing_rather_than_everything(tmp_path: Path) -> None:
    data = tmp_path / "d"
    vec = embedded_store(data)
    # The limit is under what the vector index alone takes: expiry cannot get below it, and the
    # old measure (store + index + vectors, proportionally) expired a share every run until no
    # post was left.
    with Engine(data, settings(retention_max_disk_mb=vec * 0.8 / 1e6)) as eng:
        for _ in range(4):
            eng.expire()
        assert eng.count() == 600
        assert eng.search("harbour", all_posts=True, limit=1000).total == 600


def test_disk_limit_fits_the_posts_into_what_the_vector_index_leaves(tmp_path: Path) -> None:
    data = tmp_path / "d"
    vec = embedded_store(data)
    with Engine(data, settings()) as eng:
        freeable = eng.live_bytes() - dir_size(data / "vectors")  # what expiring posts frees
    limit = vec + freeable * 0.6  # the posts must lose about half their room
    with Engine(data, settings(retention_max_disk_mb=limit / 1e6)) as eng:
        first = eng.expire().by_disk
        assert 0 < first < 600
        for _ in range(3):  # settles: the unshrinking vector file does not drive further runs
            eng.expire()
        left = eng.count()
        assert 100 <= left < 600 and eng.index.num_docs() == left
        assert eng.live_bytes() <= limit
        assert eng.get("file:599") is not None and eng.get("file:0") is None  # the oldest went
