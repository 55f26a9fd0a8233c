"""`veristream notes ingest | score | show`, and helpful notes under posts in `search`."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from notes_data import NOTE_COLUMNS, RATING_COLUMNS, rating_row, two_camps, write_tsv
from veristream.cli import cli


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.fixture
def files(tmp_path: Path):
    c = two_camps()
    bad = rating_row(5000, "z" * 64, "SORT_OF_HELPFUL")
    notes = write_tsv(tmp_path / "notes-00000.tsv", NOTE_COLUMNS, c.notes)
    ratings = write_tsv(tmp_path / "ratings-00000.tsv", RATING_COLUMNS, c.ratings[:100] + [bad] + c.ratings[100:])
    (tmp_path / "veristream.toml").write_text("vectors = false\ntrends = false\n")
    return c, notes, ratings, tmp_path


def base(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data"), "--config", str(tmp_path / "veristream.toml")]


def test_ingest_detects_each_file_scores_and_names_bad_rows(files) -> None:
    c, notes, ratings, tmp = files
    res = run(base(tmp) + ["notes", "ingest", str(ratings), str(notes)])  # ratings first: told apart by header
    assert res.exit_code == 0, res.output
    assert f"{notes}: notes: 31 rows, 31 stored, 0 rejected" in res.stderr
    assert f"{ratings}: ratings: {len(c.ratings) + 1:,} rows, {len(c.ratings):,} stored, 1 rejected" in res.stderr
    assert f"{ratings}:102: rejected: helpfulnessLevel: 'SORT_OF_HELPFUL'" in res.stderr
    assert "4 helpful, 6 not helpful" in res.stdout and "80 of 80 raters" in res.stdout

    js = run(base(tmp) + ["notes", "score", "--json"])
    rep = json.loads(js.stdout)
    assert rep["helpful"] == 4 and rep["not_helpful"] == 6 and rep["notes"] == 31
    assert rep["ratings"] == len(c.ratings) and rep["raters"] == 80 and rep["seconds"] >= 0


def test_show_prints_notes_with_status_text_and_json(files) -> None:
    c, notes, ratings, tmp = files
    assert run(base(tmp) + ["notes", "ingest", str(notes), str(ratings)]).exit_code == 0
    both = next(n for n, k in c.kind.items() if k == "both")
    partisan = next(n for n, k in c.kind.items() if k == "camp_b")
    tid, ptid = c.tweet[both], c.tweet[partisan]
    txt = run(base(tmp) + ["notes", "show", f"x:{tid}", str(ptid)])  # a bare number is an X post
    assert txt.exit_code == 0, txt.output
    assert f"x:{tid}  (post not stored)" in txt.stdout
    assert "[CURRENTLY_RATED_HELPFUL] MISINFORMED_OR_POTENTIALLY_MISLEADING · intercept +0." in txt.stdout
    assert f"Note {both} (both)" in txt.stdout and "[NEEDS_MORE_RATINGS]" in txt.stdout

    js = run(base(tmp) + ["notes", "show", f"x:{tid}", f"x:{ptid}", "x:1", "--json"])
    lines = [json.loads(line) for line in js.stdout.splitlines()]
    assert [d["post_key"] for d in lines] == [f"x:{tid}", f"x:{ptid}", "x:1"]
    assert lines[0]["post"] is None and lines[0]["notes"][0]["status"] == "CURRENTLY_RATED_HELPFUL"
    assert lines[0]["notes"][0]["note_id"] == str(both) and lines[0]["notes"][0]["ratings"] > 50
    assert lines[1]["notes"][0]["status"] == "NEEDS_MORE_RATINGS" and lines[2]["notes"] == []
    only = run(base(tmp) + ["notes", "show", f"x:{ptid}", "--helpful"])
    assert "no community notes rated helpful" in only.stdout


def test_search_shows_helpful_notes_under_their_posts(files) -> None:
    c, notes, ratings, tmp = files
    both = next(n for n, k in c.kind.items() if k == "both")
    partisan = next(n for n, k in c.kind.items() if k == "camp_a")
    posts = tmp / "posts.jsonl"
    posts.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in [
        {"id": str(c.tweet[both]), "source": "x", "text": "Shark spotted in the flooded highway", "author": "poster",
         "created_at": "2026-01-15T12:00:00Z"},
        {"id": str(c.tweet[partisan]), "source": "x", "text": "Shark photo is real says mayor", "author": "other",
         "created_at": "2026-01-15T12:01:00Z"}]))
    assert run(base(tmp) + ["ingest", str(posts)]).exit_code == 0
    assert run(base(tmp) + ["notes", "ingest", str(notes), str(ratings)]).exit_code == 0
    res = run(base(tmp) + ["search", "shark"])
    assert res.exit_code == 0, res.output
    out = res.stdout.splitlines()
    i = next(j for j, line in enumerate(out) if "flooded highway" in line)
    assert out[i + 1].strip().startswith(f"Community note (helpful): Note {both} (both)")
    assert sum("Community note" in line for line in out) == 1  # the partisan note is not shown
    js = run(base(tmp) + ["search", "shark", "--json"])
    hits = {h["id"]: h for h in map(json.loads, js.stdout.splitlines())}
    assert hits[str(c.tweet[both])]["community_notes"][0]["status"] == "CURRENTLY_RATED_HELPFUL"
    assert "community_notes" not in hits[str(c.tweet[partisan])]


def test_ingest_refuses_a_file_that_is_not_community_notes_data(tmp_path: Path) -> None:
    other = tmp_path / "posts.tsv"
    other.write_text("id\ttext\n1\thello\n")
    res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "notes", "ingest", str(other)])
    assert res.exit_code == 2 and "not a Community Notes notes or ratings file" in res.output
    assert not (tmp_path / "d").exists()


def test_notes_ingest_works_while_another_engine_writes_posts(files) -> None:
    from veristream import Engine, Settings

    _, notes, ratings, tmp = files
    with Engine(tmp / "data", Settings.load(env={}, vectors=False, trends=False)):  # a live ingest, say
        res = run(base(tmp) + ["notes", "ingest", str(notes), str(ratings)])
        assert res.exit_code == 0, res.output
        assert "4 helpful" in res.stdout
