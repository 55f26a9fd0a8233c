"""Who, where, why and what became of it, as posts say them: a party by its own account's
handle, a relative by another given name, a place a bearing points from, a place someone went to,
whom a thing is blamed on, a thing by its initials (docs/verify.md, "Handles, families, bearings,
blame and initials"). Real engines over hand-written posts about invented events; no shared data."""

from __future__ import annotations

from pathlib import Path

from conftest import NOISE, engine_with, mkpost, posts, with_noise


def named(v, kind: str = "who"):
    got = [r for r in v.assertions if r.assertion.kind == kind]
    assert got, [(r.assertion.kind, r.assertion.value) for r in v.assertions]
    return got


def supported_and_refuted(eng, right: str, wrong: str, kind: str) -> None:
    """`right` is supported; `wrong` refuted, its detail of `kind` against it by two sources or more."""
    v = eng.verify(right)
    assert v.verdict == "supported", v.reasons
    w = eng.verify(wrong)
    assert w.verdict == "refuted", w.reasons
    r = named(w, kind)[0]
    assert r.status == "conflicted" and r.conflict.authors >= 2, r.summary


def test_a_party_is_named_by_its_handle_and_not_by_a_relative(tmp_path: Path) -> None:
    # Fans write to the singer's account (@daraquell) or name him in full; his brother Tam is not him.
    rows = [("j1", "fan1", "@daraquell is in Kessford, Ostavia helping after the tornado!!"),
            ("j2", "fan2", "RT @daraquell: Happy to be in Kessford, Ostavia to help. Donate if you can"),
            ("j3", "fan3", "DARA QUELL IS IN KESSFORD OSTAVIA right now wow"),
            ("j4", "fan4", "Dara Quell helps Kessford tornado victims in Ostavia"),
            ("j5", "fan5", "Tam Quell sends his prayers to Kessford, Ostavia after the tornado"),
            ("j6", "fan6", "Tam Quell posted a video for the Kessford tornado victims")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Singer Dara Quell travelled to Kessford, Ostavia, to help after the tornado.")
        assert v.verdict == "supported", v.reasons
        who = named(v)[0]
        assert who.status == "confirmed" and who.confirm.authors >= 3, who.summary
        # the posts naming Tam Quell name another of the family: none states that Nico Quell went
        nico = eng.verify("Singer Nico Quell travelled to Kessford, Ostavia, to help after the tornado.")
        assert nico.verdict != "supported", nico.reasons
        assert named(nico)[0].confirm.authors == 0, named(nico)[0].summary


def test_a_bearing_from_a_place_is_where_it_happened_from_there(tmp_path: Path) -> None:
    # "north-east of Varsen": posts naming Varsen say where without the bearing; another town named
    # is no rival of the place a bearing points from
    rows = [("b1", "wire", "Varsen robbery suspects cornered with a hostage, police say"),
            ("b2", "tv", "Police have the Varsen robbery suspects cornered with a hostage near Varsen airport"),
            ("b3", "paper", "Car chase ends as Varsen robbery suspects are cornered with hostage"),
            ("b4", "radio", "Standoff: suspects cornered with a hostage at a print works in Dellby")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("The robbery suspects were cornered with a hostage north-east of Varsen.")
        assert v.verdict == "supported", v.reasons
        place = [r for r in named(v, "place") if r.assertion.value == "Varsen"][0]
        assert place.status == "confirmed" and not place.other_values, place.summary


def test_whom_a_thing_is_blamed_on_said_first(tmp_path: Path) -> None:
    # "X blames surfers for the storm": the cause said between the verb and "for", in its plural
    rows = [("c1", "fan1", "RT @joker: Preacher blames surfers for Storm Kelda. You could not make it up"),
            ("c2", "fan2", "A Valdor preacher blames surfers for Storm Kelda"),
            ("c3", "fan3", "Pastor blames Surfers for storm Kelda, says it is punishment"),
            ("c4", "fan4", "Storm Kelda: preacher says surfers are to blame")]
    with with_noise(tmp_path, rows) as eng:
        supported_and_refuted(eng, "A preacher blamed Storm Kelda on surfers.",
                              "A preacher blamed Storm Kelda on video games.", "cause")


def test_what_became_of_a_named_thing_said_by_its_initials(tmp_path: Path) -> None:
    # "the Harlow Commodity Exchange" is "HCE" in posts; "to close Monday" says it closed
    rows = [("e1", "wire", "HCE to close down on Monday due to Storm Kelda"),
            ("e2", "tv", "Storm Kelda: the HCE will close Monday, first weather closure in decades"),
            ("e3", "paper", "Harlow Commodity Exchange and HCE futures: trading to close Monday as Storm Kelda nears"),
            ("e4", "desk", "HCE will close on Monday because of Storm Kelda, its chairman says")]
    with with_noise(tmp_path, rows) as eng:
        supported_and_refuted(eng, "The Harlow Commodity Exchange was closed on Monday because of Storm Kelda.",
                              "The Harlow Commodity Exchange stayed open on Monday despite Storm Kelda.", "outcome")


def test_a_toll_is_counted_on_its_own_event_and_days(tmp_path: Path) -> None:
    # Hurricane Kelda's toll, and two months later another event's: its counts are neither for nor
    # against the storm's; a vaguer "many died" states no count, a lower "at least" none against
    # a higher one
    day = 24 * 60
    kelda = [("k1", "wire", "Hurricane Kelda: at least 12 people have died, officials say"),
             ("k2", "tv", "Rescuers search flooded streets as the hurricane's toll rises. At least 12 people have died "
                          "because of Hurricane Kelda, police said tonight"),
             ("k3", "paper", "Hurricane Kelda death toll: at least 12 people have died across the coast"),
             ("k4", "fan", "So many people died in Hurricane Kelda, so sad"),
             *[(f"s{i}", f"local{i}", t) for i, t in enumerate([
                 "Hurricane Kelda brings down trees across Varsen", "Power cuts in Ostby as Hurricane Kelda passes",
                 "Schools closed tomorrow because of Hurricane Kelda", "Hurricane Kelda: trains cancelled until Monday",
                 "Photos: Hurricane Kelda floods the harbour"])]]
    later = [mkpost(f"d{i}", t, minutes=60 * day + i, author=f"later{i}") for i, t in enumerate([
        "At least 20 people have died after the Dellby tornado",
        "Dellby tornado: at least 20 people have died",
        "At least 20 people have died in the Dellby tornado, police say",
        "Dellby tornado: 3 people have died in the town centre",
        "3 people have died in Dellby's town centre after the tornado",
        "Dellby: 3 people have died, the mayor says"])]
    with engine_with(tmp_path, posts(kelda) + later + posts(NOISE, 30)) as eng:
        v = eng.verify("At least 12 people died because of Hurricane Kelda.")
        assert v.verdict == "supported", v.reasons
        n = named(v, "number")[0]
        assert n.status == "confirmed" and n.confirm.authors == 3, n.summary
        more = eng.verify("At least 40 people died because of Hurricane Kelda.")
        assert more.verdict != "supported", more.reasons
        assert named(more, "number")[0].confirm.authors == 0, named(more, "number")[0].summary
