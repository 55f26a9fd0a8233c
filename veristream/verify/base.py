"""The verification contract: typed records for a claim's verdict and the posts behind it.

`Verdict.to_dict()` is the JSON shape of `veristream verify --json` and of the HTTP API's
`POST /v1/verify`: the claim, the verdict in {supported, refuted, contested, unverified},
its calibrated confidence, the reasons, the event time of the newest post used (`as_of`),
and the evidence for and against side by side (plus the posts that take neither side), each
post with its stance, story size, credibility signals and community notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..model import iso
from .credibility import Credibility
from .independence import Corroboration
from .veracity import Veracity

if TYPE_CHECKING:
    from .align import AssertionResult
    from .judge import JudgeReport

VERDICTS = ("supported", "refuted", "contested", "unverified")
SIDES = ("for", "against", "other")


class VerifyError(RuntimeError):
    """Verification cannot run (models missing or unreadable)."""


@dataclass(slots=True)
class NoteRef:
    """A community note on a post, as the notes service scored it."""

    note_id: str
    summary: str
    classification: str  # MISINFORMED_OR_POTENTIALLY_MISLEADING | NOT_MISLEADING
    status: str  # CURRENTLY_RATED_HELPFUL | CURRENTLY_RATED_NOT_HELPFUL | NEEDS_MORE_RATINGS

    @property
    def helpful_misleading(self) -> bool:
        return self.status == "CURRENTLY_RATED_HELPFUL" and self.classification == "MISINFORMED_OR_POTENTIALLY_MISLEADING"

    def to_dict(self) -> dict:
        return {"note_id": self.note_id, "summary": self.summary, "classification": self.classification,
                "status": self.status}


@dataclass(slots=True)
class EvidencePost:
    key: str
    id: str
    source: str
    author: str  # handle (or id when the source gives no handle)
    author_id: str
    created_at: datetime
    url: str | None
    text: str  # bounded
    stance: str  # support | deny | query | comment (toward the claim)
    stance_confidence: float
    side: str = "other"  # for | against | other
    evidence: str | None = None  # second opinion, not used for the verdict: the claim-evidence model's
    # SUPPORTS | REFUTES | NOT_ENOUGH_INFO
    evidence_confidence: float | None = None
    story_id: int | None = None
    story_posts: int = 1  # posts in its story (copies, reposts)
    story_authors: int = 1
    credibility: Credibility | None = None
    notes: list[NoteRef] = field(default_factory=list)
    crowd: Veracity | None = None  # the veracity model on this post, with its own replies' stances, when it has some
    counted: bool = False  # stands for an independent source of its side
    similarity: float | None = None  # to the claim (MiniLM cosine), when vectors took part
    reply_to: str | None = None
    judge: str | None = None  # the LLM judge's reading of its stance, when one was asked (never counted)
    # How the post reads each of the claim's assertions it speaks to: (index into
    # Verdict.assertions, "confirms" | "conflicts", the value the post states).
    details: list[tuple[int, str, str]] = field(default_factory=list)
    # What is attached to it and was read with its words: (image | alt | card, the words, bounded).
    attached: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "key": self.key, "id": self.id, "source": self.source, "author": self.author, "author_id": self.author_id,
            "created_at": iso(self.created_at), "url": self.url, "text": self.text, "stance": self.stance,
            "stance_confidence": round(self.stance_confidence, 3), "side": self.side,
            "evidence": self.evidence,
            "evidence_confidence": round(self.evidence_confidence, 3) if self.evidence_confidence is not None else None,
            "story": {"id": self.story_id, "posts": self.story_posts, "authors": self.story_authors},
            "credibility": self.credibility.to_dict() if self.credibility else None,
            "notes": [n.to_dict() for n in self.notes],
            "crowd": veracity_dict(self.crowd) if self.crowd else None,
            "counted": self.counted, "reply_to": self.reply_to,
            "similarity": round(self.similarity, 3) if self.similarity is not None else None,
            "judge": self.judge,
            "details": [{"assertion": i, "relation": r, "value": v} for i, r, v in self.details],
            "attached": [{"kind": what, "text": x} for what, x in self.attached],
        }


@dataclass(slots=True)
class Verdict:
    claim: str
    verdict: str  # supported | refuted | contested | unverified
    confidence: float  # calibrated probability that the verdict is right (README: Verify)
    reasons: list[str]
    as_of: datetime | None  # event time of the newest post used
    evidence_for: list[EvidencePost] = field(default_factory=list)
    evidence_against: list[EvidencePost] = field(default_factory=list)
    other: list[EvidencePost] = field(default_factory=list)  # questions and comments: neither side
    support: Corroboration = field(default_factory=Corroboration)
    against: Corroboration = field(default_factory=Corroboration)
    queries: int = 0
    comments: int = 0
    crowd: Veracity | None = None  # the veracity model on the claim (every post a reaction), when shown
    notes_available: bool = False  # whether a community-notes service answered
    raw_confidence: float = 0.0  # before calibration: how decisively the independent sources lean
    since: datetime | None = None
    until: datetime | None = None
    stream_now: datetime | None = None
    posts_considered: int = 0
    retrieval_mode: str = "lexical"
    embedding_pending: int = 0  # stored posts not embedded yet: found by their words only
    took_ms: float = 0.0
    judge: JudgeReport | None = None  # when an LLM judge was asked
    # Per assertion of the claim (align.AssertionResult): what the claim says, what the stream says.
    assertions: list[AssertionResult] = field(default_factory=list)
    topic: str = ""  # what retrieval looked for: the claim without its distinguishing values

    def to_dict(self) -> dict:
        return {
            "claim": self.claim, "verdict": self.verdict, "confidence": round(self.confidence, 3),
            "raw_confidence": round(self.raw_confidence, 3), "reasons": self.reasons,
            "as_of": iso(self.as_of) if self.as_of else None,
            "evidence_for": [p.to_dict() for p in self.evidence_for],
            "evidence_against": [p.to_dict() for p in self.evidence_against],
            "other": [p.to_dict() for p in self.other],
            "counts": {"for": self.support.to_dict(), "against": self.against.to_dict(), "query": self.queries,
                       "comment": self.comments},
            "crowd": veracity_dict(self.crowd) if self.crowd else None,
            "notes_available": self.notes_available,
            "since": iso(self.since) if self.since else None, "until": iso(self.until) if self.until else None,
            "stream_now": iso(self.stream_now) if self.stream_now else None,
            "posts_considered": self.posts_considered, "retrieval": {"mode": self.retrieval_mode,
                                                                     "embedding_pending": self.embedding_pending},
            "took_ms": round(self.took_ms, 1),
            "judge": self.judge.to_dict() if self.judge is not None else None,
            "assertions": [a.to_dict() for a in self.assertions],
            "topic": self.topic,
        }


def veracity_dict(v: Veracity) -> dict:
    return {"label": v.label, "confidence": round(v.confidence, 3),
            "probs": {k: round(p, 3) for k, p in v.probs.items()}, "replies": v.replies, "deny": v.deny,
            "query": v.query, "support": v.support, "known": round(v.known, 3)}
