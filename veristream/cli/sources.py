"""Live sources: the options of `veristream ingest --source ...`, `veristream live`,
`veristream x-rules`, and what `serve` follows."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import click
import orjson

from ..core.search import SearchError
from ..engine import Engine
from ..settings import Settings
from ..sources.base import Source, SourceError, reachable
from ..sources.config import KINDS, kind_of, make_source
from ..sources.runner import SourceRunner
from ..sources.x import DEFAULT_BASE, XApiError, XRules
from .demo import demo
from .options import Ctx, probe_timeout_option
from .output import print_hits

STATUS_EVERY_S = 5.0


# -- ingest --source ---------------------------------------------------------------------------

def live_options(f: Callable) -> Callable:
    """The options of `veristream ingest` that configure live sources."""
    opts = [
        click.option("--url", "urls", multiple=True, metavar="URL",
                     help="[live] Endpoint: Jetstream wss:// URL(s) for bluesky (fail-over in order), "
                          "API base for x, instance for mastodon, feed(s) for rss."),
        click.option("--collection", "collections", multiple=True, metavar="NSID",
                     help="[bluesky] wantedCollections (default app.bsky.feed.post)."),
        click.option("--did", "dids", multiple=True, metavar="DID", help="[bluesky] wantedDids: only these accounts."),
        click.option("--compress", is_flag=True, default=None,
                     help="[bluesky] zstd-compressed stream (needs --zstd-dictionary)."),
        click.option("--zstd-dictionary", type=click.Path(dir_okay=False), default=None,
                     help="[bluesky] Jetstream's zstd_dictionary file (from the Jetstream repository)."),
        click.option("--overlap", type=click.FloatRange(0, 3600), default=None,
                     help="[bluesky] Seconds re-read before the stored cursor on resume (default 3)."),
        click.option("--backfill-minutes", type=click.IntRange(0, 5), default=None,
                     help="[x] Ask X to resend up to 5 minutes missed while reconnecting (Pro/Enterprise)."),
        click.option("--stream", "streams", multiple=True, metavar="STREAM",
                     help="[mastodon] public, public:local, hashtag, hashtag:local, list or user (repeatable)."),
        click.option("--tag", default=None, help="[mastodon] Hashtag for --stream hashtag."),
        click.option("--list", "list_id", default=None, help="[mastodon] List id for --stream list."),
        click.option("--token", default=None,
                     help="[mastodon] Access token (default: env MASTODON_TOKEN). X uses env X_BEARER_TOKEN."),
        click.option("--feed", "feeds", multiple=True, metavar="URL", help="[rss] Feed URL (repeatable)."),
        click.option("--interval", type=click.FloatRange(1, None), default=None,
                     help="[rss] Seconds between polls of each feed (default 300)."),
        click.option("--max-posts", type=click.IntRange(1, None), default=None,
                     help="[live] Stop after this many posts."),
        click.option("--duration", type=click.FloatRange(0, None, min_open=True), default=None,
                     help="[live] Stop after this many seconds."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


LIVE_KEYS = ("urls", "collections", "dids", "compress", "zstd_dictionary", "overlap", "backfill_minutes",
             "streams", "tag", "list_id", "token", "feeds", "interval", "max_posts", "duration")
# Which CLI option fills which config key, per kind.
_FOR = {
    "collections": {"bluesky": "collections"}, "dids": {"bluesky": "dids"}, "compress": {"bluesky": "compress"},
    "zstd_dictionary": {"bluesky": "zstd_dictionary"}, "overlap": {"bluesky": "overlap_s"},
    "backfill_minutes": {"x": "backfill_minutes"}, "token": {"mastodon": "token"},
    "feeds": {"rss": "feeds"}, "interval": {"rss": "interval_s"},
}


_FLAGS = {"urls": "url", "collections": "collection", "dids": "did", "streams": "stream", "list_id": "list",
          "feeds": "feed"}


def _flag(key: str) -> str:
    return _FLAGS.get(key, key.replace("_", "-"))


def _used(live: dict[str, Any]) -> list[str]:
    return [k for k in LIVE_KEYS if live.get(k) not in (None, (), False)]


def used_live_options(live: dict[str, Any]) -> list[str]:
    """The live options given, as flag names without dashes (e.g. `feed`)."""
    return [_flag(k) for k in _used(live)]


def build_sources(settings: Settings, names: tuple[str, ...], live: dict[str, Any]) -> list[Source]:
    """`--source` names (kinds or [sources.NAME] tables) + CLI options -> sources."""
    table = settings.sources
    if not names:
        names = tuple(n for n, t in table.items() if t.get("enabled", True))
        if not names:
            raise click.UsageError("give FILE to ingest, or --source bluesky|x|mastodon|rss to follow a live "
                                   "stream, or configure [sources.NAME] tables in the settings file")
    plan: list[tuple[str, str, dict[str, Any]]] = []
    for name in dict.fromkeys(names):
        opts = dict(table.get(name, {}))
        try:
            kind = kind_of(name, opts) if name in table else name
        except SourceError as e:
            raise click.UsageError(str(e)) from None
        if kind not in KINDS:
            raise click.BadParameter(f"{name!r} is not bluesky, x, mastodon, rss, demo or a [sources.NAME] in the "
                                     "settings", param_hint="--source")
        plan.append((name, kind, opts))
    kinds = [k for _, k, _ in plan]
    for opt in _used(live):
        if opt in ("max_posts", "duration", "urls", "streams", "tag", "list_id"):
            continue
        if not any(k in _FOR[opt] for k in kinds):
            want = ", ".join(_FOR[opt])
            raise click.UsageError(f"--{_flag(opt)} is for --source {want}")
    if live.get("urls") and len(plan) > 1:
        raise click.UsageError("--url needs exactly one --source (use the settings file for several)")
    if (live.get("streams") or live.get("tag") or live.get("list_id")) and "mastodon" not in kinds:
        raise click.UsageError("--stream, --tag and --list are for --source mastodon")
    out = []
    for name, kind, opts in plan:
        for opt, where in _FOR.items():
            v = live.get(opt)
            if kind in where and v not in (None, (), False):
                opts[where[kind]] = list(v) if isinstance(v, tuple) else v
        urls = list(live.get("urls") or ())
        if urls:
            if kind == "bluesky":
                opts["urls"] = urls
            elif kind == "rss":
                opts["feeds"] = list(dict.fromkeys(list(opts.get("feeds") or []) + urls))
            elif len(urls) > 1:
                raise click.UsageError(f"--url: {kind} takes one URL")
            else:
                opts["base_url" if kind == "x" else "instance"] = urls[0]
        if kind == "mastodon":
            streams = mastodon_streams(live.get("streams") or (), live.get("tag"), live.get("list_id"))
            if streams:
                opts["streams"] = streams
        if kind == "rss" and not opts.get("feeds"):
            raise click.UsageError("--source rss needs --feed URL (or feeds in [sources.rss])")
        try:
            out.append(make_source(kind, opts, name))
        except SourceError as e:
            raise click.UsageError(str(e)) from None
    return out


def mastodon_streams(streams: tuple[str, ...], tag: str | None, list_id: str | None) -> list[str]:
    out = []
    for s in streams or (("hashtag",) if tag else ("list",) if list_id else ()):
        if s in ("hashtag", "hashtag:local"):
            if not tag:
                raise click.UsageError(f"--stream {s} needs --tag NAME")
            s = f"{s}:{tag.lstrip('#')}"
        elif s == "list":
            if not list_id:
                raise click.UsageError("--stream list needs --list ID")
            s = f"list:{list_id}"
        out.append(s)
    return out


def ingest_live(obj: Ctx, names: tuple[str, ...], live: dict[str, Any], quiet: bool) -> None:
    sources = build_sources(obj.settings(), names, live)
    follow(obj, sources, quiet=quiet, max_posts=live.get("max_posts"), duration=live.get("duration"))


# -- following -------------------------------------------------------------------------------------

def follow(obj: Ctx, sources: list[Source], *, quiet: bool = False, max_posts: int | None = None,
           duration: float | None = None, prompt: bool = False, hint: bool = False) -> None:
    """Run `sources` into the data directory until Ctrl-C, --max-posts or --duration."""
    eng = obj.engine()
    runner = SourceRunner(eng, sources)
    names = ", ".join(s.name for s in sources)
    click.echo(f"veristream: following {names} into {obj.data_dir}/ (Ctrl-C to stop)", err=True)
    if hint:
        click.echo(f"  search while it runs, in another terminal: veristream --data-dir {obj.data_dir} "
                   "search \"your words\" --since 10m", err=True)
    t0 = time.monotonic()
    runner.start()
    failed = False
    try:
        if prompt:
            _prompt(eng, runner)
        else:
            failed = _watch(runner, quiet, max_posts, duration, t0)
    except KeyboardInterrupt:
        pass
    finally:
        totals = runner.stop()
        stats = runner.statuses()
        eng.close()
    rejected = sum(s.rejected for s in stats)
    msg = (f"stopped after {time.monotonic() - t0:.1f}s: {totals.accepted:,} new, {totals.updated:,} updated, "
           f"{totals.deleted:,} deleted, {totals.duplicates + totals.stale:,} already stored, {rejected:,} rejected")
    if rejected:
        msg += " (reasons in quarantine.jsonl)"
    click.echo(msg, err=True)
    for name, e in runner.errors.items():
        click.echo(f"{name}: failed: {e}", err=True)
    if failed or (runner.errors and len(runner.errors) == len(sources)):
        sys.exit(1)


def _watch(runner: SourceRunner, quiet: bool, max_posts: int | None, duration: float | None, t0: float) -> bool:
    last = time.monotonic()
    while True:
        time.sleep(0.1)
        now = time.monotonic()
        stats = runner.statuses()
        if max_posts is not None and sum(s.accepted for s in stats) >= max_posts:
            runner.flush()
            return False
        if duration is not None and now - t0 >= duration:
            return False
        if not runner.running:
            return bool(runner.errors)
        if not quiet and now - last >= STATUS_EVERY_S:
            last = now
            _print_status(runner)


def _print_status(runner: SourceRunner) -> None:
    backlog = runner.backlog()
    for line in runner.status_lines():
        click.echo(line + (f" · queue {backlog:,}" if backlog else ""), err=True)


def _prompt(eng: Engine, runner: SourceRunner) -> None:
    click.echo("Type words to search the posts as they arrive; an empty line shows the status; "
               "Ctrl-D stops.", err=True)
    while True:
        try:
            q = input("search> ")
        except EOFError:
            click.echo("", err=True)
            return
        if not q.strip():
            _print_status(runner)
            continue
        try:
            res = eng.search(q, limit=10)
        except SearchError as e:
            click.echo(f"search: {e}", err=True)
            continue
        print_hits(res.hits, res.total, res.took_ms)


def unreachable(bluesky: Source, timeout: float) -> str | None:
    """None if a Jetstream host of the `bluesky` source answers within `timeout`; else the
    hosts tried, to name in the one line that says so."""
    urls = bluesky.config.urls  # type: ignore[attr-defined]
    if reachable(urls, timeout=timeout):
        return None
    return ", ".join(u.split("/")[2] for u in urls[:2]) + (", ..." if len(urls) > 2 else "")


# -- veristream (no command) / veristream live ---------------------------------------------------------

@click.command()
@click.option("--max-posts", type=click.IntRange(1, None), default=None, help="Stop after this many posts.")
@click.option("--duration", type=click.FloatRange(0, None, min_open=True), default=None,
              help="Stop after this many seconds.")
@click.option("--prompt/--no-prompt", default=None,
              help="Search from a prompt while following (default: when run in a terminal).")
@probe_timeout_option("Seconds to wait for a Jetstream host before falling back to the demo.")
@click.pass_context
def live(ctx: click.Context, max_posts: int | None, duration: float | None, prompt: bool | None,
         probe_timeout: float) -> None:
    """Follow the live Bluesky firehose (no account needed) and search it as it arrives.

    This is what `veristream` with no command does. Offline, it says so in one line and
    runs the built-in demo instead. Settings: [sources.bluesky] in the settings file.

    Example: veristream live --duration 60
    """
    obj = ctx.obj
    opts = dict(obj.settings().sources.get("bluesky", {}))
    try:
        src = make_source("bluesky", opts, "bluesky")
    except SourceError as e:
        raise click.UsageError(str(e)) from None
    hosts = unreachable(src, probe_timeout)
    if hosts is not None:
        click.echo(f"veristream: no network: cannot reach the Bluesky Jetstream ({hosts}); "
                   "running the built-in demo instead (offline, replay a saved stream with `veristream replay FILE`)",
                   err=True)
        ctx.invoke(demo)
        return
    if prompt is None:
        prompt = max_posts is None and duration is None and sys.stdin.isatty() and sys.stdout.isatty()
    follow(obj, [src], max_posts=max_posts, duration=duration, prompt=prompt, hint=not prompt)


# -- veristream x-rules ------------------------------------------------------------------------------------

@click.group("x-rules")
@click.option("--url", default=None, help="X API base URL (default: [sources.x] base_url or https://api.x.com).")
@click.pass_context
def x_rules(ctx: click.Context, url: str | None) -> None:
    """Manage the rules of the X filtered stream (bearer token from env X_BEARER_TOKEN).

    Examples: veristream x-rules add "earthquake -is:retweet lang:en" --tag quakes;
    veristream x-rules list; veristream x-rules delete 1234567890
    """
    ctx.meta["x_url"] = url


def _rules(ctx: click.Context) -> XRules:
    url = ctx.meta.get("x_url")
    if url is None and ctx.obj is not None and hasattr(ctx.obj, "data_dir"):
        url = ctx.obj.settings().sources.get("x", {}).get("base_url")
    try:
        return XRules(url or DEFAULT_BASE)
    except SourceError as e:
        raise click.UsageError(str(e)) from None


def _api(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except XApiError as e:
        raise click.ClickException(f"X API: {e}") from None


@x_rules.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule.")
@click.pass_context
def rules_list(ctx: click.Context, as_json: bool) -> None:
    """List the stream's rules."""
    rules = _api(_rules(ctx).list)
    for r in rules:
        if as_json:
            click.echo(orjson.dumps(r).decode())
        else:
            click.echo(f"{r.get('id')}\t{r.get('tag') or '-'}\t{r.get('value')}")
    if not as_json:
        click.echo(f"-- {len(rules)} rule(s)", err=True)


@x_rules.command("add")
@click.argument("value")
@click.option("--tag", default=None, help="A label X sends back in matching_rules.")
@click.option("--dry-run", is_flag=True, help="Only check the rule with X.")
@click.pass_context
def rules_add(ctx: click.Context, value: str, tag: str | None, dry_run: bool) -> None:
    """Add a rule (X's query syntax), e.g. "flood (from:NWS OR #flood) -is:retweet"."""
    res = _api(lambda: _rules(ctx).add([(value, tag)], dry_run=dry_run))
    for r in res.get("data") or []:
        click.echo(f"{'valid' if dry_run else 'added'}\t{r.get('id')}\t{r.get('tag') or '-'}\t{r.get('value')}")
    errors = res.get("errors") or []
    for e in errors:
        click.echo(f"not added: {e.get('title') or ''} {e.get('value') or ''} {e.get('details') or e.get('detail') or ''}".strip(),
                   err=True)
    if errors and not res.get("data"):
        sys.exit(1)


@x_rules.command("delete")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_rules", is_flag=True, help="Delete every rule.")
@click.pass_context
def rules_delete(ctx: click.Context, ids: tuple[str, ...], all_rules: bool) -> None:
    """Delete rules by id (see `x-rules list`)."""
    api = _rules(ctx)
    if all_rules:
        ids = tuple(str(r["id"]) for r in _api(api.list))
    if not ids:
        raise click.UsageError("give rule ids, or --all")
    res = _api(lambda: api.delete(list(ids)))
    summary = (res.get("meta") or {}).get("summary") or {}
    click.echo(f"deleted {summary.get('deleted', 0)}, not deleted {summary.get('not_deleted', 0)}", err=True)
