"""General readings that blind set 3's misses called for (docs/verify.md, "Generalising"): a
count of any noun with its unit's aliases, a rate apart from a total, a part apart from a count,
a precise time apart from a vague one, state codes, handles and titles as names, and two parties
a claim joins. Real engines over hand-written posts about invented events; no shared data."""

from __future__ import annotations

from pathlib import Path

from veristream.verify.assertions import handle_name, read_claim, read_numbers, word_set
from conftest import with_noise


def detail(v, kind: str, role: str | None = None):
    got = [r for r in v.assertions if r.assertion.kind == kind and (role is None or r.assertion.role == role)]
    assert got, [(r.assertion.kind, r.assertion.role, r.assertion.value) for r in v.assertions]
    return got[0]


def test_numbers_are_read_with_any_noun_and_their_kind() -> None:
    def nums(text: str):
        return [(n.unit, n.lo, n.hi, "rate" in n.about) for n in read_numbers(text)]

    # a number with any noun is a count of it, aliases and number folded ("lbs" = pounds, cows = cow)
    assert nums("54000 lbs of ammonia on hand")[0][:3] == ("n:pound", 54000, 54000)
    assert nums("it held 54,000 pounds of ammonia")[0][:3] == ("n:pound", 54000, 54000)
    assert nums("A 400-cow dairy herd was washed away")[0][:3] == ("n:cow", 400, 400)
    assert nums("400 COW DAIRY HERD WASHED AWAY")[0][:3] == ("n:cow", 400, 400)
    assert nums("Two babies were on board")[0][:3] == ("n:baby", 2, 2)
    # "as much as" is a maximum; "one of the people killed" is a part, not a toll
    assert nums("as much as 54,000 pounds")[0][1:3] == (27000, 54000)
    assert not [n for n in nums("Jane Roe, one of the people killed in the blast, was 29") if n[0] == "deaths"]
    assert nums("one of three people killed in the blast")[0][:3] == ("deaths", 3, 3)
    # a rate is not a total: "$1 for every tweet, up to $50,000"
    got = nums("He will donate $1 for every tweet, up to $50,000")
    assert got == [("dollars", 1, 1, True), ("dollars", 50000, 50000, False)]
    assert nums("donating $1 for every RT, to max 50k")[1][:3] == ("dollars", 50000, 50000)  # said short, beside $


def test_a_count_of_any_noun_decides_with_its_aliases(tmp_path: Path) -> None:
    rows = [("a1", "wire", "Harlow Chemical reported holding as much as 54,000 pounds of ammonia at the plant"),
            ("a2", "tv", "Reports: 54000 lbs of ammonia were on hand at the Harlow Chemical plant"),
            ("a3", "paper", "Harlow Chemical plant had 54,000 lbs of ammonia stored, filings show"),
            ("a4", "radio", "Harlow Chemical: 54,000 pounds of ammonia at the plant that exploded")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The Harlow Chemical plant had reported holding as much as 54,000 pounds of ammonia")
        assert v.verdict == "supported", v.reasons
        wrong = eng.verify("The Harlow Chemical plant had reported holding as much as 540,000 pounds of ammonia")
        assert wrong.verdict == "refuted", wrong.reasons
        d = detail(wrong, "number")
        assert d.status == "conflicted" and d.conflict.authors >= 2
        # "as much as 54,000 pounds" and "54000 lbs" are one rival value, not several strays
        assert len(d.other_values) == 1, d.other_values
    finally:
        eng.close()


def test_a_rate_is_no_rival_of_a_total_and_a_part_none_of_a_count(tmp_path: Path) -> None:
    rows = [("g1", "kate", "Dan Roe will donate up to $50,000 for flood relief: $1 for every tweet of #HelpHarlow"),
            ("g2", "cbc", "Dan Roe donating $1 per tweet of #HelpHarlow to flood relief, donating up to $50,000"),
            ("g3", "ctv", "#HelpHarlow: Dan Roe to donate up to $50,000, $1 for each tweet, to the flood relief"),
            ("g4", "star", "Tweet #HelpHarlow: Dan Roe donates $1 per tweet and will donate up to $50,000"),
            ("b1", "sky", "Harlow siege gunman claims there are four bombs, two in the cafe and two in the city"),
            ("b2", "abc", "Harlow siege: the gunman says he has four bombs, 2 bombs in the cafe"),
            ("b3", "bbc", "Harlow siege gunman warns of four bombs around the city"),
            ("b4", "cnn", "Harlow siege hostage-taker claims four bombs; two bombs are in the cafe")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("Dan Roe promised to donate $1 for every tweet of #HelpHarlow, up to $50,000, for flood relief")
        assert v.verdict == "supported", v.reasons
        wrong = eng.verify("Dan Roe promised to donate $1 for every tweet of #HelpHarlow, up to $500,000, "
                           "for flood relief")
        assert wrong.verdict == "refuted", wrong.reasons
        bombs = eng.verify("The Harlow siege gunman claimed there were four bombs, two in the cafe and two in the city")
        assert bombs.verdict == "supported", bombs.reasons  # "2 bombs in the cafe" is the claim's own part
        more = eng.verify("The Harlow siege gunman claimed there were twelve bombs, two in the cafe and ten in the city")
        assert more.verdict == "refuted", more.reasons
    finally:
        eng.close()


def test_a_precise_time_is_not_rivalled_by_tonight(tmp_path: Path) -> None:
    rows = [("t1", "cp24", "Fans lining up at Harlow Hall. Wristbands for the surprise show handed out at 6pm"),
            ("t2", "city", "Harlow Hall: wristbands for tonight's surprise show go out at 6 p.m."),
            ("t3", "news", "Wristbands for the Harlow Hall surprise show will be handed out at 6pm, show at 8pm"),
            ("t4", "fan", "Surprise show at Harlow Hall tonight! Wristbands handed out soon"),
            ("t5", "fan2", "Rumours of a surprise show at Harlow Hall tonight, wristbands at the door"),
            ("t6", "fan3", "Harlow Hall surprise show tonight, grab wristbands tonight")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("Wristbands for the surprise show at Harlow Hall were to be handed out at 6 p.m.")
        assert v.verdict == "supported", v.reasons
        assert detail(v, "time").conflict.authors == 0  # "tonight" is no rival of 6 p.m.
        wrong = eng.verify("Wristbands for the surprise show at Harlow Hall were to be handed out at noon")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_state_codes_handles_and_titles_name_what_the_claim_names(tmp_path: Path) -> None:
    assert handle_name("LucilleClerc") == "Lucille Clerc" and handle_name("cnnbrk") == ""
    assert {"lucille", "clerc"} <= word_set("Brilliant by @LucilleClerc")
    rows = [("d1", "kwx", "Debris from the Harlow tornado found falling in Branson, MO, 250 miles away"),
            ("d2", "okwx", "Eyewitnesses report debris from Harlow tornado falling in Branson, Missouri, almost 250 miles away"),
            ("c1", "bbc", "This widely shared Harlow Gazette cartoon is actually by @JaneMarlo, not Banksy"),
            ("c2", "tele", "The Harlow Gazette pencil cartoon was drawn by @JaneMarlo, not by Banksy"),
            ("c3", "emg", "It ain't Banksy: the Harlow Gazette cartoon was drawn by artist @JaneMarlo"),
            ("p1", "gma", "Pope asks his followers on Twitter to pray for those hurt in the Harlow blast"),
            ("p2", "ntv", "Pope Francis asks people to pray for the victims of the Harlow explosion")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("Debris from the Harlow tornado was reported falling in Branson, Missouri, about 250 miles away")
        assert v.verdict == "supported", v.reasons
        assert all(r.status == "confirmed" for r in v.assertions), v.reasons  # MO is Missouri
        clerc = eng.verify("The Harlow Gazette pencil cartoon shared as Banksy's was actually drawn by the artist "
                           "Jane Marlo")
        assert clerc.verdict == "supported", clerc.reasons
        other = eng.verify("The Harlow Gazette pencil cartoon shared as Banksy's was actually drawn by the artist "
                           "Joe Sfar")
        assert other.verdict == "refuted", other.reasons  # "by @JaneMarlo" names another artist
        pope = eng.verify("Pope Francis asked people to pray for the victims of the Harlow explosion")
        assert pope.verdict == "supported", pope.reasons  # "Pope asks" is the Pope's, not a rival
    finally:
        eng.close()


def test_a_party_the_claim_joins_with_another_has_rivals(tmp_path: Path) -> None:
    claim = read_claim("The league postponed the game between the Montreal Canadiens and the Ottawa Senators")
    assert "Ottawa Senators" in {a.partner for a in claim.assertions}  # the Canadiens' partner
    rows = [("h1", "nhl", "League postpones tonight's Senators-Leafs game in Ottawa after the shooting"),
            ("h2", "cp24", "The game between the Toronto Maple Leafs and Ottawa Senators has been postponed, the league says"),
            ("h3", "sn", "League postpones Wednesday's Leafs-Senators game due to the tragedy in Ottawa"),
            ("h4", "tsn", "The league has postponed tonight's Leafs and Senators game in Ottawa")]
    eng = with_noise(tmp_path, rows)
    try:
        true = eng.verify("The league postponed the game between the Toronto Maple Leafs and the Ottawa Senators")
        assert true.verdict == "supported", true.reasons
        wrong = eng.verify("The league postponed the game between the Montreal Canadiens and the Ottawa Senators")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()
