"""Writing the data directory: `veristream ingest`, `replay`, `reindex`, `embed`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..replay import IngestOptions, run
from .cluster import publish_file, publish_live
from .options import Ctx, format_option, quiet_option, speed
from .output import progress_printer, reject_printer, summary
from .sources import build_sources, ingest_live, live_options, used_live_options


def _open_input(path: str):
    if path == "-":
        return sys.stdin.buffer, "-"
    return open(path, "rb"), path


def _check_file(file: str) -> None:
    if file != "-" and not Path(file).is_file():
        raise click.BadParameter(f"no such file: {file}", param_hint="FILE")


def _ingest(obj: Ctx, path: str, fmt: str, source: str | None, speed: float | None, quiet: bool) -> None:
    eng = obj.engine()
    options = IngestOptions.of(eng.settings, fmt, source)
    f, name = _open_input(path)
    try:
        prog = run(eng, f, input_name=name, options=options, speed=speed, on_progress=progress_printer(quiet),
                   on_reject=reject_printer())
        emb = eng.embedding_status()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
        eng.close()
    click.echo(summary(prog), err=True)
    if emb.enabled and emb.pending and not quiet:  # the embedding lag, visible
        click.echo(f"embedding: {emb.pending:,} posts not embedded yet (lexical search finds them); the next "
                   f"writing engine goes on with them, or run `veristream embed`", err=True)


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True, exists=False))
@format_option("Input format of each line (auto-detected per line by default).")
@click.option("--source", "sources", multiple=True,
              help="Without FILE: follow a live source: bluesky, x, mastodon, rss or a [sources.NAME] of the "
                   "settings (repeatable). With FILE: source name for posts in the project's own schema (default: file).")
@click.option("--to", "to", metavar="URL", default=None,
              help="Publish to the cluster on this NATS server (nats://host:4222) instead of the data directory "
                   "(docs/cluster.md).")
@quiet_option()
@live_options
@click.pass_obj
def ingest(obj: Ctx, file: str | None, fmt: str, sources: tuple[str, ...], to: str | None, quiet: bool,
           **live: object) -> None:
    """Ingest JSON lines from FILE (or - for stdin) as fast as possible, or follow live sources.

    Each line is a post: the project's own schema, an X API v2 tweet, a Bluesky Jetstream
    message or a Mastodon status. Bad lines are rejected with a reason and kept in
    quarantine.jsonl; the rest goes on.

    Without FILE, follows --source (or the [sources.NAME] tables of the settings file) until
    Ctrl-C, reconnecting and resuming by itself; options marked [live] or with a source name
    configure it (README: Live sources).

    Examples: veristream ingest posts.jsonl;
    veristream ingest --source bluesky;
    veristream ingest --source rss --feed https://example.org/feed.xml;
    veristream ingest --source bluesky --to nats://127.0.0.1:4222 (the cluster: docs/cluster.md)
    """
    if file is None and to:
        publish_live(obj, build_sources(obj.settings(), sources, live), to, quiet, live.get("max_posts"),
                     live.get("duration"))
        return
    if file is None:
        ingest_live(obj, sources, live, quiet)
        return
    if used := used_live_options(live):
        raise click.UsageError(f"--{used[0]} is for live sources (no FILE)")
    if len(sources) > 1:
        raise click.BadParameter("give one source name for FILE", param_hint="--source")
    _check_file(file)
    if to:
        publish_file(obj, file, fmt, sources[0] if sources else None, to, quiet)
        return
    _ingest(obj, file, fmt, sources[0] if sources else None, None, quiet)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--speed", default="60", show_default=True, callback=speed,
              help="Event-time speed-up: 60 plays one hour of posts per minute; 'max' as fast as possible.")
@format_option()
@click.option("--source", default=None, help="Source name for posts in the project's own schema.")
@quiet_option()
@click.pass_obj
def replay(obj: Ctx, file: str, speed: float | None, fmt: str, source: str | None, quiet: bool) -> None:
    """Replay FILE in event time, as if the stream were live.

    Example: veristream replay boston.jsonl --speed 600
    """
    _check_file(file)
    _ingest(obj, file, fmt, source, speed, quiet)


@click.command()
@click.pass_obj
def reindex(obj: Ctx) -> None:
    """Rebuild the search index from the store."""
    eng = obj.engine()
    try:
        n = eng.reindex()
    finally:
        eng.close()
    click.echo(f"reindexed {n:,} posts", err=True)


@click.command()
@click.option("--rebuild", is_flag=True, help="Drop the vectors and embed every stored post again.")
@click.option("--status", "status_only", is_flag=True, help="Only show how far embedding has got (read-only).")
@click.pass_obj
def embed(obj: Ctx, rebuild: bool, status_only: bool) -> None:
    """Embed stored posts not embedded yet (for hybrid retrieval), waiting until done.

    A writing engine (ingest, replay, live) embeds beside ingest on its own; this catches up
    after a bulk ingest, or rebuilds (e.g. after changing the model).
    """
    obj.need_data()
    eng = obj.engine(readonly=status_only)
    try:
        if eng.vectors is None:
            raise click.UsageError(eng.vectors_notice or "vector search is off")
        if not status_only:
            if rebuild:
                eng.rebuild_vectors()
            tty = sys.stderr.isatty()
            while not eng.wait_embedded(timeout=2.0 if tty else 10.0):
                s = eng.embedding_status()
                line = f"embedding: {s.vectors:,} vectors, {s.pending:,} posts to go, {s.posts_per_s:,.0f} posts/s"
                click.echo(("\r" + line.ljust(80)) if tty else line, nl=not tty, err=True)
            if tty:
                click.echo("", err=True)
        s = eng.embedding_status()
    finally:
        eng.close()
    lag = f", {s.lag_s:,.0f} s behind in event time" if s.lag_s else ""
    click.echo(f"{s.vectors:,} vectors ({s.model}); {s.pending:,} posts not embedded yet{lag}")
