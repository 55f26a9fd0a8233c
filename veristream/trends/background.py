"""How common a term is in general language: the yardstick for a topic that fills a stream.

The burst model compares each term with the stream's own past, so a topic that is already
everywhere when the stream starts (a storm the stream was collected about, a firehose joined
mid-event) is its baseline and never bursts. Against general language it stands out: "hurricane"
in a third of the posts is a thousand times its usual share. Shares come from `wordfreq`
(word frequencies of many languages from Wikipedia, subtitles, news, books, web and social
text; the data ships inside the package), looked up lazily and only for terms that already
fill a large share of the stream, so the cost is a few lookups an hour.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORDS_PER_POST = 15.0  # a post's share is about its words' frequency times its length
LANGS = ("en", "es", "pt", "fr", "de", "it", "nl")  # the most common word wins: "que" is no topic
_FLOOR = 1e-8
_LATIN = re.compile(r"^[#@]?[a-z0-9][a-z0-9 '\-]*$")


@lru_cache(maxsize=4096)
def post_share(term: str) -> float | None:
    """Expected share of posts holding `term` in general language; None when unknown (no
    wordfreq, or a script it is not looked up for)."""
    t = term.lower()
    if not _LATIN.match(t):
        return None
    try:
        from wordfreq import word_frequency
    except ImportError:  # pragma: no cover - wordfreq is a dependency
        return None
    words = t.lstrip("#@")
    f = max(word_frequency(words, lang) for lang in LANGS)
    return min(1.0, max(f, _FLOOR) * WORDS_PER_POST)
