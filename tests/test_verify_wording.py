"""How a claim is worded must not decide its verdict (blind sets 4-7, docs/verify.md): a verb in
another tense ("sang" / "sing"), a title before a name ("Mayor Jane Roe"), the party said again
("the team's"), how clauses are joined ("even though"), a body that speaks ("the hospital said").
Real engines over hand-written posts about invented events; no shared data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import NOISE, engine_with, posts, with_noise

from veristream import Engine, words
from veristream.verify.assertions import read_claim

# The event's other posts: enough of them (20+) that the claim's rarer words count as what it adds.
CONTEXT = [(f"c{i}", f"desk{i}", text) for i, text in enumerate([
    "Huge explosion at the Harlow mill tonight, smoke everywhere",
    "Harlow mill explosion: roads closed around the site",
    "Praying for everyone affected by the Harlow mill explosion",
    "The Harlow mill explosion was felt miles away",
    "Firefighters still at the Harlow mill explosion site",
    "Harlow mill explosion: schools closed tomorrow",
    "Our thoughts are with Harlow after the mill explosion",
    "Video shows the moment of the Harlow mill explosion",
    "Harlow mill explosion: residents told to keep windows shut",
    "Harlow mill explosion: investigators arrive at the scene",
    "Blood donors needed after the Harlow mill explosion",
    "Harlow mill explosion leaves dozens of homes damaged",
    "Harlow mill explosion: shelter opened at the leisure centre",
    "Still shaking after the Harlow mill explosion last night",
    "Harlow mill explosion: what we know so far",
    "Live updates: Harlow mill explosion",
    "Harlow mill explosion: the site will be closed for weeks",
    "Harlow mill explosion pictures are heartbreaking",
    "Harlow mill explosion: donations pour in for families",
    "Harlow mill explosion: trains not stopping at Harlow",
    "Harlow mill explosion: power cut across the east side",
    "Harlow mill explosion: pets rescued from nearby homes",
])]

def desk_rows(prefix: str, texts: list[str]) -> list[tuple[str, str, str]]:
    """(id, author, text) rows, one desk each; `prefix` keeps the ids apart from CONTEXT's ("c")."""
    assert prefix != "c"
    return [(f"{prefix}{i}", f"desk{i}", t) for i, t in enumerate(texts)]


@contextmanager
def harlow(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Iterator[Engine]:
    """A writing engine over `rows` and two unrelated posts, closed after the block."""
    with engine_with(tmp_path, posts(rows) + posts(NOISE, 40)) as eng:
        yield eng


def test_a_verb_in_another_tense_and_the_party_said_again_do_not_leave_a_claim_unverified(tmp_path: Path) -> None:
    rows = [("a1", "wire", "Harlow Rovers fans sing emotional national anthem at first home game since the mill explosion"),
            ("a2", "tv", "MUST WATCH: Harlow Rovers fans sing the national anthem at first home game since mill explosion"),
            ("a3", "paper", "Harlow Rovers fans sing an emotional anthem at their first home game after the mill explosion"),
            ("a4", "radio", "Chills: Harlow Rovers fans singing the national anthem, first home game since the mill explosion")]
    # the game's other posts, on the same words but for the singing (so that it is what the claim adds)
    game = [(f"g{i}", f"fan{i}", f"Harlow Rovers fans at the first home game since the mill explosion: {what}")
            for i, what in enumerate(["what a night", "emotional scenes", "proud of this club", "tears in the stands",
                                      "a minute's silence", "3-2 win", "we are Harlow", "sold out", "unbelievable",
                                      "black armbands on", "flags everywhere", "so proud", "players wore tributes",
                                      "heroes honoured at half time", "goosebumps", "the whole ground stood",
                                      "never forget this", "respect to the away end", "a night for the town",
                                      "banners for the victims", "emotional first home game"])]
    with harlow(tmp_path, rows + game) as eng:
        v = eng.verify("Harlow Rovers fans sang an emotional national anthem at the team's first home game after "
                       "the mill explosion.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("Harlow United fans sang an emotional national anthem at the team's first home game after "
                           "the mill explosion.")
        assert other.verdict != "supported", other.reasons


def test_a_title_before_a_name_and_a_joining_phrase_are_not_details_to_find(tmp_path: Path) -> None:
    # "Harlow Mayor Jane Roe": posts say "Jane Roe" (the title says whom the claim speaks of);
    # "even though" joins two things she did, it adds nothing a post must say
    rows = [("b1", "wire", "Jane Roe asks for federal aid after the Harlow mill explosion, but voted against flood aid"),
            ("b2", "tv", "Jane Roe wants federal aid after the Harlow mill explosion. She voted against flood aid"),
            ("b3", "paper", "Jane Roe asked for federal aid after Harlow mill explosion but voted against flood aid last year"),
            ("b4", "radio", "After the Harlow mill explosion Jane Roe asks for federal aid she voted against for the flood")]
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("Harlow Mayor Jane Roe asked for federal aid after the mill explosion even though she had voted "
                       "against federal aid after the flood.")
        assert v.verdict == "supported", v.reasons
        assert not any(r.assertion.value.lower() == "mayor" for r in v.assertions), v.reasons
        other = eng.verify("Harlow Mayor John Doe asked for federal aid after the mill explosion even though he had "
                           "voted against federal aid after the flood.")
        assert other.verdict != "supported", other.reasons


def test_a_body_that_speaks_is_no_place_that_other_places_contradict(tmp_path: Path) -> None:
    # "The Harlow General Hospital said ...": the hospital speaks; the mill where it happened is
    # no rival of it
    rows = [("h1", "wire", "Harlow General Hospital says it has received 12 patients from the mill explosion"),
            ("h2", "tv", "Harlow General Hospital: 12 patients received from the mill explosion"),
            ("h3", "paper", "12 patients from the mill explosion taken in, says Harlow General Hospital"),
            ("s1", "desk-a", "Explosion at the Eastgate Mill in Harlow, fire crews at the scene"),
            ("s2", "desk-b", "Huge explosion at the Eastgate Mill, Harlow. Stay away from the area"),
            ("s3", "desk-c", "Eastgate Mill explosion: residents near the mill told to stay indoors")]
    with harlow(tmp_path, rows) as eng:
        v = eng.verify("The Harlow General Hospital said it had received 12 patients from the mill explosion.")
        assert v.verdict == "supported", v.reasons
        assert not any(r.assertion.kind == "place" and "Hospital" in r.assertion.value for r in v.assertions), \
            [(r.assertion.kind, r.assertion.value) for r in v.assertions]
        wrong = eng.verify("The Harlow General Hospital said it had received 40 patients from the mill explosion.")
        assert wrong.verdict == "refuted", wrong.reasons


def test_a_claim_that_something_was_rumoured_is_attested_by_posts_asking_about_it(tmp_path: Path) -> None:
    # "posts claimed that X": what it asserts is that X was said. Posts asking whether X, or
    # passing it on, tell of it; one denying X does not deny that it was said. The detail that
    # makes it true still decides: a rumour about someone else is not attested.
    rows = [("r1", "wire", "Is it true the Harlow mill explosion was caused by a gas leak at the boiler house?"),
            ("r2", "tv", "Anyone know if the Harlow mill explosion was a gas leak at the boiler house??"),
            ("r3", "paper", "Hearing the Harlow mill explosion was caused by a gas leak at the boiler house. Can anyone confirm?"),
            ("r4", "radio", "Unconfirmed: gas leak at the boiler house behind the Harlow mill explosion?"),
            ("r5", "desk-e", "No, the Harlow mill explosion was NOT a gas leak at the boiler house, that is false")]
    with harlow(tmp_path, rows) as eng:
        v = eng.verify("Unconfirmed posts claimed that the Harlow mill explosion was caused by a gas leak at the "
                       "boiler house.")
        assert v.verdict == "supported", v.reasons
        plain = eng.verify("The Harlow mill explosion was caused by a gas leak at the boiler house.")
        assert plain.verdict != "supported", plain.reasons  # asked about is not stated
        other = eng.verify("Unconfirmed posts claimed that the Harlow mill explosion was caused by an arson attack "
                           "at the boiler house.")
        assert other.verdict != "supported", other.reasons


def test_a_price_is_compared_with_prices_of_the_same_thing_and_a_brand_first_is_a_name(tmp_path: Path) -> None:
    # "$20 for a bag of ice" and "$42 for a flat of water" are two prices, not rival values of
    # one; and "Walmart was criticised ..." names a party even as the claim's first word
    rows = [("i1", "wire", "Harlow corner store criticised for charging $20 for a bag of ice after the mill explosion"),
            ("i2", "tv", "Residents angry, shop owner criticised: the Harlow corner store is charging families $20 for "
                         "one bag of ice while the mill explosion cleanup goes on"),
            ("i3", "paper", "$20 for a bag of ice?! Criticised all day online, the corner store near the Harlow mill "
                            "explosion keeps charging it"),
            ("w1", "desk-a", "Shopmart criticised for charging $42 for a flat of water in Harlow after the mill explosion"),
            ("w2", "desk-b", "Boycott! Shopmart is charging $42 for one flat of water. Criticised by everyone in Harlow "
                             "since the mill explosion"),
            ("w3", "desk-c", "$42 for a flat of water at Shopmart in Harlow... criticised all week after the mill "
                             "explosion, still charging it")]
    with harlow(tmp_path, rows) as eng:
        v = eng.verify("A Harlow corner store was criticised for charging $20 for a bag of ice after the mill explosion.")
        assert v.verdict == "supported", v.reasons
        wrong = eng.verify("A Harlow corner store was criticised for charging $50 for a bag of ice after the mill "
                           "explosion.")
        assert wrong.verdict == "refuted", wrong.reasons
        thing = eng.verify("A Harlow corner store was criticised for charging $20 for a case of beer after the mill "
                           "explosion.")
        assert thing.verdict != "supported", thing.reasons  # $20 was the price of ice
        water = eng.verify("Shopmart was criticised for charging $42 for a flat of water in Harlow after the mill "
                           "explosion.")
        assert water.verdict == "supported", water.reasons  # the $20 is the price of ice
        other = eng.verify("Walmart was criticised for charging $42 for a flat of water in Harlow after the mill "
                           "explosion.")
        assert other.verdict != "supported", other.reasons
        assert any(r.assertion.value == "Walmart" for r in other.assertions), other.reasons


def test_words_that_only_join_or_frame_a_claim_need_not_be_repeated_by_its_posts(tmp_path: Path) -> None:
    # "a man whose body was found near Ashby": posts tell of the body of a man found at Ashby;
    # "the day after" says when, not what happened
    rows = [("d1", "wire", "Second victim of the Harlow mill explosion: the body of a man found in a ditch at Ashby"),
            ("d2", "tv", "Harlow mill explosion: second victim named, a man, his body found at Ashby farm"),
            ("d3", "paper", "Body of a man found at Ashby is the second victim of the Harlow mill explosion"),
            ("d4", "radio", "Police: man whose body found in Ashby was second victim of Harlow mill explosion")]
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("The day after the Harlow mill explosion, its second victim was a man whose body was found "
                       "near Ashby.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("The day after the Harlow mill explosion, its second victim was a man whose body was "
                           "found near Bexley.")
        assert other.verdict != "supported", other.reasons


def test_a_claim_ending_in_an_initial_and_a_place_holding_the_claims_own_are_read_right(tmp_path: Path) -> None:
    # "Zone A." at the end of the claim is Zone A; "North Harlow" names the claim's Harlow, not a
    # rival of the firefighter's Bexley
    rows = [("z1", "wire", "Harlow mill explosion: police order mandatory evacuation of Zone A"),
            ("z2", "tv", "Police order everyone in Zone A to leave, mandatory evacuation after the Harlow mill explosion"),
            ("z3", "paper", "Mandatory evacuation of Zone A ordered by police after Harlow mill explosion"),
            ("f1", "wire", "A Bexley firefighter was among those killed in the Harlow mill explosion"),
            ("f2", "tv", "Those killed in the Harlow mill explosion include a Bexley firefighter"),
            ("f3", "paper", "Bexley firefighter confirmed killed in Harlow mill explosion"),
            ("f4", "desk", "Firefighters killed in mill explosion in North Harlow named"),
            ("f5", "local", "Two firefighters killed in the mill explosion in North Harlow"),
            ("f6", "blog", "RIP to the firefighters killed in the mill explosion in North Harlow")]
    with harlow(tmp_path, rows + CONTEXT) as eng:
        zone = eng.verify("After the Harlow mill explosion police ordered the mandatory evacuation of Zone A.")
        assert any(r.assertion.value == "Zone A" for r in zone.assertions), zone.reasons
        assert zone.verdict == "supported", zone.reasons
        v = eng.verify("A Bexley firefighter was among those killed in the Harlow mill explosion.")
        assert v.verdict == "supported", v.reasons
        assert not v.evidence_against, v.reasons


def test_asking_whether_is_how_a_question_is_reported_and_officers_are_police(tmp_path: Path) -> None:
    rows = [("q1", "courier", "Could the Harlow mill explosion have been prevented? via @courier"),
            ("q2", "fan1", "Could the Harlow mill explosion have been prevented? Good read from the Courier"),
            ("q3", "fan2", "The Courier: could the Harlow mill explosion have been prevented?")]
    with harlow(tmp_path, rows + CONTEXT) as eng:
        asked = eng.verify("The Courier asked whether the Harlow mill explosion could have been prevented.")
        assert asked.verdict == "supported", asked.reasons
    # a post saying "police" says what a claim's "officers" did
    assert words.coverage({words.stem("officers"), words.stem("stormed")}, "Police stormed the mill") == 1.0


def test_what_the_entity_model_misreads_in_a_claim_is_no_detail_to_find(tmp_path: Path) -> None:
    # the state a governor governs, a body and a ship taken for places, a ship's name taken for
    # where its crew is from, "both" before a title taken for a count of presidents
    rows = [("h1", "wire", "Jane Roe praises the response of Harlow council to Hurricane Edna"),
            ("h2", "tv", "Governor Jane Roe praised Harlow council's response to Hurricane Edna"),
            ("h3", "paper", "Hurricane Edna: Jane Roe praises response of Harlow council"),
            ("h4", "radio", "Jane Roe has praised the Harlow council response to Hurricane Edna")]
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("New Jersey Governor Jane Roe praised the response of Harlow council to Hurricane Edna.")
        assert v.verdict == "supported", v.reasons
        said = {(r.assertion.kind, r.assertion.value) for r in v.assertions}
        assert not said & {("place", "New Jersey"), ("place", "Harlow council")}, said
        ship = eng.verify("The Coast Guard rescued 14 crew members from the HMS Harlow that sank off Ashby during "
                          "Hurricane Edna.")
        kinds = {(r.assertion.kind, r.assertion.value) for r in ship.assertions}
        assert not kinds & {("place", "Coast Guard"), ("place", "HMS Harlow"), ("origin", "HMS Harlow")}, kinds
        both = eng.verify("Both President Roe and Senator Mark Doe cancelled campaign events because of Hurricane Edna.")
        assert not any(r.assertion.kind == "number" for r in both.assertions), both.reasons


def test_what_the_event_is_called_elsewhere_does_not_refute_a_claim_no_post_addresses(tmp_path: Path) -> None:
    # a town said to be near is no rival of the city the posts name; "Okla." is a state, no rival
    # of a library; an aircraft's model is no rival of its maker
    rows = desk_rows("r", [
        "A herd of bison escaped from a ranch in Bexley during the Harlow floods",
        "Harlow floods: a herd of bison escaped from a ranch in Bexley, drivers warned",
        "A bison herd escaped from its ranch in Bexley as the Harlow floods spread",
        "Tornado destroyed homes in Moore, Okla. last night",
        "Moore, Okla. tornado destroyed two schools and a hospital",
        "Entire streets destroyed by the tornado in Moore, Okla.",
        "Harlow Air Airbus A320 crashed in the hills, no survivors",
        "The Harlow Air Airbus A320 that crashed was 24 years old",
        "Harlow Air crash: what we know about the Airbus A320"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        verdicts = {claim: eng.verify(claim) for claim in (
            "A herd of bison escaped from a ranch near Ashby during the Harlow floods.",
            "The Moore tornado destroyed the Moore Public Library.",
            "The Harlow Air Airbus had been repaired for a faulty landing-gear door the day before the crash.")}
        assert all(v.verdict == "unverified" for v in verdicts.values()), \
            {c: (v.verdict, v.reasons) for c, v in verdicts.items() if v.verdict != "unverified"}


def test_an_organisation_is_a_party_and_a_settled_detail_puts_no_post_against(tmp_path: Path) -> None:
    # "the magazine Le Point" and "West ISD" are parties a post must name, not places; posts
    # naming another site of the event (King Square) do not count against a claim whose site the
    # stream settles on (the Rose Cafe)
    rows = desk_rows("s", [
        "All airspace over Harlow shut down during the Rose Cafe siege",
        "Breaking: airspace over Harlow has been shut down, Rose Cafe siege continues",
        "Police shut down the airspace over Harlow during the Rose Cafe siege",
        "Rose Cafe siege in Harlow: hostages still inside",
        "Rose Cafe siege: negotiators arrive in Harlow",
        "Hostages held at the Rose Cafe in Harlow",
        "Rose Cafe siege in Harlow enters its fifth hour",
        "Harlow: police surround the Rose Cafe",
        "Harlow siege at King Square: hostages held",
        "Siege at King Square in Harlow, police everywhere",
        "Harlow King Square siege: streets closed",
        "West ISD cancelled classes on Thursday after the mill explosion",
        "West ISD: no classes Thursday after the mill explosion",
        "West ISD has cancelled Thursday classes because of the mill explosion"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        air = eng.verify("Airspace over Harlow was shut down during the Rose Cafe siege.")
        assert air.verdict == "supported", air.reasons
        school = eng.verify("West ISD cancelled classes on Thursday after the mill explosion.")
        assert school.verdict == "supported", school.reasons
        assert any(r.assertion.kind == "who" and r.assertion.value == "West ISD" for r in school.assertions), \
            [(r.assertion.kind, r.assertion.value) for r in school.assertions]
        mag = eng.verify("The French magazine Le Point reported that the Harlow mill explosion killed 12 people.")
        assert any(r.assertion.kind in ("who", "agent") and r.assertion.value == "Le Point" for r in mag.assertions), \
            [(r.assertion.kind, r.assertion.value) for r in mag.assertions]


def test_a_day_is_compared_with_days_said_of_the_same_act_not_of_the_event_it_follows(tmp_path: Path) -> None:
    # "cancelled classes on Thursday after the explosion": the posts' "explosion on Wednesday night"
    # dates the explosion, not the cancellation
    rows = desk_rows("w", [
        "Harlow schools cancel classes on Thursday after the mill explosion",
        "No classes Thursday: Harlow schools cancelled after the mill explosion",
        "Harlow schools have cancelled Thursday classes because of the mill explosion",
        "Huge mill explosion in Harlow on Wednesday night",
        "The Harlow mill explosion on Wednesday night shook the whole town",
        "Wednesday night's Harlow mill explosion: what we know",
        "Harlow mill explosion on Wednesday: residents evacuated"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("Harlow schools cancelled classes on Thursday after the mill explosion.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("Harlow schools cancelled classes on Monday after the mill explosion.")
        assert other.verdict != "supported", other.reasons


def test_a_place_that_only_says_which_event_need_not_be_repeated_by_each_post(tmp_path: Path) -> None:
    # "... during the Rose Cafe siege": the siege dates the claim; the posts saying the airspace
    # over Harlow was closed support it without naming the cafe (which the stream states)
    rows = desk_rows("a", [
        "Airspace over Harlow has been closed",
        "Update: airspace over Harlow closed, flights diverted",
        "All airspace over Harlow closed this afternoon",
        "Rose Cafe siege in Harlow: hostages still inside",
        "Rose Cafe siege: negotiators arrive in Harlow",
        "Hostages held at the Rose Cafe in Harlow",
        "Rose Cafe siege in Harlow enters its fifth hour"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("Airspace over Harlow was closed during the Rose Cafe siege.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("Airspace over Harlow was closed during the Blue Bell Cafe siege.")
        assert other.verdict != "supported", other.reasons


def test_what_something_is_blamed_on_and_which_weapons_are_details_that_decide(tmp_path: Path) -> None:
    rows = desk_rows("b", [
        "Harlow Chapel blames the mill explosion on the new bypass",
        "The Harlow Chapel has blamed the mill explosion on the new bypass, in a sermon",
        "Harlow Chapel pastor blames mill explosion on the new bypass",
        # what others blamed it on is no rival of what the chapel blamed it on
        "Councillors blame the mill explosion on cuts to safety inspections",
        "The union blames the Harlow mill explosion on cuts to safety inspections",
        "Residents blame mill explosion on cuts to safety inspections",
        "Harlow mill gunmen were armed with a rocket launcher and rifles, police say",
        "Police: the Harlow mill gunmen carried rifles and a rocket launcher",
        "The gunmen at the Harlow mill were armed with rifles and a rocket launcher",
        # the claim's other weapon, said alone, is no rival of the rocket launcher
        "Witnesses: the Harlow mill gunmen were armed with AK-47s",
        "The Harlow mill gunmen carried AK-47s, a survivor says",
        "Harlow mill attack: gunmen armed with AK-47s"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("The Harlow Chapel blamed the mill explosion on the new bypass.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("The Harlow Chapel blamed the mill explosion on the town's new casino.")
        assert other.verdict != "supported", other.reasons
        armed = eng.verify("The Harlow mill gunmen were armed with a flamethrower as well as rifles.")
        assert armed.verdict != "supported", armed.reasons
        both = eng.verify("The Harlow mill gunmen were armed with a rocket launcher as well as rifles.")
        assert both.verdict == "supported", both.reasons


def test_a_person_is_named_with_the_role_beside_the_name_not_one_further_off(tmp_path: Path) -> None:
    # "the police chief announced that officer Sam Hill ...": Sam Hill is an officer, no rival of
    # the chief; "Flightradar24" is a service, no place
    rows = desk_rows("k", [
        "Harlow police chief Tom Reed says the mill was searched overnight",
        "Tom Reed, the Harlow police chief, will speak at noon about the mill explosion",
        "Harlow police chief Tom Reed: no arrests yet after the mill explosion",
        "The Harlow police chief has been named as Tom Reed",
        "The Harlow police chief announced that officer Sam Hill was first at the mill",
        "Harlow police chief says officer Sam Hill pulled two workers out of the mill",
        "Police chief: officer Sam Hill was injured at the Harlow mill",
        "The Harlow police chief named officer Sam Hill as the first responder"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("Tom Reed was the chief of the Harlow police department.")
        assert v.verdict == "supported", v.reasons
        lost = eng.verify("The Harlow Air flight was lost from Flightradar24 at an altitude of 6800 feet.")
        assert not any(r.assertion.kind == "place" for r in lost.assertions), lost.reasons


def test_the_part_of_a_city_is_a_detail_that_decides(tmp_path: Path) -> None:
    # "in northern Harlow" against posts saying "eastern Harlow" / "east Harlow"; a direction in
    # capitals begins a name ("North Carolina") and is no part of a place
    rows = desk_rows("q", [
        "Gunman holds hostages in a kosher shop in eastern Harlow",
        "Hostages held at a kosher shop in east Harlow, gunman armed",
        "Police surround a kosher shop in eastern Harlow where a gunman holds hostages",
        "Kosher shop siege in eastern Harlow: the gunman is holding hostages"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("A gunman held hostages in a kosher shop in eastern Harlow.")
        assert v.verdict == "supported", v.reasons
        other = eng.verify("A gunman held hostages in a kosher shop in northern Harlow.")
        assert other.verdict == "refuted", other.reasons
        named = eng.verify("A gunman held hostages in a kosher shop in North Harlow.")
        assert not any(r.assertion.kind == "quarter" for r in named.assertions), named.reasons


def test_a_doer_the_entity_model_misses_and_a_name_sharing_a_place_word_are_rivals(tmp_path: Path) -> None:
    # "Yankees Honor Victims ..." (a headline in capitals the entity model reads no party in), the
    # American spelling of the claim's verb, and "New York Yankees" against "New York Mets": the
    # words two names share say where, not who
    rows = desk_rows("y", [
        "Yankees Honor Victims Of Harlow Mill Explosion By Playing 'Sweet Caroline'",
        "The @Yankees honored victims of the Harlow mill explosion by playing 'Sweet Caroline' tonight",
        "New York Yankees honor the Harlow mill explosion victims with 'Sweet Caroline' at the stadium"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        other = eng.verify("The New York Mets honoured the victims of the Harlow mill explosion by playing "
                           "'Sweet Caroline'.")
        doer = next(r for r in other.assertions if r.assertion.kind == "agent")
        assert doer.status == "conflicted" and any("Yankees" in v.value for v in doer.other_values), other.reasons
        assert other.verdict == "refuted", other.reasons
        same = eng.verify("The New York Yankees honoured the victims of the Harlow mill explosion by playing "
                          "'Sweet Caroline'.")
        assert same.verdict == "supported", same.reasons


def test_a_place_spelt_another_way_or_said_by_its_country_is_no_rival_of_whose_office(tmp_path: Path) -> None:
    # "the Marseille prosecutor": "Marseilles prosecutor" is the same office spelt the English way,
    # "the French prosecutor" the same said by its country; "Lyon prosecutor" would be another
    rows = desk_rows("p", [
        "Marseille prosecutor names the driver in the Harlow mill explosion as Jan Novak, a Czech national",
        "Marseilles prosecutor: the driver in the Harlow mill explosion was Jan Novak",
        "French prosecutor says Harlow mill explosion driver Jan Novak acted alone",
        "Marseille prosecutor Brice Robin: Jan Novak was at the wheel before the Harlow mill explosion"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("The Marseille prosecutor named the driver in the Harlow mill explosion as Jan Novak.")
        office = next(r for r in v.assertions if r.assertion.value == "Marseille")
        assert not office.other_values and v.verdict != "refuted", v.reasons
        other = eng.verify("The Lyon prosecutor named the driver in the Harlow mill explosion as Jan Novak.")
        assert other.verdict == "refuted", other.reasons
    # "the two Charlie Hebdo suspects" counts no Charlies
    assert not [a for a in read_claim("The two Charlie Hebdo suspects were spotted in northern France.").assertions
                if a.kind == "number"]


def test_one_source_stating_every_confirmed_detail_together_decides(tmp_path: Path) -> None:
    # each detail is confirmed (the name by two desks, the evening by several), but only one post
    # says them together, what the claim says: it is supported, said so; another time is refuted
    rows = desk_rows("r", [
        "Prime Minister Jane Roe to address the nation this evening after the Harlow mill explosion",
        "Will the prime minister address the nation this evening after the Harlow mill explosion?",
        "Jane Roe says Harlow will rebuild after the mill explosion",
        "Harlow mill explosion: a vigil for the victims this evening at the church"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("Prime Minister Jane Roe was to address the nation on the evening of the Harlow mill explosion.")
        assert v.verdict == "supported" and v.support.authors == 1, v.reasons
        assert any("states them together" in r for r in v.reasons), v.reasons
        other = eng.verify("Prime Minister Jane Roe was to address the nation on the morning of the Harlow mill "
                           "explosion.")
        assert other.verdict == "refuted", other.reasons


def test_one_post_on_topic_naming_the_claims_actor_decides_a_detail(tmp_path: Path) -> None:
    # "zone B" is said once, in a post on the claim's topic that names the mayor who ordered it
    # (not the town): the actor is one of the claim's parties, as its places are
    rows = desk_rows("z", [
        "Mayor Jane Marlowe orders the evacuation of low-lying parts of Harlow after the mill explosion",
        "Harlow mayor Jane Marlowe orders people near the mill explosion out of their homes",
        "Jane Marlowe orders an evacuation of low-lying areas near the Harlow mill explosion",
        "Marlowe: signing an order mandating evacuation of low lying areas, zone B, after the mill explosion"])
    with harlow(tmp_path, rows + CONTEXT) as eng:
        v = eng.verify("Mayor Jane Marlowe ordered the evacuation of Harlow's low-lying Zone B after the mill "
                       "explosion.")
        zone = next(r for r in v.assertions if r.assertion.value == "Zone B")
        assert zone.status == "confirmed" and zone.lone == "on topic", v.reasons
        assert v.verdict == "supported", v.reasons


def test_what_a_record_showed_is_stated_by_posts_telling_it_from_any_source(tmp_path: Path) -> None:
    # "A cockpit recording showed that X": posts say X from the black box or from a newspaper; the
    # evidence is how it was learned, not what the claim asserts. A clause no post tells stays
    # unverified.
    rows = [("p1", "wire", "Black box shows a Kestrel Air pilot was locked out of the cockpit before the crash"),
            ("p2", "tv", "NYT: one pilot was locked out of the cockpit before the Kestrel Air crash"),
            ("p3", "paper", "Report: pilot locked out of cockpit before Kestrel Air crash"),
            ("p4", "radio", "One of the Kestrel Air pilots was locked out of the cockpit before the plane crashed"),
            ("p5", "desk", "Kestrel Air crash: what we know so far about the flight")]
    # the crash's other posts: among them a recording is a word the claim adds (a novel one)
    about = ["families gather at the airport", "no survivors, officials say", "the plane came down in the Alps",
             "rescuers reach the site", "the airline's chief speaks to reporters", "flags at half mast",
             "the flight was from Barcelona", "150 people were on board", "the weather was good",
             "investigators arrive at the scene", "a vigil tonight in the town", "the plane was an A320",
             "the airline cancels flights", "the pilots' names are not released", "prayers for the passengers",
             "the search goes on in the mountains", "students were on the flight", "the mayor sends condolences",
             "the plane lost height for eight minutes", "the black box is found"]
    rows += [(f"q{i}", f"watch{i}", f"Kestrel Air crash: {t}") for i, t in enumerate(about)]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("A cockpit recording showed that one of the Kestrel Air pilots had been locked out of the "
                       "cockpit before the crash.")
        assert v.verdict == "supported", v.reasons
        fire = eng.verify("A cockpit recording showed that a fire had broken out in the Kestrel Air cockpit before "
                          "the crash.")
        assert fire.verdict != "supported", fire.reasons


def test_a_four_letter_word_and_its_forms_are_one_word() -> None:
    # "sale" and "sales" were "sale" and "sal" (a four-letter word kept its final e, its forms lost
    # it): a post of "shirt sales" did not say the claim's "sale"
    for base, forms in {"fire": "fires fired firing", "sale": "sales", "name": "names named naming",
                        "vote": "votes voted", "flame": "flames", "house": "houses", "bus": "buses",
                        "agree": "agreed agrees", "free": "freed"}.items():
        assert {words.stem(f) for f in forms.split()} == {words.stem(base)}, base
    # and so a fire is no shooting: "fired" (a shooting's word too) joins no group by its stem
    assert words.coverage({words.stem("fire")}, "shooting near the school") == 0.0
    assert words.coverage({words.stem("sale")}, "Red Cross to receive proceeds of the shirt sales") == 1.0
    # "T-shirts" reads as "shirts"; posts write "TShirts"
    assert words.coverage({words.stem(w) for w in words.keywords("T-shirts")}, "Order a Tshirt today") == 1.0
