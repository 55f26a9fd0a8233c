"""Terms of a post, and the bounded vocabulary that numbers them.

A post's terms are its content words (lowercased, without stop words, URLs, @mentions and the
retweet prefix), its hashtags (`#tag`) and the phrases formed by two neighbouring content
words (`west texas`, `boston marathon`): the short phrases and most named entities of a news
stream. Each term is counted once per post, and a post gives at most `MAX_TERMS`.

Terms are bytes (UTF-8): the tokeniser shared with stories returns bytes for ASCII text, the
common case, and encoding the rest keeps one key type. The work per post is a handful of
C-level string and set operations plus one dict lookup per term, so it stays proportional to
the post's terms.
"""

from __future__ import annotations

import re
from itertools import chain

import numpy as np
import xxhash

from .. import analysis
from ..core.stories import words
from ..words import TREND_STOPWORDS

MAX_TERMS = 32

_ALNUM = b"abcdefghijklmnopqrstuvwxyz0123456789_"
# Stop words, plus every ASCII token of one or two characters: one set difference drops both.
STOPWORDS: frozenset[bytes] = frozenset(
    [w.encode() for w in TREND_STOPWORDS] + [bytes([a]) for a in _ALNUM]
    + [bytes([a, b]) for a in _ALNUM for b in _ALNUM])

# Everyday words that are not stop words but say nothing on their own: they may be part of an
# event's terms, but a lone one never raises an event (see events.py).
GENERIC: frozenset[bytes] = frozenset(w.encode() for w in """
right thank thanks please love happy lol lmao haha hahaha god omg wow damn shit fuck fucking guys
man girl boy life feel feeling look looking watch watching come coming take first last next big
little great best better bad sad news tweet twitter follow retweet gonna wanna gotta sure thing
stuff something anything everything nothing someone anyone everyone really actually literally
night morning week weekend home work world live video photo pic pics
""".split())

# URLs, @mentions and HTML entities carry no topic words (lowercased text).
_NOISE = re.compile(r"https?://[^\s\x00]+|www\.[^\s\x00]+|@[\w.\-]+|&[a-z]+;")  # \x00: between posts
_SEP = "\x00"
# ASCII punctuation to spaces, keeping the separator between posts of a batch.
_PUNCT = bytes(c for c in range(1, 128) if not (chr(c).isalnum() or c == 95))
_TABLE = bytes.maketrans(_PUNCT, b" " * len(_PUNCT))


def extract(text: str, tags: list[str] | None = None) -> list[bytes]:
    """The distinct terms of one post: hashtags, content words, then two-word phrases."""
    return extract_many([text], [tags])[0]


def extract_many(texts: list[str], tags: list[list[str] | None]) -> list[list[bytes]]:
    """`extract` for a batch: lowercasing, noise removal and ASCII tokenising run once over
    the joined batch (C loops); the per-post work is a few set and list operations."""
    low = _NOISE.sub(" ", _SEP.join(t.replace(_SEP, " ") if _SEP in t else t for t in texts).lower())
    # ASCII punctuation to spaces over the whole batch (UTF-8 bytes above 127 are untouched);
    # a post with other characters is tokenised by the Unicode-aware tokeniser of stories.
    segs = low.encode().translate(_TABLE).split(b"\x00")
    if low.isascii():
        toks_list = [s.split() for s in segs]
        cjk: set[int] = set()
    else:
        toks_list = [s.split() if s.isascii() else _tokens(s.decode()) for s in segs]
        # Scripts without spaces are already cut into character pairs: no phrases of those.
        cjk = {i for i, s in enumerate(segs) if not s.isascii() and analysis.needs_analysis(s.decode())}
    stop = STOPWORDS
    join = b" ".join
    out: list[list[bytes]] = []
    for i, (toks, tg) in enumerate(zip(toks_list, tags)):
        if tg:
            tagw = [t.lower().encode() for t in tg]
            tagset = set(tagw)  # the hashtag stands for the word
            content = [t for t in toks if t not in stop and t not in tagset]
        else:
            content = [t for t in toks if t not in stop]
        if i in cjk or len(content) < 2:
            terms = list(dict.fromkeys(content))
        else:
            terms = list(dict.fromkeys(chain(content, map(join, zip(content, content[1:])))))
        if tg:
            terms = list(dict.fromkeys([b"#" + t for t in tagw])) + terms
        out.append(terms[:MAX_TERMS] if len(terms) > MAX_TERMS else terms)
    return out


# Short all-hiragana words are Japanese grammar (ます, でした, ている, から), never a topic;
# topics are written in kanji or katakana (地震, ライブ). Dropped without a dictionary lookup.
_FUNCTION_KANA = re.compile("[\u3041-\u309f]{2,3}")


def _tokens(seg: str) -> list[bytes]:
    if analysis.needs_analysis(seg):
        # The index's own analysis (MeCab words for Japanese, bigrams for Chinese, Korean and
        # Thai), so a trend names what a search finds; one-character words (particles) dropped.
        toks = words(analysis.strip_spaceless(seg))
        out = [t if isinstance(t, bytes) else t.encode() for t in toks]
        out += [t.encode() for t in analysis.tokens(seg) if len(t) > 1 and not _FUNCTION_KANA.fullmatch(t)]
        return out
    toks = words(seg)
    return list(map(str.encode, toks)) if toks and isinstance(toks[0], str) else toks  # type: ignore[arg-type]


def display(term: bytes) -> str:
    return term.decode("utf-8", "replace")


def term_hash(term: bytes) -> int:
    return xxhash.xxh3_64_intdigest(term)


class Vocabulary:
    """Term <-> dense integer id, bounded: `prune` drops the coldest terms and renumbers.

    Ids index the burst model's arrays; a term's 64-bit hash (stable across renumbering and
    restarts) is what the distinct-author filter keys on."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.ids: dict[bytes, int] = {}
        self.terms: list[bytes] = []
        self.hashes = np.zeros(1024, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self.terms)

    def ids_of(self, terms: list[bytes]) -> list[int]:
        """Ids of `terms` (a whole tick's at once), numbering new terms in sorted order."""
        ids = self.ids
        missing = set(terms).difference(ids)
        if missing:
            new = sorted(missing)
            start = len(self.terms)
            end = start + len(new)
            ids.update(zip(new, range(start, end)))
            self.terms += new
            if end > len(self.hashes):
                self.hashes = np.concatenate([self.hashes, np.zeros(max(end, 2 * len(self.hashes)) - len(self.hashes),
                                                                    dtype=np.uint64)])
            self.hashes[start:end] = np.fromiter(map(term_hash, new), dtype=np.uint64, count=len(new))
        return list(map(ids.__getitem__, terms))

    def get(self, term: bytes) -> int | None:
        return self.ids.get(term)

    def keep(self, keep: np.ndarray) -> np.ndarray:
        """Keep only the ids where `keep` is true, renumbered in order; returns old -> new id
        (-1 for dropped ids)."""
        n = len(self.terms)
        keep = keep[:n]
        remap = np.full(n, -1, dtype=np.int64)
        kept = np.flatnonzero(keep)
        remap[kept] = np.arange(len(kept))
        self.terms = [self.terms[i] for i in kept.tolist()]
        self.ids = {t: i for i, t in enumerate(self.terms)}
        h = np.zeros(max(1024, len(self.hashes)), dtype=np.uint64)
        h[: len(kept)] = self.hashes[kept]
        self.hashes = h
        return remap
