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

import math
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from .. import words
from .assertions import (BEARING, GOING, NUM_WORDS, _person_family, occupation_key, STORM_NAME_RX, affiliated_noun, _PERSON_FAMILIES, _PERSON_NOUNS, ORG_KIND_NOUNS, ORG_TAIL, TITLE_ALT, STATES, _KIND_WORD, _PLACE_WORD, _SITE_WORD, _SYN, SITE_KINDS, _common, _TITLE_FAMILY, TITLE_WORDS, BROAD, DENIAL_RX, GENERIC, LIGHT, NATIONS,
                         ROLE_KINDS, STATE_ABBR, Assertion, ClaimReading, DateRef, Number, PostFacts, RoleFact, head_word,
                         fold_marks, hours_compatible, mentions, norm_name, outcome_said, words_within, read_means, related, role_family, ROLE_FAMILIES, kinds_fit, read_dates, role_key, same_origin, same_person,
                         singular, word_set)
from .independence import Corroboration, Item, corroboration

# Postal codes of US states, Canadian provinces and Australian states: general knowledge, matched in
# capitals only ("Branson, MO"; "mo", "in", "me" are words).
STATE_CODES = {code: name for line in """
AL alabama|AK alaska|AZ arizona|AR arkansas|CA california|CO colorado|CT connecticut|DE delaware|FL florida|GA georgia
HI hawaii|ID idaho|IL illinois|IN indiana|IA iowa|KS kansas|KY kentucky|LA louisiana|ME maine|MD maryland
MA massachusetts|MI michigan|MN minnesota|MS mississippi|MO missouri|MT montana|NE nebraska|NV nevada
NH new hampshire|NJ new jersey|NM new mexico|NY new york|NC north carolina|ND north dakota|OH ohio|OK oklahoma
OR oregon|PA pennsylvania|RI rhode island|SC south carolina|SD south dakota|TN tennessee|TX texas|UT utah
VT vermont|VA virginia|WA washington|WV west virginia|WI wisconsin|WY wyoming|AB alberta|BC british columbia
MB manitoba|NB new brunswick|NL newfoundland|NS nova scotia|ON ontario|PE prince edward island|QC quebec
SK saskatchewan|QLD queensland|NSW new south wales|VIC victoria|TAS tasmania|SA south australia
NT northern territory""".split("\n") for item in line.split("|") if item.strip()
                for code, name in [item.strip().split(" ", 1)]}

CONFIRMS, CONFLICTS = "confirms", "conflicts"
SHOWN_KEYS = 8
SHOWN_VALUES = 4


@dataclass(slots=True)
class Alignment:
    """One post against one assertion."""

    relation: str  # confirms | conflicts
    value: str  # what the post says in that role
    number: object = None  # the post's Number, for numbers
    denial: bool = False  # a conflict that is the claim's own value denied ("not X"), not another value


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
    superseded: int = 0  # posts with an earlier, lower count of a toll that grew
    later: int = 0  # posts with a count first stated after the claim's, which says what early reports said
    stray: int = 0  # sources of other values no second source states (shown, not counted)
    elsewhen: int = 0  # posts with another value from other days than the claim's value (another event)
    area_others: int = 0  # sources naming other places an area event struck too (not counted against)
    other_givers: int = 0  # sources naming others who gave too, where the claim's giver is confirmed (not counted)
    lone: str = ""  # why one source decides the detail ("" when it does not): LONE_REPEATED or LONE_ON_TOPIC
    repeated: int = 0  # other authors repeating that one source

    def to_dict(self) -> dict:
        a = self.assertion
        return {"kind": a.kind, "role": a.role, "claim_value": a.value, "negated": a.negated, "status": self.status,
                "confirm": {"sources": self.confirm.authors, "posts": self.confirm.posts,
                            "weight": round(self.confirm.weight, 3), "keys": self.confirm_keys[:SHOWN_KEYS]},
                "conflict": {"sources": self.conflict.authors, "posts": self.conflict.posts,
                             "weight": round(self.conflict.weight, 3), "keys": self.conflict_keys[:SHOWN_KEYS],
                             "values": [v.to_dict() for v in self.other_values[:SHOWN_VALUES]],
                             "uncorroborated_sources": self.stray, "superseded_posts": self.superseded,
                             "other_givers_sources": self.other_givers,
                             "lone_source": self.lone, "repeated_by": self.repeated},
                "summary": self.summary}


def _aliases(v: str) -> list[str]:
    n = norm_name(v)
    out = [v]
    out += [k.upper() for k, full in STATE_ABBR.items() if full == n]
    out += [k for k, full in STATE_CODES.items() if full == n and k not in out]  # "Branson, MO": Missouri
    return out


# How news is reported, not what happened: never a topic word.
REPORTING = {"confirm", "confirmed", "report", "reported", "reports", "say", "said", "says", "according", "official",
             "officials", "announce", "announced", "breaking", "news", "update", "claim", "claims", "claimed",
             # connectives: "because of" is how a cause is said, not what happened
             "because", "due", "despite", "owing", "thanks",
             # and how clauses are joined ("asked for aid even though he had voted against it")
             "even", "though", "although", "whereas", "however", "yet", "also", "meanwhile", "instead", "whilst",
             "while",
             # and how a claim says that something was said ("unfounded posts claimed", "was rumoured to")
             "rumour", "rumours", "rumor", "rumors", "rumoured", "rumored", "posts", "tweets", "tweeted", "quoted",
             "saying", "unfounded", "unconfirmed", "conspiracy", "theory", "whether", "spread", "widely"}


# Kinds of event, by the words posts name them with (as said: "fired" is what shots are): a claim
# and a post naming kinds of event, none the same, tell of different things.
EVENT_KINDS = {kind: frozenset(ws.split()) for kind, ws in {
    "fire": "fire fires blaze blazes wildfire wildfires ablaze flames",
    "flood": "flood floods flooding flooded floodwater floodwaters",
    "explosion": "explosion explosions exploded explode blast blasts bomb bombs bombing bombings",
    "shooting": "shooting shootings gunman gunmen gunfire shooter",  # not "shots": photos are
    "tornado": "tornado tornadoes twister",
    "earthquake": "earthquake earthquakes quake",
}.items()}  # not what follows from one of them (a collapse, a crash, a power cut): a tornado's posts say those


# "fire" of a fire service or of guns is no fire ("fire crews", "opened fire", "shots fired").
_NOT_A_FIRE = re.compile(r"\b(?:open(?:s|ed|ing)?\s+|cease)fire\b|\bfire\s*(?:department|dept|crews?|chief|station|"
                         r"fighters?|trucks?|engines?|service|marshal|rescue|hydrant|alarm|officials?|teams?)\b")


_ORDINAL_NUMBER = {words.stem(w): str(i) for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth".split(), 1)}


def _event_kinds(text: str) -> set[str]:
    low = _NOT_A_FIRE.sub(" ", text.lower())
    said = set(re.findall(r"[a-z]+", low))
    return {kind for kind, ws in EVENT_KINDS.items() if ws & said}


# Nouns a claim names its party by again ("Boston Bruins fans sang ... at the team's first home game").
_REFERS_RX = re.compile(r"\bthe\s+(" + "|".join(sorted(ORG_KIND_NOUNS)) + r"|organi[sz]ation|league|franchise|station|"
                        r"couple|party|side|squad|outfit|singer|star|actor|actress|player|rapper|politician|"
                        r"minister|president|leader)(?:'s|’s)?\b", re.IGNORECASE)


# A phrase dating the claim by the event it belongs to ("after the tornado", "on the day of the
# marathon bombing", "during Hurricane Sandy"): when, not what happened; a post stating what the
# claim says need not name the event again. Only the short form: "after being hit by a falling
# tree" is a cause, "after the attack had a print run" a clause of its own.
_DATING_RX = re.compile(
    r"\b(?i:after|before|following|during|amid|ahead of|in the wake of|on the day of)\s+(?:the\s+)?"
    r"(?:[A-Z][\w'’]*\s+){0,3}(?:[a-z]+\s+)?"
    r"(?:(?i:tornado|twister|floods?|flooding|attacks?|siege|bombings?|explosions?|blasts?|shootings?|crash|"
    r"absence|disappearance|landfall|fire|earthquake|quake|riots?|protests?|hostage crisis)"
    r"|(?i:hurricane|storm|cyclone)(?:\s+[A-Z][a-z]+)?)\b")

# "early reports said ...": when it was said (`ClaimReading.early`), not what happened
_EARLY_RX = re.compile(r"\b(?:early|earlier|initial|first|preliminary)\s+(?:news\s+)?reports?\b", re.IGNORECASE)

# "placed on leave", "placed under arrest": as light a verb as "put" (assertions.LIGHT), whose
# object says what happened; a post saying "put on leave" says the same
_PLACING = {"place", "placed", "places", "placing"}
_PAID_RX = re.compile(r"\bpa(?:y|ys|id|ying)\s+(?=(?:a\s+)?(?:tribute|tributes|respects?|homage)\b)", re.IGNORECASE)
_ASKED_RX = re.compile(r"\b(ask(?:ed|s|ing)?|wonder(?:ed|s|ing)?)\s+(?:whether|if)\b", re.IGNORECASE)
# What a thing showed ("A cockpit recording showed that one of the pilots had been locked out"): the
# evidence is how it was learned, the clause what happened; posts telling the clause from another
# source ("the black box shows", "the NYT reports") state it. Not a person's word ("X confirmed that").
_SHOWED_RX = re.compile(r"^\W*(?:(?i:an?|the)\s+)?((?:[a-z][\w'\-]*\s+){0,3}?)(show(?:ed|s|n)?|reveal(?:ed|s)?|"
                        r"indicat(?:ed|es)|suggest(?:ed|s))\s+that\b")
# When, in words a post seldom repeats ("the day after the attack"): a stated date or time is an
# assertion of its own, read apart.
_WHEN_WORDS = {"day", "days", "night", "nights", "week", "weeks", "morning", "afternoon", "evening", "today",
               "tonight", "yesterday", "tomorrow"}
# Going to a place the claim names ("travelled to Moore, Oklahoma, to help"): the place is what
# is said; a post telling that the party is there ("X is in Moore", "X visits Moore") says the same.
_GOING_RX = re.compile(r"\b(?:" + GOING.pattern + r")\s+(?:back\s+)?(?:to|in|into|at)\s*(?=[,.;:]|$)", re.IGNORECASE)
# Where, relative to a named place ("north-east of Paris", "25 miles south of"): the bearing places
# the event, as the place does; a post naming the place need not repeat it ("near Paris").
_BEARING_RX = re.compile(r"\b(?:" + BEARING.pattern + r")\s+of\b", re.IGNORECASE)


class Topic:
    """How much of what the claim says happened a post states: the claim's topic words, each
    weighed by how rare it is among the posts gathered (a word few of them use, "lightning",
    "garage", is what the claim adds to the event and weighs most); a word counts by its first
    five letters or a synonym ("exploded" ~ "explosion")."""

    def __init__(self, topic: str, texts: list[str], among: list[int] | None = None, loose: Collection[str] = ()):
        """`among`: the posts whose use of a word tells whether it is novel (default: all). The
        posts gathered were found by the claim's words, so among them its predicate is common
        ("cancelled", "fire"); among those naming the claim's places and parties it is not."""
        # "the team", "the company": the claim's named party said again, not something it adds; a
        # title ("Senator", "Premier") says whom the claim speaks of, not what happened
        framing = {words.stem(m.group(1).lower()) for m in _REFERS_RX.finditer(topic)} if among is not None else set()
        # "asked whether X": how the claim reports a question, not what happened
        framing |= {words.stem(m.group(1).lower()) for m in _ASKED_RX.finditer(topic)}
        if (shown := _SHOWED_RX.match(topic)) is not None:
            clause = {words.stem(w) for w in words.keywords(topic[shown.end():])}
            framing |= {st for w in [*shown.group(1).split(), shown.group(2)] if (st := words.stem(w.lower())) not in clause}
        def stems_of(text: str) -> list[str]:
            return list(dict.fromkeys(st for w in words.keywords(text)
                                      if (st := words.stem(w)) not in REPORTING and w not in REPORTING
                                      and w not in LIGHT and w not in _PLACING and w not in TITLE_WORDS
                                      and w not in _WHEN_WORDS
                                      # "the two suspects": a count the claim asserts is read apart
                                      # (assertions); one it does not is how it refers, not what happened
                                      and w not in NUM_WORDS
                                      and w not in words.LINK_WORDS
                                      and st not in framing))
        topic = _PAID_RX.sub("", topic)  # "paid tribute": the tribute is what is said ("honors")
        topic = _GOING_RX.sub(" ", _BEARING_RX.sub(" ", topic))
        undated = stems_of(_EARLY_RX.sub(" ", _DATING_RX.sub(" ", topic)))
        self.stems = undated if undated else stems_of(topic)
        # a verb with its particle is one word: "knocked down" is not "knocked out"
        self.phrasal = {words.stem(m.group(1).lower()): m.group(2).lower()
                        for m in re.finditer(r"\b([A-Za-z]{3,})\s+(down|out|up|off|over|away)\b", topic)}
        # a topic's ordinal said by its number ("Suspect #1", "no. 2", "the 3rd"), read once per claim
        self.ordinals = {st: re.compile(r"(?:#|\bno\.?\s?|\bnumber\s)" + _ORDINAL_NUMBER[st] + r"\b|\b" +
                                        _ORDINAL_NUMBER[st] + r"(?:st|nd|rd|th)\b", re.IGNORECASE)
                         for st in self.stems if st in _ORDINAL_NUMBER}
        self.have = [self._ordinals(self._particles(self._present(words.content_stems(t)), t), t) for t in texts]
        # what happened, by kind: a post telling of another kind of event than the claim's (a flood
        # for "a fire destroyed the grounds") is not on its topic, however many other words it shares
        self.events = _event_kinds(topic)
        self.post_events = [_event_kinds(t) for t in texts]
        n = len(texts)
        df = {st: sum(st in h for h in self.have) for st in self.stems}
        self.weight = {st: math.log((n + 1) / (df[st] + 0.5)) + 0.1 for st in self.stems}
        # a topic word few posts use: the claim adds something to the event (a novel predicate)
        # (a rarity counted over too few posts says nothing: under 20 posts, no word is novel)
        pool = among if among is not None and len(among) >= 20 else range(n)
        m = len(pool)
        pdf = {st: sum(st in self.have[i] for i in pool) for st in self.stems}
        self.novel_stems = {st for st in self.stems if pdf[st] < max(2, 0.05 * m) and st not in loose} if m >= 20 else set()
        self.novel = bool(self.novel_stems)
        self.common = words.lower_case_words(texts)  # common words, whatever a headline capitalises

    def has(self, word: str, text: str) -> bool:
        """Whether a post uses this word (by stem, first five letters or a synonym)."""
        have = words.content_stems(text)
        st = words.stem(word)
        return st in have or st[:5] in {h[:5] for h in have} or any(words.stem(x) in have for x in _SYN.get(word, ()))

    def _particles(self, present: set[str], text: str) -> set[str]:
        low = text.lower()
        for st, particle in self.phrasal.items():
            if st in present and not re.search(r"\b" + re.escape(st[:5]) + r"\w*\s+" + particle + r"\b", low):
                present = present - {st}
        return present

    def _ordinals(self, present: set[str], text: str) -> set[str]:
        """An ordinal said by its number: "Suspect #1", "No. 2", "the 3rd" are first, second, third."""
        for st, rx in self.ordinals.items():
            if st not in present and rx.search(text):
                present = present | {st}
        return present

    def _present(self, have: set[str]) -> set[str]:
        pre = {h[:5] for h in have}
        # synonyms by the stem: the topic's words are stems ("tribut" is "tribute"'s)
        return {st for st in self.stems if st in have or st[:5] in pre or words.equivalent_stems(st) & have}

    def share(self, i: int) -> float:
        """The share of the topic's words post i uses, each counted once."""
        return len(self.have[i]) / len(self.stems) if self.stems else 1.0

    def other_event(self, i: int) -> bool:
        """Post i tells of another kind of event than the claim (a flood for a fire), none the same."""
        return bool(self.events and self.post_events[i] and not self.events & self.post_events[i])

    def lexical(self, i: int) -> bool:
        if not self.stems:
            return True
        if self.other_event(i):
            return False
        total = sum(self.weight.values())
        held = sum(self.weight[st] for st in self.have[i])
        missing = self.novel_stems - self.have[i]
        # silent on some of what the claim adds to the event ("fire" for the flooded grounds); of
        # three or more such words, one left out of a post stating most of the rest is a paraphrase
        # ("Romney uses campaign bus to deliver hurricane relief" for "relief supplies")
        if missing and not (3 * len(missing) <= len(self.novel_stems) and held >= 0.75 * total):
            return False
        return held >= 0.5 * total or len(self.have[i]) >= 0.6 * len(self.stems)


# A phrase that dates what a claim says by another event ("after the explosion", "during the siege").
_OTHER_TIME_RX = re.compile(r"\b(?:after|before|following|since|during|amid|ahead of|in the wake of)\b[^,;.]*",
                            re.IGNORECASE)
# For whom it was done: the event the victims were of is not the act a day is said of ("attend a
# service on Thursday for the victims of the marathon bombing": "today" beside "bombing" is no rival).
_FOR_WHOM_RX = re.compile(r"\bfor (?:the )?(?:victims|families|survivors|relatives|people|those)\b[^,;.]*",
                          re.IGNORECASE)


def distinguishing(reading: ClaimReading) -> set[int]:
    """The assertions a post must state to support the claim: its numbers, dates, causes,
    actors and owners; its places and names when it asserts nothing else (they anchor the
    topic: a post about the outage at the stadium does not say what caused it)."""
    out = {i for i, a in enumerate(reading.assertions) if carries(a)}
    return out or {i for i, a in enumerate(reading.assertions) if a.kind not in CHECKS} or \
        set(range(len(reading.assertions)))


def required(reading: ClaimReading) -> set[int]:
    """What a supporting post must state of a claim that asserts only places and names: all
    of them but states, countries and the event's own name ("Sandy knocked down the Brooklyn Bridge" needs posts
    naming the bridge, not posts about Sandy)."""
    if any(carries(a) for a in reading.assertions):
        return set()
    # a place in the phrase that dates the claim by its event ("during the Lindt cafe siege", "after
    # the Boston bombing") says which event, not what the claim says of it: posts need not repeat it
    # (it must still be stated by the stream: an unaddressed place leaves the claim unverified)
    dating = [m.span() for m in _OTHER_TIME_RX.finditer(reading.claim)]
    return {i for i, a in enumerate(reading.assertions) if a.kind not in CHECKS
            and not (a.kind == "place" and (a.level in ("state", "country", "event") or
                                           any(s0 <= reading.claim.find(a.value) < e0 for s0, e0 in dating)))}


ANCHORS = ("place", "who")
# Details that check a claim without carrying it: an outcome (`assertions.OUTCOMES`) stated by a
# post is not what makes it support the claim (that the marathon goes ahead is not which marathon,
# or when), one source never decides it, and stated by too few, with nothing against, it is idle.
CHECKS = ("outcome",)


def carries(a: Assertion) -> bool:
    """A detail whose statement makes a post's support: neither an anchor nor a check; a place
    said of a person ("a Dallas firefighter") is one: which person, not where it happened."""
    return (a.kind not in ANCHORS and a.kind not in CHECKS) or (a.kind == "place" and bool(a.noun))
GENERIC_SITE = {"swiss", "french", "german", "american", "british", "canadian", "australian", "spanish", "italian",
                "russian", "chinese", "japanese", "national", "local", "city", "state", "federal", "royal", "main",
                "the", "of", "fine", "arts", "art", "public", "central", "new", "old", "museum", "accepts", "trove"}  # what the claim is about, rather than what it says of it
_ALIAS = {"nyc": "new york", "new york city": "new york", "ny": "new york", "usa": "us", "u.s": "us",
          "united states": "us", "america": "us", "u.s.a": "us", "uk": "united kingdom", "britain": "united kingdom",
          "okc": "oklahoma city", "dc": "washington", "washington dc": "washington", "yyc": "calgary"}


def place_key(name: str) -> str:
    n = norm_name(name)
    n = _ALIAS.get(n, STATE_ABBR.get(n, n))
    # one place however its hyphens and accents are written ("Saint-Rémy" / "Saint Remy")
    return fold_marks(n).replace("-", " ")


_MINOR = {"of", "the", "and", "&", "de", "du", "des", "la", "le", "for", "at", "in"}


def _initials(value: str, f: PostFacts) -> bool:
    """A name said by its initials ("NYSE" for the New York Stock Exchange) or, for initials,
    in full ("Royal Canadian Mounted Police" for the RCMP)."""
    ws = [w for w in re.findall(r"[\w']+", value) if w.lower() not in _MINOR]
    if len(ws) >= 3:
        short = "".join(w[0] for w in ws).lower()
        return short in f.words and short not in GENERIC
    if len(ws) == 1 and re.fullmatch(r"[A-Z]{3,6}", ws[0]):
        gap = r"(?:\s+(?:of|the|and|&))?\s+"
        rx = r"\b" + gap.join(c + r"[a-z]+" for c in ws[0]) + r"\b"
        return re.search(rx, f.text or "") is not None
    return False


def _partial(value: str, f: PostFacts) -> bool:
    """A long name said by its rare words with a word of its kind: "Hillcrest Hospital" for
    Hillcrest Baptist Medical Center (its common words, "Baptist Medical", may be left out)."""
    toks = [t for t in value.split() if t.lower() not in _MINOR]
    if len(toks) < 3:
        return False
    rare = [t.lower() for t in toks if not _PLACE_WORD.fullmatch(t) and not _common(t)]
    if not rare or not all(w in f.words for w in rare):
        return False
    kind = r"(?:" + _SITE_WORD.pattern[2:-2] + r"|" + "|".join(map(re.escape, SITE_KINDS)) + r")"
    return re.search(r"\b" + re.escape(rare[-1]) + r"\W+(?:\w+\W+)?" + kind + r"\b", f.text or f.lower,
                     re.IGNORECASE) is not None


def _said(value: str, f: PostFacts) -> bool:
    """The post names the place: in full, by an abbreviation ("TX"), or, for a two-word name
    of a kind ("Hurricane Sandy", "Boston Marathon"), by the word that tells it apart; a long
    name by its initials or its rare words with its kind ("Hillcrest Hospital")."""
    for x in _aliases(value):
        if x.isupper():
            if re.search(r"(?<![\w#@])" + re.escape(x) + r"\b", f.text or ""):
                return True
        elif mentions(f.lower, f.words, x):
            return True
    if _initials(value, f) or _partial(value, f):
        return True
    toks = value.split()
    if len(toks) >= 2:
        own = [t.lower() for t in toks if not (_KIND_WORD.fullmatch(t) or _PLACE_WORD.fullmatch(t))]
        if len(own) >= 2 and own[0] in SITE_MODIFIERS:
            own = own[1:]  # "the National War Memorial" said as "the War Memorial": its own word is "War"
        if own and len(own) < len(toks):  # "Hurricane Sandy", "Briarwood Elementary School": the own words
            if not all(len(w) >= (3 if len(own) < len(toks) - 1 else 4) and w in f.words for w in own):
                return False
            # a place named for a town is not the town: "Brooklyn Bridge" needs "bridge" said too
            sites = [t.lower() for t in toks if _SITE_WORD.fullmatch(t) and not _KIND_WORD.fullmatch(t)]
            pre = {w[:4] for w in f.words}
            return not sites or any(w[:4] in pre for w in sites) or len(own) >= 2
    return False


# Generic first words of a site's name, often left out when it is said ("the War Memorial").
SITE_MODIFIERS = {"national", "royal", "international", "federal", "provincial", "state", "municipal", "central",
                  "grand", "main", "old", "historic"}


def _mid(level: str) -> str:
    return "mid" if level in ("city", "area", "") else "site" if level in ("site", "event") else level


WEAK_UNITS = ("people",)  # a count of "people" says little of its role: it needs a post on the topic


def align_post(reading: ClaimReading, f: PostFacts, at: datetime | None, lexical: bool = True,
               similar: bool = False, novel: bool = False, topic: "Topic | None" = None) -> dict[int, Alignment]:
    """Each assertion (by index) the post confirms or conflicts with. `lexical`: the post
    states what the claim says happened (most of the weight of its topic words, the rare ones
    weighing most); `similar`: it is close in meaning (MiniLM). A place or name counts from a
    lexical post (or a similar one when the claim also asserts numbers, dates, causes or
    actors); those from a lexical or similar post or one naming the claim's place or party
    (the same event), so a count from another crisis is no rival. A place another anchor of the
    claim comes with (its state, the cafe in the square) is a rival only in posts naming that too."""
    out: dict[int, Alignment] = {}
    claim_places = [norm_name(a.value) for a in reading.assertions if a.kind == "place"]
    claim_names = [a.value for a in reading.assertions if a.kind in ("who", "agent", "owner", "place")]
    if reading.reported and f.question:
        f = replace(f, question=False)  # asking whether X tells that X was said, as stating it does
    for i, a in enumerate(reading.assertions):
        got = _align(a, f, at, claim_places, claim_names, reading.area, reading.topic,
                     topic.common if topic is not None else None)
        if got is not None and reading.reported and got.denial:
            continue  # "X was NOT a gas leak" denies what was said, and tells that it was
        if got is None and a.kind == "who":
            got = _head_rival(a.value, a.noun, f)
        if got is None:
            continue
        if a.negated:  # the claim denies this detail: stating it contradicts the claim
            got = Alignment(CONFLICTS if got.relation == CONFIRMS else CONFIRMS, got.value, got.number)
        out[i] = got
    anchors = [i for i, a in enumerate(reading.assertions) if a.kind in ANCHORS]
    has_details = any(carries(a) for a in reading.assertions)
    named = {i for i in anchors if i in out and out[i].relation == CONFIRMS}
    out_named = bool(named) or any(x.relation == CONFIRMS for x in out.values())
    anchor_ok = lexical or (similar and (has_details or not novel))
    # a post stating one of the claim's own details (its count, date, cause ...) is about the same fact
    detail_said = any(carries(reading.assertions[i]) and x.relation == CONFIRMS and
                      not reading.assertions[i].negated for i, x in out.items())
    for i in list(out):
        a = reading.assertions[i]
        if a.kind == "place" and a.of and not _names(a.of, f):
            del out[i]  # where the actor did it: said by a post naming the actor ("Abbott visiting flood-hit X")
            continue
        if a.kind in ANCHORS:
            others = [j for j in anchors if j != i]
            # a storm's name ("Hurricane Sandy"), the event's own, is stated by any post naming it: a post need not
            # be on the claim's topic to tell that the event happened (nor is it a rival from one)
            own_event = a.kind == "place" and a.level == "event" and STORM_NAME_RX.match(a.value) is not None and \
                out[i].relation == CONFIRMS
            # (another place of such a person, "a Dallas firefighter", is no other event's: `a.noun`)
            if (not anchor_ok and not own_event) or \
                    (out[i].relation == CONFLICTS and others and not (named & set(others)) and not a.noun):
                del out[i]
            elif a.verb and topic is not None and not own_event and not topic.has(a.verb, f.text or f.lower) and \
                    not (detail_said and out[i].relation == CONFIRMS):
                del out[i]  # "trained in Syria": a post that does not speak of training says nothing of where
        elif a.kind == "number" and a.role in WEAK_UNITS and not any(x.startswith("c:") for x in a.number.about):
            if not lexical:
                del out[i]
        elif a.kind == "number" and (a.role.startswith("n:") or a.role in WEAK_UNITS):
            # a count of a noun the claim names ("four bombs", "54,000 pounds"), or of people of a kind it
            # names ("five firefighters"): from a post on the topic, or one naming the claim's places or
            # parties (the same event)
            if not (lexical or similar or named):
                del out[i]
        elif a.kind == "agent" and a.verb and out[i].relation == CONFLICTS and anchors and not named:
            del out[i]  # another doer of the verb, of another event ("Obama declared ..." for Ferguson)
        elif not (lexical or similar or named):
            del out[i]
    # weapons the claim lists together ("a rocket launcher as well as automatic rifles"): several were
    # carried, and a post naming others ("AK-47s and grenades") lists some, without saying that this
    # one was not there: no rival (measured: a rival from such lists contested the true claim)
    listed = [j for j, a in enumerate(reading.assertions) if a.kind == "kind" and a.fact is not None
              and a.fact.sort == "weapon"]
    for i in [i for i in listed if i in out and out[i].relation == CONFLICTS] if len(listed) > 1 else ():
        del out[i]
    # a claim of what a named party did, or blamed it on: another cause counts against it only from
    # a post naming one of its parties (what others blamed it on is no rival of what X blamed it on)
    doers = [i for i, a in enumerate(reading.assertions) if not a.negated and (
        a.kind == "agent" or (a.kind == "who" and a.role in ("person", "org")))]
    if any(reading.assertions[i].kind == "agent" for i in doers) and \
            not any(_names(reading.assertions[i].value, f) for i in doers):
        for i in [i for i, x in out.items() if reading.assertions[i].kind == "cause" and x.relation == CONFLICTS]:
            del out[i]
    if any(reading.assertions[i].kind == "number" for i in out):
        _another_quantity(reading, f, out)
        parts = _claim_values(reading.claim)
        for i in [i for i, x in out.items() if x.relation == CONFLICTS and x.number is not None]:
            # a count the claim itself gives as a part ("four bombs, two in the cafe and two elsewhere"):
            # "2 bombs in the cafe" is no rival of the four
            if out[i].number.lo == out[i].number.hi and out[i].number.value in parts - {reading.assertions[i].number.value}:
                del out[i]
    _contained(reading, f, out)
    return Links(out, out_named)


def _claim_values(claim: str) -> set[float]:
    """Every number the claim says, with a unit or not ("two in the cafe")."""
    out = set()
    for m in re.finditer(r"\b\d[\d,]*(?:\.\d+)?\b|\b[a-z]+\b", claim.lower()):
        w = m.group(0)
        if w[0].isdigit():
            try:
                out.add(float(w.replace(",", "")))
            except ValueError:
                pass
        elif w in NUM_WORDS and w not in ("a", "an"):
            out.add(float(NUM_WORDS[w]))
    return out


_TAG_EVENT = re.compile(r"(?:flood(?:s|ing)?|storm|strong|fires?|quake|tornado|evac\w*|news|help|relief|rescue)$")


def _tag_places(f: PostFacts) -> list[str]:
    """Places a hashtag names by their short form, as crises are tagged: "#yycflood" (Calgary),
    "#qldfloods" (Queensland), "#nycsandy"."""
    out = []
    for tag in re.findall(r"#(\w+)", f.lower):
        for short in sorted(set(_ALIAS) | set(STATE_ABBR), key=len, reverse=True):
            if tag.startswith(short) and short.isalpha() and _TAG_EVENT.match(tag[len(short):]):
                out.append(_ALIAS.get(short) or STATE_ABBR.get(short, short))
                break
    return out


def _another_quantity(reading: ClaimReading, f: PostFacts, out: dict[int, Alignment]) -> None:
    """A count of what happened at a town or site the claim puts it at ("residents of Medicine Hat",
    "evacuated in Medicine Hat") is not stated by a post that names another place and none of the
    claim's: "75,000 evacuated" across Canada, or in Calgary, is another count. And a measure
    ("$5 million", "10 minutes") the claim says of a person or organisation it names is said of
    them only by a post naming them ("text to donate $5" is not what the Flames gave)."""
    sites = [i for i, a in enumerate(reading.assertions)
             if a.kind == "place" and a.level not in ("state", "country") and not a.negated]
    at = [i for i in sites if reading.assertions[i].level != "event" and re.search(
        r"\b(?:in|at|of|near|inside|outside|from)\s+(?:the\s+)?" + re.escape(reading.assertions[i].value),
        reading.claim, re.IGNORECASE)]
    parties = [i for i, a in enumerate(reading.assertions) if a.kind in ("who", "agent", "owner") and not a.negated]
    # whose measure it is: the doer's, where the claim names one ("Campbell Newman kick-started the Queensland
    # Flood Appeal with a $1 million donation": a post naming the appeal and another donor's sum is not his)
    doers = [i for i in parties if reading.assertions[i].kind == "agent" and reading.assertions[i].verb]
    parties = doers or parties
    elsewhere = False
    if at and not any((i in out and out[i].relation == CONFIRMS) or _said(reading.assertions[i].value, f)
                      for i in sites):
        own = {place_key(x.value) for x in reading.assertions if x.kind == "place"}
        elsewhere = any(place_key(p) not in own and norm_name(p) not in f.near_places for p in f.places + _tag_places(f))
    named_party = any((i in out and out[i].relation == CONFIRMS) or _names(reading.assertions[i].value, f)
                      for i in parties)
    for i in list(out):
        a = reading.assertions[i]
        if a.kind == "number" and (elsewhere or (a.context and parties and not named_party)):
            del out[i]


_RANK = {"site": 0, "event": 0, "city": 1, "area": 1, "": 1, "state": 2, "country": 3}


def containers(reading: ClaimReading) -> dict[int, list[int]]:
    """The claim's places that contain others it names ("the Gold Coast in Victoria": a state
    around an area; "Briarwood Elementary in Wichita": a city around a site), each with the
    places inside it."""
    places = [(i, _RANK.get(a.level, 1)) for i, a in enumerate(reading.assertions)
              if a.kind == "place" and not a.negated]
    text = reading.claim

    def within(j: int, i: int) -> bool:
        # said as "A in B" or "A, B" ("trained in Syria" is not where Ottawa is), or A is a named
        # event and B where it happened ("Hurricane Sandy made landfall in Florida")
        if reading.assertions[j].level == "event" and not reading.assertions[i].verb:
            return True
        rx = re.escape(reading.assertions[j].value) + r"\s*(?:,|\bin\b)\s*(?:the\s+)?" + re.escape(reading.assertions[i].value)
        return re.search(rx, text, re.IGNORECASE) is not None

    return {i: inner for i, r in places if (inner := [j for j, q in places if q < r and within(j, i)])}


def _contained(reading: ClaimReading, f: PostFacts, out: dict[int, Alignment]) -> None:
    """"A in B" asserts where A is: only a post that names A says anything about it. A post
    naming B alone is about B (Victoria's bushfires are no evidence that the Gold Coast is in
    Victoria); a post naming A with one other place of B's level, and not B, puts A there
    instead (a rival, even for an event over an area: a town lies in one state)."""
    for i, inner in containers(reading).items():
        named_inner = any(j in out and out[j].relation == CONFIRMS for j in inner)
        if not named_inner:
            out.pop(i, None)
            continue
        if i in out:
            continue
        a = reading.assertions[i]
        own = norm_name(a.value)
        claim_places = {place_key(norm_name(x.value)) for x in reading.assertions if x.kind == "place"}
        level = _mid(a.level or "city")
        same = [p for p in f.places
                if _mid(f.place_info.get(norm_name(p), ("city", "at"))[0]) == level
                and f.place_info.get(norm_name(p), ("city", "at"))[1] == "at"]
        rivals = [p for p in same if place_key(norm_name(p)) not in claim_places and not related(norm_name(p), own)]
        if len(same) == 1 and rivals:
            out[i] = Alignment(CONFLICTS, rivals[0])


class Links(dict):
    """A post's alignments, and whether it named any of the claim's values at all."""

    def __init__(self, links: dict[int, Alignment], named_any: bool):
        super().__init__(links)
        self.named_any = named_any


def _align(a: Assertion, f: PostFacts, at: datetime | None, claim_places: list[str],
           claim_names: list[str], area: bool = False, topic: str = "",
           common: set[str] | None = None) -> Alignment | None:
    if a.kind == "place" and a.noun:
        return _align_affiliation(a, f)
    if a.kind == "place":
        said = _said(a.value, f)
        level, role = _mid(a.level or "city"), a.prep or "at"
        rival = None
        own = norm_name(a.value)
        # a place the claim says the thing was near is compared with the places posts say it was near
        # (not in a flood or a storm: what happened near one town of it happened near others too)
        nearby = f.near_named if role == "near" and not area else []
        claim_keys = {place_key(norm_name(c)) for c in claim_names}  # its places among them
        for p in [*f.places, *nearby]:
            n = norm_name(p)
            if not n or (n in f.near_places and role != "near") or n in f.affiliations or related(n, own) or \
                    n in own or own in n or place_key(n) in claim_keys or any(words_within(c, n) for c in claim_places):
                continue  # the claim's own places and names, and names holding one ("West Texas" for "West")
            plevel, prole = f.place_info.get(n, ("city", "at"))
            if plevel == "site" and all(w in GENERIC_SITE or _PLACE_WORD.fullmatch(w.capitalize())
                                        for w in n.split()):
                continue  # "the Swiss museum": no name, no rival
            if _mid(plevel) != level or prole != role:
                continue  # a state is no rival of a town, a street none of a city, an origin none of a crash site
            if a.located and n not in f.located:
                continue  # "captured in Watertown" against "the Boston bombing suspect": Boston is not where
            rival = p  # another place of the same kind named for the event
            break
        if said:
            if rival and not area:
                # both named: the one said with a preposition of place is where ("Cedar Ridge wildfire:
                # evacuation ordered for Pine Hollow"); otherwise unclear (for a flood, both can be)
                own_said_at = own in f.located or own in f.near_places
                if not (own_said_at and norm_name(rival) not in f.located):
                    return None
            return Alignment(CONFIRMS, a.value)
        rival = rival or _same_kind_name(a.value, f, _PLACE_WORD, claim_names)
        return Alignment(CONFLICTS, rival) if rival else None
    if a.kind == "number":
        assert a.number is not None
        cat = a.number.about if a.role != "age" else frozenset()
        # a count of people of one kind ("two police officers were among those killed") is compared
        # with counts of that kind only, a toll of anyone ("12 killed") with tolls of anyone
        head = "n:" + a.number.unit.split()[-1] if a.number.unit.startswith("n:") and " " in a.number.unit else ""
        # a unit said as a noun phrase ("12 car bombs") is also stated by its head alone ("12 bombs")
        same = [n for n in f.numbers if (n.unit == a.number.unit or n.unit == head or (cat and n.unit == "people")) and
                (a.role == "age" or n.about == cat)]
        if a.role == "age":
            same = [n for n in same if same_person(a.number.about, n.about)]  # a 27-year-old man is no 3-year-old boy
        elif a.context:
            same = [n for n in same if n.near & a.context]  # "5 minutes of warning" is not how long it stayed
        if a.number.lo == 0 < a.number.hi and a.role not in TALLIES:
            # a maximum of a measure ("winds of up to 90 mph"): a lower single reading ("wind 9 mph
            # SSE") says nothing of the maximum; a higher one, or another maximum, does
            same = [n for n in same if not (n.lo == n.hi and n.hi < 0.85 * a.number.hi)]
        if not same:
            return None
        if a.bought:
            same = [n for n in same if n.near & a.bought]  # a price of another thing says nothing of this one
            if not same:
                return None
        # a floor far below the claim's count ("more than 140 hurt" for 276 injured): consistent with
        # it, and with every larger toll; it states neither the claim's count nor another
        same = [n for n in same if not _states_no_count(a.number, n)]
        if not same:
            return None
        ok = [n for n in same if a.number.compatible(n)]
        if ok:
            return Alignment(CONFIRMS, ok[0].text, ok[0])
        return Alignment(CONFLICTS, _num_label(same[0]), same[0])
    if a.kind == "date":
        assert a.date is not None
        return _align_date(a.date, f, at, topic)
    if a.kind == "agent" and a.verb and not a.noun:
        return _align_doer(a, f, claim_names, common)
    if a.kind in ("cause", "agent", "owner"):
        stated = {"cause": [v for v, who in f.death_causes if same_person(a.context, who)] if a.role == "death"
                  else f.causes, "agent": f.agents, "owner": f.owners}[a.kind]
        if a.kind == "agent" and a.prep == "by":
            stated = stated + list(f.by_names)
        if a.kind == "agent" and a.noun:
            fam = role_family(a.noun)
            stated = stated + [n for n, ctx in f.role_names if _named_as(ctx, fam)]
        if a.kind == "cause" and a.role != "death":
            kind = _same_kind_name(a.value, f, _KIND_WORD)
            stated = stated + ([kind] if kind else [])
        # the claim's own other names are never rivals ("Michael Brown was shot by officer X")
        stated = [x for x in stated if not any(c != a.value and (related(x, c) or _names(x, _facts_of(c)))
                                               for c in claim_names)]
        if a.role == "death":
            named = any(related(a.value, x) for x in stated)
        elif a.kind == "owner":  # a company by its whole name: "France" is not Air France
            named = mentions(f.lower, f.words, a.value) or _initials(a.value, f)
        else:
            named = _names(a.value, f)
        if named and a.kind == "agent" and a.said_to_be and not _says_role(a.noun, f):
            return None  # "Michael Brown had been a standout player": naming him says nothing of that
        if named:
            if f.question:
                return None
            if _denied_near(f.lower, a.value):
                return Alignment(CONFLICTS, "not " + a.value, denial=True)
            return Alignment(CONFIRMS, a.value)
        # "cyclone Oswald" against "cyclone Yasi": compared by the name, not the kind they share
        own = lambda v: " ".join(w for w in v.split() if not _KIND_WORD.fullmatch(w.strip("-"))) or v  # noqa: E731
        others = [x for x in stated if not related(own(x), own(a.value)) and not _names(own(x), _facts_of(a.value))]
        if others and not f.question:
            return Alignment(CONFLICTS, others[0])
        return None
    if a.kind == "means":
        if _means_named(a.value, f.lower):
            if f.question:
                return None
            if _denied_near(f.lower, a.value):
                return Alignment(CONFLICTS, "not " + a.value, denial=True)
            return Alignment(CONFIRMS, a.value)
        key = _value_key(a, a.value)
        others = [x for x in read_means(f.text or f.lower, a.noun) if _value_key(a, x) != key and not related(x, a.value)]
        if others and not f.question:
            return Alignment(CONFLICTS, others[0])
        return None
    if a.kind == "who":
        if _names(a.value, f):
            return Alignment(CONFIRMS, a.value)
        rival = _partner_rival(a, f, claim_names) or _same_kind_name(a.value, f, _PLACE_WORD, claim_names)
        return Alignment(CONFLICTS, rival) if rival else None
    if a.kind == "outcome":
        said = outcome_said(a, f.lower)
        if said is None or f.question:
            return None
        return Alignment(CONFIRMS, a.value) if said == a.role.split(":", 1)[1] else Alignment(CONFLICTS, said)
    if a.kind in ROLE_KINDS and a.fact is not None:
        return _align_role(a.fact, f, topic)
    return None


def _align_affiliation(a: Assertion, f: PostFacts) -> Alignment | None:
    """A place or body said of a person ("a Houston firefighter", "a Harvard student"): stated by
    what qualifies such a person in the post ("a Dallas firefighter" is another value); a post
    naming the place and the person apart confirms it, and no other place of the post is its rival."""
    own = norm_name(a.value)
    same = [n for n, noun in f.affiliations.items() if noun == a.noun]
    # by its own words: "Brown University" is not "Harvard University"
    if any(words_within(own, n) or place_key(n) == place_key(own) or _said(a.value, _facts_of(n)) for n in same):
        return Alignment(CONFIRMS, a.value)
    if same and not f.question:
        return Alignment(CONFLICTS, same[0].title())
    if _said(a.value, f) and any(affiliated_noun(w) == a.noun for w in f.words):
        return Alignment(CONFIRMS, a.value)
    return None


def verb_forms(verb: str) -> str:
    """A regular expression for the forms of a verb and its synonyms, by their first letters
    ("donate" -> donates, donated, donation; "shoot" -> shot, shooting, fired)."""
    stems = {verb[:5] if len(verb) > 5 else verb.rstrip("e")}
    if "our" in verb:  # British and American spelling: honour / honor, favour / favor
        stems.add(verb.replace("our", "or")[:5])
    for w in _SYN.get(verb, frozenset()) | _SYN.get(verb + "ed", frozenset()) | _SYN.get(verb + "s", frozenset()):
        stems.add(w[:5] if len(w) > 5 else w)
    return r"(?:" + "|".join(sorted(map(re.escape, stems), key=len, reverse=True)) + r")\w*"


def _title_key(title: str) -> set[str]:
    return {_TITLE_FAMILY.get(w, w) for w in re.findall(r"[\w\-]+", title.lower()) if w in TITLE_WORDS}


_BETWEEN = LIGHT | {"was", "were", "is", "are", "has", "had", "have", "be", "been", "and", "of", "in", "at", "on",
                   "for", "by", "with", "who", "that", "which", "will", "would", "also", "to", "the", "a", "an", "its", "their", "his", "her", "from", "new",
                          "just", "now", "rt", "via", "again", "still", "all"}


def _object_of(a: Assertion, text: str) -> bool:
    """The post says what the actor's act was done to right after naming the actor, with no act of
    its own between ("the Penguins will also have the Canadian national anthem", "a nice touch from
    the Penguins: the national anthem"); "X visits Harlow, praises the flood appeal" says another act."""
    name = norm_name(a.value).split()
    if not name:
        return False
    m = re.search(r"\b" + re.escape(name[-1]) + r"\b", text, re.IGNORECASE)
    if m is None:
        return False
    between = 0
    for w in re.findall(r"[#@]?[\w'\-]+", text[m.end():])[:8]:
        w = w.lower().lstrip("#@")
        if words.stem(w)[:5] in a.context:
            return True
        if w not in _BETWEEN and w not in NUM_WORDS:
            between += 1  # a word of the object's phrase ("Canadian national") or another act
            if between > 2:
                return False
    return False


def _align_doer(a: Assertion, f: PostFacts, claim_names: list[str],
                common: set[str] | None = None) -> Alignment | None:
    """Who did what the claim's verb says ("Kevin Durant donated $1 million", "launched by the
    premier"): the post names the claim's actor and says the verb, or names another person or
    organisation doing it ("Kevin Durant donates" against "Blake Griffin donated"), or a title
    ("Qld premier launches" against "Prime Minister Julia Gillard"). A person is no rival of an
    organisation (the premier launches what the government does). `common`: words the gathered
    posts write in lower case (`Topic.common`), which no untagged name before the verb holds."""
    text = f.text or f.lower
    forms = verb_forms(a.verb)
    if f.question:
        return None
    post_stems = {words.stem(w)[:5] for w in f.words}
    if not re.search(r"\b" + forms, text, re.IGNORECASE):
        # the act said by what it was done to ("the Canadian national anthem" for "played the Canadian
        # national anthem"): the actor named with all of it, in a post on the topic, says the actor did it
        if len(a.context) >= 1 and a.context <= post_stems and _names(a.value, f) and \
                not _denied_near(f.lower, a.value) and _object_of(a, text):
            return Alignment(CONFIRMS, a.value)
        return None
    if a.context and not a.context & post_stems:
        return None  # "declared" something else: another act
    if _names(a.value, f):
        return None if _denied_near(f.lower, a.value) else Alignment(CONFIRMS, a.value)
    mine = _title_key(a.title)
    # a rival is a party of the actor's type; an actor whose type the entity model did not give
    # ("the Pittsburgh Penguins", untyped) is rivalled by either
    want = {"org": ("ORG",), "person": ("PERSON",)}.get(a.party, ("ORG", "PERSON"))
    for label, name, s0, e0 in f.parties:
        if label not in want:
            continue
        after = text[e0:e0 + 45]
        before = text[max(0, s0 - 30):s0]
        doing = re.match(r"(?:'s|’s)?[\s,]*(?:\S+\s+){0,3}?" + forms, after, re.IGNORECASE) or \
            re.search(forms + r"\s+by\s+(?:\S+\s+){0,3}$", before, re.IGNORECASE)
        if not doing or any(c != a.value and (related(name, c) or _names(name, _facts_of(c))) for c in claim_names) \
                or _same_party(name, a.value) or norm_name(name) in GENERIC:
            continue
        if all(w in TITLE_WORDS for w in norm_name(name).split()):
            # a title alone ("Pope asks ...", the entity model's PERSON): the claim's actor when the claim
            # gives that title, another's title otherwise only against a titled actor
            if _title_key(name) & mine:
                return Alignment(CONFIRMS, name.lower())
            if not mine:
                continue
        title = re.search(r"\b(" + TITLE_ALT + r")\s+$", before, re.IGNORECASE)
        return Alignment(CONFLICTS, f"{title.group(1).capitalize()} {name}" if title else name)
    if common is not None and (not f.parties or all(p[0] not in want for p in f.parties)):
        # a party the entity model did not tag ("Yankees to honor Boston", a headline in capitals):
        # the capitalised words right before the verb, none of them a common word
        for m in re.finditer(r"\b" + forms, text, re.IGNORECASE):
            run = _CAPS_BEFORE_RX.search(text[max(0, m.start() - 60):m.start()])
            if run is None:
                continue
            ws = run.group(1).split()
            while ws and ws[0].lower() in words.STOPWORDS:
                ws = ws[1:]
            name = " ".join(ws)
            if not ws or any(w.lower() in words.STOPWORDS or w.lower() in common or w.lower() in _PERSON_WORDS
                             for w in ws) or norm_name(name) in GENERIC \
                    or all(w.lower() in TITLE_WORDS for w in ws) or any(related(name, p) for p in f.places) \
                    or any(c != a.value and related(name, c) for c in claim_names) \
                    or _same_party(name, a.value):
                continue
            return Alignment(CONFLICTS, name)
    if mine:
        for m in re.finditer(r"\b(" + TITLE_ALT + r")\b(?:\s+\S+){0,2}?\s+"
                             + forms, text, re.IGNORECASE):
            other = _title_key(m.group(1))
            if other and not (other & mine):
                return Alignment(CONFLICTS, m.group(1).lower())
            if other & mine:
                return Alignment(CONFIRMS, m.group(1).lower())
    return None


_PERSON_WORDS = frozenset(_PERSON_NOUNS).union(*_PERSON_FAMILIES)  # "Attacker shot ...": who, not a name
_CAPS_BEFORE_RX = re.compile(r"((?:\b[A-Z][\w'’&\-]*\s+){1,3})(?:(?:to|will|would|has|have|had)\s+)?$")


def _same_party(a: str, b: str) -> bool:
    """Two names of one party: related, unless they begin alike and end apart ("New York Yankees"
    and "New York Mets", "Kevin Durant" and "Kevin Love": what they share says where or which
    family, not who)."""
    if not related(a, b):
        return False
    wa, wb = norm_name(a).split(), norm_name(b).split()
    oa, ob = [w for w in wa if w not in ORG_TAIL], [w for w in wb if w not in ORG_TAIL]
    if oa and ob and (len(oa) < len(wa) or len(ob) < len(wb)) and not related(" ".join(oa), " ".join(ob)):
        return False  # what they share says what business they are in: "Devon Energy", "Chesapeake Energy"
    k = 0
    while k < min(len(wa), len(wb)) and wa[k] == wb[k]:
        k += 1
    ta, tb = set(wa[k:]) - GENERIC, set(wb[k:]) - GENERIC
    return not (k >= 1 and ta and tb and not related(" ".join(sorted(ta)), " ".join(sorted(tb))))


def _same_subject(c: RoleFact, x: RoleFact) -> bool:
    """The post's fact is said of whom the claim's is: a person noun of the same family near both
    ("soldier", "reservist") or a name near both ("Cirillo"). A claim that says of whom nothing
    we can tell takes any."""
    if not (c.nouns or c.names):
        return True
    return bool(c.nouns & x.nouns) or bool(c.names & x.names)


def _event_words(topic: str) -> set[str]:
    """What the claim says happened (its topic: no places, names or the time itself): a post's
    time of day is this event's only said beside one of these words ("tonight" in "praying for
    Boston tonight" is not when the shooting was)."""
    return {words.stem(w)[:5] for w in words.keywords(topic) if len(w) >= 4 and w not in REPORTING and w not in LIGHT}


def _org_words(key: str) -> set[str]:
    """An organisation's own words, singular; a nationality in it ("Iranian Revolutionary Guard")
    names no organisation by itself when other words do."""
    ws = {w[:-1] if w.endswith("s") and len(w) > 4 else w for w in key.split() if len(w) >= 3}
    own = {w for w in ws if w not in NATIONS and w not in BROAD}
    return own or ws


def _org_named(key: str, words_: set[str]) -> bool:
    """The words name the organisation: one of its own words, in either number ("Argylls" for
    the Argyll and Sutherland Highlanders, "MIT officer" for the MIT police); a word that only
    shares a root ("Highland" Fusiliers, Argyll and Sutherland "Highlanders") is another one."""
    return bool(_org_words(key) & _org_words(" ".join(words_)))


def _times_fit(c: RoleFact, x: RoleFact) -> bool:
    """Two times of day can be the same: two clock times ("about 6 p.m.", "8pm", each read as its
    hour either side) an hour apart at most; other times by their ranges (`hours_compatible`)."""
    assert c.hours is not None and x.hours is not None
    if c.sort == x.sort == "clock":
        d = abs(sum(c.hours) / 2 - sum(x.hours) / 2) % 24
        return min(d, 24 - d) <= 1.0
    return hours_compatible(c.hours, x.hours)


def _align_role(c: RoleFact, f: PostFacts, topic: str) -> Alignment | None:
    """A member, relation, nickname, model, time or origin: the post states the claim's value,
    another one of the same person or thing (a rival), or nothing."""
    mine = [x for x in f.roles if x.kind == c.kind]
    if c.kind == "time":
        mine = [x for x in mine if (x.sort == "zone") == (c.sort == "zone")]  # a zoned time against zoned ones
        event = _event_words(topic)
        text = f.text or f.lower
        near = []
        for x in mine:
            around = text[max(0, x.span[0] - 60):x.span[1] + 60]
            if event & {words.stem(w)[:5] for w in words.keywords(around)}:
                near.append(x)  # said beside what happened, not of the writer's evening
        if c.hours and c.hours[1] - c.hours[0] <= 4.5:
            # a precise time ("6 p.m.", "noon"): a vague one ("tonight", "this morning") is said of the day's
            # events at large ("Prince at Massey Hall tonight"), no rival and no support of the hour
            near = [x for x in near if x.hours and x.hours[1] - x.hours[0] <= 4.5]
        if not near or f.question:
            return None
        ok = [x for x in near if c.hours and x.hours and _times_fit(c, x)]
        return Alignment(CONFIRMS, ok[0].value) if ok else Alignment(CONFLICTS, near[0].value)
    if c.kind == "quarter":
        # the same city's other part ("northern Paris" against "eastern Paris"); "north-east" fits both
        d, _, place = c.key.partition(":")
        same = [x for x in mine if x.key.partition(":")[2] == place]
        if not same or f.question:
            return None
        ok = [x for x in same if d in x.key.partition(":")[0] or x.key.partition(":")[0] in d]
        return Alignment(CONFIRMS, ok[0].value) if ok else Alignment(CONFLICTS, same[0].value)
    if c.kind == "model":
        c_maker = c.key.startswith("maker:")
        same = [x for x in mine if x.key == c.key or x.key.startswith(c.key) or c.key.startswith(x.key)]
        if same:
            return None if f.question else Alignment(CONFIRMS, same[0].value)
        # another model of the same kind of thing; a maker alone is a rival only of another maker (a
        # model, "an Airbus A320" or "an A320", may be the claim's maker's: said of the event's
        # aircraft, it does not say that the claim's own words are true either)
        rivals = [x for x in mine if x.sort and x.sort == c.sort and x.key.startswith("maker:") == c_maker]
        return Alignment(CONFLICTS, rivals[0].value) if rivals and not f.question else None
    if c.kind == "kind":
        # a weapon or a site of the event: the claim's class stated (among others: "Kalashnikovs and a
        # rocket launcher") confirms; only other classes conflict
        mine = [x for x in mine if x.sort == c.sort]
        if not mine or f.question:
            return None
        ok = [x for x in mine if kinds_fit(c.key, x.key)]
        return Alignment(CONFIRMS, ok[0].value) if ok else Alignment(CONFLICTS, mine[0].value)
    if c.kind == "member":
        if _org_named(c.key, f.words):
            return None if f.question else Alignment(CONFIRMS, c.value)
        rivals = [x for x in mine if _same_subject(c, x) and "broad" not in (x.sort, c.sort)
                  and not _org_named(x.key, set(c.key.split()))]
        return Alignment(CONFLICTS, rivals[0].value) if rivals and not f.question else None
    if c.kind == "nickname":
        if mentions(f.lower, f.words, c.value) or c.key in f.words:
            return None if f.question else Alignment(CONFIRMS, c.value)
        rivals = [x for x in mine if _same_subject(c, x) and x.key not in c.key and c.key not in x.key]
        return Alignment(CONFLICTS, rivals[0].value) if rivals and not f.question else None
    # relation (a tie of one kind: to someone, or among a group), origin (a country, a state or a
    # town: "from Russia" is no rival of "from Cambridge"): said of the same person
    mine = [x for x in mine if x.sort == c.sort and _same_subject(c, x)]
    if c.kind == "origin":
        said = [x for x in mine if same_origin(x.key, c.key)]
        if said:
            return None if f.question else Alignment(CONFIRMS, said[0].value)
        rivals = [x for x in mine if not same_origin(x.key, c.key)]
        return Alignment(CONFLICTS, rivals[0].value) if rivals and not f.question else None
    said = [x for x in mine if x.key == c.key]
    if said:
        return None if f.question else Alignment(CONFIRMS, said[0].value)
    rivals = [x for x in mine if not related(x.key, c.key)]
    return Alignment(CONFLICTS, rivals[0].value) if rivals and not f.question else None


_AUX = {"was", "were", "is", "are", "has", "had", "have", "be", "been", "and", "or", "of", "in", "at", "on", "to",
        "for", "by", "with", "who", "that", "which", "said", "says"}


def _head_rival(value: str, noun: str, f: PostFacts) -> Alignment | None:
    """A name said as what kind of thing it is ("a Harvard police officer", `noun` the nouns it
    modifies in the claim's parse): another name the post gives the same thing ("an MIT police
    officer") is a rival. A name that modifies no noun ("the NYSE closed") has no such rival."""
    head = noun.split()
    if not head or all(w in GENERIC for w in head):
        return None
    text = f.text or ""
    rx = r"(?<![\w#@])([A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){0,2})\s+" + r"\s+".join(re.escape(w) for w in head) + r"\b"
    own = norm_name(value)
    for mm in re.finditer(rx, text):
        name = re.sub(r"^(?:(?:A|An|The|RT|BREAKING|Breaking|Update|UPDATE)\b:?\s*)+", "", mm.group(1))
        n = norm_name(name)
        if n and n != own and not related(n, own) and n not in GENERIC and n.split()[0] not in GENERIC \
                and n not in ("rt", "breaking", "the", "a", "an", "update") \
                and n.removesuffix("s") != own.removesuffix("s") \
                and not (n in NATIONS and own not in NATIONS):
            # "Marseilles" is "Marseille" spelt the English way; "the French prosecutor" is the
            # Marseille prosecutor said by his country (a nationality rivals only a nationality)
            return Alignment(CONFLICTS, name)
    return None


_NOT_PARTY = {"game", "games", "match", "tonight", "today", "breaking", "update", "rt", "news", "via", "live",
              "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "nhl", "nfl", "nba", "mlb"}
_JOIN = r"\s*(?:-|–|/|\band\b|&amp;|&|\bvs\.?|\bv\.?|\bversus\b|\bat\b)\s*(?:the\s+)?#?"
_NAME = r"([A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){0,2})"


def _partner_rival(a: Assertion, f: PostFacts, claim_names: list[str]) -> str | None:
    """Two parties the claim joins ("a game between the Canadiens and the Senators"): a post that
    joins the partner with a third name ("Senators-Leafs game", "the Maple Leafs and Senators") and
    not with the claim's names the third as the other party: a rival."""
    if not a.partner or f.question:
        return None
    text = f.text or ""
    key = norm_name(a.partner).split()[-1] if norm_name(a.partner) else ""
    if len(key) < 3:
        return None
    part = r"(?i:#?(?:\w+\s+){0,2}?" + re.escape(key) + r")\b"
    for m in list(re.finditer(_NAME + _JOIN + part, text)) + list(re.finditer(part + _JOIN + _NAME, text)):
        ws = m.group(1).split()
        while ws and norm_name(ws[0]) in _NOT_PARTY | {"the"}:
            ws = ws[1:]  # "Wednesday's Leafs-Senators game": the name is "Leafs"
        name = " ".join(ws)
        n = norm_name(name)
        if not n or n in GENERIC or related(n, a.value) or related(n, a.partner) or key in n.split() or \
                any(related(n, c) for c in claim_names) or n.split()[0] in _NOT_PARTY or \
                any(w.startswith(x[:3]) and len(x) >= 3 for w in norm_name(a.value + ' ' + a.partner).split()
                    for x in n.split()):
            # (the partner said short: "#Leafs and #Sens" is the Senators)
            continue
        return name
    return None


def _means_named(value: str, low: str) -> bool:
    """"pressure cookers" in "pressure-cooker bombs": the words, in either number."""
    ws = [singular(w) for w in norm_name(value).split()]
    if not ws:
        return False
    rx = r"(?<![\w])" + r"[\s\-]+".join(re.escape(w) + r"(?:s|es)?" for w in ws) + r"(?![\w])"
    return re.search(rx, low) is not None


def _facts_of(text: str) -> PostFacts:
    return PostFacts(text.lower(), word_set(text))


def _same_kind_name(value: str, f: PostFacts, kind: re.Pattern, claimed: Sequence[str] = ()) -> str | None:
    """Another name of the same kind: the claim's "Chicago Marathon" against a post's "Boston
    Marathon", "Kunstmuseum Basel" against "Kunstmuseum Bern" (they share a place word). Not one
    named after another of the claim's own places or parties (`claimed`): "the London Marathon
    goes ahead despite the Boston blasts" names the Boston Marathon as the claim's other thing."""
    own = {w for c in claimed for w in norm_name(c).split()}
    toks = value.split()
    text = f.text or f.lower
    if len(toks) != 2 or not text:
        return None
    for k, t in enumerate(toks):
        if not kind.fullmatch(t):
            continue
        other = toks[1 - k]
        if t.lower() == "cyclone":
            text = re.sub(r"\b(?:ex-?)?(?:TC|t/c)\b", "cyclone", text)
        rx = (r"(?i:" + re.escape(t) + r")\s*([A-Z][a-z][\w'\-]*)") if k == 0 else \
             (r"(?<![\w#])([A-Z][\w'\-]+)\s*(?i:" + re.escape(t) + r")\b")
        for m in re.finditer(rx, text):
            w = m.group(1)
            if w.lower() != other.lower() and w.lower() not in GENERIC and not _PLACE_WORD.fullmatch(w) and \
                    w.lower() not in own:
                return f"{w} {t}" if k == 1 else f"{t} {w}"
    return None


def _names(value: str, f: PostFacts) -> bool:
    if mentions(f.lower, f.words, value) or _initials(value, f):
        return True
    name = norm_name(value).split()
    parts = [w for w in name if len(w) >= 4]
    places = {norm_name(p) for p in f.places} | f.near_places | BROAD | STATES
    if parts and parts[-1] in f.words and len(parts) <= 3 and parts[-1] not in places and parts[-1] not in ORG_TAIL \
            and not _another_bearer(name, f.text or ""):
        return True  # a surname: "Tsarnaev", "Adair" (not "France" of Air France)
    if len(parts) >= 2 and parts[-1] in ORG_TAIL and parts[0] in f.words and parts[0] not in places | ORG_TAIL:
        return True  # a company by its own first word: "Shaw" of Shaw Communications (its "Energy" names none)
    return any(related(value, w) for w in f.words if len(w) >= 4 and w.isalpha() and w not in places
               ) if len(parts) <= 1 else False


def _another_bearer(parts: list[str], text: str) -> bool:
    """Every time the post says the surname, another given name comes before it ("Joe Jonas" is
    not Nick Jonas): the post names someone else of that family."""
    # a person's two names only: "President Obama" names no given name, "Canadian Red Cross" is no
    # person, "Hurricane Sandy" no family ("Superstorm Sandy" is the same storm)
    if len(parts) != 2 or not _may_be_given(parts[0]) or parts[0] in NATIONS or _KIND_WORD.fullmatch(parts[0]) or \
            parts[1] in ORG_TAIL:
        return False
    surname = re.escape(parts[1])
    given = [m.group(1).lower() for m in re.finditer(r"(?<![\w@#])([A-Z][a-z]+|[A-Z]+)\s+(?i:" + surname + r")\b", text)]
    said = len(re.findall(r"(?<![\w@#])(?i:" + surname + r")\b", text))
    # (a short form of the claim's given name, "Mike" for "Michael", is the same person)
    others = [g for g in given if g[:2] != parts[0][:2] and g not in parts and g not in GENERIC and _may_be_given(g)
              and g not in words.STOPWORDS]
    return bool(said) and len(others) == said


def _may_be_given(word: str) -> bool:
    """A word before a surname that could be a given name: not a title ("President"), an honorific
    ("Mrs"), a relative ("brother"), or a trade or role ("singer", "officer", "coach")."""
    return word not in TITLE_WORDS and word not in _HONORIFICS and not _person_family(word) and not occupation_key(word)


# (what `_person_family` and `occupation_key` leave out)
_HONORIFICS = {"mr", "mrs", "ms", "dr", "sir", "lady", "lord", "family", "star", "actress", "coach", "judge", "general"}


def _denied_near(low: str, value: str) -> bool:
    """The post denies this value in so many words: "not X", "X ruled out", "X was a hoax"."""
    head = norm_name(value).split()[-1] if norm_name(value) else ""
    i = low.find(head)
    if i < 0:
        return False
    before = low[max(0, i - 30):i]
    after = low[i + len(head):i + len(head) + 40]
    return re.search(r"\b(?:not|no|never|n't|ruled out)\b(?:\s+\S+){0,2}\s*$|n't(?:\s+\S+){0,2}\s*$",
                     before) is not None or DENIAL_RX.match(after.strip()) is not None or \
        re.match(r"\s*(?:was|is|were|are)?\s*(?:ruled out|not|a hoax|false|fake)\b", after) is not None


def _num_label(n) -> str:
    v = int(n.value) if float(n.value).is_integer() else n.value
    unit = n.unit[2:] + "s" if n.unit.startswith("n:") else n.unit
    if n.lo != n.hi:
        return n.text
    if unit == "age":
        return f"{v} years old"
    if unit == "dollars":
        return f"${v:,}"
    return f"{v:,} {unit}" if unit != "magnitude" else f"magnitude {v}"


def _says_role(noun: str, f: PostFacts) -> bool:
    """Whether a post says what the claim says someone was, when that is no role of the crisis
    families (gunman, victim, officer ...: posts name those by their deeds): "player", "champion"."""
    if any(noun.lower() in fam for fam in ROLE_FAMILIES):
        return True
    st = words.stem(noun.lower())[:5]
    return any(h[:5] == st for h in words.content_stems(f.text or f.lower))


def _far_floor(claim: Number, post: Number) -> bool:
    """The post's number is a lower bound ("at least 176", "more than 140") well below the claim's
    count, which is no bound itself."""
    return post.floor and claim.hi <= claim.value * 1.2 and claim.value > post.value * 1.25


def _states_no_count(claim: Number, post: Number) -> bool:
    """The post's number is consistent with the claim's count without stating it: a floor far below it
    (`_far_floor`), a lower "at least" (`_lower_floor`), or a count without a number ("many died"
    holds any count of four or more; it goes against only a count it cannot hold, "no one", "three")."""
    return _far_floor(claim, post) or _lower_floor(claim, post) or \
        (_vague(post) and not _vague(claim) and claim.compatible(post))


def _vague(n: Number) -> bool:
    """A count without a number ("many", "some": no upper end)."""
    return n.hi >= 10**9


def _lower_floor(claim: Number, post: Number) -> bool:
    """Both are lower bounds and the post's is well below the claim's ("at least 39" against the
    claim's "at least 93"): true of the claim's count too, so no rival, and no support either."""
    return claim.floor and post.floor and claim.value > post.value * 1.15


def _align_date(d: DateRef, f: PostFacts, at: datetime | None, topic: str = "") -> Alignment | None:
    claim_year_unknown = d.weekday is None and d.lo.year == 2000 and d.hi.year == 2000
    stated = [x for x in f.dates if not x.year_only or not (claim_year_unknown or d.weekday is not None)]
    if d.year_only:  # a year ("in 2017"): a post's "Monday" or "Nov. 24" says nothing of it
        stated = [x for x in stated if x.year_only or re.search(r"\b(?:19|20)\d\d\b", x.text)]
    if at is not None and not claim_year_unknown and d.weekday is None and at.date() - d.hi > timedelta(days=60):
        # a day long before the post ("hit by a tornado on May 3, 1999"): the post's own days ("today",
        # "May 20" of its year) are about what is happening now, no rival
        now = at.date()
        stated = [x for x in stated if re.search(r"\b(?:19|20)\d\d\b", x.text) or
                  (x.weekday is None and abs((x.lo - now).days) > 14)]
    # the act the day is said of: not the other event a temporal phrase dates it by ("cancelled classes
    # on Thursday after the explosion": a post's "explosion Wednesday night" is no rival day)
    event = (_event_words(_FOR_WHOM_RX.sub(" ", _OTHER_TIME_RX.sub(" ", topic))) or _event_words(topic)) \
        if topic else set()
    if event and stated:
        # a day said of something else in the post ("schools closed Monday" beside "the subway shut
        # down Sunday"): only a day said beside what the claim says happened is its day
        text = f.text or f.lower
        near = []
        for x in stated:
            i = text.lower().find(x.text.lower())
            around = text[max(0, i - 60):i + len(x.text) + 60] if i >= 0 else text
            if event & {words.stem(w)[:5] for w in words.keywords(around)}:
                near.append(x)
        stated = near
    if stated:
        for x in stated:
            if _date_ok(d, x, claim_year_unknown):
                return Alignment(CONFIRMS, x.text)
        # the rival nearest the claim's day: "May 3, 1999" rather than "May 20, 2013" for "May 3, 1989"
        near = min(stated, key=lambda x: (x.weekday is not None, abs((x.lo - d.lo).days) if x.weekday is None and
                                          d.weekday is None and not claim_year_unknown else 0))
        return Alignment(CONFLICTS, near.text)
    if at is None or d.weekday is not None or _FUTURE_RX.search(topic):
        return None
    if d.by:  # "by June 27": a post made that day or before says so by then; one made after, nothing
        hi = d.hi if not claim_year_unknown else _with_year(d.hi, at.year)
        return Alignment(CONFIRMS, f"reported on {at.date().isoformat()}") if hi is not None and \
            at.date() <= hi else None
    # Dated by the post's own time: a post reporting the event before the claimed day conflicts
    # (not one telling of a plan: "said it would put the works on display in 2017" is said before).
    lo = d.lo if not claim_year_unknown else _with_year(d.lo, at.year)
    if lo is not None and at.date() < lo - timedelta(days=1):
        return Alignment(CONFLICTS, f"reported on {at.date().isoformat()}")
    return None


_FUTURE_RX = re.compile(r"\b(?:would|will|plan(?:s|ned)? to|expected to|set to|scheduled|(?:is|was|were|are) to|"
                        r"going to|intends? to|aim(?:s|ed)? to)\b", re.IGNORECASE)


def _with_year(d: date, year: int) -> date | None:
    try:
        return d.replace(year=year)
    except ValueError:
        return None


def _date_ok(claim: DateRef, post: DateRef, year_unknown: bool) -> bool:
    if claim.by and post.weekday is None and not post.year_only:  # "by June 27": that day or before
        if year_unknown:
            return post.lo.timetuple()[1:3] <= claim.hi.timetuple()[1:3]
        return post.lo <= claim.hi
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
    on_topic: bool = False  # states the claim's topic words, what it adds to the event included (Topic.lexical)


LONE_REPEATED = "repeated"  # one source that other authors repeat
LONE_ON_TOPIC = "on topic"  # one source whose post states the claim's topic and names another of its places or parties
AREA_SHARE = 0.2  # an area event's place: named by at least a fifth as many sources as the most-named other place
TALLIES = {"deaths", "injured", "missing", "people", "passengers", "evacuated", "arrested", "hostages", "homes"}


# Acts many do at once for one cause: another doer is another gift, not a rival of the claim's doer.
SHARED_ACTS = frozenset({"donate", "give", "pledge", "contribute", "raise", "offer", "send"})


_TOLL_SLACK = timedelta(days=11)  # beyond the event's days (themselves ± 3 days): two weeks


def tally(reading: ClaimReading, posts: list[Aligned], min_sources: int = 2,
          contested_share: float = 0.3) -> list[AssertionResult]:
    """Per assertion: the independent sources that state the claim's value and those that
    state another. Only another value that `min_sources` independent sources state counts
    against (one stray post is shown, not counted); an early, lower count of a toll that grew
    (stated before the claim's count was) is superseded, not a rival."""
    out = []
    # the event's days: when the posts naming the claim's places and parties were written. The
    # claim's value stated far from them is another event's ("winds of 75 mph" from a hurricane
    # months before the tornado the claim names): no support. (Other values are judged against
    # the days of the support that is left, below.)
    # (a named storm the claim gives as the cause, "died because of Hurricane Sandy", is the event's name too)
    event = {j for j, b in enumerate(reading.assertions)
             if b.kind in ANCHORS or (b.kind == "cause" and STORM_NAME_RX.match(b.value) is not None)}
    named = sorted(p.time for p in posts if any(j in event and ln.relation == CONFIRMS for j, ln in p.links.items()))
    window = None
    if len(named) >= 4 * min_sources:
        window = (named[len(named) // 10] - timedelta(days=3), named[-1 - len(named) // 10] + timedelta(days=3))
    for i, a in enumerate(reading.assertions):
        confirms: list[tuple[Item, Alignment]] = []
        conflicts: list[tuple[Item, Alignment]] = []
        away = 0
        # posts that may decide this detail alone (`_lone`): on the claim's topic, and naming another
        # of its places or parties, its actor included, when it has any ("3 weeks till I'm home" is no
        # post about an airport; "Bloomberg: ... evacuation of low lying areas, zone A" is about his order)
        others = [j for j, b in enumerate(reading.assertions) if (b.kind in ANCHORS or b.kind == "agent") and j != i]
        on_topic = {p.key for p in posts if p.on_topic and (not others or any(
            (ln := p.links.get(j)) is not None and ln.relation == CONFIRMS for j in others))}
        for p in posts:
            link = p.links.get(i)
            if link is None:
                continue
            # support, a date or a time within the event's days; a count against the claim's within two weeks
            # of them (a detail an investigation finds is reported days after the event's own posts; one
            # weeks away, either way, is another event's)
            slack = None if window is None or a.kind in ANCHORS else timedelta(0) if (
                link.relation == CONFIRMS or a.kind in ("date", "time")) else _TOLL_SLACK if a.kind == "number" else None
            if slack is not None and not window[0] - slack <= p.time <= window[1] + slack:
                away += 1
                del p.links[i]  # says nothing of this event's detail: not support either
                continue
            it = Item(p.key, p.author_id, p.story, p.time, p.weight, p.domains)
            (confirms if link.relation == CONFIRMS else conflicts).append((it, link))
        superseded = later = 0
        elsewhen = away
        if len({it.author for it, _ in confirms}) >= min_sources:
            # the same event is the same days: a rival stated weeks away is about another one
            ts = sorted(it.time for it, _ in confirms)
            lo, hi = ts[len(ts) // 10] - timedelta(days=3), ts[-1 - len(ts) // 10] + timedelta(days=3)
            kept = [(it, ln) for it, ln in conflicts if lo <= it.time <= hi]
            elsewhen += len(conflicts) - len(kept)
            conflicts = kept
        if a.kind == "number" and a.number is not None and reading.early and confirms:
            # "early reports said five": a count first stated after the claim's was is the later toll
            first = min(it.time for it, _ in confirms)
            n0 = len(conflicts)
            conflicts = [(it, ln) for it, ln in conflicts if it.time <= first]
            later = n0 - len(conflicts)
        if a.kind == "number" and a.number is not None and a.role in TALLIES and confirms:
            # a toll that grew: once the later reports settle on the claim's count, earlier lower ones are superseded
            n0 = len(conflicts)
            stated = sorted([(it.time, True, it.author) for it, _ in confirms] +
                            [(it.time, False, it.author) for it, _ in conflicts])
            late = stated[len(stated) // 2:]
            late_for = {au for _, ok, au in late if ok}
            late_against = {au for _, ok, au in late if not ok}
            if len(late_for) >= min_sources and len(late_for) >= 0.7 * (len(late_for) + len(late_against)):
                cut = late[0][0]
                conflicts = [(it, ln) for it, ln in conflicts
                             if not (ln.number is not None and ln.number.hi < a.number.lo and it.time < cut)]
            firsts: dict[str, object] = {}
            for it, _ in sorted(confirms, key=lambda x: x[0].time):
                firsts.setdefault(it.author, it.time)
            since = sorted(firsts.values())[min(1, len(firsts) - 1)]
            kept = [(it, ln) for it, ln in conflicts
                    if not (ln.number is not None and ln.number.hi < a.number.lo and it.time < since)]
            superseded = n0 - len(kept)
            conflicts = kept
        givers = 0
        if a.kind == "agent" and a.verb in SHARED_ACTS and len({it.author for it, _ in confirms}) >= min_sources:
            # many give to one appeal: with the claim's giver confirmed, another giver is another gift, no rival
            # (a giver no one confirms is still refuted by those the stream names: "Blake Griffin donated")
            givers = len({it.author for it, _ in conflicts})
            conflicts = []
        groups: dict[str, list[tuple[Item, Alignment]]] = defaultdict(list)
        firsts: dict[str, object] = {}
        for it, ln in conflicts:
            # a number by its value: "2 deaths" and "two police officers" (of the same kind) are one, and so
            # are values that fit each other ("as much as 54,000 pounds" and "54000 lbs")
            if a.kind == "number" and ln.number is not None:
                key = next((k for k, n0 in firsts.items() if n0.value == ln.number.value and
                            (n0.hi == ln.number.hi or n0.lo == ln.number.lo)), f"{ln.number.lo:g}-{ln.number.hi:g}")
                firsts.setdefault(key, ln.number)
            else:
                key = _value_key(a, ln.value)
            groups[key].append((it, ln))
        vals, counted_items = [], []
        lone_against = ("", 0)
        for _k, members in groups.items():
            c = corroboration([it for it, _ in members])
            shown = max({ln.value for _, ln in members}, key=lambda v: (sum(ln.value == v for _, ln in members), -len(v)))
            vals.append(ValueCount(shown, c.authors, c.posts, c.counted[:SHOWN_KEYS]))
            if c.authors >= min_sources:
                counted_items += [it for it, _ in members]
            elif len(groups) == 1 and not confirms:
                # one source, but the only value the stream states in this role, and nothing states
                # the claim's: what the stream says, though a single report, when it is `_lone`
                # (a place is not taken from one post: places named together are seldom rivals, "the
                # Boston Marathon" and the hospital its runners were taken to)
                lone_against = _lone([it for it, _ in members], on_topic if a.kind not in ANCHORS else set()) \
                    if a.kind not in CHECKS else ("", 0)
                if lone_against[0]:
                    counted_items += [it for it, _ in members]
        r = AssertionResult(a, confirm=corroboration([it for it, _ in confirms]), conflict=corroboration(counted_items))
        r.confirm_keys = list(r.confirm.counted) + [it.key for it, _ in confirms if it.key not in r.confirm.counted]
        r.conflict_keys = list(r.conflict.counted) + [it.key for it in counted_items if it.key not in r.conflict.counted]
        r.other_values = sorted(vals, key=lambda v: (-v.sources, -v.posts, v.value))
        r.superseded = superseded
        r.other_givers = givers
        r.later = later
        r.elsewhen = elsewhen
        r.lone, r.repeated = lone_against
        r.stray = sum(v.sources for v in vals if v.sources < min_sources and not r.lone)
        C, X = r.confirm.weight, r.conflict.weight
        nc, nx = r.confirm.authors, r.conflict.authors
        minority = min(C, X) / (C + X) if C + X > 0 else 0.0
        top = r.other_values[0].sources if r.other_values else 0
        if a.kind == "place" and reading.area and a.level not in ("state", "country") and nc >= min_sources and \
                nc >= AREA_SHARE * top:
            # floods, storms strike many places: others named beside it are no rivals, as long as
            # this one is named by a fair share of the sources (not one town of a hundred posts)
            r.status = "confirmed"
            r.area_others, r.conflict, r.conflict_keys = r.conflict.authors, Corroboration(), []
        elif nc >= min_sources and nx >= min_sources and minority >= contested_share:
            r.status = "disputed"
        elif nc >= min_sources and (X / (C + X) < contested_share):
            r.status = "confirmed"
        elif nc == 1 and not groups and a.kind not in CHECKS and (lone_for := _lone([it for it, _ in confirms], on_topic))[0]:
            # one source, and no post states another value (not even a stray): it confirms the detail
            # if nothing stands against the claim as a whole (`settle_lone`)
            r.status = "confirmed"
            r.lone, r.repeated = lone_for
        elif (nx >= min_sources or r.lone) and (C / (C + X) < contested_share):
            r.status = "conflicted"
        else:
            r.status = "unaddressed"
        r.summary = summary(r)
        out.append(r)
    return out


def _lone(items: list[Item], on_topic: set[str]) -> tuple[str, int]:
    """Whether the one source of these posts may decide a detail alone, and why: other authors
    repeat it, or its post states the claim's topic (and names another of its places or parties).
    Returns (LONE_REPEATED | LONE_ON_TOPIC | "", the other authors repeating it)."""
    others = len({it.author for it in items}) - 1
    if others >= 1:
        return LONE_REPEATED, others
    if any(it.key in on_topic for it in items):
        return LONE_ON_TOPIC, 0
    return "", 0


LONE_TOGETHER = "together"  # every detail confirmed, one source on topic stating them together


def settle_lone(results: list[AssertionResult], support: Corroboration, against: Corroboration,
                on_topic: set[str] | None) -> str:
    """Whether one source decides the claim, and how: a detail confirmed by one source (`_lone`)
    decides only when some post supports the claim and none stands against it, else it is left
    open, as one source is (returns LONE_REPEATED or LONE_ON_TOPIC when one does); with every
    detail confirmed, the one supporting source decides when its post is on the claim's topic
    (`on_topic`: None for a claim of places and names only, which is what it joins: one post
    joining them is not enough) (returns LONE_TOGETHER). "" otherwise."""
    lone = [r for r in results if r.lone and r.status == "confirmed"]
    if lone and (against.authors or not support.authors):
        for r in lone:
            r.status = "unaddressed"
            r.summary = summary(r)
        return ""
    if lone:
        return lone[0].lone
    if on_topic is not None and support.authors == 1 and not against.authors and \
            all(r.status == "confirmed" or idle_description(r) for r in results) and set(support.counted) & on_topic:
        return LONE_TOGETHER
    return ""


def idle_description(r: AssertionResult) -> bool:
    """A person's occupation that no post speaks of at all (no post gives them any trade): a
    description said in passing ("drawn by the artist X"), not a detail left open. Nor an
    outcome too few state, none otherwise: it checks the claim, it does not carry it."""
    return (r.assertion.kind == "occupation" and r.confirm.posts == 0 and not r.other_values) or \
        (r.assertion.kind in CHECKS and r.status == "unaddressed" and not r.other_values)


def _named_as(ctx: str, fam: set[str]) -> bool:
    """Whether a person is named with one of these role words beside the name: "police chief Tom
    Jackson", "Tom Jackson, the police chief" (not "the chief announced that officer Darren Wilson":
    the nearest role word before a name is the one it is named with)."""
    before, _, after = ctx.partition(" | ")
    alt = "|".join(re.escape(w) for w in fam)
    # the words that join a role to the name it is given: "the co-pilot has been named as X"
    before = re.sub(r"(?:[\s,:;\-–—'\"“”]|\b(?:was|is|has|had|been|being|named|identified|as|now|officially|"
                    r"reportedly|the|a|an|by|police|media|name|names|his|her|their)\b)*$", "", before)
    return re.search(r"\b(?:" + alt + r")$", before) is not None or re.match(
        r"^\s*(?:,|(?:who|that)\s+(?:is|was)|is|was)\s*(?:(?:the|a|an)\s+)?(?:[\w\-]+\s+){0,2}?(?:" + alt + r")\b",
        after) is not None


def _value_key(a: Assertion, v: str) -> str:
    if a.kind == "place":
        return place_key(v)
    if a.kind in ("agent", "who", "owner"):
        w = norm_name(v).split()
        if a.kind == "agent" and a.verb and w and w[0] in TITLE_WORDS:
            return _TITLE_FAMILY.get(w[0], w[0])  # "Premier Anna Kowal" and "the premier": one rival
        return w[-1] if w else v
    if a.kind == "cause":
        w = norm_name(v).split()
        if w and _KIND_WORD.fullmatch(w[0]):
            return w[0]  # "Hurricane" and "Hurricane Sandy": one rival (a storm's name after its kind)
        return head_word(v)
    if a.kind == "means":
        w = norm_name(v).split()
        return singular(w[-1]) if w else v
    if a.kind in ROLE_KINDS:
        return role_key(a.kind, v)
    if a.kind == "date":
        got = read_dates(v)  # "May 3 1999" and "May 3rd, 1999" are one day
        return got[0].lo.isoformat() if got and got[0].weekday is None else v.lower()
    return v


def describe(a: Assertion) -> str:
    what = {"place": "place", "date": "date", "cause": "cause of death" if a.role == "death" else "cause",
            "agent": f"who did it ({a.verb})" if a.verb else "who did it",
            "owner": "owner",
            "means": "made from", "who": "named", "member": "serves with", "relation": "relationship",
            "nickname": "known as", "model": "model", "time": "time of day", "origin": "from",
            "occupation": "occupation", "quarter": "part of the place",
            "outcome": f"what became of the {a.noun}",
            "kind": "kind of weapon" if a.fact is not None and a.fact.sort == "weapon" else "kind of site"}.get(a.kind)
    value = a.value
    if a.kind == "number":
        what = a.role[2:] + "s" if a.role.startswith("n:") else a.role.replace("_", " ")
        if a.role == "dollars":
            what, value = "sum of money", value if value.startswith("$") or "dollar" in value else "$" + value
    return f"{what}: the claim says {'not ' if a.negated else ''}{value}"


def _lone_said(r: AssertionResult) -> str:
    return (f"repeated by {r.repeated} other author(s)" if r.lone == LONE_REPEATED else
            "whose post states the claim's topic")


def summary(r: AssertionResult) -> str:
    a = r.assertion
    head = describe(a)
    if r.confirm.posts == 0 and not r.other_values:
        noun = {"cause": "a cause", "agent": "who did it", "owner": "an owner", "place": "a place",
                "means": "what it was made from", "member": "an organisation", "relation": "a relationship",
                "nickname": "a name given", "model": "a model", "time": "a time of day",
                "origin": "where the person is from", "occupation": "an occupation", "kind": "a kind" if a.fact is None else
                "a weapon" if a.fact.sort == "weapon" else "the kind of site",
                "date": "a date", "who": a.value,
                "outcome": f"what became of the {a.noun}"}.get(a.kind, "an age" if a.role == "age" else
                                                      "a sum of money" if a.role == "dollars" else
                                                      f"a number of {a.role}")
        return f"{head}; no post states {noun}"
    bits = [f"{r.confirm.authors} independent source(s) say so ({r.confirm.posts} post(s))"
            + (f", {_lone_said(r)}, and no post states another value" if r.lone and not r.other_values else "")]
    if r.other_values:
        vals = ", ".join(f"{v.value} ({v.sources})" for v in r.other_values[:SHOWN_VALUES])
        bits.append(f"{r.conflict.authors} state other values ({r.conflict.posts} post(s) counted): {vals}"
                    + (" (a value only one source states is not counted)" if r.stray else "")
                    + (f" (one source, {_lone_said(r)}: the only other value stated, and none states the claim's)"
                       if r.lone else ""))
    if r.superseded:
        bits.append(f"{r.superseded} earlier post(s) with a lower count, superseded as the toll grew")
    if r.later:
        bits.append(f"{r.later} post(s) with a count first stated later (the claim says what early reports said) "
                    "not counted")
    if r.area_others:
        bits.append(f"{r.area_others} source(s) name other places it struck too (an event over an area): not counted "
                    f"against")
    if r.other_givers:
        bits.append(f"{r.other_givers} source(s) name others who gave too (one appeal, many gifts): not counted against")
    if r.elsewhen:
        bits.append(f"{r.elsewhen} post(s) from other days than the event's (another event) not counted")
    return f"{head}; {'; '.join(bits)} -> {r.status}"
