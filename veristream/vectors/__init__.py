"""Dense vectors for hybrid retrieval: an encoder, an ANN index, and the thread that embeds.

`Vectors.open` is what the engine calls: in a writing engine it starts the `Embedder`
(embedding beside ingest, see `embedder.py`); in a read-only one it reads the saved index
(`VectorReader`). Without the model packages (or with `vectors = false`) it returns None
and a one-line notice, and retrieval is lexical only.

Files, in the data directory: `vectors/index.usearch` (the ANN index, keys are store seqs)
and `vectors/checkpoint.json` (model id, last seq embedded). Deleting the folder, or
`veristream embed --rebuild`, rebuilds them from the store.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .embedder import EmbedStatus, Embedder, VectorReader
from .encoder import Encoder, EncoderError, ModelFiles, OnnxEncoder, find_model, load_encoder, missing_notice, model_id

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store import Store

__all__ = ["EmbedStatus", "Embedder", "Encoder", "EncoderError", "ModelFiles", "OnnxEncoder", "VectorReader",
           "Vectors", "find_model", "load_encoder", "model_id"]

DIR = "vectors"


class Vectors:
    """The engine's dense side: `encode` queries, `search` the index, `status` of embedding."""

    def __init__(self, files: ModelFiles, settings: "Settings", source: Embedder | VectorReader, model: str):
        self.files = files
        self.settings = settings
        self.source = source
        self.model = model

    @classmethod
    def open(cls, data_dir: Path, store: "Store", settings: "Settings", readonly: bool,
             newest_us=lambda: None) -> tuple["Vectors | None", str | None]:
        """(vectors, None), or (None, a one-line notice saying why vector search is off)."""
        if not settings.vectors:
            return None, "vector search off (setting vectors = false); lexical only"
        files = find_model(settings.embed_model_path, settings.embed_tokenizer_path)
        if files is None:
            return None, missing_notice(settings.embed_model_path, settings.embed_tokenizer_path)
        for mod in ("onnxruntime", "tokenizers", "usearch"):  # found, not imported: opening stays quick
            if importlib.util.find_spec(mod) is None:
                return None, f"vector search off: {mod} is not installed; lexical only"
        mid = model_id(files, settings.embed_max_tokens)
        dim = settings.embed_dim
        dir = data_dir / DIR
        if readonly:
            return cls(files, settings, VectorReader(dir, mid, dim, store), mid), None
        emb = Embedder(dir, store, lambda: cls._load(files, settings), mid, dim, settings.embed_batch,
                       settings.vectors_save_interval_s, newest_us)
        return cls(files, settings, emb, mid), None

    @staticmethod
    def _load(files: ModelFiles, settings: "Settings") -> Encoder:
        enc = load_encoder(files, settings.embed_max_tokens, settings.embed_threads)
        if enc.dim != settings.embed_dim:
            raise EncoderError(f"{files.onnx}: gives {enc.dim}-dimension vectors; set embed_dim = {enc.dim}")
        return enc

    @property
    def embedder(self) -> Embedder | None:
        return self.source if isinstance(self.source, Embedder) else None

    def encoder(self) -> Encoder:
        """The query encoder (loaded on first use; shared with the embedding thread)."""
        return self._load(self.files, self.settings)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.encoder().encode(texts)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(seq, cosine similarity) of the nearest embedded posts, best first."""
        return self.source.search(vector, k)

    def status(self) -> EmbedStatus:
        return self.source.status()

    def close(self) -> None:
        if isinstance(self.source, Embedder):
            self.source.close()
