"""Details of kinds a claim turns on beyond places, numbers and causes (issue 16, blind held-out
misses): the organisation a person serves with, a relationship, a name given, a vehicle's or
weapon's model, the time of day and a nationality. Each is read from the claim and from the
posts, so another value in the same role refutes and the same one supports. Real engines over
hand-written posts about invented events; no shared data."""

from __future__ import annotations

from pathlib import Path

from veristream import Engine, Settings
from veristream.verify.assertions import hours_compatible, read_claim, read_post
from conftest import mkpost


def posts(rows, start: float = 0):
    return [mkpost(i, t, minutes=start + k, author=a) for k, (i, a, t) in enumerate(rows)]


def engine_with(tmp_path: Path, rows, name: str = "data") -> Engine:
    eng = Engine(tmp_path / name, Settings.load(env={}))
    eng.ingest(rows)
    assert eng.wait_embedded(120)
    return eng


def detail(v, kind: str):
    got = [r for r in v.assertions if r.assertion.kind == kind]
    assert got, [(r.assertion.kind, r.assertion.value) for r in v.assertions]
    return got[0]


NOISE = [("n1", "zed", "Great pizza at the new place downtown, not going back to the old one"),
         ("n2", "yan", "Traffic on the ring road is a mess this morning, avoid it")]


def test_each_kind_is_read_from_the_claim() -> None:
    def kinds(claim: str) -> dict[str, str]:
        return {a.kind: a.value for a in read_claim(claim).assertions}

    assert kinds("Cpl. Dan Hale served with the Argyll and Sutherland Highlanders")["member"] == \
        "Argyll and Sutherland Highlanders"
    assert kinds("An officer of the Harlow police was shot")["member"] == "Harlow police"
    assert kinds("An uncle of the Harlow Bay bombing suspects called them losers")["relation"] == "uncle"
    assert kinds("The storm that hit Harlow Bay was dubbed Snowzilla")["nickname"] == "Snowzilla"
    assert kinds("The plane that crashed near Harlow Bay was an Airbus A320")["model"] == "Airbus A320"
    assert kinds("The refinery at Harlow Bay exploded in the morning")["time"] == "in the morning"
    assert kinds("A Canadian soldier was shot at the Harlow Bay memorial")["origin"] == "Canadian"
    # a word of a regiment's name is no place, a maker no party
    argyll = read_claim("Cpl. Dan Hale served with the Argyll and Sutherland Highlanders")
    assert not any(a.kind == "place" for a in argyll.assertions), argyll.assertions
    plane = read_claim("The plane that crashed near Harlow Bay was an Airbus A320")
    assert not any(a.kind == "who" and a.value == "Airbus" for a in plane.assertions)
    # the writer's own family is no relation in the event; a flight code is no model
    assert not [x for x in read_post("Picking up my brother from work, the flood is bad").roles
                if x.kind == "relation"]
    assert not [x for x in read_post("Flight MH17 lost contact over Ukraine").roles if x.kind == "model"]
    # "last night" is no morning; "tonight" can be the evening
    def hours(text: str):
        return next(x.hours for x in read_post(text).roles if x.kind == "time")

    assert not hours_compatible(hours("The plant exploded last night"), hours("It exploded in the morning"))
    assert hours_compatible(hours("The plant exploded tonight"), hours("It exploded in the evening"))


def test_another_organisation_refutes_and_a_regiment_word_is_no_place(tmp_path: Path) -> None:
    rows = [("m1", "cbc", "Cpl. Dan Hale of the Argyll and Sutherland Highlanders was shot at the memorial in Ottawa"),
            ("m2", "ctv", "The soldier shot in Ottawa, Dan Hale, was a reservist with the Argyll and Sutherland "
                          "Highlanders"),
            ("m3", "spec", "Dan Hale was a member of the Hamilton Argylls, shot at the memorial in Ottawa today"),
            ("m4", "star", "Hamilton Argylls soldier Dan Hale dies after the Ottawa memorial shooting")]
    eng = engine_with(tmp_path, posts(rows) + posts(NOISE, 30))
    try:
        true = eng.verify("Dan Hale served with the Argyll and Sutherland Highlanders")
        assert true.verdict == "supported", true.reasons
        assert detail(true, "member").status == "confirmed"
        assert not any(r.assertion.kind == "place" for r in true.assertions)  # "Argyll" is no town beside Ottawa
        wrong = eng.verify("Dan Hale served with the Royal Highland Fusiliers")
        assert wrong.verdict == "refuted", wrong.reasons
        d = detail(wrong, "member")
        assert d.status == "conflicted" and d.conflict.authors >= 2
    finally:
        eng.close()


def test_another_relationship_refutes(tmp_path: Path) -> None:
    rows = [("r1", "wire", "The uncle of the Harlow Bay bombing suspects called them losers"),
            ("r2", "tv", "Uncle of Harlow Bay bombing suspects, Ruslan Mirza, calls them losers"),
            ("r3", "paper", "Harlow Bay bombing suspects' uncle: they are losers, turn yourself in"),
            ("r4", "radio", "An uncle of the Harlow Bay bombing suspects says they were losers")]
    eng = engine_with(tmp_path, posts(rows) + posts(NOISE, 30))
    try:
        v = eng.verify("An uncle of the Harlow Bay bombing suspects called them losers")
        assert v.verdict == "supported", v.reasons
        wrong = eng.verify("A cousin of the Harlow Bay bombing suspects called them losers")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "relation").other_values[0].value.lower() == "uncle"
    finally:
        eng.close()


def test_another_name_given_refutes(tmp_path: Path) -> None:
    rows = [("k1", "met", "The storm that hit Harlow Bay has been dubbed Snowzilla by forecasters"),
            ("k2", "wx", "Harlow Bay storm, nicknamed Snowzilla, drops two feet of snow"),
            ("k3", "local", "The Harlow Bay storm, known as Snowzilla, closed every school"),
            ("k4", "tv", "Snowzilla: the storm dubbed Snowzilla buries Harlow Bay")]
    eng = engine_with(tmp_path, posts(rows) + posts(NOISE, 30))
    try:
        assert eng.verify("The storm that hit Harlow Bay was dubbed Snowzilla").verdict == "supported"
        wrong = eng.verify("The storm that hit Harlow Bay was dubbed Icepocalypse")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "nickname").other_values[0].value == "Snowzilla"
    finally:
        eng.close()


def test_another_model_of_the_same_kind_refutes(tmp_path: Path) -> None:
    rows = [("p1", "avherald", "An Airbus A320 crashed near Harlow Bay with 150 on board"),
            ("p2", "wire", "The plane that crashed near Harlow Bay was an A320 operated by Coastair"),
            ("p3", "tv", "Coastair Airbus A320 crash near Harlow Bay: no survivors expected"),
            ("p4", "radar", "Flight CA9525, an A320, lost contact before it crashed near Harlow Bay")]
    eng = engine_with(tmp_path, posts(rows) + posts(NOISE, 30))
    try:
        ok = eng.verify("The plane that crashed near Harlow Bay was an Airbus A320")
        assert ok.verdict == "supported", ok.reasons
        wrong = eng.verify("The plane that crashed near Harlow Bay was a Boeing 737")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "model").conflict.authors >= 3
    finally:
        eng.close()


def test_a_clearly_different_time_of_day_refutes(tmp_path: Path) -> None:
    rows = [("t1", "fire", "The Harlow Bay refinery exploded early this morning, residents woken by the blast"),
            ("t2", "news", "Refinery explosion in Harlow Bay this morning: three workers hurt"),
            ("t3", "local", "Harlow Bay refinery explosion happened around 6am, says the fire chief"),
            ("t4", "pray", "Praying for Harlow Bay tonight"),
            ("t5", "pray2", "Thinking of Harlow Bay tonight, what a day")]
    eng = engine_with(tmp_path, posts(rows) + posts(NOISE, 30))
    try:
        ok = eng.verify("The Harlow Bay refinery exploded in the morning")
        assert ok.verdict == "supported", ok.reasons
        # "tonight" in a prayer is the writer's evening, not when the refinery exploded
        assert detail(ok, "time").conflict.authors == 0
        wrong = eng.verify("The Harlow Bay refinery exploded in the evening")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_another_nationality_refutes(tmp_path: Path) -> None:
    rows = [("o1", "cbc", "A Canadian soldier was shot at the Harlow Bay memorial this morning"),
            ("o2", "ctv", "Canadian soldier shot dead at the Harlow Bay memorial, gunman at large"),
            ("o3", "globe", "The soldier killed at the Harlow Bay memorial was a Canadian reservist"),
            ("o4", "cp", "Gunman kills Canadian soldier at Harlow Bay memorial")]
    eng = engine_with(tmp_path, posts(rows) + posts(NOISE, 30))
    try:
        assert eng.verify("A Canadian soldier was shot at the Harlow Bay memorial").verdict == "supported"
        wrong = eng.verify("An American soldier was shot at the Harlow Bay memorial")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "origin").other_values[0].value == "Canadian"
    finally:
        eng.close()


def test_a_name_said_as_the_subject_of_a_verb_has_no_rival_and_a_lower_reading_is_no_maximum(
        tmp_path: Path) -> None:
    rows = [("x1", "cnbc", "The New York Stock Exchange closed on Monday because of Hurricane Mira"),
            ("x2", "wsj", "New York Stock Exchange closed Monday because of Hurricane Mira, first time since 1985"),
            ("x3", "ap", "Schools closed on Monday because of Hurricane Mira"),
            ("x4", "nbc", "Schools closed Monday across the city because of Hurricane Mira"),
            ("x5", "cbs", "Subway closed on Monday because of Hurricane Mira")]
    wind = [("w1", "nws", "The Harlow Bay tornado had winds of 200 mph, an EF5"),
            ("w2", "cnn", "Harlow Bay tornado rated EF5 with winds of 200 mph"),
            ("w3", "bbc", "Harlow Bay tornado: winds reached 200 mph"),
            ("w4", "stn1", "Harlow Bay tornado cleanup: wind 9 mph SSE, barometer steady"),
            ("w5", "stn2", "Harlow Bay tornado area weather: wind 6 mph S, barometer rising")]
    eng = engine_with(tmp_path, posts(rows) + posts(wind, 20) + posts(NOISE, 40))
    try:
        v = eng.verify("The New York Stock Exchange closed on Monday because of Hurricane Mira")
        assert v.verdict == "supported", v.reasons
        w = eng.verify("The Harlow Bay tornado had winds of up to 90 mph")
        assert w.verdict == "refuted", w.reasons
        assert detail(w, "number").confirm.authors == 0  # "wind 9 mph" is no statement of the maximum
    finally:
        eng.close()
