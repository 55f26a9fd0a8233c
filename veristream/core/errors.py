"""The core's own errors."""


class EngineError(RuntimeError):
    """The engine cannot do what was asked: closed, read-only, or its writer has stopped."""
