"""Time in questions: "in the last hour", "past 30 minutes", "today", "latest on ...".

Times are event time: "the last hour" is the hour before the newest stored post (the
stream's now), or before --until when given, so a replayed stream is asked about as it was
live. An explicit --since wins over what the question says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .base import Question
from ..analysis import needs_analysis, strip_spaceless
from ..lang import detect_lang

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400,
          "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12,
            "fifteen": 15, "twenty": 20, "thirty": 30, "few": 3, "couple of": 2}
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|[smhdw])"
_N = r"(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|twelve|fifteen|twenty|thirty|few|couple of)"
_SPAN = re.compile(rf"\b(?:(?:in|over|during|within|from)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:{_N}\s*)?{_UNIT}\b",
                   re.IGNORECASE)
_TODAY = re.compile(r"\b(?:so far\s+)?today\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\bsince yesterday\b", re.IGNORECASE)
# Japanese: 過去1時間 / 直近30分 / この3日間 / ここ数時間, 今日, 最新・今・現在.
_JA_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "数": 3,
               "十二": 12, "二十": 20, "三十": 30, "二十四": 24}
_JA_UNITS = {"秒": 1, "分": 60, "時間": 3600, "日": 86400, "週": 604800, "週間": 604800}
_JA_SPAN = re.compile(r"(?:過去|直近|この|ここ|最近の?)\s*(\d+|[一二三四五六七八九十数]+)?\s*(秒|分|時間|日|週間|週)間?"
                      r"(?:以内)?(?:の間)?[のでにはを]?")
_JA_TODAY = re.compile(r"(?:今日|本日)[のはで]?")
_KANA = re.compile("[\u3040-\u30ff]")
_JA_LATEST = re.compile(r"最新|速報|現在|いま|今(?!日|週|月|年)")
_LATEST = re.compile(r"\b(?:latest|newest|most recent|right now|at the moment|currently|breaking|"
                     r"what'?s new|going on now|happening now|just now)\b", re.IGNORECASE)


def _ja_count(n: str | None) -> float | None:
    if n is None:
        return 1.0
    return float(n) if n.isdigit() else _JA_NUMBERS.get(n)


def parse_question(text: str, now: datetime | None, since: datetime | None = None,
                   until: datetime | None = None) -> Question:
    topic = " ".join(text.split())
    q_since: datetime | None = None
    if until is not None and (now is None or until < now):
        now = until  # "the last hour" before --until
    window = None
    m = _SPAN.search(topic)
    if (j := _JA_SPAN.search(topic)) and now is not None and (count := _ja_count(j.group(1))) is not None:
        q_since = now - timedelta(seconds=count * _JA_UNITS[j.group(2)])
        window = j.group(0).rstrip("のでにはを")
        topic = (topic[: j.start()] + " " + topic[j.end():]).strip()
    elif (j := _JA_TODAY.search(topic)) and now is not None:
        q_since = now.replace(hour=0, minute=0, second=0, microsecond=0)
        window, topic = j.group(0).rstrip("のはで"), (topic[: j.start()] + " " + topic[j.end():]).strip()
    elif m and now is not None:
        n = m.group(1)
        count = 1.0 if n is None else float(_NUMBERS[n.lower()]) if n.lower() in _NUMBERS else float(n)
        secs = count * _UNITS[m.group(2).lower()]
        q_since = now - timedelta(seconds=secs)
        window = m.group(0).strip()
        topic = (topic[: m.start()] + topic[m.end():]).strip()
    elif (m := _YESTERDAY.search(topic)) and now is not None:
        q_since = now - timedelta(days=1)
        window, topic = m.group(0), (topic[: m.start()] + topic[m.end():]).strip()
    elif (m := _TODAY.search(topic)) and now is not None:
        q_since = now.replace(hour=0, minute=0, second=0, microsecond=0)
        window, topic = m.group(0), (topic[: m.start()] + topic[m.end():]).strip()
    latest = bool(_LATEST.search(topic) or _JA_LATEST.search(topic))
    topic = re.sub(r"\s+([?.!,])", r"\1", " ".join(topic.split())).strip(" ,")
    return Question(text, topic or text, since if since is not None else q_since, until, latest,
                    window if since is None else None, answer_language(text))


WORDINGS = ("en", "ja")


def answer_language(text: str) -> str:
    """The language the answer is worded in: the question's, where a wording exists
    (English and Japanese); English otherwise, around posts quoted in their own language."""
    if _KANA.search(text):
        return "ja"
    if needs_analysis(text) and not any(c.isalpha() for c in strip_spaceless(text)):
        lang = detect_lang(text)
        if lang in WORDINGS:
            return lang
    return "en"


# -- what an English question asks for: the predicate and the slot its wh-word fills ---------------

# Verbs that say nothing of their own: "what happened", "who is", "what did he do".
_LIGHT_VERBS = frozenset({"be", "do", "have", "happen", "get", "occur", "take", "mean", "know", "think"})
# Prepositions of place a where-slot is read after ("cornered in Dammartin", "hiding in a boat").
LOC_PREPS = frozenset({"in", "at", "near", "inside", "into", "on", "outside", "to", "onto", "under", "behind"})
# What a number in a "how much <noun>" question counts, when the noun is no unit of its own.
_MONEY = frozenset({"money", "funding", "funds", "fund", "aid", "relief", "donations", "cost", "damage", "damages",
                    "compensation", "reward", "assistance", "cash"})


@dataclass(frozen=True, slots=True)
class Slot:
    """What a question asks of its predicate: "What did the gunmen shout?" asks the object of
    "shout"; "Who launched the appeal?" its subject; "Which school was hit by the tornado?" what
    was hit; "Where were the suspects cornered?" the place after it. `noun` is the kind of thing
    asked for ("what storm", "which school"); `unit` the unit a how-many question counts in."""

    verb: str | None = None  # the predicate's lemma
    slot: str | None = None  # obj | subj | patient | loc | prep:<p>
    noun: str | None = None  # "what storm" -> storm
    unit: str | None = None  # "how many homes" -> homes (verify's unit families), "how old" -> years_old
    said: str = ""  # the predicate as the question says it ("shout", "put under"), for the answer's label
    who: bool = False  # a who-question: a person's name answers it


@lru_cache(maxsize=512)
def read_slot(question: str) -> Slot:
    """The predicate and slot an English question asks about, from spaCy's parse (the shipped
    small model; none without it). Light verbs ("what happened", "who is") ask no slot."""
    from ..verify.assertions import _unit_of, nlp, unit_noun

    m = nlp()
    if m is None or not question.strip():
        return Slot()
    doc = m(question[:300])
    toks = list(doc)
    wh = next((t for t in toks if t.lower_ in ("what", "which", "who", "whom", "where", "how")), None)
    if wh is None:
        return Slot()
    low = question.lower()
    noun = unit = None
    # the kind of thing asked for: the noun after what/which (skipping names and adjectives: "which
    # Queensland city", "which elementary school")
    if wh.lower_ in ("what", "which") and wh.dep_ == "det" and wh.head.pos_ == "NOUN" and wh.head.i > wh.i \
            and wh.head.lower_ not in ("kind", "type", "sort"):
        noun = wh.head.lemma_.lower()  # "which police officer": officer
    elif wh.lower_ in ("what", "which"):
        for t in toks[wh.i + 1: wh.i + 5]:
            if t.pos_ == "NOUN" and t.lower_ not in ("kind", "type", "sort"):
                noun = t.lemma_.lower()
                break
            if t.pos_ not in ("PROPN", "ADJ", "NOUN", "DET") and t.lower_ not in ("kind", "type", "sort", "of"):
                break
    if wh.lower_ == "how" and wh.i + 1 < len(toks):
        nxt = toks[wh.i + 1].lower_
        if nxt == "old":
            unit = "years_old"
        elif nxt in ("many", "much"):
            after = toks[wh.i + 2: wh.i + 5]
            if nxt == "many" and after and after[0].tag_ == "VBZ":
                n = after[0]  # "how many shows at Massey Hall": a plural the parser took for a verb
            elif nxt == "much" and after and after[0].pos_ in ("AUX", "VERB"):
                n = None  # "how much did Devon Energy pledge": money, not Devon
            else:
                n = next((t for t in after if t.pos_ in ("NOUN", "PROPN")), None)
            while n is not None and n.pos_ == "PROPN" and n.dep_ in ("compound", "amod", "nmod") and \
                    n.head.i > n.i and n.head.pos_ in ("NOUN", "PROPN"):
                n = n.head  # "how many Alberta communities": communities
            if n is not None:
                unit = _unit_of(n.lower_) or ("dollars" if n.lower_ in _MONEY else "n:" + unit_noun(n.lower_))
                noun = n.lemma_.lower()
            elif nxt == "much":
                unit = "dollars"
    if unit is None and (mu := re.search(r"\bin (feet|metres|meters|miles|km|kilometres|hours|days|dollars)\b", low)):
        unit = _unit_of(mu.group(1))  # "at what altitude, in feet"
    # the predicate: the root verb, or the verb it governs ("ask Calgarians to limit" -> limit)
    root = next((t for t in toks if t.dep_ == "ROOT"), None)
    verb = None
    if root is not None:
        cands = [root] + [c for c in root.children if c.dep_ in ("xcomp", "ccomp") and c.pos_ == "VERB"]
        verbs = [t for t in cands if t.lemma_.lower() not in _LIGHT_VERBS and t.pos_ in ("VERB", "NOUN")
                 and t.i > wh.i]
        if root.pos_ == "AUX" or root.lemma_.lower() in _LIGHT_VERBS or any(v is not root for v in verbs):
            verbs = [v for v in verbs if v is not root] or verbs
        verb = verbs[0] if verbs else None
    # a preposition left without its object belongs to the verb the wh-word's slot is of, however
    # deep in the question ("what did they tell police they were prepared to die as": die as;
    # "what was the room barricaded with": barricaded with)
    dangling = [t for t in toks if t.dep_ == "prep" and t.i > wh.i and t.head.pos_ == "VERB" and
                t.lower_ not in ("after", "before", "during") and t.head.lemma_.lower() not in _LIGHT_VERBS and
                t.i + 1 < len(toks) and (toks[t.i + 1].is_punct or (toks[t.i + 1].dep_ == "prep" and not any(
                    g.dep_ == "pobj" for g in t.children)))]
    left = None
    if dangling and wh.lower_ in ("what", "which"):
        verb, left = dangling[-1].head, dangling[-1]
    if verb is None or (verb.pos_ == "NOUN" and not any(c.dep_ == "aux" for c in verb.children)
                        and verb.dep_ != "ROOT"):
        return Slot(noun=noun, unit=unit)
    lemma = verb.lemma_.lower()
    said = verb.text.lower() if verb.text.lower() != lemma and verb.tag_ == "VBN" else lemma
    head = wh.head if wh.dep_ == "det" else wh  # "what storm": the noun's place in the clause
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children) or head.dep_ == "nsubjpass"
    stranded = [c for c in verb.children if c.dep_ in ("prt", "prep") and c.i > verb.i and
                not any(g.dep_ == "pobj" for g in c.children) and c.lower_ not in ("after", "before", "during")]
    if left is not None and wh.lower_ == "what" and head.dep_ not in ("nsubj",):
        slot = "prep:" + left.lower_  # "prepared to die as": what follows "die as" in posts
        said = f"{said} {left.lower_}"
    elif re.search(r"\bfrom\W*$", low):
        slot = None  # "where was he from": an origin, read as one (facts' "from")
    elif wh.lower_ == "where" or re.search(r"\b(?:in|at|near) (?:which|what)\b", low):
        slot = "loc"
    elif wh.lower_ == "how":
        slot = None
    elif stranded and head.dep_ not in ("nsubj",):
        slot = "prep:" + stranded[-1].lower_
        said = f"{said} {stranded[-1].lower_}"
    elif any(t.lower_ in ("did", "do", "does", "will", "can", "could", "would", "should", "may", "might")
             for t in toks[max(head.i, wh.i) + 1: max(head.i, wh.i) + 2]) and wh.lower_ != "who":
        slot = "obj"  # "which town did the tornado hit": the wh-phrase is what was hit
    elif head.dep_ == "nsubjpass" or (passive and head.dep_ in ("nsubj", "attr")):
        slot = "patient"
    elif head.dep_ == "nsubj" or (wh.lower_ == "who" and head.dep_ not in ("dobj", "attr", "pobj")):
        slot = "subj"
    else:
        slot = "obj"
    return Slot(lemma, slot, noun, unit, said, wh.lower_ in ("who", "whom"))
