"""Answers that name what the question asks for (issue 16, point 4): a person, a thing or a site
named by the question's role noun or said with its details, a name said beside the one the
question names ("played with"), what follows a preposition the question leaves dangling, and
answers kept within one event. Hand-made streams through `Engine.ask` and `veristream ask`."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.cli import cli
from conftest import desks, ingest

DAY = 24 * 60


def first_line(eng: Engine, question: str) -> str:
    return eng.ask(question).text.splitlines()[0]


def test_a_person_named_with_the_questions_role_noun_answers_who(engine: Engine) -> None:
    ingest(engine, desks("w", [
        "Officer Dale Brenner shot the teenager in Harlow, police chief says",
        "Harlow police name officer Dale Brenner in the shooting",
        "Dale Brenner, the officer in the Harlow shooting, is on leave",
        "Key witness Tomas Okafor says the teenager had his hands up #Harlow",
        "Lawyer for Tomas Okafor, eyewitness to the Harlow shooting, speaks to reporters",
        "Tomas Okafor, the key witness, has not been interviewed by Harlow police",
        "Protests continue in Harlow after the police shooting"]))
    first = first_line(engine, "Who was the key eyewitness to the police shooting in Harlow?")
    # the officer is named more often, but with another role than the one asked
    assert re.match(r"Independent sources agree on: eyewitness: Tomas Okafor \(3 sources\) \[1\]", first), first
    assert first.index("Tomas Okafor") < first.find("Dale Brenner") or "Dale Brenner" not in first


def test_what_was_the_name_of_is_answered_by_the_name_said_with_the_noun(engine: Engine) -> None:
    ingest(engine, desks("c", [
        "Owner swam after his cat Pippin in the Lakeview floodwaters",
        "Pippin the cat and the owner who swam after him: safe from the Lakeview floodwaters",
        "Lakeview floodwaters: Pippin the cat is a survivor, his owner swam after him",
        "Cat and owner swam for their lives in the Lakeview floodwaters",
        "Owner of the Lakeview floodwaters cat shocked to see his cat paddle to safety"]))
    ans = engine.ask("What was the name of the cat whose owner swam after it in the Lakeview floodwaters?")
    first = ans.text.splitlines()[0]
    assert re.match(r"Independent sources agree on: cat: Pippin \(3 sources\) \[1\]", first), first
    assert "Pippin" in ans.citations[0].text


def test_where_is_answered_by_a_site_named_in_posts_that_say_the_questions_details(engine: Engine) -> None:
    ingest(engine, desks("v", [
        "City needs 600 volunteers to help flood victims. Meet at Corrigan Stadium at 10 am #lakeview",
        "Volunteers needed! Meet up at Corrigan Stadium at 10 am today, buses will take you #lakeview",
        "Lakeview flood volunteers told to meet at Corrigan Stadium, 7000 showed up",
        "Lakeview flood volunteers are amazing, thank you all",
        "Lakeview flood: so many volunteers helping with the clean up",
        "Lakeview flood clean up continues, volunteers everywhere"]))
    first = first_line(engine, "Where in Lakeview were flood volunteers told to meet at 10 a.m.?")
    assert re.match(r"Independent sources agree on: where: Corrigan Stadium \(3 sources\) \[1\]", first), first
    assert first.count("Corrigan Stadium") == 1  # said once, not again as a place


def test_which_landmark_is_the_one_said_with_the_questions_rare_detail(engine: Engine) -> None:
    ingest(engine, desks("s", [
        "Harlow siege: hostages held in the Lindell Cafe",
        "Gunman holds hostages inside the Lindell Cafe in Harlow",
        "Harlow siege at the Lindell Cafe enters its sixth hour",
        "Lindell Cafe siege: police negotiators at the scene in Harlow",
        "Harlow Opera House evacuated as the siege goes on",
        "Reports the Harlow Opera House has been evacuated during the siege",
        "Opera House evacuated, the siege continues in Harlow"]))
    first = first_line(engine, "Which famous Harlow landmark was reported evacuated during the siege?")
    # the cafe is named more often, but never as evacuated
    assert first.startswith("Independent sources agree on: landmark: Harlow Opera House (3 sources)"), first
    assert "Lindell" not in first


def test_a_name_said_beside_the_one_the_question_names_is_who_it_was_with(engine: Engine) -> None:
    ingest(engine, desks("p", [
        "Rumour: Zed Marlow & @VELVETSIGNAL to play a surprise show at Corby Hall tonight",
        "Zed Marlow and VELVETSIGNAL lining up a secret show at Corby Hall",
        "Fans queue outside Corby Hall hoping to see Zed Marlow (@VELVETSIGNAL) tonight",
        "Promoter denies that Zed Marlow will play at Corby Hall",
        "Corby Hall: no Zed Marlow show tonight, says the promoter"]))
    first = first_line(engine, "Which band was Zed Marlow expected to play with at the rumoured Corby Hall show?")
    assert re.match(r"Independent sources agree on: band: VELVETSIGNAL \(3 sources\)", first), first


def test_a_preposition_the_question_leaves_dangling_is_read_after_its_verb(engine: Engine) -> None:
    ingest(engine, desks("m", [
        'Harlow bank raiders told police they were "ready to die as heroes"',
        "Harlow raiders say they are prepared to die as heroes, police negotiator says",
        "The Harlow bank raiders want to die as heroes, French media report",
        "Harlow bank raiders cornered in a warehouse north of the city",
        "Police surround the Harlow bank raiders in a warehouse"]))
    first = first_line(engine, "What did the Harlow bank raiders tell police they were prepared to die as?")
    assert re.match(r"Independent sources agree on: die as: heroes \(3 sources\)", first), first


def test_an_answer_keeps_to_the_event_its_best_posts_are_of(engine: Engine) -> None:
    # a flood in January, another in June; the question's words fit both, its best posts the June one
    january = desks("j", [f"Dog and owner rescued from Lakeview river floodwaters by boat {i}" for i in range(8)])
    june = desks("u", [
        "Owner swam after his dog Biscuit in the Lakeview river floodwaters",
        "Biscuit the dog: his owner swam after him in the Lakeview river floodwaters",
        "Happy ending in Lakeview: Biscuit the dog is safe, the owner swam after him through the river floodwaters",
        "Owner swam after dog in Lakeview river floodwaters, both safe"], start=150 * DAY)
    ingest(engine, january + june)
    ans = engine.ask("What was the name of the dog whose owner swam after it in the Lakeview river floodwaters?")
    lines = ans.text.splitlines()
    assert lines[0].startswith("Independent sources agree on: dog: Biscuit (3 sources)"), lines[0]
    # counted and cited from the June event alone
    assert re.search(r"^4 posts by 4 authors mention", lines[1]), lines[1]
    assert all(c.id.startswith("u") for c in ans.citations), [c.id for c in ans.citations]


def test_cli_ask_leads_with_the_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Engine(data, Settings.load(env={})) as eng:
        ingest(eng, desks("c", [
            "Owner swam after his cat Pippin in the Lakeview floodwaters",
            "Pippin the cat and the owner who swam after him: safe from the Lakeview floodwaters",
            "Lakeview floodwaters: Pippin the cat is a survivor, his owner swam after him",
            "Cat and owner swam for their lives in the Lakeview floodwaters"]))
    res = CliRunner().invoke(cli, ["--data-dir", str(data), "ask",
                                   "What was the name of the cat whose owner swam after it in the Lakeview floodwaters?"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("Independent sources agree on: cat: Pippin (3 sources) [1]"), res.stdout


def test_st_before_a_name_is_a_saints_not_a_street(engine: Engine) -> None:
    ingest(engine, desks("s", [
        "Protesters have blocked Halden Ave, a major street in St. Clement County #Marrow",
        "Marrow protesters block Halden Ave again, traffic stopped",
        "Police still at one end of Halden Ave, protesters now at Greater St. Ives Church #Marrow",
        "St. Clement County police arrive in Marrow as protesters gather in the street",
        "St. Clement County police chief speaks about the Marrow protests",
        "Peaceful youth demonstration at Greater St. Ives Church #Marrow",
        "Peaceful demonstration at Greater St. Ives Church #Marrow tonight",
        "St. Clement County says more officers are on the way to Marrow"]))
    first = first_line(engine, "Which Marrow street did protesters block?")
    assert not re.search(r"\bstreet: (Greater )?St\b", first), first
    assert "Halden Ave" in first, first


def test_who_is_answered_by_a_person_not_by_what_headlines_capitalise(engine: Engine) -> None:
    # a headline's capitalised verb ("Explosion Injures Dozens") and an event's name said in many of
    # the posts are no person, however often they are said beside the question's words
    ingest(engine, desks("m", [
        "Harlow mayor Tom Fenwick says the town will rebuild after the mill explosion",
        "Tom Fenwick, Harlow's mayor, thanks the firefighters at the mill explosion",
        "Blast at Harlow Mill Injures Over 100, mayor says the town is in shock",
        "Live Updates: Harlow Mill Explosion Injures More Than 100",
        "Harlow Mill Explosion Injures Dozens As Fire Spreads",
        "A man was at both the Kelby Marathon bombing and the Harlow mill explosion, the mayor said",
        "Kelby Marathon runner also saw the Harlow mill explosion days later",
        "What a week: the Kelby Marathon bombing, then the Harlow mill explosion",
        "Firefighters still at the Harlow mill explosion site"]))
    first = first_line(engine, "Who was the mayor of Harlow when the mill exploded?")
    assert "Tom Fenwick" in first, first
    assert "Injures" not in first and "Kelby Marathon" not in first, first


def test_an_answer_named_without_the_questions_details_does_not_lead(engine: Engine) -> None:
    # The Red Cross is the subject of "give" as often as the cafe is, but never with the free
    # coffee or the fund the question asks about: it answers another question.
    ingest(engine, desks("t", [
        "Red Cross gives blankets to Brackton tornado survivors",
        "The Red Cross gave hot meals to families after the Brackton tornado",
        "Red Cross gives shelter to 300 after the Brackton tornado",
        "Red Cross gave water to Brackton tornado survivors today",
        "Free coffee at Kettlewell's today when you donate to the Harbor Fund for Brackton tornado relief",
        "Kettlewell's gives a free coffee to anyone who donates to the Harbor Fund #brackton tornado",
        "Brackton tornado damage is huge, whole streets gone",
        "Brackton tornado: the clean up starts today",
        "Praying for everyone in Brackton after the tornado",
        "Brackton tornado was an EF4, says the weather service",
        "Brackton tornado: schools closed tomorrow",
        "Photos of the Brackton tornado damage from the air"]))
    ans = engine.ask("Which coffee chain gave people a free coffee when they donated to the Harbor Fund "
                     "after the Brackton tornado?")
    first = ans.text.splitlines()[0]
    assert re.match(r"Independent sources agree on: chain: Kettlewell(?:'s)? \(2 sources\) \[1\]", first), first
    assert "Red Cross" not in first
    assert "Kettlewell" in ans.citations[0].text


def test_an_answer_one_source_gives_with_the_questions_details_leads_as_one_sources(engine: Engine) -> None:
    # Police name the gunman in many posts; only one desk (and its reposts) says who spoke to
    # a hostage. That answers the question, said as what one source says, not as agreed.
    rows = desks("s", [
        "Gunman holds hostages in the Quayside cafe, police say #quayside",
        "Police name the Quayside cafe gunman as Rafe Ollander",
        "Quayside cafe siege: gunman is Rafe Ollander, police say",
        "Rafe Ollander named as the Quayside cafe gunman",
        "Quayside cafe siege enters its tenth hour",
        "Hostages still held inside the Quayside cafe",
        "Crowds gather near the Quayside cafe siege",
        "Quayside cafe siege: roads closed",
        "Police negotiators at the Quayside cafe",
        "Quayside cafe siege: three hostages escape"])
    said = "Radio host Kel Brody says he has spoken by phone with a hostage inside the Quayside cafe"
    rows += [("s99", 11, "radiodesk", said)]
    rows += [(f"s1{i}", 12 + i, f"fan{i}", f"RT @radiodesk: {said}") for i in range(3)]
    ingest(engine, rows)
    ans = engine.ask("Which radio host said he had spoken by phone with a hostage inside the Quayside cafe?")
    first = ans.text.splitlines()[0]
    assert first.startswith("One source says: host: Kel Brody [1]. Independent sources agree on: "), first
    assert "Kel Brody" in ans.citations[0].text and "Rafe Ollander" not in first
