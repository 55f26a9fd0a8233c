"""The answer contract: typed records and the `Composer` interface every backend implements.

A composer turns `Evidence` (the question, its time window, the relevant posts found by
hybrid retrieval) into a `Draft`: a stream of text whose statements carry markers like [2],
numbered into the draft's own `sources`. The draft is never shown as is: `citations.py`
checks every statement against the posts its markers name before it reaches the user, and
`ask.py` falls back to the extractive composer when nothing the model wrote holds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..model import Post, attachments, iso
from ..retrieve import Hit, Retrieval


class ComposerError(RuntimeError):
    """A composer could not run (model missing, server unreachable): the answer falls back."""


@dataclass(slots=True)
class Question:
    text: str  # as asked
    topic: str  # what it is about: the time phrases taken out
    since: datetime | None = None
    until: datetime | None = None
    latest: bool = False  # "latest on ...", "right now": freshness first
    window: str | None = None  # the time phrase understood, e.g. "the last hour"
    lang: str = "en"  # the language the answer's own words are in: "en" or "ja" (README: Languages)


@dataclass(slots=True)
class Evidence:
    question: Question
    posts: list[Hit]  # relevant posts, best first (copies of a story included)
    retrieval: Retrieval
    now: datetime | None  # the stream's event-time now
    capped: bool = False  # more posts matched than were gathered
    # posts that say the question's other words but not its verb or the kind of thing it asks for:
    # read only for what fills the question's slot (`facts.slot_candidates`), never quoted as such
    extra: list[Hit] = field(default_factory=list)
    # posts that say the question's details or its role noun ("witness") without enough of its
    # words to be relevant: read only for the name it asks for (`names`), never quoted as such
    near: list[Hit] = field(default_factory=list)
    # posts of the question's event that say its rare details ("driving" among a manhunt's posts,
    # "demand" among a siege's) with one of its other words, however few of its words they say:
    # read first for what fills its slot and for the name it asks for, never quoted as such
    details: list[Hit] = field(default_factory=list)

    def key_posts(self, limit: int) -> list[Hit]:
        """The best post of each story, best stories first."""
        out, seen = [], set()
        for h in self.posts:
            sid = h.story.id if h.story else -h.seq
            if sid in seen:
                continue
            seen.add(sid)
            out.append(h)
            if len(out) == limit:
                break
        return out


@dataclass(slots=True)
class Draft:
    """What a composer produces: text chunks as they come, markers [n] numbered into `sources`."""

    sources: list[Hit]
    chunks: Iterator[str]
    trusted: bool = False  # statements built from the posts themselves (extractive): only resolution is checked
    joiner: str = " "  # between statements in the final text
    withheld: int = 0  # posts kept out of a model's prompt because they address a model


@dataclass(slots=True)
class Citation:
    n: int  # the marker's number in the answer
    post_id: str  # the stored post's key (source:id)
    id: str
    source: str
    author: str  # handle
    author_id: str
    time: datetime
    url: str | None
    text: str  # the post's text, bounded
    # What is attached to it, bounded: (image | alt | card, its words): text in an image is cited
    # like the post's own ("in an image attached to [3]").
    attached: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, n: int, p: Post, max_chars: int = 280) -> "Citation":
        text = _cut(p.text, max_chars)
        return cls(n, p.key, p.id, p.source, p.author.handle or p.author.id, p.author.id, p.created_at, p.url, text,
                   [(what, _cut(said, max_chars)) for what, said in attachments(p)[:3]])

    def to_dict(self) -> dict:
        d = {"n": self.n, "post_id": self.post_id, "id": self.id, "source": self.source, "author": self.author,
             "author_id": self.author_id, "time": iso(self.time), "url": self.url, "text": self.text}
        if self.attached:
            d["attached"] = [{"kind": what, "text": said} for what, said in self.attached]
        return d


def _cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


@dataclass(slots=True)
class Statement:
    text: str  # with its markers, renumbered to the answer's citations
    citations: list[int]


@dataclass(slots=True)
class Check:
    """What the citation check did to a draft."""

    markers: int = 0  # markers the composer wrote
    kept: int = 0  # of those, kept
    dropped_unresolved: int = 0  # named no post of the draft, or a post no longer stored
    dropped_unsupported: int = 0  # named a post that does not say what the statement says
    attributed: int = 0  # statements without a marker given the one post that supports them
    statements: int = 0  # statements the composer wrote
    unsupported_statements: int = 0  # left without support: not shown

    @property
    def dropped(self) -> int:
        return self.dropped_unresolved + self.dropped_unsupported

    def to_dict(self) -> dict:
        return {"markers": self.markers, "kept": self.kept, "dropped": self.dropped,
                "dropped_unresolved": self.dropped_unresolved, "dropped_unsupported": self.dropped_unsupported,
                "attributed": self.attributed, "statements": self.statements,
                "unsupported_statements": self.unsupported_statements}


@dataclass(slots=True)
class Answer:
    question: Question
    text: str
    statements: list[Statement]
    citations: list[Citation]
    as_of: datetime | None  # event time of the newest post the answer uses
    composer: str  # the composer whose statements are shown
    asked: str  # the composer asked for
    check: Check = field(default_factory=Check)
    fallback: str | None = None  # why the extractive answer is shown instead of `asked`
    posts_considered: int = 0
    posts_withheld: int = 0  # relevant posts kept out of the model's prompt (they address a model)
    retrieval_mode: str = "lexical"
    embedding_pending: int = 0
    now: datetime | None = None
    took_ms: float = 0.0
    first_text_ms: float | None = None  # when the first checked statement was ready

    def to_dict(self) -> dict:
        q = self.question
        return {
            "question": q.text, "answer": self.text, "as_of": iso(self.as_of) if self.as_of else None,
            "composer": self.composer, "asked": self.asked, "fallback": self.fallback,
            "since": iso(q.since) if q.since else None, "until": iso(q.until) if q.until else None,
            "window": q.window, "citations": [c.to_dict() for c in self.citations],
            "statements": [{"text": s.text, "citations": s.citations} for s in self.statements],
            "check": self.check.to_dict(), "posts_considered": self.posts_considered,
            "posts_withheld": self.posts_withheld,
            "retrieval": {"mode": self.retrieval_mode, "embedding_pending": self.embedding_pending},
            "stream_now": iso(self.now) if self.now else None, "took_ms": round(self.took_ms, 1),
        }


class Composer(ABC):
    """Writes a draft answer from evidence. Implementations: `extractive` (no model),
    `local` (llama.cpp on a GGUF file), `openai` (any OpenAI-compatible server)."""

    name: str = ""

    @abstractmethod
    def compose(self, ev: Evidence) -> Draft:
        """Start composing; the draft's chunks are produced lazily (streamed). Raise
        `ComposerError` when the backend cannot run."""
