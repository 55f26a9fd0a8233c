"""What became of something, and when a claim is dated by its event (docs/verify.md, "Outcomes,
and the phrase that dates a claim"). Real engines over hand-written posts about invented events;
no shared data."""

from __future__ import annotations

from pathlib import Path

from conftest import NOISE, engine_with, posts, with_noise


def outcome(v):
    got = [r for r in v.assertions if r.assertion.kind == "outcome"]
    assert got, [(r.assertion.kind, r.assertion.role, r.assertion.value) for r in v.assertions]
    return got[0]


def test_an_outcome_the_stream_states_otherwise_refutes_the_claim(tmp_path: Path) -> None:
    # The patients were released: a claim that they died states every other detail right (four
    # patients, Harlow General) and is refuted by what became of them. A firefighter who died is
    # not one of the patients: it says nothing of them.
    rows = [("p1", "wire", "All 4 patients taken to Harlow General after the mill fire have been released"),
            ("p2", "tv", "Harlow General says the four patients from the mill fire were released this evening"),
            ("p3", "paper", "Mill fire: the 4 patients at Harlow General were discharged, hospital spokesperson says"),
            ("p4", "radio", "A firefighter hurt in the Harlow mill fire has died"),
            ("p5", "desk", "Firefighter dies after the Harlow mill fire, officials say")]
    with with_noise(tmp_path, rows) as eng:
        died = eng.verify("All four patients taken to Harlow General after the mill fire later died.")
        assert died.verdict == "refuted", died.reasons
        r = outcome(died)
        assert r.status == "conflicted" and "survived" in {v.value for v in r.other_values}, r.summary
        released = eng.verify("All four patients taken to Harlow General after the mill fire were later released.")
        assert released.verdict == "supported", released.reasons
        assert outcome(released).status == "confirmed"


def test_an_outcome_is_said_of_the_thing_the_claim_names(tmp_path: Path) -> None:
    # "The Denver Marathon goes ahead" says nothing of the Chicago Marathon: only posts naming the
    # Chicago Marathon tell what became of it.
    rows = [("m1", "wire", "Chicago Marathon to go ahead on Sunday despite the mill fire, organisers say"),
            ("m2", "tv", "Organisers: the Chicago Marathon will go ahead despite the mill fire"),
            ("m3", "paper", "The Chicago Marathon goes ahead as planned after the mill fire"),
            ("d1", "radio", "Denver Marathon cancelled after the storm"),
            ("d2", "desk", "Storm: organisers cancel the Denver Marathon")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Organisers cancelled the Chicago Marathon because of the mill fire.")
        assert v.verdict == "refuted", v.reasons
        assert outcome(v).status == "conflicted"
        assert eng.verify("The Chicago Marathon went ahead despite the mill fire.").verdict != "refuted"


def test_an_outcome_nobody_states_leaves_the_claim_to_its_other_details(tmp_path: Path) -> None:
    # An outcome is a check: when no post says what became of the bakery, the count decides.
    rows = [("r1", "wire", "12 people hurt in the Harlow mill fire, officials say"),
            ("r2", "tv", "Harlow mill fire: 12 injured"),
            ("r3", "paper", "Twelve people were injured in the mill fire in Harlow")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Twelve people were injured in the Harlow mill fire, and the bakery next to it was closed.")
        assert v.verdict == "supported", v.reasons


def test_a_claim_dated_by_its_event_is_stated_by_posts_that_do_not_name_the_event(tmp_path: Path) -> None:
    # "on the day of the mill fire" says when: posts telling of the explosion at the library need
    # not name the fire, the day or the early reports to state what the claim says.
    rows = [("l1", "wire", "Police confirm a second explosion at the Harlow Library"),
            ("l2", "tv", "Explosion reported at Harlow Library, police say"),
            ("l3", "paper", "BREAKING: explosion at the Harlow Library, police confirm"),
            ("f1", "radio", "Harlow mill fire: crews on the scene, smoke over the town"),
            ("f2", "desk", "The mill fire in Harlow is under control, the fire service says")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Early reports on the day of the mill fire said there had also been an explosion "
                       "at the Harlow Library.")
        assert v.verdict == "supported", v.reasons


def test_what_the_early_reports_said_is_stated_without_the_words_that_date_it(tmp_path: Path) -> None:
    # Among many posts about the fire, few say "early": "early reports ... said" is when it was
    # said, and posts telling of the explosion at the library state what the claim says.
    fire = [(f"m{i}", f"desk{i}", f"Harlow mill fire, day {i + 1}: crews still on the scene, the fire service reports")
            for i in range(24)]
    rows = [("l1", "wire", "Police confirm a second explosion at the Harlow Library"),
            ("l2", "tv", "Explosion reported at Harlow Library, police say"),
            ("l3", "paper", "BREAKING: explosion at the Harlow Library, police confirm")]
    with engine_with(tmp_path, posts(rows) + posts(fire, 10) + posts(NOISE, 40)) as eng:
        v = eng.verify("Early reports on the day of the mill fire said there had also been an explosion "
                       "at the Harlow Library.")
        assert v.verdict == "supported", v.reasons


def test_a_name_after_another_of_the_claims_places_is_no_rival(tmp_path: Path) -> None:
    # "The Chicago Marathon goes ahead despite the Denver blasts": posts saying the Denver Marathon
    # goes ahead too name the claim's other place's own race, not another race where the claim's was.
    rows = [("h1", "wire", "Chicago Marathon to go ahead despite the Denver blasts, organisers say"),
            ("h2", "tv", "Organisers: the Chicago Marathon will go ahead on Sunday despite the Denver blasts"),
            ("h3", "paper", "Chicago Marathon goes ahead as planned, Denver blasts or not"),
            ("d1", "radio", "Organisers say the Denver Marathon will go ahead in spite of the Denver blasts"),
            ("d2", "desk", "Denver Marathon organisers: the race will go ahead despite the blasts"),
            ("d3", "blog", "The Denver Marathon goes ahead despite the Denver blasts, organisers confirm")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Organisers said the Chicago Marathon would go ahead despite the Denver blasts.")
        assert v.verdict == "supported", v.reasons


def test_an_outcome_in_a_reported_clause_is_said_of_its_subject(tmp_path: Path) -> None:
    # "confirmed that the firefighter shot at the library had died": the parser gives "died" no
    # subject of its own; the firefighter is what it is said of, and posts saying the firefighter
    # survived refute it.
    rows = [("w1", "wire", "The firefighter shot at the Harlow Library survived and is recovering, Mayor Anna Kowal says"),
            ("w2", "tv", "Mayor Anna Kowal: the firefighter shot at Harlow Library is alive and in stable condition"),
            ("w3", "paper", "Harlow Library shooting: the firefighter survived, Mayor Anna Kowal confirms")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Mayor Anna Kowal confirmed that the firefighter shot at the Harlow Library had died.")
        assert outcome(v).assertion.noun == "firefighter"
        assert v.verdict == "refuted", v.reasons


def test_a_plan_for_a_later_year_is_not_contradicted_by_when_posts_were_made(tmp_path: Path) -> None:
    # "said it would open the wing in 2031": posts made years before say nothing against it by their
    # own dates, nor for it by a "Monday" (a weekday says nothing of a year). Nobody states the year:
    # unverified, not refuted.
    rows = [("a1", "wire", "The Harlow Museum will announce its plans for the new wing on Monday"),
            ("a2", "tv", "Harlow Museum to decide on Monday whether to build a new wing"),
            ("a3", "paper", "Harlow Museum announces a new wing today, opening date to follow"),
            ("a4", "radio", "Big news from the Harlow Museum today: a new wing is coming"),
            ("a5", "desk", "The Harlow Museum says a new wing is on the way, details today")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("The Harlow Museum said it would open its new wing to the public in 2031.")
        assert v.verdict == "unverified", v.reasons
        date = [r for r in v.assertions if r.assertion.kind == "date"][0]
        assert date.confirm.posts == 0 and not date.other_values, date.summary


def test_a_floor_far_below_a_count_does_not_state_it(tmp_path: Path) -> None:
    # "at least 120 injured" is consistent with 310 injured and with every larger toll: it states
    # neither. Posts giving the count (130) refute a claim of 310; a claim of "at least 100" stays
    # supported by all of them.
    rows = [("f1", "wire", "At least 120 injured in the Harlow mill explosion"),
            ("f2", "tv", "Harlow mill explosion: more than 120 people injured"),
            ("f3", "paper", "Over 120 hurt in Harlow mill explosion, police say"),
            ("c1", "radio", "Harlow police: 130 people were injured in the mill explosion"),
            ("c2", "desk", "Police now say 130 injured in the Harlow mill explosion")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Harlow police said 310 people were injured in the mill explosion.")
        assert v.verdict == "refuted", v.reasons
        floor = eng.verify("At least 100 people were injured in the Harlow mill explosion.")
        assert floor.verdict == "supported", floor.reasons


def test_a_name_that_opens_the_claim_is_a_name(tmp_path: Path) -> None:
    # "Google donated ...": a first word the parser reads as a proper noun is a party, though it is
    # a common word too; posts saying Microsoft gave the money contradict the claim.
    rows = [("g1", "wire", "Microsoft donates $1 million to the Harlow flood relief fund"),
            ("g2", "tv", "Harlow flood relief fund gets $1 million from Microsoft"),
            ("g3", "paper", "Microsoft gives $1 million to Harlow flood relief")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Google donated $1 million to the Harlow flood relief fund.")
        assert v.verdict != "supported", v.reasons
        assert any("Google" in r.assertion.value for r in v.assertions), v.reasons


def test_what_became_of_someone_is_said_of_the_living(tmp_path: Path) -> None:
    # "released a song" is not what became of the song; "the patients were released" is of them,
    # and so is "found her dog dead" of the dog.
    rows = [("s1", "wire", "Harlow singer Ann Lee released a song for the flood victims")]
    with with_noise(tmp_path, rows) as eng:
        song = eng.verify("Singer Ann Lee released a song called 'Rise' for the Harlow flood victims.")
        assert not [r for r in song.assertions if r.assertion.kind == "outcome"], song.reasons
        dog = eng.verify("A flood survivor in Denver found her dog dead under the rubble.")
        assert outcome(dog).assertion.noun == "dog"


# Many posts name Harlow and its fire: among them a word few use is what a claim adds to the event,
# and a post must say it to be on the claim's topic (align.Topic's novel words).
HARLOW = [(f"h{i}", f"local{i}", f"Harlow mill fire, day {i % 4 + 1}: {what}") for i, what in enumerate(
    ["crews still on the scene", "smoke over the town centre", "road closures around the mill",
     "the council opens a rest centre", "the fire service asks drivers to keep away", "trains run late through Harlow",
     "the mill's owner thanks the crews", "schools near the mill stay open", "air quality is being checked",
     "a crane arrives to make the walls safe"] * 3)]


def test_a_claim_s_qualifying_words_need_not_be_repeated(tmp_path: Path) -> None:
    # "People" and an adverb qualify what the claim says happened; posts tell it with "residents"
    # and without "reportedly". An ordinal is said by its number ("Suspect #1"). The words that tell
    # what happened (water, blankets) still have to be said.
    rows = [("w1", "wire", "Harlow residents handed out water to the firefighters at the mill fire"),
            ("w2", "tv", "Residents in Harlow handed out water to firefighters at the mill fire tonight"),
            ("w3", "paper", "Mill fire: Harlow locals handed out bottled water to the firefighters"),
            ("s1", "radio", "Suspect #1 in the Harlow mill fire arrested at the station"),
            ("s2", "desk", "Police: suspect no. 1 in the Harlow mill fire was arrested at the station"),
            ("s3", "news", "Harlow mill fire suspect #1 arrested at the station, police say")]
    with engine_with(tmp_path, posts(HARLOW) + posts(rows, 40) + posts(NOISE, 60)) as eng:
        v = eng.verify("People in Harlow reportedly handed out water to the firefighters at the mill fire.")
        assert v.verdict == "supported", v.reasons
        assert eng.verify("People in Harlow reportedly handed out blankets to the firefighters at the mill fire."
                          ).verdict == "unverified"
        v = eng.verify("The first suspect in the Harlow mill fire was arrested at the station.")
        assert v.verdict == "supported", v.reasons
        assert eng.verify("The second suspect in the Harlow mill fire was arrested at the station."
                          ).verdict == "unverified"


def test_a_deadline_is_met_by_what_was_reported_before_it(tmp_path: Path) -> None:
    # "By January 20" is that day or any before it: posts of the 15th saying the appeal has
    # raised $2.1 million state it, and are no rival day for having been made earlier.
    rows = [("a1", "wire", "The Harlow mill fire appeal has raised $2.1 million so far"),
            ("a2", "tv", "Harlow mill fire appeal passes $2.1 million, organisers say"),
            ("a3", "paper", "Donations to the Harlow mill fire appeal reach $2.1 million")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("By January 20, the Harlow mill fire appeal had raised more than $2.1 million.")
        assert v.verdict == "supported", v.reasons
        assert eng.verify("By January 20, the Harlow mill fire appeal had raised more than $9.5 million."
                          ).verdict == "refuted"


def test_the_day_of_a_month_is_a_date_not_a_count(tmp_path: Path) -> None:
    # "on January 25 despite the fire" dates the opening: it counts no "despites".
    rows = [("o1", "wire", "Harlow fair will open as planned on January 25 despite the mill fire, organisers say"),
            ("o2", "tv", "Organisers: the Harlow fair opens on January 25 despite the mill fire"),
            ("o3", "paper", "Despite the mill fire, the Harlow fair will open on January 25")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Organisers said the Harlow fair would open as planned on January 25 despite the mill fire.")
        assert not [r for r in v.assertions if r.assertion.kind == "number"], v.reasons
        assert v.verdict == "supported", v.reasons


def test_naming_someone_says_nothing_of_what_the_claim_says_they_were(tmp_path: Path) -> None:
    # Posts about the victim name him; none says he played football: the claim is not addressed.
    rows = [("v1", "wire", "Dale Brenner, 17, was shot by police in Harlow on Saturday"),
            ("v2", "tv", "Rest in peace Dale Brenner #Harlow"),
            ("v3", "paper", "Dale Brenner was due to start college on Monday, his family says"),
            ("v4", "radio", "Vigil for Dale Brenner in Harlow tonight")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Dale Brenner had been a standout player on his high school football team.")
        assert v.verdict == "unverified", v.reasons
        assert eng.verify("Dale Brenner was shot by police in Harlow.").verdict == "supported"


def test_some_of_a_nationality_among_many_is_no_rival_of_the_others(tmp_path: Path) -> None:
    # "Two Canadians were among the passengers": French and German passengers are the others.
    rows = [("c1", "wire", "Two Canadians were among the passengers on the Harlow ferry, the operator says"),
            ("c2", "tv", "Harlow ferry: 2 Canadians among the passengers, operator confirms"),
            ("f1", "paper", "Most of the passengers on the Harlow ferry were French"),
            ("f2", "radio", "German and French passengers were on the Harlow ferry"),
            ("f3", "desk", "French passengers among those on the Harlow ferry, ministry says")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("The operator said two Canadians were among the passengers on the Harlow ferry.")
        assert v.verdict == "supported", v.reasons
        assert not [r for r in v.assertions if r.assertion.kind == "origin"], v.reasons


# Many posts naming the mill fire and the town, none of them about a tribute or a procession:
# among them, what a claim adds to the event ("tribute", "procession") is novel.
MILL = [(f"h{k}", f"town{k}", f"Harlow mill fire update {k}: crews still at the mill on Quay Road, Harlow")
        for k in range(26)]


def over_mill(tmp_path: Path, rows):
    """An engine over `rows`, then the mill fire's updates, then noise."""
    return engine_with(tmp_path, posts(rows) + posts(MILL, 10) + posts(NOISE, 50))


def test_what_a_claim_adds_said_in_other_words_is_said(tmp_path: Path) -> None:
    # "paid tribute" and "honors" (synonyms), "placed on leave" and "put on leave" (light verbs): the
    # claim's novel words said in other words are the same topic, not silence on it.
    rows = [("g1", "wire", "Riverside Gazette front page honors Harlow mill fire volunteers"),
            ("g2", "paper", "Today's Riverside Gazette honors the volunteers of the Harlow mill fire on its front page"),
            ("g3", "tv", "Harlow mill foreman put on paid administrative leave after the fire"),
            ("g4", "radio", "The Harlow mill foreman has been put on paid administrative leave")]
    with over_mill(tmp_path, rows) as eng:
        v = eng.verify("The Riverside Gazette's front page paid tribute to the volunteers of the Harlow mill fire.")
        assert v.verdict == "supported", v.reasons
        v = eng.verify("The Harlow mill foreman was placed on paid administrative leave.")
        assert v.verdict == "supported", v.reasons


def test_a_prayer_procession_led_is_said_by_a_post_of_the_prayer(tmp_path: Path) -> None:
    # What the actor did, said by any noun of its object: "leading a small group in prayer" tells of
    # the prayer procession; another pastor named doing it refutes a claim naming the wrong one.
    rows = [("q1", "wire", "Pastor Ruth Okafor leading a small group in prayer at the Harlow mill gates"),
            ("q2", "paper", "Ruth Okafor leading prayers for the families at the Harlow mill gates")]
    with over_mill(tmp_path, rows) as eng:
        v = eng.verify("Pastor Ruth Okafor led a prayer procession to the Harlow mill gates.")
        assert v.verdict == "supported", v.reasons
        v = eng.verify("Pastor Dan Reyes led a prayer procession to the Harlow mill gates.")
        assert v.verdict == "refuted", v.reasons


def test_a_place_that_opened_its_doors_is_what_opened(tmp_path: Path) -> None:
    # "St Brendan's Church opened its doors": what opened is the church ("shelter open: St Brendan's
    # Church"), however long its name, not the doors.
    rows = [("s1", "wire", "Shelter open: St Brendans Church, 14 Quay Road, Harlow. Beds and hot food"),
            ("s2", "paper", "St Brendans Church on 14 Quay Road in the town of Harlow has opened its doors for anyone who needs a bed")]
    with over_mill(tmp_path, rows) as eng:
        v = eng.verify("St Brendans Church in Harlow opened its doors to people left homeless by the mill fire.")
        r = outcome(v)
        assert r.status == "confirmed" and r.confirm.authors == 2, r.summary


def test_a_verb_with_its_particle_is_the_act_it_says(tmp_path: Path) -> None:
    # "called off" is what posts say as "cancels": the actor named with it states the claim's act.
    rows = [("c1", "wire", "Harlow Council cancels its mill festival because of the fire"),
            ("c2", "paper", "Mill festival cancelled: Harlow Council cancels Saturday's event after the fire")]
    with over_mill(tmp_path, rows) as eng:
        v = eng.verify("Harlow Council called off its mill festival because of the fire.")
        assert v.verdict == "supported", v.reasons


def test_metres_said_short_are_metres(tmp_path: Path) -> None:
    # "peaked at 4.6m on Thursday": metres, as "4.6 metres" is; "$2m" stays a sum of money.
    rows = [("r1", "wire", "The Harlow river peaked at 4.6m on Thursday, officials say"),
            ("r2", "paper", "Harlow river level: peaked at 4.6m overnight, the mill car park under water"),
            ("r3", "tv", "Harlow mill fire repairs to cost $2m, council says")]
    with over_mill(tmp_path, rows) as eng:
        assert eng.verify("The Harlow river peaked at 4.6 metres.").verdict == "supported"
        v = eng.verify("The Harlow river peaked at 7.5 metres.")
        assert v.verdict == "refuted", v.reasons


def test_a_word_describing_a_name_at_the_start_is_not_part_of_it(tmp_path: Path) -> None:
    # "Missing Harlow College student ...": the entity model reads "Missing" into the college's
    # name; no post names a "Missing Harlow College", and the claim's reading is the college.
    rows = [("m1", "wire", "Harlow College student Tom Reed, missing since the mill fire, found safe"),
            ("m2", "paper", "Harlow College says student Tom Reed has been found safe after the mill fire")]
    with over_mill(tmp_path, rows) as eng:
        v = eng.verify("Missing Harlow College student Tom Reed was found safe after the mill fire.")
        named = {r.assertion.value for r in v.assertions}
        assert "Harlow College" in named and not any(x.startswith("Missing") for x in named), named
        assert v.verdict == "supported", v.reasons
