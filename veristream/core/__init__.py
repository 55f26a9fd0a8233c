"""The core: the store (the log), the single writer, stories, the index and search.

It imports nothing above it: services (trends, vectors, answers, verification, notes,
operations) take a core and use its public methods; the application object composes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .engine import Core
    from .errors import EngineError
    from .layout import DataDir
    from .pipeline import Pipeline
    from .quarantine import Quarantine, Rejection

__all__ = ["Core", "DataDir", "EngineError", "Pipeline", "Quarantine", "Rejection"]

# Imported on first use (`veristream/lazy.py` says why).
_WHERE = {"Core": ".engine", "EngineError": ".errors", "DataDir": ".layout", "Pipeline": ".pipeline",
          "Quarantine": ".quarantine", "Rejection": ".quarantine"}

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
