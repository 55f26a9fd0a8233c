"""Answers to where/what questions that name a KIND of thing by a common-noun phrase ("which
diplomatic building", "which fast-food restaurant", "which rail terminal") whose answer is a
name of that kind the posts state a few times (issue 16, point 4): a name is typed by the
sentence encoder's vectors (its cosine with the wh-phrase's own words: "consulate" is near
"diplomatic building", "McDonald's" near "fast-food restaurant"), with the common noun said
right after it ("the US consulate"); a site named with the role noun as its head word ("Marlow
Cross Terminal") is the one posts name by another head word ("Marlow Cross Station"). Hand-made
streams through `Engine.ask`."""

from __future__ import annotations

import pytest

from veristream import Engine
from veristream.vectors.encoder import find_model
from conftest import desks, ingest

pytestmark = pytest.mark.skipif(find_model() is None, reason="no sentence encoder installed")


SIEGE = [
    "Gunman holds hostages in a Harlow cafe, police surround Kingsway",
    "Harlow cafe siege: hostages seen at the windows",
    "Police negotiators at the Harlow cafe siege",
    "Harlow siege: the gunman has a flag, hostages inside the cafe",
    "Harlow siege enters its tenth hour, police say",
    "Prayers for the hostages in the Harlow siege",
]


def test_a_kind_of_building_is_answered_by_the_name_of_that_kind(engine: Engine) -> None:
    ingest(engine, desks("s", SIEGE) + desks("o", [
        "Harlow Opera House evacuated as the siege goes on",
        "Harlow Opera House has been evacuated because of the cafe siege",
        "Siege: the Harlow Opera House was evacuated this morning"], start=10) + desks("c", [
        "BREAKING: US Consulate in Harlow has been evacuated, citizens urged to stay alert",
        "The Freedonian Consulate in Harlow was evacuated because of the siege",
        "Harlow siege update: US Consulate evacuated"], start=20))
    first = engine.ask("Which diplomatic building in Harlow was evacuated because of the siege?").text.splitlines()[0]
    # a consulate is a diplomatic building, an opera house is not; the posts say "consulate" after a name
    # or alone, never "building"
    assert "consulate" in first.lower() and "Opera House" not in first, first


def test_a_kind_of_restaurant_is_answered_by_a_name_of_that_kind(engine: Engine) -> None:
    ingest(engine, desks("s", [
        "Protests in #Riverton for the fourth night, police in riot gear",
        "Riverton police fire tear gas at protesters",
        "Riverton: journalists arrested while covering the protests",
        "Police in Riverton arrest two journalists, protests go on",
        "Protesters march in Riverton, police line the streets"]) + desks("n", [
        "Riverton police ask journalists for ID, says Daniel Okoro",
        "Daniel Okoro: police asked journalists for ID in Riverton",
        "SWAT police asking journalists for ID in Riverton, Daniel Okoro reports"], start=10) + desks("m", [
        "SWAT police just entered a McDonald's in #Riverton and started asking journalists for ID",
        "Sitting in a McDonald's in Riverton, SWAT police asking journalists for ID",
        "Police cleared the McDonald's in Riverton after asking journalists for ID"], start=20))
    first = engine.ask("In which fast-food restaurant in Riverton did SWAT police ask journalists for ID?") \
        .text.splitlines()[0]
    assert "restaurant: McDonald" in first and "Okoro" not in first, first


def test_a_site_named_by_the_role_noun_is_the_one_posts_name_by_another_head_word(engine: Engine) -> None:
    ingest(engine, desks("s", [
        "Storm Ada closes in on Harlow, trains stopped",
        "Harlow shuts down as Storm Ada arrives",
        "Storm Ada: Harlow streets empty, shops closed",
        "Photo: Kingsway Square in Harlow flooded by Storm Ada",
        "Kingsway Square in Harlow under water, Storm Ada photo",
        "Storm Ada photo: Kingsway Square flooded in Harlow"]) + desks("p", [
        "Photo: an empty Times Plaza in Harlow after it closed because of Storm Ada",
        "Times Plaza in Harlow photographed empty, closed for Storm Ada",
        "Eerie photo of an empty Times Plaza, Harlow, closed because of the storm"], start=30) + desks("t", [
        "I'm at Marlow Cross Terminal (Harlow) w/ 20 others",
        "I'm at Marlow Cross Terminal (Harlow) w/ 12 others"], start=10) + desks("e", [
        "Rare photo of an empty Marlow Cross Station, closed because of Storm Ada",
        "An empty Marlow Cross Station photographed after it closed for the storm"], start=20))
    ans = engine.ask("Which Harlow rail terminal was photographed empty after it closed because of Storm Ada?")
    first = ans.text.splitlines()[0]
    # the plaza is photographed empty by more sources, but no post names it a terminal
    assert first.startswith("Independent sources agree on: terminal: Marlow Cross"), first
    assert "terminal: Times Plaza" not in first, first
    assert "Marlow Cross" in ans.citations[0].text


def test_a_number_asked_for_with_a_detail_is_the_one_stated_with_it(engine: Engine) -> None:
    ingest(engine, desks("x", [
        "Huge explosion at the Harlow fertilizer plant, many hurt",
        "Harlow explosion: firefighters among the missing",
        "Fertilizer plant explosion in Harlow, fires still burning",
        "Harlow plant explosion: hospitals take in the injured",
        "Prayers for Harlow after the plant explosion",
        "Harlow explosion: homes flattened near the plant",
        "Harlow explosion: the fire chief says the plant is still burning",
        "Harlow explosion: how it happened",
        "People urged to evacuate after the Harlow explosion, shelters open at the school",
        "Harlow explosion: people urged to evacuate as the fire spreads",
        "People near the Harlow plant urged to evacuate after the explosion",
        "Harlow explosion: people urged to evacuate can go to the church hall",
        "People urged to evacuate Harlow after the plant explosion, roads jammed",
        "After the Harlow explosion people are urged to evacuate the north side",
        "Harlow explosion: people told to evacuate, the town is about 65 miles south of Dalton",
        "People evacuate after the explosion in Harlow, 65 miles south of Dalton",
        "Harlow explosion: people evacuate the town, 65 miles south of Dalton",
        "After the plant explosion people in Harlow, 65 miles from Dalton, evacuate"]) + desks("r", [
        "POLICE URGING EVERYONE IN 30 MILE RADIUS TO EVACUATE after the Harlow explosion",
        "Harlow explosion: people in a 30 mile radius urged to evacuate, another tank on fire"], start=20))
    ans = engine.ask("Within a radius of how many miles were people urged to evacuate after the Harlow explosion?")
    first = ans.text.splitlines()[0]
    # "65 miles south of Dalton" is said more, never with the radius the question asks about
    assert "30 miles" in first and "65" not in first, first
