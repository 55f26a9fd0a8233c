"""Feed a file (or any line iterator) into the engine, as fast as possible or in event time.

Event-time replay: the first post's `created_at` is pinned to the wall clock at start, and a
post created `d` seconds later is handed over `d / speed` seconds after start. So `speed=60`
plays an hour of stream per minute, and windows, recency and "now" inside the engine (all in
event time) behave as they did live.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from .engine import Engine, Rejection
from .ingest import IngestResult
from .model import from_us


@dataclass(slots=True)
class Progress:
    read: int = 0  # good posts handed to the core
    accepted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    posts_per_s: float = 0.0
    lag_s: float = 0.0  # how far behind the stream (schedule, or hand-off) the core is
    event_time: datetime | None = None
    elapsed_s: float = 0.0
    done: bool = False


def run(engine: Engine, lines: Iterable[bytes | str], *, input_name: str = "-", fmt: str = "auto",
        source: str | None = None, speed: float | None = None,
        on_progress: Callable[[Progress], None] | None = None, every_s: float = 0.5,
        on_reject: Callable[[Rejection], None] | None = None) -> Progress:
    """Ingest every line; returns the final progress. `speed=None` means as fast as possible."""
    prog = Progress()
    lock = threading.Lock()
    t_start = time.monotonic()
    handed: list[float] = []  # hand-off time of the newest post in flight
    last = [t_start]

    def on_batch(res: IngestResult) -> None:
        now = time.monotonic()
        with lock:
            prog.accepted += res.accepted
            prog.updated += res.updated
            prog.duplicates += res.duplicates + res.stale
            if res.newest_us is not None:
                prog.event_time = from_us(res.newest_us)
            if handed:
                prog.lag_s = max(0.0, now - handed[0])

    def rejected(rej: Rejection) -> None:
        prog.rejected += 1
        if on_reject:
            on_reject(rej)

    def report(done: bool = False) -> None:
        now = time.monotonic()
        prog.elapsed_s = now - t_start
        prog.posts_per_s = prog.read / prog.elapsed_s if prog.elapsed_s > 0 else 0.0
        prog.done = done
        last[0] = now
        if on_progress:
            with lock:
                on_progress(prog)

    pipe = engine.pipeline(on_batch)
    try:
        t0_event: int | None = None
        for _n, post in engine.parse_lines(lines, input_name, fmt, source, rejected):
            now = time.monotonic()
            due = now
            if speed is not None:
                ts = post.ts_us
                if t0_event is None:
                    t0_event = ts
                due = t_start + (ts - t0_event) / 1e6 / speed
                if due > now:
                    time.sleep(due - now)
            pipe.put(post)
            handed[:] = [due]
            prog.read += 1
            if now - last[0] >= every_s:
                report()
        pipe.flush()
    finally:
        pipe.close()
    report(done=True)
    return prog
