"""Reading the data directory: `veristream search` and `veristream story`."""

from __future__ import annotations


import click

from ..core.search import Hit, SearchError, hit_json, story_json
from ..engine import Engine
from ..model import iso
from .cluster import nats_option, open_reader
from .options import Ctx, json_option, lang_option, limit_option, near_option, since_option, until_option, when
from .output import print_hits, print_json

NO_DATA_HINT = "run `veristream ingest FILE` or `veristream demo` first"


@click.command()
@click.argument("query", default="")
@since_option()
@until_option()
@click.option("--author", help="Only posts by this handle.")
@lang_option("Only posts in this language (ISO 639-1, e.g. en).")
@click.option("--hashtag", help="Only posts with this hashtag.")
@click.option("--source", help="Only posts from this source (x, bluesky, mastodon, rss, file...).")
@click.option("--has-media/--no-media", default=None, help="Only posts with (or without) media.")
@click.option("--replies-to", "reply_to", metavar="KEY", help="Only direct replies to this post (its key, e.g. bluesky:at://…).")
@click.option("--domain", metavar="HOST", help="Only posts linking to this site (or a host under it), e.g. bbc.co.uk.")
@click.option("--place", metavar="NAME", help="Only posts whose place is (or is in) this city, US state or country.")
@near_option()
@click.option("--order", type=click.Choice(["relevance", "time"]), default="relevance", show_default=True,
              help="relevance: BM25 blended with recency; time: newest first.")
@limit_option(1000, 20)
@click.option("--all", "all_posts", is_flag=True, help="Every matching post, not one per story.")
@json_option("JSON lines, one per hit.")
@nats_option()
@click.pass_obj
def search(obj: Ctx, query: str, since, until, author, lang, hashtag, source, has_media, reply_to, domain, place, near,
           order, limit, all_posts, as_json, nats_url) -> None:
    """Search posts. Copies of one story show once, with counts (--all shows every post).

    Example: veristream search "power outage" --since 2h --lang en
    """
    eng = open_reader(obj, nats_url, NO_DATA_HINT)
    try:
        now = eng.now()
        res = eng.search(query, since=when(since, now, "since"), until=when(until, now, "until"),
                         author=author, lang=lang, hashtag=hashtag, source=source, has_media=has_media,
                         order=order, limit=limit, all_posts=all_posts, reply_to=reply_to, domain=domain,
                         place=place, near=near)
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
            print_json(d)
        return
    print_hits(res.hits, res.total, res.took_ms, notes)


def helpful_notes(eng: Engine, hits: list[Hit]) -> dict:
    """The community notes rated helpful on each hit's post (README: Community notes)."""
    found = eng.notes_for([h.post.key for h in hits])
    return {k: [n for n in ns if n.helpful] for k, ns in found.items()}


@click.command()
@click.argument("story_id", type=int)
@limit_option(10_000, 50)
@json_option("JSON: the story and its posts.")
@click.pass_obj
def story(obj: Ctx, story_id: int, limit: int, as_json: bool) -> None:
    """Show a story: its counts and its posts, oldest first (ids are in search output)."""
    obj.need_data()
    eng = obj.engine(readonly=True)
    try:
        found = eng.story(story_id, limit)
    finally:
        eng.close()
    if found is None:
        raise click.UsageError(f"no story {story_id}")
    summary, posts = found
    if as_json:
        print_json(story_json(summary, posts))
        return
    click.echo(f"story {summary.id}: {summary.posts} posts by {summary.authors} authors, "
               f"{iso(summary.first_seen)} .. {iso(summary.last_seen)}")
    if not posts and summary.title:
        click.echo(f"(its posts have expired; it began: {summary.title})")
    print_hits([Hit(p, 0.0, None, 0) for p in posts], summary.posts, 0.0)
