"""veristream: a real-time, truth-seeking answer engine over live social streams."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Core, EngineError, Pipeline
    from .core.search import Hit, SearchQuery, SearchResult, StorySummary
    from .engine import Engine
    from .model import Author, BadPost, Geo, Media, Metrics, Post
    from .settings import Settings

__all__ = ["Core", "Engine", "EngineError", "Pipeline", "Settings", "Post", "Author", "Media", "Geo", "Metrics",
           "BadPost", "Hit", "SearchQuery", "SearchResult", "StorySummary"]
__version__ = "0.1.0"

# Imported on first use: a process that needs one part (the embedding process, a parse worker)
# does not pay for the whole engine.
_WHERE = {"Core": ".core", "EngineError": ".core", "Pipeline": ".core", "Engine": ".engine", "Settings": ".settings",
          "Post": ".model", "Author": ".model", "Media": ".model", "Geo": ".model", "Metrics": ".model",
          "BadPost": ".model", "Hit": ".core.search", "SearchQuery": ".core.search", "SearchResult": ".core.search",
          "StorySummary": ".core.search"}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
