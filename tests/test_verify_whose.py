"""Places that do not say where: a place said of a person ("a Dallas firefighter") and a place
said to be near ("crashed near Lourdes") are compared only with places in the same role
(docs/verify.md, "Whose, and near what"). Real engines over hand-written posts about invented
events; no shared data."""

from __future__ import annotations

from pathlib import Path

from conftest import with_noise


def place(v, value):
    got = [r for r in v.assertions if r.assertion.kind == "place" and r.assertion.value == value]
    assert got, [(r.assertion.kind, r.assertion.value) for r in v.assertions]
    return got[0]


def test_a_place_said_of_a_person_is_compared_with_what_posts_say_of_such_a_person(tmp_path: Path) -> None:
    # The dead firefighter was from Dallas; the fire was at Harlow. "A Houston firefighter" names
    # the right fire and the wrong city, and the posts' "Dallas" is whose firefighter he was, not
    # another town for the fire.
    rows = [("f1", "wire", "Those killed in the Harlow mill fire include 5 volunteers and a Dallas firefighter"),
            ("f2", "tv", "Dallas firefighter confirmed killed in the Harlow mill fire"),
            ("f3", "paper", "Harlow mill fire: a Dallas firefighter is among the dead, officials say"),
            ("f4", "radio", "Houston officials say the Harlow mill fire is out"),
            ("f5", "desk", "Crews from Houston sent to the Harlow mill fire")]
    with with_noise(tmp_path, rows) as eng:
        wrong = eng.verify("A Houston firefighter was among those killed in the Harlow mill fire.")
        assert wrong.verdict == "refuted", wrong.reasons
        r = place(wrong, "Houston")
        assert r.status == "conflicted" and "Dallas" in {v.value for v in r.other_values}, r.summary
        right = eng.verify("A Dallas firefighter was among those killed in the Harlow mill fire.")
        assert right.verdict == "supported", right.reasons
        assert place(right, "Dallas").status == "confirmed"


def test_a_place_said_to_be_near_is_compared_with_the_places_posts_say_it_was_near(tmp_path: Path) -> None:
    # The plane came down near Lourdes, a name the entity model does not always read as a place;
    # "near Toulouse" is another landmark for the same crash, and counts against it.
    rows = [("c1", "wire", "Cargo plane crashes in the Pyrenees near Lourdes"),
            ("c2", "tv", "A cargo plane has crashed in the Pyrenees near #Lourdes, police say"),
            ("c3", "paper", "Cargo plane crash: wreckage found in the Pyrenees near Lourdes"),
            ("c4", "radio", "Cargo plane had left Toulouse an hour before it crashed in the Pyrenees")]
    with with_noise(tmp_path, rows) as eng:
        wrong = eng.verify("A cargo plane crashed in the Pyrenees near Toulouse.")
        assert wrong.verdict == "refuted", wrong.reasons
        assert place(wrong, "Toulouse").status == "conflicted"
        right = eng.verify("A cargo plane crashed in the Pyrenees near Lourdes.")
        assert right.verdict == "supported", right.reasons


def test_a_name_in_its_other_english_form_is_the_same_name(tmp_path: Path) -> None:
    # "Marseilles" is how English posts often write Marseille: the prosecutor is named.
    rows = [("m1", "wire", "BREAKING: the driver's name is Tomas Brenner, a Dutch national, says Marseilles prosecutor"),
            ("m2", "tv", "Driver named as Tomas Brenner, a Dutch national, by Marseilles prosecutor"),
            ("m3", "paper", "Marseilles prosecutor names the driver: Tomas Brenner, a Dutch national")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("The Marseille prosecutor named the driver as Tomas Brenner, a Dutch national.")
        assert v.verdict == "supported", v.reasons
        named = [r for r in v.assertions if r.assertion.value == "Marseille"]
        assert named and named[0].status == "confirmed", [(r.assertion.value, r.status) for r in v.assertions]


def test_a_storms_name_is_the_event_and_relief_supplies_are_relief(tmp_path: Path) -> None:
    # Posts about the bus say "hurricane relief" and not the storm's name; the storm's name is
    # the event the stream is about (posts naming it need not speak of the bus). "Uses" is "used".
    rows = [("b1", "wire", "Leadership: Kerr uses campaign bus to deliver hurricane relief"),
            ("b2", "tv", "Mayor Alan Kerr uses his campaign bus to deliver hurricane relief"),
            ("b3", "paper", "Kerr campaign uses bus to deliver relief to hurricane victims"),
            ("o1", "radio", "Hurricane Opal relief: supplies arrive at the county shelters"),
            ("o2", "desk", "Relief supplies for Hurricane Opal victims are piling up at the stadium"),
            ("o3", "blog", "Where to drop off relief supplies for Hurricane Opal")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Alan Kerr's campaign bus was used to deliver relief supplies for Hurricane Opal.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("Dan Fisk's campaign bus was used to deliver relief supplies for Hurricane Opal.")
        assert other.verdict != "supported", other.reasons


def test_a_negation_reaches_no_further_than_its_clause(tmp_path: Path) -> None:
    # "told not to leave because the Kremlin was preparing ...": the Kremlin is not denied; posts
    # saying the Kremlin was preparing an announcement do not count against the claim.
    rows = [("k1", "wire", "Kremlin preparing major announcement, journalists asked not to depart for the weekend"),
            ("k2", "tv", "Journalists told not to leave Moscow: the Kremlin is preparing a big announcement"),
            ("k3", "paper", "The Kremlin is preparing a big announcement, journalists in Moscow told to stay")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Journalists in Moscow were told not to leave because the Kremlin was preparing a big announcement.")
        agent = [r for r in v.assertions if r.assertion.value == "Kremlin"]
        assert agent and not agent[0].assertion.negated, [(r.assertion.kind, r.assertion.value) for r in v.assertions]
        assert v.verdict != "refuted", v.reasons


def test_a_claim_calling_a_rumour_false_is_not_denied_by_posts_saying_so(tmp_path: Path) -> None:
    # The claim agrees that the rumour was false: posts denying it are no evidence against it.
    rows = [("e1", "wire", "Club says reports that Tomas Brenner has Ebola are false and a hoax"),
            ("e2", "tv", "Tomas Brenner does NOT have Ebola, his club Ajax says, denying the rumours"),
            ("e3", "paper", "Ajax deny Tomas Brenner Ebola rumour: he is fine and training"),
            ("e4", "radio", "Ajax midfielder Tomas Brenner is not ill, the club insists, rumours of Ebola untrue")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Tomas Brenner, the footballer falsely rumoured to have Ebola, plays for Ajax.")
        assert v.verdict != "refuted", v.reasons
        assert not v.evidence_against, [e.text for e in v.evidence_against]


def test_a_detail_of_the_reason_alone_does_not_support_what_the_claim_says_happened(tmp_path: Path) -> None:
    # Posts say the Kremlin was preparing an announcement in Moscow, and nothing of reporters
    # ordered out: the claim's reason is stated, not what it says happened.
    rows = [("k1", "wire", "Kremlin preparing a major announcement in Moscow, sources say"),
            ("k2", "tv", "Moscow: the Kremlin is preparing a big announcement tonight"),
            ("k3", "paper", "Big announcement expected from the Kremlin in Moscow later today")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Reporters in Moscow were ordered to leave the country because the Kremlin was preparing a big announcement.")
        assert v.verdict != "supported", v.reasons


def test_in_a_flood_another_town_said_near_is_no_rival(tmp_path: Path) -> None:
    # A flood strikes many towns: bodies found near Gatton say nothing against one found near Gympie.
    # (one report near Gympie, repeated by a second author, and one near Gatton: the one source
    # decides, as no other value is stated of the same place)
    rows = [("q1", "wire", "Queensland flood death: the body of a man was found in a creek near Gympie"),
            ("q2", "fan", "RT @wire: Queensland flood death: the body of a man was found in a creek near Gympie"),
            ("q3", "paper", "Queensland floods: a second body found in a swollen creek near Gatton")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("During the Queensland floods, the body of a man was found in a creek near Gympie.")
        assert place(v, "Gympie").status == "confirmed", v.reasons
        assert v.verdict == "supported", v.reasons


def test_a_count_said_as_part_of_a_named_whole_is_a_count(tmp_path: Path) -> None:
    # "Four of France's best-known cartoonists were killed" counts the cartoonists killed.
    rows = [("c1", "wire", "4 of France's best known cartoonists dead in the Harlow magazine attack"),
            ("c2", "tv", "Four cartoonists were killed in the attack on the Harlow magazine"),
            ("c3", "paper", "Harlow magazine attack: four cartoonists among the dead")]
    with with_noise(tmp_path, rows) as eng:
        wrong = eng.verify("Six of France's best-known cartoonists were killed in the Harlow magazine attack.")
        assert wrong.verdict == "refuted", wrong.reasons
        right = eng.verify("Four of France's best-known cartoonists were killed in the Harlow magazine attack.")
        assert right.verdict == "supported", right.reasons


def test_a_place_the_claim_names_in_another_role_is_no_rival(tmp_path: Path) -> None:
    # The tweets came from Kestrel and were written to Ferguson's protesters (a name the entity model
    # reads as an organisation's): "Ferguson" in a post is the claim's own other name, not another
    # place for the tweeters.
    rows = [("k1", "wire", "People in #Kestrel are tweeting advice to protesters in #Ferguson on how to cope with tear gas"),
            ("k2", "tv", "Things are out of control in #Ferguson when people in #Kestrel tweet tear gas advice"),
            ("k3", "paper", "From Kestrel, tear gas advice for the protesters of #Ferguson"),
            ("k4", "radio", "Police fire tear gas at protesters in Ferguson for a third night #Ferguson"),
            ("k5", "desk", "Protesters in Ferguson told to leave by police #Ferguson")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("People in Kestrel tweeted advice to Ferguson protesters on how to deal with tear gas.")
        assert v.verdict != "contested", v.reasons
        r = place(v, "Kestrel")
        assert r.conflict.authors == 0 and r.status == "confirmed", r.summary


def test_an_event_the_entity_model_reads_as_a_law_is_still_the_event(tmp_path: Path) -> None:
    # spaCy's small model reads "the Harlow Marathon" as a LAW: the claim's marathon was dropped, and
    # a twin naming the wrong marathon was judged on the explosion alone
    rows = [("m1", "wire", "Man who finished the Kestrel Marathon seconds before the bombing witnessed the Brindle explosion days later"),
            ("m2", "tv", "He ran the Kestrel Marathon, then saw the Brindle plant explosion: meet the man at both"),
            ("m3", "paper", "Kestrel Marathon finisher also witnessed the Brindle explosion three days later"),
            ("m4", "radio", "The man who was at the Kestrel Marathon bombing and the Brindle explosion speaks")]
    with with_noise(tmp_path, rows) as eng:
        wrong = eng.verify("A man who finished the Harlow Marathon seconds before the bombing witnessed the Brindle "
                           "explosion a few days later.")
        assert wrong.verdict == "refuted", wrong.reasons
        assert place(wrong, "Harlow Marathon").status == "conflicted"
