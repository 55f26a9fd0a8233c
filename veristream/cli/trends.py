"""What the stream raises: `veristream trends` and `veristream events`."""

from __future__ import annotations


import click

from ..engine import Engine
from ..trends import sparkline
from .cluster import nats_option, open_reader
from .options import Ctx, json_option, lang_option, limit_option, near_option, since_option, when
from .output import pad, print_json


def _trends_engine(obj: Ctx, nats_url: str | None = None) -> Engine:
    return open_reader(obj, nats_url, "run `veristream ingest FILE` or `veristream replay FILE` first")


@click.command()
@click.option("--window", default="1h", show_default=True, help="Trend window: one of the setting trends_windows (5m, 1h, 24h).")
@limit_option(50, 20)
@lang_option("Only terms most of whose posts are in this language (ISO 639-1, e.g. ja).")
@near_option("Only terms bursting within RADIUS_KM of LAT,LON (posts placed there by the service or their words).")
@json_option("JSON lines, one per trending term.")
@nats_option()
@click.pass_obj
def trends(obj: Ctx, window: str, limit: int, lang: str | None, near, as_json: bool, nats_url: str | None) -> None:
    """What is rising now: terms whose rate jumps above their own baseline, by many authors.

    "Now" is the stream's event time (its newest post), so a replayed stream trends as it did
    live. Sparklines show posts per bin over the last two windows (at most 2 hours).

    Example: veristream trends --window 5m
    """
    eng = _trends_engine(obj, nats_url)
    try:
        found = eng.trends(window=window, limit=limit, lang=lang, **({"near": near} if near else {}))
        now = eng.now()
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    if as_json:
        for t in found:
            print_json(t.to_dict())
        return
    at = now.strftime("%Y-%m-%d %H:%M") if now else "-"
    if not found:
        click.echo(f"nothing trending in {window} at {at} (event time)", err=True)
        return
    click.echo(f"trending in {window} at {at} (event time)")
    click.echo(f"{'':>3} {'term':<28} {'score':>6} {'authors':>7} {'expected':>8}  {'since':<5}  recent")
    for i, t in enumerate(found, 1):
        ev = f"  event {t.event}" if t.event is not None else ""
        click.echo(f"{i:>3} {pad(t.term, 28)} {t.score:>6.1f} {t.count:>7.1f} {t.expected:>8.1f}  "
                   f"{t.since.strftime('%H:%M')}  {sparkline(t.spark)}{ev}")


@click.command()
@since_option("Only events seen at/after this time: ISO time or a span back from the stream's now (2h, 7d).")
@limit_option(1000, 20)
@json_option("JSON lines, one per event: id, title, terms, first_seen, detected_at, last_seen, status, "
             "posts, stories, authors, post_ids, langs, places, curve.")
@lang_option("Only events with at least a third of their posts in this language (ISO 639-1).")
@nats_option()
@click.pass_obj
def events(obj: Ctx, since: str | None, limit: int, lang: str | None, as_json: bool, nats_url: str | None) -> None:
    """Events the stream has raised: co-bursting terms and their stories, newest first.

    Each has a title (its most representative post), key terms, representative posts, when it
    was first seen and when it was detected (event time), its volume curve, distinct authors,
    languages and places.

    Example: veristream events --since 6h --json
    """
    eng = _trends_engine(obj, nats_url)
    try:
        found = eng.events(since=when(since, eng.now(), "since"), limit=limit, lang=lang)
    finally:
        eng.close()
    if as_json:
        for e in found:
            print_json(e.to_dict())
        return
    if not found:
        click.echo("no events", err=True)
        return
    for e in found:
        langs = " ".join(f"{k} {v}" for k, v in list(e.langs.items())[:3])
        places = f" · {', '.join(list(e.places)[:3])}" if e.places else ""
        click.echo(f"#{e.id}  {e.first_seen.strftime('%Y-%m-%d %H:%M')} → {e.last_seen.strftime('%H:%M')}  "
                   f"{e.status}  detected {e.detected_at.strftime('%H:%M')}  {e.posts} posts · "
                   f"{e.authors} authors · {langs}{places}")
        click.echo(f"    {e.title}")
        click.echo(f"    terms: {', '.join(e.terms)}")
        click.echo(f"    volume: {sparkline(e.curve.counts[-48:])}  ({e.curve.step_s / 60:.0f} min steps)")
        click.echo(f"    posts: {' '.join(e.post_ids[:5])}")
