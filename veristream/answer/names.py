"""Names a question asks for: "which band", "who was the key eyewitness", "what was the name of
the cat", "which Sydney landmark", where (a site by its name). The answer is a name (a
person's, a thing's, a site's) that posts say *with the question's own role noun* ("witness
Dorian Johnson", "Momo the cat", "Czech Stop", "victim Jeff Bauman", and "Prince &
@3RDEYEGIRL" for "which band was Prince to play with") or, where no post ties a name to the
noun, in the posts that state the question's own details ("evacuated" for "which landmark was
evacuated during the siege"), or, last, the name the posts near the question say most.

This is answer typing plus redundancy, as question answering systems read a corpus:
* the question says what kind of name answers it (`asked_name`): a person (who, "which
  victim"), a site ("where": "McMahon Stadium"; towns, states and countries are `facts`' places),
  or a name of anything else ("which band", "which company"), and its role noun (the wh-phrase's
  last noun: "kolache stop" -> stop);
* each post's names (`name_spans`): runs of capitalised words ("Tomb of the Unknown Soldier"),
  handles that are not an attribution ("RT @x:", "via @x"); a sentence's first word, a headline's
  words and a word in capitals are names only when they are no frequent English word, or when
  the posts write them capitalised inside sentences ("Uber");
* a name the question says is no answer (a place the wh-phrase names may qualify one: "Sydney
  Opera House" answers "which Sydney landmark"), nor is a place or a people ("Swiss") when a
  person or a thing is asked, nor a person said with another role ("officer Darren Wilson" is
  no witness), nor "(AP)" or "via Reuters".
Each name is then counted by independent sources like every fact (`facts.candidates`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..model import all_words
from ..retrieve import Hit
from ..words import STOPWORDS, keywords, lower_case_words, stem

MAX_TEXT = 600

# Nouns that name a person (beyond verify's families of roles and kin).
PERSON_NOUNS = frozenset("""
victim victims witness witnesses eyewitness eyewitnesses singer singers politician politicians friend friends
owner owners hero heroes survivor survivors star stars player players actor actress rapper artist artists
musician musicians leader leaders suspect suspects gunman gunmen shooter attacker attackers bomber bombers
officer officers policeman cop soldier soldiers pilot co-pilot copilot captain journalist journalists
cartoonist cartoonists editor reporter reporters spokesman spokeswoman spokesperson minister premier mayor
governor president senator chief commissioner director ceo founder chairman doctor nurse teacher student
boy girl man woman men women son daughter father mother brother sister wife husband girlfriend boyfriend
lawyer attorney judge prosecutor sheriff deputy driver passenger passengers hostage hostages captor
cleric imam priest pastor activist protester protesters blogger comedian celebrity athlete coach firefighter
paramedic neighbour neighbor resident teen teenager person people
""".split())
# Nouns that name a place or a site.
PLACE_NOUNS = frozenset("""
place places site sites location locations spot town towns city cities village villages suburb suburbs
neighbourhood neighborhood area areas county counties region regions country countries state states province
provinces nation nations street streets road roads highway island islands river rivers lake beach
""".split())
# Head words of a place's own name ("McMahon Stadium", "Sydney Opera House", "Czech Stop").
PLACE_HEADS = frozenset("""
stadium arena field dome centre center hall house theatre theater cafe café restaurant store shop stop
market mall plaza square place street st avenue ave road rd boulevard lane drive way bridge tunnel station
airport terminal park garden gardens church cathedral chapel mosque synagogue temple museum gallery library
school elementary academy college university hospital clinic hotel tower building memorial monument cenotaph
cemetery headland beach bay point island harbour harbor marina pier wharf quay river creek lake dam falls
grounds palace castle fort base camp court courthouse parliament hill
""".split())
# Capitalised words that are no names: a headline's markers and attributions.
_NOT_NAMES = frozenset("""
rt mt ht cc via breaking update updated updates video photo photos pic pics watch exclusive urgent alert omg wow
lol yes no ok please thanks thank rip god lord omfg developing latest today tonight yesterday now this that these those there
they we i you he she it his her their our my your the a an and or but if so what who where when why how which
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december mon tue wed thu fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec
""".split())
# Nouns that ask for a site, which a name ending in a site's head word answers ("which landmark":
# Sydney Opera House); a name asked for by another noun ("which band", "which command") is no site.
SITE_NOUNS = PLACE_HEADS | frozenset("""landmark landmarks venue venues building buildings memorial monument
museum site sites spot place location""".split())
_CONNECT = frozenset({"of", "the", "de", "da", "du", "van", "von", "al", "bin", "el", "le", "la", "and"})
_JOIN = frozenset({"of", "of the", "de", "da", "du", "van", "von", "al", "bin", "el", "le", "la", "de la"})
_TOKEN = re.compile(r"[@#]?[\w'’\-&]+(?:\.[\w'’\-&]+)*|[^\w\s]")
_ATTRIB = frozenset({"rt", "mt", "ht", "via", "cc", "h/t", "by", "from", "@"})


@dataclass(frozen=True, slots=True)
class AskedName:
    """What kind of name a question asks for, and the noun it names it by."""

    type: str  # person | place | name
    head: str | None  # the role noun ("eyewitness", "band", "stop"), lowercased
    nouns: tuple[str, ...] = ()  # every word of the wh-phrase ("kolache", "stop")
    # whether the answer is shown by the noun ("make: ..."); "what flag was held up" is shown by
    # its predicate ("held up: black flag"), "what make of car" and "what was the registration of"
    # by the noun: what the name is of the thing the question asks about
    label: bool = True


_CHAIN_END = frozenset("""was were is are be been did do does has had have will would could can may might should
in on at of near for to from that who whom whose which with by during after before about as into over under
the a an his her its their
""".split())
_WH = re.compile(r"\b(?:which|what)\s+((?:[\w'’\-]+\s+){0,6}?[\w'’\-]+?)(?:'s|’s)?(?=\s+(?:" +
                 "|".join(sorted(_CHAIN_END)) + r")\b|\s*[,?]|$)", re.IGNORECASE)
_NAME_OF = re.compile(r"\bname\s+of\s+(?:the|a|an|this|that|his|her|their)?\s*((?:[\w'’\-]+\s+){0,2}?[\w'’\-]+?)"
                      r"(?=\s+(?:" + "|".join(sorted(_CHAIN_END)) + r")\b|\s*[,?]|$)", re.IGNORECASE)
_WHO_IS = re.compile(r"\bwho\s+(?:was|is|were|are)\s+(?:the|a|an|[\w'’]+['’]s)\s+((?:[\w'’\-]+\s+){0,3}?[\w'’\-]+?)"
                     r"(?=\s+(?:" + "|".join(sorted(_CHAIN_END)) + r")\b|\s*[,?]|$)", re.IGNORECASE)
# "What was the registration of ...": the noun a what-question asks for a name by, before "of".
_WHAT_THE = re.compile(r"\s*what\s+(?:was|is|were|are)\s+the\s+((?:[\w'’\-]+\s+){0,2}?[\w'’\-]+?)\s+of\b",
                       re.IGNORECASE)
# Nouns that ask for no name: a number, a word, a kind ("what type of aircraft"), a measure, a
# cause or a state ("what was the cause of", "what is the size of").
_NOT_NAME_NOUNS = frozenset("""number numbers phone word words thing things kind type sort part amount figure
time day date year hour hours way reason message hashtag nickname condition restriction cause causes motive
size total toll cost price value speed height depth length distance magnitude scale extent rate level age
death deaths result outcome purpose role impact effect effects response status news meaning point""".split())


def _noun_after_what(question: str) -> bool:
    """Whether "what" opens a noun phrase ("what make of car", "what organisation"), by the
    parse: the word after it is a noun that "what" determines, not a verb ("what caused")."""
    from ..verify.assertions import nlp

    m = nlp()
    if m is None:
        return False
    doc = m(question[:300])
    toks = [t for t in doc if not t.is_space]
    if len(toks) < 3 or toks[0].lower_ != "what":
        return False
    nxt = toks[1]
    return nxt.pos_ == "NOUN" and toks[0].dep_ == "det" and toks[0].head.i == nxt.i


@lru_cache(maxsize=512)
def asked_name(question: str) -> AskedName | None:
    """The kind of name an English question asks for, or None when it asks for none ("what
    happened", "how many", "what phone number")."""
    q = " ".join(question.split())
    low = q.lower()
    if re.match(r"\s*(?:how|why|when)\b", low):
        return None
    chain = None
    label = True
    if (m := _NAME_OF.search(q)) and re.search(r"\bwhat\b", low):
        chain = m.group(1)
    elif (m := _WHO_IS.search(q)):
        chain = m.group(1)
    elif (m := _WH.search(q)) and m.group(0).lower().startswith("which") and \
            not re.search(r"\b(?:who|whom|where|what|how|when|why)\b", low[:m.start()]):
        chain = m.group(1)  # "which" as the question's own wh-word, not "the cafe in which ..."
    elif (m := _WHAT_THE.match(q)) or ((m := _WH.match(q.strip())) and _noun_after_what(q)):
        # "what was the registration of the A320", "what make of car": a thing's name, asked for
        # by what it is of it (its registration, its make); a verb after "what" asks for none
        chain = m.group(1)
        label = m.re is _WHAT_THE or bool(re.match(r"\s+of\b", q[m.end():]))
    if chain is None:
        if re.match(r"\s*(?:(?:in|on|at)\s+)?where\b", low) and not re.search(r"\bfrom\W*$", low):
            return AskedName("place", None)  # where: a site by its name
        return None
    words = []
    for w in chain.split():  # "which Vienna museum's director": the museum
        words.append(re.sub(r"['’]s$", "", w.lower()).strip("'’"))
        if re.search(r"['’]s$", w):
            break
    words = _trim_verbs(q, words)
    if not words:
        return None
    head = words[-1]
    if head in _NOT_NAME_NOUNS or head in STOPWORDS:
        return None
    from ..verify.assertions import _person_family

    if head in PERSON_NOUNS or _person_family(head) is not None or re.search(r"\bwho\b", low.split(head)[0]):
        kind = "person"
    elif head in PLACE_NOUNS:
        kind = "place"
    else:
        kind = "name"
    return AskedName(kind, head, tuple(words), label)


def _trim_verbs(question: str, words: list[str]) -> list[str]:
    """The wh-phrase without a verb it ran into ("which opposition politician fed"): the
    parse's past forms and participles end it."""
    from ..verify.assertions import nlp

    m = nlp()
    if m is None or len(words) < 2:
        return words
    doc = m(question[:300])
    tags = {}
    for t in doc:
        tags.setdefault(t.lower_, t.tag_)
    for i, w in enumerate(words[1:], 1):  # "which police officer shot ...": the officer
        if tags.get(w) in ("VBD", "VBN", "VBZ", "VBP", "MD"):
            return words[:i]
    return words


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from ..places import _common_words

    return _common_words()


@lru_cache(maxsize=65536)
def _wordy(w: str) -> bool:
    """A word frequent in English text: capitalised at a sentence's start or in a headline, it is
    no name ("Iconic", "Launches")."""
    from wordfreq import zipf_frequency

    return w in _common() or zipf_frequency(w, "en") >= 3.5


_SENTENCE_END = frozenset({".", "!", "?", ":", '"', "“", "-", "–", "—", "|", "…", ";"})
_DASHES = frozenset({"-", "–", "—", "|", "~", "/"})


def tokens(text: str) -> tuple[list[str], bool]:
    """A post's tokens (links out, "&amp;" read) and whether it is written as a headline (most
    of its longer words capitalised, or in capitals): there capitals say nothing of names."""
    text = re.sub(r"https?://\S+", " ", text[:MAX_TEXT]).replace("&amp;", "&")
    toks = _TOKEN.findall(text)
    words = [t for t in toks if t[0].isalpha() and len(t) > 3]
    caps = sum(1 for t in words if t[0].isupper())
    return toks, len(words) >= 4 and caps >= 0.6 * len(words)


def _shouted(toks: list[str]) -> bool:
    """A post written in capitals: no word of it is told a name by its capitals."""
    words = [t for t in toks if t[0].isalpha() and len(t) > 3]
    return len(words) >= 4 and sum(1 for t in words if t.isupper()) >= 0.6 * len(words)


def capitalised_words(texts: Sequence[str]) -> set[str]:
    """Words the posts write capitalised inside a sentence (or as a hashtag's words) more often
    than in lower case: a post's first word is a name when other posts write it as one ("Uber
    intros surge pricing"), not when they write it as a word ("Hostages held ...")."""
    cap: dict[str, int] = defaultdict(int)
    low: dict[str, int] = defaultdict(int)
    for t in texts:
        toks, headline = tokens(t)
        if _shouted(toks):
            continue
        for j, w in enumerate(toks):
            if w[0] == "#":
                for x in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", w[1:]):
                    cap[x.lower()] += 1
            elif w[0].islower():
                low[w.lower()] += 1
            elif not headline and j > 0 and w[0].isupper() and \
                    toks[j - 1] not in _SENTENCE_END and toks[j - 1][0] not in "@#":
                cap[w.lower().removesuffix("'s").removesuffix("’s")] += 1
    return {w for w, n in cap.items() if n >= 2 and n > 2 * low.get(w, 0)}


def name_spans(text: str, known: set[str] = frozenset(), speakers: bool = False
               ) -> list[tuple[str, int, int, list[str]]]:
    """(shown, first token, last token + 1, the post's tokens) of the names a post says: runs of
    capitalised words (with "of the" between: "Tomb of the Unknown Soldier"; a possessive ends
    one: "Google's Crisis Map" names Google), handles that are not an attribution ("RT @x:",
    "via @x", "- @x"). A sentence's first word, a word in capitals or a headline's word that is
    a frequent English word is none, unless `known` (`capitalised_words`) says posts write it
    as a name."""
    toks, headline = tokens(text)
    shouted = _shouted(toks)
    out = []
    i = 0
    n = len(toks)
    # "RT @WestJet: ... We'd like to offer a donation": the account quoted speaks of itself as "we"
    speaker = speakers and len(toks) > 3 and toks[0].lower() in ("rt", "mt") and toks[1][0] == "@" and \
        toks[2] == ":" and any(t.lower() in _WE for t in toks[3:])

    def is_name(j: int) -> bool:
        t = toks[j]
        if t[0] == "@":
            prev = toks[j - 1].lower() if j > 0 else ""
            if speaker and j == 1:
                return len(t) > 2
            return len(t) > 2 and prev not in _ATTRIB and prev not in _DASHES and \
                not (j + 1 < n and toks[j + 1] == ":" and (j == 0 or prev in ("rt", "mt", ".", ":")))
        if t[0] == "#":
            return False
        w = t.strip("'’.-")
        if not w or not (w[0].isupper() or (w[0].isdigit() and any(c.isupper() for c in w))):
            return False
        lw = w.lower().removesuffix("'s").removesuffix("’s")
        if lw in _NOT_NAMES or lw in STOPWORDS:
            return False
        if shouted and lw not in known:
            return False  # "TEXAS EXPLOSION: ... 10 FIRST RESPONDERS": capitals say nothing
        if (headline or (w.isupper() and len(w) > 1)) and _wordy(lw) and lw not in known:
            return False  # "BREAKING", a headline's "Launches"
        return True

    def possessive(t: str) -> bool:
        return t.endswith("'s") or t.endswith("’s")

    while i < n:
        if not is_name(i):
            i += 1
            continue
        j = i + 1
        if toks[i][0] != "@" and not possessive(toks[i]):
            while j < n:
                if is_name(j) and toks[j][0] != "@":
                    j += 1
                    if possessive(toks[j - 1]):
                        break
                elif toks[j].lower() in _CONNECT and toks[j].lower() != "and" and not headline:
                    k = j
                    while k < n and toks[k].lower() in _CONNECT:
                        k += 1
                    joined = " ".join(toks[j:k]).lower()  # "Tomb of the Unknown Soldier", not "Reports the Harlow"
                    if k < n and joined in _JOIN and is_name(k) and toks[k][0] != "@":
                        j = k + 1
                    else:
                        break
                else:
                    break
        span = toks[i:j]
        start = i
        # a sentence's first word is capitalised whatever it is
        first = i == 0 or toks[i - 1] in _SENTENCE_END
        def plain(t: str) -> str:
            return t.lower().removesuffix("'s").removesuffix("’s")

        while span and span[0][0] != "@" and span[0].lower() in _CONNECT:
            span, start = span[1:], start + 1
        if first and span and span[0][0] != "@" and _wordy(plain(span[0])) and plain(span[0]) not in known:
            # "Unreal. Momo the cat": a word; "Live Nation quashes": a name of words, kept whole;
            # "Police Chief Tom Jackson": the name after the words
            if len(span) == 1 or any(not _wordy(plain(t)) or plain(t) in known for t in span[1:]):
                span, start = span[1:], start + 1
                while span and span[0][0] != "@" and span[0].lower() in _CONNECT:
                    span, start = span[1:], start + 1
        while span and span[-1].lower() in _CONNECT:
            span = span[:-1]
        if span:
            shown = " ".join(s.lstrip("@") for s in span)
            shown = re.sub(r"(?:'s|’s)$", "", shown).strip(".-'’")
            if shown:
                out.append((shown, start, start + len(span), toks))
        i = j
    return out


_WE = frozenset({"we", "we'd", "we're", "we've", "we'll", "we’d", "we’re", "we’ve", "we’ll", "our", "us"})


def _with_noun(spans: list[tuple[str, int, int, list[str]]]) -> list[tuple[str, int, int, list[str], bool]]:
    """A post's names and, after each, the name with the common noun said right after it ("U.S.
    consulate", "Tim Hortons restaurant", a headline's "Grand Central Terminal"): what kind of
    thing a name is, said as posts say it. Such a name answers only as a name of the kind asked
    (`_typed`) or ending in the role noun."""
    out = [(*sp, False) for sp in spans]
    for shown, a, b, toks in spans:
        nxt = toks[b] if b < len(toks) else ""
        if nxt.isalpha() and len(nxt) > 2 and (nxt.lower() in PLACE_HEADS or (
                nxt.islower() and nxt not in STOPWORDS and not nxt.endswith(("ed", "ing", "ly")))):
            out.append((f"{shown} {toks[b]}", a, b + 1, toks, True))
    return out


TYPED = 0.5  # a name's cosine with the wh-phrase's words that says it is a name of that kind


@lru_cache(maxsize=1)
def _word_encoder():
    """The sentence encoder retrieval uses (MiniLM), or None when it is not installed: short
    texts' vectors tell what kind of thing a name is ("McDonald's" is near "fast-food restaurant",
    "consulate" near "diplomatic building"), which the shipped spaCy model (no vectors) cannot."""
    try:
        from ..vectors.encoder import find_model, load_encoder

        files = find_model()
        return load_encoder(files) if files is not None else None
    except Exception:  # noqa: BLE001 - no encoder: names are typed by their nouns only
        return None


_typed_cache: dict[tuple[str, str], float] = {}
TYPED_MAX = 100  # distinct names a question's posts say that are typed (the most said first)


def _typed(asked: AskedName, question: str, names: list[str], q_names: set[str]) -> set[str]:
    """The names (as shown) that are of the kind of site the wh-phrase asks for, by the encoder:
    the cosine of their own words (the question's left out: "Sydney cafe" is a cafe) with the
    phrase's words (the names it says left out: "New York rail terminal" -> rail terminal) at
    least `TYPED`. Only for a site or a place ("which diplomatic building", "which fast-food
    restaurant", "which First Nation"): a person is tied by roles, and an organisation's name is
    as near to any body of its field as to the one asked ("RCMP" for "which air defence command")."""
    if asked.head is None or asked.type == "person" or not names or asked.head not in SITE_NOUNS | PLACE_NOUNS:
        return set()
    words = [w for w in asked.nouns if w not in q_names] or list(asked.nouns)  # "New York rail terminal"
    phrase = " ".join(words)
    q_words = {w for w in re.findall(r"[a-z0-9]+", _fold(question.lower()))}
    enc = _word_encoder()
    if enc is None:
        return set()
    counts: dict[str, int] = defaultdict(int)
    own: dict[str, str] = {}  # a name without the question's words: "Sydney cafe" is typed as a cafe
    for n in names:
        counts[n] += 1
        if n not in own:
            own[n] = " ".join(w for w in n.split() if not set(re.findall(r"[a-z0-9]+", _fold(w.lower()))) <= q_words)
    todo = [n for n in sorted(counts, key=lambda n: -counts[n]) if own[n]][:TYPED_MAX]
    new = list(dict.fromkeys(own[n] for n in todo if (phrase, own[n]) not in _typed_cache))
    if new:
        import numpy as np

        vecs = enc.encode([phrase, *new])
        sims = np.asarray(vecs[1:]) @ np.asarray(vecs[0])
        if len(_typed_cache) > 200_000:
            _typed_cache.clear()
        for n, v in zip(new, sims):
            _typed_cache[(phrase, n)] = float(v)
    return {n for n in todo if _typed_cache[(phrase, own[n])] >= TYPED}


def _stems(ws) -> set[str]:
    return {stem(w) for w in ws}


def _is_head(token: str, head: str) -> bool:
    """A post's word naming the role noun: the noun in either number ("witnesses"), or a longer
    word ending in it ("eyewitness" for witness) and the reverse; not another word of its stem
    ("schooling" is no school)."""
    t = token.lower().strip("#@'’.,:;!?")
    h = head.lower()
    if not t or not h:
        return False
    forms = {h, h + "s", h + "es", h.removesuffix("s"), h.removesuffix("es")}
    if h.endswith("y"):
        forms.add(h[:-1] + "ies")
    if t in forms:
        return True
    short, long_ = sorted((t.removesuffix("s"), h.removesuffix("s")), key=len)
    return len(short) >= 5 and long_.endswith(short) and long_ != short


def _adjacent(toks: list[str], a: int, b: int, head: str) -> bool:
    """The name at toks[a:b] is said with the role noun: "witness Dorian Johnson", "Momo the cat",
    "Dorian Johnson, key witness", "the cat named Momo", "Czech Stop" (the noun is its last word)."""
    if _is_head(toks[b - 1], head) and b - a > 1:
        return True
    if b - a > 2 and toks[a + 1].lower() == "of" and _is_head(toks[a], head):
        return True  # the noun heads the name: "Cathedral of the Holy Cross" for "which cathedral"
    if b - a == 1 and toks[a][:1].isupper() and not toks[a].isupper() and _is_head(toks[a], head) and \
            a > 0 and toks[a - 1].lower() in ("the", "at"):
        return True  # a kind of it named by its kind, capitalised: "Obama to the Cathedral" for "which church"
    k = a - 1  # before it: "witness Dorian Johnson", "a cat named Momo", "the band: 3RDEYEGIRL"
    if k >= 0 and toks[k].lower() in ("named", "called", "dubbed", ":", ","):
        k -= 1
    if k >= 0 and _is_head(toks[k], head) and not (k > 0 and toks[k - 1].lower() in _VERB_BEFORE):
        return True  # not the noun said as a verb: "that will make Dzhokhar Tsarnaev come out"
    k = b  # after it, past a comma or an article: "Momo the cat", "Dorian Johnson, key witness" (not
    # "Marathon victim": a word right before the noun says which victim, not who)
    sep = False
    if k < len(toks) and toks[k] in (",", "-", "–", "("):
        k, sep = k + 1, True
    if k < len(toks) and toks[k].lower() in ("the", "a", "an", "our", "his", "her", "their"):
        k, sep = k + 1, True
    if not sep:
        return False
    for _ in range(2):  # one word may say which: "the key witness", "the Boston victim"
        if k < len(toks) and _is_head(toks[k], head):
            return True
        if k >= len(toks) or not toks[k][:1].isalpha():
            break
        k += 1
    return False


# Words before a role noun that make it a verb ("will make X", "to set X").
_VERB_BEFORE = frozenset("""to will would can could should may might must shall did does do don't didn't won't can't
i we you they he she it that please let""".split())


def _heads(asked: AskedName) -> tuple[str, ...]:
    """The nouns a name is said with that name what the question asks for: its role noun and the
    kinds of it posts name things by ("which church": a cathedral, a chapel)."""
    from .facts import kind_words

    return tuple(dict.fromkeys([asked.head, *kind_words(asked.head)])) if asked.head else ()


def _other_role(toks: list[str], a: int, b: int, head: str | None) -> bool:
    """A person said with another role than the one asked ("officer Darren Wilson", "Darren
    Wilson, the officer" when the witness is asked for)."""
    from ..verify.assertions import _person_family

    near = [toks[a - 1]] if a > 0 else []
    if a > 1 and toks[a - 1][:1].isupper():
        near.append(toks[a - 2])
    k = b
    if k < len(toks) and toks[k] in (",", "(", "-", "–"):
        k += 1
    if k < len(toks) and toks[k].lower() in ("the", "a", "an"):
        k += 1
    near += toks[k:k + 2]
    for t in near:
        t = t.lower()
        if (t in PERSON_NOUNS - {"man", "woman", "men", "women", "person", "people", "who"} or _person_family(t)) \
                and not (head and _is_head(t, head)):
            return True
    return False


NEAR = 0.35  # a post "says the question's details" when it has this share of its words (at least two)


DETAIL_SHARE = 0.5  # a question's word at most this share of the posts say is one of its details


def rare_in(stems: set[str], stems_of: Sequence[frozenset[str] | set[str]]) -> set[str]:
    """Of these words, those at most `DETAIL_SHARE` of the posts (their words: `stems_of`) say."""
    if not stems_of:
        return set()
    return {s for s in stems if sum(1 for ps in stems_of if s in ps) <= DETAIL_SHARE * len(stems_of)}


def near_need(n: int) -> int:
    """How many of a question's n content words a post says to be near it."""
    return max(2, math.floor(NEAR * n)) if n > 2 else n


def name_candidates(question: str, asked: AskedName, posts: Sequence[Hit], places: set[str]
                    ) -> list[tuple[str, str, int]]:
    """(key, shown, post index) of each name a post says that answers the question's kind of
    name, in three tiers: names said with the question's role noun ("witness Dorian Johnson"),
    which answer alone when two sources say one; else names in posts that say the question's
    details, among them one the posts of the event rarely say ("evacuated" for "which landmark
    was evacuated during the siege": the siege's cafe is not evacuated); else, for a name of a
    person or a thing, the names said most in the posts that say two of the question's words
    (a band named beside the singer the question names). `places`: the places the posts name
    (verify's reading); a name NER reads as a place or a people in most posts saying it is none."""
    from ..verify.assertions import BROAD, DEMONYM, NATIONS, STATE_ABBR, STATES, _NOT_ORIGIN
    from ..words import content_stems, coverage

    q_words = {w for w in re.findall(r"[a-z0-9]+", _fold(question.lower())) if w not in STOPWORDS}
    role = {stem(asked.head)} if asked.head else set()  # a name may end in it: "Czech Stop" for "which stop"
    qualifiers = {_fold(w) for w in asked.nouns}
    q_names = {w.lower() for w in re.findall(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’\-]+", question)}
    q_stems = set(content_stems(question))
    texts = [all_words(h.post)[:MAX_TEXT] for h in posts]
    cover = [coverage(q_stems, t) * len(q_stems) for t in texts]
    stems_of = [content_stems(t) for t in texts]
    details = q_stems - _stems(q_names) - role
    rare = rare_in(details, stems_of)  # a detail the posts rarely say tells the ones that answer apart
    need = near_need(len(q_stems))
    topical = min(2, need)
    known = capitalised_words(texts)
    # "which band was Prince to play with": a name said beside a name of the question ("Prince &
    # @3RDEYEGIRL", "Prince and 3RDEYEGIRL", "Prince (@3RDEYEGIRL)") is the one it was with
    with_ = re.search(r"\bwith\b", question.lower()) is not None and bool(q_names)

    def place_word(w: str) -> bool:
        return w in places or w in BROAD or w in STATES or w in STATE_ABBR or _town(w)

    heads = _heads(asked)
    read = [i for i, t in enumerate(texts) if cover[i] >= topical - 1e-9 or
            any(_is_head(w, h) for w in t.split() for h in heads)]
    spans = {i: _with_noun(name_spans(texts[i], known, speakers=True)) for i in read}
    typed = _typed(asked, question, [sh for i in read for sh, *_ in spans[i]], q_names)
    found: list[tuple[int, str, str, int]] = []  # (tier, key, shown, post)
    for i in read:
        t = texts[i]
        near = cover[i] >= need - 1e-9
        for shown, a, b, toks, with_noun in spans[i]:
            kind_of = shown in typed  # a name of the kind asked ("US consulate" for "which diplomatic building")
            if with_noun and not kind_of and not (asked.type != "person" and toks[b - 1][:1].isupper() and
                                                  any(_is_head(toks[b - 1], h) for h in heads)):
                continue  # "Grand Central Terminal" in a headline, where "Terminal" is read as a word
            words = [w for w in re.findall(r"[a-z0-9]+", _fold(shown.lower())) if w not in STOPWORDS]
            if not words or all(w in q_words for w in words) or all(w in heads and len(w) <= 3 for w in words):
                continue  # the question's own words, or only the kind's abbreviation ("St" of "St. Louis")
            if toks[a][0] == "@" and any(w in q_words or any(w.startswith(x) for x in q_words if len(x) > 3)
                                         for w in re.findall(r"[a-z]+|\d+", shown.lower())):
                continue  # the account of someone the question names ("@Prince_NPG")
            # "Czech Stop" for "which stop", "Harlow Opera House" for "which Harlow landmark": the wh-phrase's
            # own words may be in the name; others of the question's are the name of what it asks about
            said = [w for w in words if w in q_words and stem(w) not in role and w not in qualifiers]
            lead = 0  # "Skyline A330 N-ZKQ7": the question's names said before a name of their own
            while said and a + lead < b - 1 and (tw := _fold(toks[a + lead].lower()).lstrip("#@")) in q_words and \
                    stem(tw) not in role and tw not in qualifiers:
                lead += 1
            if lead and not all(place_word(_fold(t.lower()).lstrip("#@")) for t in toks[a:a + lead]) and \
                    toks[a + lead].lower() not in _CONNECT:
                a += lead
                shown = " ".join(t.lstrip("@") for t in toks[a:b])
                words = [w for w in re.findall(r"[a-z0-9]+", _fold(shown.lower())) if w not in STOPWORDS]
                said = [w for w in words if w in q_words and stem(w) not in role and w not in qualifiers]
            if said and (asked.type == "person" or not all(place_word(w) for w in said)):
                continue  # a name the question says; a place it names may say which ("Sydney Opera House")
            rest = [w for w in words if w not in q_words or stem(w) in role]
            folded = " ".join(words)
            if len(words) == 1 and (folded in NATIONS or folded in DEMONYM or folded in _NOT_ORIGIN):
                continue  # "Swiss", "Muslim": a people, no name
            site = shown.split()[-1].lower() in PLACE_HEADS and len(shown.split()) > 1
            tied = any(_adjacent(toks, a, b, h) for h in heads) or (with_ and _coordinated(toks, a, q_names)) or kind_of
            # NER takes unknown names for places now and then ("Tomas Okafor"): a name said with a
            # person's role noun is a person's
            read_as_place = (folded in places or " ".join(rest) in places) and not (tied and asked.type == "person")
            is_place = not site and (read_as_place or folded in BROAD or folded in STATES or folded in STATE_ABBR or
                                     (asked.type != "person" and _town(shown)))
            if asked.type == "person" and (is_place or site or all(w in _common() for w in words) or
                                           (len(words) == 1 and _town(shown))):
                continue
            if asked.type == "place" and not site and not kind_of and not (
                    b - a > 1 and asked.head and _is_head(toks[b - 1], asked.head)):  # "Siksika Nation" for "which First Nation"
                # where: a site by its name ("McMahon Stadium"); towns are read as places by `facts` (said with
                # the question's details, the town every post names outvotes the one asked for: measured)
                continue
            if asked.type == "name" and not kind_of and (is_place or (site and asked.head not in SITE_NOUNS)):
                continue
            if asked.type == "person" and _other_role(toks, a, b, asked.head):
                continue
            key = " ".join(stem(w) for w in rest[-3:])
            if tied:
                found.append((0, key, shown, i))
            elif toks[a][0] == "@" or _attribution(toks, a, b) or re.fullmatch(r"[A-Z]{1,3}", shown):
                # a handle beside the question's words is mostly who posts or is told; "(AP)", "via
                # Reuters" say who reports; "AP", "CNN", "TX": too short to tell one thing from another
                continue
            elif len(words) == 1 and _wordy(words[0]) and words[0] not in known:
                continue  # a word alone ("Weather", "Rescuers") names nothing unless posts write it as a name
            elif near and (not rare or rare & stems_of[i]):
                found.append((1, key, shown, i))
            elif asked.type != "place":
                found.append((2, key, shown, i))
    found = _same_site(found)
    found = _no_peoples_or_places(found, texts, asked)
    # The question's rare details, its names among them ("President Obama" in a question about the
    # bombing's memorial service): a name said with the role noun in posts that state one of them,
    # by two independent sources, answers before names said with it in posts that state none (the
    # church that threatened to picket the funerals is no church of the service).
    q_name_stems = _stems(w for n in q_names for w in re.findall(r"[a-z0-9]+", _fold(n))) & q_stems
    detail = rare | rare_in(q_name_stems - role, stems_of)
    backed = [(k, sh, i) for t, k, sh, i in found if t == 0 and detail & stems_of[i]]
    if backed:
        words_of = {k: set(k.split()) for k, _, _ in backed}
        counted = {k: _sources(posts, [i for k2, _, i in backed if words_of[k2] <= words_of[k]]) for k in words_of}
        best = {k for k, n in counted.items() if n >= 2}
        if best:  # each counted by all the posts that say it with the noun
            return [(k, sh, i) for t, k, sh, i in found if t == 0 and k in words_of and
                    any(words_of[k] <= words_of[b] for b in best)]
    out: list[tuple[str, str, int]] = []
    tied_keys = {k for t, k, _, _ in found if t == 0}
    for tier in range(3):
        out += [(k, sh, i) for t, k, sh, i in found if t == tier]
        idx: dict[str, list[int]] = defaultdict(list)
        for key, _, i in out:
            idx[key].append(i)
        if tier > 0 and any(_sources(posts, ii) >= 2 for k, ii in idx.items() if k in tied_keys):
            # a name said with the role noun once, and near the question by another source ("registration
            # D-AIPX", "Germanwings A320 D-AIPX"), answers before the names said near it alone
            return [(k, sh, i) for k, sh, i in out if k in tied_keys]
        if any(_sources(posts, ii) >= 2 for ii in idx.values()):
            return out
    return out


def _same_site(found: list[tuple[int, str, str, int]]) -> list[tuple[int, str, str, int]]:
    """A name said with the role noun as its head word ("Grand Central Terminal" for "which rail
    terminal") is the site posts name by another head word ("an empty Grand Central Station") or
    by its own words alone ("Grand Central"): those posts say it too. Its own words must tell it
    apart (two words, or one that is no English word: not "Central" alone)."""
    cores: dict[tuple[str, ...], str] = {}
    for tier, key, shown, _ in found:
        ws = tuple(w.lower() for w in shown.split())
        if tier == 0 and len(ws) > 1 and ws[-1] in PLACE_HEADS:
            core = ws[:-1]
            if len(core) >= 2 or not _wordy(core[0]):
                cores.setdefault(core, key)
    if not cores:
        return found
    out = []
    for tier, key, shown, i in found:
        ws = tuple(w.lower() for w in shown.split())
        if tier > 0:
            for core, k in cores.items():
                if ws[:len(core)] == core and (len(ws) == len(core) or (len(ws) == len(core) + 1 and
                                                                       ws[-1] in PLACE_HEADS)):
                    tier, key = 0, k
                    break
        out.append((tier, key, shown, i))
    return out


def _sources(posts: Sequence[Hit], idx: list[int]) -> int:
    """How many independent sources the posts at `idx` are (a story once, an author once)."""
    from ..verify.independence import Item, corroboration

    return corroboration([Item(posts[i].post.key, _author(posts[i]), posts[i].story.id if posts[i].story else None,
                               posts[i].post.created_at) for i in dict.fromkeys(idx)]).authors


def _attribution(toks: list[str], a: int, b: int) -> bool:
    """A name said as who reports: "via Reuters", "per KFOR", "- CBS News" or "(AP)" at the end,
    "Reuters:" opening the post."""
    before = toks[a - 1].lower() if a > 0 else ""
    after = toks[b] if b < len(toks) else ""
    if before in ("via", "per", "h/t", "cc", "source", "sources"):
        return True
    if a == 0 and after == ":":
        return True
    return before in ("-", "–", "—", "|", "(", "«", "~") and (after in ("", ")", "»", "|") or b == len(toks))


def _coordinated(toks: list[str], a: int, q_names: set[str]) -> bool:
    """The name at toks[a] comes right after a name of the question and "and", "&", "with" or "(" ."""
    return a >= 2 and toks[a - 1].lower() in ("and", "&", "with", "(", "+") and \
        toks[a - 2].lstrip("#@").lower().removesuffix("'s") in q_names


CHECKED = 10  # names (most said first) whose posts NER reads to tell a place or a people from a name


def _no_peoples_or_places(found: list[tuple[int, str, str, int]], texts: list[str], asked: AskedName
                          ) -> list[tuple[int, str, str, int]]:
    """Leave out names NER reads as a place or a people (GPE, LOC, NORP) in most of the posts
    that say them ("Moscow", "Bern"), unless a place is asked for. Only the most said names are
    read (NER costs a few ms a post; a name said once answers nothing)."""
    if asked.type == "place" or not found:
        return found
    landmark = (asked.head or "") in SITE_NOUNS  # "the Tomb of the Unknown Soldier" is a place, and an answer
    thing = asked.type == "name"
    from ..verify.assertions import post_entities

    posts_of: dict[str, list[int]] = defaultdict(list)
    shown_of: dict[str, str] = {}
    tied = {key for tier, key, _, _ in found if tier == 0}  # said with the role noun: no NER overrules that
    for _, key, shown, i in found:
        if i not in posts_of[key]:
            posts_of[key].append(i)
        shown_of.setdefault(key, shown)
    drop = set()
    common = lower_case_words(texts) if asked.type == "person" else set()
    for key in sorted(posts_of, key=lambda k: -len(posts_of[k]))[:CHECKED]:
        if asked.type == "person" and _no_person(shown_of[key], [texts[i] for i in posts_of[key][:5]], common,
                                                 key in tied):
            drop.add(key)
            continue
        if shown_of[key].split()[-1].lower() in PLACE_HEADS or key in tied or (landmark and " " in shown_of[key]):
            continue
        idx = posts_of[key][:5]
        name = _fold(shown_of[key].lower())
        votes = located = persons = 0
        for i in idx:
            ents = post_entities([texts[i]])[0]
            if any(label in ("GPE", "LOC", "NORP") and name in _fold(text.lower()) for label, text, *_ in ents):
                votes += 1
            if thing and any(label == "PERSON" and name == _fold(text.lower()) for label, text, *_ in ents):
                persons += 1
            if re.search(r"\b(?:in|at|near|from|to|into)\s+(?:the\s+)?[#@]?" + re.escape(shown_of[key]) + r"\b",
                         texts[i], re.IGNORECASE):
                located += 1
        # NER tells a place from a person only now and then ("giving birth in Ticino": a person in
        # one post, a place in the next); said after "in", it is a place. A thing's name asked for
        # ("what make of car") is no person's, read as one in most posts that say it
        if 3 * votes >= len(idx) or (asked.type == "person" and 2 * located > len(idx)) or 2 * persons > len(idx):
            drop.add(key)
    return [f for f in found if f[1] not in drop]


def _no_person(shown: str, texts: list[str], common: set[str], tied: bool = False) -> bool:
    """A name asked of a person that is none: every word of it one the posts write in lower case
    (a headline's capitalised verb), or, unless it was said with the question's role noun, read
    by the entity model as a person or an organisation in none of the posts saying it ("Boston
    Marathon", a place or site; "Injures", a headline's verb)."""
    from ..verify.assertions import post_entities

    ws = shown.split()
    if ws and all(w.lower() in common for w in ws):
        return True
    if tied:
        return False
    name = _fold(shown.lower())
    # the entity model tells people from organisations badly ("girlfriend Alina Kabaeva": ORG)
    return not any((label == "PERSON" and (name in folded or folded in name)) or (label == "ORG" and name == folded)
                   for ents in post_entities(texts) for label, text, *_ in ents if (folded := _fold(text.lower())))


@lru_cache(maxsize=8192)
def _town(name: str, population: int = 100_000) -> bool:
    """A name the gazetteer knows as a country, a US state or a town of `population` ("Bern")."""
    try:
        from ..places import gazetteer, norm

        g = gazetteer()
    except Exception:  # noqa: BLE001 - no gazetteer: NER and verify's reading only
        return False
    k = norm(name)
    if k in g.countries or k in g.states:
        return True
    cities, primary = g.candidates(name)
    return primary and any(c.population >= population for c in cities)


def _author(h: Hit) -> str:
    return h.post.author.id or h.post.author.handle or h.post.key


def _fold(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
