"""veristream: a real-time, truth-seeking answer engine over live social streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_exports

if TYPE_CHECKING:
    from .core import Core, EngineError, Pipeline
    from .core.search import Hit, SearchQuery, SearchResult, StorySummary
    from .engine import Engine
    from .model import Author, BadPost, Geo, Media, Metrics, Post
    from .settings import Settings

__all__ = ["Core", "Engine", "EngineError", "Pipeline", "Settings", "Post", "Author", "Media", "Geo", "Metrics",
           "BadPost", "Hit", "SearchQuery", "SearchResult", "StorySummary"]
__version__ = "0.1.0"

# Imported on first use (`lazy.py` says why).
_WHERE = {"Core": ".core", "EngineError": ".core", "Pipeline": ".core", "Engine": ".engine", "Settings": ".settings",
          "Post": ".model", "Author": ".model", "Media": ".model", "Geo": ".model", "Metrics": ".model",
          "BadPost": ".model", "Hit": ".core.search", "SearchQuery": ".core.search", "SearchResult": ".core.search",
          "StorySummary": ".core.search"}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
