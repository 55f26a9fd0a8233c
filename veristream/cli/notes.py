"""`veristream notes …`: load Community Notes data, score it, show the notes on posts.

Each command opens the data directory, calls one engine method per step and renders the
result.
"""

from __future__ import annotations


import click

from ..core.search import post_json
from ..engine import Engine
from ..model import iso
from ..notes.records import HELPFUL, ScoredNote, ScoreReport
from ..notes.tsv import FormatError, detect
from .options import Ctx, json_option
from .output import print_json, reject_printer


@click.group("notes")
def notes() -> None:
    """Community notes: load the public Community Notes data (notes and ratings TSV files),
    score it with the published bridging algorithm, show notes on posts.

    Example: veristream notes ingest notes-00000.tsv ratings-00000.tsv
    """


@notes.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--no-score", is_flag=True, help="Only store; score later with `veristream notes score`.")
@json_option("JSON lines: one report per file, then the scoring report.")
@click.pass_obj
def ingest(obj: Ctx, files: tuple[str, ...], no_score: bool, as_json: bool) -> None:
    """Load notes and ratings files (each file's header says which it is; `.gz` is read as
    is), then score every note. Bad rows are rejected with file:line and reason, kept in
    quarantine.jsonl, and loading goes on.

    Example: veristream notes ingest notes-00000.tsv ratings-00000.tsv ratings-00001.tsv
    """
    try:
        kinds = [(detect(f), f) for f in files]
    except (FormatError, OSError) as e:
        raise click.UsageError(str(e)) from None
    kinds.sort(key=lambda kf: kf[0] != "notes")  # notes first: a note's ratings may arrive in any file
    echo_reject = reject_printer()
    eng = _engine(obj)
    try:
        for kind, path in kinds:
            load = eng.ingest_notes if kind == "notes" else eng.ingest_ratings
            rep = load(path, on_reject=echo_reject)
            if as_json:
                print_json(rep.to_dict())
            rate = rep.rows / rep.seconds if rep.seconds else 0.0
            click.echo(f"{path}: {rep.kind}: {rep.rows:,} rows, {rep.accepted:,} stored, {rep.rejected:,} rejected "
                       f"in {rep.seconds:.1f}s ({rate:,.0f} rows/s)", err=True)
        score = None if no_score else eng.score_notes()
    finally:
        eng.close()
    if score is not None:
        _print_score(score, as_json)


@notes.command("score")
@json_option("The report as one JSON object.")
@click.pass_obj
def score(obj: Ctx, as_json: bool) -> None:
    """Score every note from all stored ratings and store the statuses (they replace the
    previous run's at once).

    Example: veristream notes score
    """
    eng = _engine(obj)
    try:
        rep = eng.score_notes()
    finally:
        eng.close()
    _print_score(rep, as_json)


def _engine(obj: Ctx) -> Engine:
    """Read-only for the posts when there are some: notes have their own writer, so loading
    and scoring work while another process ingests posts into the same directory."""
    return obj.engine(readonly=obj.has_data())


def _print_score(rep: ScoreReport, as_json: bool) -> None:
    if as_json:
        print_json(rep.to_dict())
        return
    click.echo(f"scored {rep.fitted_notes:,} of {rep.notes:,} notes from {rep.fitted_ratings:,} of {rep.ratings:,} "
               f"ratings by {rep.fitted_raters:,} of {rep.raters:,} raters: {rep.helpful:,} helpful, "
               f"{rep.not_helpful:,} not helpful, the rest need more ratings ({rep.iterations} rounds, "
               f"rmse {rep.rmse if rep.rmse is not None else '-'}, {rep.seconds:.1f}s)")


@notes.command("show")
@click.argument("post_keys", nargs=-1, required=True)
@click.option("--helpful", "helpful_only", is_flag=True, help="Only notes rated helpful.")
@json_option("JSON lines, one per post: post_key, post, notes.")
@click.pass_obj
def show(obj: Ctx, post_keys: tuple[str, ...], helpful_only: bool, as_json: bool) -> None:
    """Show the community notes on posts, with status, intercept and factor. POST_KEY is
    `source:id` (`x:1234`); a bare number means an X post.

    Example: veristream notes show x:1359213370366390272 --json
    """
    obj.need_data("run `veristream notes ingest FILES` first")
    keys = [k if ":" in k else f"x:{k}" for k in post_keys]
    eng = obj.engine(readonly=True)
    try:
        found = eng.notes_for(keys)
        posts = {k: eng.get(k) for k in keys}
    finally:
        eng.close()
    for k in keys:
        ns = [n for n in found[k] if n.status == HELPFUL or not helpful_only]
        p = posts[k]
        if as_json:
            post = post_json(p) if p else None
            print_json({"post_key": k, "post": post, "notes": [n.to_dict() for n in ns]})
            continue
        head = f"{k}  @{p.author.handle or p.author.id} {iso(p.created_at)}  {' '.join(p.text.split())[:200]}" if p \
            else f"{k}  (post not stored)"
        click.echo(head)
        if not ns:
            click.echo("  no community notes" + (" rated helpful" if helpful_only else ""))
        for n in ns:
            click.echo(_note_line(n))
            click.echo(f"    {' '.join(n.summary.split())}")


def _note_line(n: ScoredNote) -> str:
    score = (f"intercept {n.intercept:+.3f} factor {n.factor:+.3f}" if n.intercept is not None and n.factor is not None
             else "not scored")
    return (f"  [{n.status}] {n.classification} · {score} · {n.ratings} ratings · note {n.note_id} · "
            f"{n.created_at.strftime('%Y-%m-%d')}")
