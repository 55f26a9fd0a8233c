"""An on-disk cache of sentence vectors for training and evaluation (not used at run time).

Encoding the labelled sets takes a minute on a small machine; the cache keeps the vectors of
each text (keyed by a hash of the text and the encoder's id) in one `.npz` file, so reruns of
`veristream train` and `eval/truth.py` only encode what is new.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xxhash

from ..vectors.encoder import Encoder


class CachedEncoder:
    def __init__(self, encoder: Encoder, cache_dir: str | Path | None, batch: int = 64):
        self.encoder = encoder
        self.dim = encoder.dim
        self.id = encoder.id
        self.batch = batch
        self.path = None
        self._rows: dict[int, np.ndarray] = {}
        if cache_dir is not None:
            d = Path(cache_dir)
            d.mkdir(parents=True, exist_ok=True)
            self.path = d / f"vectors-{xxhash.xxh64_hexdigest(encoder.id.encode())}.npz"
            if self.path.is_file():
                with np.load(self.path) as z:
                    self._rows = dict(zip(z["keys"].tolist(), z["vecs"]))

    @staticmethod
    def _key(text: str) -> int:
        return xxhash.xxh64_intdigest(text.encode("utf-8", "surrogatepass"))

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._rows))
        if missing:
            todo = {self._key(t): t for t in texts}
            order = sorted(missing, key=lambda k: len(todo[k]))  # similar lengths pad less
            for i in range(0, len(order), self.batch):
                chunk = order[i : i + self.batch]
                vecs = self.encoder.encode([todo[k] for k in chunk])
                self._rows.update(zip(chunk, vecs))
            self._save()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._rows[k] for k in keys]).astype(np.float32)

    def _save(self) -> None:
        if self.path is None:
            return
        keys = np.fromiter(self._rows.keys(), dtype=np.uint64, count=len(self._rows))
        vecs = np.stack(list(self._rows.values())).astype(np.float32)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs)
        os.replace(tmp, self.path)
