"""What the posts agree on: the facts an answer leads with (issue 16, "answers lead with the facts").

The same reading of posts as `verify` (`verify.assertions.read_posts`): each post's places,
numbers with their units, causes and actors, plus what kind of event it reports. A value is a
*fact* here when independent sources state it (`verify.independence`: a story counts once, an
author once; 100 copies of one post are one source), and it is shown with how many and a
post that states it, cited. What the question already says is no news and is left out.

Beyond that reading, for answers: spots named by common nouns ("near the finish line"), towns
of the gazetteer NER leaves unread, causes said as "after a blast" or read past "of", and for
who-questions the people posts name and who did the question's verb. Places and causes asked
for are not exclusive (two can both be true); people and numbers are.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model import all_words
from ..retrieve import Hit
from ..places import MIN_CONFIDENCE, _common_words as common_words, resolve_text
from ..verify.assertions import _ANYONE, BROAD, STATES, _person_family, _stem, norm_name, place_level, post_entities, read_numbers, read_posts
from ..words import STOPWORDS
from .names import AskedName, asked_name, name_candidates
from .question import LOC_PREPS, Slot, read_slot
from ..verify.independence import Corroboration, Item, corroboration

MAX_POSTS = 80  # posts read (best first): enough for the sources of a fact, bounded in time (~1 ms each)
MAX_FACTS = 5
MIN_SOURCES = 2
MARGIN = 2.0  # a value is agreed on when it has this many times the sources of the next one in its role
BROAD_SHARE = 0.05  # what happened and where: also stated by this share of the authors read
ROLES = ("answer", "count", "what", "site", "where", "state", "region", "from", "to", "dead", "injured", "missing", "evacuated",
         "magnitude", "cause", "who")
_PLACE_ROLES = frozenset({"what", "site", "where", "state", "region", "from", "to"})
_OPEN_ROLES = frozenset({"site", "where", "state", "region", "from", "to", "cause", "answer"})  # more than one value can be true
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
           "derailment": "derailment", "lockdown": "lockdown", "stabbing": "stabbing", "riot": "riot", "riots": "riot", "protest": "protest",
           "protests": "protest"}
_WORD = re.compile(r"[a-z]+")
# Titles and ranks the readers take for a name when a post abbreviates one ("Cpl. Nathan Cirillo").
_TITLES = {"cpl", "sgt", "pte", "pvt", "lt", "capt", "col", "gen", "mr", "mrs", "ms", "dr", "officer", "sir",
           "cpl.", "sgt.", "mr.", "mrs.", "dr.", "st", "st.", "rev", "prof"}


# Spots named by common nouns, after a preposition of place and an article: "near the finish
# line", "at the fertilizer plant", "in a boat". The head noun says it is a spot; up to three words
# before it say which one. No hospital: posts say where the hurt were taken more than where it happened.
_SPOT_HEADS = ("line|memorial|cenotaph|plant|factory|refinery|works|warehouse|school|elementary|library|cafe|café|"
               "restaurant|store|shop|supermarket|market|mall|station|airport|stadium|arena|church|"
               "mosque|synagogue|temple|museum|hotel|building|tower|bridge|park|square|street|office|embassy|"
               "parliament|backyard|boat|harbou?r|beach|campus|university|college|plaza|theat(?:re|er)|club|bar|"
               "compound|mine|dam|highway|freeway|subway|tunnel|courthouse|apartment|gym|cockpit|terminal|hall|"
               "printworks|warehouse|depot|deli|grocery|marina|pier|dock|rink|gate|checkpoint")
_SPOT = re.compile(r"\b(?:at|near|in|inside|outside|on|into|behind|beside|off|over|across|around|by)\s+(?:the|a|an)\s+"
                   r"((?:[a-z][a-z\-']*\s+){0,3}?(?:" + _SPOT_HEADS + r"))s?\b(?!['’]s)(\s+of\b)?", re.IGNORECASE)
# Words before a spot's head that do not say which spot it is.
_WEAK = frozenset("""same whole entire other old new big small local nearby main little huge large very his her
their its our my your this that which what one two some another first second last next front back""".split())
# A cause said as what came before: "evacuated after a blast", "closed following the derailment".
_AFTER = re.compile(r"\b(?:after|following|amid)\s+(?:an?\s+|the\s+)?((?:[a-z][\w\-']*\s+){0,2}[a-z]+)\b",
                    re.IGNORECASE)
# A cause in so many words, read on to what it was of ("due to the risk of another explosion"):
# verify reads the same words but stops at "of", which is enough to compare, not to answer with.
_BECAUSE = re.compile(r"\b(?:due to|because of|caused by|blamed on|triggered by|sparked by|set off by|result of|"
                      r"resulted from|brought on by)\s+((?:[\w'\-]+\s*){1,6})", re.IGNORECASE)
_CAUSE_END = frozenset("in at on near and that which who with after before during from to for as while when but or was "
                       "were is are has had have not this says said say reports reported".split())


def _cause_phrase(words: str) -> str:
    """The cause a post states, to the first word that starts what follows it."""
    out = []
    for w in words.split():
        if w.lower() in _CAUSE_END or not re.fullmatch(r"[\w'\-]+", w):
            break
        out.append(w)
    while out and out[-1].lower() in ("of", "a", "an", "the"):
        out.pop()
    phrase = " ".join(out)
    return phrase.lower() if phrase.isupper() else phrase


_LOCATIVE = frozenset({"in", "at", "near", "from", "to", "outside", "towards", "toward", "into", "en"})
# Words that make a name NER cut short a site: "Martin" + "Place".
_SITE_NOUN = (r"Place|Square|Street|St|Avenue|Ave|Road|Park|Hill|Bridge|Station|Memorial|Hall|Centre|Center|Plaza|"
              r"Mall|Cafe|Café|Stadium|Arena|Airport|Hospital|School|Elementary|Museum|Library|Cathedral|Church")
# A question asking for a region itself ("which countries did it hit"): regions are its answer.
_ASKS_REGION = re.compile(r"\bwhich (?:[a-z]+ ){0,2}?(?:countr|state|province|region|nation)")
# A question asking for several ("which towns"): as many as the posts corroborate answer it.
_PLURAL = re.compile(r"\bwhich (?:[a-z]+ ){0,2}?(?:towns|cities|states|countries|places|areas|counties|provinces|"
                     r"schools|sites|buildings|streets|regions|islands|rivers|suburbs|neighbou?rhoods)\b")
MAX_PLACES = 3  # values of one place role a plural question is answered with


@dataclass(slots=True)
class Fact:
    role: str  # one of ROLES
    value: str
    sources: int  # independent sources stating it
    posts: int
    hit: Hit  # the earliest post stating it, among those counted: what the fact cites
    label: str = ""  # how the answer names the role, when the question's own words do ("shout", "homes")


def fold(s: str) -> str:
    """A name as keys compare it: Düsseldorf and Dusseldorf are one place."""
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def spots(text: str) -> list[tuple[str, str]]:
    """(key, shown) of the spots a post names by common nouns: "at the marathon finish line"
    -> ("finish line", "finish line"); the key is the head and the word before it that says
    which, so "the finish line" and "the marathon finish line" are one spot."""
    out = []
    for m in _SPOT.finditer(text[:MAX_TEXT]):
        said = m.group(1).split()
        ws = [w.lower() for w in said]
        while len(ws) > 1 and ws[0] in _WEAK:
            ws = ws[1:]
        if len(ws) == 1 and m.group(2):
            continue  # "in the line of duty", "at the height of": the head alone is no spot
        n = 2 if len(ws) > 1 and ws[-2] not in _WEAK else 1
        shown = " ".join(said[-n:])
        out.append((" ".join(ws[-n:]), shown.lower() if shown.isupper() else shown))
    return out


def cause_key(value: str) -> tuple[str, str] | None:
    """(key, shown) of a stated cause: one that names an event is that event ("a massive
    explosion" and "the blast" are one cause), else its first word that says what ("his
    girlfriend giving birth" and "girlfriend Alina giving birth" are one cause)."""
    words = _WORD.findall(value.lower())
    for w in words[:words.index("of")] if "of" in words else words:  # "risk of another explosion" is a risk
        if w in _EVENTS:
            return _EVENTS[w], _EVENTS[w]
    said = value.split()
    while said and said[0].lower() in _NOT_CAUSES:
        said = said[1:]
    if not said or not (k := _WORD.findall(said[0].lower())):
        return None
    return k[0], " ".join(said)


# Words before a name that are no part of it ("Sheikh Man Haron Monis", "Cpl. Nathan Cirillo").
_HONORIFICS = _TITLES | {"sheikh", "cleric", "imam", "president", "pm", "senator", "gov", "governor", "mayor", "chief",
                         "sergeant", "corporal", "captain", "reverend", "lord", "lady", "co-pilot", "copilot", "pilot",
                         "suspect", "gunman", "officer", "constable", "const", "const.", "sen", "sen.", "gen.",
                         "sergeant-at-arms"}
_PERSON_LIKE = re.compile(r"[A-Z][a-z'’\-]+(?: [A-Z][a-z'’\-]+){1,2}")


def person(name: str) -> str:
    """A name as a person is called: titles off the front, what follows a dash off the end
    ("Sheikh Man Haron Monis" -> "Man Haron Monis", "Haron Monis - ReutersIndia" -> "Haron Monis")."""
    ws = re.split(r"\s+[-–—|:(]\s*", name.strip(), maxsplit=1)[0].split()[:6]
    while ws and ws[0].lower().rstrip(".") in _HONORIFICS | {t.rstrip(".") for t in _TITLES}:
        ws = ws[1:]
    if len(ws) > 2 and ws[0].lower() in common_words():  # "Meet Kevin Vickers": a sentence's first word
        ws = ws[1:]
    return " ".join(ws).strip(" .,'\"")


# Words a cause can start with that do not say what it was.
_NOT_CAUSES = frozenset({"that", "this", "it", "all", "him", "her", "them", "me", "us", "you", "what", "which", "his",
                         "their", "its", "our", "my", "your", "a", "an", "the", "some", "possible", "suspected",
                         "alleged", "reported", "massive", "huge", "big", "major", "apparent", "unknown"})
MAX_TEXT = 600  # the start of a post is read, as verify reads it


def facts(question: str, posts: Sequence[Hit], kind: str | None = None, slot: Slot | None = None,
          extra: Sequence[Hit] = (), near: Sequence[Hit] = (), details: Sequence[Hit] = ()) -> list[Fact]:
    """The best-corroborated value of each role the posts state, strongest first (the roles
    the question asks about first: `kind` where / count / who / why / what; `slot`, what an
    English question asks of its own predicate, before them). `details`: posts that say the
    question's rare details, read first for its slot and the name it asks for."""
    hits = list(posts[:MAX_POSTS])
    if not hits:
        return []
    more = [*details, *[*posts[MAX_POSTS:MAX_SLOT_POSTS], *extra][:MAX_SLOT_POSTS]]
    found = candidates(question, hits, kind, slot, more, near)
    authors = len({_author(h) for h in hits})
    first = list(ASKED.get(kind or "", ()))
    inside = kind in ("where", "from", "to") and not _ASKS_REGION.search(question.lower())
    named = _named_places(question) if inside else set()
    if named:  # "where in Texas": a place in it answers, the most specific first; the region is no answer
        first = ["site", "where"] + [r for r in first if r not in ("site", "where", "state", "region")]
    if "count" in found:
        first.insert(0, "count")  # "how many homes": the number in the unit asked for
    if "answer" in found:
        first.insert(0, "answer")  # what posts say fills the question's own slot
    best: dict[str, Fact] = {}
    also: list[Fact] = []
    plural = kind in ("where", "from", "to") and _PLURAL.search(question.lower()) is not None
    for role, fs in found.items():
        if named and role in ("site", "where"):  # "Boston Marathon" is no answer to "where in Boston"
            fs = [f for f in fs if not set(_WORD.findall(fold(f.value.lower()))) & named]
            if not fs:
                continue
        if plural and role in first and role in ("site", "where", "state", "region"):
            best[role], *more = fs[:MAX_PLACES]  # "which towns": each one the posts corroborate
            also.extend(more)
            continue
        if role == "count":  # the unit asked for: the most stated value, when no other is stated as often
            if len(fs) == 1 or fs[0].sources > fs[1].sources:
                best[role] = fs[0]
            continue
        if role in first and role in _OPEN_ROLES:
            # places and causes asked for are not rivals the way two tolls are (the finish line is on
            # Boylston Street; a fire set off the blast): the most stated answers, and the next one too
            # when it is stated nearly as often and more than any other; three stated alike answer nothing
            n = [f.sources for f in fs[:3]] + [0, 0]
            if n[0] > n[1] or n[1] > n[2]:
                best[role] = fs[0]
            if n[1] > n[2] and n[1] >= max(MIN_SOURCES, n[0] / 2):
                also.append(fs[1])
            continue
        top, runner = fs[0], (fs[1].sources if len(fs) > 1 else 0)
        if top.sources < MARGIN * runner:
            continue  # disputed, not agreed (the digest's disagreement lines show values that conflict)
        if role in _PLACE_ROLES and role not in first and top.sources < BROAD_SHARE * authors:
            continue  # a place a few posts about something else name (unless where is what is asked)
        best[role] = top
    if named and ("site" in best or "where" in best):
        best.pop("region", None)
        best.pop("state", None)
    causes = [f for f in [best.get("cause"), *also] if f is not None and f.role == "cause"]
    if "what" in best and any(f.value == best["what"].value for f in causes):
        if kind == "why":  # said once: as the cause when that is what is asked
            best.pop("what")
        else:
            also = [f for f in also if f.role != "cause" or f.value != best["what"].value]
            if best.get("cause") and best["cause"].value == best["what"].value:
                best.pop("cause")
    named_answers = {fold(f.value.lower()) for f in [best.get("answer"), *also] if f is not None and f.role == "answer"}
    if named_answers:  # said once: a place that answers the question is not shown again as a place
        best = {r: f for r, f in best.items() if r not in _PLACE_ROLES or fold(f.value.lower()) not in named_answers}
        also = [f for f in also if f.role not in _PLACE_ROLES or fold(f.value.lower()) not in named_answers]
    order = sorted([*best.values(), *also], key=lambda f: (f.role not in first, first.index(f.role) if
                                                           (named or f.role in ("answer", "count")) and
                                                           f.role in first else len(first), -f.sources,
                                                           ROLES.index(f.role)))
    return order[:MAX_FACTS]


ANSWER_DETAIL_SHARE = 0.2  # a question's word at most this share of its event's stories say is one of its details
MIN_DETAIL_STORIES = 2  # ... or at most this many of its stories, in a stream of few
TELLING_DETAILS = 2  # an answer said with this many of them is told from the rest (one source's too)
_SLOT_ROLES = ("answer", "count")  # what fills the question's own slot: a name, a number in its unit


def _detail_weights(question: str, said: list[str], slot: Slot | None, wanted: AskedName | None,
                    posts: Sequence[Hit]) -> dict[str, float]:
    """The question's details, each weighed by how few of its event's stories say it: its words
    (not the noun it asks by, nor one for anyone) that at most `ANSWER_DETAIL_SHARE` of the
    stories say (`MIN_DETAIL_STORIES` in a stream of few), and at least one. Empty with fewer
    than `TELLING_DETAILS`: then nothing tells one answer from another."""
    from ..words import content_stems, stem

    # Nor are words for anyone ("could people call"): said of everyone, they tell no one apart.
    asked_by = {stem(w) for w in (slot.noun if slot else None, wanted.head if wanted else None, *_ANYONE) if w}
    # Counted by story: 100 copies of the post that answers make its words no less rare.
    stems_of: dict[str, set[str]] = defaultdict(set)
    for h, t in zip(posts, said):
        stems_of[h.story.id if h.story else h.post.key] |= content_stems(t[:MAX_TEXT])
    n = len(stems_of)
    weight = {}
    for s in content_stems(question) - asked_by:
        k = sum(1 for ws in stems_of.values() if s in ws)
        if not s.isdigit() and 0 < k <= max(ANSWER_DETAIL_SHARE * n, MIN_DETAIL_STORIES):
            weight[s] = math.log((n + 1) / (k + 1))
    return weight if len(weight) >= TELLING_DETAILS else {}


def _detail_cover(weight: dict[str, float], posts: Sequence[Hit], by: dict[tuple[str, str], list[int]],
                  role: str) -> dict[tuple[str, str], tuple[float, int]]:
    """For each answer to the question's own slot (`role`: a name, or a count), how much of
    the question's details (`_detail_weights`) the post stating it that says the most of them
    says, and how many. "Which coffee chain gave a free coffee to donors to the United Way":
    Starbucks is named with "free coffee" and "United Way", the Red Cross more often with
    neither; "Calgary Food Bank" says "bank" for "which bank", which is no detail. Empty unless
    one answer is said with `TELLING_DETAILS` of them: one rare word in common is as likely chance."""
    keys = [k for k in by if k[0] == role]
    if not keys or not weight:
        return {}
    from ..words import content_stems

    memo: dict[int, tuple[float, int]] = {}

    def says(i: int) -> tuple[float, int]:
        if i not in memo:
            got = weight.keys() & content_stems(all_words(posts[i].post)[:MAX_TEXT])
            memo[i] = (round(sum(weight[s] for s in got), 6), len(got))
        return memo[i]

    cover = {k: max(says(i) for i in by[k]) for k in keys}
    return cover if max(c[1] for c in cover.values()) >= TELLING_DETAILS else {}


def _corroborate(posts: Sequence[Hit], idx: Iterable[int]) -> Corroboration:
    """How many independent sources the posts at `idx` are (`verify.independence`)."""
    return corroboration([Item(posts[i].post.key, _author(posts[i]), posts[i].story.id if posts[i].story else None,
                               posts[i].post.created_at) for i in idx])


def _numbers_to_call(question: str, q_words: set[str], texts: list[str], posts: Sequence[Hit]
                     ) -> list[tuple[str, str, int]]:
    """(as written, key, post) of the numbers to call (or text) the posts give. A stream gives
    numbers for many things, and the one asked for is said with what it is for: when two
    independent sources give numbers with one of the question's rarer words ("donate",
    "talk"), only those."""
    lower = [t.lower() for t in texts]
    rare = []
    for w in q_words:
        if w in _CALL_WORDS or len(w) <= 3:
            continue
        rx = re.compile(r"(?<!\w)" + re.escape(w))
        if 0 < sum(1 for t in lower if rx.search(t)) <= 0.3 * len(lower):
            rare.append(rx)
    texting = re.search(r"\btext", question.lower()) is not None
    every: list[tuple[str, str, int]] = []
    with_rare: dict[str, set[int]] = defaultdict(set)
    for i, (text, low) in enumerate(zip(texts, lower)):
        said_rare = any(rx.search(low) for rx in rare)
        for value, key in phone_numbers(text, texting):
            every.append((value, key, i))
            if said_rare:
                with_rare[key].add(i)
    if any(_corroborate(posts, idx).authors >= MIN_SOURCES for idx in with_rare.values()):
        every = [(value, key, i) for value, key, i in every if i in with_rare.get(key, ())]
    return every


def _author(h: Hit) -> str:
    return h.post.author.id or h.post.author.handle or h.post.key


def candidates(question: str, hits: Sequence[Hit], kind: str | None = None, slot: Slot | None = None,
               more: Sequence[Hit] = (), near_posts: Sequence[Hit] = ()) -> dict[str, list[Fact]]:
    """Every value of each role that two or more independent sources state, most sources
    first: what `facts` chooses from. `more`: posts beyond `hits` read for the slot alone;
    `near_posts`: posts read for the name the question asks for alone (`names`)."""
    said = [all_words(h.post) for h in hits]
    read = read_posts(said, [h.post.created_at for h in hits])
    asked = fold(norm_name(question))
    q_words = {w for w in _WORD.findall(asked) if len(w) > 2}
    # the events the question names, in any form ("evacuate" names the evacuation, "protesting" the protest)
    asked_events = {e for w in _WORD.findall(asked) for k, e in _EVENTS.items()
                    if k == w or (len(w) >= 6 and len(k) >= 6 and k[:6] == w[:6]) or k == w.removesuffix("ing")}
    near = re.search(r"\bnear\b", asked) is not None  # "near which town": a landmark is the answer
    places: set[str] = set()  # every place the posts name: no person, whatever NER says of it elsewhere
    in_names: dict[str, set[int]] = defaultdict(set)  # a word -> the posts where it is part of a person's name
    did = _asked_verb(asked) if kind == "who" else None
    by: dict[tuple[str, str], list[int]] = defaultdict(list)
    shown: dict[tuple[str, str], str] = {}

    def add(role: str, value: str, i: int, key: str | None = None) -> None:
        k = (role, fold(key or norm_name(value)))
        if not k[1] or (k[1] in asked if not k[1].isascii() else  # spaceless scripts have no word edges
                        re.search(r"(?<!\w)" + re.escape(k[1]) + r"(?!\w)", asked)) or \
                (role in ("what", "cause") and k[1] in asked_events):
            return  # the question's own words are no news ("protesting" asks about the protest)
        if not by[k] or by[k][-1] != i:
            by[k].append(i)
        shown.setdefault(k, value)

    for i, (text, f) in enumerate(zip(said, read)):
        for w in set(_WORD.findall(text.lower())):
            if w in _EVENTS:
                add("what", _EVENTS[w], i)
        named = {fold(n) for n in f.near_places}
        places |= {fold(k) for k in f.place_info}
        for label, name in f.names:  # the words of people's full names: "Campbell" of Campbell Newman
            if label == "PERSON" and len(ws := _WORD.findall(fold(name.lower()))) > 1:
                for w in set(ws):
                    in_names[w].add(i)
        for p in f.places:
            named.add(fold(norm_name(p)))
            level, prep = f.place_info.get(norm_name(p), ("city", "at"))
            if level == "event":
                continue
            if f.text and (m := re.search(r"(?<!\w)" + re.escape(p) + r"\s+(" + _SITE_NOUN + r")\b", f.text)):
                p, level = f"{p} {m.group(1)}", "site"  # NER cut the name short: "Martin" of Martin Place
            if f.text and (m := re.search(r"(?<!\w)" + re.escape(p) + r"\s+([A-Z]\w+)", f.text)) and \
                    fold(m.group(1).lower()) in q_words:
                continue  # the first word of a name the question asks about ("Cornelius" Gurlitt), no town
            # a country is no rival of a town in it, a site (a square, a school) none of its town, nor an
            # origin of a destination: each its own role
            add(prep if prep in ("from", "to") else level if level == "state" else "region" if level == "country" else
                "site" if level == "site" else "where", p, i)
        if f.text:  # English (or another Latin script): what NER leaves unread
            for key, value in spots(f.text):
                add("site", value, i, key)
            for name, prep in _gazetteer_places(f.text, named):
                add(prep if prep in ("from", "to") else "where", name, i)
            if near:
                for label, etext, *_ in post_entities([text])[0]:
                    if norm_name(etext) in f.near_places and place_level(etext, label) in ("city", "area", "site"):
                        add("where", etext, i)
        for n in f.numbers:
            role = _NUMBER_ROLES.get(n.unit)
            if role:
                v = int(n.value) if float(n.value).is_integer() else n.value
                add(role, n.text if n.lo != n.hi else str(v), i, f"{n.lo}-{n.hi}")
        stated = [_cause_phrase(m.group(1)) for m in _BECAUSE.finditer(text[:MAX_TEXT])]  # "risk of another explosion"
        for c in [*stated, *f.causes, *(m.group(1) for m in _AFTER.finditer(f.text or text[:MAX_TEXT]))]:
            if c and (ck := cause_key(c)) is not None and (c in f.causes or c in stated or ck[0] in _EVENTS.values()):
                add("cause", ck[1], i, ck[0])
        for rf in f.roles if slot is not None else ():  # what verify reads of a kind the question asks for
            if rf.kind == _ROLE_OF.get(slot.noun or "") or (rf.kind == "origin" and kind == "from" and
                                                            _ORIGIN_Q.search(asked)):
                add("answer", rf.value, i, "r:" + rf.key)
        # a place or a nationality the post names is no one ("gunman in Martin Place", "named as Iranian ...")
        ents = {norm_name(t): label for label, t, *_ in post_entities([text])[0]} if f.text else {}
        agents = [v for a in f.agents if (v := person(a)) and norm_name(v) not in f.place_info and
                  place_level(v, "") == "city" and ents.get(norm_name(v)) not in ("NORP", "GPE", "LOC", "FAC")]
        for a in agents:
            add("who", a, i)
        if kind == "who":  # asked who: the people the post names too, unless the question names them
            for label, name in f.names:
                v = person(name)
                parts = {w for w in _WORD.findall(fold(v.lower())) if len(w) > 2}
                if v and parts and not parts & q_words and (label == "PERSON" or _PERSON_LIKE.fullmatch(v)) and \
                        place_level(v, "") == "city" and norm_name(v) not in f.place_info:
                    add("who", v, i)
            if did is not None:  # "who shot him": "shot by officer Darren Wilson", "Kevin Vickers shot the gunman"
                for v in _doers(f.text or text[:MAX_TEXT], did):
                    if not {w for w in _WORD.findall(fold(v.lower())) if len(w) > 2} & q_words:
                        add("who", v, i)
    everything = [*hits, *more]
    asks_phone, asks_kind = _ASKS_PHONE.search(question.lower()), _ASKS_KIND.search(question.lower())
    if asks_phone or asks_kind:  # what the posts beyond `hits` say is read here only
        texts = [*said, *(all_words(h.post) for h in everything[len(said):])]
        if asks_phone:  # "what number could people call / text ... to": the numbers posts give
            for value, key, i in _numbers_to_call(question, q_words, texts, everything):
                add("answer", value, i, key)
        if asks_kind:  # "what kind of school": "a middle school"
            noun = asks_kind.group(1)
            rx = re.compile(r"\b([a-z][a-z'-]{2,})\s+" + re.escape(noun) + r"s?\b")
            for i, text in enumerate(texts):
                for m in rx.finditer(text.lower()):
                    if (mod := m.group(1)) not in _NOT_KINDS and mod not in q_words:
                        add("answer", f"{mod} {noun}", i, "kind:" + mod)
    if slot is not None:
        for role, key, value, i in _stated_with_details(question, slot, slot_candidates(question, slot, everything,
                                                                                        q_words), everything, len(hits)):
            add(role, value, i, key)
    wanted = asked_name(question) if slot is not None else None  # English questions only
    if wanted is not None:
        seen = {h.post.key for h in everything}
        everything += [h for h in near_posts if h.post.key not in seen]
        kinds = frozenset(w for k in kind_words(wanted.head) for w in (k, k + "s")) if wanted.head else frozenset()
        named = name_candidates(question, wanted, everything, places)
        _drop_answers_without_details(question, wanted, named, everything, by)
        for key, value, i in named:
            ks = _key_shown(value, q_words, kinds)  # keyed as the slot's answers are: one thing, one count
            add("answer", value, i, ks[0] if ks else key)
    _merge_spots(by, shown)
    _merge_answers(by, shown)
    for k in [k for k in by if k[0] == "who" and k[1] in places]:
        del by[k]
    for k in [k for k in by if k[0] in ("where", "from", "to") and k[1] in in_names]:
        if 2 * len(in_names[k[1]]) >= len(by[k]):  # "Vladimir", "Campbell": a name's first word, read as a town
            del by[k]
    _merge_names(by, shown)
    weight = _detail_weights(question, said, slot, wanted, everything) if any(k[0] in _SLOT_ROLES for k in by) else {}
    cover = {role: _detail_cover(weight, everything, by, role) for role in _SLOT_ROLES}
    best = {role: max(c.values(), default=(0.0, 0)) for role, c in cover.items()}
    found: dict[str, list[Fact]] = defaultdict(list)
    for (role, key), idx in by.items():
        if cover.get(role) and cover[role][(role, key)][0] < best[role][0]:
            continue  # an answer said with fewer of the question's details names another thing
        c = _corroborate(everything, idx)
        if c.authors < MIN_SOURCES and not (cover.get(role) and (role == "count" or
                                                                 _names_something(shown[(role, key)], wanted is not None))):
            continue
        kept = set(c.counted)
        counted = [everything[i] for i in idx if everything[i].post.key in kept] or [everything[idx[0]]]
        value, label = shown[(role, key)], _label(role, slot, wanted)
        if role == "count" and slot is not None:
            value, label = _count_said(value, label, slot)
        found[role].append(Fact(role, value, c.authors, c.posts, min(counted, key=lambda h: h.post.created_at),
                                label))
    for fs in found.values():
        fs.sort(key=lambda f: (-f.sources, -f.posts))
    return dict(found)


# A question asking for a number to call or text ("what phone number", "what toll-free number
# could people call", "what number could people text X to"), not a count or a rank.
_ASKS_PHONE = re.compile(r"\bnumber\b.*\b(?:call|calls|called|text|texts|dial|phone|ring)\b|"
                         r"\b(?:phone|telephone|toll[- ]free|hotline|helpline|crisis line|tip line)\b[^?]*\bnumber\b")
_PHONE = re.compile(
    r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-])"  # 613-238-3311, 1-800-418-1111
    r"|(?<![\w-])1[38]00[\s.-]?\d{3}[\s.-]?\d{3}(?![\w-])"  # 1800 811 700 (Australia)
    r"|(?<![\w-])1[\s.-]8\d\d[\s.-][A-Za-z]{2,5}(?:[\s.-][A-Za-z]{2,5})?(?![\w-])"  # 1-800-CALL-FBI
    r"|(?<=\bto )\d{5,6}(?!\w)")  # text REDCROSS to 90999 (a short code: only when texting is asked)


# "What kind (type, sort) of school": the word posts put before the noun ("a middle school").
_ASKS_KIND = re.compile(r"\bwhat (?:kind|type|sort)s? of ([a-z]+)\b")
_NOT_KINDS = frozenset("the a an this that these those his her their its our my your one two three four five six "
                       "first second third last next new old same other another any some every each no near nearby "
                       "local whole entire area city town nearest closest only own such many more most few several "
                       "and or of in at on to for from with by as is was are were be been has had have not".split())
_CALL_WORDS = frozenset("number numbers phone telephone toll free call called calls text dial ring hotline line "
                        "people could can would what which were was did".split())


def _drop_answers_without_details(question: str, wanted: AskedName, named: list[tuple[str, str, int]],
                                  posts: Sequence[Hit], by: dict[tuple[str, str], list[int]]) -> None:
    """When two independent sources name the thing asked for in posts that state one of the
    question's details (its words at most half of the posts say), the slot's answers stated in
    no such post are dropped: the church of "the interfaith service attended by Governor Reyes"
    is the one named with the governor or the service, not the church more posts name for
    picketing the funerals (`names.name_candidates` weighs its own names this way)."""
    if not named:
        return
    from ..words import content_stems, stem
    from .names import _sources, rare_in

    said = [content_stems(all_words(h.post)[:MAX_TEXT]) for h in posts]
    head = {stem(w) for w in (wanted.head, *wanted.nouns) if w}
    details = rare_in({s for s in content_stems(question) - head if not s.isdigit()}, said)
    if not details or _sources(posts, [i for _, _, i in named if details & said[i]]) < MIN_SOURCES:
        return
    # ... and so are the sites posts name without them: rivals of the name asked for ("Grace
    # Baptist Church" read as where something was; the cafe of the siege for the landmark evacuated)
    for k in [k for k, idx in by.items() if k[0] in ("answer", "site", "where")
              and not any(details & said[i] for i in idx)]:
        del by[k]


def phone_numbers(text: str, texting: bool = False) -> list[tuple[str, str]]:
    """(as written, key) of the numbers to call in `text` (to text, with `texting`: short codes
    only); one key per number however it is written (dots, spaces, a leading 1)."""
    out = []
    for m in _PHONE.finditer(text):
        v = m.group(0).strip()
        if v.isdigit() != texting:
            continue
        key = re.sub(r"[^0-9A-Za-z]", "", v).upper()
        if len(key) == 11 and key[0] == "1" and key[1:].isdigit():
            key = key[1:]  # +1 / 1- before a North American number
        out.append((v, "tel:" + key))
    return out


_AUX = frozenset("is was are were will would has have had did does do can could should may might be been".split())
# Where a named doer's name ends: the words that start what follows it.
_END = frozenset("in at on near and that which who with after before during from of to for as while when but or was "
                 "were is are has had have not this".split())


def _asked_verb(asked: str) -> str | None:
    """The verb a who-question asks about the doer of ("who shot the gunman" -> "shot"); None
    for "who was/is ...", which asks who someone is."""
    m = re.search(r"\bwho\s+([a-z]+)\b", asked)
    return m.group(1) if m and m.group(1) not in _AUX and len(m.group(1)) > 2 else None


def _doers(text: str, verb: str) -> list[str]:
    """Who a post says did `verb`: "<verb> by X" (up to four words, to the first that starts
    what follows), or a name of two or more capitalised words right before it."""
    out = []
    by_rx = r"\b" + re.escape(verb) + r"(?:\s+and\s+\w+)?\s+by\s+(?:an?\s+|the\s+)?([\w'’\-]+(?:\s+[\w'’\-]+){0,3})"
    for m in re.finditer(by_rx, text, re.IGNORECASE):
        ws = []
        for w in m.group(1).split():
            if w.lower() in _END:
                break
            ws.append(w)
        name = re.findall(r"[A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+)+", " ".join(ws))
        v = person(name[0]) if name else " ".join(ws).lower()
        if v and v.lower() not in GENERIC_DOERS:
            out.append(v)
    before_rx = r"([A-Z][\w'’\-]+(?:\s+[A-Z][\w'’\-]+){1,3})\s+(?:\w+ly\s+)?" + re.escape(verb) + r"\b"
    for m in re.finditer(before_rx, text):
        if (v := person(m.group(1))) and len(v.split()) > 1:
            out.append(v)
    return out


GENERIC_DOERS = frozenset({"someone", "somebody", "a", "an", "the", "him", "her", "them", "it", "me", "us", "unknown"})


def _merge_names(by: dict[tuple[str, str], list[int]], shown: dict[tuple[str, str], str]) -> None:
    """A person named in part ("Haron Monis", "Lubitz") is the fuller name that contains it
    ("Man Haron Monis") and is said at least as often: one person, one count."""
    names = sorted((k for k in by if k[0] == "who"), key=lambda k: len(k[1].split()))
    for k in names:
        if k not in by:
            continue
        words = set(k[1].split())
        fuller = [o for o in by if o[0] == "who" and o != k and words < set(o[1].split()) and len(by[o]) >= len(by[k])]
        if fuller:
            into = max(fuller, key=lambda o: len(by[o]))
            by[into] = sorted(set(by[into]) | set(by.pop(k)))
            shown.pop(k, None)


def _label(role: str, slot: Slot | None, asked: AskedName | None = None) -> str:
    """How the answer names a role the question's own words ask for: the kind of thing asked
    for ("school"), else the predicate ("shout"); a count by its unit ("homes", "age"); a name
    by the noun the question asks for it by ("eyewitness"), a site's by "where"."""
    if slot is None or role not in ("answer", "count"):
        return ""
    if role == "answer" and asked is not None and (asked.label or not slot.said):
        # the noun the question asks for a name by: "band", "eyewitness"
        return asked.head or ("where" if asked.type == "place" else "answer")
    if role == "count":
        u = slot.unit or ""
        if u == "dollars" and slot.noun:
            return slot.noun  # "funding"
        return "age" if u == "years_old" else _plural(u[2:]) if u.startswith("n:") else u
    return slot.noun if slot.noun and (slot.noun in _KIND_WORDS or not slot.said) else slot.said or "answer"


EVERYDAY_ZIPF = 4.5  # a word this frequent in English ("mail", "handle"; not "Starbucks" 3.8, "CNN" in capitals)


def _names_something(value: str, a_name: bool) -> bool:
    """A value one source gives reads as an answer, not a stray word the slot caught: no quotes,
    no date run together ("15April"), and, asked for a name (`a_name`), no everyday word alone
    ("Mail"; what people were asked not to share may well be "photos")."""
    from wordfreq import zipf_frequency

    v = value.strip().strip(".,;:!?")
    ws = v.split()
    everyday = a_name and len(ws) == 1 and zipf_frequency(v.lower(), "en") >= EVERYDAY_ZIPF and not (v.isupper() and len(v) <= 5)
    return bool(ws) and not everyday and not re.search(r"[\"“”‘’]", v) and not re.fullmatch(r"\d+[A-Za-z]+", v)


def _count_said(value: str, label: str, slot: Slot) -> tuple[str, str]:
    """A count as it is said, its unit after it ("3 patients", "14 hours"), money with its sign
    ("$42"), an age as posts say it ("age: 9-year-old"): (value, label; none but for an age)."""
    if slot.unit == "years_old":
        return value, label
    if value[:1] in _SIGNS:
        return value, ""
    if slot.unit == "dollars":
        return "$" + value, ""
    return f"{value} {label}".strip(), ""


def _plural(noun: str) -> str:
    """The plural a count's unit is labelled by ("community" -> "communities")."""
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if re.search(r"(?:s|x|ch|sh)$", noun) else "s")


def _merge_answers(by: dict[tuple[str, str], list[int]], shown: dict[tuple[str, str], str]) -> None:
    """An answer named in part ("Plaza Towers", "towers") is the fuller naming that ends with
    it and is said at least as often ("Plaza Towers Elementary"): one thing, one count."""
    keys = sorted((k for k in by if k[0] == "answer" and not k[1].startswith("q:")), key=lambda k: len(k[1]))
    for k in keys:
        if k not in by:
            continue
        longer = [o for o in by if o[0] == "answer" and o != k and not o[1].startswith("q:") and
                  (o[1].endswith(" " + k[1]) or o[1].startswith(k[1] + " ")) and len(by[o]) >= len(by[k]) / 2]
        if longer:
            into = max(longer, key=lambda o: len(by[o]))
            by[into] = sorted(set(by[into]) | set(by.pop(k)))
            shown.pop(k, None)


def _merge_spots(by: dict[tuple[str, str], list[int]], shown: dict[tuple[str, str], str]) -> None:
    """A spot named by its head alone ("the plant") is the spot of that head the posts name
    most ("the fertilizer plant"), when they name one."""
    for (role, key) in [k for k in by if k[0] == "site" and " " not in k[1]]:
        longer = [k for k in by if k[0] == "site" and k[1].endswith(" " + key)]
        if longer:
            into = max(longer, key=lambda k: len(by[k]))
            by[into] = sorted(set(by[into]) | set(by.pop((role, key))))
            shown.pop((role, key), None)


def _gazetteer_places(text: str, named: set[str]) -> list[tuple[str, str]]:
    """(name, preposition) of towns the gazetteer knows that NER left unread ("from Barcelona
    to Dusseldorf"): each said right after a preposition of place (a bare capitalised word is
    too often something else), or qualified beyond doubt ("Hamilton, Ontario")."""
    out = []
    for p in resolve_text(text[:MAX_TEXT])[:8]:
        if p.lat is None or p.confidence < MIN_CONFIDENCE or fold(norm_name(p.name)) in named:
            continue
        spelled = _spelled(text, p.name)
        m = re.search(r"([A-Za-z]+)\W+#?" + re.escape(spelled), text[:MAX_TEXT]) if spelled else None
        prep = m.group(1).lower() if m else ""
        if prep in _LOCATIVE or (spelled and p.confidence >= 0.9):
            out.append((p.name, prep))
    return out


def _spelled(text: str, name: str) -> str | None:
    """How the post spells a gazetteer name (Dusseldorf, Düsseldorf): the words it matched."""
    if name in text:
        return name
    folded = fold(text)
    if len(folded) != len(text):  # a letter that folds to two: positions no longer line up
        return None
    m = re.search(r"(?<!\w)" + re.escape(fold(name)) + r"(?!\w)", folded, re.IGNORECASE)
    return text[m.start():m.end()] if m else None


def _named_places(question: str) -> set[str]:
    """The words of the places a question names ("where in Texas" -> {"texas"}), folded: the
    states and countries it names, and what NER reads as a place in it, as in a post."""
    q = fold(norm_name(question))
    out = {w for b in BROAD | STATES if re.search(r"(?<!\w)" + re.escape(b) + r"(?!\w)", q) for w in b.split()}
    out |= {w for label, name, *_ in post_entities([question[:MAX_TEXT]])[0] if label in ("GPE", "LOC", "FAC")
            for w in _WORD.findall(fold(name.lower()))}
    return out - {"the"}


# What an English question asks for, first match wins, and the roles that answer it first.
_KINDS = [(kind, re.compile(rx)) for kind, rx in [
    ("from", r"\b(?:where|which \w+)\b.*\b(?:from|take off|took off|depart\w*|originally)\b|\borigin\b"),
    ("to", r"\bwhere\b.*\b(?:going|headed|heading|bound|flying to)\b|\bdestination\b"),
    ("where", r"\bwhere\b|\bwhich (?:[a-z]+ ){0,2}?(?:town|cit(?:y|ies)|state|countr(?:y|ies)|place|area|"
              r"count(?:y|ies)|province|school|site|building|street|region|island|river|neighbou?rhood|suburb)"),
    ("count", r"\bhow (?:many|much)\b|\bdeath toll\b|\bnumber of\b"),
    ("who", r"\bwho\b"),
    ("why", r"\bwhy\b|\bwhat caused\b|\bcause\b"),
    ("what", r"\bwhat\b"),
]]
ASKED = {"where": ("where", "site", "state", "region"), "from": ("from", "where"), "to": ("to", "where"),
         "count": ("dead", "injured", "missing", "evacuated", "magnitude"), "who": ("who",), "why": ("cause", "what"),
         "what": ("what",)}


def question_kind(question: str) -> str | None:
    """What an English question asks for: from, to, where, count (how many/much), who, why, what."""
    q = question.lower()
    return next((kind for kind, rx in _KINDS if rx.search(q)), None)


# -- the question's own predicate: what posts say fills the slot the question asks about ----------
#
# "What did the gunmen shout?" is answered by what posts say the gunmen shouted ("shouted
# 'Allahu Akbar'"), "Which school was hit by the tornado?" by what posts say was hit, "Where
# were the suspects cornered?" by the place after "cornered in", "How many homes were searched?"
# by a number of homes: each value counted by independent sources like every other fact. Posts
# are read by spaCy's parse, and only those that say the question's verb in some form.

MAX_SLOT_POSTS = 300  # posts looked through for the question's verb (a word match first)
MAX_PARSED = 40  # of those, parsed (~2.5 ms each, cached)
_IRREGULAR = {
    "bring": "brought", "find": "found", "give": "gave given", "hold": "held", "hit": "hit", "put": "put",
    "shoot": "shot", "take": "took taken", "say": "said", "tell": "told", "make": "made", "go": "went gone",
    "see": "saw seen", "leave": "left", "lose": "lost", "send": "sent", "build": "built", "catch": "caught",
    "fight": "fought", "buy": "bought", "keep": "kept", "begin": "began begun", "break": "broke broken",
    "drive": "drove driven", "fall": "fell fallen", "fly": "flew flown", "hide": "hid hidden", "know": "knew known",
    "run": "ran", "sink": "sank sunk", "speak": "spoke spoken", "steal": "stole stolen", "strike": "struck",
    "throw": "threw thrown", "win": "won", "write": "wrote written", "blow": "blew blown", "lead": "led",
    "flee": "fled", "meet": "met", "pay": "paid", "seek": "sought", "sell": "sold", "stand": "stood",
    "tear": "tore torn", "wear": "wore worn", "cut": "cut", "set": "set", "shut": "shut", "let": "let",
    "spread": "spread", "bear": "bore born borne", "choose": "chose chosen", "rise": "rose risen",
    "shake": "shook shaken", "sing": "sang sung", "swim": "swam swum", "grow": "grew grown", "draw": "drew drawn"}
# Kinds of things a "what / which <noun>" question asks for, with the nouns posts name them by
# ("what storm": Cyclone Oswald; "which school": Plaza Towers Elementary).
_KIND_WORDS = {"storm": "storm cyclone hurricane typhoon", "cyclone": "cyclone storm", "hurricane": "hurricane storm",
               "school": "school elementary academy", "venue": "venue hall arena theatre theater stadium club centre "
               "center garden", "arena": "arena stadium dome saddledome centre center", "ship": "ship boat vessel",
               "stadium": "stadium arena field park", "hospital": "hospital", "church": "church cathedral chapel",
               "plant": "plant factory works", "company": "company firm", "airline": "airline airlines airways",
               "hotel": "hotel", "building": "building tower centre center", "bridge": "bridge", "river": "river creek",
               "street": "street st avenue ave road rd boulevard", "park": "park", "cafe": "cafe café",
               "station": "station", "mall": "mall centre center", "university": "university college"}
_NICK_NOUNS = frozenset({"nickname", "name", "hashtag", "nick"})
_MODEL_NOUNS = frozenset({"aircraft", "plane", "model", "jet", "airliner", "weapon", "gun", "rifle", "helicopter"})
_NAME_WORD = r"[A-Z][\w'’\-]*"
_QUOTE = re.compile(r"^[^\"“”.!?]{0,20}?(?:^|(?<=[\s:]))[\"“'‘]([^\"“”'‘’\n]{3,60}?)[\"”'’](?!\w)")
_AGE = re.compile(r"\b(\d{1,3})[- ](?:years?|yrs?)[- ]old\b|\baged (\d{1,3})\b", re.IGNORECASE)
_LEAD_WORDS = frozenset({"the", "a", "an", "rt", "breaking", "update", "via", "this", "that", "his", "her", "their",
                         "its", "our", "my", "your", "some", "more", "latest", "new", "just", "now"})
_parsed: dict[str, object] = {}


def kind_words(noun: str) -> list[str]:
    """The words posts name a kind of thing by ("storm": storm, cyclone, hurricane, typhoon)."""
    return _KIND_WORDS.get(noun, noun).split()


def verb_forms(lemma: str) -> frozenset[str]:
    """The forms a post may say an English verb in (regular endings, the common irregular ones)."""
    v = lemma.lower()
    out = {v, v + "s", v + "es", v + "ed", v + "d", v + "ing"}
    if v.endswith("e"):
        out |= {v[:-1] + "ing"}
    if v.endswith("y") and len(v) > 2 and v[-2] not in "aeiou":
        out |= {v[:-1] + "ies", v[:-1] + "ied"}
    if len(v) >= 3 and v[-1] not in "aeiouwxy" and v[-2] in "aeiou" and v[-3] not in "aeiou":
        out |= {v + v[-1] + "ed", v + v[-1] + "ing"}
    out |= set(_IRREGULAR.get(v, "").split())
    return frozenset(out)


def _parse(texts: list[str]) -> list:
    from ..verify.assertions import _clean_for_ner, nlp

    m = nlp()
    if m is None:
        return [None] * len(texts)
    todo = [t for t in dict.fromkeys(texts) if t not in _parsed]
    if todo:
        docs = list(m.pipe([_clean_for_ner(t) for t in todo], batch_size=32))
        if len(_parsed) > 20_000:
            _parsed.clear()
        _parsed.update(zip(todo, docs))
    return [_parsed.get(t) for t in texts]


def _phrase(head, q_words: set[str], kind_words: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(key, shown) of the noun phrase a token heads: its compounds, modifiers and numbers
    before it ("Plaza Towers Elementary School", "tear gas"), no article; None when it says
    nothing the question does not ("the gunmen")."""
    if head.pos_ in ("PRON", "DET", "PUNCT", "NUM", "SCONJ", "CCONJ") or not head.text.strip("#@"):
        return None
    left = []
    for c in reversed([c for c in head.lefts if c.i < head.i]):
        if c.dep_ in ("compound", "amod", "nmod", "nummod") and c.i == (left[0].i if left else head.i) - 1:
            left.insert(0, c)
        elif c.dep_ not in ("det", "poss", "punct"):
            break
    right = [c for c in head.rights if c.dep_ in ("compound", "appos") and c.pos_ == "PROPN" and c.i == head.i + 1]
    words = [t.text.lstrip("#@") for t in left + [head] + right[:1]]
    while words and words[0].lower() in _LEAD_WORDS:
        words = words[1:]
    return _key_shown(" ".join(words[-5:]), q_words, kind_words)


def _key_shown(shown: str, q_words: set[str], kind_words: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """A value's key: its last two words that say which (not the question's own, not the kind's
    word: "Plaza Towers Elementary School" -> "plaza towers"), so that a longer and a shorter
    naming of one thing count together."""
    shown = shown.strip(" ,.:;!?-\"'“”‘’")
    ws = [w for w in _WORD.findall(fold(shown.lower())) if w not in STOPWORDS]
    if not ws or all(w in q_words or w in kind_words for w in ws):
        return None
    keep = [w for w in ws if w not in kind_words] or ws
    keep = [w for w in keep if w not in q_words] or keep
    return " ".join(_stem(w) for w in keep[-2:]), (shown.lower() if shown.isupper() else shown)


def _quote_key(quoted: str, q_words: set[str]) -> tuple[str, str] | None:
    """A quotation keyed by its words, in any order ("the Prophet is avenged", "we have avenged
    the prophet")."""
    ws = sorted({_stem(w) for w in _WORD.findall(fold(quoted.lower())) if w not in STOPWORDS and len(w) > 2})
    if not ws or all(w in q_words for w in ws):
        return None
    return "q:" + " ".join(ws[:4]), "“" + quoted.strip(" !?.,;:") + "”"


def _slot_fillers(doc, forms: frozenset[str], slot: Slot, q_words: set[str]) -> list[tuple[str, str]]:
    """What a parsed post says fills the question's slot of its verb. A question that names the
    kind of thing it asks for ("what flag was held up") is answered by a phrase naming one
    ("an Islamic flag"), not by whatever else fills the slot ("hostages held up in the cafe")."""
    out = []
    concrete = None
    person = slot.noun is not None and _person_family(slot.noun) is not None
    if slot.noun and slot.noun not in _VAGUE_NOUNS and not person:
        concrete = {_stem(w) for w in _KIND_WORDS.get(slot.noun, slot.noun).split()} | {_stem(slot.noun)}
    kinds = frozenset(_KIND_WORDS.get(slot.noun or "", slot.noun or "").split()) - {""}
    kinds |= {k + "s" for k in kinds}
    for t in doc:
        if t.lower_ not in forms:
            continue
        kids = list(t.children)
        passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in kids) or (t.tag_ == "VBN" and any(
            c.dep_ == "agent" for c in kids))
        heads = []
        kind = slot.slot or ""
        if kind == "obj" or (kind.startswith("prep:") and slot.said.split()[-1] in ("up", "down", "off", "out")):
            m = _QUOTE.match(doc.text[t.idx + len(t.text):])
            if m and (kq := _quote_key(m.group(1), q_words)):
                out.append(kq)
                continue
            heads = [c for c in kids if c.dep_ in ("dobj", "attr", "oprd")] if not passive else \
                [c for c in kids if c.dep_ == "nsubjpass"]
            if t.dep_ == "acl" and t.tag_ == "VBN":
                heads.append(t.head)  # "a black flag held up in the window": what was held up
            if kind == "obj" and t.dep_ == "compound" and t.tag_ in ("NNS", "VBZ") and t.head.pos_ == "NOUN" and \
                    t.head.i == t.i + 1:
                # the verb's form read as a plural noun in a headline's run of nouns ("Hostage-taker at
                # Paris store demands release of ..."): the noun after it is what it takes
                if (ks := _key_shown(t.head.text, q_words, kinds)) is not None and (concrete is None or any(
                        _stem(w) in concrete for w in _WORD.findall(ks[1].lower()))):
                    out.append(ks)
                continue
        if kind.startswith("prep:"):
            p = kind[5:]
            heads += [g for c in kids if c.dep_ in ("prep", "prt") and c.lower_ == p for g in c.children
                      if g.dep_ == "pobj"]
        elif kind == "subj":
            heads = [c for c in kids if c.dep_ == "nsubj"] if not passive else \
                [g for c in kids if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        elif kind == "patient":
            heads = [c for c in kids if c.dep_ == "nsubjpass"] if passive else [c for c in kids if c.dep_ == "dobj"]
            if not heads and t.dep_ in ("acl", "amod") and t.head.pos_ in ("NOUN", "PROPN"):
                heads = [t.head]  # "Plaza Towers Elementary, hit by the tornado"
        elif kind == "loc":
            heads = [g for c in kids if c.dep_ == "prep" and c.lower_ in LOC_PREPS for g in c.children
                     if g.dep_ == "pobj"]
            heads = [h for h in heads if h.pos_ == "PROPN" or h.lower_ in _SPOT_WORDS or
                     any(c.pos_ == "PROPN" for c in h.lefts)]
        for h in heads:
            if (ks := _phrase(h, q_words, kinds)) is not None and (concrete is None or any(
                    _stem(w) in concrete for w in _WORD.findall(ks[1].lower()))) and \
                    not (slot.noun and _is_place(ks[0].split()[0], doc.text)) and \
                    (not (person or slot.who) or (h.pos_ == "PROPN" and _person_family(ks[1]) is None)) and \
                    not re.fullmatch(r"[A-Z]?[a-z]+[A-Z]\w*", ks[1]):  # "Oklahoma schools"; who: a name; no hashtag
                out.append(ks)
    return out


# Nouns that ask for something without saying what kind of thing it is.
_VAGUE_NOUNS = frozenset({"thing", "things", "number", "name", "nickname", "word", "words", "message", "amount",
                          "figure", "kind", "type", "sort", "part", "one", "people", "person", "way", "sign", "reason",
                          "information", "news", "detail", "details", "time", "day", "hashtag"})
_SPOT_WORDS = frozenset(_SPOT_HEADS.split("|")) | {"harbour", "harbor", "theatre", "theater"}


# "St" / "St." before a capitalised word is a saint's ("St. Louis", "St Mark"), not a street.
_SAINT = re.compile(r"St\.?\s+[A-Z]")


def _kind_names(text: str, noun: str, q_words: set[str]) -> list[tuple[str, str]]:
    """Names of the kind of thing asked for, as posts name it: "Plaza Towers Elementary School",
    "Cyclone Oswald" (a capitalised name before or after one of the kind's words)."""
    kinds = _KIND_WORDS.get(noun, noun).split()
    alt = "|".join(re.escape(k) for k in kinds)
    kind_set = frozenset(kinds) | {k + "s" for k in kinds}
    out = []
    for m in re.finditer(r"((?:" + _NAME_WORD + r"\s+){1,3})(?i:" + alt + r")s?\b", text):
        if _SAINT.match(text, m.end(1)):
            continue  # "Greater St. Mark Church": a saint's name, no street
        ws = m.group(1).split()
        while ws and ws[0].lower() in _LEAD_WORDS:
            ws = ws[1:]
        if ws and (ks := _key_shown(" ".join(ws) + " " + text[m.end(1):m.end()].strip(), q_words, kind_set)):
            out.append(ks)
    for m in re.finditer(r"(?<![\w#@])(?i:" + alt + r")\s+(" + _NAME_WORD + r"(?:\s+" + _NAME_WORD + r")?)", text):
        if (ks := _key_shown(text[m.start():m.end()], q_words, kind_set)):
            out.append(ks)
    return out


def _is_place(word: str, text: str) -> bool:
    w = norm_name(word)
    if w in BROAD or w in STATES:
        return True
    return any(label in ("GPE", "LOC", "NORP") and w in norm_name(name).split()
               for label, name, *_ in post_entities([text])[0])


def reads_slot(slot: Slot) -> bool:
    """Whether `slot_candidates` has anything to read for this slot (else no posts are looked at)."""
    return bool(slot.verb and slot.slot) or (slot.noun or "") in _KIND_WORDS or \
        bool(slot.unit and slot.unit not in _UNIT_ROLES)


def slot_candidates(question: str, slot: Slot, posts: Sequence[Hit], q_words: set[str]
                    ) -> list[tuple[str, str, str, int]]:
    """(role, key, shown, post index) of what posts say answers the question's own slot: the
    predicate's filler (role "answer"), a name of the kind asked for ("answer"), a nickname or a
    model from verify's role reading ("answer"), a number in the unit asked for ("count")."""
    out: list[tuple[str, str, str, int]] = []
    if not reads_slot(slot):
        return out
    texts = [all_words(h.post)[:MAX_TEXT] for h in posts]
    forms = verb_forms(slot.verb) if slot.verb and slot.slot else frozenset()
    if forms:
        rx = re.compile(r"(?<![\w#@])(?:" + "|".join(map(re.escape, sorted(forms))) + r")(?!\w)", re.IGNORECASE)
        idx = [i for i, t in enumerate(texts) if rx.search(t)][:MAX_PARSED]
        for i, doc in zip(idx, _parse([texts[i] for i in idx])):
            if doc is not None:
                out += [("answer", k, s, i) for k, s in _slot_fillers(doc, forms, slot, q_words)]
    if slot.noun and slot.noun in _KIND_WORDS:
        for i, t in enumerate(texts):
            for k, s in _kind_names(t, slot.noun, q_words):
                if not _is_place(s.split()[0] if s.split() else s, t):  # "Oklahoma school" names no school
                    out.append(("answer", k, s, i))
    if slot.unit == "years_old":
        for i, t in enumerate(texts):
            for m in _AGE.finditer(t):  # shown as said: "8-year-old"
                out.append(("count", m.group(1) or m.group(2), m.group(0).lower(), i))
    elif slot.unit and slot.unit not in _UNIT_ROLES:
        for i, t in enumerate(texts):
            for n in read_numbers(t):
                if n.unit == slot.unit:  # "more than 16 hours" and "16 hours" are one value
                    v = int(n.value) if float(n.value).is_integer() else n.value
                    out.append(("count", str(v), f"{v:,}", i))
        # money by its sign: "$42"; "how many pounds did he pledge": "£2"
        money = _MONEY if slot.unit == "dollars" else re.compile(re.escape(_CURRENCY[slot.unit]) + _AMOUNT, re.IGNORECASE) \
            if slot.unit in _CURRENCY else None
        for i, t in enumerate(texts if money is not None else ()):
            for m in money.finditer(t):
                v = float(m.group(1).replace(",", "")) * _SCALE.get((m.group(2) or "").lower(), 1)
                v = int(v) if v.is_integer() else v
                out.append(("count", str(v), m.group(0).strip(), i))
    return out


COUNT_DETAIL_SHARE = 0.2  # a question's word at most this share of its relevant posts say is one of its details


def _stated_with_details(question: str, slot: Slot, found: list[tuple[str, str, str, int]], posts: Sequence[Hit],
                         relevant: int) -> list[tuple[str, str, str, int]]:
    """The numbers in the unit asked for that posts state with the question's rare details, when
    two independent sources do: "within a radius of how many miles were people urged to
    evacuate" is answered by "30 mile radius", not by the "65 miles south of Dallas" more posts
    say. The details are the question's words (not its unit) that at most `COUNT_DETAIL_SHARE`
    of its relevant posts say; the numbers said with the most of them are kept, the other
    numbers dropped. Names and fillers are not touched (`names` weighs details its own way)."""
    counts = [c for c in found if c[0] == "count"]
    if len({c[1] for c in counts}) < 2 or relevant < 5:
        return found
    from ..words import content_stems, stem
    from .names import _sources

    texts = [all_words(h.post)[:MAX_TEXT] for h in posts]
    unit = {stem(w) for w in _WORD.findall(f"{slot.unit or ''} {slot.noun or ''}".replace("_", " ").lower())}
    said_rel = [content_stems(t) for t in texts[:relevant]]
    rare = {s for s in content_stems(question) - unit if not s.isdigit() and
            sum(1 for ws in said_rel if s in ws) <= COUNT_DETAIL_SHARE * len(said_rel)}
    if not rare:
        return found
    score = {i: len(rare & content_stems(texts[i])) for i in {c[3] for c in counts}}
    for need in sorted({v for v in score.values() if v > 0}, reverse=True):
        idx: dict[str, list[int]] = defaultdict(list)
        for _, key, _, i in counts:
            if score[i] >= need:
                idx[key].append(i)
        backed = {k for k, ii in idx.items() if _sources(posts, ii) >= MIN_SOURCES}
        if backed:
            return [c for c in found if c[0] != "count" or c[1] in backed]
    return found


_AMOUNT = r"\s?(\d[\d,]*(?:\.\d+)?)\s*(billion|million|bn|mn|m|k)?\b"  # after a currency's sign
_MONEY = re.compile(r"\$" + _AMOUNT, re.IGNORECASE)
_CURRENCY = {"n:pound": "£", "n:euro": "€", "n:yen": "¥", "n:rupee": "₹"}  # asked in their name, said by their sign
_SIGNS = frozenset("$" + "".join(_CURRENCY.values()))
_SCALE = {"billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6, "k": 1e3}
# The kinds of verify's role reading a question's noun asks for ("what type of aircraft": a model).
_ROLE_OF = {**{n: "model" for n in _MODEL_NOUNS}, **{n: "nickname" for n in _NICK_NOUNS}}
_ORIGIN_Q = re.compile(r"\b(?:originally|origin|born|nationality|native|descent|heritage)\b")
_UNIT_ROLES = {"deaths", "injured", "missing", "evacuated", "magnitude", "people"}  # read as the roles above
