"""`veristream cluster status`: the stream, each partition's consumer (how far behind it is)
and the shard holding it (posts, store size, newest post), from JetStream and the shards."""

from __future__ import annotations

import asyncio
from typing import Any

from nats.js.errors import NotFoundError

from ..model import from_us, iso
from ..settings import Settings
from .link import LoopThread, connect
from .partition import Names
from .remote import ClusterClient


async def _jetstream(url: str, settings: Settings) -> dict[str, Any]:
    names = Names.of(settings)
    nc = await connect(url, "veristream-status", wait_s=5.0)
    try:
        js = nc.jetstream()
        out: dict[str, Any] = {"stream": names.stream, "partitions": names.partitions}
        try:
            si = await js.stream_info(names.stream)
        except NotFoundError:
            out["exists"] = False
            return out
        out.update(exists=True, messages=si.state.messages, bytes=si.state.bytes, first_seq=si.state.first_seq,
                   last_seq=si.state.last_seq, replicas=si.config.num_replicas)
        consumers = {}
        for p in range(names.partitions):
            try:
                ci = await js.consumer_info(names.stream, names.consumer(p))
            except NotFoundError:
                consumers[p] = None
                continue
            consumers[p] = {"lag": ci.num_pending, "ack_pending": ci.num_ack_pending,
                            "redelivered": ci.num_redelivered, "delivered_seq": ci.delivered.stream_seq,
                            "acked_seq": ci.ack_floor.stream_seq, "waiting": ci.num_waiting}
        out["consumers"] = consumers
        return out
    finally:
        await nc.close()


def cluster_status(url: str, settings: Settings) -> dict[str, Any]:
    """Everything `cluster status` shows, JSON-ready."""
    loop = LoopThread("veristream-status")
    try:
        js = loop.run(_jetstream(url, settings), timeout=30)
    finally:
        loop.stop()
    client = ClusterClient(url, settings)
    try:
        g = client.scatter("status")
    finally:
        client.close()
    parts = []
    consumers = js.get("consumers") or {}
    for p in range(Names.of(settings).partitions):
        row: dict[str, Any] = {"partition": p, "consumer": consumers.get(p)}
        shard = g.replies.get(p)
        if shard is not None:
            row["shard"] = shard | {"newest": iso(from_us(shard["newest_us"])) if shard.get("newest_us") else None}
        else:
            row["shard"] = None
            row["missing"] = g.missing.get(p)
        parts.append(row)
    js.pop("consumers", None)
    return {"stream": js, "partitions": parts,
            "posts": sum(r["shard"]["posts"] for r in parts if r["shard"]),
            "lag": sum((r["consumer"] or {}).get("lag", 0) for r in parts),
            "missing": sorted(g.missing)}


__all__ = ["cluster_status", "asyncio"]
