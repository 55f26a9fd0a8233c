"""Details of kinds a claim turns on beyond places, numbers and causes (issue 16, blind held-out
misses): the organisation a person serves with, a relationship, a name given, a vehicle's or
weapon's model, the time of day and a nationality. Each is read from the claim and from the
posts, so another value in the same role refutes and the same one supports. Real engines over
hand-written posts about invented events; no shared data."""

from __future__ import annotations

from pathlib import Path

from veristream.verify.assertions import hours_compatible, read_claim, read_post
from conftest import NOISE, engine_with, posts, with_noise


def detail(v, kind: str):
    got = [r for r in v.assertions if r.assertion.kind == kind]
    assert got, [(r.assertion.kind, r.assertion.value) for r in v.assertions]
    return got[0]


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
    eng = with_noise(tmp_path, rows)
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
    eng = with_noise(tmp_path, rows)
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
    eng = with_noise(tmp_path, rows)
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
    eng = with_noise(tmp_path, rows)
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
    eng = with_noise(tmp_path, rows)
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
    eng = with_noise(tmp_path, rows)
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


# -- issue 16, blind set 2: the details its misses turned on -----------------------------------


def test_an_age_is_said_of_the_same_person(tmp_path: Path) -> None:
    rows = [("a1", "wire", "A three-year-old boy became the fourth victim of the Harlow Bay floods"),
            ("a2", "tv", "Harlow Bay floods: a 3 yr old boy has died, the toll now stands at four"),
            ("a3", "paper", "Harlow Bay flood toll rises to four after the death of a three-year-old boy"),
            ("a4", "radio", "Body of 27 year old man recovered from the Harlow Bay floods"),
            ("a5", "news", "Harlow Bay floods: 27-year-old man found dead in his car"),
            ("a6", "ap", "Harlow Bay dam suspect identified as Ivo Brandt, 19, of Kestrel"),
            ("a7", "cbs", "19-year-old Ivo Brandt arrested over the Harlow Bay dam sabotage"),
            ("a8", "nbc", "Harlow Bay dam sabotage: his brother Emil Brandt, 26, was also held")]
    eng = with_noise(tmp_path, rows)
    try:
        ok = eng.verify("The fourth person to die in the Harlow Bay floods was a three-year-old boy")
        assert ok.verdict == "supported", ok.reasons
        assert detail(ok, "number").conflict.authors == 0  # the 27-year-old man is another victim
        wrong = eng.verify("The fourth person to die in the Harlow Bay floods was a seven-year-old boy")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "number").assertion.role == "age"
        # "Brandt, 19," is said of Ivo; "Emil Brandt, 26" is his brother, no rival
        brandt = eng.verify("The Harlow Bay dam suspect Ivo Brandt is 19 years old")
        assert brandt.verdict == "supported", brandt.reasons
        assert detail(brandt, "number").conflict.authors == 0
    finally:
        eng.close()


def test_counts_of_another_kind_are_no_rivals(tmp_path: Path) -> None:
    rows = [("b1", "rcmp", "RCMP recovered two bodies from the Kestrel River near Harlow"),
            ("b2", "cbc", "Two bodies recovered from the Kestrel River in Harlow, RCMP say"),
            ("b3", "ctv", "Harlow flood death toll rises to 4"),
            ("b4", "globe", "Harlow floods: 4 dead, thousands evacuated"),
            ("b5", "news", "Harlow floods have killed 4 people, officials say"),
            ("m1", "nws", "Some in Harlow got 5 minutes of warning before the tornado hit"),
            ("m2", "tv", "Only 5 minutes of warning before the Harlow tornado, residents say"),
            ("m3", "blog", "The first 10 minutes of the Harlow tornado on video"),
            ("m4", "vid", "Watch the first 10 minutes of the Harlow tornado"),
            ("d1", "flames", "The Kestrel Flames donated $1 million to the Red Cross for Harlow flood relief"),
            ("d2", "sport", "Kestrel Flames donate $1 million to Red Cross flood relief in Harlow"),
            ("d3", "rc", "Text FLOOD to 30333 to donate $5 to the Red Cross for Harlow flood relief"),
            ("d4", "rc2", "You can donate $5 to the Red Cross Harlow flood relief by text")]
    eng = with_noise(tmp_path, rows)
    try:
        # bodies recovered are not the toll
        bodies = eng.verify("RCMP recovered two bodies from the Kestrel River near Harlow")
        assert bodies.verdict == "supported", bodies.reasons
        assert detail(bodies, "number").conflict.authors == 0
        # minutes of warning and the first minutes on video are not how long it stayed on the ground
        ground = eng.verify("The Harlow tornado stayed on the ground for 39 minutes")
        assert ground.verdict == "unverified", ground.reasons
        # the $5 a text gives is not what the Flames gave
        ok = eng.verify("The Kestrel Flames donated $1 million to the Red Cross for Harlow flood relief")
        assert ok.verdict == "supported", ok.reasons
        wrong = eng.verify("The Kestrel Flames donated $5 million to the Red Cross for Harlow flood relief")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "number").other_values[0].value == "$1,000,000"
    finally:
        eng.close()


def test_a_towns_count_is_said_by_posts_naming_it(tmp_path: Path) -> None:
    rows = [("e1", "wx", "10,000 residents of Kestrel Falls ordered to evacuate as the river rises"),
            ("e2", "gl", "Kestrel Falls: 10,000 people expected to evacuate by morning"),
            ("e3", "cbc", "About 10,000 residents of Kestrel Falls must evacuate, mayor says"),
            ("e4", "ap", "Flooding in Canada: 75,000 residents ordered to evacuate"),
            ("e5", "reu", "About 75,000 residents across Canada were ordered to evacuate as floods spread"),
            ("e6", "cal", "Harlow flood: 75,000 residents of Harlow ordered to evacuate"),
            ("e7", "cal2", "In Harlow about 75,000 residents were ordered to evacuate today")]
    eng = with_noise(tmp_path, rows)
    try:
        ok = eng.verify("About 10,000 residents of Kestrel Falls were ordered to evacuate")
        assert ok.verdict == "supported", ok.reasons
        d = detail(ok, "number")
        assert d.assertion.role == "evacuated" and d.conflict.authors == 0  # Canada's and Harlow's counts
        wrong = eng.verify("About 50,000 residents of Kestrel Falls were ordered to evacuate")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_where_a_person_is_from(tmp_path: Path) -> None:
    rows = [("o1", "pz", "HARLOW BAY HOSTAGE-TAKER - Ivo Marek, 49 - Originally from Iran"),
            ("o2", "abc", "Iranian cleric Ivo Marek named as the Harlow Bay siege gunman"),
            ("o3", "smh", "Harlow Bay siege gunman Ivo Marek was born in Iran"),
            ("o4", "ap", "Harlow Bay siege gunman identified as Ivo Marek, 49, of Kestrel"),
            ("o5", "nbc", "Ivo Marek, 49, of Kestrel is the Harlow Bay siege gunman"),
            ("o6", "news", "Greetings from Harlow Bay, where the siege is over")]
    eng = with_noise(tmp_path, rows)
    try:
        # "Iranian" and "from Iran" say the same; "of Kestrel" (a town) is no rival of a country
        ok = eng.verify("The Harlow Bay siege gunman, Ivo Marek, was originally from Iran")
        assert ok.verdict == "supported", ok.reasons
        assert detail(ok, "origin").conflict.authors == 0
        wrong = eng.verify("The Harlow Bay siege gunman, Ivo Marek, was originally from Afghanistan")
        assert wrong.verdict == "refuted", wrong.reasons
        town = eng.verify("The Harlow Bay siege gunman, Ivo Marek, was from Dunmore")
        assert town.verdict == "refuted", town.reasons
        assert detail(town, "origin").other_values[0].value == "Kestrel"
    finally:
        eng.close()


def test_who_did_what_the_claims_verb_says(tmp_path: Path) -> None:
    rows = [("g1", "nba", "Dale Voss donates $1 million to the Red Cross for Harlow tornado relief"),
            ("g2", "espn", "Thunder star Dale Voss has donated $1 million to Red Cross tornado relief in Harlow"),
            ("g3", "ap", "Dale Voss to donate $1 million to Red Cross for Harlow tornado victims"),
            ("g4", "fan", "Tom Reese says the Harlow tornado damage is heartbreaking, Red Cross on scene"),
            ("g5", "fan2", "Tom Reese visits Harlow tornado shelters with the Red Cross"),
            ("l1", "mp", "Premier Anna Kowal has launched the Harlow Flood Appeal with $1 million"),
            ("l2", "news", "Harlow premier launches flood appeal: the Harlow Flood Appeal opened today"),
            ("l3", "gov", "The Harlow State Government has launched the Harlow Flood Appeal"),
            ("l4", "pm", "Prime Minister Joan Abbott visits flooded Harlow, praises the Harlow Flood Appeal"),
            ("l5", "pm2", "Prime Minister Joan Abbott tours Harlow floods, Harlow Flood Appeal praised")]
    eng = with_noise(tmp_path, rows)
    try:
        ok = eng.verify("Dale Voss donated $1 million to the Red Cross for Harlow tornado relief")
        assert ok.verdict == "supported", ok.reasons
        # Tom Reese is named beside the Red Cross, but no post says he gave anything
        wrong = eng.verify("Tom Reese donated $1 million to the Red Cross for Harlow tornado relief")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "agent").other_values[0].value == "Dale Voss"
        # the prime minister is named in posts about the appeal; the premier launched it
        gov = eng.verify("Premier Anna Kowal launched the Harlow Flood Appeal")
        assert gov.verdict == "supported", gov.reasons
        assert detail(gov, "agent").conflict.authors == 0  # the government is no rival of its premier
        pm = eng.verify("Prime Minister Joan Abbott launched the Harlow Flood Appeal")
        assert pm.verdict == "refuted", pm.reasons
    finally:
        eng.close()


def test_the_kind_of_weapon_and_of_site(tmp_path: Path) -> None:
    rows = [("w1", "afp", "Gunmen armed with Kalashnikovs stormed the Harlow Gazette offices"),
            ("w2", "bbc", "Harlow Gazette attackers carried AK-47s and a rocket launcher, witnesses say"),
            ("w3", "cnn", "Two gunmen with assault rifles attacked the Harlow Gazette"),
            ("s1", "ap", "Massive explosion at a fertilizer plant in Kestrel, Texas"),
            ("s2", "tv", "Kestrel fertilizer plant explosion: dozens hurt"),
            ("s3", "wfaa", "Fertilizer plant explosion in Kestrel, Texas levels homes"),
            ("s4", "kxan", "Kestrel explosion: nursing home near the plant evacuated")]
    eng = with_noise(tmp_path, rows)
    try:
        ok = eng.verify("The Harlow Gazette attackers were armed with Kalashnikov rifles")
        assert ok.verdict == "supported", ok.reasons
        wrong = eng.verify("The Harlow Gazette attackers were armed with handguns")
        assert wrong.verdict == "refuted", wrong.reasons
        assert detail(wrong, "kind").conflict.authors >= 2
        site = eng.verify("The explosion in Kestrel, Texas happened at a fertilizer plant")
        assert site.verdict == "supported", site.reasons
        other = eng.verify("The explosion in Kestrel, Texas happened at an oil refinery")
        assert other.verdict == "refuted", other.reasons
    finally:
        eng.close()


def test_a_name_by_its_initials_or_its_rare_words(tmp_path: Path) -> None:
    rows = [("y1", "fx", "Markets: NYSE shut, floor closed on Monday, the first weather closing since 1985"),
            ("y2", "reu", "Traders stay home as the NYSE closed Monday with Hurricane Mira near"),
            ("y3", "ap", "Wall Street quiet: NYSE closed on Monday because of Hurricane Mira, says a spokesman"),
            ("h1", "dps", "Troopers taking Kestrel explosion victims to Halvorsen Hospital in Waco"),
            ("h2", "kwtx", "Kestrel explosion victims taken to Halvorsen Hospital in Waco, 60 treated"),
            ("h3", "nbc", "About 60 Kestrel explosion victims taken to Halvorsen Baptist Medical Center in Waco")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The New York Stock Exchange closed on Monday because of Hurricane Mira")
        assert v.verdict == "supported", v.reasons
        h = eng.verify("Kestrel explosion victims were taken to Halvorsen Baptist Medical Center in Waco")
        place = [r for r in h.assertions if r.assertion.value == "Halvorsen Baptist Medical Center"]
        assert place and place[0].confirm.posts == 3, [(r.assertion.value, r.summary) for r in h.assertions]
    finally:
        eng.close()


def test_a_day_is_the_events_only_said_beside_it(tmp_path: Path) -> None:
    rows = [("s1", "mta", "The Harlow subway will shut down at 7 p.m. on Sunday ahead of Hurricane Mira"),
            ("s2", "nyt", "Harlow shuts down its subway Sunday at 7 p.m. as Hurricane Mira nears"),
            ("s3", "wnyc", "Subway shut down Sunday evening in Harlow, Hurricane Mira approaching"),
            ("s4", "sch", "Harlow schools closed Monday because of Hurricane Mira"),
            ("s5", "sch2", "Hurricane Mira: Harlow public schools closed Monday"),
            ("s6", "x", "Hurricane Mira to make landfall in Harlow on Monday"),
            ("t1", "nws", "Harlow was hit by a big tornado on May 3, 1999, and again today"),
            ("t2", "ok", "Harlow tornado today follows the May 3, 1999 tornado on the same path"),
            ("t3", "kfor", "The May 3, 1999 tornado also hit Harlow; today's tornado is worse"),
            ("t4", "wx", "Tornado hits Harlow today, schools destroyed")]
    eng = with_noise(tmp_path, rows)
    try:
        sub = eng.verify("Harlow shut down its subway on Sunday as Hurricane Mira approached")
        assert sub.verdict == "supported", sub.reasons
        assert detail(sub, "date").conflict.authors == 0  # schools and landfall on Monday are other things
        old = eng.verify("Harlow had already been hit by a big tornado on May 3, 1999")
        assert old.verdict == "supported", old.reasons
        assert detail(old, "date").conflict.authors == 0  # "today" is the new tornado's day
        wrong = eng.verify("Harlow had already been hit by a big tornado on May 3, 1989")
        assert wrong.verdict == "refuted", wrong.reasons
    finally:
        eng.close()


def test_a_storm_a_death_and_an_owner_against_their_rivals(tmp_path: Path) -> None:
    rows = [("c1", "bom", "Extreme flooding as ex-tropical cyclone Orla batters Harlow"),
            ("c2", "abc", "Harlow braces for flood as ex-cyclone Orla pounds the coast"),
            ("c3", "sky", "Devastation in Harlow caused by ex-tropical cyclone Orla"),
            ("d1", "local", "The 3 year old boy struck by a falling tree in Harlow has died"),
            ("d2", "sbs", "Harlow floods: a three-year-old boy died after being hit by a falling tree"),
            ("d3", "news", "Harlow toll rises as a man swept away by floodwaters is found dead"),
            ("d4", "news2", "Man swept away by floodwaters in Harlow confirmed dead"),
            ("l1", "wire", "Plane said to belong to Lufthavn subsidiary Skyjet crashed near Harlow"),
            ("l2", "ap", "Lufthavn's budget airline Skyjet loses a plane near Harlow"),
            ("l3", "reu", "The Skyjet plane, owned by Lufthavn, crashed near Harlow")]
    eng = with_noise(tmp_path, rows)
    try:
        assert eng.verify("The Harlow floods were brought by ex-tropical cyclone Orla").verdict == "supported"
        storm = eng.verify("The Harlow floods were brought by ex-tropical cyclone Zena")
        assert storm.verdict == "refuted", storm.reasons
        boy = eng.verify("A three-year-old boy died in the Harlow floods after being hit by a falling tree")
        assert boy.verdict == "supported", boy.reasons
        # the men swept away are other victims: only what the boy died of counts
        swept = eng.verify("A three-year-old boy died in the Harlow floods after being swept away by floodwater")
        assert swept.verdict == "refuted", swept.reasons
        assert eng.verify("Skyjet is a subsidiary of Lufthavn").verdict == "supported"
        owner = eng.verify("Skyjet is a subsidiary of Air Harlow")
        assert owner.verdict == "refuted", owner.reasons
    finally:
        eng.close()


def test_a_claim_of_names_only_is_supported_by_posts_saying_what_it_says(tmp_path: Path) -> None:
    rows = [("h1", "afp", "Harlow Gazette gunmen's hostage freed after police assault"),
            ("h2", "huff", "Hostage taken after Harlow Gazette gunmen sighted north of the city"),
            ("h3", "bbc", "Harlow Gazette gunmen still on the run, police say"),
            ("p1", "cbc", "Police officers were among those killed in the Harlow Gazette attack: two of them"),
            ("p2", "ap", "Harlow Gazette attack: 12 killed, including two police officers"),
            ("p3", "le", "Two police officers killed in the Harlow Gazette attack"),
            ("p4", "fr", "12 people were killed in the Harlow Gazette attack")]
    eng = with_noise(tmp_path, rows)
    try:
        v = eng.verify("The Harlow Gazette gunmen forced a cartoonist to type in the door code")
        assert v.verdict == "unverified", v.reasons
        # two police officers among the 12 dead: a count of its own kind
        ok = eng.verify("Two police officers were among those killed in the Harlow Gazette attack")
        assert ok.verdict == "supported", ok.reasons
        assert detail(ok, "number").conflict.authors == 0
        assert eng.verify("Five police officers were among those killed in the Harlow Gazette attack"
                          ).verdict == "refuted"
    finally:
        eng.close()


def test_a_claim_about_a_named_party_is_decided_by_posts_naming_it(tmp_path: Path) -> None:
    rows = [("s1", "deli", "Our deli will stay open on Monday despite Hurricane Mira, come by"),
            ("s2", "bar", "We stay open Monday through Hurricane Mira! Candles ready"),
            ("s3", "gym", "Gym open as usual on Monday, Hurricane Mira or not"),
            ("s4", "cafe", "Cafe Lumen is open Monday despite Hurricane Mira"),
            ("x1", "fin", "The Harlow Stock Exchange has a new chief, traders say, ahead of Hurricane Mira"),
            ("x2", "biz", "Hurricane Mira: Harlow Stock Exchange board to meet on storm plans")]
    eng = with_noise(tmp_path, rows)
    try:
        # shops staying open on Monday say nothing of the exchange
        v = eng.verify("The Harlow Stock Exchange stayed open on Monday despite Hurricane Mira")
        assert v.verdict == "unverified", v.reasons
        assert not v.evidence_for
    finally:
        eng.close()


def test_a_time_restated_in_another_zone_and_a_day_said_of_the_victims_event(tmp_path: Path) -> None:
    # "2 pm ET, 11 am PT" is one moment; "today" beside the bombing the victims were of is not the
    # day of the service held for them.
    rows = [("z1", "cbc", "#Harlow police to hold news conference on the Harlow shootings at 2 pm ET, 11 am PT"),
            ("z2", "cp", "Harlow police will hold a news conference close to 2 p.m. on the shootings"),
            ("z3", "ctv", "Harlow shootings: police news conference at 2 pm today"),
            ("z4", "bbc", "Harlow shootings: news conference at 2 pm ET, 11 am PT, police say"),
            ("v1", "wire", "President Okafor will attend a memorial service for Harlow bombing victims on Thursday"),
            ("v2", "tv", "President Okafor to attend Thursday's service for victims of the Harlow bombing"),
            ("v3", "paper", "Thursday: President Okafor at the Harlow memorial service for the bombing victims"),
            ("w1", "cnn", "President Okafor today called the Harlow bombing an act of terror"),
            ("w2", "abc", "Okafor today: the Harlow bombing was an act of terror"),
            ("w3", "nbc", "President Okafor today calls the Harlow bombing an act of terror")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Harlow police scheduled a news conference on the Harlow shootings for about 2 p.m. that day.")
        assert v.verdict == "supported", v.reasons
        assert detail(v, "time").conflict.authors == 0, detail(v, "time").summary
        wrong = eng.verify("Harlow police scheduled a news conference on the Harlow shootings for about 11 p.m. that day.")
        assert wrong.verdict == "refuted", wrong.reasons
        s = eng.verify("President Okafor was to attend a service in Harlow on Thursday for the victims of the bombing.")
        assert s.verdict == "supported", s.reasons
        assert detail(s, "date").conflict.authors == 0, detail(s, "date").summary


def test_two_clock_times_two_hours_apart_are_not_the_same_time(tmp_path: Path) -> None:
    # "about 6 p.m." is not "8pm": an hour either side of each is no longer read as the same time
    rows = [("k1", "cp", "Kestrel police will hold a news conference close to 2 p.m. on the Kestrel shootings"),
            ("k2", "ctv", "Kestrel shootings: police news conference at 2 pm today"),
            ("k3", "anchor", "Live from Kestrel at 8pm with the latest on the police news conference and the shootings")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Kestrel police scheduled a news conference on the Kestrel shootings for about 6 p.m. that day.")
        assert v.verdict == "refuted", v.reasons
        assert detail(v, "time").confirm.authors == 0, detail(v, "time").summary
