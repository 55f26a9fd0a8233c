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

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..core import EngineError, Pipeline
from ..engine import Engine
from ..core.writer import IngestResult
from ..model import Post
from .base import Backoff, Source, SourceError, SourceStatus

log = logging.getLogger(__name__)


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
                 on_batch: Callable[[IngestResult], None] | None = None, *,
                 restart_base_s: float = 1.0, restart_max_s: float = 60.0):
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
        # A source whose thread dies on an unexpected error is started again after this
        # back-off (doubling up to the cap); its status counts `restarts` and keeps `last_error`.
        self.restart_base_s = restart_base_s
        self.restart_max_s = restart_max_s

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
        backoff = Backoff(self.restart_base_s, self.restart_max_s, "exponential", jitter=0.2)
        while True:
            t0 = time.monotonic()
            try:
                src.run(sink, self._stop)
                return  # stopped, or a finite source (demo max_posts) is done
            except BaseException as e:  # noqa: BLE001 - kept for the caller, shown in the status
                # A configuration error or a stopped core will not heal by restarting; nor
                # should Ctrl-C / interpreter exit be fought. `errors` holds sources that ended.
                if self._stop.is_set() or isinstance(e, (SourceError, EngineError)) or not isinstance(e, Exception):
                    self.errors[src.name] = e
                    return
                log.exception("source %s failed; restarting it", src.name)
            if time.monotonic() - t0 > 60:
                backoff.reset()  # it ran a good while: this is a fresh failure
            delay = backoff.next()
            src.update(state="restarting", connected=False,
                       next_retry_at=datetime.fromtimestamp(time.time() + delay, timezone.utc))
            src.count("restarts")
            if self._stop.wait(delay):
                src.update(state="stopped", next_retry_at=None)
                return

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

    def dead(self) -> list[str]:
        """Names of sources whose thread has ended for good although nobody asked them to stop
        (a configuration error, a stopped core; a finite demo source that is done counts too).
        Cheap and thread-safe: for health checks."""
        if self._stop.is_set():
            return []
        return [src.name for src, t in zip(self.sources, self._threads) if not t.is_alive()]

    def summary(self) -> dict[str, Any]:
        """Everything a status page needs, JSON-ready."""
        t = self.totals
        return {
            "sources": [s.to_dict() for s in self.statuses()],
            "dead": self.dead(),
            "pipeline": self.pipeline.status() if self.pipeline is not None else None,
            "backlog": self.backlog(),
            "stored": {"new": t.accepted, "updated": t.updated, "duplicates": t.duplicates + t.stale,
                       "deleted": t.deleted},
            "errors": {k: f"{type(v).__name__}: {v}" for k, v in self.errors.items()},
        }
