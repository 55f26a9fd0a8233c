"""Verify: stance on hand-written replies, independence (copies count once), the verdict rule
on small hand-built streams, credibility signals, community notes in the verdict, the
`verify --json` shape, and training on a tiny synthetic set. Real engine, store, index and
the shipped MiniLM; no shared data (a fresh clone has none)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from veristream import Author, Engine, Post, Settings
from veristream.cli import cli
from veristream.verify import StanceInput, Verdict, Weights
from veristream.verify.credibility import AuthorRecord, assess, domain
from veristream.verify.independence import Item, corroboration
from veristream.verify.verdict import beta_mass, calibrate, decide
from veristream.verify.verifier import Verifier, shipped_weights
from conftest import T0, engine_with, mkpost

CLAIM = "Police confirmed the gunman was arrested at Central Station"
FOR_TEXTS = [
    "Police confirmed the gunman was arrested at Central Station, he is in custody",
    "BREAKING: gunman arrested at Central Station, police confirm",
    "Police have arrested the Central Station gunman, officials confirm",
    "Confirmed by police: the Central Station gunman has been arrested",
    "The gunman was arrested at Central Station this afternoon according to police",
]
AGAINST_TEXTS = [
    "That's not true, it's fake: police say nobody has been arrested at Central Station",
    "Hoax. No arrest at Central Station, police statement says the gunman is still at large",
    "False report: police deny any arrest at Central Station, stop spreading rumours",
    "Not true at all, the Central Station gunman was NOT arrested, police say he escaped",
    "Fake news, police denied that anyone was arrested at Central Station",
]


def post(id: str, text: str, author: str, minutes: float = 0, **kw) -> Post:
    p = mkpost(id, text, minutes=minutes, author=author)
    for k, v in kw.items():
        setattr(p, k, v)
    return p


@pytest.fixture(scope="module")
def models():
    from veristream.vectors.encoder import find_model, load_encoder
    from veristream.verify.verifier import Models

    return Models.load(Settings.load(env={}), load_encoder(find_model(), 128, 1))


# -- stance ---------------------------------------------------------------------------

def test_stance_tells_denials_questions_and_support_apart(models) -> None:
    m = models.stance
    replies = {
        "support": "Yes, police confirmed it: the gunman is in custody now.",
        "deny": "That's not true, it's fake. Police say nobody has been arrested.",
        "query": "Is this confirmed? Any source for that?",
        "comment": "Thoughts with everyone at the station tonight",
    }
    got = {k: m.predict([StanceInput(t, CLAIM)])[0] for k, t in replies.items()}
    assert got["deny"].label == "deny" and got["deny"].confidence > 0.5
    assert got["query"].label == "query" and got["query"].confidence > 0.5
    assert got["comment"].label == "comment"
    assert got["support"].label == "support"
    # The denial is far less supportive than the support, and vice versa.
    assert got["support"].probs["support"] > 3 * got["deny"].probs["support"]
    assert got["deny"].probs["deny"] > 2 * got["support"].probs["deny"]
    assert all(abs(sum(s.probs.values()) - 1) < 1e-4 for s in got.values())


def test_stance_reads_a_reply_with_its_parent(models) -> None:
    # "Exactly." agrees with whatever it answers: with a denial as parent it is not support of the claim.
    m = models.stance
    a = m.predict([StanceInput("@bob exactly, that's fake", CLAIM, "It's fake, nobody was arrested", 2)])[0]
    b = m.predict([StanceInput("@bob exactly, well done police", CLAIM, CLAIM, 1)])[0]
    assert a.probs["deny"] > b.probs["deny"]


# -- independence ---------------------------------------------------------------------

def test_corroboration_counts_authors_of_distinct_stories() -> None:
    t = T0
    copies = [Item(f"c{i}", "u1", 7, t + timedelta(seconds=i)) for i in range(100)]
    assert (c := corroboration(copies)).posts == 100 and c.stories == 1 and c.authors == 1
    five = [Item(f"f{i}", f"u{i}", 100 + i, t, domains=[f"site{i % 2}.org"]) for i in range(5)]
    c = corroboration(five)
    assert (c.stories, c.authors, c.domains) == (5, 5, ["site0.org", "site1.org"])
    # Coordinated copy-paste by five accounts: one story, counted once.
    assert corroboration([Item(f"p{i}", f"u{i}", 9, t) for i in range(5)]).authors == 1
    # One author's five different posts: one source.
    assert corroboration([Item(f"o{i}", "u1", 200 + i, t) for i in range(5)]).authors == 1


def test_copies_in_the_stream_count_once(tmp_path: Path) -> None:
    text = "Police confirmed the gunman was arrested at Central Station #breaking"
    posts = [post(f"c{i}", text, "spammer", minutes=i * 0.1) for i in range(100)]
    posts += [post(f"a{i}", t, f"author{i}", minutes=20 + i) for i, t in enumerate(FOR_TEXTS)]
    eng = engine_with(tmp_path, posts)
    try:
        v = eng.verify(CLAIM, limit=200)
        keys_for = {p.key for p in v.evidence_for}
        assert sum(k.startswith("file:c") for k in keys_for) >= 90  # the copies are shown...
        assert v.support.posts >= 100
        writers = {p.author for p in v.evidence_for if p.key.startswith("file:a")}
        assert len(writers) >= 4
        assert v.support.authors == 1 + len(writers)  # ...but count once: the spammer, plus each author
        assert sum(p.counted for p in v.evidence_for if p.key.startswith("file:c")) == 1
        copy = next(p for p in v.evidence_for if p.key.startswith("file:c"))
        assert copy.story_posts == 100 and copy.story_authors == 1
    finally:
        eng.close()


def test_verify_reads_embedded_posts_through_their_stored_vectors(tmp_path: Path, models) -> None:
    """Verify takes the vector index's vectors instead of encoding the posts again (most of its
    time): they must be what encoding the post's link-free text gives, from the same model."""
    import numpy as np

    from veristream.vectors import embed_text, find_model, index_id
    from veristream.verify.verifier import TRAINED_MAX_TOKENS

    texts = FOR_TEXTS + ["Police at Central Station: gunman arrested https://t.co/abc123 #breaking"]
    eng = engine_with(tmp_path, [post(f"p{i}", t, f"a{i}", i) for i, t in enumerate(texts)])
    try:
        hits = eng.search("central station", limit=20).hits
        assert len(hits) == len(texts)
        model, vecs = eng.post_vectors([h.seq for h in hits] + [10**9])
        assert model == index_id(find_model(), TRAINED_MAX_TOKENS)
        assert sorted(vecs) == sorted(h.seq for h in hits)  # a seq with no post has no vector
        fresh = models.stance.encoder.encode([embed_text(h.post.text) for h in hits])
        for h, f in zip(hits, fresh):
            assert float(vecs[h.seq] @ f) > 0.999, h.post.text
        v = eng.verify(CLAIM)
        assert v.verdict == "supported" and v.support.authors == 6
    finally:
        eng.close()
    off = Engine(tmp_path / "off", Settings.load(env={}, vectors=False))
    try:
        off.ingest([post("q", FOR_TEXTS[0], "a")])
        assert off.post_vectors([1]) == (None, {})
    finally:
        off.close()


# -- the verdict rule ------------------------------------------------------------------

def c(authors: int, weight: float):
    from veristream.verify.independence import Corroboration

    return Corroboration(authors, authors, authors, [], weight)


def test_decide_rule() -> None:
    assert decide(c(0, 0), c(0, 0)).verdict == "unverified"
    assert decide(c(1, 0.9), c(0, 0)).verdict == "unverified"  # one source is not corroboration
    assert decide(c(4, 3.0), c(0, 0)).verdict == "supported"
    assert decide(c(4, 3.0), c(1, 0.6)).verdict == "supported"
    assert decide(c(1, 0.5), c(4, 3.0)).verdict == "refuted"
    assert decide(c(3, 2.0), c(3, 1.8)).verdict == "contested"
    assert decide(c(5, 4.0), c(2, 0.6)).verdict == "supported"  # the smaller side under 30 %
    assert decide(c(1, 2.0), c(0, 0), min_sources=1).verdict == "supported"
    # Raw confidence grows with independent weight.
    assert decide(c(8, 6.0), c(0, 0)).raw > decide(c(2, 1.0), c(0, 0)).raw > 0.5
    assert abs(beta_mass(1, 1, 0, 0.5) - 0.5) < 1e-3
    # Calibration is a probability, and without a calibrator the raw value is kept.
    assert calibrate("supported", 0.8, None, None) == 0.8
    assert 0 < calibrate("refuted", 0.9, 0.3, [0.1, -0.2, 0, 0, 1.0, 0.5]) < 1


@pytest.fixture
def streams(tmp_path: Path) -> Iterator[dict[str, Engine]]:
    """Four small streams, one per verdict, on real engines."""
    base = [post("x1", "Great pizza at the new place downtown", "zed", 40),
            post("x2", "Traffic is slow on the ring road this morning", "yan", 41)]
    made = {
        "supported": [post(f"s{i}", t, f"fan{i}", i) for i, t in enumerate(FOR_TEXTS)],
        "refuted": [post("s0", FOR_TEXTS[0], "fan0", 0)] + [post(f"d{i}", t, f"critic{i}", 5 + i)
                                                             for i, t in enumerate(AGAINST_TEXTS)],
        "contested": [post(f"s{i}", t, f"fan{i}", i) for i, t in enumerate(FOR_TEXTS[:3])]
                     + [post(f"d{i}", t, f"critic{i}", 5 + i) for i, t in enumerate(AGAINST_TEXTS[:3])],
        "unverified": [post("s0", FOR_TEXTS[0], "fan0", 0),
                       post("q1", "Is it true the gunman was arrested at Central Station? Any source?", "asker", 2)],
    }
    engines = {k: engine_with(tmp_path, v + base, name=k) for k, v in made.items()}
    yield engines
    for e in engines.values():
        e.close()


def test_verdicts_on_hand_built_streams(streams: dict[str, Engine]) -> None:
    got: dict[str, Verdict] = {k: e.verify(CLAIM) for k, e in streams.items()}
    for want, v in got.items():
        assert v.verdict == want, (want, v.reasons)
        assert 0.0 < v.confidence < 1.0 and v.reasons
        assert v.as_of is not None
    s, r = got["supported"], got["refuted"]
    assert s.support.authors == 5 and s.against.authors == 0
    assert r.against.authors == 5 and r.support.authors == 1
    # The weaker side is never hidden: the one supporting post of the refuted claim is listed.
    assert [p.id for p in r.evidence_for] == ["s0"] and len(r.evidence_against) == 5
    ct = got["contested"]
    assert ct.support.authors == 3 and ct.against.authors == 3
    assert {p.stance for p in ct.evidence_for} == {"support"} and {p.stance for p in ct.evidence_against} == {"deny"}
    u = got["unverified"]
    assert any(p.stance == "query" for p in u.other) and u.queries == 1
    # Unrelated posts are not evidence.
    assert all(p.id not in ("x1", "x2") for v in got.values() for p in v.evidence_for + v.evidence_against + v.other)


def test_replies_that_do_not_name_the_author_are_the_crowd(tmp_path: Path) -> None:
    """Bluesky and Mastodon replies need not mention whom they answer: they are found by the
    post they reply to, and their doubts weigh on the post."""
    uri = "at://did:plc:fan0/app.bsky.feed.post/3k1"
    src = post(uri, FOR_TEXTS[0], "fan0", 0, source="bluesky")
    doubts = ["That's fake, it never happened", "Source? Is this real?", "Not true at all, stop spreading this",
              "Where did you hear that? any proof?"]
    replies = [post(f"at://did:plc:r{i}/app.bsky.feed.post/{i}", t, f"replier{i}", 1 + i, source="bluesky",
                    reply_to=uri) for i, t in enumerate(doubts)]
    # A post that names the author without replying is not a reply.
    other = post("at://did:plc:zz/app.bsky.feed.post/9", "fan0 posts nice photos of trains", "zz", 3,
                 source="bluesky")
    eng = engine_with(tmp_path, [src, *replies, other])
    try:
        found = eng.search("", reply_to=src.key, all_posts=True, limit=50)
        assert sorted(h.post.key for h in found.hits) == sorted(r.key for r in replies)
        v = eng.verify(CLAIM)
        key = next(e for e in v.evidence_for if e.key == src.key)
        assert key.crowd is not None and key.crowd.replies == 4
        assert key.crowd.deny + key.crowd.query >= 3
        assert any("1 key post(s) count half" in r for r in v.reasons), v.reasons
    finally:
        eng.close()


def test_judge_replies_are_read_strictly() -> None:
    from veristream.verify.judge import JudgeReport, agreement_reason, parse

    keys = ["k1", "k2", "k3", "k4"]
    reply = "[1] support\n2: Denies it\n[3] maybe?\n[9] deny\n[1] deny\n**[4]** question"
    assert parse(reply, keys) == {"k1": "support", "k2": "deny", "k4": "query"}
    assert parse("I cannot judge these posts.", keys) == {}
    rep = JudgeReport("m", asked=3, read={"k1": "support", "k2": "deny"})
    line = agreement_reason(rep, {"k1": "support", "k2": "comment"}, {"k2": "@bob"})
    assert "agrees with the stance model on 1 of 2" in line and "@bob as deny (model: comment)" in line
    assert "unavailable" in agreement_reason(JudgeReport("m", error="refused"), {}, {})


def test_verify_never_refuses_and_reports_nothing_found(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, [post("x1", "Great pizza at the new place downtown", "zed")])
    try:
        v = eng.verify("Vaccines contain microchips that track people")
        assert v.verdict == "unverified" and v.support.posts == 0 and v.against.posts == 0
        assert "no post found takes a side" in v.reasons[0]
        with pytest.raises(ValueError):
            eng.verify("   ")
    finally:
        eng.close()


# -- credibility, past record, community notes --------------------------------------------

def test_credibility_signals_are_all_shown() -> None:
    p = post("v1", "Statement: https://www.fema.gov/press/123 and https://t.co/abc", "agency")
    p.author = Author("id-agency", "agency", verified=True, followers=250_000,
                      created_at=T0 - timedelta(days=3000))
    p.urls = ["https://www.fema.gov/press/123", "https://t.co/abc"]
    cr = assess(p, AuthorRecord(posts_here=12, misleading_notes=0, refuted_claims=0))
    sig = {s.name: s for s in cr.signals}
    assert set(sig) == {"account_age_days", "posts_here", "verified", "followers", "primary_source",
                        "misleading_notes", "refuted_claims", "past_record"}
    assert sig["verified"].value is True and sig["followers"].value == 250_000
    assert sig["account_age_days"].value == 3000 and sig["posts_here"].value == 12
    assert sig["primary_source"].value == ["fema.gov"] and sig["primary_source"].effect == 0.5  # official
    assert cr.domains == ["fema.gov"] and cr.primary_source and cr.weight > 1.5
    # A new account with a bad record and no source weighs less; unknowns are shown as unknown.
    q = post("n1", "trust me", "newbie")
    q.author = Author("id-newbie", "newbie", created_at=T0 - timedelta(days=2))
    bad = assess(q, AuthorRecord(None, 2, 1))
    sb = {s.name: s for s in bad.signals}
    assert sb["posts_here"].note == "unknown" and sb["followers"].value is None
    assert sb["account_age_days"].effect < 0 and sb["past_record"].value == 3 and sb["past_record"].effect == -0.75
    assert bad.weight == 0.25 and not bad.primary_source
    assert domain("not a url") is None and domain("https://WWW.Example.ORG/x") == "example.org"


def _note(nid: str, key: str, helpful: bool = True, misleading: bool = True) -> SimpleNamespace:
    return SimpleNamespace(note_id=nid, post_key=key, summary=f"Note {nid}: the photo is from 2019.",
                           classification="MISINFORMED_OR_POTENTIALLY_MISLEADING" if misleading else "NOT_MISLEADING",
                           status="CURRENTLY_RATED_HELPFUL" if helpful else "NEEDS_MORE_RATINGS")


def test_notes_and_past_record_count_in_the_verdict(tmp_path: Path) -> None:
    posts = [post(f"s{i}", t, f"fan{i}", i) for i, t in enumerate(FOR_TEXTS[:3])]
    posts[0].author.verified = True
    eng = engine_with(tmp_path, posts)
    try:
        before = eng.verify(CLAIM)
        assert before.verdict == "supported" and before.support.authors == 3
        # The notes service (veristream.notes) answers through Engine.notes_for / author_note_record;
        # here its answers are given directly, as the interface specifies them.
        notes = {"file:s0": [_note("n1", "file:s0")], "file:s1": [_note("n2", "file:s1")],
                 "file:s2": [_note("n3", "file:s2", helpful=False)]}
        eng.notes_for = lambda keys: {k: notes.get(k, []) for k in keys}
        eng.author_note_record = lambda ids: {a: (4 if a == "id-fan0" else 0) for a in ids}
        after = eng.verify(CLAIM)
        assert after.notes_available
        # Two supporting posts carry helpful "misleading" notes: they leave the for side, each note counts against.
        assert after.support.authors == 1 and after.against.authors == 2
        assert after.verdict in ("refuted", "contested", "unverified") and after.verdict != before.verdict
        shown = {p.id: p for p in after.evidence_for}
        assert [n.note_id for n in shown["s0"].notes] == ["n1"] and shown["s0"].notes[0].helpful_misleading
        assert not shown["s0"].counted and shown["s2"].counted
        assert any("community note" in r for r in after.reasons)
        sig = {s.name: s for s in shown["s0"].credibility.signals}
        assert sig["misleading_notes"].value == 4 and sig["past_record"].effect == -0.75
        d = after.to_dict()["evidence_for"]
        assert any(n["note_id"] == "n1" for p in d for n in p["notes"])
    finally:
        eng.close()


def test_refuted_verdicts_enter_the_authors_record(tmp_path: Path) -> None:
    posts = [post("s0", FOR_TEXTS[0], "fan0", 0)] + [post(f"d{i}", t, f"critic{i}", 5 + i)
                                                     for i, t in enumerate(AGAINST_TEXTS)]
    eng = engine_with(tmp_path, posts)
    try:
        v = eng.verify(CLAIM)
        assert v.verdict == "refuted"
        log = tmp_path / "data" / "verify" / "verdicts.jsonl"
        rec = json.loads(log.read_text().splitlines()[-1])
        assert rec["verdict"] == "refuted" and rec["for"] == ["id-fan0"] and len(rec["against"]) == 5
        assert v.raw_confidence >= 0.8  # decisive: five against one
        # The claim's own verdict does not weigh on its re-check...
        again = eng.verify(CLAIM)
        sig = {s.name: s for s in again.evidence_for[0].credibility.signals}
        assert sig["refuted_claims"].value == 0 and again.evidence_for[0].credibility.weight == 1.0
        # ...but on the author's other claims, counted once however often it was checked.
        other = "The gunman at Central Station was arrested by police"
        for _ in range(2):
            w = eng.verify(other)
            fan = next(p for p in w.evidence_for + w.evidence_against + w.other if p.author_id == "id-fan0")
            sig = {s.name: s for s in fan.credibility.signals}
            assert sig["refuted_claims"].value == 1 and sig["past_record"].effect == -0.25
        counts = Verifier(eng).log.refuted_counts(["id-fan0", "id-critic0"])
        assert counts["id-critic0"] == 0
    finally:
        eng.close()


def test_a_reworded_claim_does_not_count_again_against_the_same_posts(tmp_path: Path) -> None:
    posts = [post("s0", FOR_TEXTS[0], "fan0", 0)] + [post(f"d{i}", t, f"critic{i}", 5 + i)
                                                     for i, t in enumerate(AGAINST_TEXTS)]
    eng = engine_with(tmp_path, posts)
    try:
        reworded = ["Police confirmed that the gunman was arrested at Central Station",
                    "It is confirmed by police: the gunman was arrested at Central Station"]
        for claim in [CLAIM, *reworded]:
            v = eng.verify(claim)
            assert v.verdict == "refuted" and v.raw_confidence >= 0.8, (claim, v.verdict)
        # Three wordings, one post of fan0's behind all of them: it counts once.
        assert Verifier(eng).log.refuted_counts(["id-fan0"]) == {"id-fan0": 1}
        log = tmp_path / "data" / "verify" / "verdicts.jsonl"
        recs = [json.loads(x) for x in log.read_text().splitlines()]
        assert len(recs) == 3 and all(r["for_posts"] == ["file:s0"] for r in recs)
        w = eng.verify("The gunman at Central Station was arrested by police")
        fan = next(p for p in w.evidence_for + w.evidence_against + w.other if p.author_id == "id-fan0")
        assert {s.name: s for s in fan.credibility.signals}["refuted_claims"].value == 1
    finally:
        eng.close()


def test_the_verdict_log_is_bounded_and_keeps_what_counts(tmp_path: Path) -> None:
    from veristream.verify.record import VerdictLog

    path = tmp_path / "verify" / "verdicts.jsonl"
    log = VerdictLog(path, max_bytes=20_000)

    def verdict(claim: str, kind: str, raw: float = 0.9) -> Verdict:
        return SimpleNamespace(claim=claim, verdict=kind, confidence=0.9, raw_confidence=raw, as_of=None)

    for i in range(400):  # ~80 KB of lines through a 20 KB log
        log.add(verdict(f"claim number {i}", "refuted"), [(f"author{i % 7}", f"x:{i}")], [("critic", f"x:c{i}")])
        log.add(verdict(f"supported claim {i}", "supported"), [("author0", f"x:s{i}")], [])
        assert path.stat().st_size <= 20_000 + 400
    counts = log.refuted_counts([f"author{k}" for k in range(7)])
    kept = sum(counts.values())
    assert 20 <= kept < 400, counts  # the newest refutations are kept, the oldest went
    assert log.refuted_counts(["author0"], exclude_claim="claim number 399") == {"author0": counts["author0"] - 1}
    # A re-checked claim's latest verdict still wins after compactions.
    log.add(verdict("claim number 399", "supported"), [("author0", "x:399")], [])
    assert log.refuted_counts(["author0"]) == {"author0": counts["author0"] - 1}
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# -- the CLI --------------------------------------------------------------------------

def test_cli_verify_json_shape(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, [post(f"s{i}", t, f"fan{i}", i) for i, t in enumerate(FOR_TEXTS[:4])]
                      + [post("d0", AGAINST_TEXTS[0], "critic0", 9)])
    eng.close()
    r = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "verify", CLAIM, "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.strip().splitlines()[-1])
    assert set(d) >= {"claim", "verdict", "confidence", "reasons", "as_of", "evidence_for", "evidence_against", "other",
                      "counts", "crowd", "notes_available"}
    assert d["claim"] == CLAIM and d["verdict"] in ("supported", "refuted", "contested", "unverified")
    assert 0 <= d["confidence"] <= 1 and d["as_of"].endswith("Z")
    p = d["evidence_for"][0]
    assert set(p) >= {"key", "author", "created_at", "url", "text", "stance", "stance_confidence", "story",
                      "credibility", "notes"}
    assert p["stance"] == "support" and set(p["story"]) == {"id", "posts", "authors"}
    assert {s["name"] for s in p["credibility"]["signals"]} >= {"verified", "followers", "primary_source"}
    assert d["evidence_against"][0]["stance"] == "deny"
    assert d["counts"]["for"]["authors"] == 4 and d["counts"]["against"]["authors"] == 1
    human = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "verify", CLAIM, "--since", "1h"])
    assert human.exit_code == 0, human.output
    assert "Verdict: SUPPORTED" in human.stdout and "FOR ·" in human.stdout and "AGAINST ·" in human.stdout
    missing = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "none"), "verify", CLAIM])
    assert missing.exit_code == 2


# -- training -------------------------------------------------------------------------

def _synthetic(tmp: Path) -> tuple[Path, Path, Path]:
    topics = ["the bridge collapsed", "the mayor resigned", "the airport closed", "the dam broke",
              "the stadium was evacuated", "the power plant exploded", "the ferry sank", "the museum burned"]
    replies = {"support": "yes, confirmed, {t}", "deny": "that is fake, not true, {t} is a hoax",
               "query": "is it true {t}? any source?", "comment": "wow, thoughts with everyone"}
    re_lines, pheme = [], []
    for i, t in enumerate(topics * 2):
        posts = [{"post_id": f"{i}0", "created_at": "2020-01-01T00:00:00Z", "in_reply_to": None,
                  "text": f"Breaking: {t}", "stance": "support"}]
        for j, (st, tpl) in enumerate(replies.items()):
            posts.append({"post_id": f"{i}{j + 1}", "created_at": f"2020-01-01T00:0{j + 1}:00Z",
                          "in_reply_to": f"{i}0", "text": tpl.format(t=t), "stance": st})
        ver = ["true", "false", "unverified"][i % 3]
        re_lines.append({"thread_id": f"{i}0", "veracity": ver, "posts": posts})
        pheme.append({"tweet_id": f"{i}0", "text": f"Breaking: {t}", "is_rumour": True, "veracity": ver,
                      "event": f"event{i % 4}"})
    cf = [{"claim_id": str(i), "claim": f"{t} yesterday", "claim_label": "SUPPORTS",
           "evidences": [{"evidence": f"Reports say {t}.", "evidence_label": "SUPPORTS"},
                         {"evidence": f"It is false that {t}.", "evidence_label": "REFUTES"},
                         {"evidence": "The weather was mild.", "evidence_label": "NOT_ENOUGH_INFO"}]}
          for i, t in enumerate(topics)]
    paths = tmp / "re.jsonl", tmp / "pheme.jsonl", tmp / "cf.jsonl"
    for p, rows in zip(paths, (re_lines, pheme, cf)):
        p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return paths


def test_training_writes_weights_that_load_and_run(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    re_p, ph_p, cf_p = _synthetic(tmp_path)
    r = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "train", "all", "--rumoureval", str(re_p),
                                 "--pheme", str(ph_p), "--climate-fever", str(cf_p), "--split", "all",
                                 "--out", str(tmp_path / "w"), "--cache", str(tmp_path / "cache")])
    assert r.exit_code == 0, r.output
    for name in ("stance", "veracity", "claims"):
        w = Weights.load(tmp_path / "w" / f"{name}.npz", name)
        assert w.meta["trained_on"] > 0
        assert f"verify_{name}_weights" in r.stdout
    assert Weights.load(tmp_path / "w" / "stance.npz", "stance").meta["trained_on"] == 16 * 5
    # The user-supplied weights are what verify loads (settings), and they run.
    eng = engine_with(tmp_path, [post(f"s{i}", t, f"fan{i}", i) for i, t in enumerate(FOR_TEXTS[:3])],
                      verify_stance_weights=str(tmp_path / "w" / "stance.npz"),
                      verify_veracity_weights=str(tmp_path / "w" / "veracity.npz"),
                      verify_claims_weights=str(tmp_path / "w" / "claims.npz"))
    try:
        v = eng.verify(CLAIM)
        assert eng._verifier.models.stance.weights.path == str(tmp_path / "w" / "stance.npz")
        assert v.verdict in ("supported", "refuted", "contested", "unverified") and v.posts_considered == 3
    finally:
        eng.close()
    # The tiny model learned its synthetic cues.
    from veristream.vectors.encoder import find_model, load_encoder
    from veristream.verify import StanceModel

    m = StanceModel(Weights.load(tmp_path / "w" / "stance.npz", "stance"), load_encoder(find_model(), 128, 1))
    assert m.predict([StanceInput("that is fake, not true, the tower fell is a hoax", "the tower fell")])[0].label == "deny"
    # The veracity model keeps a sign hash of every post it learned from, and knows them from strangers.
    from veristream.verify import VeracityModel

    enc = load_encoder(find_model(), 128, 1)
    vm = VeracityModel(Weights.load(tmp_path / "w" / "veracity.npz", "veracity"), enc)
    assert vm.weights.layers["aux.known"].W.shape == (16, 48) and vm.weights.meta["trained_on"] == 16
    near = vm.known(enc.encode(["Breaking: the ferry sank", "a recipe for lemon cake with poppy seeds"]))
    assert near[0] > 0.95 and near[1] < vm.weights.meta["known_min"]
    assert {"seen_events", "new_events"} <= set(vm.weights.meta["heldout"])


def test_bad_weights_are_refused_in_one_line(tmp_path: Path) -> None:
    from veristream.verify import VerifyError, WeightsError

    with pytest.raises(WeightsError, match="holds a 'stance' model, not 'claims'"):
        Weights.load(shipped_weights("stance"), "claims")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(WeightsError, match="not a weights file"):
        Weights.load(tmp_path / "junk.npz", "stance")
    eng = Engine(tmp_path / "data", Settings.load(env={}, verify_stance_weights=str(tmp_path / "missing.npz")))
    try:
        with pytest.raises(VerifyError, match="no such weights file"):
            eng.verify(CLAIM)
    finally:
        eng.close()


def test_shipped_weights_are_small_and_documented() -> None:
    d = shipped_weights("stance").parent
    for name in ("stance", "veracity", "claims"):
        assert (d / f"{name}.npz").stat().st_size < 200_000
    prov = (d / "PROVENANCE.md").read_text()
    assert "CC BY 4.0" in prov and "veristream" in prov and "train" in prov
