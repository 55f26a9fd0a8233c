"""The NATS connection: connecting (and waiting for a server that is not up yet), the stream,
and an event loop on its own thread for callers that are not async (sources, the CLI, the API).

nats-py reconnects by itself after a server restart, re-subscribing and re-sending what it
buffered; we ask it never to give up (`max_reconnect_attempts=-1`): a cluster outlives NATS
restarts, and what was not acked is re-sent by whoever needs the ack (publishers, shards).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from ..settings import Settings
from .partition import Names

log = logging.getLogger(__name__)
T = TypeVar("T")


def servers(url: str) -> list[str]:
    """'nats://a:4222,nats://b:4222' -> the list nats-py takes."""
    out = [u.strip() for u in url.split(",") if u.strip()]
    if not out:
        raise ValueError("no NATS server given (nats://host:4222)")
    for u in out:
        if not u.startswith(("nats://", "tls://")):
            raise ValueError(f"{u!r} is not a NATS URL (nats://host:4222)")
    return out


async def connect(url: str, name: str, *, wait_s: float = 30.0) -> Client:
    """A connection that reconnects forever; the first connection is retried for `wait_s`
    (a shard may start before the server it reads)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    delay = 0.1
    while True:
        try:
            return await nats.connect(servers(url), name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                      connect_timeout=2, ping_interval=5, max_outstanding_pings=2,
                                      allow_reconnect=True, error_cb=_quiet, disconnected_cb=_gone,
                                      reconnected_cb=_back)
        except Exception as e:  # noqa: BLE001 - the server is not there (yet): retried until wait_s
            if loop.time() + delay > deadline:
                raise ConnectionError(f"cannot reach NATS at {url}: {type(e).__name__}: {e}") from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)


async def _quiet(e: Exception) -> None:
    log.debug("nats: %s: %s", type(e).__name__, e)


async def _gone() -> None:
    log.info("nats: disconnected; reconnecting")


async def _back() -> None:
    log.info("nats: reconnected")


async def ensure_stream(js: JetStreamContext, settings: Settings) -> None:
    """Create the partitioned stream if it does not exist (its subjects, replicas, limits and
    de-duplication window from `[cluster]`); an existing one is left as it is."""
    names = Names.of(settings)
    c = settings.cluster
    try:
        await js.stream_info(names.stream)
        return
    except NotFoundError:
        pass
    cfg = StreamConfig(name=names.stream, subjects=[names.all_posts], retention=RetentionPolicy.LIMITS,
                       storage=StorageType.FILE, num_replicas=c.replicas, duplicate_window=c.duplicate_window_s,
                       max_age=c.max_age_h * 3600 if c.max_age_h else None,
                       max_bytes=int(c.max_gb * (1 << 30)) if c.max_gb else None)
    try:
        await js.add_stream(cfg)
    except Exception:  # noqa: BLE001 - another process made it meanwhile: fine if it now exists
        await js.stream_info(names.stream)


class LoopThread:
    """An asyncio loop on a daemon thread: `run(coro)` from any other thread, waiting for it."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name=name)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        if not self.loop.is_running() and not self.loop.is_closed():
            self.loop.close()
