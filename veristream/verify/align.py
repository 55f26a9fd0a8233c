"""Aligning posts with a claim's assertions, and what the stream says about each.

For each assertion (`assertions.py`) a post *confirms* it (states the same value: the place
named, a compatible number of the same unit, the same date, the cause or agent or one of its
synonyms), *conflicts* with it (states another value in the same role: another town for
the event, another magnitude, another count of the dead, another stated cause or suspect), or
is *silent*. A detail the claim denies ("not caused by a bomb") turns the two round.

Per assertion, the confirming and the conflicting posts are counted as independent sources
(`independence.corroboration`: copies once, an author once, weighed by credibility) and the
assertion gets a status:

* `confirmed`: `min_sources` independent sources state it and the conflicting ones hold less
  than `contested_share` of the weight;
* `conflicted`: `min_sources` independent sources state another value and the confirming
  ones hold less than `contested_share` of the weight;
* `disputed`: both sides have `min_sources` and the smaller holds `contested_share` or more;
* `unaddressed`: too few sources state anything about it.

A post is evidence *for* the claim when it confirms at least one assertion, conflicts with
none, and is not silent on an assertion the stream leaves unaddressed (a post about the
outage is context for "the outage was caused by a cyberattack", not support); *against* when
it conflicts with one. The verdict (`verdict.decide_assertions`): any conflicted detail ->
refuted; any disputed -> contested; any unaddressed -> unverified, whatever the topic's volume;
all confirmed -> the weighed sides decide as before (explicit denials still count against).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .assertions import (BROAD, STATE_ABBR, Assertion, ClaimReading, DateRef, PostFacts, mentions, norm_name,
                         related)
from .independence import Corroboration, Item, corroboration

CONFIRMS, CONFLICTS = "confirms", "conflicts"
SHOWN_KEYS = 8
SHOWN_VALUES = 4


@dataclass(slots=True)
class Alignment:
    """One post against one assertion."""

    relation: str  # confirms | conflicts
    value: str  # what the post says in that role


@dataclass(slots=True)
class ValueCount:
    value: str
    sources: int
    posts: int
    keys: list[str]

    def to_dict(self) -> dict:
        return {"value": self.value, "sources": self.sources, "posts": self.posts, "keys": self.keys}


@dataclass(slots=True)
class AssertionResult:
    """What the claim says in one role, and what the stream says."""

    assertion: Assertion
    status: str = "unaddressed"  # confirmed | conflicted | disputed | unaddressed
    confirm: Corroboration = field(default_factory=Corroboration)
    conflict: Corroboration = field(default_factory=Corroboration)
    confirm_keys: list[str] = field(default_factory=list)
    conflict_keys: list[str] = field(default_factory=list)
    other_values: list[ValueCount] = field(default_factory=list)  # the conflicting values, most sources first
    summary: str = ""

    def to_dict(self) -> dict:
        a = self.assertion
        return {"kind": a.kind, "role": a.role, "claim_value": a.value, "negated": a.negated, "status": self.status,
                "confirm": {"sources": self.confirm.authors, "posts": self.confirm.posts,
                            "weight": round(self.confirm.weight, 3), "keys": self.confirm_keys[:SHOWN_KEYS]},
                "conflict": {"sources": self.conflict.authors, "posts": self.conflict.posts,
                             "weight": round(self.conflict.weight, 3), "keys": self.conflict_keys[:SHOWN_KEYS],
                             "values": [v.to_dict() for v in self.other_values[:SHOWN_VALUES]]},
                "summary": self.summary}


def _aliases(v: str) -> list[str]:
    n = norm_name(v)
    out = [v]
    out += [k.upper() for k, full in STATE_ABBR.items() if full == n]
    return out


def distinguishing(reading: ClaimReading) -> set[int]:
    """The assertions a post must state to support the claim: its numbers, dates, causes,
    actors and owners; its places and names when it asserts nothing else (they anchor the
    topic: a post about the outage at the stadium does not say what caused it)."""
    out = {i for i, a in enumerate(reading.assertions) if a.kind not in ("place", "who")}
    return out or set(range(len(reading.assertions)))


def align_post(reading: ClaimReading, f: PostFacts, at: datetime | None) -> dict[int, Alignment]:
    """Each assertion (by index) the post confirms or conflicts with."""
    out: dict[int, Alignment] = {}
    claim_places = [norm_name(a.value) for a in reading.assertions if a.kind == "place"]
    for i, a in enumerate(reading.assertions):
        got = _align(a, f, at, claim_places)
        if got is None:
            continue
        if a.negated:  # the claim denies this detail: stating it contradicts the claim
            got = Alignment(CONFLICTS if got.relation == CONFIRMS else CONFIRMS, got.value)
        out[i] = got
    return out


def _align(a: Assertion, f: PostFacts, at: datetime | None, claim_places: list[str]) -> Alignment | None:
    if a.kind == "place":
        if any(mentions(f.lower, f.words, x) if not x.isupper() else x in f.lower.upper().split()
               for x in _aliases(a.value)):
            return Alignment(CONFIRMS, a.value)
        v = norm_name(a.value)
        broad = v in BROAD
        for p in f.places:
            n = norm_name(p)
            if not n or n in f.near_places or any(related(n, c) or n in c or c in n for c in claim_places):
                continue
            if (n in BROAD) != broad:
                continue  # a region is no rival of a town, nor a town of a region
            return Alignment(CONFLICTS, p)  # another town (or region) named for the event
        return None
    if a.kind == "number":
        assert a.number is not None
        same = [n for n in f.numbers if n.unit == a.number.unit]
        if not same:
            return None
        ok = [n for n in same if a.number.compatible(n)]
        if ok:
            return Alignment(CONFIRMS, ok[0].text)
        return Alignment(CONFLICTS, _num_label(same[0]))
    if a.kind == "date":
        assert a.date is not None
        return _align_date(a.date, f, at)
    if a.kind in ("cause", "agent", "owner"):
        stated = {"cause": f.causes, "agent": f.agents, "owner": f.owners}[a.kind]
        if a.kind == "agent":
            stated = stated + f.causes
        named = _names(a.value, f)
        if named:
            if f.question:
                return None
            if f.negated and _denied_near(f.lower, a.value):
                return Alignment(CONFLICTS, "not " + a.value)
            return Alignment(CONFIRMS, a.value)
        others = [s for s in stated if not related(s, a.value)]
        if others and not f.question:
            return Alignment(CONFLICTS, others[0])
        return None
    if a.kind == "who":
        if _names(a.value, f):
            return Alignment(CONFIRMS, a.value)
        return None
    return None


def _names(value: str, f: PostFacts) -> bool:
    if mentions(f.lower, f.words, value):
        return True
    words = [w for w in norm_name(value).split() if len(w) >= 4]
    if words and words[-1] in f.words and len(words) <= 3:
        return True  # a surname, a company's first word: "Tsarnaev", "Adair"
    return any(related(value, w) for w in f.words if len(w) >= 4 and w.isalpha()) if len(words) <= 1 else False


def _denied_near(low: str, value: str) -> bool:
    import re

    head = norm_name(value).split()[-1] if norm_name(value) else ""
    i = low.find(head)
    if i < 0:
        return False
    window = low[max(0, i - 50):i + len(head) + 30]
    return re.search(r"\b(?:not|no|never|ruled out|rules out|denied|denies|deny|isn't|wasn't|hoax|fake|false|"
                     r"rumou?r|untrue)\b|n't\b", window) is not None


def _num_label(n) -> str:
    v = int(n.value) if float(n.value).is_integer() else n.value
    unit = n.unit[2:] + "s" if n.unit.startswith("n:") else n.unit
    if n.lo != n.hi:
        return n.text
    return f"{v:,} {unit}" if unit != "magnitude" else f"magnitude {v}"


def _align_date(d: DateRef, f: PostFacts, at: datetime | None) -> Alignment | None:
    claim_year_unknown = d.weekday is None and d.lo.year == 2000 and d.hi.year == 2000
    stated = [x for x in f.dates if not x.year_only or not claim_year_unknown]
    if stated:
        for x in stated:
            if _date_ok(d, x, claim_year_unknown):
                return Alignment(CONFIRMS, x.text)
        return Alignment(CONFLICTS, stated[0].text)
    if at is None or d.weekday is not None:
        return None
    # Dated by the post's own time: a post reporting the event before the claimed day conflicts.
    lo = d.lo if not claim_year_unknown else _with_year(d.lo, at.year)
    if lo is not None and at.date() < lo - timedelta(days=1):
        return Alignment(CONFLICTS, f"reported on {at.date().isoformat()}")
    return None


def _with_year(d: date, year: int) -> date | None:
    try:
        return d.replace(year=year)
    except ValueError:
        return None


def _date_ok(claim: DateRef, post: DateRef, year_unknown: bool) -> bool:
    if year_unknown and post.weekday is None:
        if post.year_only:
            return True
        days = {(post.lo + timedelta(days=i)).timetuple()[1:3] for i in range(min(5, (post.hi - post.lo).days + 1))}
        return claim.lo.timetuple()[1:3] in days
    return claim.compatible(post)


@dataclass(slots=True)
class Aligned:
    """One post's reading, for the tallies."""

    key: str
    author_id: str
    story: int | None
    time: datetime
    weight: float
    domains: list[str]
    links: dict[int, Alignment]


def tally(reading: ClaimReading, posts: list[Aligned], min_sources: int = 2,
          contested_share: float = 0.3) -> list[AssertionResult]:
    out = []
    for i, a in enumerate(reading.assertions):
        conf_items, conf_keys, conflict_items, conflict_keys = [], [], [], []
        by_value: dict[str, list[Item]] = defaultdict(list)
        for p in posts:
            link = p.links.get(i)
            if link is None:
                continue
            it = Item(p.key, p.author_id, p.story, p.time, p.weight, p.domains)
            if link.relation == CONFIRMS:
                conf_items.append(it)
                conf_keys.append(p.key)
            else:
                conflict_items.append(it)
                conflict_keys.append(p.key)
                by_value[_value_key(a, link.value)].append(it)
        r = AssertionResult(a, confirm=corroboration(conf_items), conflict=corroboration(conflict_items))
        r.confirm_keys = list(r.confirm.counted) + [k for k in conf_keys if k not in r.confirm.counted]
        r.conflict_keys = list(r.conflict.counted) + [k for k in conflict_keys if k not in r.conflict.counted]
        vals = []
        for v, items in by_value.items():
            c = corroboration(items)
            vals.append(ValueCount(v, c.authors, c.posts, c.counted[:SHOWN_KEYS]))
        r.other_values = sorted(vals, key=lambda v: (-v.sources, -v.posts, v.value))
        C, X = r.confirm.weight, r.conflict.weight
        nc, nx = r.confirm.authors, r.conflict.authors
        minority = min(C, X) / (C + X) if C + X > 0 else 0.0
        if nc >= min_sources and nx >= min_sources and minority >= contested_share:
            r.status = "disputed"
        elif nc >= min_sources and (X / (C + X) < contested_share):
            r.status = "confirmed"
        elif nx >= min_sources and (C / (C + X) < contested_share):
            r.status = "conflicted"
        else:
            r.status = "unaddressed"
        r.summary = summary(r)
        out.append(r)
    return out


def _value_key(a: Assertion, v: str) -> str:
    return norm_name(v) if a.kind in ("place", "cause", "agent", "owner", "who") else v


def describe(a: Assertion) -> str:
    what = {"place": "place", "date": "date", "cause": "cause", "agent": "who did it", "owner": "owner",
            "who": "named"}.get(a.kind)
    if a.kind == "number":
        what = a.role[2:] + "s" if a.role.startswith("n:") else a.role.replace("_", " ")
    return f"{what}: the claim says {'not ' if a.negated else ''}{a.value}"


def summary(r: AssertionResult) -> str:
    a = r.assertion
    head = describe(a)
    if r.confirm.posts == 0 and r.conflict.posts == 0:
        noun = {"cause": "a cause", "agent": "who did it", "owner": "an owner", "place": "a place",
                "date": "a date", "who": a.value}.get(a.kind, f"a number of {a.role}")
        return f"{head}; no post states {noun}"
    bits = [f"{r.confirm.authors} independent source(s) say so ({r.confirm.posts} post(s))"]
    if r.other_values:
        vals = ", ".join(f"{v.value} ({v.sources})" for v in r.other_values[:SHOWN_VALUES])
        bits.append(f"{r.conflict.authors} say otherwise ({r.conflict.posts} post(s)): {vals}")
    return f"{head}; {'; '.join(bits)} -> {r.status}"
