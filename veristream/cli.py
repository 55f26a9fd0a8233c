"""The `veristream` command: thin glue over one Engine per invocation."""

from __future__ import annotations

import re
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import orjson

from .admin import register as register_admin
from .engine import Engine, EngineError, Rejection
from .model import BadPost, iso, parse_time
from .notes.commands import notes as notes_commands
from .replay import Progress, run
from .core.search import Hit, SearchError
from .settings import Settings, SettingsError
from .sources.commands import ingest_live, live, live_options, used_live_options, x_rules
from .verify.commands import train as train_command
from .verify.commands import verify as verify_command

FORMATS = ["auto", "veristream", "x", "jetstream", "mastodon"]
MAX_REJECT_LINES = 20


class Ctx:
    def __init__(self, data_dir: str, config: str | None):
        self.data_dir = Path(data_dir)
        self.config = config

    def engine(self, readonly: bool = False) -> Engine:
        try:
            settings = Settings.load(self.config, self.data_dir)
            return Engine(self.data_dir, settings, readonly=readonly)
        except (SettingsError, EngineError) as e:
            raise click.UsageError(str(e)) from None


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


# -- ingest and replay -----------------------------------------------------------------

def _progress_printer(quiet: bool):
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


def _open_input(path: str):
    if path == "-":
        return sys.stdin.buffer, "-"
    return open(path, "rb"), path


def _summary(p: Progress, dup_note: bool = True) -> str:
    s = f"done: {p.accepted:,} new, {p.updated:,} updated"
    if dup_note:
        s += f", {p.duplicates:,} already stored"
    s += f", {p.rejected:,} rejected in {p.elapsed_s:.1f}s"
    if p.rejected:
        s += " (reasons in quarantine.jsonl)"
    return s


def _ingest(obj: Ctx, path: str, fmt: str, source: str | None, speed: float | None, quiet: bool) -> None:
    eng = obj.engine()
    f, name = _open_input(path)
    show = _progress_printer(quiet)

    shown = [0]

    def reject_echo(rej: Rejection) -> None:
        # One line per bad line, naming it; capped so a garbage file can't flood the terminal.
        shown[0] += 1
        if shown[0] <= MAX_REJECT_LINES:
            click.echo(f"{rej.input}:{rej.line}: rejected: {rej.reason}", err=True)
        elif shown[0] == MAX_REJECT_LINES + 1:
            click.echo("(further rejections are counted and kept in quarantine.jsonl)", err=True)

    try:
        prog = run(eng, f, input_name=name, fmt=fmt, source=source, speed=speed, on_progress=show,
                   on_reject=reject_echo)
        emb = eng.embedding_status()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
        eng.close()
    click.echo(_summary(prog), err=True)
    if emb.enabled and emb.pending and not quiet:  # the embedding lag, visible
        click.echo(f"embedding: {emb.pending:,} posts not embedded yet (lexical search finds them); the next "
                   f"writing engine goes on with them, or run `veristream embed`", err=True)


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True, exists=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="Input format of each line (auto-detected per line by default).")
@click.option("--source", "sources", multiple=True,
              help="Without FILE: follow a live source: bluesky, x, mastodon, rss or a [sources.NAME] of the "
                   "settings (repeatable). With FILE: source name for posts in the project's own schema (default: file).")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@live_options
@click.pass_obj
def ingest(obj: Ctx, file: str | None, fmt: str, sources: tuple[str, ...], quiet: bool, **live: object) -> None:
    """Ingest JSON lines from FILE (or - for stdin) as fast as possible, or follow live sources.

    Each line is a post: the project's own schema, an X API v2 tweet, a Bluesky Jetstream
    message or a Mastodon status. Bad lines are rejected with a reason and kept in
    quarantine.jsonl; the rest goes on.

    Without FILE, follows --source (or the [sources.NAME] tables of the settings file) until
    Ctrl-C, reconnecting and resuming by itself; options marked [live] or with a source name
    configure it (README: Live sources).

    Examples: veristream ingest posts.jsonl;
    veristream ingest --source bluesky;
    veristream ingest --source rss --feed https://example.org/feed.xml
    """
    if file is None:
        ingest_live(obj, sources, live, quiet)
        return
    if used := used_live_options(live):
        raise click.UsageError(f"--{used[0]} is for live sources (no FILE)")
    if len(sources) > 1:
        raise click.BadParameter("give one source name for FILE", param_hint="--source")
    _check_file(file)
    _ingest(obj, file, fmt, sources[0] if sources else None, None, quiet)


def _speed(ctx: click.Context, param: click.Parameter, value: str) -> float | None:
    if value == "max":
        return None
    try:
        v = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number or 'max'") from None
    if not v > 0:
        raise click.BadParameter("must be greater than 0")
    return v


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--speed", default="60", show_default=True, callback=_speed,
              help="Event-time speed-up: 60 plays one hour of posts per minute; 'max' as fast as possible.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option("--source", default=None, help="Source name for posts in the project's own schema.")
@click.option("-q", "--quiet", is_flag=True, help="No progress line.")
@click.pass_obj
def replay(obj: Ctx, file: str, speed: float | None, fmt: str, source: str | None, quiet: bool) -> None:
    """Replay FILE in event time, as if the stream were live.

    Example: veristream replay boston.jsonl --speed 600
    """
    _check_file(file)
    _ingest(obj, file, fmt, source, speed, quiet)


def _check_file(file: str) -> None:
    if file != "-" and not Path(file).is_file():
        raise click.BadParameter(f"no such file: {file}", param_hint="FILE")


@cli.command()
@click.pass_obj
def reindex(obj: Ctx) -> None:
    """Rebuild the search index from the store."""
    eng = obj.engine()
    try:
        n = eng.reindex()
    finally:
        eng.close()
    click.echo(f"reindexed {n:,} posts", err=True)


# -- search ----------------------------------------------------------------------------

_REL = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_when(value: str | None, now: datetime | None, what: str) -> datetime | None:
    """An ISO time, or a span like 30m / 2h / 7d back from the stream's event-time now."""
    if value is None:
        return None
    m = _REL.match(value.strip().lower())
    if m:
        ref = now or datetime.now(timezone.utc)
        try:
            return ref - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
        except (OverflowError, ValueError):  # 99999999999d: before the first representable date
            raise click.BadParameter(f"{value!r} reaches back past the year 1", param_hint=f"--{what}") from None
    try:
        return parse_time(value, what)
    except BadPost as e:
        raise click.BadParameter(f"{e.reason} (use an ISO time like 2013-04-15T18:00Z or a span like 2h)",
                                 param_hint=f"--{what}") from None


@cli.command()
@click.argument("query", default="")
@click.option("--since", help="Only posts at/after this time: ISO time or a span back from the stream's now (2h, 7d).")
@click.option("--until", help="Only posts at/before this time (same forms as --since).")
@click.option("--author", help="Only posts by this handle.")
@click.option("--lang", help="Only posts in this language (ISO 639-1, e.g. en).")
@click.option("--hashtag", help="Only posts with this hashtag.")
@click.option("--source", help="Only posts from this source (x, bluesky, mastodon, rss, file...).")
@click.option("--has-media/--no-media", default=None, help="Only posts with (or without) media.")
@click.option("--replies-to", "reply_to", metavar="KEY", help="Only direct replies to this post (its key, e.g. bluesky:at://…).")
@click.option("--order", type=click.Choice(["relevance", "time"]), default="relevance", show_default=True,
              help="relevance: BM25 blended with recency; time: newest first.")
@click.option("-n", "--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--all", "all_posts", is_flag=True, help="Every matching post, not one per story.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one per hit.")
@click.pass_obj
def search(obj: Ctx, query: str, since, until, author, lang, hashtag, source, has_media, reply_to, order, limit,
           all_posts, as_json) -> None:
    """Search posts. Copies of one story show once, with counts (--all shows every post).

    Example: veristream search "power outage" --since 2h --lang en
    """
    if not (obj.data_dir / "posts.db").is_file():
        raise click.UsageError(f"no veristream data in {obj.data_dir} (run `veristream ingest FILE` or `veristream demo` first)")
    eng = obj.engine(readonly=True)
    try:
        now = eng.now()
        res = eng.search(query, since=parse_when(since, now, "since"), until=parse_when(until, now, "until"),
                         author=author, lang=lang, hashtag=hashtag, source=source, has_media=has_media,
                         order=order, limit=limit, all_posts=all_posts, reply_to=reply_to)
        notes = helpful_notes(eng, res.hits)
    except SearchError as e:
        raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    if as_json:
        for h in res.hits:
            d = hit_json(h)
            if notes.get(h.post.key):
                d["community_notes"] = [n.to_dict() for n in notes[h.post.key]]
            sys.stdout.buffer.write(orjson.dumps(d) + b"\n")
        return
    print_hits(res.hits, res.total, res.took_ms, notes)


def helpful_notes(eng: Engine, hits: list[Hit]) -> dict:
    """The community notes rated helpful on each hit's post (README: Community notes)."""
    found = eng.notes_for([h.post.key for h in hits])
    return {k: [n for n in ns if n.helpful] for k, ns in found.items()}


@cli.command()
@click.argument("story_id", type=int)
@click.option("-n", "--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON: the story and its posts.")
@click.pass_obj
def story(obj: Ctx, story_id: int, limit: int, as_json: bool) -> None:
    """Show a story: its counts and its posts, oldest first (ids are in search output)."""
    if not (obj.data_dir / "posts.db").is_file():
        raise click.UsageError(f"no veristream data in {obj.data_dir}")
    eng = obj.engine(readonly=True)
    try:
        found = eng.story(story_id, limit)
    finally:
        eng.close()
    if found is None:
        raise click.UsageError(f"no story {story_id}")
    summary, posts = found
    if as_json:
        out = {"id": summary.id, "posts": summary.posts, "authors": summary.authors,
               "first_seen": iso(summary.first_seen), "last_seen": iso(summary.last_seen), "title": summary.title,
               "items": [p.to_dict(raw=False) | {"key": p.key} for p in posts]}
        sys.stdout.buffer.write(orjson.dumps(out) + b"\n")
        return
    click.echo(f"story {summary.id}: {summary.posts} posts by {summary.authors} authors, "
               f"{iso(summary.first_seen)} .. {iso(summary.last_seen)}")
    if not posts and summary.title:
        click.echo(f"(its posts have expired; it began: {summary.title})")
    print_hits([Hit(p, 0.0, None, 0) for p in posts], summary.posts, 0.0)


def hit_json(h: Hit) -> dict:
    p = h.post
    d = p.to_dict(raw=False)
    d["key"] = p.key
    d["score"] = round(h.score, 4)
    if h.story:
        d["story"] = {"id": h.story.id, "posts": h.story.posts, "authors": h.story.authors,
                      "first_seen": iso(h.story.first_seen), "last_seen": iso(h.story.last_seen)}
    return d


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
        for n in (notes or {}).get(p.key, []):
            line = f"Community note (helpful): {' '.join(n.summary.split())}"
            room = max(20, width - len(head) - 1)
            click.echo(" " * len(head) + (line if len(line) <= room else line[: room - 1] + "…"))
    shown = f"{len(hits)} shown"
    click.echo(f"-- {total if total is not None else '?'} matching posts, {shown}, {took_ms:.1f} ms", err=True)


# -- ask -------------------------------------------------------------------------------

@cli.command()
@click.argument("question")
@click.option("--since", help="Only posts at/after this time: ISO time or a span back from the stream's now (6h, 2d).")
@click.option("--until", help="Only posts at/before this time (same forms as --since).")
@click.option("--composer", "--model", "composer", type=click.Choice(["extractive", "local", "openai"]),
              default="extractive", show_default=True,
              help="extractive: a cited digest, no model; local: a GGUF model via llama.cpp; "
                   "openai: an OpenAI-compatible server.")
@click.option("--llm-path", type=click.Path(dir_okay=False), help="GGUF file for --composer local "
              "(default: setting llm_model_path, else the shipped SmolLM2-135M-Instruct).")
@click.option("--base-url", help="Server for --composer openai, e.g. http://127.0.0.1:8000/v1 (setting openai_base_url).")
@click.option("--openai-model", help="Model name for --composer openai (setting openai_model).")
@click.option("--api-key", help="Key for --composer openai (default: setting openai_api_key, else env OPENAI_API_KEY).")
@click.option("--lang", help="Only posts in this language (ISO 639-1, e.g. ja).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the answer, its citations and checks.")
@click.pass_obj
def ask(obj: Ctx, question: str, since, until, composer, llm_path, base_url, openai_model, api_key, lang,
        as_json) -> None:
    """Answer QUESTION from the stored posts, citing them, stamped with the event time of the
    newest post used. The answer streams as it is checked; unsupported citations are dropped.

    Example: veristream ask "what happened at the marathon in the last hour?" --composer local
    """
    from .answer import ComposerError, make_composer

    if not (obj.data_dir / "posts.db").is_file():
        raise click.UsageError(f"no veristream data in {obj.data_dir} (run `veristream ingest FILE` or `veristream demo` first)")
    eng = obj.engine(readonly=True)
    try:
        if eng.vectors_notice:
            click.echo(eng.vectors_notice, err=True)
        now = eng.now()
        comp = make_composer(composer, eng.settings, llm_path=llm_path, base_url=base_url, model=openai_model,
                             api_key=api_key)

        def show(text: str) -> None:
            click.echo(text, nl=False)
            sys.stdout.flush()

        try:
            ans = eng.ask(question, since=parse_when(since, now, "since"), until=parse_when(until, now, "until"),
                          composer=comp, on_text=None if as_json else show, lang=lang)
        except ComposerError as e:
            raise click.ClickException(str(e)) from None
    finally:
        eng.close()
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(ans.to_dict()) + b"\n")
        return
    click.echo("" if ans.text.endswith("\n") else "\n", nl=False)
    for c in ans.citations:
        click.echo(f"[{c.n}] @{c.author or '?'} {iso(c.time)} {c.post_id}" + (f" {c.url}" if c.url else ""))
    stamp = f"as of {iso(ans.as_of)} (newest post used)" if ans.as_of else "no post used"
    lag = f", {ans.embedding_pending:,} posts not embedded yet" if ans.embedding_pending else ""
    click.echo(f"-- {stamp} · {ans.posts_considered} posts considered · {ans.retrieval_mode} retrieval{lag} · "
               f"{ans.composer} · {ans.took_ms:.0f} ms", err=True)
    if ans.fallback:
        click.echo(f"note: showing the extractive digest instead of the {ans.asked} answer: {ans.fallback}", err=True)
    ck = ans.check
    if ck.dropped or ck.unsupported_statements:
        click.echo(f"note: {ck.dropped} citation marker(s) dropped ({ck.dropped_unresolved} unresolved, "
                   f"{ck.dropped_unsupported} unsupported), {ck.unsupported_statements} unsupported statement(s) "
                   f"not shown", err=True)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Drop the vectors and embed every stored post again.")
@click.option("--status", "status_only", is_flag=True, help="Only show how far embedding has got (read-only).")
@click.pass_obj
def embed(obj: Ctx, rebuild: bool, status_only: bool) -> None:
    """Embed stored posts not embedded yet (for hybrid retrieval), waiting until done.

    A writing engine (ingest, replay, live) embeds beside ingest on its own; this catches up
    after a bulk ingest, or rebuilds (e.g. after changing the model).
    """
    if not (obj.data_dir / "posts.db").is_file():
        raise click.UsageError(f"no veristream data in {obj.data_dir}")
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


# -- demo ------------------------------------------------------------------------------

# What the built-in demo stream is about (see veristream/demo.py's events).
DEMO_QUERIES = ("earthquake harlow bay", "stadium blackout", "wildfire evacuation", "#flood warning")


@cli.command()
@click.option("--posts", type=click.IntRange(100, 1_000_000), default=5000, show_default=True,
              help="How many demo posts to replay.")
@click.option("--speed", default="max", show_default=True, callback=_speed,
              help="Event-time speed-up, or 'max'.")
@click.option("--rate", type=click.FloatRange(0.1, 10_000), default=50.0, show_default=True,
              help="Posts per second of event time: lower spreads the stream over more time (trends need "
                   "three spans of a window before they report, e.g. 15 minutes for 5m).")
@click.pass_obj
def demo(obj: Ctx, posts: int, speed: float | None, rate: float) -> None:
    """Replay the built-in demo stream into the data directory, then search it."""
    from .demo import demo_lines

    eng = obj.engine()
    click.echo(f"veristream demo: replaying {posts:,} built-in demo posts into {obj.data_dir}/", err=True)
    try:
        prog = run(eng, demo_lines(posts, rate_per_s=rate), input_name="demo", speed=speed,
                   on_progress=_progress_printer(False))
        click.echo(_summary(prog), err=True)
        for q in DEMO_QUERIES:
            click.echo(f"\n$ veristream search {q!r}")
            res = eng.search(q, limit=5)
            print_hits(res.hits, res.total, res.took_ms)
    finally:
        eng.close()
    click.echo(f"\nTry: veristream --data-dir {obj.data_dir} search \"your words\" --since 1h", err=True)


# -- serve -----------------------------------------------------------------------------

@cli.command()
@click.option("--host", default=None, help="Address to listen on (setting api_host, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on; 0: any free port (setting api_port, default 8080).")
@click.option("--source", "sources", multiple=True,
              help="Follow this live source: bluesky, x, mastodon, rss, demo or a [sources.NAME] of the settings "
                   "(repeatable). Default: the enabled [sources.NAME] tables, else bluesky.")
@click.option("--demo", is_flag=True, help="Follow the built-in demo stream (no network needed).")
@click.option("--no-sources", is_flag=True, help="Follow no source: posts come only through POST /v1/posts.")
@click.option("--probe-timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True,
              help="Seconds to wait for a Jetstream host before serving the demo stream instead.")
@click.option("--open/--no-open", "open_page", default=None,
              help="Open the page in a browser (default: in a terminal of a graphical session).")
@click.option("--readers", type=click.IntRange(-1, 64), default=None,
              help="Processes answering searches beside the writing one (setting api_readers; -1: one per core, "
                   "at most 4; 0: a single process).")
@click.option("-q", "--quiet", is_flag=True, help="No status lines while serving.")
@click.pass_obj
def serve(obj: Ctx, host: str | None, port: int | None, sources: tuple[str, ...], demo: bool, no_sources: bool,
          probe_timeout: float, open_page: bool | None, readers: int | None, quiet: bool) -> None:
    """Serve the web page, the REST and OpenAI-compatible API and the live feed, following
    live sources into the data directory (README: Serve). Prints the address; Ctrl-C stops.

    Example: veristream serve --port 8080 --source bluesky
    """
    from .api import server as api_server

    if sum(map(bool, (sources, demo, no_sources))) > 1:
        raise click.UsageError("give one of --source, --demo and --no-sources")
    settings = _settings_or_exit(obj)
    plan = [] if no_sources else _serve_sources(settings, sources, demo, probe_timeout)
    if open_page is None:
        open_page = sys.stdout.isatty() and sys.stdin.isatty() and api_server.can_open_browser()
    eng = obj.engine()
    try:
        res = api_server.run_server(eng, plan, settings, host or settings.api_host,
                                    settings.api_port if port is None else port, quiet=quiet, open_page=open_page,
                                    readers=readers)
    except api_server.ServeError as e:
        raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    click.echo(api_server.summary(res), err=True)
    for name, e in res.errors.items():
        click.echo(f"{name}: failed: {e}", err=True)


def _settings_or_exit(obj: Ctx) -> Settings:
    try:
        return Settings.load(obj.config, obj.data_dir)
    except SettingsError as e:
        raise click.UsageError(str(e)) from None


def _serve_sources(settings: Settings, names: tuple[str, ...], demo: bool, probe_timeout: float) -> list:
    """What `serve` follows: --source, else the enabled [sources.*] tables, else Bluesky (the
    built-in demo stream when that is all and it cannot be reached)."""
    from .sources import SourceError, make_source, reachable
    from .sources.commands import build_sources

    def demo_source() -> list:
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
    urls = plan[0].config.urls  # type: ignore[attr-defined]
    if reachable(urls, timeout=probe_timeout):
        return plan
    hosts = ", ".join(u.split("/")[2] for u in urls[:2]) + (", ..." if len(urls) > 2 else "")
    click.echo(f"veristream: no network: cannot reach the Bluesky Jetstream ({hosts}); serving the built-in demo "
               "stream instead (offline, replay a saved stream with `veristream replay FILE`)", err=True)
    return demo_source()


cli.add_command(live)
cli.add_command(x_rules)
cli.add_command(notes_commands)  # notes ingest, score, show (README: Community notes)
cli.add_command(verify_command)  # verify "claim" (README: Verify)
cli.add_command(train_command)  # train stance|veracity|claims (README: Verify)
register_admin(cli)  # stats, export, backup, restore, expire


# -- trends and events -------------------------------------------------------------------

def _trends_engine(obj: Ctx) -> Engine:
    if not (obj.data_dir / "posts.db").is_file():
        raise click.UsageError(f"no veristream data in {obj.data_dir} (run `veristream ingest FILE` or `veristream replay FILE` first)")
    return obj.engine(readonly=True)


def _pad(text: str, width: int) -> str:
    """`text` cut and padded to `width` terminal columns (CJK characters take two)."""
    import unicodedata

    out, cols = [], 0
    for c in text:
        w = 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if cols + w > width:
            break
        out.append(c)
        cols += w
    return "".join(out) + " " * (width - cols)


@cli.command()
@click.option("--window", default="1h", show_default=True, help="Trend window: one of the setting trends_windows (5m, 1h, 24h).")
@click.option("-n", "--limit", type=click.IntRange(1, 50), default=20, show_default=True)
@click.option("--lang", help="Only terms most of whose posts are in this language (ISO 639-1, e.g. ja).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one per trending term.")
@click.pass_obj
def trends(obj: Ctx, window: str, limit: int, lang: str | None, as_json: bool) -> None:
    """What is rising now: terms whose rate jumps above their own baseline, by many authors.

    "Now" is the stream's event time (its newest post), so a replayed stream trends as it did
    live. Sparklines show posts per bin over the last two windows (at most 2 hours).

    Example: veristream trends --window 5m
    """
    from .trends import sparkline

    eng = _trends_engine(obj)
    try:
        found = eng.trends(window=window, limit=limit, lang=lang)
        now = eng.now()
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    if as_json:
        for t in found:
            sys.stdout.buffer.write(orjson.dumps(t.to_json()) + b"\n")
        return
    at = now.strftime("%Y-%m-%d %H:%M") if now else "-"
    if not found:
        click.echo(f"nothing trending in {window} at {at} (event time)", err=True)
        return
    click.echo(f"trending in {window} at {at} (event time)")
    click.echo(f"{'':>3} {'term':<28} {'score':>6} {'authors':>7} {'expected':>8}  {'since':<5}  recent")
    for i, t in enumerate(found, 1):
        ev = f"  event {t.event}" if t.event is not None else ""
        click.echo(f"{i:>3} {_pad(t.term, 28)} {t.score:>6.1f} {t.count:>7.1f} {t.expected:>8.1f}  "
                   f"{t.since.strftime('%H:%M')}  {sparkline(t.spark)}{ev}")


@cli.command()
@click.option("--since", help="Only events seen at/after this time: ISO time or a span back from the stream's now (2h, 7d).")
@click.option("-n", "--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="JSON lines, one per event: id, title, terms, first_seen, detected_at, last_seen, status, "
                   "posts, stories, authors, post_ids, langs, places, curve.")
@click.option("--lang", help="Only events with at least a third of their posts in this language (ISO 639-1).")
@click.pass_obj
def events(obj: Ctx, since: str | None, limit: int, lang: str | None, as_json: bool) -> None:
    """Events the stream has raised: co-bursting terms and their stories, newest first.

    Each has a title (its most representative post), key terms, representative posts, when it
    was first seen and when it was detected (event time), its volume curve, distinct authors,
    languages and places.

    Example: veristream events --since 6h --json
    """
    from .trends import sparkline

    eng = _trends_engine(obj)
    try:
        found = eng.events(since=parse_when(since, eng.now(), "since"), limit=limit, lang=lang)
    finally:
        eng.close()
    if as_json:
        for e in found:
            sys.stdout.buffer.write(orjson.dumps(e.to_json()) + b"\n")
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


def main() -> None:
    cli(prog_name="veristream")


if __name__ == "__main__":
    main()
