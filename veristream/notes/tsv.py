"""The public Community Notes data format: `notes-00000.tsv` and `ratings-00000.tsv`.

X publishes notes and ratings as tab-separated files with a header row (the "Downloading data"
page of the Community Notes guide). Columns are found by name, so their order, columns added
later and columns since deprecated do not matter; the columns each kind needs are:

- notes: `noteId`, the author (`noteAuthorParticipantId`, or `participantId` in older files),
  `createdAtMillis`, `tweetId` (or a `postKey` column naming any veristream post, e.g.
  `bluesky:3k…`), `classification`, `summary`. Every other column (the misleading*/
  notMisleading* flags, `trustworthySources`, `isMediaNote`, …) is kept as given.
- ratings: `noteId`, the rater (`raterParticipantId`, or `participantId`), `createdAtMillis`,
  and the helpfulness: `helpfulnessLevel` (HELPFUL / SOMEWHAT_HELPFUL / NOT_HELPFUL), or for
  ratings from before June 2021 the binary `helpful` / `notHelpful` columns.

Fields are read like the published scorer reads them (tab-separated, double-quote quoting),
so a quoted summary may span lines. A bad row is reported with its line and reason and
skipped; reading goes on.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .records import CLASSIFICATIONS, NoteRow, RatingRow

Kind = Literal["notes", "ratings"]

NOTE_AUTHOR = ("noteAuthorParticipantId", "participantId")
# The columns of the published ratings files, in their order (files are read by header name; this
# list is what writers of such files, e.g. tests and benchmarks, produce).
RATING_COLUMNS = [
    "noteId", "raterParticipantId", "createdAtMillis", "version", "agree", "disagree", "helpful", "notHelpful",
    "helpfulnessLevel", "helpfulOther", "helpfulInformative", "helpfulClear", "helpfulEmpathetic", "helpfulGoodSources",
    "helpfulUniqueContext", "helpfulAddressesClaim", "helpfulImportantContext", "helpfulUnbiasedLanguage",
    "notHelpfulOther", "notHelpfulIncorrect", "notHelpfulSourcesMissingOrUnreliable",
    "notHelpfulOpinionSpeculationOrBias", "notHelpfulMissingKeyPoints", "notHelpfulOutdated",
    "notHelpfulHardToUnderstand", "notHelpfulArgumentativeOrBiased", "notHelpfulOffTopic",
    "notHelpfulSpamHarassmentOrAbuse", "notHelpfulIrrelevantSources", "notHelpfulOpinionSpeculation",
    "notHelpfulNoteNotNeeded", "ratedOnTweetId",
]
RATER = ("raterParticipantId", "participantId")
POST_KEY = ("postKey", "post_key")
LEVELS = {"HELPFUL": 2, "SOMEWHAT_HELPFUL": 1, "NOT_HELPFUL": 0}

# Rating tag columns, current and deprecated; a rating keeps the ticked ones as bits.
RATING_TAGS = (
    "helpfulOther", "helpfulInformative", "helpfulClear", "helpfulEmpathetic", "helpfulGoodSources",
    "helpfulUniqueContext", "helpfulAddressesClaim", "helpfulImportantContext", "helpfulUnbiasedLanguage",
    "notHelpfulOther", "notHelpfulIncorrect", "notHelpfulSourcesMissingOrUnreliable",
    "notHelpfulOpinionSpeculationOrBias", "notHelpfulMissingKeyPoints", "notHelpfulOutdated",
    "notHelpfulHardToUnderstand", "notHelpfulArgumentativeOrBiased", "notHelpfulOffTopic",
    "notHelpfulSpamHarassmentOrAbuse", "notHelpfulIrrelevantSources", "notHelpfulOpinionSpeculation",
    "notHelpfulNoteNotNeeded",
)

# Published ids are positive 64-bit integers; SQLite stores them exactly.
MAX_ID = (1 << 63) - 1
MAX_SUMMARY = 10_000  # notes are limited to 280 characters (URLs count short); generous


class FormatError(ValueError):
    """The file as a whole cannot be read (no header, not a notes or ratings file)."""


@dataclass(slots=True)
class BadRow:
    line: int  # where the row starts (1: the header)
    reason: str
    raw: str


def open_text(path: str | Path) -> io.TextIOBase:
    """The file as text; `.gz` files are decompressed on the fly."""
    p = Path(path)
    raw = gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb")
    # Bad UTF-8 in a summary should not cost the row: it is replaced, the ids are checked.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def kind_of(header: list[str]) -> Kind | None:
    """Which file a header row belongs to, or None."""
    cols = set(header)
    if "noteId" not in cols:
        return None
    if "classification" in cols or "summary" in cols:
        return "notes"
    if "helpfulnessLevel" in cols or "helpful" in cols or "notHelpful" in cols:
        return "ratings"
    return None


def detect(path: str | Path) -> Kind:
    """`"notes"` or `"ratings"`, from the file's header; FormatError otherwise."""
    with open_text(path) as f:
        header = next(csv.reader(f, delimiter="\t"), None)
    kind = kind_of(header or [])
    if kind is None:
        raise FormatError(f"{path}: not a Community Notes notes or ratings file (header: {_show(header)})")
    return kind


def read(f: io.TextIOBase, kind: Kind, name: str = "-") -> Iterator[NoteRow | RatingRow | BadRow]:
    """Rows of an open notes or ratings file, header first; a BadRow for each row that
    cannot be used. FormatError if the header lacks a needed column."""
    rd = csv.reader(f, delimiter="\t", strict=False)
    try:
        header = next(rd)
    except StopIteration:
        raise FormatError(f"{name}: empty file (no header row)") from None
    except csv.Error as e:
        raise FormatError(f"{name}:1: unreadable header: {e}") from None
    if kind_of(header) != kind:
        raise FormatError(f"{name}: not a {kind} file (header: {_show(header)})")
    parse = _NoteParser(header, name) if kind == "notes" else _RatingParser(header, name)
    width = len(header)
    end = rd.line_num
    while True:
        start = end + 1
        try:
            fields = next(rd)
        except StopIteration:
            return
        except csv.Error as e:
            end = rd.line_num
            yield BadRow(start, f"unreadable row: {e}", "")
            continue
        end = rd.line_num
        if not fields or fields == [""]:
            continue  # blank line
        if len(fields) != width:
            yield BadRow(start, f"expected {width} tab-separated fields (as in the header), got {len(fields)}",
                         "\t".join(fields))
            continue
        try:
            yield parse(fields)
        except ValueError as e:
            yield BadRow(start, str(e), "\t".join(fields))


def _show(header: list[str] | None) -> str:
    return repr("\t".join(header or [])[:200])


def _col(header: list[str], names: tuple[str, ...], kind: str, name: str) -> int:
    for n in names:
        if n in header:
            return header.index(n)
    raise FormatError(f"{name}: {kind} file without a {' or '.join(names)} column")


def _id(value: str, column: str) -> int:
    v = value.strip()
    if not v.isdigit() or int(v) > MAX_ID:
        raise ValueError(f"{column}: not a positive integer id: {value[:40]!r}")
    return int(v)


def _millis(value: str) -> int:
    v = value.strip()
    try:
        ms = int(v)
    except ValueError:
        raise ValueError(f"createdAtMillis: not an integer: {value[:40]!r}") from None
    if not 0 < ms < 10**14:  # between 1970 and 5138
        raise ValueError(f"createdAtMillis: out of range: {ms}")
    return ms


def _participant(value: str, column: str) -> str:
    v = value.strip()
    if not v:
        raise ValueError(f"{column}: empty")
    if len(v) > 200:
        raise ValueError(f"{column}: longer than 200 characters")
    return v


class _NoteParser:
    def __init__(self, header: list[str], name: str):
        self.header = header
        self.i_id = header.index("noteId")
        self.i_author = _col(header, NOTE_AUTHOR, "notes", name)
        self.i_created = _col(header, ("createdAtMillis",), "notes", name)
        self.i_class = _col(header, ("classification",), "notes", name)
        self.i_summary = _col(header, ("summary",), "notes", name)
        self.i_key = next((header.index(n) for n in POST_KEY if n in header), None)
        self.i_tweet = header.index("tweetId") if "tweetId" in header else None
        if self.i_key is None and self.i_tweet is None:
            raise FormatError(f"{name}: notes file without a tweetId or postKey column")
        used = {self.i_id, self.i_author, self.i_created, self.i_class, self.i_summary, self.i_key, self.i_tweet}
        self.rest = [(i, h) for i, h in enumerate(header) if i not in used]

    def __call__(self, f: list[str]) -> NoteRow:
        note_id = _id(f[self.i_id], "noteId")
        key = f[self.i_key].strip() if self.i_key is not None else ""
        if key:
            src, _, pid = key.partition(":")
            if not src or not pid or any(c.isspace() for c in key):
                raise ValueError(f"postKey: not a post key like x:123: {key[:60]!r}")
        elif self.i_tweet is not None:
            key = f"x:{_id(f[self.i_tweet], 'tweetId')}"
        else:
            raise ValueError("postKey: empty")
        cls = f[self.i_class].strip()
        if cls not in CLASSIFICATIONS:
            raise ValueError(f"classification: {cls[:60]!r} is neither {' nor '.join(CLASSIFICATIONS)}")
        summary = f[self.i_summary]
        if len(summary) > MAX_SUMMARY:
            raise ValueError(f"summary: longer than {MAX_SUMMARY} characters")
        extra: dict[str, Any] = {h: _value(f[i]) for i, h in self.rest if f[i] != ""}
        return NoteRow(note_id, key, _participant(f[self.i_author], "noteAuthorParticipantId"),
                       _millis(f[self.i_created]), cls, summary, extra)


class _RatingParser:
    def __init__(self, header: list[str], name: str):
        self.i_id = header.index("noteId")
        self.i_rater = _col(header, RATER, "ratings", name)
        self.i_created = _col(header, ("createdAtMillis",), "ratings", name)
        self.i_level = header.index("helpfulnessLevel") if "helpfulnessLevel" in header else None
        self.i_helpful = header.index("helpful") if "helpful" in header else None
        self.i_not = header.index("notHelpful") if "notHelpful" in header else None
        self.tags = [(header.index(t), 1 << b) for b, t in enumerate(RATING_TAGS) if t in header]

    def __call__(self, f: list[str]) -> RatingRow:
        note_id = _id(f[self.i_id], "noteId")
        rater = _participant(f[self.i_rater], "raterParticipantId")
        ms = _millis(f[self.i_created])
        level = f[self.i_level].strip() if self.i_level is not None else ""
        if level:
            value2 = LEVELS.get(level)
            if value2 is None:
                raise ValueError(f"helpfulnessLevel: {level[:40]!r} is not HELPFUL, SOMEWHAT_HELPFUL or NOT_HELPFUL")
        else:  # the two-answer form of the first months
            helpful = self.i_helpful is not None and f[self.i_helpful].strip() == "1"
            not_helpful = self.i_not is not None and f[self.i_not].strip() == "1"
            if helpful == not_helpful:
                raise ValueError("no helpfulness: helpfulnessLevel is empty and exactly one of helpful, "
                                 "notHelpful must be 1")
            value2 = 2 if helpful else 0
        tags = 0
        for i, bit in self.tags:  # the hot loop of a big file: flags are written exactly "0" or "1"
            if f[i] == "1":
                tags |= bit
        return RatingRow(note_id, rater, ms, value2, tags)


def _value(s: str) -> Any:
    """Extra columns are mostly 0/1 flags: kept as integers when they are."""
    t = s.strip()
    if t.isdigit() and len(t) < 19:
        return int(t)
    return s
