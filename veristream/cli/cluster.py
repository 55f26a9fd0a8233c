"""The opt-in cluster (docs/cluster.md): `veristream shard`, `veristream cluster status`, and
what `ingest --to`, `search/ask/verify/trends/events --nats` share.

The cluster package needs the `[cluster]` extra (nats-py); it is imported when a cluster option
is used, so a single machine never needs it.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..readers import parse_line
from ..model import BadPost
from .options import Ctx, json_option
from .output import print_json

F = TypeVar("F", bound=Callable)

NATS_HELP = "Ask the cluster on this NATS server (nats://host:4222) instead of the data directory."


def _cluster(module: str) -> Any:
    # Function-level on purpose: nats-py is an optional extra ([cluster]); nothing else hides here.
    try:
        return importlib.import_module(f"veristream.cluster.{module}")
    except ImportError as e:
        raise click.UsageError(f"the cluster needs the [cluster] extra: pip install 'veristream[cluster]' ({e})")


def nats_option(help: str = NATS_HELP) -> Callable[[F], F]:
    return click.option("--nats", "nats_url", metavar="URL", default=None, help=help)


def nats_url(obj: Ctx, given: str | None) -> str | None:
    """`--nats`, else [cluster] url (empty: one machine)."""
    return given or obj.settings().cluster.url or None


def open_reader(obj: Ctx, given: str | None, hint: str = "") -> Any:
    """The engine a reading command uses: the data directory's (read-only), or with `--nats` a
    remote engine over the cluster, whose partial answers are reported when the command ends."""
    if not given:
        obj.need_data(hint)
        return obj.engine(readonly=True)
    remote = _cluster("remote")
    try:
        eng = remote.RemoteEngine(given, obj.settings(), obj.data_dir)
    except (ConnectionError, ValueError) as e:
        raise click.UsageError(str(e)) from None

    def note() -> None:
        msg = eng.partial_note()
        if msg:
            click.echo(msg, err=True)

    click.get_current_context().call_on_close(note)
    return eng


def open_cluster_writer(obj: Ctx, url: str) -> Any:
    """The engine of `serve --nats`: reads over the cluster, POST /v1/posts published to it."""
    remote = _cluster("remote")
    obj.data_dir.mkdir(parents=True, exist_ok=True)  # the API token and the root's quarantine live here
    try:
        return remote.RemoteEngine(url, obj.settings(), obj.data_dir, publish=True)
    except (ConnectionError, ValueError) as e:
        raise click.UsageError(str(e)) from None


# -- shards ---------------------------------------------------------------------------------------

@click.command()
@click.option("--nats", "nats_url_", metavar="URL", default=None,
              help="NATS server(s) with JetStream, comma-separated (default: [cluster] url).")
@click.option("--partitions", default="all", show_default=True,
              help="Partitions this process serves: 0-3, 0,2 or all (of [cluster] partitions).")
@click.option("--data-dir", "shard_dir", type=click.Path(file_okay=False), default=None,
              help="Where the partitions' data directories (p0, p1, ...) live (default: the global --data-dir).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve the shard's Prometheus /metrics on this port (127.0.0.1; 0: any free port).")
@click.option("--cpus", default=None, metavar="LIST",
              help="Pin this process to these CPU cores: 0, 0-1 or 2,3 (Linux). One shard process per core "
                   "is the layout to run (docs/cluster.md).")
@click.pass_obj
def shard(obj: Ctx, nats_url_: str | None, partitions: str, shard_dir: str | None, metrics_port: int | None,
          cpus: str | None) -> None:
    """Run one engine per partition, each fed by its durable JetStream consumer, answering the
    cluster's queries for those partitions, until Ctrl-C or SIGTERM.

    A batch is acknowledged only once its posts are committed to the partition's store: a shard
    killed at any moment and started again (here or on another machine, with the same data
    directory) resumes with nothing lost and nothing doubled.

    Example: veristream shard --nats nats://127.0.0.1:4222 --partitions 0-3 --data-dir /srv/shards
    """
    url = nats_url(obj, nats_url_)
    if not url:
        raise click.UsageError("give --nats nats://host:4222 (or set [cluster] url)")
    settings = obj.settings()
    part = _cluster("partition")
    try:
        parts = part.parse_partitions(partitions, settings.cluster.partitions)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--partitions") from None
    root = Path(shard_dir) if shard_dir else obj.data_dir
    pinned = ""
    if cpus is not None:
        if not hasattr(os, "sched_setaffinity"):
            raise click.UsageError("--cpus needs Linux (sched_setaffinity)")
        try:
            cores = part.parse_partitions(cpus, os.cpu_count() or 1)
            # Every thread there is now (libraries' pools started at import) and, before any
            # engine starts its own (writer, tantivy's, trends), the main one, which they inherit.
            for task in Path("/proc/self/task").iterdir():
                os.sched_setaffinity(int(task.name), cores)
        except (ValueError, OSError) as e:
            n = os.cpu_count() or 1
            raise click.BadParameter(f"{cpus!r}: cores among 0-{n - 1} of this machine's {n}, as 0, 0-1 or 2,3 "
                                     f"({type(e).__name__})", param_hint="--cpus") from None
        pinned = f" on CPUs {part.format_partitions(cores)}"
    mod = _cluster("shard")

    def ready() -> None:
        click.echo(f"shard: partitions {part.format_partitions(parts)} of {settings.cluster.stream} "
                   f"({settings.cluster.partitions} partitions) in {root}/{pinned} ready on {url}", err=True)
        sys.stderr.flush()

    try:
        mod.run_shard(url, parts, root, settings, ready, metrics_port)
    except ConnectionError as e:
        raise click.ClickException(str(e)) from None
    click.echo("shard: stopped", err=True)


@click.group()
def cluster() -> None:
    """The cluster on NATS JetStream (docs/cluster.md)."""


@cluster.command("status")
@click.option("--nats", "nats_url_", metavar="URL", default=None, help="NATS server (default: [cluster] url).")
@json_option("One JSON object.")
@click.pass_obj
def status(obj: Ctx, nats_url_: str | None, as_json: bool) -> None:
    """Partitions, the shard serving each, consumer lag and store sizes."""
    url = nats_url(obj, nats_url_)
    if not url:
        raise click.UsageError("give --nats nats://host:4222 (or set [cluster] url)")
    try:
        st = _cluster("status").cluster_status(url, obj.settings())
    except (ConnectionError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        print_json(st)
        return
    s = st["stream"]
    if not s.get("exists"):
        click.echo(f"stream {s['stream']}: not created yet (a publisher or a shard makes it)")
    else:
        click.echo(f"stream {s['stream']}: {s['messages']:,} messages, {s['bytes'] / 1e6:,.1f} MB, "
                   f"{s['partitions']} partitions, {s['replicas']} replica(s)")
    for r in st["partitions"]:
        c, sh = r["consumer"], r["shard"]
        lag = f"lag {c['lag']:,}, {c['ack_pending']:,} unacked" if c else "no consumer yet"
        where = (f"{sh['shard']}: {sh['posts']:,} posts, {sh['bytes'] / 1e6:,.1f} MB, newest {sh['newest'] or '-'}"
                 if sh else f"no shard answering ({r.get('missing')})")
        click.echo(f"  p{r['partition']}: {lag} · {where}")
    click.echo(f"{st['posts']:,} posts stored · lag {st['lag']:,} messages"
               + (f" · partitions without a shard: {','.join(map(str, st['missing']))}" if st["missing"] else ""))


# -- publishing -----------------------------------------------------------------------------------

def publish_file(obj: Ctx, path: str, fmt: str, source: str | None, url: str, quiet: bool) -> None:
    """`veristream ingest FILE --to nats://…`: each line parsed as ingest parses it, published to
    its partition; ends once JetStream has acked every post."""
    pub = _open_publisher(obj, url)
    t0 = time.monotonic()
    sent = rejected = 0
    f = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        for n, line in enumerate(f, 1):
            try:
                post = parse_line(line, fmt, source)
            except BadPost as e:
                rejected += 1
                click.echo(f"line {n}: rejected: {e.reason}", err=True)
                continue
            if post is None:
                continue
            pub.publish(post)
            sent += 1
        pub.flush()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
        pub.close()
    if not quiet:
        click.echo(f"published {sent:,} posts to {url} in {time.monotonic() - t0:.1f}s ({pub.duplicates:,} already "
                   f"in the stream, {pub.retries:,} retries), {rejected:,} rejected", err=True)


def publish_live(obj: Ctx, sources: list, url: str, quiet: bool, max_posts: int | None,
                 duration: float | None) -> None:
    """`veristream ingest --source … --to nats://…`: the sources' posts published to the cluster;
    each source's cursor is stored (in JetStream) only once every post before it is acked."""
    import threading

    pub = _open_publisher(obj, url)
    stop = threading.Event()
    sinks, threads = [], []
    publish = _cluster("publish")
    for src in sources:
        sink = publish.PublishSink(pub, src.name, obj.data_dir / "sources")
        sinks.append(sink)
        t = threading.Thread(target=src.run, args=(sink, stop), daemon=True, name=f"veristream-source-{src.name}")
        threads.append(t)
        t.start()
    names = ", ".join(s.name for s in sources)
    click.echo(f"veristream: publishing {names} to {url} (Ctrl-C to stop)", err=True)
    t0 = time.monotonic()
    try:
        while any(t.is_alive() for t in threads):
            time.sleep(0.1)
            if max_posts is not None and pub.published >= max_posts:
                break
            if duration is not None and time.monotonic() - t0 >= duration:
                break
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for s in sources:
            s.interrupt()
        for t in threads:
            t.join(10)
        pub.close()
    if not quiet:
        click.echo(f"published {pub.acked:,} posts in {time.monotonic() - t0:.1f}s ({pub.duplicates:,} already in "
                   f"the stream), {sum(s.rejected for s in sinks):,} rejected", err=True)


def _open_publisher(obj: Ctx, url: str) -> Any:
    try:
        return _cluster("publish").Publisher(url, obj.settings())
    except (ConnectionError, ValueError) as e:
        raise click.ClickException(str(e)) from None
