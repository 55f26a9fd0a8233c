"""General readings that blind set 4's misses called for (docs/verify.md, "Blind set 4's classes
of failure, read generally"): a part of a count with its qualifier, a person's occupation, a
measure's unit read by its head noun, an actor that is any named party doing the claim's verb.
Real engines over hand-written posts about invented events; no shared data."""

from __future__ import annotations

from pathlib import Path

from conftest import NOISE, engine_with, posts, with_noise


def detail(v, kind: str, role: str | None = None, value: str | None = None):
    got = [r for r in v.assertions if r.assertion.kind == kind and (role is None or r.assertion.role == role)
           and (value is None or value in r.assertion.value)]
    assert got, [(r.assertion.kind, r.assertion.role, r.assertion.value) for r in v.assertions]
    return got[0]


def test_a_part_of_a_count_with_its_qualifier_is_a_detail_of_its_own(tmp_path: Path) -> None:
    # "200 injured, 40 of them critically": the 40 is the count of the critically injured. The
    # claim's part is checked against the parts posts give with the same qualifier (a claim of
    # 90 critically injured is refuted by the 40, not confirmed by the 200), and a post's part
    # is no rival of the whole.
    rows = [("p1", "wire", "At least 200 people injured in the Harlow mill explosion, 40 critically, officials say"),
            ("p2", "tv", "Harlow mill explosion: 200 injured, 40 of those critical, dozens of homes destroyed"),
            ("p3", "paper", "Officials: at least 200 hurt in Harlow mill explosion (40 critically)"),
            ("p4", "radio", "Harlow mill explosion update: 200 injured, 40 of them critically")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("At least 200 people were injured in the Harlow mill explosion, 40 of them critically.")
        assert v.verdict == "supported", v.reasons
        whole = detail(v, "number", "injured", "200")
        assert whole.status == "confirmed" and whole.conflict.authors == 0, whole.summary
        wrong = eng.verify("At least 200 people were injured in the Harlow mill explosion, 90 of them critically.")
        assert wrong.verdict == "refuted", wrong.reasons
        part = detail(wrong, "number", "injured", "90")
        assert part.status == "conflicted" and part.conflict.authors >= 2, part.summary
    finally:
        eng.close()


def test_a_persons_occupation_is_rivalled_by_another_trade_not_by_what_else_they_are(tmp_path: Path) -> None:
    # "Jane Roe, a police officer": posts that call her a cop or a police officer confirm it and
    # refute "a firefighter"; "a mother of two", "the first victim" are no trades, so no rivals.
    rows = [("o1", "wire", "Jane Roe, a local police officer, was the first victim of the Harlow mill attack"),
            ("o2", "tv", "RIP Jane Roe, a Harlow cop, first victim of the mill attack #HarlowMill"),
            ("o3", "paper", "Harlow mill attack: police officer Jane Roe was the first victim, a mother of two"),
            ("o4", "radio", "Jane Roe, the first victim of the Harlow mill attack, was a mother of two")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("Jane Roe, a police officer, was the first victim of the Harlow mill attack.")
        assert v.verdict == "supported", v.reasons
        d = detail(v, "occupation")
        assert d.status == "confirmed" and d.confirm.authors >= 2 and d.conflict.authors == 0, d.summary
        wrong = eng.verify("Jane Roe, a firefighter, was the first victim of the Harlow mill attack.")
        assert wrong.verdict == "refuted", wrong.reasons
        d = detail(wrong, "occupation")
        assert d.status == "conflicted" and d.conflict.authors >= 2, d.summary
    finally:
        eng.close()


def test_an_occupation_no_post_speaks_of_leaves_nothing_open(tmp_path: Path) -> None:
    # "painted by Jane Roe, a local painter": a trade of which no post says anything (no post
    # gives her any trade) is no decisive detail left unaddressed; "the artist Jane Roe" (a
    # title before the name) only says whom the claim speaks of and asserts no trade at all.
    rows = [("m1", "wire", "The Harlow flood mural was actually painted by Jane Roe, and not by Banksy as shared"),
            ("m2", "tv", "Turns out the viral Harlow flood mural was actually painted by Jane Roe herself"),
            ("m3", "paper", "Council confirms the Harlow flood mural was actually painted by Jane Roe last spring"),
            ("m4", "radio", "Mystery solved: the Harlow flood mural was actually painted by Jane Roe, not Banksy")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The Harlow flood mural was actually painted by Jane Roe, a local painter.")
        assert detail(v, "agent").status == "confirmed"
        d = detail(v, "occupation")
        assert d.status == "unaddressed" and d.confirm.posts == 0 and not d.other_values
        # the verdict is left to the rest of the claim, not held open by it
        assert not any("state the claim's occupation" in r for r in v.reasons), v.reasons
        assert v.verdict == "supported", v.reasons
        titled = eng.verify("The Harlow flood mural was actually painted by the artist Jane Roe.")
        assert not [r for r in titled.assertions if r.assertion.kind == "occupation"], titled.reasons
        assert titled.verdict == "supported", titled.reasons
    finally:
        eng.close()


def test_a_unit_said_as_a_noun_phrase_is_read_by_its_head(tmp_path: Path) -> None:
    # "630 flight hours" counts hours (of flight), not flights: posts counting flights are no
    # rival of it, posts saying the hours are; "12 car bombs" is also stated as "12 bombs".
    rows = [("f1", "wire", "Harlow Air crash: the co-pilot had flown 4 flights that day, the airline says"),
            ("f2", "tv", "Harlow Air crash co-pilot flew 4 flights on the day of the crash"),
            ("f3", "paper", "The Harlow Air co-pilot made 4 flights before the crash, the airline said"),
            ("c1", "sky", "Harlow market attack: 12 car bombs went off across the city, police say"),
            ("c2", "bbc", "Police: 12 bombs exploded in the Harlow market attack"),
            ("c3", "cnn", "Harlow market attack: twelve car bombs went off, police confirm")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The Harlow Air co-pilot had logged about 630 flight hours before the crash.")
        assert v.verdict == "unverified", v.reasons
        d = detail(v, "number")
        assert d.assertion.role == "n:flight hour" and d.conflict.authors == 0, d.summary
        bombs = eng.verify("Twelve car bombs went off in the Harlow market attack.")
        assert bombs.verdict == "supported", bombs.reasons
        wrong = eng.verify("Thirty car bombs went off in the Harlow market attack.")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_a_site_is_the_events_only_when_said_with_it(tmp_path: Path) -> None:
    # "bought fireworks at a shop": the shop is where they bought, not the site of the blast; a
    # post's "fertilizer plant explosion" is no rival of it (a claim's site said with the event's
    # word still is: "the explosion happened at an oil refinery").
    rows = [("s1", "wire", "Harlow bombing: a fertilizer plant explosion is being investigated, police say"),
            ("s2", "tv", "Harlow bombing suspects linked to the fertilizer plant explosion, police say"),
            ("s3", "paper", "Police say the Harlow bombing suspects caused the fertilizer plant explosion"),
            ("s4", "radio", "Harlow bombing: the fertilizer plant explosion was the suspects' work, police say")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The Harlow bombing suspects bought fireworks at a shop in Dunmore to get powder.")
        assert v.verdict == "unverified", v.reasons
        assert not [r for r in v.assertions if r.assertion.kind == "kind"], v.reasons
        site = eng.verify("The Harlow bombing suspects caused an explosion at an oil refinery.")
        assert site.verdict == "refuted", site.reasons
    finally:
        eng.close()


def test_an_actor_the_entity_model_misses_is_read_by_its_grammar(tmp_path: Path) -> None:
    # "The Pittsburgh Penguins played the anthem": the subject of the claim's verb is its actor,
    # whatever the entity model made of its words (here: a city and a common noun). A post naming
    # it with what was done ("the anthem") confirms; a place's name with capitalised words after it
    # doing the verb ("Pittsburgh Penguins announce they'll play") is an organisation, a rival of
    # another team said to have done it.
    rows = [("k1", "wire", "Pittsburgh Penguins announce they'll play the Canadian national anthem before tonight's game"),
            ("k2", "tv", "A nice touch from the Pittsburgh Penguins: the Canadian national anthem before tonight's game"),
            ("k3", "paper", "The Pittsburgh Penguins will also have the Canadian national anthem before the game tonight"),
            ("k4", "radio", "Toronto Maple Leafs to play the Canadian national anthem before the game tonight, team says")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The Pittsburgh Penguins played the Canadian national anthem before their game.")
        assert v.verdict == "supported", v.reasons
        d = detail(v, "agent")
        assert d.status == "confirmed" and d.confirm.authors >= 2, d.summary
        # another team's name said doing the verb is a rival
        assert any("Maple Leafs" in o.value for o in d.other_values), d.other_values
    finally:
        eng.close()


def test_a_count_of_people_of_a_kind_is_read_from_posts_naming_the_event(tmp_path: Path) -> None:
    # "five firefighters ... killed": a count of people of a kind the claim names is specific, so
    # a post naming the claim's place counts for it (as a count of any noun does), not only a post
    # repeating the claim's words ("early reports said ... had been killed").
    rows = [("w1", "wire", "KHRL: 5 firefighters dead at the Harlow, Texas blast site"),
            ("w2", "tv", "FIVE FIREFIGHTERS DEAD IN HARLOW TEXAS BLAST. PRAY"),
            ("w3", "paper", "Harlow, Texas blast: at least 5 firefighters dead #HarlowTX"),
            ("w4", "radio", "Sheriff: five firefighters dead in Harlow, Texas")]
    # hours later the toll grew: what "early reports said" is not rivalled by the later count
    later = [("x1", "news9", "UPDATE Harlow, Texas: 6 firefighters now confirmed dead"),
             ("x2", "kfox", "Harlow, Texas toll: six firefighters confirmed dead")]
    eng = engine_with(tmp_path, posts(rows) + posts(later, 300) + posts(NOISE, 400))
    try:
        v = eng.verify("Early reports said five firefighters had been killed in the explosion in Harlow, Texas.")
        assert v.verdict == "supported", v.reasons
        wrong = eng.verify("Early reports said twenty firefighters had been killed in the explosion in Harlow, Texas.")
        assert wrong.verdict == "refuted", wrong.reasons
        d = detail(wrong, "number")
        assert d.status == "conflicted" and d.conflict.authors >= 2, d.summary
    finally:
        eng.close()


def test_a_clock_time_in_a_zone_is_a_time_not_a_place(tmp_path: Path) -> None:
    # "at 09:39 UTC": a time of day in a named zone (not a place "UTC"), compared in UTC with the
    # zoned times posts give ("09.39 UTC", "10:39 CET" is the same minute); "11:39 UTC" is refuted.
    rows = [("t1", "wire", "Harlow Air flight HA12 was lost from radar at 09:39 UTC over the Alps"),
            ("t2", "tv", "Harlow Air flight HA12 disappeared from radar at 09.39 UTC time"),
            ("t3", "paper", "Harlow Air HA12 lost from radar at 10:39 CET, the airline says"),
            ("t4", "radio", "Radar lost Harlow Air flight HA12 at 09:39 UTC, tracking sites show")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("Harlow Air flight HA12 was lost from radar at about 09:39 UTC.")
        assert v.verdict == "supported", v.reasons
        assert not [r for r in v.assertions if r.assertion.kind == "place"], v.reasons
        d = detail(v, "time")
        assert d.status == "confirmed" and d.confirm.authors >= 3, d.summary
        wrong = eng.verify("Harlow Air flight HA12 was lost from radar at about 11:39 UTC.")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_where_an_actor_did_it_is_said_by_posts_naming_the_actor(tmp_path: Path) -> None:
    # "Tony Roe visited flood-affected areas of Queensland": the place is where the actor's act
    # was; posts on other flood-affected areas (Victoria's) that do not name the actor say nothing
    # of where he went, so they no longer confirm "visited areas of Victoria".
    rows = [("a1", "wire", "Tony Roe is visiting flood affected areas of Queensland today"),
            ("a2", "tv", "Watching Tony Roe touring the flood scene in Queensland, meeting evacuees"),
            ("a3", "paper", "Opposition leader Tony Roe visits flood-hit Queensland towns")]
    other = [("v1", "ses", "Flood affected areas of Victoria are cut off, the SES says"),
             ("v2", "bom", "More rain tonight for flood affected areas of Victoria"),
             ("v3", "abc", "Flood-affected areas of Victoria brace for more rain this week")]
    eng = engine_with(tmp_path, posts(rows) + posts(other, 10) + posts(NOISE, 30))
    try:
        v = eng.verify("Opposition leader Tony Roe visited flood-affected areas of Queensland.")
        assert v.verdict == "supported", v.reasons
        wrong = eng.verify("Opposition leader Tony Roe visited flood-affected areas of Victoria.")
        assert wrong.verdict != "supported", wrong.reasons
        d = detail(wrong, "place")
        assert d.confirm.posts == 0, d.summary
    finally:
        eng.close()


def test_a_post_telling_of_another_kind_of_event_is_not_on_the_claims_topic(tmp_path: Path) -> None:
    # "A fire destroyed the fairgrounds" shares every other word with posts saying a flood did:
    # they are about another kind of event, and support nothing of it (in a stream too small for
    # the claim's rare words to be told apart by how few posts use them).
    rows = [("f1", "wire", "Flood destroyed the Harlow fairgrounds overnight, officials say"),
            ("f2", "tv", "The Harlow fairgrounds were destroyed by the flood"),
            ("f3", "paper", "Harlow fairgrounds destroyed as the flood peaked"),
            ("f4", "radio", "Flood waters destroyed most of the Harlow fairgrounds")]
    eng = with_noise(tmp_path, rows)
    try:
        fire = eng.verify("A fire destroyed the Harlow fairgrounds.")
        assert fire.verdict != "supported", fire.reasons
        flood = eng.verify("A flood destroyed the Harlow fairgrounds.")
        assert flood.verdict == "supported", flood.reasons
    finally:
        eng.close()


def test_a_hyphenated_place_is_one_name_said_with_or_without_its_accents(tmp_path: Path) -> None:
    # "Saint-Rémy-en-Vaux" is one village, not the places "Saint", "Rémy" and "Vaux"; posts write it
    # without its accents, with spaces, or as a hashtag. Another village is not supported by them
    # (refuting it needs two sources naming the village alike: the entity model reads "Saint Remy en
    # Vaux" as "Saint Remy", and a post's whole village in capitals and accents as a building).
    rows = [("v1", "wire", "Police have cornered the two suspects in Saint-Remy-en-Vaux, north of Harlow"),
            ("v2", "tv", "The two suspects are cornered by police in Saint Remy en Vaux, officials say"),
            ("v3", "paper", "#SaintRemyEnVaux: police cornered the two suspects in a warehouse"),
            ("v4", "radio", "Two suspects cornered by police in Saint-Rémy-en-Vaux, north of Harlow")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Police cornered the two suspects in Saint-Rémy-en-Vaux.")
        assert v.verdict == "supported", v.reasons
        place = detail(v, "place")
        assert place.assertion.value == "Saint-Rémy-en-Vaux" and place.status == "confirmed", place.summary
        v = eng.verify("Police cornered the two suspects in Fontaine-sur-Lys.")
        assert v.verdict != "supported", v.reasons
        assert detail(v, "place").assertion.value == "Fontaine-sur-Lys"
