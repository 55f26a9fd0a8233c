"""How the commands show things in a terminal: hits, progress, rejections, columns."""

from __future__ import annotations

import shutil
import sys
import unicodedata
from collections.abc import Callable
from datetime import datetime

import click
import orjson

from ..core.quarantine import Rejection
from ..core.search import Hit
from ..model import iso
from ..replay import Progress

MAX_REJECT_LINES = 20


def print_json(obj: object) -> None:
    """One JSON value on a line of its own, to stdout (`--json`)."""
    sys.stdout.buffer.write(orjson.dumps(obj) + b"\n")


def print_hits(hits: list[Hit], total: int | None, took_ms: float, notes: dict | None = None) -> None:
    width = shutil.get_terminal_size((120, 20)).columns
    for h in hits:
        p = h.post
        when = p.created_at.strftime("%Y-%m-%d %H:%M")
        who = "@" + (p.author.handle or p.author.id or "?")
        story = ""
        if h.story and h.story.posts > 1:
            story = f" [{h.story.posts} posts/{h.story.authors} authors]"
        head = f"{when}  {who[:20]:<20} "
        room = max(20, width - len(head) - len(story) - 1)
        text = " ".join(p.text.split())
        if len(text) > room:
            text = text[: room - 1] + "…"
        click.echo(f"{head}{text}{story}")
        for line in beside_lines(h):
            room = max(20, width - len(head) - 1)
            click.echo(" " * len(head) + (line if len(line) <= room else line[: room - 1] + "…"))
        for n in (notes or {}).get(p.key, []):
            line = f"Community note (helpful): {' '.join(n.summary.split())}"
            room = max(20, width - len(head) - 1)
            click.echo(" " * len(head) + (line if len(line) <= room else line[: room - 1] + "…"))
    shown = f"{len(hits)} shown"
    click.echo(f"-- {total if total is not None else '?'} matching posts, {shown}, {took_ms:.1f} ms", err=True)


def beside_lines(h: Hit) -> list[str]:
    """What comes with a post's words, one line each: its images' text and alt text, its link
    cards, its place. Post-derived text on one line (control characters and newlines flattened)."""
    p = h.post
    out = []
    if p.image_text:
        out.append(f"text in image: {' '.join(p.image_text.split())}")
    for m in p.media:
        if m.alt and m.kind != "link":
            out.append(f"alt text: {' '.join(m.alt.split())}")
    for c in p.cards:
        words = " — ".join(" ".join(x.split()) for x in (c.title, c.description) if x)
        out.append(f"link card ({c.domain}): {words}" if words else f"link card: {c.url}")
    if h.place is not None:
        pl = h.place
        where = ", ".join(x for x in (pl.name, pl.country) if x)
        out.append(f"place: {where} ({pl.source}, confidence {pl.confidence:.2f})")
    return out


def progress_printer(quiet: bool) -> Callable[[Progress], None]:
    """A progress line for ingest and replay: rewritten in place on a terminal, else every 5 s."""
    tty = sys.stderr.isatty()
    state = {"last_line": 0.0}

    def show(p: Progress) -> None:
        if quiet:
            return
        et = p.event_time.strftime("%Y-%m-%d %H:%M:%S") if p.event_time else "-"
        line = (f"{p.read:,} posts · {p.posts_per_s:,.0f}/s · accepted {p.accepted:,} · "
                f"rejected {p.rejected:,} · lag {p.lag_s:.2f}s · stream at {et}")
        if tty:
            click.echo("\r" + line.ljust(100), nl=p.done, err=True)
        elif p.done or p.elapsed_s - state["last_line"] >= 5:
            state["last_line"] = p.elapsed_s
            click.echo(line, err=True)

    return show


def summary(p: Progress, dup_note: bool = True) -> str:
    s = f"done: {p.accepted:,} new, {p.updated:,} updated"
    if dup_note:
        s += f", {p.duplicates:,} already stored"
    s += f", {p.rejected:,} rejected in {p.elapsed_s:.1f}s"
    if p.rejected:
        s += " (reasons in quarantine.jsonl)"
    return s


def reject_printer() -> Callable[[Rejection], None]:
    """One line per rejected line (a `Rejection`), naming it; capped so a garbage file cannot
    flood the terminal."""
    shown = [0]

    def echo(rej: Rejection) -> None:
        shown[0] += 1
        if shown[0] <= MAX_REJECT_LINES:
            click.echo(f"{rej.input}:{rej.line}: rejected: {rej.reason}", err=True)
        elif shown[0] == MAX_REJECT_LINES + 1:
            click.echo("(further rejections are counted and kept in quarantine.jsonl)", err=True)

    return echo


def footer(as_of: datetime | None, posts: int, mode: str, pending: int, *rest: str) -> str:
    """The last line of an answer or a verdict: as of when, how much was read, how far behind
    embedding is (posts it has not reached are found by their words only)."""
    stamp = f"as of {iso(as_of)} (newest post used)" if as_of else "no post used"
    lag = f", {pending:,} posts not embedded yet" if pending else ""
    return " · ".join([f"-- {stamp}", f"{posts} posts considered", f"{mode} retrieval{lag}", *rest])


def pad(text: str, width: int) -> str:
    """`text` cut and padded to `width` terminal columns (CJK characters take two)."""
    out, cols = [], 0
    for c in text:
        w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if cols + w > width:
            break
        out.append(c)
        cols += w
    return "".join(out) + " " * (width - cols)
