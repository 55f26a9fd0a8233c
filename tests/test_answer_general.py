"""Answers to questions that name a specific thing ("what make of car", "what was the
registration of", "which church") whose answer the posts state a few times among many posts
about the event (issue 16, point 4): the posts that say the question's rare details are read
however few of its words they say, a what-question's noun asks for a name, and a name said with
the question's role noun (or a kind of it) in posts that state its rare details answers before
one said with the noun elsewhere. Hand-made streams through `Engine.ask` and `veristream ask`."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.cli import cli
from conftest import desks, ingest


MANHUNT = [
    "Harlow bombing suspect manhunt: police search every car leaving town",
    "Police stop every car in the Harlow manhunt for the bombing suspect",
    "Harlow manhunt: police check each car, bombing suspect still at large",
    "Bombing suspect manhunt in Harlow, police say stay home, no car trips",
    "Police widen Harlow manhunt, bombing suspect seen near a car park",
    "Harlow bombing suspect manhunt enters day two, police searching car by car",
]
DRIVING = [
    "Police say the bombing suspect may be driving a grey Zorvik Trekker with out of state plates",
    "Bombing suspect could be driving a grey Zorvik Trekker, police warn",
    "Bombing suspect may be driving a Zorvik Trekker, do not approach",
]
QUESTION = "What make of car did police say the Harlow bombing suspect might be driving during the manhunt?"


def test_what_make_is_answered_by_the_name_said_in_the_posts_that_say_the_rare_detail(engine: Engine) -> None:
    # the posts that name the car say 2-4 of the question's 9 words, too few to be relevant; "driving",
    # which no post about the manhunt says, tells them apart
    ingest(engine, desks("m", MANHUNT) + desks("d", DRIVING, start=30))
    ans = engine.ask(QUESTION)
    first = ans.text.splitlines()[0]
    assert re.match(r"Independent sources agree on: make: Zorvik Trekker \(3 sources\) \[1\]", first), first
    assert "Zorvik Trekker" in ans.citations[0].text


def test_what_was_the_noun_of_is_answered_by_the_name_said_with_it(engine: Engine) -> None:
    ingest(engine, desks("g", [
        "Skyline flight 902 crashed in the Serrat mountains, no survivors expected",
        "Skyline flight 902 crashed in the Serrat mountains with 150 on board",
        "The Skyline A330 crashed in the Serrat mountains this morning",
        "Rescuers reach the Serrat mountains where the Skyline A330 crashed",
        "Skyline A330 flight 902 crashed in the Serrat mountains: what we know",
        "Skyline flight 902 (registration N-ZKQ7) vanished from radar at 6800 feet",
        "The Skyline A330, N-ZKQ7, was one of the oldest jets in the fleet, delivered in 1991"]))
    first = engine.ask("What was the registration of the Skyline A330 that crashed in the Serrat mountains?").text \
        .splitlines()[0]
    # said with the noun once, and beside the question's names by another source
    assert re.match(r"Independent sources agree on: registration: N-ZKQ7 \(2 sources\) \[1\]", first), first


def test_which_church_is_the_one_said_in_the_posts_that_state_the_questions_rare_name(engine: Engine) -> None:
    ingest(engine, desks("w", [
        "Grace Baptist Church to picket the Harlow marathon bombing funerals",
        "Grace Baptist Church says it will picket Harlow marathon bombing victims' funerals",
        "Petition to stop Grace Baptist Church picketing the Harlow marathon bombing funerals",
        "Harlow marathon bombing: Grace Baptist Church plans to picket the funerals"]) + desks("b", [
        "Harlow marathon bombing: three dead, dozens injured at the finish line",
        "Prayers for everyone hurt in the Harlow marathon bombing",
        "Harlow marathon bombing victims named by police",
        "FBI leads the Harlow marathon bombing investigation",
        "Harlow marathon bombing: the city mourns"], start=10) + desks("s", [
        "Governor Reyes attends an interfaith service for the Harlow marathon bombing victims",
        "Watch live: Governor Reyes speaks at the interfaith service for Harlow marathon bombing victims",
        "Interfaith service for the Harlow marathon bombing victims attended by Governor Reyes",
        "Governor Reyes has just arrived at the Cathedral of St Aldric for the memorial, security is very tight",
        "Security is tight outside the Cathedral of St Aldric where Reyes will speak at the service",
        "Reyes is going to speak at the Cathedral this morning, huge crowds waiting outside"], start=20))
    first = engine.ask("In which Harlow church was the interfaith service attended by Governor Reyes after the "
                       "marathon bombing held?").text.splitlines()[0]
    # the church named with the noun most is named in posts about the funerals, never the service
    assert re.match(r"Independent sources agree on: church: Cathedral of St Aldric \(\d sources\)", first), first
    assert "Grace Baptist" not in first


def test_a_role_noun_said_as_a_verb_names_nothing(engine: Engine) -> None:
    ingest(engine, desks("m", MANHUNT) + desks("d", DRIVING, start=30) + desks("v", [
        "Police should play loud music, that will make Danny Kovac come out #Harlow manhunt",
        "That will make Danny Kovac come out of hiding, Harlow bombing manhunt",
        "Loud music will make Danny Kovac give up, the Harlow bombing suspect manhunt goes on"], start=60))
    first = engine.ask(QUESTION).text.splitlines()[0]
    assert "Danny Kovac" not in first, first
    assert "make: Zorvik Trekker" in first, first


def test_cli_ask_leads_with_the_make(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "data", Settings.load(env={}))
    ingest(eng, desks("m", MANHUNT) + desks("d", DRIVING, start=30))
    eng.close()
    out = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "ask", QUESTION])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "Independent sources agree on: make: Zorvik Trekker (3 sources) [1].", out.output
    # [1] cites a post that names the car (the first of the posts that say the rare detail)
    assert next(x for x in lines if x.startswith("[1] ")).endswith("file:d0"), out.output


def test_a_verb_read_as_a_plural_noun_in_a_headline_still_takes_its_object(engine: Engine) -> None:
    ingest(engine, desks("k", [
        "Gunman holding hostages in Harlow grocery store, police on the scene",
        "Harlow grocery store siege: gunman holding hostages, shots fired",
        "Gunman holding hostages at the Harlow grocery, area sealed off",
        "Police surround the Harlow grocery where a gunman is holding hostages",
        "UPDATE: gunman in Harlow grocery store is demanding the release of his brother",
        "Hostage-taker at Harlow store demands release of his brother, police union says"]))
    first = engine.ask("What did the Harlow grocery gunman demand?").text.splitlines()[0]
    # "store demands release": the verb's form read as a noun of the headline's run of nouns
    assert re.match(r"Independent sources agree on: demand: release \(2 sources\) \[1\]", first), first


def test_a_name_said_after_the_questions_own_names_is_read_on_its_own(engine: Engine) -> None:
    ingest(engine, desks("g", [
        "Skyline flight 902 crashed in the Serrat mountains, no survivors expected",
        "Skyline flight 902 crashed in the Serrat mountains with 150 on board",
        "The Skyline A330 crashed in the Serrat mountains this morning",
        "Rescuers reach the Serrat mountains where the Skyline A330 crashed",
        "Skyline A330 flight 902 crashed in the Serrat mountains: what we know",
        "Skyline flight 902 (registration N-ZKQ7) vanished from radar at 6800 feet",
        "Skyline A330 N-ZKQ7 was one of the oldest jets in the fleet, delivered in 1991"]))
    first = engine.ask("What was the registration of the Skyline A330 that crashed in the Serrat mountains?").text \
        .splitlines()[0]
    # "Skyline A330 N-ZKQ7": the question's names, then the name it asks for
    assert re.match(r"Independent sources agree on: registration: N-ZKQ7 \(2 sources\) \[1\]", first), first
