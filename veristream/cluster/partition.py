"""Partitions: which engine holds a post, and the NATS names that follow from it.

The partition of a post is a stable hash of its key (`source:id`) modulo the number of
partitions: every publisher, on any machine, in any process, sends a post and its later
versions and deletion to the same partition, so one engine sees all of a post's history and
its store's idempotent keys make redelivery harmless. xxh3 (not Python's `hash`, which is
salted per process) keeps it stable; changing the number of partitions of a stream moves
posts, so it is fixed when the stream is made (`[cluster] partitions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import xxhash

from ..settings import Settings


def partition_of(key: str, partitions: int) -> int:
    """The partition (0 .. partitions-1) of the post whose key is `key`."""
    return xxhash.xxh3_64_intdigest(key.encode("utf-8", "surrogatepass")) % partitions


def parse_partitions(spec: str, partitions: int) -> list[int]:
    """'0-3', '0,2', '1-2,5' or 'all' -> sorted partition numbers, each below `partitions`."""
    if spec.strip() == "all":
        return list(range(partitions))
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            a, b = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ValueError(f"partitions: {part!r} is not N or N-M") from None
        if a > b or a < 0:
            raise ValueError(f"partitions: {part!r} is not a range of partition numbers")
        if b >= partitions:
            raise ValueError(f"partitions: {b} is beyond the stream's {partitions} partitions (0..{partitions - 1})")
        out.update(range(a, b + 1))
    if not out:
        raise ValueError("partitions: none given")
    return sorted(out)


def format_partitions(parts: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2,5' (what status lines and partial answers show)."""
    runs: list[str] = []
    i = 0
    s = sorted(parts)
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[j] + 1:
            j += 1
        runs.append(str(s[i]) if i == j else f"{s[i]}-{s[j]}")
        i = j + 1
    return ",".join(runs)


@dataclass(frozen=True, slots=True)
class Names:
    """The stream, subjects and consumers of one cluster, from `[cluster]`."""

    stream: str
    prefix: str
    partitions: int

    @classmethod
    def of(cls, settings: Settings) -> "Names":
        c = settings.cluster
        return cls(c.stream, c.subject_prefix, c.partitions)

    def posts(self, p: int) -> str:
        return f"{self.prefix}.posts.{p}"

    @property
    def all_posts(self) -> str:
        return f"{self.prefix}.posts.*"

    def query(self, p: int) -> str:
        return f"{self.prefix}.query.{p}"

    def consumer(self, p: int) -> str:
        """The durable consumer of partition `p`: whichever shard process runs `p` binds it, so
        a partition moves between processes (or machines) by stopping one and starting another."""
        return f"{self.stream}-p{p}"

    def subject_partition(self, subject: str) -> int | None:
        head, _, tail = subject.rpartition(".")
        if head != f"{self.prefix}.posts" or not tail.isdigit():
            return None
        return int(tail)
