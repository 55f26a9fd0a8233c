"""Content words: what a question asks about and what a statement claims, for matching them
against posts (keyword queries, relevance of a post to a question, support of a citation).

Deliberately simple and predictable: lowercase, accents folded, English function words and
question words dropped, a light suffix stripping for comparison (not for the index, whose
BM25 matches whole words).
"""

from __future__ import annotations

from functools import lru_cache

import re
import unicodedata

from . import analysis

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each
few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself
him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't
my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
she'll she's should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through to too under until up very was wasn't we
we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's
with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
tell say says said know known anything something happen happened happening happens going go goes latest
news update updates recent recently now today currently current right just also any many much
please give show me us rt via amp http https www com co t
""".split())

# Words that join or frame what a claim says and are never what it is about ("a body found near
# Gympie", "a man whose body", "among those killed", "went ahead despite"): a post need not repeat
# them to state what the claim does (verify's topic words). Searches keep them: "near" finds the
# post that says "near Waco".
LINK_WORDS = frozenset("""
whose whether whoever whatever whichever among amongst amid amidst near within upon onto toward towards
across along despite though although unless since ahead according already yet even
""".split())

# Trend terms drop more: everyday chat and time words that burst with any busy hour, the
# stems a tokenizer leaves of contractions, markup, and the function words of the other
# languages the streams carry most (es, fr, de, pt, it, nl). Not for questions or claims:
# there "die", "will" or "never" can be what is asked.
TREND_STOPWORDS = STOPWORDS | frozenset("""
mine whose will shall may might must don dont didn doesn isn aren wasn weren won wouldn couldn shouldn cant
onto though although yet still even ever never always org net html gt lt quot ll ve re im ur u lol omg yeah
yes ok okay get got gets getting gone went make made makes see seen saw knew think thought want wants need
needs let lets like likes really well back way day days one two three new good tonight tomorrow yesterday time
year years people thing things
el la los las un una unos unas de del al y o que en es por para con se su sus lo le les mi tu como pero mas
más ya si muy hay este esta esto ese esa eso son fue ser está están
une des du et ou à où qui dans sur pour pas par avec est sont ce cette ces il elle ils je nous vous mais plus
au aux sa ses leur leurs ne
der die das ein eine einen einem einer und oder zu im ist sind nicht mit auf für von den dem es ich du wir
ihr sie er auch wie aber noch nur dass als bei aus
os um uma da dos das em na nos nas e não mais
gli di tra fra che non è sono
het een en van op te dat zijn niet met voor
""".split())

_WORD = re.compile(r"[#@]?[^\W_][\w'’\-]*", re.UNICODE)
_NUM = re.compile(r"\d+(?:[.,]\d+)*")


def fold(text: str) -> str:
    """Lowercase with accents folded (é -> e). Spaceless scripts are only normalised (NFKC):
    their combining marks are letters (Japanese dakuten: て≠で, Thai vowels), not accents."""
    if not analysis.needs_analysis(text):
        return _fold(text)
    parts = analysis.split_spaceless(text)
    return "".join(unicodedata.normalize("NFKC", p) if i % 2 else _fold(p) for i, p in enumerate(parts))


def _fold(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in t if not unicodedata.combining(c)).replace("’", "'")


def words(text: str) -> list[str]:
    """Lowercased, accent-folded words (hashtag and mention marks dropped); text in spaceless
    scripts is left to `analysis` (see `keywords`)."""
    out = []
    if analysis.needs_analysis(text):
        text = analysis.strip_spaceless(text)
    for w in _WORD.findall(fold(text)):
        w = w.lstrip("#@").strip("'-")
        if w:
            out.append(w)
    return out


def keywords(text: str) -> list[str]:
    """The content words of a question, in order, once each: the lexical query's terms.
    Words in spaceless scripts (Japanese, Chinese, Korean, Thai) come from `analysis`."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
            continue
        for part in re.split(r"[-']", w):  # the index tokenizer splits on these too
            if part and part not in STOPWORDS and (len(part) > 1 or part.isdigit()):
                seen.setdefault(part, None)
    for w in analysis.content_tokens(unicodedata.normalize("NFKC", text)):
        seen.setdefault(w, None)
    return list(seen)


# Words news posts use for one thing ("killed" and "dead", "blast" and "explosion"): a question's
# or claim's word is found in a post that says it with another of its group (verify reads
# claims with them too).
SYNONYMS: list[set[str]] = [
    {"cyberattack", "cyber", "hack", "hacker", "hackers", "hacked", "hacking", "cyberattacks", "cyber-attack"},
    {"bomb", "bombs", "bombing", "bomber", "bombers", "explosive", "explosives", "ied", "device", "devices"},
    {"fire", "fires", "blaze", "flames", "wildfire", "burning"},
    {"explosion", "explosions", "blast", "blasts", "exploded", "explode"},
    {"terrorism", "terrorist", "terrorists", "terror"},
    {"lightning", "thunderstorm", "storm"},
    {"arson", "arsonist", "deliberately"},
    {"gas", "leak", "methane"},
    {"fertilizer", "fertiliser", "ammonium", "nitrate", "anhydrous", "ammonia"},
    {"speed", "speeding", "fast"},
    {"pilot", "co-pilot", "copilot"},
    {"earthquake", "quake", "tremor", "seismic"},
    {"flight", "flights", "flying", "fly", "flew", "plane", "aircraft", "airliner", "jet"},
    {"shot", "shoot", "shooting", "shots", "gunfire", "fired"},
    {"killed", "dead", "died", "deaths", "death", "kill", "killing"},
    {"captured", "capture", "arrested", "arrest", "caught", "custody", "apprehended", "detained"},
    {"destroyed", "destroy", "flattened", "leveled", "levelled", "demolished", "damaged", "wiped", "hit", "struck"},
    {"flood", "floods", "flooding", "floodwaters"},
    {"police", "officer", "officers", "policeman", "policemen", "cop", "cops"},
    {"shirt", "shirts", "tshirt", "tshirts"},  # "T-shirts" reads as "shirts"; posts write "TShirts"
    {"tribute", "tributes", "honor", "honors", "honored", "honoring", "honour", "honours", "honoured", "honouring",
     "salute", "salutes", "saluted"},
]


# Irregular verb forms whose stem shares nothing with the verb's ("sang" / "sing"), each taken to
# the verb: a claim saying "fans sang" and a post saying "fans sing" use the same word. Only forms
# that are no other common word and in no group of SYNONYMS ("left", "found", "saw", "rose", "lay", "shot", "bit", "met", "fed", "lent" are left out).
IRREGULAR = {form: verb for verb, forms in {
    "sing": "sang sung", "ring": "rang rung", "sink": "sank sunk", "swim": "swam swum", "drink": "drank drunk",
    "begin": "began begun", "run": "ran", "fall": "fell fallen", "fly": "flew flown", "blow": "blew blown",
    "grow": "grew grown", "throw": "threw thrown", "draw": "drew drawn", "drive": "drove driven",
    "ride": "rode ridden", "rise": "risen", "write": "wrote written", "speak": "spoke spoken",
    "break": "broke broken", "freeze": "froze frozen", "steal": "stole stolen", "choose": "chose chosen",
    "wake": "woke woken", "tear": "tore torn", "wear": "wore worn", "swear": "swore sworn", "bite": "bitten",
    "hide": "hidden", "shake": "shook shaken", "forgive": "forgave forgiven", "forbid": "forbade forbidden",
    "eat": "ate eaten", "flee": "fled", "seek": "sought", "teach": "taught", "buy": "bought",
    "bring": "brought", "think": "thought", "fight": "fought", "sell": "sold", "tell": "told", "win": "won",
    "hold": "held", "stand": "stood", "understand": "understood", "stick": "stuck",
    "swing": "swung", "sting": "stung", "cling": "clung", "hang": "hung", "dig": "dug", "lose": "lost",
    "build": "built", "send": "sent", "spend": "spent", "bend": "bent", "sleep": "slept",
    "sweep": "swept", "weep": "wept", "creep": "crept", "feel": "felt", "kneel": "knelt", "mean": "meant",
    "bleed": "bled", "breed": "bred", "lead": "led",
    "shine": "shone", "shrink": "shrank shrunk", "forget": "forgot forgotten", "awake": "awoke awoken",
    "arise": "arose arisen", "undergo": "underwent undergone", "withdraw": "withdrew withdrawn",
    "overthrow": "overthrew overthrown", "mistake": "mistook mistaken",
    # short verbs the suffix rules leave whole ("used" would not meet "uses")
    "use": "used using", "make": "made", "take": "took taken", "give": "gave given", "come": "came", "hit": "hitting", "get": "got gotten getting",
    "put": "putting", "cut": "cutting", "shut": "shutting", "set": "setting",
}.items() for form in forms.split()}


def stem(w: str) -> str:
    """'shaking', 'shakes', 'shake' -> 'shak'; 'cities' -> 'city'; 'sang' -> 'sing'. Crude, and the
    same on both sides."""
    w = IRREGULAR.get(w, w)
    cut = False
    for suf in ("ings", "ing", "ies", "ied", "ed", "es", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            w = w[: -len(suf)] + ("y" if suf in ("ies", "ied") else "")
            cut = True
            break
    # the final e of a word as its forms lose it: "fire" as "fires" and "fired", "sale" as "sales" (a
    # four-letter word kept it, and "sale" was not "sales"); after a suffix only from a longer stem
    # ("agreed" is "agre", as "agree" is)
    if w.endswith("e") and len(w) > (4 if cut else 3):
        w = w[:-1]
    return w


@lru_cache(maxsize=8192)
def content_stems(text: str) -> frozenset[str]:
    """The stems of a text's content words. Memoised (a pure function of the text): retrieval,
    verify and citations ask it of the same posts many times per question."""
    return frozenset(stem(w) for w in keywords(text))


def coverage(query_stems: set[str], text: str) -> float:
    """Share of the query's content words found in `text`, each also by another word of its
    group in `SYNONYMS` ("died" is found in "24 killed")."""
    if not query_stems:
        return 0.0
    have = content_stems(text)
    return sum(1 for st in query_stems if st in have or _EQUIV.get(st, frozenset()) & have) / len(query_stems)


_LOWER_WORD = re.compile(r"(?<![#@\w])[a-z][a-z'’\-]{2,}")


def lower_case_words(texts: list[str], at_least: int = 2) -> set[str]:
    """Words these texts write in lower case at least `at_least` times: common words, whatever a
    headline capitalises ("Soldier shot at ...", "Explosion Injures Dozens"), not names. Hashtags
    and mentions are not counted."""
    counts: dict[str, int] = {}
    for t in texts:
        for w in _LOWER_WORD.findall(t):
            counts[w] = counts.get(w, 0) + 1
    return {w for w, n in counts.items() if n >= at_least}


def numbers(text: str) -> set[str]:
    """Numbers as written, thousands separators dropped: '1,200' and '1200' are the same."""
    return {n.replace(",", "") for n in _NUM.findall(text)}


# Words of a group whose stem is also another word's: "fired" (shots) shares "fir" with "fire" and
# "fires"; its stem joins no group, or a fire would be a shooting. (The word itself stays in its group:
# `verify.align.verb_forms` reads "fired" as "shoot".)
_AMBIGUOUS = frozenset({"fired"})


def _equivalents() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for group in SYNONYMS:
        group = group - _AMBIGUOUS
        stems = frozenset(stem(x) for x in group)
        for w in group:
            out[stem(w)] = out.get(stem(w), frozenset()) | stems
    return out


_EQUIV = _equivalents()  # a stem -> the stems of its groups


def equivalent_stems(st: str) -> frozenset[str]:
    """The stems of the words `SYNONYMS` groups with the word whose stem is `st` (empty: none)."""
    return _EQUIV.get(st, frozenset())
