"""Publishing posts into the cluster's stream, and a `Sink` that lets live sources do it.

Every post goes to the subject of its partition with `Nats-Msg-Id` = its key and version
(`key@edited_at-or-created_at`), so JetStream drops a re-send of the same post within
`[cluster] duplicate_window_s` (a publisher that crashed and resumes from its cursor, a retry
after a lost ack) but lets an edit through; past the window, the shard's store keeps one copy
anyway. A publish is retried until JetStream acks it (a NATS restart
only delays it: the client reconnects, and the retry carries the same id).

A source's cursor (`Sink.offset`) is stored only once every post handed over before it is
acked — in a JetStream key-value bucket beside the stream — so a publisher that dies loses
nothing: restarted, it resumes from a cursor whose posts are all in the stream.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import orjson
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from ..model import Post, to_us
from ..settings import Settings
from .link import LoopThread, connect, ensure_stream
from .partition import Names, partition_of

log = logging.getLogger(__name__)

OP_HEADER = "Veristream-Op"  # absent: a post; "delete": the body is the key of a post deleted at its source
ACK_TIMEOUT_S = 5.0  # one publish's wait for JetStream's ack before it is sent again (same id)


class PublishError(RuntimeError):
    pass


class Publisher:
    """`Publisher(url, settings)`: publishes from any thread; `flush()` waits for every ack.

    At most `[cluster] publish_in_flight` publishes await their ack at once; `publish` blocks
    beyond that (back-pressure to the source, as the single-machine pipeline's bounded queue)."""

    def __init__(self, url: str, settings: Settings, name: str = "veristream-publisher", *, wait_s: float = 30.0):
        self.settings = settings
        self.names = Names.of(settings)
        self._loop = LoopThread(name)
        self._slots = threading.BoundedSemaphore(settings.cluster.publish_in_flight)
        self._cond = threading.Condition()
        self._next = 0  # ticket of the next publish
        self._unacked: set[int] = set()  # tickets sent, not acked yet
        self._checkpoints: list[tuple[int, str, str]] = []  # (ticket, source offset key, value), in order
        self._offsets: dict[str, str] = {}
        self.published = 0
        self.acked = 0
        self.duplicates = 0  # acks JetStream gave as duplicates (already in the stream)
        self.retries = 0
        self.unacked_at_close = 0  # publishes given up when closing with NATS unreachable
        self.closed = False
        try:
            self._nc, self._js, self._kv = self._loop.run(self._open(url, wait_s))
            self._offsets = self._loop.run(self._load_offsets())
        except BaseException:
            self._loop.stop()
            raise

    async def _open(self, url: str, wait_s: float):
        nc = await connect(url, "veristream-publisher", wait_s=wait_s)
        js = nc.jetstream()
        await ensure_stream(js, self.settings)
        bucket = f"{self.names.stream}_offsets"
        try:
            kv = await js.key_value(bucket)
        except BucketNotFoundError:
            kv = await js.create_key_value(KeyValueConfig(bucket=bucket, storage=StorageType.FILE,
                                                          replicas=self.settings.cluster.replicas))
        return nc, js, kv

    async def _load_offsets(self) -> dict[str, str]:
        kv: KeyValue = self._kv
        out: dict[str, str] = {}
        try:
            keys = await kv.keys()
        except Exception:  # noqa: BLE001 - nats-py raises NoKeysError on an empty bucket
            return out
        for k in keys:
            try:
                e = await kv.get(k)
            except KeyNotFoundError:
                continue
            if e.value is not None:
                out[_unkv(k)] = e.value.decode()
        return out

    # -- publishing (any thread) -------------------------------------------------------------

    def publish(self, post: Post) -> None:
        """Hand `post` to the stream; returns once it is sent (its ack comes later: `flush`)."""
        key = post.key
        self._send(self.names.posts(partition_of(key, self.names.partitions)), orjson.dumps(post.to_dict()),
                   {"Nats-Msg-Id": msg_id(key, to_us(post.edited_at or post.created_at))})

    def publish_encoded(self, key: str, doc: bytes, version_us: int) -> None:
        """A post already encoded in the project's own schema (what the API's validation made)."""
        self._send(self.names.posts(partition_of(key, self.names.partitions)), doc,
                   {"Nats-Msg-Id": msg_id(key, version_us)})

    def publish_many(self, posts: Iterable[Post]) -> None:
        for p in posts:
            self.publish(p)

    def delete(self, keys: Iterable[str]) -> None:
        """A deletion at the source, to the partition holding each post."""
        for key in keys:
            self._send(self.names.posts(partition_of(key, self.names.partitions)), key.encode(),
                       {"Nats-Msg-Id": "delete:" + key, OP_HEADER: "delete"})

    def publish_raw(self, partition: int, payload: bytes, dedup_id: str) -> None:
        """A message as given (tests and fuzzing: what a shard does with hostile input)."""
        self._send(self.names.posts(partition), payload, {"Nats-Msg-Id": dedup_id})

    def _send(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        if self.closed:
            raise PublishError("publisher is closed")
        self._slots.acquire()
        with self._cond:
            ticket = self._next
            self._next += 1
            self._unacked.add(ticket)
            self.published += 1
        self._loop.loop.call_soon_threadsafe(self._start, ticket, subject, payload, headers)

    def _start(self, ticket: int, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        asyncio.ensure_future(self._deliver(ticket, subject, payload, headers))

    async def _deliver(self, ticket: int, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        delay = 0.05
        while True:
            try:
                ack = await self._js.publish(subject, payload, timeout=ACK_TIMEOUT_S, headers=dict(headers))
                break
            except Exception as e:  # noqa: BLE001 - NATS away, no ack, stream not back yet: the same id again
                if self.closed and not self._nc.is_connected:
                    # Given up at close: the ticket stays unacked, so no cursor passes it and a
                    # restarted publisher sends this post again.
                    log.warning("publisher closed with a post unacked: %s", e)
                    self.unacked_at_close += 1
                    self._slots.release()
                    return
                self.retries += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        if getattr(ack, "duplicate", False):
            self.duplicates += 1
        self._slots.release()
        with self._cond:
            self._unacked.discard(ticket)
            self.acked += 1
            due = self._due_checkpoints()
            self._cond.notify_all()
        for k, v in due:
            await self._store_offset(k, v)

    def _due_checkpoints(self) -> list[tuple[str, str]]:
        """Cursors all of whose earlier posts are acked (called holding the lock)."""
        low = min(self._unacked) if self._unacked else self._next
        due: dict[str, str] = {}
        while self._checkpoints and self._checkpoints[0][0] <= low:
            _, k, v = self._checkpoints.pop(0)
            due[k] = v
        return list(due.items())

    async def _store_offset(self, key: str, value: str) -> None:
        delay = 0.05
        for _ in range(50):
            try:
                await self._kv.put(_kv(key), value.encode())
                self._offsets[key] = value
                return
            except Exception:  # noqa: BLE001 - NATS away: the cursor is written once it is back
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        log.warning("could not store the cursor of %s; a restart re-sends from the previous one", key)

    # -- cursors -------------------------------------------------------------------------------

    def offset(self, key: str, value: str) -> None:
        """Store a source's cursor once every post handed over before it is acked."""
        with self._cond:
            self._checkpoints.append((self._next, key, value))
            due = self._due_checkpoints()
        for k, v in due:
            self._loop.run(self._store_offset(k, v))

    def stored_offset(self, key: str) -> str | None:
        return self._offsets.get(key)

    # -- waiting, closing --------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every publish so far is acked (and cursors stored); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._unacked:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)
        return True

    def pending(self) -> int:
        with self._cond:
            return len(self._unacked)

    def close(self, timeout: float | None = 60.0) -> None:
        if self.closed:
            return
        try:
            self.flush(timeout)
        finally:
            self.closed = True
            try:
                self._loop.run(self._nc.close(), timeout=10)
            except Exception:  # noqa: BLE001 - closing a connection that is already gone
                pass
            self._loop.stop()

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def msg_id(key: str, version_us: int) -> str:
    """The de-duplication id of a post: its key and version (edited_at, else created_at), so a
    re-send of the same post is dropped and an edit of it is not."""
    return f"{key}@{version_us}"


def _kv(key: str) -> str:
    """A source's offset key as a KV key (those allow [-_=.A-Za-z0-9] only)."""
    return base64.urlsafe_b64encode(key.encode()).decode()


def _unkv(key: str) -> str:
    return base64.urlsafe_b64decode(key.encode()).decode()


class PublishSink:
    """The `Sink` of a live source publishing to the cluster (`veristream ingest --source … --to nats://…`)."""

    def __init__(self, publisher: Publisher, input_name: str, state_dir: Path | None = None):
        self.publisher = publisher
        self.input_name = input_name
        self.state_dir = state_dir
        self.rejected = 0

    def post(self, post: Post) -> None:
        self.publisher.publish(post)

    def delete(self, keys: list[str]) -> None:
        self.publisher.delete(keys)

    def offset(self, key: str, value: str) -> None:
        self.publisher.offset(key, value)

    def stored_offset(self, key: str) -> str | None:
        return self.publisher.stored_offset(key)

    def reject(self, counter: int, reason: str, raw: bytes | str) -> None:
        # No store on this side: the reason is logged; the message never reaches the stream.
        self.rejected += 1
        log.warning("%s: message %d rejected: %s", self.input_name, counter, reason)


class PublishPipeline:
    """What `POST /v1/posts` hands posts to under `veristream serve --nats`: the API's own
    validation first (same reasons, same quarantine), then the stream. `flush` returns once
    JetStream has acked them (in the replicated log; the shards make them searchable next)."""

    def __init__(self, publisher: Publisher):
        self.publisher = publisher
        self.batches = 0
        self.error: BaseException | None = None

    def put(self, post: Post) -> None:
        self.publisher.publish(post)

    def put_prepared(self, items: Iterable) -> None:
        try:
            for it in items:
                self.publisher.publish_encoded(it.key, it.doc, it.version)
        except PublishError as e:
            self.error = e
            raise
        self.batches += 1

    def flush(self, timeout: float | None = None) -> None:
        if not self.publisher.flush(timeout):
            raise TimeoutError("posts not acked by JetStream in time")

    def backlog(self) -> int:
        return self.publisher.pending()

    def status(self) -> dict:
        return {"state": "failed" if self.error is not None else "running", "alive": self.error is None,
                "error": f"{type(self.error).__name__}: {self.error}" if self.error is not None else None,
                "backlog": self.publisher.pending(), "quarantined": 0, "batches": self.batches,
                "published": self.publisher.published, "acked": self.publisher.acked,
                "duplicates": self.publisher.duplicates, "retries": self.publisher.retries}

    def close(self) -> None:
        self.publisher.flush(30)
