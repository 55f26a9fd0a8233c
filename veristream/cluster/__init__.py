"""The opt-in cluster: many engines over a partitioned, replicated log on NATS JetStream.

The shape is Earlybird's (a partitioned log -> index servers -> a fan-out root), built on an
existing distributed engine rather than home-made clustering (docs/cluster.md):

    publishers  sources and POST /v1/posts publish each accepted-for-transport post to the
                JetStream stream, on the subject of its partition (`partition.py`: a stable hash
                of the post key), with `Nats-Msg-Id` = key and version (JetStream drops re-sends); a
                source's cursor advances only once every post before it is acked (`publish.py`)
    shards      one `Engine` per partition, each a durable pull consumer that acks a batch only
                after `ingest` returned (the posts are on disk); redelivery after a crash is
                harmless, the store's keys being idempotent (`shard.py`)
    the root    scatter-gather over NATS request-reply: search, trends, events, and a read-only
                remote engine over which `answer/` and `verify/` run unchanged; a partition
                that does not answer in time is named, never waited for (`remote.py`)

Nothing outside the CLI and serving shells imports this package; it imports the application
and the core. `nats-py` (the `[cluster]` extra) is needed only here.
"""

from .partition import parse_partitions, partition_of

__all__ = ["parse_partitions", "partition_of"]
