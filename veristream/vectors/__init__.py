"""Dense vectors for hybrid retrieval: an encoder, an ANN index, and what embeds (a process or a thread).

`Vectors.open` is what the engine calls: in a writing engine it starts embedding beside
ingest, in a child process of its own (`EmbedProcess`, see `process.py`; the default) or on
a thread of the engine's process (`Embedder`, see `embedder.py`; setting `[vectors] process
= false`); in a read-only one it reads the saved index (`VectorReader`). Without the model
packages (or with `vectors = false`) it returns None and a one-line notice, and retrieval is
lexical only.

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
from .process import EmbedProcess
from .encoder import (Encoder, EncoderError, ModelFiles, OnnxEncoder, embed_text, embedding_encoder, find_model,
                      index_id, load_encoder, missing_notice, model_id, query_encoder)

if TYPE_CHECKING:
    from ..settings import Settings
    from ..core.store import Store

__all__ = ["EmbedProcess", "EmbedStatus", "Embedder", "Encoder", "EncoderError", "ModelFiles", "OnnxEncoder",
           "VectorReader", "Vectors", "embed_text", "find_model", "index_id", "load_encoder", "model_id"]

DIR = "vectors"


class Vectors:
    """The engine's dense side: `encode` queries, `search` the index, `status` of embedding."""

    def __init__(self, files: ModelFiles, settings: "Settings", source: Embedder | EmbedProcess | VectorReader,
                 model: str):
        self.files = files
        self.settings = settings
        self.source = source
        self.model = model

    @classmethod
    def open(cls, data_dir: Path, store: "Store", settings: "Settings", readonly: bool,
             newest_us=lambda: None) -> tuple["Vectors | None", str | None]:
        """(vectors, None), or (None, a one-line notice saying why vector search is off)."""
        if not settings.vectors.enabled:
            return None, "vector search off (setting vectors = false); lexical only"
        files = find_model(settings.vectors.model_path, settings.vectors.tokenizer_path)
        if files is None:
            return None, missing_notice(settings.vectors.model_path, settings.vectors.tokenizer_path)
        for mod in ("onnxruntime", "tokenizers", "usearch"):  # found, not imported: opening stays quick
            if importlib.util.find_spec(mod) is None:
                return None, f"vector search off: {mod} is not installed; lexical only"
        mid = index_id(files, settings.vectors.max_tokens)
        dim = settings.vectors.dim
        dir = data_dir / DIR
        if readonly:
            return cls(files, settings, VectorReader(dir, mid, dim, store), mid), None
        if settings.vectors.process:
            return cls(files, settings, EmbedProcess(dir, store, files, settings, mid, dim, newest_us), mid), None
        emb = Embedder(dir, store, lambda: cls._load(files, settings), mid, dim,
                       save_interval_s=settings.vectors.save_interval_s, newest_us=newest_us)
        return cls(files, settings, emb, mid), None

    @staticmethod
    def _load(files: ModelFiles, settings: "Settings") -> Encoder:
        """The embedding thread's encoder, loaded on that thread (`embedding_encoder`)."""
        return embedding_encoder(files, settings.vectors)

    @staticmethod
    def _query_encoder(files: ModelFiles, settings: "Settings") -> Encoder:
        return query_encoder(files, settings.vectors)

    @property
    def embedder(self) -> Embedder | EmbedProcess | None:
        """What embeds, in a writing engine (None in a read-only one)."""
        return self.source if isinstance(self.source, (Embedder, EmbedProcess)) else None

    def encoder(self) -> Encoder:
        """The query encoder (loaded on first use; one onnxruntime thread: the caller's)."""
        return self._query_encoder(self.files, self.settings)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of texts (questions, statements, posts) comparable with the index's."""
        return self.encoder().encode([embed_text(t) for t in texts])

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(seq, cosine similarity) of the nearest embedded posts, best first."""
        return self.source.search(vector, k)

    def stored(self, seqs: list[int]) -> dict[int, np.ndarray]:
        """The index's vectors of these posts (`embed_text` of each, by `self.model`)."""
        return self.source.stored(seqs)

    def status(self) -> EmbedStatus:
        return self.source.status()

    def close(self) -> None:
        emb = self.embedder
        if emb is not None:
            emb.close()
