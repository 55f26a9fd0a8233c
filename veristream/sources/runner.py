"""Run one or several sources together into one engine, and report their status.

    runner = SourceRunner(engine, [JetstreamSource(), RSSSource(RSSConfig(feeds=[...]))])
    runner.start()            # one thread per source, one Pipeline (bounded queue) for all
    runner.statuses()         # [SourceStatus, ...]; also engine.sources.statuses() while running
    runner.stop()             # closes connections, writes what is queued, stores offsets

All sources share the engine's single writer through one bounded queue: when the core falls
behind, `sink.post` blocks in every source's read loop, each stops reading its socket and
the servers slow down (or, for Jetstream, the connection is dropped and resumed later from
the stored cursor). The time a source spends blocked is in its status (`blocked_s`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..engine import Engine, Pipeline
from ..ingest import IngestResult
from ..model import Post
from .base import Source, SourceStatus


class EngineSink:
    """The `Sink` a source writes to: the runner's pipeline, in stream order."""

    def __init__(self, engine: Engine, pipeline: Pipeline, source: Source, offsets: dict[str, str]):
        self.engine = engine
        self.pipeline = pipeline
        self.input_name = f"{source.kind}:{source.name}" if source.name != source.kind else source.name
        self._offsets = offsets
        self.state_dir = engine.data_dir / "sources"

    def post(self, post: Post) -> None:
        self.pipeline.put(post)

    def delete(self, keys: list[str]) -> None:
        self.pipeline.put_delete(keys)

    def offset(self, key: str, value: str) -> None:
        self._offsets[key] = value
        self.pipeline.put_offset(key, value)

    def stored_offset(self, key: str) -> str | None:
        return self._offsets.get(key)

    def reject(self, counter: int, reason: str, raw: bytes | str) -> None:
        self.engine.reject(self.input_name, counter, reason, raw)


class SourceRunner:
    def __init__(self, engine: Engine, sources: Sequence[Source],
                 on_batch: Callable[[IngestResult], None] | None = None):
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique, got {names}")
        self.engine = engine
        self.sources = list(sources)
        self._on_batch_cb = on_batch
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.pipeline: Pipeline | None = None
        self.errors: dict[str, BaseException] = {}
        self.totals = IngestResult()
        self._lock = threading.Lock()
        self.started_at: float | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> "SourceRunner":
        if self.pipeline is not None:
            raise RuntimeError("runner already started")
        offsets = dict(self.engine.offsets())
        self.pipeline = self.engine.pipeline(self._on_batch)
        self.engine.sources = self
        self.started_at = time.monotonic()
        for src in self.sources:
            sink = EngineSink(self.engine, self.pipeline, src, offsets)
            t = threading.Thread(target=self._run_one, args=(src, sink), daemon=True,
                                 name=f"veristream-source-{src.name}")
            self._threads.append(t)
            t.start()
        return self

    def _run_one(self, src: Source, sink: EngineSink) -> None:
        try:
            src.run(sink, self._stop)
        except BaseException as e:  # noqa: BLE001 - kept for the caller, shown in the status
            self.errors[src.name] = e

    def stop(self, timeout: float = 10.0) -> IngestResult:
        """Close every connection, write what is queued (with its offsets) and return totals."""
        self._stop.set()
        for src in self.sources:
            src.interrupt()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        try:
            if self.pipeline is not None:
                self.pipeline.close()
        finally:
            if self.engine.sources is self:
                self.engine.sources = None
        return self.totals

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every source has ended (or `timeout`); True if they all ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.running

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until everything handed over so far is stored and searchable."""
        if self.pipeline is not None:
            self.pipeline.flush(timeout)

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def __enter__(self) -> "SourceRunner":
        return self.start() if self.pipeline is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- status -----------------------------------------------------------------------------

    def _on_batch(self, res: IngestResult) -> None:
        with self._lock:
            self.totals.add(res)
        if self._on_batch_cb:
            self._on_batch_cb(res)

    def statuses(self) -> list[SourceStatus]:
        return [s.status for s in self.sources]

    def status(self, name: str) -> SourceStatus:
        for s in self.sources:
            if s.name == name:
                return s.status
        raise KeyError(name)

    def backlog(self) -> int:
        """Posts, deletes and offsets waiting in the bounded queue for the writer."""
        return self.pipeline.backlog() if self.pipeline is not None else 0

    def status_lines(self) -> list[str]:
        return [s.line() for s in self.statuses()]

    def summary(self) -> dict[str, Any]:
        """Everything a status page needs, JSON-ready."""
        t = self.totals
        return {
            "sources": [s.to_dict() for s in self.statuses()],
            "backlog": self.backlog(),
            "stored": {"new": t.accepted, "updated": t.updated, "duplicates": t.duplicates + t.stale,
                       "deleted": t.deleted},
            "errors": {k: f"{type(v).__name__}: {v}" for k, v in self.errors.items()},
        }
