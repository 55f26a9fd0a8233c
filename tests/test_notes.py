"""Community notes: scoring (bridging), storage and the Engine API, on a real engine in a tmp dir."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from notes_data import (MISLEADING, NOTE_COLUMNS, RATING_COLUMNS, T0_MS, note_row, rating_row, two_camps,
                        write_tsv)
from veristream import Engine, Settings
from veristream.notes import HELPFUL, NEEDS_MORE_RATINGS, NOT_HELPFUL, FitParams, ScoredNote, fit

from conftest import mkpost


def light(**kw) -> Settings:
    # Notes need neither embeddings nor trend detection: keep the shared CPU for the tests.
    return Settings.load(env={}, vectors=False, trends=False, **kw)


@pytest.fixture
def eng(tmp_path: Path) -> Iterator[Engine]:
    e = Engine(tmp_path / "data", light())
    yield e
    e.close()


@pytest.fixture
def camps_loaded(tmp_path: Path, eng: Engine):
    c = two_camps()
    write_tsv(tmp_path / "notes-00000.tsv", NOTE_COLUMNS, c.notes)
    write_tsv(tmp_path / "ratings-00000.tsv", RATING_COLUMNS, c.ratings)
    eng.ingest_notes(tmp_path / "notes-00000.tsv")
    eng.ingest_ratings(tmp_path / "ratings-00000.tsv")
    return c, eng.score_notes()


def test_two_camps_only_notes_both_camps_like_become_helpful(camps_loaded, eng: Engine) -> None:
    c, rep = camps_loaded
    found = eng.notes_for([f"x:{t}" for t in c.tweet.values()])
    by_kind: dict[str, list[ScoredNote]] = {}
    for nid, tid in c.tweet.items():
        (n,) = found[f"x:{tid}"]
        assert n.note_id == str(nid)
        by_kind.setdefault(c.kind[nid], []).append(n)
    # A note one camp likes and the other rejects is not helpful, whichever camp it is ...
    for n in by_kind["camp_a"] + by_kind["camp_b"]:
        assert n.status == NEEDS_MORE_RATINGS, n
        assert n.intercept is not None and n.intercept < 0.40
        assert abs(n.factor) > 0.3  # ... the split is explained by the factor, not the intercept
    # ... nor one that only the camp that likes it has rated (all HELPFUL ratings).
    (alone,) = by_kind["a_alone"]
    assert alone.status == NEEDS_MORE_RATINGS and alone.intercept < 0.40
    # Liked across the divide: helpful, with a factor near zero.
    for n in by_kind["both"]:
        assert n.status == HELPFUL, n
        assert n.intercept >= 0.40 and abs(n.factor) < 0.2
    for n in by_kind["neither"]:
        assert n.status == NOT_HELPFUL, n
    # The two partisan kinds sit on opposite sides of the factor axis.
    fa = [n.factor for n in by_kind["camp_a"]]
    fb = [n.factor for n in by_kind["camp_b"]]
    assert max(fa) < 0 < min(fb) or max(fb) < 0 < min(fa)
    assert (rep.helpful, rep.not_helpful) == (4, 6)
    assert rep.notes == 31 and rep.raters == 80 and rep.ratings == len(c.ratings)
    assert rep.fitted_notes == 31 and rep.fitted_raters == 80 and rep.iterations > 1 and rep.seconds >= 0


def test_fitted_rater_factors_separate_the_camps(camps_loaded, eng: Engine) -> None:
    c, _ = camps_loaded
    scores = eng._notes_part().db.rater_scores(c.camp_a + c.camp_b)
    fa = np.array([scores[r][1] for r in c.camp_a])
    fb = np.array([scores[r][1] for r in c.camp_b])
    assert (fa.max() < 0 < fb.min()) or (fb.max() < 0 < fa.min()), (fa, fb)
    assert min(abs(fa).min(), abs(fb).min()) > 0.2


def test_one_camp_cannot_make_a_note_helpful_however_many_raters_it_has(tmp_path: Path, eng: Engine) -> None:
    """A note loved by a large camp and rejected by a small one stays out of reach: the
    large camp's enthusiasm is explained by the factor (the published bridging property)."""
    c = two_camps(seed=3, per_camp=40)
    big = [f"{'c%03d' % i:0>64}" for i in range(80)]  # a second, bigger camp A
    extra = []
    for nid, kind in c.kind.items():
        for r in big:
            likes = {"camp_a": True, "a_alone": True, "camp_b": False, "both": True, "neither": False}[kind]
            extra.append(rating_row(nid, r, "HELPFUL" if likes else "NOT_HELPFUL"))
    write_tsv(tmp_path / "n.tsv", NOTE_COLUMNS, c.notes)
    write_tsv(tmp_path / "r.tsv", RATING_COLUMNS, c.ratings + extra)
    eng.ingest_notes(tmp_path / "n.tsv")
    eng.ingest_ratings(tmp_path / "r.tsv")
    eng.score_notes()
    found = eng.notes_for([f"x:{t}" for t in c.tweet.values()])
    for nid, tid in c.tweet.items():
        (n,) = found[f"x:{tid}"]
        if c.kind[nid] in ("camp_a", "a_alone"):
            assert n.status != HELPFUL, n  # 120 raters like it, 40 on the other side do not
        if c.kind[nid] == "both":
            assert n.status == HELPFUL, n


def test_fit_is_deterministic_and_recovers_a_planted_model() -> None:
    rng = np.random.default_rng(0)
    n_notes, n_raters = 200, 300
    fu = np.where(rng.random(n_raters) < 0.5, -1.0, 1.0)
    fn = rng.normal(0, 0.4, n_notes)
    bn = rng.normal(0, 0.2, n_notes)
    pairs = rng.choice(n_notes * n_raters, 20_000, replace=False)
    notes, raters = pairs // n_raters, pairs % n_raters
    values = np.clip(0.3 + bn[notes] + fu[raters] * fn[notes] + rng.normal(0, 0.1, len(pairs)), 0, 1)
    a = fit(notes, raters, values, n_notes, n_raters, FitParams(seed=1))
    b = fit(notes, raters, values, n_notes, n_raters, FitParams(seed=1))
    assert a.converged and a.iterations == b.iterations
    assert np.array_equal(a.note_intercept, b.note_intercept) and np.array_equal(a.rater_factor, b.rater_factor)
    # The planted camps and note factors come back (up to the model's sign convention).
    sign = np.sign(np.corrcoef(a.rater_factor, fu)[0, 1])
    assert (np.sign(a.rater_factor) * sign == fu).mean() > 0.97
    assert abs(np.corrcoef(a.note_factor, fn)[0, 1]) > 0.9
    assert np.corrcoef(a.note_intercept, bn)[0, 1] > 0.8
    assert a.rmse < 0.15
    # The published identification: the larger group of raters has negative factors.
    assert (a.rater_factor < 0).sum() >= (a.rater_factor > 0).sum()


def test_notes_with_too_few_ratings_are_not_scored(tmp_path: Path, eng: Engine) -> None:
    c = two_camps()
    # Note 7000 has 4 ratings, all helpful, from raters who rated plenty elsewhere.
    few = [rating_row(7000, r, "HELPFUL") for r in (c.camp_a[:2] + c.camp_b[:2])]
    write_tsv(tmp_path / "n.tsv", NOTE_COLUMNS, c.notes + [note_row(7000, 7777, "too few ratings")])
    write_tsv(tmp_path / "r.tsv", RATING_COLUMNS, c.ratings + few)
    eng.ingest_notes(tmp_path / "n.tsv")
    eng.ingest_ratings(tmp_path / "r.tsv")
    eng.score_notes()
    (n,) = eng.notes_for(["x:7777"])["x:7777"]
    assert n.status == NEEDS_MORE_RATINGS and n.intercept is None and n.factor is None and n.ratings == 4


def test_a_newer_rating_replaces_an_older_one_never_the_reverse(tmp_path: Path, eng: Engine) -> None:
    r = "f" * 64
    write_tsv(tmp_path / "n.tsv", NOTE_COLUMNS, [note_row(1, 11, "s")])
    write_tsv(tmp_path / "r1.tsv", RATING_COLUMNS, [rating_row(1, r, "HELPFUL", ms=T0_MS + 2000)])
    write_tsv(tmp_path / "r0.tsv", RATING_COLUMNS, [rating_row(1, r, "NOT_HELPFUL", ms=T0_MS + 1000)])
    write_tsv(tmp_path / "r2.tsv", RATING_COLUMNS, [rating_row(1, r, "SOMEWHAT_HELPFUL", ms=T0_MS + 3000)])
    eng.ingest_notes(tmp_path / "n.tsv")
    assert eng.ingest_ratings(tmp_path / "r1.tsv").accepted == 1
    assert eng.ingest_ratings(tmp_path / "r0.tsv").accepted == 0  # older: ignored
    db = eng._notes_part().db
    assert db.load_ratings().value2.tolist() == [2]
    assert eng.ingest_ratings(tmp_path / "r2.tsv").accepted == 1
    arr = db.load_ratings()
    assert arr.value2.tolist() == [1] and db.counts() == {"notes": 1, "ratings": 1, "raters": 1}


def test_bad_rows_are_quarantined_named_and_loading_goes_on(tmp_path: Path, eng: Engine) -> None:
    rows = [rating_row(1, "r1", "HELPFUL"), rating_row(2, "r2", "VERY_HELPFUL"), rating_row(3, "r3", "NOT_HELPFUL")]
    path = write_tsv(tmp_path / "ratings.tsv", RATING_COLUMNS, rows)
    seen = []
    rep = eng.ingest_ratings(path, on_reject=seen.append)
    assert (rep.rows, rep.accepted, rep.rejected) == (3, 2, 1)
    assert [(r.line, r.input) for r in seen] == [(3, str(path))]
    assert "helpfulnessLevel" in seen[0].reason and "VERY_HELPFUL" in seen[0].reason
    q = [json.loads(line) for line in (eng.data_dir / "quarantine.jsonl").read_text().splitlines()]
    assert q[-1]["line"] == 3 and q[-1]["input"] == str(path) and "VERY_HELPFUL" in q[-1]["raw"]


def test_notes_for_and_author_record_on_posts_in_the_engine(tmp_path: Path, eng: Engine) -> None:
    c = two_camps()
    both = [n for n, k in c.kind.items() if k == "both"]  # rated helpful by both camps
    partisan = [n for n, k in c.kind.items() if k == "camp_a"]
    # Posts on X by two authors; alice's posts 9000+both[0..1] get helpful misleading notes.
    posts = [mkpost(str(c.tweet[both[0]]), "the moon landing was staged", source="x", author="alice"),
             mkpost(str(c.tweet[both[1]]), "vaccines contain microchips", source="x", author="alice", minutes=1),
             mkpost(str(c.tweet[both[2]]), "the bridge reopened today", source="x", author="bob", minutes=2),
             mkpost(str(c.tweet[partisan[0]]), "a contested claim", source="x", author="bob", minutes=3),
             mkpost("424242", "a post nobody noted", source="x", author="bob", minutes=4)]
    eng.ingest(posts)
    notes = list(c.notes)
    # bob's helpful note says his post is NOT misleading: it must not count against him.
    i = next(j for j, r in enumerate(notes) if r["noteId"] == str(both[2]))
    notes[i] = note_row(both[2], c.tweet[both[2]], "This is accurate; the bridge did reopen.",
                        classification="NOT_MISLEADING")
    write_tsv(tmp_path / "n.tsv", NOTE_COLUMNS, notes)
    write_tsv(tmp_path / "r.tsv", RATING_COLUMNS, c.ratings)
    eng.ingest_notes(tmp_path / "n.tsv")
    eng.ingest_ratings(tmp_path / "r.tsv")
    assert eng.author_note_record(["id-alice"]) == {"id-alice": 0}  # not scored yet: nothing is helpful
    eng.score_notes()

    keys = [p.key for p in posts]
    found = eng.notes_for(keys + ["x:1"])
    assert set(found) == set(keys) | {"x:1"}
    assert found["x:424242"] == [] and found["x:1"] == []
    (n,) = found[posts[0].key]
    assert n.status == HELPFUL and n.classification == MISLEADING and n.post_key == "x:" + posts[0].id
    assert n.author_participant_id == "a" * 64 and n.created_at.year == 2026 and n.ratings > 50
    d = n.to_dict()
    assert json.loads(json.dumps(d))["status"] == HELPFUL and d["created_at"].startswith("2026-01-15T12:00")
    assert found[posts[2].key][0].classification == "NOT_MISLEADING"

    rec = eng.author_note_record(["id-alice", "id-bob", "id-nobody"])
    assert rec == {"id-alice": 2, "id-bob": 0, "id-nobody": 0}


def test_readonly_engine_reads_scores_and_creates_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Engine(data, light()) as w:
        w.ingest([mkpost("1", "hello", source="x")])
    with Engine(data, light(), readonly=True) as ro:
        assert ro.notes_for(["x:1"]) == {"x:1": []}
        assert ro.author_note_record(["id-alice"]) == {"id-alice": 0}
    assert not (data / "notes.sqlite").exists()


def test_notes_load_and_score_beside_a_running_post_writer(tmp_path: Path) -> None:
    """Notes have their own store and writer: a read-only engine (another process, e.g.
    `veristream notes ingest` while `veristream live` runs) loads and scores them."""
    data = tmp_path / "data"
    c = two_camps()
    write_tsv(tmp_path / "n.tsv", NOTE_COLUMNS, c.notes)
    write_tsv(tmp_path / "r.tsv", RATING_COLUMNS, c.ratings)
    with Engine(data, light()) as live:
        live.ingest([mkpost(str(t), f"post {t}", source="x", author="alice") for t in c.tweet.values()])
        assert live.notes_for(["x:9000"]) == {"x:9000": []}  # the live engine reads notes before any exist
        with Engine(data, light(), readonly=True) as side:
            assert side.notes_for(["x:9000"]) == {"x:9000": []}
            side.ingest_notes(tmp_path / "n.tsv")
            side.ingest_ratings(tmp_path / "r.tsv")
            rep = side.score_notes()
            assert side.author_note_record(["id-alice"]) == {"id-alice": 4}
        got = live.notes_for([f"x:{t}" for t in c.tweet.values()])
        assert sum(n.status == HELPFUL for ns in got.values() for n in ns) == rep.helpful == 4
        live.ingest([mkpost("77", "one more post", source="x")])  # the post writer goes on
    with Engine(data, light(), readonly=True) as ro:
        assert ro.author_note_record(["id-alice"]) == {"id-alice": 4}


def test_scores_are_replaced_by_each_run(tmp_path: Path, eng: Engine) -> None:
    """Ratings that arrive later change a note's status at the next scoring run."""
    c = two_camps()
    write_tsv(tmp_path / "n.tsv", NOTE_COLUMNS, c.notes)
    # First only camp A's ratings of the 'both' notes arrive: the camp alone cannot make them helpful.
    first = [r for r in c.ratings if not (r["raterParticipantId"] in c.camp_b and c.kind[int(r["noteId"])] == "both")]
    write_tsv(tmp_path / "r1.tsv", RATING_COLUMNS, first)
    write_tsv(tmp_path / "r2.tsv", RATING_COLUMNS, c.ratings)
    eng.ingest_notes(tmp_path / "n.tsv")
    eng.ingest_ratings(tmp_path / "r1.tsv")
    eng.score_notes()
    both = [f"x:{c.tweet[n]}" for n, k in c.kind.items() if k == "both"]
    assert all(ns[0].status != HELPFUL for ns in eng.notes_for(both).values())
    eng.ingest_ratings(tmp_path / "r2.tsv")  # camp B's ratings arrive
    rep = eng.score_notes()
    assert all(ns[0].status == HELPFUL for ns in eng.notes_for(both).values())
    assert eng._notes_part().last_report() == rep


def test_settings_validate_the_notes_parameters() -> None:
    from veristream.settings import SettingsError

    with pytest.raises(SettingsError):
        Settings.load(env={}, notes_lambda_intercept=0.0)
    with pytest.raises(SettingsError):
        Settings.load(env={}, notes_min_ratings=0)
    s = Settings.load(env={"VERISTREAM_NOTES_HELPFUL_INTERCEPT": "0.5"})
    assert s.notes.helpful_intercept == 0.5


def test_scoring_an_empty_store_reports_nothing(eng: Engine) -> None:
    rep = eng.score_notes()
    assert (rep.notes, rep.ratings, rep.raters, rep.helpful, rep.not_helpful, rep.fitted_ratings) == (0, 0, 0, 0, 0, 0)
    assert rep.loss is None and eng.notes_for(["x:1"]) == {"x:1": []}


def test_backup_and_restore_keep_the_notes(camps_loaded, eng: Engine, tmp_path: Path) -> None:
    from veristream.backup import restore

    c, _ = camps_loaded
    key = next(iter(eng.notes_for([f"x:{c.notes[0]['tweetId']}"])))
    before = [n.to_dict() for n in eng.notes_for([key])[key]]
    assert before
    eng.backup(tmp_path / "bk")
    restore(tmp_path / "bk", tmp_path / "restored")
    with Engine(tmp_path / "restored", light()) as back:
        assert [n.to_dict() for n in back.notes_for([key])[key]] == before
