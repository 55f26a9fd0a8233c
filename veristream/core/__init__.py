"""The core: the store (the log), the single writer, stories, the index and search.

It imports nothing above it: services (trends, vectors, answers, verification, notes,
operations) take a core and use its public methods; the application object composes them.
"""

from .engine import Core
from .errors import EngineError
from .layout import DataDir
from .pipeline import Pipeline
from .quarantine import Quarantine, Rejection

__all__ = ["Core", "DataDir", "EngineError", "Pipeline", "Quarantine", "Rejection"]
