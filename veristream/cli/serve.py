"""`veristream serve` (and `veristream` with no command): the page and the API on live sources."""

from __future__ import annotations

import sys

import click

from ..settings import Settings
from ..sources import Source, SourceError, make_source
from .cluster import open_cluster_writer
from .options import Ctx, probe_timeout_option
from .sources import build_sources, unreachable


@click.command()
@click.option("--host", default=None, help="Address to listen on (setting api_host, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on; 0: any free port (setting api_port, default 8080).")
@click.option("--source", "sources", multiple=True,
              help="Follow this live source: bluesky, x, mastodon, rss, demo or a [sources.NAME] of the settings "
                   "(repeatable). Default: the enabled [sources.NAME] tables, else bluesky.")
@click.option("--demo", is_flag=True, help="Follow the built-in demo stream (no network needed).")
@click.option("--no-sources", is_flag=True, help="Follow no source: posts come only through POST /v1/posts.")
@probe_timeout_option("Seconds to wait for a Jetstream host before serving the demo stream instead.")
@click.option("--open/--no-open", "open_page", default=None,
              help="Open the page in a browser (default: in a terminal of a graphical session).")
@click.option("--readers", type=click.IntRange(-1, 64), default=None,
              help="Processes answering searches beside the writing one (setting api_readers; -1: one per core, "
                   "at most 4; 0: a single process).")
@click.option("-q", "--quiet", is_flag=True, help="No status lines while serving.")
@click.option("--nats", "nats_url", metavar="URL", default=None,
              help="Serve the cluster on this NATS server instead of the data directory: reads scatter to every "
                   "partition, POST /v1/posts publishes to the stream; sources publish with `ingest --source … --to` "
                   "(docs/cluster.md).")
@click.pass_obj
def serve(obj: Ctx, host: str | None, port: int | None, sources: tuple[str, ...], demo: bool, no_sources: bool,
          probe_timeout: float, open_page: bool | None, readers: int | None, quiet: bool,
          nats_url: str | None) -> None:
    """Serve the web page, the REST and OpenAI-compatible API and the live feed, following
    live sources into the data directory (README: Serve). Prints the address; Ctrl-C stops.

    Example: veristream serve --port 8080 --source bluesky
    """
    # Here, not at the top: the HTTP stack (FastAPI, uvicorn, the app) would add a quarter of a
    # second to the start of every other command. No cycle: veristream.serve imports no CLI.
    from ..serve import server

    if sum(map(bool, (sources, demo, no_sources))) > 1:
        raise click.UsageError("give one of --source, --demo and --no-sources")
    settings = obj.settings()
    if nats_url and (sources or demo):
        raise click.UsageError("--nats serves the cluster: publish sources with `veristream ingest --source … --to`")
    plan = [] if no_sources or nats_url else _serve_sources(settings, sources, demo, probe_timeout)
    if open_page is None:
        open_page = sys.stdout.isatty() and sys.stdin.isatty() and server.can_open_browser()
    if nats_url:
        eng = open_cluster_writer(obj, nats_url)
        readers = 0  # one process: the shards do the work; the root only fans out
    else:
        eng = obj.engine()
    # `veristream` alone (make run) says one line at most, about the network: why reading images
    # is off (no tesseract) is in `veristream stats`; `veristream serve` says it at start too.
    parent = click.get_current_context().parent
    default_command = parent is not None and parent.invoked_subcommand is None
    if eng.media_notice and settings.media.enabled and not quiet and not default_command:
        click.echo(f"veristream: {eng.media_notice}", err=True)  # one line: everything else runs
    try:
        res = server.run_server(eng, plan, settings, host or settings.api.host,
                                settings.api.port if port is None else port, quiet=quiet, open_page=open_page,
                                readers=readers)
    except server.ServeError as e:
        raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    click.echo(server.summary(res), err=True)
    for name, e in res.errors.items():
        click.echo(f"{name}: failed: {e}", err=True)


def _serve_sources(settings: Settings, names: tuple[str, ...], demo: bool, probe_timeout: float) -> list[Source]:
    """What `serve` follows: --source, else the enabled [sources.*] tables, else Bluesky (the
    built-in demo stream when that is all and it cannot be reached)."""

    def demo_source() -> list[Source]:
        try:
            return [make_source("demo", dict(settings.sources.get("demo", {})), "demo")]
        except SourceError as e:
            raise click.UsageError(str(e)) from None

    if demo:
        return demo_source()
    if names:
        return build_sources(settings, names, {})
    # [sources.demo] only tunes the offline stand-in: it is followed when asked for, or offline.
    tables = tuple(n for n, t in settings.sources.items() if t.get("enabled", True) and t.get("kind", n) != "demo")
    if tables:
        plan = build_sources(settings, tables, {})
    else:
        plan = [make_source("bluesky", {}, "bluesky")]
    if len(plan) != 1 or plan[0].kind != "bluesky":
        return plan
    hosts = unreachable(plan[0], probe_timeout)
    if hosts is None:
        return plan
    click.echo(f"veristream: no network: cannot reach the Bluesky Jetstream ({hosts}); serving the built-in demo "
               "stream instead (offline, replay a saved stream with `veristream replay FILE`)", err=True)
    return demo_source()
