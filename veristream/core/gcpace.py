"""Keeps Python's cyclic garbage collector from stalling the writer.

A writing engine holds millions of long-lived objects (the story ring, trend state, the
gazetteer, caches). CPython's oldest-generation collection walks all of them whenever enough
new survivors pile up: measured at 200-275 ms every 2.5-3 s in the writer's process after
100,000 posts (`bench/realtime.py`, 5,000 posts/s offered), each pause holding the GIL, so
no post became searchable meanwhile; these pauses made most of the freshness tail.

So the writer *freezes* what has survived at each cold-index commit and at most once a second
after hot commits (`gc.freeze()`: the objects move to a permanent generation the collector
skips; O(1)). Collections then walk only what is newer than the last freeze. Freezing is not freeing:
objects are still freed by reference counting as always; only cyclic garbage among frozen
objects waits for the next full collection, which runs every `gc_full_s` at a cold commit
(one deliberate pause, then everything is frozen again), and when the writer closes. The
young generation is collected every 20,000 allocations instead of 700 (fewer objects live
long enough to be promoted).

The same pacing serves the processes that work through units beside the writer (the workers
that parse and prepare posts, the trend detector): `pace()` between units. A preparing worker
keeps its long-lived objects (the gazetteer, the places cache) in the oldest generation and
makes ~30 objects a post; with the default thresholds the collector's passes over them were a
sixth of the worker's time (replay of 200k generated posts, features off: 8,776 / 9,925 posts/s
without, 10,403 / 11,555 with; docs/performance.md).

The collector is process-wide (there is one per interpreter): this is the one place the core
touches process state, on behalf of the process's writer or of a worker process.
"""

from __future__ import annotations

import gc
import time

FREEZE_EVERY_S = 1.0
YOUNG_THRESHOLD = 20_000
WORKER_GC_FULL_S = 60.0  # a worker process's full collections (its frozen caches only grow slowly)


class CollectorPacing:
    """`settle()` at points where a short pause is expected (cold commits); `close()` once."""

    def __init__(self, full_s: float):
        self.full_s = full_s
        self._last_full = time.monotonic()
        self._froze = False
        self._last_freeze = 0.0
        # A young-generation pass every 20,000 allocations, not 700: most of a batch's objects
        # are gone by then, so fewer survive into the older generations (the collector's
        # time in max-mode ingest of 200k posts: 1.98 -> 0.18 s).
        self._thresholds = gc.get_threshold()
        if self.enabled and self._thresholds[0] < YOUNG_THRESHOLD:
            gc.set_threshold(YOUNG_THRESHOLD, *self._thresholds[1:])

    @property
    def enabled(self) -> bool:
        return self.full_s > 0

    def tick(self) -> None:
        """After a hot commit: freeze at most once a second (a second of survivors is what the
        collector's next pass walks: ~20 ms, against ~100 ms for the 5 s between cold commits)."""
        if self.enabled and time.monotonic() - self._last_freeze >= FREEZE_EVERY_S:
            self._freeze()

    def settle(self) -> None:
        """At a cold commit: the full collection when due, then freeze."""
        if not self.enabled:
            return
        if time.monotonic() - self._last_full >= self.full_s:
            gc.unfreeze()
            gc.collect()
            self._last_full = time.monotonic()
        self._freeze()

    def pace(self) -> None:
        """Between two units of work (a chunk, a batch) in a process that does little else:
        freeze at most once a second, after collecting what is newer (the full collection,
        frozen objects too, when due)."""
        if self.enabled and time.monotonic() - self._last_freeze >= FREEZE_EVERY_S:
            if time.monotonic() - self._last_full < self.full_s:
                gc.collect()  # only what is newer than the last freeze: cyclic garbage is not frozen
            self.settle()

    def _freeze(self) -> None:
        gc.freeze()
        self._froze = True
        self._last_freeze = time.monotonic()

    def close(self) -> None:
        """Hand what this writer froze back to the collector, and its pacing (the process may
        go on without the writer)."""
        if self._froze:
            gc.unfreeze()
            self._froze = False
        if self.enabled and gc.get_threshold()[0] == YOUNG_THRESHOLD:
            gc.set_threshold(*self._thresholds)
