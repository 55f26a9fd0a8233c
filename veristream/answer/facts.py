"""What the posts agree on: the facts an answer leads with (issue 16, "answers lead with the facts").

The same reading of posts as `verify` (`verify.assertions.read_posts`): each post's places,
numbers with their units, causes and actors, plus what kind of event it reports. A value is a
*fact* here when independent sources state it (`verify.independence`: a story counts once, an
author once; 100 copies of one post are one source), and it is shown with how many and a
post that states it, cited. What the question already says is no news and is left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import all_words
from ..retrieve import Hit
from ..verify.assertions import norm_name, read_posts
from ..verify.independence import Item, corroboration

MAX_POSTS = 80  # posts read (best first): enough for the sources of a fact, bounded in time (~1 ms each)
MAX_FACTS = 5
MIN_SOURCES = 2
MARGIN = 2.0  # a value is agreed on when it has this many times the sources of the next one in its role
BROAD_SHARE = 0.05  # what happened and where: also stated by this share of the authors read
ROLES = ("what", "where", "region", "from", "to", "dead", "injured", "missing", "evacuated", "magnitude", "cause", "who")
_NUMBER_ROLES = {"deaths": "dead", "injured": "injured", "missing": "missing", "evacuated": "evacuated",
                 "magnitude": "magnitude"}
# What kind of event a post reports, in the words posts use for it.
_EVENTS = {"explosion": "explosion", "explosions": "explosion", "exploded": "explosion", "blast": "explosion",
           "blasts": "explosion", "bomb": "bombing", "bombs": "bombing", "bombing": "bombing", "bombings": "bombing",
           "tornado": "tornado", "tornadoes": "tornado", "flood": "flooding", "floods": "flooding",
           "flooding": "flooding", "flooded": "flooding", "earthquake": "earthquake", "quake": "earthquake",
           "hurricane": "hurricane", "storm": "storm", "fire": "fire", "fires": "fire", "wildfire": "fire",
           "shooting": "shooting", "shot": "shooting", "shots": "shooting", "gunman": "shooting",
           "crash": "crash", "crashed": "crash", "collapse": "collapse", "collapsed": "collapse",
           "siege": "siege", "hostages": "hostage-taking", "hostage": "hostage-taking", "attack": "attack",
           "attacked": "attack", "outage": "outage", "blackout": "outage", "evacuation": "evacuation",
           "evacuated": "evacuation", "landslide": "landslide", "tsunami": "tsunami", "derailed": "derailment",
           "derailment": "derailment", "stabbing": "stabbing", "riot": "riot", "riots": "riot", "protest": "protest",
           "protests": "protest"}
_WORD = re.compile(r"[a-z]+")
# Titles and ranks the readers take for a name when a post abbreviates one ("Cpl. Nathan Cirillo").
_TITLES = {"cpl", "sgt", "pte", "pvt", "lt", "capt", "col", "gen", "mr", "mrs", "ms", "dr", "officer", "sir",
           "cpl.", "sgt.", "mr.", "mrs.", "dr.", "st", "st.", "rev", "prof"}


@dataclass(slots=True)
class Fact:
    role: str  # one of ROLES
    value: str
    sources: int  # independent sources stating it
    posts: int
    hit: Hit  # the earliest post stating it, among those counted: what the fact cites


def facts(question: str, posts: Sequence[Hit], kind: str | None = None) -> list[Fact]:
    """The best-corroborated value of each role the posts state, strongest first (the roles
    the question asks about first: `kind` where / count / who / why / what)."""
    hits = list(posts[:MAX_POSTS])
    if not hits:
        return []
    said = [all_words(h.post) for h in hits]
    read = read_posts(said, [h.post.created_at for h in hits])
    asked = norm_name(question)
    by: dict[tuple[str, str], list[int]] = defaultdict(list)
    shown: dict[tuple[str, str], str] = {}

    def add(role: str, value: str, i: int, key: str | None = None) -> None:
        k = (role, key or norm_name(value))
        if not k[1] or (k[1] in asked if not k[1].isascii() else  # spaceless scripts have no word edges
                        re.search(r"(?<!\w)" + re.escape(k[1]) + r"(?!\w)", asked)):
            return  # the question's own words are no news
        if not by[k] or by[k][-1] != i:
            by[k].append(i)
        shown.setdefault(k, value)

    for i, (text, f) in enumerate(zip(said, read)):
        for w in set(_WORD.findall(text.lower())):
            if w in _EVENTS:
                add("what", _EVENTS[w], i)
        for p in f.places:
            level, prep = f.place_info.get(norm_name(p), ("city", "at"))
            if level == "event":
                continue
            # a country is no rival of a town in it, nor an origin of a destination: each its own role
            add(prep if prep in ("from", "to") else "region" if level in ("state", "country") else "where", p, i)
        for n in f.numbers:
            role = _NUMBER_ROLES.get(n.unit)
            if role:
                v = int(n.value) if float(n.value).is_integer() else n.value
                add(role, n.text if n.lo != n.hi else str(v), i, f"{n.lo}-{n.hi}")
        for c in f.causes:
            add("cause", c, i)
        for a in f.agents:
            if norm_name(a) not in _TITLES:
                add("who", a, i)
    authors = len({h.post.author.id or h.post.author.handle or h.post.key for h in hits})
    found: dict[str, list[Fact]] = defaultdict(list)
    for (role, key), idx in by.items():
        c = corroboration([Item(hits[i].post.key, hits[i].post.author.id or hits[i].post.author.handle or hits[i].post.key,
                                hits[i].story.id if hits[i].story else None, hits[i].post.created_at) for i in idx])
        if c.authors < MIN_SOURCES:
            continue
        kept = set(c.counted)
        counted = [hits[i] for i in idx if hits[i].post.key in kept] or [hits[idx[0]]]
        found[role].append(Fact(role, shown[(role, key)], c.authors, c.posts, min(counted, key=lambda h: h.post.created_at)))
    first = ASKED.get(kind or "", ())
    best: dict[str, Fact] = {}
    for role, fs in found.items():
        fs.sort(key=lambda f: (-f.sources, -f.posts))
        top, runner = fs[0], (fs[1].sources if len(fs) > 1 else 0)
        if top.sources < MARGIN * runner:
            continue  # disputed, not agreed (the digest's disagreement lines show values that conflict)
        if role in ("what", "where", "region", "from", "to") and role not in first and \
                top.sources < BROAD_SHARE * authors:
            continue  # a place a few posts about something else name (unless where is what is asked)
        best[role] = top
    order = sorted(best.values(), key=lambda f: (f.role not in first, -f.sources, ROLES.index(f.role)))
    return order[:MAX_FACTS]


# What an English question asks for, first match wins, and the roles that answer it first.
_KINDS = [(kind, re.compile(rx)) for kind, rx in [
    ("from", r"\b(?:where|which \w+)\b.*\b(?:from|take off|took off|depart\w*|originally)\b|\borigin\b"),
    ("to", r"\bwhere\b.*\b(?:going|headed|heading|bound|flying to)\b|\bdestination\b"),
    ("where", r"\bwhere\b|\bwhich (?:town|city|state|country|place|area|county|province|school|site)"),
    ("count", r"\bhow (?:many|much)\b|\bdeath toll\b|\bnumber of\b"),
    ("who", r"\bwho\b"),
    ("why", r"\bwhy\b|\bwhat caused\b|\bcause\b"),
    ("what", r"\bwhat\b"),
]]
ASKED = {"where": ("where", "region"), "from": ("from", "where"), "to": ("to", "where"),
         "count": ("dead", "injured", "missing", "evacuated", "magnitude"), "who": ("who",), "why": ("cause",),
         "what": ("what",)}


def question_kind(question: str) -> str | None:
    """What an English question asks for: from, to, where, count (how many/much), who, why, what."""
    q = question.lower()
    return next((kind for kind, rx in _KINDS if rx.search(q)), None)
