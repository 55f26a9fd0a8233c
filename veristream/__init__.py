"""veristream: a real-time, truth-seeking answer engine over live social streams."""

from .core import Core, EngineError, Pipeline
from .engine import Engine
from .model import Author, BadPost, Geo, Media, Metrics, Post
from .core.search import Hit, SearchQuery, SearchResult, StorySummary
from .settings import Settings

__all__ = ["Core", "Engine", "EngineError", "Pipeline", "Settings", "Post", "Author", "Media", "Geo", "Metrics",
           "BadPost", "Hit", "SearchQuery", "SearchResult", "StorySummary"]
__version__ = "0.1.0"
