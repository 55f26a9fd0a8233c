"""Running veristream for weeks: `veristream stats`, `export`, `backup`, `restore`, `expire`.

Each opens the data directory, calls one engine method and renders the result. `stats`,
`export` and `backup` open it read-only, so they work while another process ingests.
"""

from __future__ import annotations

import sys

import click

from ..backup import BackupError
from ..backup import restore as do_restore
from ..export import FORMATS, open_private, write_jsonl, write_parquet
from .options import Ctx, json_option, quiet_option, since_option, until_option, when
from .output import print_json

NO_DATA_HINT = "run `veristream ingest` first"


def _need_data(obj: Ctx) -> None:
    obj.need_data(NO_DATA_HINT)


@click.command()
@json_option("One JSON object.")
@click.pass_obj
def stats(obj: Ctx, as_json: bool) -> None:
    """What the data directory holds: posts, stories, authors, time span, disk use by part,
    ingest rate, quarantine, retention in force and the language mix.

    Example: veristream stats --json
    """
    _need_data(obj)
    eng = obj.engine(readonly=True)
    try:
        st = eng.stats()
    finally:
        eng.close()
    if as_json:
        print_json(st.to_dict())
        return
    for line in st.lines():
        click.echo(line)


@click.command()
@since_option("Only posts created at/after this time: ISO time or a span back from the stream's now (2h, 7d).")
@until_option("Only posts created at/before this time (same forms as --since).")
@click.option("--query", "query", default=None, help="Only posts matching this search (query language of `search`; "
                                                     "every matching post, not one per story).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True,
              help="jsonl: the project's own schema, re-ingestible; parquet: one flat row per post.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="File to write (- is stdout; Parquet needs a file).")
@quiet_option("No progress bar.")
@click.pass_obj
def export(obj: Ctx, since: str | None, until: str | None, query: str | None, fmt: str, output: str, quiet: bool) -> None:
    """Export posts as JSON lines or Parquet, oldest first, from one consistent snapshot
    (ingest may go on meanwhile).

    Examples: veristream export --since 7d -o week.jsonl;
    veristream export --query "flood OR storm" --format parquet -o floods.parquet
    """
    _need_data(obj)
    if fmt == "parquet" and output == "-":
        raise click.UsageError("Parquet needs a file: give -o FILE.parquet")
    eng = obj.engine(readonly=True)
    out = None
    try:
        now = eng.now()
        s, u = when(since, now, "since"), when(until, now, "until")
        with eng.export(s, u, query) as ex:
            with click.progressbar(length=ex.total, label=f"exporting {ex.total:,} posts", file=sys.stderr,
                                   show_pos=True, hidden=quiet or not sys.stderr.isatty()) as bar:
                if fmt == "parquet":
                    n = write_parquet(ex.batches(), output, bar.update)
                else:
                    out = sys.stdout.buffer if output == "-" else open_private(output)
                    n = write_jsonl(ex.batches(), out, bar.update)
    finally:
        if out is not None and out is not sys.stdout.buffer:
            out.close()
        eng.close()
    if not quiet:
        click.echo(f"exported {n:,} posts" + (f" to {output}" if output != "-" else ""), err=True)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.pass_obj
def backup(obj: Ctx, directory: str) -> None:
    """Back up the store into DIRECTORY (new or empty): a consistent snapshot taken with
    SQLite's online backup while ingest goes on. The index is rebuilt on restore.

    Example: veristream backup /backups/$(date +%F)
    """
    _need_data(obj)
    eng = obj.engine(readonly=True)
    try:
        info = eng.backup(directory)
    except BackupError as e:
        raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    click.echo(f"backed up {info.posts:,} posts ({info.bytes / 1e6:,.1f} MB, as of {info.began_at}) "
               f"to {info.path} in {info.took_s:.1f}s", err=True)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace the data already in --data-dir.")
@click.pass_obj
def restore(obj: Ctx, directory: str, force: bool) -> None:
    """Restore the backup in DIRECTORY into --data-dir, rebuilding the search index. The
    restored data is written and checked beside --data-dir, then swapped in: a failure leaves
    the old data as it was. Refused while a veristream process writes into --data-dir.

    Example: veristream --data-dir restored restore /backups/2026-11-28
    """
    try:
        manifest = do_restore(directory, obj.data_dir, force)
    except BackupError as e:
        raise click.UsageError(str(e)) from None
    click.echo(f"restored the backup of {manifest['began_at']} into {obj.data_dir}; rebuilding the index...", err=True)
    eng = obj.engine()
    try:
        n, docs = eng.count(), eng.indexed()
    finally:
        eng.close()
    click.echo(f"restored {n:,} posts ({docs:,} indexed)", err=True)


@click.command()
@click.pass_obj
def expire(obj: Ctx) -> None:
    """Apply the retention settings now (a running ingest does this by itself in the background).

    Example: VERISTREAM_RETENTION_DAYS=30 veristream expire
    """
    _need_data(obj)
    eng = obj.engine()
    try:
        if not eng.retention.in_force:
            click.echo("no retention is set (retention_days, retention_max_posts, retention_max_disk_mb): "
                       "nothing expires", err=True)
        rep = eng.expire()
    finally:
        eng.close()
    click.echo(f"expired {rep.expired:,} posts ({rep.by_age:,} by age, {rep.by_count:,} by count, "
               f"{rep.by_disk:,} by disk) and {rep.summaries:,} story summaries in {rep.took_s:.1f}s", err=True)


