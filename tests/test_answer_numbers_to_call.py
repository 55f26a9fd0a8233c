"""A question asking for a number to call or text ("what phone number", "what toll-free number
could people call", "what number could people text X to") is answered by the number posts give,
however each writes it, corroborated like any other fact (issue 16, point 4); a count asked
with "number" is not. Hand-made streams through `Engine.ask` (extractive)."""

from __future__ import annotations

import re

from veristream import Engine
from conftest import desks, ingest


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


FLOOD = [
    "Flooding in Marlow: the river burst its banks overnight",
    "Marlow flood: homes evacuated along the river",
    "Roads closed across Marlow as the flood rises",
    "Marlow flood relief centre opens at the town hall",
    "Crisis line in Marlow: people who need to talk after the flood can call (555) 238-3311",
]


def test_the_number_to_call_is_the_one_posts_give(engine: Engine) -> None:
    ingest(engine, desks("f", FLOOD) + desks("c", [
        "Marlow flood crisis line is open all night: people can call 555-238-3311 to talk",
        "If the Marlow flood has people shaken, call and talk to someone: 555.238.3311",
        "People can call to donate to the Marlow flood appeal: 1-800-418-1111",
        "Red Cross Marlow flood appeal: people can donate, call 1 800 418 1111 or go online",
        "To donate to the Marlow flood appeal call 1-800-418-1111 toll free",
    ], start=10))
    ans = engine.ask("What number could people call to talk about the Marlow flood?", composer="extractive")
    first = ans.text.splitlines()[0]
    assert "5552383311" in digits(first.split(";")[0]), ans.text  # three writings of one number: the first fact
    ans = engine.ask("What toll-free number could people call to donate to the Marlow flood appeal?",
                     composer="extractive")
    assert "18004181111" in digits(ans.text.splitlines()[0].split(";")[0]), ans.text


def test_a_count_asked_with_number_is_no_number_to_call(engine: Engine) -> None:
    ingest(engine, desks("f", FLOOD))
    ans = engine.ask("What number of homes were evacuated in the Marlow flood?", composer="extractive")
    assert "2383311" not in digits(ans.text.splitlines()[0]), ans.text
