"""`veristream demo`: the built-in demo stream replayed into the data directory, then searched."""

from __future__ import annotations

import click

from ..demo import demo_lines
from ..replay import run
from .options import Ctx, speed
from .output import print_hits, progress_printer, summary

# What the built-in demo stream is about (see veristream/demo.py's events).
DEMO_QUERIES = ("earthquake harlow bay", "stadium blackout", "wildfire evacuation", "#flood warning")


@click.command()
@click.option("--posts", type=click.IntRange(100, 1_000_000), default=5000, show_default=True,
              help="How many demo posts to replay.")
@click.option("--speed", default="max", show_default=True, callback=speed,
              help="Event-time speed-up, or 'max'.")
@click.option("--rate", type=click.FloatRange(0.1, 10_000), default=50.0, show_default=True,
              help="Posts per second of event time: lower spreads the stream over more time (trends need "
                   "three spans of a window before they report, e.g. 15 minutes for 5m).")
@click.pass_obj
def demo(obj: Ctx, posts: int, speed: float | None, rate: float) -> None:
    """Replay the built-in demo stream into the data directory, then search it."""
    eng = obj.engine()
    click.echo(f"veristream demo: replaying {posts:,} built-in demo posts into {obj.data_dir}/", err=True)
    try:
        prog = run(eng, demo_lines(posts, rate_per_s=rate), input_name="demo", speed=speed,
                   on_progress=progress_printer(False))
        click.echo(summary(prog), err=True)
        for q in DEMO_QUERIES:
            click.echo(f"\n$ veristream search {q!r}")
            res = eng.search(q, limit=5)
            print_hits(res.hits, res.total, res.took_ms)
    finally:
        eng.close()
    click.echo(f"\nTry: veristream --data-dir {obj.data_dir} search \"your words\" --since 1h", err=True)
