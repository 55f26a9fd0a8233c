"""Citations that hold: every statement is checked against the posts its markers name.

A draft's text is cut into statements (sentences, or lines) as it streams. For each
statement:

* each marker [n] must name a post of the draft that is still stored: else it is dropped
  (unresolved);
* the post must say what the statement says: at least half of the statement's content
  words (crudely stemmed) are in the post, or their MiniLM vectors are close (cosine >= 0.6);
  and every number in the statement must be in a supporting post. Else the marker is
  dropped (unsupported);
* a statement left without a marker is given the one post that supports it best when one
  clearly does (a stricter bar: 0.6 of its words, or cosine >= 0.7), else it is not shown;
* a statement with fewer than two content words once links are taken out (a stray tag or
  link) cannot be checked, so it is not shown.

Markers are renumbered in order of first use: the answer's [1] is its first citation. A
trusted draft (the extractive composer's, built from the posts themselves) only has its
markers resolved. Post text that contains marker-like "[3]" is defanged to "(3)" wherever
posts are quoted, so a post cannot plant a citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .. import words
from ..model import all_words
from .base import Check, Draft, Statement

MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_ONLY_MARKERS = re.compile(r"^\s*(?:\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\]\s*)+[.!?]?\s*$")
_NO_SPLIT_BEFORE = re.compile(r"(?:\b[A-Za-z]|\b(?:Mr|Mrs|Ms|Dr|St|vs|No|Sgt|Gov|Sen|Rep|Lt|Col|Gen|approx|etc|e\.g|i\.e))$")

MIN_OVERLAP = 0.5
MIN_WORDS = 2  # content words a statement needs (links aside) to be checked at all
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MIN_SIMILARITY = 0.6
ATTRIBUTE_OVERLAP = 0.6
ATTRIBUTE_SIMILARITY = 0.7


def defang(text: str) -> str:
    """Marker-like text in a post becomes plain: "[3]" -> "(3)"."""
    return MARKER.sub(lambda m: f"({m.group(1)})", text)


def markers(text: str) -> list[int]:
    out: list[int] = []
    for m in MARKER.finditer(text):
        out += [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1).strip())]
    return out


class Splitter:
    """Cuts streamed text into statements: at a newline, or after a sentence's end (and the
    markers that follow it) when more text follows; at newlines only for a line-per-statement
    draft."""

    # A boundary is only taken once the next statement has begun: markers may still follow.
    _MARKS = r"(?:\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\]\s*)"
    # A line starting with markers and going on ("[2] The ...") starts a statement; a line of
    # markers alone closes the one before.
    _NEWLINE = rf"\n\s*(?=[^\s\[]|{_MARKS}+[^\s\[])"
    _END = re.compile(rf"[.!?]+[\"')\]]*(?:[^\S\n]*\[\s*\d{{1,3}}(?:\s*[,;]\s*\d{{1,3}})*\s*\])*[^\S\n]*(?:\n\s*{_MARKS}*(?=\n)\s*)?"
                      rf"(?:[^\S\n]+(?=[^\s\[])|{_NEWLINE})|{_NEWLINE}")

    _LINE = re.compile(_NEWLINE)

    def __init__(self, lines_only: bool = False) -> None:
        self._buf = ""
        self._end = self._LINE if lines_only else self._END

    def feed(self, chunk: str) -> list[str]:
        self._buf += chunk
        out = []
        start = 0
        for m in self._end.finditer(self._buf):
            if m.group(0)[0] != "\n":
                before = self._buf[start:m.start()]
                if _NO_SPLIT_BEFORE.search(before):
                    continue  # "U.S." or "Dr." ends no sentence
                if (before.count('"') + before.count("“") + before.count("”")) % 2:
                    continue  # inside a quotation
            piece = " ".join(self._buf[start:m.end()].split())
            if piece:
                out.append(piece)
            start = m.end()
        self._buf = self._buf[start:]
        return self._join_markers(out)

    def close(self) -> list[str]:
        piece, self._buf = " ".join(self._buf.split()), ""
        return self._join_markers([piece] if piece else [])

    def _join_markers(self, pieces: list[str]) -> list[str]:
        out: list[str] = []
        for p in pieces:
            if out and _ONLY_MARKERS.match(p):  # "... fell.\n[2]": the markers belong to the line before
                out[-1] = out[-1] + " " + p
            else:
                out.append(p)
        return out


@dataclass(slots=True)
class _Source:
    key: str
    text: str
    stems: set[str]
    numbers: set[str]
    stored: bool


class Checker:
    """Checks one draft's statements as they come; `run` yields the ones that hold."""

    def __init__(self, draft: Draft, is_stored: Callable[[list[str]], set[str]],
                 encode: Callable[[list[str]], np.ndarray] | None = None):
        self.draft = draft
        self.check = Check()
        self._is_stored = is_stored
        self._sources: list[_Source] = []  # built as markers need them (an extractive draft grows its sources)
        self._encode = encode
        self._vecs: np.ndarray | None = None
        self._claim: tuple[str, np.ndarray] | None = None
        self.order: list[int] = []  # source indexes in order of first citation
        self._number: dict[int, int] = {}  # source index -> answer marker

    @property
    def sources(self) -> list[_Source]:
        have, want = len(self._sources), len(self.draft.sources)
        if want > have:
            new = self.draft.sources[have:]
            stored = self._is_stored([h.post.key for h in new])
            for h in new:
                # What a statement may say about a post: its text, its author, its time.
                # (its text includes what its images and link cards say: a statement may cite those)
                meta = f"{h.post.author.handle} {h.post.created_at:%Y-%m-%d %H:%M %d %B %Y}"
                said = all_words(h.post)
                self._sources.append(_Source(h.post.key, said, words.content_stems(said + " " + meta),
                                             words.numbers(said + " " + meta), h.post.key in stored))
        return self._sources

    def run(self) -> Iterator[Statement]:
        sp = Splitter(lines_only=self.draft.joiner == "\n")
        for chunk in self.draft.chunks:
            for piece in sp.feed(chunk):
                st = self.statement(piece)
                if st is not None:
                    yield st
        for piece in sp.close():
            st = self.statement(piece)
            if st is not None:
                yield st

    def statement(self, text: str) -> Statement | None:
        """The statement with its markers checked and renumbered, or None when it has no support."""
        marks = markers(text)
        claim = " ".join(MARKER.sub(" ", text).split())
        claim = re.sub(r"\s+([.,;:!?])", r"\1", claim)
        if not claim.strip(" .,;:!?-–—*•"):
            return None  # markers only, or punctuation
        self.check.statements += 1
        self.check.markers += len(marks)
        kept: list[int] = []
        for n in dict.fromkeys(marks):  # a marker repeated in one statement counts once
            i = n - 1
            if not (0 <= i < len(self.sources)) or not self.sources[i].stored:
                self.check.dropped_unresolved += marks.count(n)
                continue
            if self.draft.trusted or self._supports(claim, i, strict=False):
                kept.append(i)
                self.check.kept += marks.count(n)
            else:
                self.check.dropped_unsupported += marks.count(n)
        if kept and not self.draft.trusted and not self._numbers_hold(claim, kept):
            self.check.kept -= len(kept)
            self.check.dropped_unsupported += len(kept)
            kept = []
        if not kept and not self.draft.trusted:
            best = self._attribute(claim)
            if best is None:
                self.check.unsupported_statements += 1
                return None
            kept = [best]
            self.check.attributed += 1
        nums = [self._renumber(i) for i in kept]
        if self.draft.trusted:  # its markers stay where the composer put them, renumbered
            def sub(m: re.Match) -> str:
                got = [self._number[int(x) - 1] for x in re.split(r"\s*[,;]\s*", m.group(1).strip())
                       if int(x) - 1 in self._number]
                return "".join(f"[{n}]" for n in got)
            return Statement(" ".join(MARKER.sub(sub, text).split()), nums)
        return Statement(_place(claim, nums), nums)

    def _renumber(self, i: int) -> int:
        if i not in self._number:
            self._number[i] = len(self.order) + 1
            self.order.append(i)
        return self._number[i]

    # -- support ------------------------------------------------------------------------

    def _overlap(self, claim: str, i: int) -> float:
        want = words.content_stems(claim)
        return len(want & self.sources[i].stems) / len(want) if want else 0.0

    def _similarity(self, claim: str, i: int) -> float:
        if self._encode is None:
            return 0.0
        if self._vecs is None:
            self._vecs = self._encode([s.text for s in self.sources])
        if self._claim is None or self._claim[0] != claim:
            self._claim = (claim, self._encode([claim])[0])
        return float(self._vecs[i] @ self._claim[1])

    def _supports(self, claim: str, i: int, strict: bool) -> bool:
        if len(words.content_stems(_URL.sub(" ", claim))) < MIN_WORDS:
            return False  # too little said to be checked (a link, a tag, a stray word)
        if self._overlap(claim, i) >= (ATTRIBUTE_OVERLAP if strict else MIN_OVERLAP):
            return True
        return self._similarity(claim, i) >= (ATTRIBUTE_SIMILARITY if strict else MIN_SIMILARITY)

    def _numbers_hold(self, claim: str, kept: list[int]) -> bool:
        have: set[str] = set()
        for i in kept:
            have |= self.sources[i].numbers
        return words.numbers(claim) <= have

    def _attribute(self, claim: str) -> int | None:
        best, best_score = None, 0.0
        for i, s in enumerate(self.sources):
            if not s.stored or not self._supports(claim, i, strict=True) or not self._numbers_hold(claim, [i]):
                continue
            score = self._overlap(claim, i) + self._similarity(claim, i)
            if best is None or score > best_score:
                best, best_score = i, score
        return best


def _place(claim: str, nums: list[int]) -> str:
    """Markers at the end of the statement, before its final punctuation."""
    if not nums:
        return claim
    tag = "".join(f"[{n}]" for n in nums)
    m = re.search(r"([.!?]+[\"')]*)$", claim)
    if m:
        return f"{claim[: m.start()].rstrip()} {tag}{m.group(1)}"
    return f"{claim} {tag}"
