"""Verdicts that turn on the detail that makes a claim true or false (issue 16): the claim read
into assertions, each post aligned with them, and the verdict from what the stream states about
each detail. Real engines over hand-written posts; no shared data."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from click.testing import CliRunner

from veristream import Settings
from veristream.cli import cli
from veristream.verify.assertions import read_claim, read_numbers, read_post
from conftest import engine_with, posts

WEST = [
    ("w1", "reporter1", "Massive explosion at a fertilizer plant in West, Texas tonight, homes flattened"),
    ("w2", "localtv", "BREAKING: fertilizer plant explosion in West, TX. Many injured, firefighters missing"),
    ("w3", "neighbour", "We felt the fertilizer plant blast from here. Praying for West, Texas #prayforwest"),
    ("w4", "wirenews", "Fertilizer plant explodes in the town of West, Texas; dozens hurt, nursing home evacuated"),
    ("w5", "dallasmom", "Video of the fertilizer plant explosion in West Texas is terrifying"),
]
QUAKE = [
    ("q1", "usgsfan", "A magnitude 7.4 earthquake struck off the coast of Guatemala this morning"),
    ("q2", "newsdesk", "Guatemala earthquake: 7.4 magnitude quake shakes buildings in Guatemala City"),
    ("q3", "reporter2", "Strong 7.4-magnitude earthquake hits Guatemala, at least 39 dead"),
    ("q4", "radiogt", "Sismo de magnitud 7,4 sacude Guatemala, earthquake felt in Mexico too"),
    ("q5", "geo", "M7.4 earthquake off Guatemala's Pacific coast, tsunami warning lifted"),
]
OUTAGE = [
    ("o1", "fan1", "Power outage at Northgate Stadium in the middle of the second half #blackout"),
    ("o2", "fan2", "Lights just went out at Northgate Stadium, the whole stadium is dark, power outage"),
    ("o3", "club", "The match at Northgate Stadium is suspended after a power outage"),
    ("o4", "fan3", "Still no power at Northgate Stadium, the crowd is singing in the dark"),
]
NOISE = [
    ("n1", "zed", "Great pizza at the new place downtown, not going back to the old one"),
    ("n2", "yan", "Not true that traffic is fine on the ring road this morning, it's a mess"),
]


def detail(v, kind: str, role: str | None = None):
    got = [r for r in v.assertions if r.assertion.kind == kind and (role is None or r.assertion.role == role)]
    assert got, [(r.assertion.kind, r.assertion.role, r.assertion.value) for r in v.assertions]
    return got[0]


# -- reading the claim ------------------------------------------------------------------------

def test_the_claim_is_read_into_typed_assertions() -> None:
    r = read_claim("A magnitude 7.4 earthquake struck Guatemala, killing 39 people on November 7")
    got = {(a.kind, a.role) for a in r.assertions}
    assert {("number", "magnitude"), ("number", "deaths"), ("place", "place"), ("date", "date")} <= got
    mag = next(a for a in r.assertions if a.role == "magnitude")
    assert mag.number.value == 7.4
    assert "Guatemala" not in r.topic and "earthquake" in r.topic  # retrieval looks for the topic too
    cause = read_claim("the power outage at Northgate Stadium was caused by a cyberattack")
    assert [(a.kind, a.value) for a in cause.assertions if a.kind == "cause"] == [("cause", "cyberattack")]
    assert any(a.kind == "place" and a.value == "Northgate Stadium" for a in cause.assertions)
    owner = read_claim("The West fertilizer plant was owned by Koch Industries")
    assert [(a.kind, a.value) for a in owner.assertions if a.kind == "owner"] == [("owner", "Koch Industries")]
    actor = read_claim("The Tsarnaev brothers set off the bombs at the Boston Marathon")
    assert any(a.kind == "agent" and "Tsarnaev" in a.value for a in actor.assertions)
    neg = read_claim("The explosion was not caused by a bomb")
    assert [(a.kind, a.negated) for a in neg.assertions] == [("cause", True)]
    assert read_claim("Prince will not play in Toronto tonight").negated


def test_numbers_carry_their_units() -> None:
    got = [(n.value, n.unit) for n in read_numbers(
        "3 dead, 140+ injured after 2 explosions; death toll rises to 3. Flooding lasted 4 days, "
        "a 7.1-magnitude quake, 75,000 people evacuated, EF5 tornado, flight 9525")]
    assert (3.0, "deaths") in got and (140.0, "injured") in got and (2.0, "n:explosion") in got
    assert (4.0, "days") in got and (7.1, "magnitude") in got and (75000.0, "evacuated") in got
    assert (5.0, "ef_rating") in got
    assert all(v != 9525 for v, _ in got)  # a flight number is a name, not a count
    lo = read_numbers("at least 12 people were killed")[0]
    assert lo.unit == "deaths" and lo.lo == 12 and lo.hi > 12  # "at least": a lower bound
    assert read_numbers("Sismo de magnitud 7,4 en Guatemala")[0].value == 7.4
    none = read_claim("No one was killed in the explosion")
    assert [(a.role, a.number.value) for a in none.assertions if a.kind == "number"] == [("deaths", 0.0)]
    assert not none.negated  # the count of none carries the negation, not the whole claim
    # two maxima are the same only when they are about the same ("up to" 90 is no "up to" 200)
    up90, up200, up190 = (read_numbers(f"winds of up to {v} mph")[0] for v in (90, 200, 190))
    assert up90.unit == up200.unit == "mph"
    assert not up90.compatible(up200) and up200.compatible(up190)
    assert up90.compatible(read_numbers("winds of 85 mph")[0]) and not up90.compatible(read_numbers("200 mph winds")[0])
    # a sum comes before the noun after it ("$100 minimum surge pricing": dollars, not minimums)
    assert [(n.value, n.unit) for n in read_numbers("Uber introduces $100 minimum surge pricing")] == [(100.0, "dollars")]


def test_japanese_claims_are_read_with_mecab() -> None:
    r = read_claim("熊本で地震、3人が死亡")
    assert r.reader == "mecab"
    assert any(a.kind == "place" and a.value == "熊本" for a in r.assertions)
    assert any(a.kind == "number" and a.role == "deaths" and a.number.value == 3 for a in r.assertions)
    f = read_post("熊本の地震で5人が死亡", datetime(2016, 4, 15, tzinfo=timezone.utc))
    assert [(n.value, n.unit) for n in f.numbers] == [(5.0, "deaths")]


# -- verdicts that turn on the detail -------------------------------------------------------------

def test_another_city_refutes_and_the_right_one_supports(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, posts(WEST) + posts(NOISE, 30))
    try:
        true = eng.verify("A fertilizer plant exploded in West, Texas")
        assert true.verdict == "supported", true.reasons
        assert detail(true, "place").status == "confirmed"
        wrong = eng.verify("A fertilizer plant exploded in Houston, Texas")
        assert wrong.verdict == "refuted", wrong.reasons
        d = next(r for r in wrong.assertions if r.assertion.value == "Houston")
        assert d.status == "conflicted" and d.confirm.authors == 0 and d.conflict.authors >= 3
        assert d.other_values[0].value == "West"
        # The posts that name West are the evidence against, each for what it states.
        assert {p.id for p in wrong.evidence_against} >= {"w1", "w2", "w4"}
        assert not wrong.evidence_for
        assert any("Houston" in r and "contradicts" in r for r in wrong.reasons), wrong.reasons
    finally:
        eng.close()


def test_another_magnitude_refutes(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, posts(QUAKE) + posts(NOISE, 30))
    try:
        assert eng.verify("A magnitude 7.4 earthquake struck Guatemala").verdict == "supported"
        wrong = eng.verify("A magnitude 6.1 earthquake struck Guatemala")
        assert wrong.verdict == "refuted", wrong.reasons
        d = detail(wrong, "number", "magnitude")
        assert d.status == "conflicted" and d.other_values[0].value == "magnitude 7.4"
        assert d.other_values[0].sources >= 4  # the Spanish post's "7,4" counts too
    finally:
        eng.close()


def test_another_count_of_days_refutes(tmp_path: Path) -> None:
    rows = [("d1", "city", "Calgary flood: downtown Calgary closed for 3 days, residents told to stay away"),
            ("d2", "cbc", "Downtown Calgary will stay closed for three days after the flood, mayor says"),
            ("d3", "resident", "3 days without power downtown Calgary after the flood #yycflood"),
            ("d4", "herald", "After 3 days the flood waters in downtown Calgary are receding")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        ok = eng.verify("Downtown Calgary was closed for 3 days after the flood")
        assert ok.verdict == "supported", ok.reasons
        wrong = eng.verify("Downtown Calgary was closed for 10 days after the flood")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "number", "days").other_values[0].value == "3 days"
    finally:
        eng.close()


def test_a_cause_no_post_states_is_unverified_however_many_posts_about_the_topic(tmp_path: Path) -> None:
    many = [(f"c{i}", f"copy{i}", f"Power outage at Northgate Stadium, match stopped ({i})") for i in range(12)]
    eng = engine_with(tmp_path, posts(OUTAGE) + posts(many, 10))
    try:
        v = eng.verify("the power outage at Northgate Stadium was caused by a cyberattack")
        assert v.verdict == "unverified", v.reasons
        cause = detail(v, "cause")
        assert cause.status == "unaddressed" and cause.confirm.posts == 0 and cause.conflict.posts == 0
        assert "cause: the claim says cyberattack; no post states a cause" in v.reasons
        assert detail(v, "place").status == "confirmed"
        assert not v.evidence_for  # posts about the outage are context, not support
        assert len(v.other) >= 4
        # The same text never sits on both sides.
        texts_for = {p.text for p in v.evidence_for}
        assert not texts_for & {p.text for p in v.evidence_against}
    finally:
        eng.close()


def test_a_stated_cause_decides_it(tmp_path: Path) -> None:
    other_cause = [("t1", "engineer", "The Northgate Stadium power outage was caused by a blown transformer"),
                   ("t2", "utility", "Utility says the outage at Northgate Stadium was caused by a failed transformer"),
                   ("t3", "reporter", "Northgate Stadium blackout: caused by a transformer fire, officials say")]
    hacked = [("h1", "infosec", "Hackers caused the Northgate Stadium power outage: a cyberattack on the grid"),
              ("h2", "newsroom", "Officials confirm a cyberattack knocked out power at Northgate Stadium"),
              ("h3", "techdesk", "The Northgate Stadium outage was a cyberattack, the club says")]
    claim = "the power outage at Northgate Stadium was caused by a cyberattack"
    a = engine_with(tmp_path, posts(OUTAGE) + posts(other_cause, 10), "a")
    b = engine_with(tmp_path, posts(OUTAGE) + posts(hacked, 10), "b")
    try:
        v = a.verify(claim)
        assert v.verdict == "refuted", v.reasons
        assert detail(v, "cause").other_values[0].value in ("blown transformer", "failed transformer", "transformer fire")
        w = b.verify(claim)
        assert w.verdict == "supported", w.reasons
        assert detail(w, "cause").confirm.authors == 3
        assert {p.id for p in w.evidence_for} == {"h1", "h2", "h3"}  # only the posts that state the cause
    finally:
        a.close()
        b.close()


def test_an_owner_no_post_names_is_unverified(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, posts(WEST))
    try:
        v = eng.verify("The West fertilizer plant was owned by Koch Industries")
        assert v.verdict == "unverified", v.reasons
        assert detail(v, "owner").status == "unaddressed"
    finally:
        eng.close()


def test_copies_of_one_rival_post_count_once(tmp_path: Path) -> None:
    spam = [(f"s{i}", "spammer", "Fertilizer plant explosion in Houston, Texas!!") for i in range(10)]
    eng = engine_with(tmp_path, posts(WEST) + posts(spam, 20))
    try:
        v = eng.verify("A fertilizer plant exploded in West, Texas")
        west = next(r for r in v.assertions if r.assertion.value == "West")
        houston = next(x for x in west.other_values if x.value == "Houston")
        assert houston.posts >= 10 and houston.sources == 1  # shown, one source: not counted against
        assert west.stray == 1 and west.conflict.authors == 0
        assert v.verdict == "supported", v.reasons
    finally:
        eng.close()


def test_unrelated_negations_are_not_denials(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, posts(WEST) + posts(NOISE, 30))
    try:
        v = eng.verify("A fertilizer plant exploded in West, Texas")
        assert v.verdict == "supported" and all(p.id not in ("n1", "n2") for p in v.evidence_against)
    finally:
        eng.close()


def test_verify_json_and_cli_show_each_assertion(tmp_path: Path) -> None:
    eng = engine_with(tmp_path, posts(QUAKE))
    eng.close()
    claim = "A magnitude 6.1 earthquake struck Guatemala"
    r = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "verify", claim, "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout.strip().splitlines()[-1])
    mag = next(a for a in d["assertions"] if a["role"] == "magnitude")
    assert mag["claim_value"] and mag["status"] == "conflicted"
    assert mag["confirm"]["sources"] == 0 and mag["conflict"]["sources"] >= 4
    top = mag["conflict"]["values"][0]
    assert top["value"] == "magnitude 7.4" and top["keys"] and all(k.startswith("file:q") for k in top["keys"])
    against = d["evidence_against"][0]
    assert any(x["relation"] == "conflicts" for x in against["details"])
    human = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "verify", claim])
    assert human.exit_code == 0, human.output
    out = human.stdout
    assert "Verdict: REFUTED" in out and "THE CLAIM SAYS" in out and "THE STREAM SAYS" in out
    assert "CONTRADICTED" in out and "magnitude 7.4" in out


def test_an_event_over_an_area_strikes_many_places(tmp_path: Path) -> None:
    rows = [("a1", "bom", "Floods hit Gympie overnight, the Mary River is still rising"),
            ("a2", "abcnews", "Major flooding in Gympie: shops under water in the main street"),
            ("a3", "local1", "Floods hit Bundaberg, hundreds of homes under water"),
            ("a4", "local2", "Bundaberg floods: record river height, evacuations under way"),
            ("a5", "local3", "Floods hit Maryborough too, roads cut"),
            ("a6", "local4", "Bundaberg flood crisis: helicopters lift people off roofs"),
            ("a7", "local5", "Bundaberg residents told to leave as floods hit the north of the city")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        v = eng.verify("Floods hit Gympie")
        assert v.verdict == "supported", v.reasons  # Bundaberg flooding too is no rival of Gympie
        place = detail(v, "place")
        assert place.status == "confirmed" and place.area_others >= 2
        assert eng.verify("Floods hit Toowoomba").verdict == "refuted"  # named by no post, others by many
    finally:
        eng.close()


def test_a_place_inside_another_is_checked_where_the_inner_one_is_named(tmp_path: Path) -> None:
    """"The Gold Coast in Victoria" asserts where the Gold Coast is: posts about Victoria alone
    (its bushfires) are no support; posts naming the Gold Coast with Queensland put it there."""
    rows = [("g1", "bom", "Queensland braces for more flooding on the Gold Coast tonight"),
            ("g2", "abcnews", "Floods hit the Gold Coast, Queensland: beaches closed and roads cut"),
            ("g3", "local1", "Gold Coast flooding is the worst in decades, says the Queensland premier"),
            ("g4", "local2", "Queensland floods: the Gold Coast hinterland cut off by rising water"),
            ("v1", "fire1", "Bushfires burn across Victoria while floods hit the north"),
            ("v2", "fire2", "Victoria is on fire and the rest of Australia floods"),
            ("v3", "fire3", "Floods hit again this summer; Victoria sends help to the flood areas")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        v = eng.verify("Floods hit the Gold Coast in Victoria")
        assert v.verdict == "refuted", v.reasons
        state = next(r for r in v.assertions if r.assertion.value == "Victoria")
        assert state.status == "conflicted" and state.other_values[0].value == "Queensland"
        assert state.confirm.authors == 0  # the Victoria-only posts say nothing of where the Gold Coast is
        w = eng.verify("Floods hit the Gold Coast in Queensland")
        assert w.verdict == "supported", w.reasons
        assert next(r for r in w.assertions if r.assertion.value == "Queensland").confirm.authors == 4
    finally:
        eng.close()


def test_what_it_was_made_from_and_which_one_it_was_are_details(tmp_path: Path) -> None:
    """"Made from X" is a detail posts state as "Y bombs"; "a Harvard police officer" has a
    rival in "an MIT police officer"."""
    rows = [("b1", "fbi", "FBI: the marathon bombs were made from pressure cookers packed with nails"),
            ("b2", "cnn", "Investigators say two pressure-cooker bombs exploded at the marathon finish line"),
            ("b3", "ap", "Marathon bombs: pressure cooker bombs hidden in black backpacks, officials say"),
            ("m1", "wcvb", "BREAKING: MIT police officer shot and killed on campus in Cambridge"),
            ("m2", "globe", "An MIT police officer was shot and killed late Thursday night"),
            ("m3", "nbc", "MIT police officer shot and killed, suspects fled the scene")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        v = eng.verify("The marathon bombs were made from fire extinguishers")
        assert v.verdict == "refuted", v.reasons
        means = detail(v, "means")
        assert means.assertion.value == "fire extinguishers" and means.assertion.noun == "bomb"
        assert means.other_values[0].value.startswith("pressure") and means.conflict.authors == 3
        assert any(r.startswith("made from: the claim says fire extinguishers;") for r in v.reasons), v.reasons
        w = eng.verify("The marathon bombs were made from pressure cookers")
        assert w.verdict == "supported", w.reasons
        assert detail(w, "means").confirm.authors == 3
        h = eng.verify("A Harvard police officer was shot and killed")
        assert h.verdict == "refuted", h.reasons
        assert detail(h, "member").other_values[0].value.startswith("MIT")  # the officer's organisation
        assert eng.verify("An MIT police officer was shot and killed").verdict == "supported"
    finally:
        eng.close()


def test_a_state_the_parser_takes_for_a_party_is_a_place() -> None:
    r = read_claim("Floods were expected in Ipswich, Tasmania")
    assert [(a.kind, a.value, a.level) for a in r.assertions if a.value == "Tasmania"] == [("place", "Tasmania", "state")]


def test_what_a_claim_adds_to_a_place_must_be_said(tmp_path: Path) -> None:
    """Posts about the flooded stadium grounds (close in meaning, one even "hit hard") are no
    support for "a fire destroyed" them: among the posts naming the stadium, fire is what the
    claim adds, and a post silent on it is context."""
    texts = ["Northgate Stadium grounds hit hard by the flood", "Floodwaters covered the Northgate Stadium grounds",
             "Pictures of the flooded Northgate Stadium grounds this morning", "Northgate Stadium is under water",
             "Northgate Stadium grounds flooded, the final is postponed", "Water everywhere at Northgate Stadium",
             "The flood reached the Northgate Stadium stands overnight", "Crews pump water out of Northgate Stadium"]
    rows = [(f"f{i}", f"user{i}", f"{texts[i % len(texts)]} #{i}") for i in range(24)]
    # fires elsewhere: retrieval brings them too, and among all posts gathered "fire" is common
    fires = [(f"x{i}", f"news{i}", f"A fire destroyed {w} on the east side overnight, crews say")
             for i, w in enumerate(["a barn", "two homes", "a warehouse", "a garage", "a diner", "a school bus"])]
    eng = engine_with(tmp_path, posts(rows) + posts(fires, 30))
    try:
        v = eng.verify("A fire destroyed the Northgate Stadium grounds")
        assert v.verdict != "supported" and not v.evidence_for, v.reasons
        w = eng.verify("Floodwaters covered the Northgate Stadium grounds")
        assert w.verdict == "supported", w.reasons
    finally:
        eng.close()


def test_a_toll_that_grew_supersedes_the_early_counts(tmp_path: Path) -> None:
    early = [(f"e{i}", f"early{i}", t) for i, t in enumerate([
        "Explosions at the marathon finish line: 2 dead, dozens hurt",
        "BREAKING: two people killed in the marathon explosions",
        "Marathon bombing: 2 dead according to police"])]
    late = [(f"l{i}", f"late{i}", t) for i, t in enumerate([
        "Marathon bombing death toll rises to 3, more than 140 injured",
        "Three people were killed in the marathon bombing, officials say",
        "Marathon bombing: 3 dead including an 8-year-old boy",
        "The marathon bombing killed 3 people and injured 170",
        "Police now say 3 people died in the marathon bombing"])]
    eng = engine_with(tmp_path, posts(early) + posts(late, 120))
    try:
        v = eng.verify("Three people were killed in the marathon bombing")
        assert v.verdict == "supported", v.reasons
        deaths = detail(v, "number", "deaths")
        assert deaths.status == "confirmed" and deaths.superseded >= 2 and deaths.conflict.authors == 0
        wrong = eng.verify("Thirty people were killed in the marathon bombing")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_who_did_it_is_checked_against_the_names_posts_give_that_role(tmp_path: Path) -> None:
    rows = [("g1", "wire", "BREAKING: the Harbour Square gunman has been identified as Peter Jarvis"),
            ("g2", "tv", "Harbour Square siege: police name the gunman as Peter Jarvis, 45"),
            ("g3", "paper", "Peter Jarvis has been named as the gunman behind the Harbour Square siege"),
            ("g4", "radio", "Harbour Square gunman identified as local man Peter Jarvis")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        assert eng.verify("The Harbour Square gunman was Peter Jarvis").verdict == "supported"
        wrong = eng.verify("The Harbour Square gunman was Samuel Okafor")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "agent").other_values[0].value.endswith("Jarvis")
    finally:
        eng.close()


def test_what_the_claim_adds_to_the_event_must_be_stated(tmp_path: Path) -> None:
    rows = [("p1", "news1", "Plane crash in the mountains: all passengers feared dead"),
            ("p2", "news2", "The plane crashed into the mountains this morning, rescuers on the way"),
            ("p3", "news3", "Plane crash: wreckage found in the mountains, no survivors"),
            ("p4", "news4", "Investigators reach the plane crash site in the mountains")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        for claim in ("The plane was hit by lightning before the crash in the mountains",
                      "The plane crash in the mountains was caused by a bomb on board"):
            v = eng.verify(claim)
            assert v.verdict == "unverified", (claim, v.reasons)
            assert not v.evidence_for
    finally:
        eng.close()


def test_a_place_that_is_not_where_is_no_rival(tmp_path: Path) -> None:
    rows = [("c1", "wire", "The Boston bombing suspect was captured in Watertown tonight"),
            ("c2", "tv", "Suspect in custody in Watertown after a standoff, police say"),
            ("c3", "paper", "Boston bombing suspect arrested after a manhunt"),
            ("c4", "radio", "Boston Marathon bombing suspect captured alive"),
            ("c5", "local", "Captured! The Boston bombing suspect is in custody in Watertown")]
    eng = engine_with(tmp_path, posts(rows))
    try:
        v = eng.verify("Police captured the bombing suspect in Watertown")
        assert v.verdict == "supported", v.reasons
        assert not any(x.value == "Boston" for x in detail(v, "place").other_values)
    finally:
        eng.close()


def test_the_api_returns_each_assertion(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from veristream.api import create_app

    eng = engine_with(tmp_path, posts(QUAKE))
    try:
        with TestClient(create_app(eng, Settings.load(env={}), token="t" * 32), base_url="http://127.0.0.1") as c:
            r = c.post("/v1/verify", json={"claim": "A magnitude 6.1 earthquake struck Guatemala"})
            assert r.status_code == 200, r.text
            d = r.json()
            assert d["verdict"] == "refuted"
            mag = next(a for a in d["assertions"] if a["role"] == "magnitude")
            assert mag["status"] == "conflicted" and mag["conflict"]["values"][0]["value"] == "magnitude 7.4"
            for k in mag["conflict"]["values"][0]["keys"]:
                assert c.get(f"/v1/posts/{k}").status_code == 200  # each cites a stored post
    finally:
        eng.close()


PRINCE = [
    ("p1", "fan1", "Prince is playing a secret show in Toronto tonight!! Massey Hall line already around the block"),
    ("p2", "fan2", "Heard Prince will play a surprise concert in Toronto tonight, anyone know where?"),
    ("p3", "fan3", "Prince secret concert in Toronto tonight, tickets at the door apparently"),
]


def test_the_veracity_model_speaks_only_of_rumours_like_those_it_learned(tmp_path: Path) -> None:
    # West, Texas (2013) is no rumour of the PHEME events: held out by event the model loses to
    # the majority class, so its reading is withheld.
    eng = engine_with(tmp_path, posts(WEST))
    try:
        v = eng.verify("A fertilizer plant exploded in West, Texas")
        assert v.crowd is None and v.to_dict()["crowd"] is None
        assert not any("rumour model" in r for r in v.reasons)
    finally:
        eng.close()
    # The Prince-in-Toronto concert (PHEME, 2014) was a hoax: a claim close to it is read, and said to be.
    eng = engine_with(tmp_path, posts(PRINCE), "prince")
    try:
        v = eng.verify("Prince will play a secret concert in Toronto tonight")
        assert v.crowd is not None and v.crowd.shown and v.crowd.known >= 0.7
        assert v.crowd.label == "false" and v.crowd.probs["false"] > 0.5
        line = next(r for r in v.reasons if "rumour model" in r)
        assert "similarity" in line and "false" in line
        assert v.to_dict()["crowd"]["known"] >= 0.7
    finally:
        eng.close()


FLOODS = [(f"f{i}", f"desk{i}", f"Harlow floods: {what}") for i, what in enumerate([
    "roads closed", "river still rising", "farms under water", "evacuation centre open",
    "army called in", "bridge washed away", "power cut in the valley", "rain to ease tomorrow",
    "school closures", "volunteers needed", "sandbags at the depot", "trains cancelled",
    "pets rescued", "water supply warning", "farmers count their losses", "insurance advice",
    "stay off the roads", "levee holding", "donations pour in", "record river height"])]


def test_one_source_that_others_repeat_decides_a_detail_no_other_post_states(tmp_path: Path) -> None:
    # One desk's report, reposted by two other people, is the only number of cows the stream
    # gives: it counts against a claim of another number that no post states, and for the claim
    # of its own number, said as one source. Not a post that only mentions the number, nobody
    # repeating it, nor when another post gives a third number.
    report = [("h0", "wire", "A 400-cow dairy herd was washed away in the Harlow floods"),
              ("h1", "fan1", "RT @wire: A 400-cow dairy herd was washed away in the Harlow floods"),
              ("h2", "fan2", "RT @wire: A 400-cow dairy herd was washed away in the Harlow floods")]
    claim = "A 4,000-cow dairy herd was washed away in the Harlow floods."
    true = "A 400-cow dairy herd was washed away in the Harlow floods."
    with engine_with(tmp_path, posts(FLOODS + report)) as eng:
        v = eng.verify(claim)
        cows = detail(v, "number")
        assert cows.status == "conflicted" and cows.conflict.authors == 1 and cows.repeated == 2, v.reasons
        assert cows.lone == "repeated" and "repeated by 2" in cows.summary
        assert v.verdict == "refuted", v.reasons
        same = eng.verify(true)
        cows = detail(same, "number")
        assert cows.status == "confirmed" and cows.repeated == 2 and "repeated by 2" in cows.summary, same.reasons
        assert same.verdict == "supported", same.reasons
    # a post not about the herd, nobody repeating it; another post gives a third number
    for name, rows in (("alone", [("h0", "wire", "Harlow floods: a farmer lost 400 cows")]),
                       ("third", report + [("h3", "farmer", "Harlow floods took a 90-cow herd")])):
        with engine_with(tmp_path, posts(FLOODS + rows), name=name) as other:
            for c in (claim, true):
                v = other.verify(c)
                assert detail(v, "number").status == "unaddressed" and v.verdict == "unverified", (name, v.reasons)


def test_one_post_stating_the_claims_topic_decides_a_detail_no_other_post_states(tmp_path: Path) -> None:
    # One post says what the claim says, its place named and its detail stated, and no other post
    # states that detail: it decides it, for the same count and against another. A post that only
    # shares a number ("3 weeks till I'm home") decides nothing, nor does one post naming another
    # place beside the claim's.
    rows = [("r0", "wire", "Volunteers rescued 14 horses trapped by the Harlow floods at Millbrook farm"),
            ("r1", "kid", "2 weeks of classes left! 3 weeks till I'm home, so close yet so far"),
            ("r2", "nurse", "Harlow floods: the injured were taken to St Anne's Hospital in Dunmore")]
    with engine_with(tmp_path, posts(FLOODS + rows)) as eng:
        v = eng.verify("Volunteers rescued 14 horses trapped by the Harlow floods.")
        horses = detail(v, "number")
        assert horses.status == "confirmed" and horses.lone == "on topic", v.reasons
        assert "states the claim's topic" in horses.summary and v.verdict == "supported", v.reasons
        other = eng.verify("Volunteers rescued 40 horses trapped by the Harlow floods.")
        assert detail(other, "number").status == "conflicted" and other.verdict == "refuted", other.reasons
        for c in ("The Harlow floods closed the airport for 3 weeks.",
                  "The injured from the Harlow floods were taken to a hospital in Kelby."):
            assert (lone := eng.verify(c)).verdict == "unverified", lone.reasons
