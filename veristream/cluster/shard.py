"""A shard: one `Engine` per partition, fed by a durable JetStream pull consumer, answering the
root's queries for its partitions over NATS request-reply.

Delivery: a batch is fetched, decoded (a malformed message is quarantined with its reason in
the partition's quarantine.jsonl, and acked: it never stops the shard), ingested — `ingest`
returns once the posts are committed to the store — and only then acked, each message by itself. A shard killed at any moment leaves its unacked batch to
be delivered again to whichever process binds the partition's consumer next; the posts already
stored are recognised by key and left as they are, so redelivery adds nothing and loses nothing.

The stream's sequence of the last message ingested is stored with each batch as the offset
`nats:STREAM:P`, in the same transaction as the posts (what `cluster status` shows beside the
consumer's own position).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
import signal
import time
import uuid
from datetime import datetime, timezone
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from ..core.search import SearchQuery
from ..core.store import StoryRow
from ..engine import Engine
from ..model import Author, BadPost, Post, from_us, to_us
from ..readers import parse_line
from ..retrieve import RetrieveQuery
from ..settings import Settings
from .link import connect, ensure_stream
from .partition import Names, format_partitions, partition_of
from .publish import OP_HEADER
from .wire import filters_from, post_wire, story_gid, story_wire, title_of

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 900_000  # under NATS's default 1 MiB max_payload: a reply is cut to fit, and says so
# Queries answered on the NATS loop itself, skipping the hop to a reader thread and back (about
# a third of what a shard spent on a search beyond the search itself, profiled on 2 cores), while
# the partition's recent ones stay under INLINE_MS: a slow one would hold up the loop's fetches
# and acks, so it goes to a reader thread.
INLINE_OPS = frozenset({"search", "now", "get", "post", "status"})
INLINE_MS = 5.0
MAX_GROUP = 1024  # partitions one query message may ask for (a hostile list is cut)
GID_MEMORY = 200_000  # stories' global ids remembered per shard process


@dataclass
class PartitionState:
    partition: int
    engine: Engine
    stored: int = 0  # posts newly stored by this process
    duplicates: int = 0  # redelivered or re-sent posts already stored
    rejected: int = 0
    deleted: int = 0
    last_seq: int = 0  # stream sequence of the last message ingested
    batches: int = 0
    error: str | None = None  # the last ingest failure, until a batch is stored again
    started: float = field(default_factory=time.monotonic)
    query_ms: float = 0.0  # recent cost of an inline-able query (a moving average), ms


class Shard:
    """`Shard(url, partitions, data_dir, settings)`; `await shard.run(stop)` until `stop` is set."""

    def __init__(self, url: str, partitions: list[int], data_dir: str | Path, settings: Settings,
                 name: str | None = None):
        self.url = url
        self.partitions = partitions
        self.data_dir = Path(data_dir)
        self.settings = settings
        self.names = Names.of(settings)
        self.name = name or f"shard-{format_partitions(partitions)}"
        self.parts: dict[int, PartitionState] = {}
        # Writers (one thread per partition: ingest blocks on its commit) and readers apart, so
        # a query is answered while a batch is being written.
        self._writers = ThreadPoolExecutor(max(1, len(partitions)), thread_name_prefix="veristream-shard-write")
        self._readers = ThreadPoolExecutor(4, thread_name_prefix="veristream-shard-query")
        self._gids: dict[tuple[int, int, int], int] = {}  # (partition, story, first seq) -> global id
        self.id = f"{self.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # this process, as the root knows it

    def open(self) -> None:
        settings = partition_settings(self.settings, self.names.partitions)
        for p in self.partitions:
            self.parts[p] = PartitionState(p, Engine(self.data_dir / f"p{p}", settings))
        if self.parts:
            # The first post prepared loads language and word data (~0.5 s): done before the
            # shard says it is ready, so its first queries are not held up behind it.
            st = next(iter(self.parts.values()))
            st.engine.core.prepare_checked([Post(id="warm-up", source="file", author=Author("warm-up"),
                                                 text="warming up the shard before it serves",
                                                 created_at=datetime.now(timezone.utc))])
        if self.settings.trends.enabled:
            # Trends compare a term that fills the stream with general language (wordfreq's
            # lists: ~1.3 s of CPU and the GIL to load, once per process): loaded here rather
            # than under the first such term, where the writer and the queries would wait on it.
            from ..trends.background import post_share

            post_share("news")

    def close(self) -> None:
        self._writers.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        for st in self.parts.values():
            st.engine.close()

    async def run(self, stop: asyncio.Event, ready: Any = None) -> None:
        nc = await connect(self.url, self.name, wait_s=60.0)
        js = nc.jetstream()
        await ensure_stream(js, self.settings)
        subs = []
        for p in self.partitions:
            subs.append(await nc.subscribe(self.names.query(p), cb=self._on_query))
        tasks = [asyncio.ensure_future(self._consume(js, p, stop)) for p in self.partitions]
        if ready is not None:
            ready()
        try:
            await stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for s in subs:
                try:
                    await s.unsubscribe()
                except Exception:  # noqa: BLE001 - NATS away while stopping
                    pass
            try:
                await asyncio.wait_for(nc.close(), 5)
            except Exception:  # noqa: BLE001
                pass

    # -- consuming -----------------------------------------------------------------------------

    async def _bind(self, js, p: int):
        c = self.settings.cluster
        cfg = ConsumerConfig(durable_name=self.names.consumer(p), filter_subject=self.names.posts(p),
                             ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=c.ack_wait_s,
                             max_ack_pending=max(c.fetch_batch * 4, 1000), max_waiting=16)
        return await js.pull_subscribe(self.names.posts(p), durable=self.names.consumer(p), stream=self.names.stream,
                                       config=cfg)

    async def _fetch(self, sub, batch: int) -> list[Msg]:
        """Wait for one message as long as it takes (an idle partition costs one pull a second),
        then take what else is there at once: a pull for a whole batch would linger on the
        server until the batch fills, delaying a quiet stream's posts."""
        msgs = await sub.fetch(1, timeout=1.0)
        if batch > 1:
            try:
                msgs += await sub.fetch(batch - 1, timeout=0.02)
            except asyncio.TimeoutError:
                pass
        return msgs

    async def _consume(self, js, p: int, stop: asyncio.Event) -> None:
        st = self.parts[p]
        loop = asyncio.get_running_loop()
        batch = self.settings.cluster.fetch_batch
        sub = None
        ahead: asyncio.Future | None = None  # the next batch, fetched while this one is written
        try:
            while not stop.is_set():
                try:
                    if sub is None:
                        sub = await self._bind(js, p)
                    if ahead is not None:
                        fut, ahead = ahead, None
                        msgs = await fut
                    else:
                        msgs = await self._fetch(sub, batch)
                except asyncio.CancelledError:
                    raise
                except asyncio.TimeoutError:
                    continue
                except Exception as e:  # noqa: BLE001 - NATS restarting, consumer not back yet: bind again
                    log.info("partition %d: fetch failed (%s: %s); retrying", p, type(e).__name__, e)
                    sub = None
                    await asyncio.sleep(0.5)
                    continue
                if not msgs:
                    continue
                write = loop.run_in_executor(self._writers, self._write, st, msgs)
                # The next batch is pulled while this one is written, so the writer does not wait
                # a fetch's round trips between batches; its messages are acked only once
                # written, like every other.
                ahead = asyncio.ensure_future(self._fetch(sub, batch))
                try:
                    await write
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - the store refused (disk full...): nothing acked, retried
                    st.error = f"{type(e).__name__}: {e}"
                    log.error("partition %d: ingest failed (%s); the batch will be delivered again", p, st.error)
                    for m in msgs:  # again in a second, not after ack_wait_s
                        try:
                            await m.nak(delay=1.0)
                        except Exception:  # noqa: BLE001 - then after ack_wait_s
                            break
                    await asyncio.sleep(1.0)
                    continue
                st.error = None
                try:
                    # Every message is acked by itself: an ack-all of the batch's last message would
                    # also ack messages delivered to a pull that was lost (a NATS restart, a killed
                    # process's lingering pull) and never stored. Acks go out in order on one
                    # connection, so the last one's confirmation covers the batch.
                    for m in msgs[:-1]:
                        await m.ack()
                    await msgs[-1].ack_sync(timeout=5.0)
                except Exception as e:  # noqa: BLE001 - unacked: redelivered later, and stored once
                    log.info("partition %d: ack failed (%s); the batch will be redelivered", p, type(e).__name__)
        finally:
            if ahead is not None:
                ahead.cancel()

    def _write(self, st: PartitionState, msgs: list[Msg]) -> None:
        """Decode, quarantine what is malformed, ingest the rest in order (posts, then a delete
        where one comes), with the stream position as the partition's offset. Runs on the
        partition's writer thread."""
        eng = st.engine
        posts: list[Post] = []
        where = f"nats:{self.names.stream}:{st.partition}"
        last_seq = st.last_seq
        for m in msgs:
            seq = _stream_seq(m)
            last_seq = max(last_seq, seq)
            try:
                op = (m.headers or {}).get(OP_HEADER)
                if op == "delete":
                    key = m.data.decode("utf-8")
                    self._ingest(st, posts, {where: str(seq)})
                    posts = []
                    st.deleted += eng.delete([key])
                    continue
                if op is not None:
                    raise BadPost(f"unknown {OP_HEADER} {op[:40]!r}")
                post = parse_line(m.data, "veristream", detect_lang=False)
                if post is None:
                    raise BadPost("empty message")
                if partition_of(post.key, self.names.partitions) != st.partition:
                    raise BadPost(f"post {post.key[:80]} belongs to partition "
                                  f"{partition_of(post.key, self.names.partitions)}, not {st.partition}")
                posts.append(post)
            except (BadPost, UnicodeDecodeError, ValueError) as e:
                reason = e.reason if isinstance(e, BadPost) else f"{type(e).__name__}: {e}"
                eng.reject(where, seq, reason, m.data)
                st.rejected += 1
        self._ingest(st, posts, {where: str(last_seq)})
        st.last_seq = last_seq
        st.batches += 1

    def _ingest(self, st: PartitionState, posts: list[Post], offsets: dict[str, str]) -> None:
        core = st.engine.core
        items, bad = core.prepare_checked(posts)
        for post, reason in bad:
            st.engine.reject(next(iter(offsets)), 0, reason, orjson.dumps(post.to_dict()))
            st.rejected += 1
        res = core.ingest_prepared(items, offsets)
        st.stored += res.accepted + res.updated
        st.duplicates += res.duplicates + res.stale

    # -- answering -----------------------------------------------------------------------------

    async def _on_query(self, msg: Msg) -> None:
        try:
            p = int(msg.subject.rsplit(".", 1)[1])
            req = orjson.loads(msg.data)
            op, args = req.get("op"), req.get("args") or {}
            group = req.get("parts")
            if group is not None:
                group = [int(x) for x in group][:MAX_GROUP]
        except Exception as e:  # noqa: BLE001 - answered as an error, as any other failure
            await self._respond(msg, None, e)
            return
        if group is not None:
            served = [self.parts[q] for q in group if q in self.parts]
            if op in INLINE_OPS and all(x.query_ms < INLINE_MS for x in served):
                await self._respond_group(msg, self._group(group, op, args))
            else:
                asyncio.ensure_future(self._answer_group(msg, group, op, args))
            return
        st = self.parts.get(p)
        if op in INLINE_OPS and st is not None and st.query_ms < INLINE_MS:
            try:
                out = self._timed(st, p, op, args)
            except Exception as e:  # noqa: BLE001
                await self._respond(msg, None, e)
                return
            await self._respond(msg, {"partition": p, "ok": True, "result": out})
            return
        # Otherwise on its own task and reader thread: a slow one does not hold up the next.
        asyncio.ensure_future(self._answer(msg, p, op, args))

    def _timed(self, st: PartitionState, p: int, op: str, args: dict[str, Any]) -> dict[str, Any]:
        t0 = time.perf_counter()
        out = self.answer(p, op, args)
        if op in INLINE_OPS:
            st.query_ms = 0.8 * st.query_ms + 0.2 * (time.perf_counter() - t0) * 1000
        return out

    async def _answer(self, msg: Msg, p: int, op: str | None, args: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        st = self.parts.get(p)
        try:
            if st is None:
                raise ValueError(f"partition {p} is not served here")
            out = await loop.run_in_executor(self._readers, self._timed, st, p, op, args)
        except Exception as e:  # noqa: BLE001 - the root shows the error; the shard goes on
            await self._respond(msg, None, e)
            return
        await self._respond(msg, {"partition": p, "ok": True, "result": out})

    def _group(self, parts: list[int], op: str | None, args: dict[str, Any]) -> dict[str, Any]:
        """One query on several of this process's partitions, answered in one reply: the root
        asks the partitions one process served together in one message (a message and its
        reply cost about as much CPU as a small partition's search, on both ends). A partition
        not served here (moved away) is `absent`: the root asks it on its own."""
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        absent: list[int] = []
        for q in dict.fromkeys(parts):
            st = self.parts.get(q)
            if st is None:
                absent.append(q)
                continue
            try:
                results[str(q)] = self._timed(st, q, op or "", args)
            except Exception as e:  # noqa: BLE001 - that partition's error; the others answer
                errors[str(q)] = _error(e)
        return {"ok": True, "shard": self.id, "results": results, "errors": errors, "absent": absent}

    async def _answer_group(self, msg: Msg, parts: list[int], op: str | None, args: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        try:
            reply = await loop.run_in_executor(self._readers, self._group, parts, op, args)
        except Exception as e:  # noqa: BLE001
            await self._respond(msg, None, e)
            return
        await self._respond_group(msg, reply)

    async def _respond_group(self, msg: Msg, reply: dict[str, Any]) -> None:
        """A group's reply, cut to NATS's message size by leaving partitions out as `absent`
        (the root asks those on their own) rather than failing the whole group."""
        try:
            body = orjson.dumps(reply)
            while len(body) > MAX_REPLY_BYTES and len(reply["results"]) > 1:
                last = next(reversed(reply["results"]))
                del reply["results"][last]
                reply["absent"].append(int(last))
                body = orjson.dumps(reply)
        except TypeError as e:
            await self._respond(msg, None, e)
            return
        if len(body) > MAX_REPLY_BYTES:
            await self._respond(msg, reply)  # one partition's reply alone is over: said as for one
            return
        try:
            await msg.respond(body)
        except Exception:  # noqa: BLE001 - the asker is gone or NATS is: nothing to do
            pass

    async def _respond(self, msg: Msg, reply: dict[str, Any] | None, error: Exception | None = None) -> None:
        if reply is not None and reply.get("ok"):
            reply["shard"] = self.id  # which process answered: the root groups its partitions
        if error is not None:
            reply = {"ok": False, **_error(error)}
        try:
            body = orjson.dumps(reply)
        except TypeError as e:  # orjson's encode error: a value JSON cannot hold
            body = orjson.dumps({"ok": False, "error": f"{type(e).__name__}: {e}", "kind": "internal"})
        if len(body) > MAX_REPLY_BYTES:
            body = orjson.dumps({"ok": False, "error": f"reply of {len(body):,} bytes is over the NATS message size; "
                                 "ask for fewer posts", "kind": "value"})
        try:
            await msg.respond(body)
        except Exception:  # noqa: BLE001 - the asker is gone or NATS is: nothing to do
            pass

    def answer(self, p: int, op: str | None, args: dict[str, Any]) -> dict[str, Any]:
        """One query on partition `p`'s engine (a reader thread, or the NATS loop: INLINE_OPS)."""
        st = self.parts.get(p)
        if st is None:
            raise ValueError(f"partition {p} is not served here")
        eng = st.engine
        if op == "now":
            return {"now_us": eng.now_us()}
        if op == "search":
            return self._search(eng, p, args)
        if op == "retrieve":
            return self._retrieve(eng, args)
        if op == "post":
            sp = eng.post(str(args.get("key")))
            if sp is None:
                return {"post": None}
            gid = None
            if sp.story is not None:
                title = eng.store.story_title(sp.story.id) if sp.story.posts > 1 else None
                gid = story_gid(title or title_of(str(sp.doc.get("text") or "")))
            doc = {k: v for k, v in sp.doc.items() if k != "raw"}
            return {"post": {"key": sp.key, "seq": sp.seq, "doc": doc, "story": story_wire(sp.story, gid)}}
        if op == "get":
            post = eng.get(str(args.get("key")))
            return {"post": post_wire(post) if post else None}
        if op == "story":
            found = eng.story(int(args["local"]), int(args.get("limit", 100)))
            if found is None:
                return {"story": None}
            s, posts = found
            return {"story": story_wire(s, story_gid(s.title or "")), "title": s.title,
                    "posts": [post_wire(x) for x in posts]}
        if op == "trends":
            near = args.get("near")
            extra = {"near": tuple(float(x) for x in near)} if near else {}  # only where asked: older engines lack it
            return {"trends": [t.to_dict() for t in eng.trends(str(args.get("window", "1h")), int(args.get("limit", 20)),
                                                               args.get("lang"), **extra)]}
        if op == "events":
            since = args.get("since_us")
            return {"events": [e.to_dict() for e in eng.events(from_us(since) if since is not None else None,
                                                               int(args.get("limit", 50)), args.get("lang"))]}
        if op == "status":
            return self.status(st)
        raise ValueError(f"unknown query {op!r}")

    def _search(self, eng: Engine, p: int, a: dict[str, Any]) -> dict[str, Any]:
        q = SearchQuery(str(a.get("text", "")), filters_from(a.get("filters")), str(a.get("order", "relevance")),
                        int(a.get("limit", 20)), bool(a.get("all_posts", False)))
        own = eng.now_us()
        hint = a.get("now_us")
        # Recency is measured from the newest post of the whole cluster when the root knows it,
        # so scores from different partitions compare.
        now = max(own or 0, hint or 0) or None
        eng.core.check_open()
        if q.filters.near is not None:  # the distance check needs each post's resolved place
            res = eng.core.searcher.search_many([q], now)[0]
            return {"hits": self._hits(eng, res.hits), "total": res.total, "now_us": own}
        picked, total = eng.core.searcher.pick(q, now)
        return {"hits": self._stored_hits(eng, p, picked), "total": total, "now_us": own}

    def _story_gid(self, eng: Engine, p: int, s: StoryRow, d: dict[str, Any]) -> int:
        """The story's cluster-wide id, remembered by (partition, story, first post): a story's
        title is its first post's text, so the id never changes, and hashing the title (and
        reading it for stories of several posts) was a tenth of a partition's search."""
        key = (p, s.id, s.first_seq)
        gid = self._gids.get(key)
        if gid is None:
            title = eng.store.story_title(s.id) if s.posts > 1 else None
            gid = story_gid(title or title_of(str(d.get("text") or "")))
            if len(self._gids) >= GID_MEMORY:
                self._gids.clear()  # a bound, not a cache policy: refilled by the next queries
            self._gids[key] = gid
        return gid

    def _stored_hits(self, eng: Engine, p: int, picked: list) -> list[dict[str, Any]]:
        """Hits with their posts as the store keeps them (less the raw message), not rebuilt as
        Posts and written out again: the root rebuilds only the ones it keeps."""
        docs = eng.store.docs([h.seq for h in picked])
        rows = eng.store.stories(list({h.story for h in picked}))
        gids: dict[int, int] = {}
        out = []
        for h in picked:
            d = docs.get(h.seq)
            if d is None:  # deleted since the index snapshot
                continue
            d.pop("raw", None)
            d.pop("story", None)
            s = rows.get(h.story)
            story = None
            if s is not None:
                gid = gids.get(s.id)
                if gid is None:
                    gid = gids[s.id] = self._story_gid(eng, p, s, d)
                story = {"id": gid, "local": s.id, "posts": s.posts, "authors": s.authors, "first_us": s.first_ts,
                         "last_us": s.last_ts}
            out.append({"post": d, "score": h.bm25, "seq": h.seq, "ts": h.ts, "story": story})
        return out

    def _retrieve(self, eng: Engine, a: dict[str, Any]) -> dict[str, Any]:
        qs = [RetrieveQuery(str(q.get("text", "")), filters_from(q.get("filters")), int(q.get("limit", 20)),
                            bool(q.get("all_posts", False)), q.get("recency_weight"), bool(q.get("dense", True)))
              for q in a.get("queries") or []]
        out = []
        for r in eng.retrieve_many(qs):
            hits = self._hits(eng, r.hits)
            for w, h in zip(hits, r.hits):
                w.update(lexical_rank=h.lexical_rank, dense_rank=h.dense_rank, similarity=h.similarity,
                         coverage=h.coverage)
            out.append({"hits": hits, "keywords": r.keywords, "mode": r.mode,
                        "lexical_candidates": r.lexical_candidates, "dense_candidates": r.dense_candidates})
        return {"results": out, "now_us": eng.now_us()}

    def _hits(self, eng: Engine, hits: list) -> list[dict[str, Any]]:
        titles: dict[int, int] = {}
        out = []
        for h in hits:
            gid = None
            if h.story is not None:
                gid = titles.get(h.story.id)
                if gid is None:
                    title = eng.store.story_title(h.story.id) if h.story.posts > 1 else None
                    gid = titles[h.story.id] = story_gid(title or title_of(h.post.text))
            out.append({"post": post_wire(h.post), "score": h.score, "seq": h.seq, "ts": to_us(h.post.created_at),
                        "story": story_wire(h.story, gid)})
        return out

    def status(self, st: PartitionState) -> dict[str, Any]:
        eng = st.engine
        return {"partition": st.partition, "shard": self.name, "posts": eng.count(), "bytes": eng.live_bytes(),
                "newest_us": eng.now_us(), "stored": st.stored, "duplicates": st.duplicates,
                "rejected": st.rejected, "deleted": st.deleted, "last_seq": st.last_seq, "batches": st.batches,
                "error": st.error,
                "data_dir": str(eng.data_dir), "uptime_s": round(time.monotonic() - st.started, 1)}


def partition_settings(settings: Settings, partitions: int) -> Settings:
    """The settings of one partition's engine: its search candidates scaled to the share of the
    posts it holds. The root merges every partition's top hits, so the union of their pools
    only needs to cover one engine's (its `candidates` best and newest): 2 × candidates /
    partitions each covers it unless one partition holds twice its share of the best matches
    (posts are spread by hash), and the search's own floor (4 × the hits asked) still holds."""
    c = settings.search.candidates
    n = min(c, -(-2 * c // max(1, partitions)))
    if n == c:
        return settings
    return dataclasses.replace(settings, search=dataclasses.replace(settings.search, candidates=n))


def _error(e: Exception) -> dict[str, str]:
    """An error as a reply says it: a ValueError is the asker's (a bad query), the rest the shard's."""
    return {"error": f"{type(e).__name__}: {e}", "kind": "value" if isinstance(e, ValueError) else "internal"}


def _stream_seq(m: Msg) -> int:
    try:
        return int(m.metadata.sequence.stream)
    except Exception:  # noqa: BLE001 - not a JetStream message (cannot happen on a pull consumer)
        return 0


def run_shard(url: str, partitions: list[int], data_dir: str | Path, settings: Settings,
              on_ready: Any = None, metrics_port: int | None = None, metrics_host: str = "127.0.0.1") -> None:
    """Run a shard in this process until SIGINT/SIGTERM (what `veristream shard` does); with
    `metrics_port`, its /metrics are served on `metrics_host:metrics_port`."""
    shard = Shard(url, partitions, data_dir, settings)
    shard.open()
    # What opening built (engines, gazetteer, word lists: millions of objects) lives as long as
    # the process: frozen out of the collector's sight, a full collection stops walking it and
    # pausing the queries the shard answers on its loop (as `serve` does for its readers).
    gc.collect()
    gc.freeze()
    metrics = serve_metrics(shard, metrics_port, metrics_host) if metrics_port is not None else None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await shard.run(stop, on_ready)

    try:
        asyncio.run(main())
    finally:
        if metrics is not None:
            metrics.shutdown()
        shard.close()




class ShardCollector:
    """The shard's figures for Prometheus (`veristream shard --metrics-port`), per partition,
    read when scraped: no state of its own."""

    def __init__(self, shard: Shard):
        self.shard = shard

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        g_posts = GaugeMetricFamily("veristream_shard_posts", "posts in the partition's store", labels=["partition"])
        g_bytes = GaugeMetricFamily("veristream_shard_bytes", "bytes of the partition's store and indexes",
                                    labels=["partition"])
        g_seq = GaugeMetricFamily("veristream_shard_stream_seq", "stream sequence of the last message ingested",
                                  labels=["partition"])
        g_newest = GaugeMetricFamily("veristream_shard_newest_seconds", "event time of the partition's newest post",
                                     labels=["partition"])
        counters = {name: CounterMetricFamily(f"veristream_shard_{name}", help_, labels=["partition"])
                    for name, help_ in (("stored", "posts newly stored by this process"),
                                        ("duplicates", "redelivered or re-sent posts already stored"),
                                        ("rejected", "messages quarantined"),
                                        ("deleted", "posts deleted at their source"),
                                        ("batches", "batches ingested and acked"))}
        for p, st in self.shard.parts.items():
            if st.engine.closed:
                continue
            lab = [str(p)]
            g_posts.add_metric(lab, st.engine.count())
            g_bytes.add_metric(lab, st.engine.live_bytes())
            g_seq.add_metric(lab, st.last_seq)
            newest = st.engine.now_us()
            if newest is not None:
                g_newest.add_metric(lab, newest / 1e6)
            for name, fam in counters.items():
                fam.add_metric(lab, getattr(st, name))
        yield from (g_posts, g_bytes, g_seq, g_newest, *counters.values())


def serve_metrics(shard: Shard, port: int, host: str = "127.0.0.1") -> Any:
    """Expose the shard's /metrics over HTTP on `host:port` (a thread); returns the server."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ShardCollector(shard))
    server, _ = start_http_server(port, addr=host, registry=registry)
    return server


__all__ = ["Shard", "ShardCollector", "run_shard", "serve_metrics"]
