""""What kind (type, sort) of <noun>" is answered by the word posts put before the noun ("a
middle school"), corroborated like any fact; words that say where or how many ("a nearby
school", "the school") are no kind (issue 16, point 4). Hand-made streams through `Engine.ask`."""

from __future__ import annotations

from veristream import Engine
from conftest import desks, ingest


def test_what_kind_of_thing_is_the_word_before_its_noun(engine: Engine) -> None:
    ingest(engine, desks("s", [
        "Storm in Marlow: roofs torn off across town",
        "Marlow storm: power lines down on the high street",
        "The Marlow storm tore the roof off a nearby school",
        "Marlow storm damaged the middle school on Hill Road, pupils sent home",
        "Pupils evacuated after the storm hit a middle school in Marlow",
        "Marlow storm: the middle school roof collapsed overnight, nobody hurt",
        "Marlow storm cleanup begins",
    ]))
    ans = engine.ask("What kind of school did the Marlow storm damage?", composer="extractive")
    assert "middle school" in ans.text.splitlines()[0], ans.text
