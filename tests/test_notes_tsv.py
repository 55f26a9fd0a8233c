"""The Community Notes TSV format: headers, column order, legacy columns, bad rows."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from veristream.notes.records import NoteRow, RatingRow
from veristream.notes.tsv import RATING_TAGS, BadRow, FormatError, detect, open_text, read

T = "\t"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rows(path: Path, kind: str) -> list:
    with open_text(path) as f:
        return list(read(f, kind, str(path)))  # type: ignore[arg-type]


# Columns in an order of our own, an unknown column ("futureColumn"), and a deprecated one.
NOTES = [
    T.join(["summary", "classification", "tweetId", "noteId", "createdAtMillis", "noteAuthorParticipantId",
            "misleadingFactualError", "believable", "futureColumn", "isMediaNote"]),
    T.join(["The photo is from 2015: https://example.org/a", "MISINFORMED_OR_POTENTIALLY_MISLEADING",
            "1359213370366390272", "1400000000000000001", "1700000000000", "A" * 64, "1", "", "x", "0"]),  # line 2
    T.join(["bad id", "NOT_MISLEADING", "123", "12ab", "1700000000000", "B" * 64, "0", "", "", "0"]),  # 3
    T.join(["too few fields", "NOT_MISLEADING", "123"]),  # 4
    T.join(["bad class", "MISLEADING", "123", "7", "1700000000000", "C" * 64, "0", "", "", "0"]),  # 5
    # A quoted summary spanning two lines (the published files are read with CSV quoting).
    T.join(['"Two lines,\nthe second here"', "NOT_MISLEADING", "555", "8", "1700000000001", "D" * 64, "0",
            "", "", "1"]),  # 6-7
    T.join(["no tweet", "NOT_MISLEADING", "", "9", "1700000000000", "E" * 64, "0", "", "", "0"]),  # 8
    T.join(["bad time", "NOT_MISLEADING", "123", "10", "yesterday", "F" * 64, "0", "", "", "0"]),  # 9
    "",  # a blank line is skipped, not rejected
    T.join(["no author", "NOT_MISLEADING", "123", "11", "1700000000000", "  ", "0", "", "", "0"]),  # 11
]


def test_notes_any_column_order_extra_columns_kept_bad_rows_named(tmp_path: Path) -> None:
    path = write(tmp_path / "notes-00000.tsv", NOTES)
    assert detect(path) == "notes"
    got = rows(path, "notes")
    good = [r for r in got if isinstance(r, NoteRow)]
    bad = {r.line: r.reason for r in got if isinstance(r, BadRow)}
    assert [g.note_id for g in good] == [1400000000000000001, 8]
    n = good[0]
    assert n.post_key == "x:1359213370366390272" and n.author == "A" * 64 and n.created_ms == 1700000000000
    assert n.classification == "MISINFORMED_OR_POTENTIALLY_MISLEADING"
    assert n.summary == "The photo is from 2015: https://example.org/a"
    assert n.extra == {"misleadingFactualError": 1, "futureColumn": "x", "isMediaNote": 0}  # empty ones dropped
    assert good[1].summary == "Two lines,\nthe second here" and good[1].post_key == "x:555"
    assert set(bad) == {3, 4, 5, 8, 9, 11}
    assert "noteId" in bad[3] and "'12ab'" in bad[3]
    assert "expected 10 tab-separated fields" in bad[4] and "got 3" in bad[4]
    assert "classification" in bad[5] and "'MISLEADING'" in bad[5]
    assert "tweetId" in bad[8]
    assert "createdAtMillis" in bad[9]
    assert "noteAuthorParticipantId: empty" in bad[11]


def test_ratings_levels_legacy_binary_form_and_tags(tmp_path: Path) -> None:
    header = ["noteId", "participantId", "createdAtMillis", "version", "agree", "disagree", "helpful", "notHelpful",
              "helpfulnessLevel", "helpfulGoodSources", "notHelpfulIncorrect", "notHelpfulNoteNotNeeded"]
    lines = [T.join(header),
             T.join(["1", "r1", "1700000000000", "2", "0", "0", "0", "0", "HELPFUL", "1", "0", "0"]),  # 2
             T.join(["1", "r2", "1700000000000", "2", "0", "0", "0", "0", "SOMEWHAT_HELPFUL", "1", "1", "0"]),  # 3
             T.join(["1", "r3", "1700000000000", "2", "0", "0", "0", "0", "NOT_HELPFUL", "0", "1", "1"]),  # 4
             T.join(["1", "r4", "1600000000000", "1", "1", "0", "1", "0", "", "0", "0", "0"]),  # 5: 2021 form, yes
             T.join(["1", "r5", "1600000000000", "1", "0", "1", "0", "1", "", "0", "0", "0"]),  # 6: 2021 form, no
             T.join(["1", "r6", "1600000000000", "1", "0", "0", "0", "0", "", "0", "0", "0"]),  # 7: no answer
             T.join(["1", "r7", "1700000000000", "2", "0", "0", "0", "0", "VERY", "0", "0", "0"]),  # 8
             T.join(["1", "", "1700000000000", "2", "0", "0", "0", "0", "HELPFUL", "0", "0", "0"]),  # 9
             T.join(["-4", "r9", "1700000000000", "2", "0", "0", "0", "0", "HELPFUL", "0", "0", "0"])]  # 10
    path = write(tmp_path / "ratings-00000.tsv", lines)
    assert detect(path) == "ratings"
    got = rows(path, "ratings")
    good = {r.rater: r for r in got if isinstance(r, RatingRow)}
    bad = {r.line: r.reason for r in got if isinstance(r, BadRow)}
    assert {k: v.value2 for k, v in good.items()} == {"r1": 2, "r2": 1, "r3": 0, "r4": 2, "r5": 0}
    bit = {t: 1 << i for i, t in enumerate(RATING_TAGS)}
    assert good["r2"].tags == bit["helpfulGoodSources"] | bit["notHelpfulIncorrect"]
    assert good["r3"].tags == bit["notHelpfulIncorrect"] | bit["notHelpfulNoteNotNeeded"]
    assert set(bad) == {7, 8, 9, 10}
    assert "no helpfulness" in bad[7] and "'VERY'" in bad[8] and "raterParticipantId: empty" in bad[9]
    assert "noteId" in bad[10]


def test_post_key_column_attaches_notes_to_any_source(tmp_path: Path) -> None:
    lines = [T.join(["noteId", "noteAuthorParticipantId", "createdAtMillis", "postKey", "classification", "summary"]),
             T.join(["1", "a", "1700000000000", "bluesky:3kabc", "NOT_MISLEADING", "fine"]),
             T.join(["2", "a", "1700000000000", "not a key", "NOT_MISLEADING", "bad key"])]
    got = rows(write(tmp_path / "n.tsv", lines), "notes")
    assert isinstance(got[0], NoteRow) and got[0].post_key == "bluesky:3kabc"
    assert isinstance(got[1], BadRow) and got[1].line == 3 and "postKey" in got[1].reason


def test_gzip_files_and_header_problems(tmp_path: Path) -> None:
    gz = tmp_path / "ratings-00000.tsv.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write("noteId\traterParticipantId\tcreatedAtMillis\thelpfulnessLevel\n1\tr\t1700000000000\tHELPFUL\n")
    assert detect(gz) == "ratings"
    assert [r.value2 for r in rows(gz, "ratings")] == [2]
    posts = write(tmp_path / "posts.tsv", ["id\ttext", "1\thello"])
    with pytest.raises(FormatError, match="not a Community Notes"):
        detect(posts)
    with pytest.raises(FormatError, match="not a notes file"):
        rows(gz, "notes")
    missing = write(tmp_path / "m.tsv", ["noteId\tclassification\tsummary\tcreatedAtMillis\ttweetId", ""])
    with pytest.raises(FormatError, match="noteAuthorParticipantId or participantId"):
        rows(missing, "notes")
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(FormatError):
        detect(tmp_path / "empty.tsv")
