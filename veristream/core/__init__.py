"""The core: the store (the log), the single writer, stories, the index and search.

It imports nothing above it: services (trends, vectors, answers, verification, notes,
operations) take a core and use its public methods; the application object composes them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Core
    from .errors import EngineError
    from .layout import DataDir
    from .pipeline import Pipeline
    from .quarantine import Quarantine, Rejection

__all__ = ["Core", "DataDir", "EngineError", "Pipeline", "Quarantine", "Rejection"]

# Imported on first use (`veristream/__init__.py` says why).
_WHERE = {"Core": ".engine", "EngineError": ".errors", "DataDir": ".layout", "Pipeline": ".pipeline",
          "Quarantine": ".quarantine", "Rejection": ".quarantine"}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
