"""The `veristream` command: thin glue over one Engine per invocation.

One module per group of commands, each building the engine, calling one method and rendering
the result: `ingest` (ingest, replay, reindex, embed), `search` (search, story), `ask`,
`trends` (trends, events), `demo`, `serve`, `sources` (live, x-rules, and the live options of
ingest), `notes`, `verify` (verify, train), `admin` (stats, export, backup, restore, expire),
`cluster` (shard, cluster status, and the cluster options of the others).
Shared options and the context object are in `options`, the terminal rendering in `output`.
Nothing below the CLI imports it.
"""

from __future__ import annotations

import click

from .admin import backup, expire, export, restore, stats
from .ask import ask
from .cluster import cluster, shard
from .demo import demo
from .ingest import embed, ingest, reindex, replay
from .notes import notes
from .options import Ctx
from .search import search, story
from .serve import serve
from .sources import live, x_rules
from .trends import events, trends
from .verify import train, verify


@click.group(invoke_without_command=True)
@click.option("--data-dir", default="veristream-data", envvar="VERISTREAM_DATA_DIR", show_default=True,
              type=click.Path(file_okay=False), help="Where posts, index and quarantine live.")
@click.option("--config", type=click.Path(dir_okay=False), default=None, envvar="VERISTREAM_CONFIG",
              help="Settings file (TOML); default: veristream.toml in the data directory.")
@click.version_option(package_name="veristream")
@click.pass_context
def cli(ctx: click.Context, data_dir: str, config: str | None) -> None:
    """veristream: search live social streams the moment posts arrive.

    With no command, serves the page and the API (`veristream serve`) on the live Bluesky
    firehose; offline, it says so and serves the built-in demo stream instead.
    """
    ctx.obj = Ctx(data_dir, config)
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


for command in (
    ingest, replay, reindex, search, story, ask, embed, demo, serve,
    live, x_rules,
    notes,  # notes ingest, score, show (README: Community notes)
    verify, train,  # verify "claim", train stance|veracity|claims (README: Verify)
    stats, export, backup, restore, expire,
    trends, events,
    shard, cluster,  # the opt-in cluster on NATS JetStream (docs/cluster.md)
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="veristream")


__all__ = ["Ctx", "cli", "main"]
