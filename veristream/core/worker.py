"""Background work, one way: every consumer of the core runs on a `Worker`.

The writer's pipeline, trend detection, embedding, expiry, the live feed and WAL checkpoints
all run beside ingest on threads of their own. They share one life cycle here (start, a stop
that lets the unit in hand finish, the error that stopped the thread, a state for health
checks, an optional lower CPU priority) and, where work arrives as items, one bounded queue
drained in batches (`BatchQueue`). What each does with its work stays with it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STOP = object()  # the item a queue-fed worker reads as "finish what is queued, then stop"


class Worker:
    """One named daemon thread running `target(worker)` until it returns.

    The target reads `stopping`, or sleeps with `sleep(timeout)` (woken early by `wake()` or a
    stop). Whatever it raises is kept in `error` and logged: the thread ends, `state` says
    "failed", and the owner decides whether that stops anything else. `priority` > 0 lowers
    this thread's CPU priority (Linux nice; threads it creates inherit it), so background work
    takes only what ingest leaves."""

    def __init__(self, name: str, target: Callable[["Worker"], None], *, priority: int = 0):
        self.name = name
        self._target = target
        self._priority = priority
        self._stopping = False
        self._wake = threading.Event()
        self.error: BaseException | None = None
        self.started_at: float | None = None  # time.monotonic()
        self._thread = threading.Thread(target=self._main, name=f"veristream-{name}", daemon=True)

    def start(self) -> "Worker":
        if not self._thread.is_alive() and self.started_at is None:
            self.started_at = time.monotonic()
            self._thread.start()
        return self

    def _main(self) -> None:
        if self._priority:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._priority)
            except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
                pass
        try:
            self._target(self)
        except BaseException as e:  # kept for the owner: status(), health, the next caller
            self.error = e
            log.exception("%s worker stopped", self.name)

    # -- for the target -------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping

    def sleep(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` (None: until woken); True when the worker is to stop."""
        if not self._stopping:
            self._wake.wait(timeout)
            self._wake.clear()
        return self._stopping

    # -- for the owner --------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the target to stop, wake it and wait for it (a unit in hand finishes first)."""
        self._stopping = True
        self._wake.set()
        self.join(timeout)

    def finish(self, q: Any) -> None:
        """For a queue-fed worker: put `STOP` behind what is queued on `q` and wait until the
        worker has done it all and returned."""
        if self._thread.is_alive():
            q.put(STOP)
            self.join()

    def join(self, timeout: float | None = None) -> None:
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def state(self) -> str:
        """running | failed (on `error`) | stopped | new (not started)."""
        if self.error is not None:
            return "failed"
        if self._thread.is_alive():
            return "running"
        return "new" if self.started_at is None else "stopped"

    def status(self) -> dict[str, Any]:
        err = self.error
        return {"state": self.state, "error": f"{type(err).__name__}: {err}" if err is not None else None}


class BatchQueue:
    """A queue bounded by weight (posts, not items: a chunk of 1,000 posts weighs 1,000),
    drained in batches by one worker.

    Producers block in `put` while it is full (back-pressure), with `check` called now and
    then so a stopped consumer's error reaches them instead of a wait forever; an item heavier
    than the bound is let in when the queue is empty. The consumer `take`s up to a batch and
    `release`s its weight once the batch is done.

    One lock for both ends and a deque: a post handed over costs one lock round and an append,
    and the consumer takes what has gathered in one go, waking only when there is nothing to
    take (a `queue.Queue` took a lock and a condition on each side per item)."""

    def __init__(self, max_weight: int):
        self._items: deque[Any] = deque()
        self.max_weight = max_weight
        self._inflight = 0
        lock = threading.Lock()
        self._room = threading.Condition(lock)  # producers wait here for room
        self._ready = threading.Condition(lock)  # the consumer waits here for items
        self._waiting = False  # the consumer is waiting on `_ready`

    def admit(self, weight: int, check: Callable[[], None] = lambda: None) -> None:
        with self._room:
            self._admit(weight, check)

    def _admit(self, weight: int, check: Callable[[], None]) -> None:
        while self._inflight and self._inflight + weight > self.max_weight:
            check()
            self._room.wait(0.5)
        check()
        self._inflight += weight

    def put(self, item: Any, weight: int = 0, check: Callable[[], None] = lambda: None) -> None:
        """Add `item`, waiting for room for `weight` first (0: control items, never wait)."""
        with self._room:
            if weight:
                self._admit(weight, check)
            self._items.append(item)
            if self._waiting:
                self._ready.notify()

    def release(self, weight: int) -> None:
        if weight:
            with self._room:
                self._inflight -= weight
                self._room.notify_all()

    @property
    def weight(self) -> int:
        """Weight handed over and not yet released."""
        return self._inflight

    def take(self, full: Callable[[Any], bool], delay_s: float) -> list[Any]:
        """Block for the first item, then gather more until `full(item)` says the batch is
        complete (after adding that item) or `delay_s` has passed since the first (items
        already there are still taken, up to a full batch)."""
        items = self._items
        out: list[Any] = []
        with self._ready:
            while not items:
                self._wait(None)
            deadline = time.monotonic() + delay_s
            while True:
                if items:
                    item = items.popleft()
                    out.append(item)
                    if full(item):
                        return out
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return out
                self._wait(remaining)

    def _wait(self, timeout: float | None) -> None:
        self._waiting = True
        try:
            self._ready.wait(timeout)
        finally:
            self._waiting = False

    def empty(self) -> bool:
        return not self._items


def exit_with_parent(parent: int, every_s: float = 0.5) -> None:
    """In a worker process: exit when `parent` (the pid of the process that started it, passed
    from there: by the time a spawned worker runs this, that process may already be gone) is no
    longer its parent. A process pool's worker waits on a queue it holds both ends of, so it
    would outlive a parent killed with SIGKILL (and keep the parent's stderr open: whoever
    reads it would wait forever)."""
    if os.getppid() != parent:
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="veristream-parent-watch", daemon=True).start()


PIPE_BYTES = 1 << 20  # what a worker pool's pipes may hold (Linux allows up to fs.pipe-max-size)


def widen_pipes(pool: Any, size: int = PIPE_BYTES) -> int:
    """Let the pipes of a `ProcessPoolExecutor` hold `size` bytes (Linux); returns the size set,
    or 0 where it could not be (another platform, another executor, a lower system limit).

    A chunk of prepared posts (~1.2 KB each) crossed a 64 KiB pipe in ~19 writes, each waiting
    for this process's thread that reads results to get the GIL back from the writer: the
    worker sat blocked in its write for a fifth of its time (docs/performance.md). The pipes
    belong to the executor: reached through its private attributes, so any change there only
    leaves them as they were."""
    op = getattr(fcntl, "F_SETPIPE_SZ", None)
    if op is None:
        return 0
    try:
        ends = [q._reader for q in (pool._call_queue, pool._result_queue)]
    except AttributeError:
        return 0
    try:
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    except (OSError, ValueError):
        limit = size
    got = 0
    for end in ends:  # the size belongs to the pipe: either end sets it
        try:
            got = fcntl.fcntl(end.fileno(), op, min(size, limit))
        except (OSError, ValueError, AttributeError):
            return 0
    return got


def engine_nice() -> int:
    """The calling thread's nice value (on Linux, per thread: the engine's)."""
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (AttributeError, OSError):
        return 0


def below(engine_nice: int) -> str:
    """Put the calling thread (and the threads it starts) below an engine running at
    `engine_nice`: nice 19, or, where the engine itself runs at 19, Linux's SCHED_IDLE (which
    only runs when nothing else wants the core). Says which it got."""
    if engine_nice < 19:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, 19)
            return "nice 19"
        except (AttributeError, OSError):
            return "unchanged"
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined]
        return "idle"
    except (AttributeError, OSError):
        return "unchanged"


def start_child(module: str, make_spec: Callable[[int, int], Any]) -> tuple[subprocess.Popen, Connection]:
    """Start an engine's child process (`python -m module`: the engine's own interpreter and
    code, wherever it was imported from, never a re-import of the caller's main module as
    multiprocessing's spawn would do). Its spec, `make_spec(fd of its end of the pipe, the
    engine's nice)`, goes pickled on its stdin (read there by `child_spec`); returns the process
    and the engine's end of the pipe."""
    here, there = socket.socketpair()
    spec = make_spec(there.fileno(), engine_nice())
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    # A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and
    # the engine, not the signal, stops its children (after they have finished their work).
    proc = subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            pass_fds=(there.fileno(),), env=env, process_group=0)
    there.close()
    assert proc.stdin is not None
    try:
        proc.stdin.write(pickle.dumps(spec))
        proc.stdin.close()
    except BrokenPipeError:  # it died at once: whoever reads the pipe sees it close
        pass
    return proc, Connection(here.detach())


def child_spec(what: str, below_engine: bool = True) -> tuple[Any, Connection]:
    """In a child started by `start_child`: its spec (with `engine_nice`, `parent`, `fd`) and
    its end of the pipe; the process exits with the engine, and is put below it (unless
    `below_engine` is false: then it runs at the engine's priority)."""
    spec = pickle.load(sys.stdin.buffer)
    if below_engine:
        below(spec.engine_nice)
    exit_with_parent(spec.parent)
    logging.basicConfig(level=logging.WARNING, format=f"veristream {what} process: %(message)s")
    return spec, Connection(spec.fd)


def flush_through(put: Callable[[threading.Event], None], check: Callable[[], None],
                  timeout: float | None = None, what: str = "flush") -> None:
    """Put a marker event through a worker's queue and wait for it to be set (everything put
    before it is then done), checking for the worker's failure meanwhile."""
    ev = threading.Event()
    put(ev)
    deadline = None if timeout is None else time.monotonic() + timeout
    while not ev.wait(0.2):
        check()
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"{what} timed out")
    check()
