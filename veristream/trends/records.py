"""Typed records the trends package hands out: `Trend` (a bursting term) and `Event`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..model import from_us, iso


@dataclass(slots=True)
class Trend:
    term: str
    window: str  # e.g. "1h"
    score: float  # z: how far above its expected count
    count: float  # distinct authors over about the last window (decayed)
    expected: float  # what its baseline share of the current volume predicts
    since: datetime  # event time the burst started
    spark: list[int] = field(default_factory=list)  # posts per bin, oldest first
    spark_step_s: float = 0.0
    event: int | None = None  # the event this term belongs to

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "window": self.window, "score": round(self.score, 2),
                "count": round(self.count, 2), "expected": round(self.expected, 2),
                "ratio": round(self.count / self.expected, 1) if self.expected > 0 else None,
                "since": iso(self.since), "spark": self.spark, "spark_step_s": self.spark_step_s,
                "event": self.event}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Trend":
        return cls(d["term"], d["window"], d["score"], d["count"], d["expected"],
                   datetime.fromisoformat(d["since"]), d.get("spark") or [], d.get("spark_step_s") or 0.0,
                   d.get("event"))

@dataclass(slots=True)
class TrendsStatus:
    """How far trend detection is behind the accepted stream (`stats`, `/metrics`, benches)."""

    state: str  # running | stopped | failed | stored (read-only: what a writer stored)
    posts_behind: int = 0  # accepted posts handed to the detector and not processed yet
    lag_s: float | None = None  # event time between the newest accepted post and the newest processed one

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "posts_behind": self.posts_behind,
                "lag_s": round(self.lag_s, 3) if self.lag_s is not None else None}


@dataclass(slots=True)
class Curve:
    """Posts per `step_s` of event time, from `start`."""

    start: datetime
    step_s: float
    counts: list[int]


@dataclass(slots=True)
class Event:
    id: int
    title: str
    terms: list[str]
    first_seen: datetime  # event time of its earliest post
    detected_at: datetime  # event time the detector raised it
    last_seen: datetime  # event time of its latest post
    status: str  # active | faded | merged
    posts: int  # posts matched, copies included
    stories: int  # distinct stories among them
    authors: int  # distinct authors (exact up to 1024, then estimated)
    post_ids: list[str]  # representative posts (keys), best first
    langs: dict[str, int]
    places: dict[str, int]
    curve: Curve
    merged_into: int | None = None
    detected_ids: list[str] = field(default_factory=list)  # its representative posts when it was raised

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "terms": self.terms, "first_seen": iso(self.first_seen),
                "detected_at": iso(self.detected_at), "last_seen": iso(self.last_seen), "status": self.status,
                "posts": self.posts, "stories": self.stories, "authors": self.authors, "post_ids": self.post_ids,
                "langs": self.langs, "places": self.places,
                "curve": {"start": iso(self.curve.start), "step_s": self.curve.step_s, "counts": self.curve.counts},
                "merged_into": self.merged_into, "detected_ids": self.detected_ids}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Event":
        c = d["curve"]
        return cls(d["id"], d["title"], d["terms"], datetime.fromisoformat(d["first_seen"]),
                   datetime.fromisoformat(d["detected_at"]), datetime.fromisoformat(d["last_seen"]), d["status"],
                   d["posts"], d["stories"], d["authors"], d["post_ids"], d["langs"], d["places"],
                   Curve(datetime.fromisoformat(c["start"]), c["step_s"], c["counts"]), d.get("merged_into"),
                   d.get("detected_ids") or [])

def dt(us: int) -> datetime:
    return from_us(us)
