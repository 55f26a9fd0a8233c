"""Community Notes test data: the published TSV layouts and a two-camp synthetic rating set."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from veristream.notes.tsv import RATING_COLUMNS

NOTE_COLUMNS = [
    "noteId", "noteAuthorParticipantId", "createdAtMillis", "tweetId", "classification", "believable", "harmful",
    "validationDifficulty", "misleadingOther", "misleadingFactualError", "misleadingManipulatedMedia",
    "misleadingOutdatedInformation", "misleadingMissingImportantContext", "misleadingUnverifiedClaimAsFact",
    "misleadingSatire", "notMisleadingOther", "notMisleadingFactuallyCorrect", "notMisleadingOutdatedButNotWhenWritten",
    "notMisleadingClearlySatire", "notMisleadingPersonalOpinion", "trustworthySources", "summary", "isMediaNote",
]
MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"
T0_MS = 1_768_478_400_000  # 2026-01-15 12:00 UTC


def note_row(note_id: int, tweet_id: int, summary: str, classification: str = MISLEADING, author: str = "a" * 64,
             ms: int = T0_MS) -> dict:
    d = {c: "0" for c in NOTE_COLUMNS}
    d.update(noteId=str(note_id), noteAuthorParticipantId=author, createdAtMillis=str(ms), tweetId=str(tweet_id),
             classification=classification, believable="", harmful="", validationDifficulty="", summary=summary,
             misleadingFactualError="1" if classification == MISLEADING else "0", trustworthySources="1")
    return d


def rating_row(note_id: int, rater: str, level: str, ms: int = T0_MS + 60_000, tweet_id: int = 0) -> dict:
    d = {c: "0" for c in RATING_COLUMNS}
    d.update(noteId=str(note_id), raterParticipantId=rater, createdAtMillis=str(ms), version="2",
             helpfulnessLevel=level, ratedOnTweetId=str(tweet_id))
    if level == "HELPFUL":
        d["helpfulGoodSources"] = "1"
    elif level == "NOT_HELPFUL":
        d["notHelpfulIncorrect"] = "1"
    return d


def write_tsv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\t".join(columns) + "\n")
        for r in rows:
            f.write("\t".join(str(r.get(c, "")) for c in columns) + "\n")
    return path


@dataclass
class Camps:
    """Two camps of 40 raters each and notes of four kinds, rated by each rater with
    probability 0.9 (a tenth of the answers softened to SOMEWHAT_HELPFUL)."""

    notes: list[dict] = field(default_factory=list)
    ratings: list[dict] = field(default_factory=list)
    kind: dict[int, str] = field(default_factory=dict)  # note id -> camp_a | camp_b | both | neither | a_alone
    tweet: dict[int, int] = field(default_factory=dict)  # note id -> tweet id
    camp_a: list[str] = field(default_factory=list)
    camp_b: list[str] = field(default_factory=list)


def two_camps(seed: int = 7, per_camp: int = 40) -> Camps:
    rng = random.Random(seed)
    c = Camps()
    c.camp_a = [f"{'a%03d' % i:0>64}" for i in range(per_camp)]
    c.camp_b = [f"{'b%03d' % i:0>64}" for i in range(per_camp)]
    kinds = ["camp_a"] * 10 + ["camp_b"] * 10 + ["both"] * 4 + ["neither"] * 6 + ["a_alone"]
    for i, kind in enumerate(kinds):
        nid, tid = 5000 + i, 9000 + i
        c.kind[nid] = kind
        c.tweet[nid] = tid
        c.notes.append(note_row(nid, tid, f"Note {nid} ({kind}): context with a source https://example.org/{nid}"))
        for rater in c.camp_a + c.camp_b:
            in_a = rater in c.camp_a
            if kind == "a_alone" and not in_a:
                continue  # only the camp that likes it rates it
            if rng.random() > 0.9:
                continue
            likes = {"camp_a": in_a, "a_alone": in_a, "camp_b": not in_a, "both": True, "neither": False}[kind]
            level = "HELPFUL" if likes else "NOT_HELPFUL"
            if rng.random() < 0.1:
                level = "SOMEWHAT_HELPFUL"
            c.ratings.append(rating_row(nid, rater, level, tweet_id=tid))
    return c
