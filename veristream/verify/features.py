"""Features for the learned parts of verification: MiniLM sentence vectors and lexical cues.

Every model here is a linear model over these features, so training (scikit-learn, in
`train.py`) and run time (numpy, in `linear.py`) share this one definition; changing a
feature changes `FEATURES_VERSION`, and weights of another version are refused at load.

* `cues(text)`: a small vector of lexical cues a reader uses to tell a denial from a question
  or a restatement: negation, "fake", "confirmed", "not true", question marks, links, hedges.
* `pair(u, v)`: the classic sentence-pair combination [u, |u - v|, u * v] plus cos(u, v), for
  a post `u` judged against a claim `v`.

Posts are hostile input: texts are cut to `MAX_CHARS` before anything looks at them.
"""

from __future__ import annotations

from functools import lru_cache

import math
import re
import numpy as np

from ..words import STOPWORDS

FEATURES_VERSION = 3
MAX_CHARS = 1000  # longer posts are judged on their start: cues are cheap but regexes are not free

_URL = re.compile(r"https?://\S+|\bwww\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w{1,50}")
_WORD = re.compile(r"[a-z0-9']+")


def _rx(words: str) -> re.Pattern:
    return re.compile(r"\b(?:" + words + r")\b", re.IGNORECASE)


# Each cue is a named pattern; the order is part of the feature layout (FEATURES_VERSION).
CUE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("negation", _rx(r"not|no|never|n't|nope|nothing|none|neither|nor|cannot|isnt|wasnt|arent|dont|doesnt|didnt")),
    ("fake", _rx(r"fake|hoax|false|untrue|lie|lies|lying|liar|bs|bullshit|fabricated|photoshop\w*|satire|"
                 r"debunk\w*|misinformation|disinformation|propaganda|scam|nonsense|rubbish")),
    ("not_true", re.compile(r"\b(?:not|isn'?t|wasn'?t|aren'?t|ain'?t|never)\s+(?:\w+\s+)?(?:true|real|happen\w*|confirmed|"
                            r"correct|accurate|the case)\b|\bno (?:evidence|proof|truth|confirmation)\b|"
                            r"\bdid ?n'?t happen\b", re.IGNORECASE)),
    ("deny_verb", _rx(r"den(?:y|ies|ied|ying)|refut\w*|retract\w*|correction|wrong|incorrect|mistaken|"
                      r"misreport\w*|clarif\w*|old (?:photo|pic|picture|video|image)")),
    ("confirmed", _rx(r"confirm(?:s|ed|ing)?|official(?:ly)?|verified|true|indeed|exactly|correct|"
                      r"statement|announce\w*|reports?|reported|according")),
    ("hedge", _rx(r"reportedly|allegedly|unconfirmed|rumou?rs?|rumou?red|apparently|possibly|maybe|might|"
                  r"may|could|unclear|unverified|speculat\w*|claims?|claimed")),
    ("question_word", re.compile(r"(?:^|[.!?]\s+|^@\w+\s+)(?:is|are|was|were|do|does|did|has|have|can|could|will|"
                                 r"would|should|who|what|when|where|why|how|which|any)\b", re.IGNORECASE)),
    ("ask_source", re.compile(r"\b(?:source|sources|proof|evidence|link|confirm(?:ation|ed)?)\s*\?|"
                              r"\b(?:is (?:this|that|it) (?:true|real|confirmed)|really\s*\?|any (?:source|news|"
                              r"confirmation|proof|update)|where did you (?:get|hear)|can (?:anyone|someone|you) "
                              r"confirm|who says|says who)\b", re.IGNORECASE)),
    ("surprise", _rx(r"wow|omg|oh my god|unbelievable|incredible|shocking|wtf|what the")),
    ("sympathy", _rx(r"rip|pray\w*|prayers|thoughts|condolences|sad|tragic|heartbreaking|horrible|terrible|awful")),
    ("laugh", _rx(r"lol|lmao|haha\w*|rofl|joke|kidding")),
    ("agree", _rx(r"yes|yeah|yep|agreed?|right|exactly|absolutely|definitely|good")),
    ("insult", _rx(r"idiot\w*|stupid|moron\w*|dumb|shut up|ignorant|fool")),
]
N_CUES = len(CUE_PATTERNS) + 11  # the patterns, then the counts below
_QUOTE = re.compile(r"^\W{0,3}[\u201c\"']\s*@\w+|[\u201c\"]@\w{1,50}\s*:|\bRT\s*@\w+", re.IGNORECASE)


def cues(text: str) -> np.ndarray:
    """Lexical cues of one post (float32, bounded values; a fresh array the caller may keep)."""
    return _cues((text or "")[:MAX_CHARS]).copy()


@lru_cache(maxsize=4096)
def _cues(t: str) -> np.ndarray:
    """Memoised: stance and the claim model read the same posts' cues in one verification."""
    bare = _URL.sub(" ", t)
    out = [1.0 if p.search(bare) else 0.0 for _, p in CUE_PATTERNS]
    words = _WORD.findall(_MENTION.sub(" ", bare).lower())
    q = bare.count("?")
    out += [
        1.0 if q else 0.0,
        min(q, 3) / 3.0,
        1.0 if "!" in bare else 0.0,
        1.0 if _URL.search(t) else 0.0,
        min(len(_MENTION.findall(t)), 5) / 5.0,
        min(math.log1p(len(words)) / 4.0, 1.5),
        1.0 if t.lstrip().lower().startswith("rt @") else 0.0,
        1.0 if bare.strip().endswith("?") else 0.0,
        sum(1 for c in bare if c.isupper()) / max(1, sum(1 for c in bare if c.isalpha())),
        1.0 if _QUOTE.search(t) else 0.0,  # quote-tweet style: "“@user: their words” mine"
        1.0 if not words else 0.0,  # nothing but mentions and a link
    ]
    return np.asarray(out, np.float32)


def cue_names() -> list[str]:
    return [n for n, _ in CUE_PATTERNS] + ["has_question", "questions", "exclaim", "has_link", "mentions",
                                           "length", "retweet", "ends_question", "caps", "quotes", "no_words"]


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(_MENTION.sub(" ", _URL.sub(" ", (text or "")[:MAX_CHARS])).lower())
            if len(w) > 2 and w not in STOPWORDS}


def overlap(a: str, b: str) -> float:
    """Share of the claim's content words (b) that the post (a) repeats."""
    wb = content_words(b)
    return len(content_words(a) & wb) / len(wb) if wb else 0.0


def pair(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """[u, |u - v|, u * v, cos] row-wise, for posts u judged against claims v (unit vectors)."""
    u = np.atleast_2d(u).astype(np.float32)
    v = np.atleast_2d(v).astype(np.float32)
    cos = (u * v).sum(axis=1, keepdims=True)
    return np.hstack([u, np.abs(u - v), u * v, cos])
