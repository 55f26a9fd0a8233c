"""Credibility signals of a post's author and links, each shown with what it adds to the weight.

Nothing here is a hidden score: `Credibility.signals` lists every signal that was known and
its contribution, and the weight is 1 plus their sum, bounded to [`MIN_WEIGHT`, `MAX_WEIGHT`].
A signal that is unknown (no account age from the source, no community notes service) is
shown as unknown and adds nothing.

* account age at the time of the post (from the source's author record) and how many posts
  by the author this veristream holds (its history here);
* the verified flag and the follower count, as the source gives them (reach, not truth: they
  add little);
* whether the post links a primary source: a page off the social platforms and link
  shorteners (an official .gov/.mil/.int/.edu page adds more);
* the author's past record here: posts of theirs that carry a helpful "misleading" community
  note, and claims they supported that `verify` later found refuted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..model import Post

MIN_WEIGHT, MAX_WEIGHT = 0.25, 2.0
NEW_ACCOUNT_DAYS = 30
MAX_URLS = 10  # posts are hostile: judge at most this many links

# Platforms and shorteners: a link there is not an original source (a shortened link's
# target is unknown without fetching it, which verification never does).
PLATFORMS = frozenset("""
twitter.com x.com t.co bit.ly ow.ly buff.ly tinyurl.com goo.gl dlvr.it ift.tt fb.me is.gd trib.al lnkd.in
facebook.com instagram.com tiktok.com youtube.com youtu.be bsky.app bsky.social mastodon.social threads.net
reddit.com redd.it imgur.com i.imgur.com pic.twitter.com vine.co tumblr.com pinterest.com t.me telegram.me
whatsapp.com snapchat.com linktr.ee
""".split())
_OFFICIAL = re.compile(r"(?:^|\.)(?:gov|mil|int|edu)(?:\.[a-z]{2})?$|(?:^|\.)gov\.uk$|(?:^|\.)gouv\.fr$|(?:^|\.)gc\.ca$")


@dataclass(slots=True)
class Signal:
    name: str
    value: object  # what was observed (None: unknown)
    effect: float  # what it adds to the weight
    note: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "effect": round(self.effect, 3), "note": self.note}


@dataclass(slots=True)
class Credibility:
    weight: float
    signals: list[Signal] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)  # distinct linked domains (original sources)
    primary_source: bool = False

    def to_dict(self) -> dict:
        return {"weight": round(self.weight, 3), "primary_source": self.primary_source, "domains": self.domains,
                "signals": [s.to_dict() for s in self.signals]}


@dataclass(slots=True)
class AuthorRecord:
    """What this veristream knows of an author beyond the post itself."""

    posts_here: int | None = None  # posts by them in the store
    misleading_notes: int | None = None  # of their posts, with a helpful "misleading" note (None: no notes service)
    refuted_claims: int | None = None  # claims they supported that verify found refuted (None: not recorded)


def domain(url: str) -> str | None:
    try:
        host = (urlsplit(url.strip()[:2048]).hostname or "").lower()
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host[4:] if host.startswith("www.") else host


def linked_domains(post: Post) -> tuple[list[str], list[str]]:
    """(original-source domains, platform/shortener domains) the post links, in order."""
    own, platforms = [], []
    for u in post.urls[:MAX_URLS]:
        d = domain(u)
        if d is None:
            continue
        (platforms if d in PLATFORMS or any(d.endswith("." + p) for p in PLATFORMS) else own).append(d)
    return list(dict.fromkeys(own)), list(dict.fromkeys(platforms))


def assess(post: Post, record: AuthorRecord | None = None) -> Credibility:
    record = record or AuthorRecord()
    a = post.author
    sig: list[Signal] = []
    age_days = None
    if a.created_at is not None:
        age_days = max(0.0, (post.created_at - a.created_at).total_seconds() / 86400)
    sig.append(Signal("account_age_days", round(age_days, 1) if age_days is not None else None,
                      -0.25 if age_days is not None and age_days < NEW_ACCOUNT_DAYS else 0.0,
                      "unknown" if age_days is None else
                      f"new account (< {NEW_ACCOUNT_DAYS} days)" if age_days < NEW_ACCOUNT_DAYS else ""))
    sig.append(Signal("posts_here", record.posts_here, 0.0,
                      "unknown" if record.posts_here is None else "posts by this author in this veristream"))
    sig.append(Signal("verified", bool(a.verified), 0.2 if a.verified else 0.0, "as the source reports it"))
    f = a.followers
    sig.append(Signal("followers", f, 0.1 if f is not None and f >= 10_000 else 0.0,
                      "unknown" if f is None else "reach, not accuracy"))
    own, _ = linked_domains(post)
    official = [d for d in own if _OFFICIAL.search(d)]
    sig.append(Signal("primary_source", own[:5] or None, 0.5 if official else 0.25 if own else 0.0,
                      "links an official page" if official else "links an original source" if own else "no original source linked"))
    sig.append(Signal("misleading_notes", record.misleading_notes, 0.0,
                      "unknown (no community notes)" if record.misleading_notes is None else
                      "of their posts, with a helpful 'misleading' note"))
    sig.append(Signal("refuted_claims", record.refuted_claims, 0.0,
                      "unknown" if record.refuted_claims is None else "claims they supported that verify found refuted"))
    bad = (record.misleading_notes or 0) + (record.refuted_claims or 0)
    sig.append(Signal("past_record", bad, -min(0.75, 0.25 * bad) if bad else 0.0,
                      "contradicted posts and claims (the two above): -0.25 each, at most -0.75"))
    w = 1.0 + sum(s.effect for s in sig)
    return Credibility(min(MAX_WEIGHT, max(MIN_WEIGHT, w)), sig, own, bool(own))
