"""Typed records of community notes: what the TSV reader yields, what scoring reports and what
`Engine.notes_for` hands out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..model import iso

MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"
NOT_MISLEADING = "NOT_MISLEADING"
CLASSIFICATIONS = (MISLEADING, NOT_MISLEADING)

HELPFUL = "CURRENTLY_RATED_HELPFUL"
NOT_HELPFUL = "CURRENTLY_RATED_NOT_HELPFUL"
NEEDS_MORE_RATINGS = "NEEDS_MORE_RATINGS"
STATUSES = (HELPFUL, NOT_HELPFUL, NEEDS_MORE_RATINGS)

Classification = Literal["MISINFORMED_OR_POTENTIALLY_MISLEADING", "NOT_MISLEADING"]
Status = Literal["CURRENTLY_RATED_HELPFUL", "CURRENTLY_RATED_NOT_HELPFUL", "NEEDS_MORE_RATINGS"]


@dataclass(slots=True)
class ScoredNote:
    """A note on a post with its current score. `intercept` and `factor` are None until the
    note has taken part in a scoring run (it needs `notes_min_ratings` ratings)."""

    note_id: str
    post_key: str  # e.g. "x:1234" for a note on X post 1234
    author_participant_id: str
    created_at: datetime
    summary: str
    classification: Classification
    status: Status
    intercept: float | None
    factor: float | None
    ratings: int  # ratings stored for the note

    @property
    def helpful(self) -> bool:
        return self.status == HELPFUL

    @property
    def misleading(self) -> bool:
        """The note says its post is misinformed or potentially misleading."""
        return self.classification == MISLEADING

    def to_dict(self) -> dict[str, Any]:
        return {"note_id": self.note_id, "post_key": self.post_key,
                "author_participant_id": self.author_participant_id, "created_at": iso(self.created_at),
                "summary": self.summary, "classification": self.classification, "status": self.status,
                "intercept": self.intercept, "factor": self.factor, "ratings": self.ratings}


@dataclass(slots=True)
class NoteRow:
    """One row of a notes TSV file, checked."""

    note_id: int
    post_key: str
    author: str
    created_ms: int
    classification: str
    summary: str
    extra: dict[str, Any] = field(default_factory=dict)  # every other column, as given


@dataclass(slots=True)
class RatingRow:
    """One row of a ratings TSV file, checked. `value2` is the helpfulness in halves:
    2 = helpful, 1 = somewhat helpful, 0 = not helpful."""

    note_id: int
    rater: str
    created_ms: int
    value2: int
    tags: int  # bit i set: the i-th of `tsv.RATING_TAGS` was ticked


@dataclass(slots=True)
class NotesIngestReport:
    input: str
    kind: str  # "notes" | "ratings"
    rows: int = 0  # data rows read
    accepted: int = 0  # stored (new or replacing an older version)
    rejected: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ScoreReport:
    """What one scoring run did. `notes`/`ratings`/`raters` count what is stored; the `fitted_`
    figures what took part in the matrix factorisation after the minimum-count filters."""

    notes: int = 0
    ratings: int = 0
    raters: int = 0
    helpful: int = 0
    not_helpful: int = 0
    seconds: float = 0.0
    fitted_notes: int = 0
    fitted_ratings: int = 0
    fitted_raters: int = 0
    iterations: int = 0
    loss: float | None = None  # the fit's objective (mean squared error + regularisation)
    rmse: float | None = None  # root mean squared error of the fitted ratings
    global_intercept: float | None = None
    fit_seconds: float = 0.0
    scored_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["scored_at"] = iso(self.scored_at) if self.scored_at else None
        return d
