"""The approximate-nearest-neighbour index: usearch HNSW over unit vectors, keyed by store seq.

Cosine metric, half-precision storage (384 dims: 768 bytes a post). Saved as one file
written beside the live one and renamed over it, so a reader never sees half a file. One
thread mutates (the embedder); searches may come from any thread: a lock keeps them apart
from adds and removes, which are short (one batch).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

FILE = "index.usearch"


class AnnIndex:
    def __init__(self, dim: int, path: Path | None = None, view: bool = False):
        try:  # onnxruntime first: imported after usearch 2.26 it crashes the process (pinned out, kept safe)
            import onnxruntime  # noqa: F401
        except ImportError:
            pass
        from usearch.index import Index

        self.dim = dim
        self._lock = threading.Lock()
        if path is not None and path.is_file():
            # view: memory-mapped, read-only (a reader beside the writing process).
            self._index = Index.restore(str(path), view=view)
            if self._index is None or self._index.ndim != dim:
                raise ValueError(f"{path}: not a {dim}-dimension vector index")
        else:
            self._index = Index(ndim=dim, metric="cos", dtype="f16", connectivity=16,
                                expansion_add=128, expansion_search=64)
        self._index.expansion_search = 128

    def __len__(self) -> int:
        return len(self._index)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Add (or replace) vectors."""
        if not len(keys):
            return
        keys = np.asarray(keys, dtype=np.uint64)
        with self._lock:
            present = np.asarray(self._index.contains(keys), dtype=bool).reshape(-1)
            if present.any():
                self._index.remove(keys[present])
            self._index.add(keys, vectors, threads=1)

    def remove(self, keys: list[int]) -> int:
        if not keys or not len(self._index):
            return 0
        k = np.asarray(keys, dtype=np.uint64)
        with self._lock:
            present = np.asarray(self._index.contains(k), dtype=bool).reshape(-1)
            if not present.any():
                return 0
            self._index.remove(k[present])
            return int(present.sum())

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(seq, cosine similarity), best first."""
        with self._lock:
            if not len(self._index):
                return []
            m = self._index.search(vector, k, threads=1)
        return [(int(key), 1.0 - float(d)) for key, d in zip(m.keys, m.distances)]

    def get(self, keys: list[int]) -> dict[int, np.ndarray]:
        """The stored vectors of those keys that have one (as float32; stored as f16)."""
        if not keys:
            return {}
        with self._lock:
            if not len(self._index):
                return {}
            got = self._index.get(np.asarray(keys, dtype=np.uint64), dtype=np.float32)
        if len(keys) == 1 and not isinstance(got, tuple):
            got = (got,)
        return {int(k): v for k, v in zip(keys, got) if v is not None}

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        self._index.save(str(tmp))
        os.replace(tmp, path)

    def clear(self) -> None:
        with self._lock:
            self._index.reset()
