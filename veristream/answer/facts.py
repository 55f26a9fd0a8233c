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

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import all_words
from ..retrieve import Hit
from ..places import MIN_CONFIDENCE, _common_words as common_words, resolve_text
from ..verify.assertions import BROAD, STATES, norm_name, place_level, post_entities, read_posts
from ..verify.independence import Item, corroboration

MAX_POSTS = 80  # posts read (best first): enough for the sources of a fact, bounded in time (~1 ms each)
MAX_FACTS = 5
MIN_SOURCES = 2
MARGIN = 2.0  # a value is agreed on when it has this many times the sources of the next one in its role
BROAD_SHARE = 0.05  # what happened and where: also stated by this share of the authors read
ROLES = ("what", "site", "where", "state", "region", "from", "to", "dead", "injured", "missing", "evacuated",
         "magnitude", "cause", "who")
_PLACE_ROLES = frozenset({"what", "site", "where", "state", "region", "from", "to"})
_OPEN_ROLES = frozenset({"site", "where", "state", "region", "from", "to", "cause"})  # more than one value can be true
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


def facts(question: str, posts: Sequence[Hit], kind: str | None = None) -> list[Fact]:
    """The best-corroborated value of each role the posts state, strongest first (the roles
    the question asks about first: `kind` where / count / who / why / what)."""
    hits = list(posts[:MAX_POSTS])
    if not hits:
        return []
    found = candidates(question, hits, kind)
    authors = len({_author(h) for h in hits})
    first = list(ASKED.get(kind or "", ()))
    inside = kind in ("where", "from", "to") and not _ASKS_REGION.search(question.lower())
    named = _named_places(question) if inside else set()
    if named:  # "where in Texas": a place in it answers, the most specific first; the region is no answer
        first = ["site", "where"] + [r for r in first if r not in ("site", "where", "state", "region")]
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
    order = sorted([*best.values(), *also], key=lambda f: (f.role not in first, first.index(f.role) if named and
                                                           f.role in first else 0, -f.sources, ROLES.index(f.role)))
    return order[:MAX_FACTS]


def _author(h: Hit) -> str:
    return h.post.author.id or h.post.author.handle or h.post.key


def candidates(question: str, hits: Sequence[Hit], kind: str | None = None) -> dict[str, list[Fact]]:
    """Every value of each role that two or more independent sources state, most sources
    first: what `facts` chooses from."""
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
    _merge_spots(by, shown)
    for k in [k for k in by if k[0] == "who" and k[1] in places]:
        del by[k]
    for k in [k for k in by if k[0] in ("where", "from", "to") and k[1] in in_names]:
        if 2 * len(in_names[k[1]]) >= len(by[k]):  # "Vladimir", "Campbell": a name's first word, read as a town
            del by[k]
    _merge_names(by, shown)
    found: dict[str, list[Fact]] = defaultdict(list)
    for (role, key), idx in by.items():
        c = corroboration([Item(hits[i].post.key, _author(hits[i]), hits[i].story.id if hits[i].story else None,
                                hits[i].post.created_at) for i in idx])
        if c.authors < MIN_SOURCES:
            continue
        kept = set(c.counted)
        counted = [hits[i] for i in idx if hits[i].post.key in kept] or [hits[idx[0]]]
        found[role].append(Fact(role, shown[(role, key)], c.authors, c.posts,
                                min(counted, key=lambda h: h.post.created_at)))
    for fs in found.values():
        fs.sort(key=lambda f: (-f.sources, -f.posts))
    return dict(found)


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
