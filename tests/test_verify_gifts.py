"""Gifts: many give to one appeal. Another giver is another gift, not a rival of the claim's giver
once the stream confirms the claim's; a sum is the giver's own; "Energy" names no company
(docs/verify.md, "Many givers"). Real engines over hand-written posts about invented events; no
shared data."""

from __future__ import annotations

from pathlib import Path

from conftest import with_noise

GIFTS = [("g1", "wire", "Harlow Energy donates $2 million to the Riverton flood appeal"),
         ("g2", "tv", "Riverton flood appeal: Harlow Energy has donated $2 million"),
         ("g3", "paper", "Harlow Energy gives $2 million to the Riverton flood appeal, the company says"),
         ("g4", "fan1", "Singer Mara Quinn donates $1 million to the Riverton flood appeal"),
         ("g5", "fan2", "Mara Quinn just donated $1 million to the Riverton flood appeal. What a star"),
         ("g6", "fan3", "So proud of Mara Quinn: $1 million donated to the Riverton flood appeal"),
         ("g7", "fan4", "Mara Quinn donated $1 million to the Riverton flood appeal!!"),
         ("g8", "biz1", "Kestrel Energy pledges $500,000 to the Riverton flood appeal"),
         ("g9", "biz2", "Kestrel Energy donates $500,000 to the Riverton flood appeal")]


def agent(v):
    got = [r for r in v.assertions if r.assertion.kind == "agent"]
    assert got, [(r.assertion.kind, r.assertion.value) for r in v.assertions]
    return got[0]


def test_other_givers_to_the_same_appeal_are_no_rivals_of_a_confirmed_giver(tmp_path: Path) -> None:
    with with_noise(tmp_path, GIFTS) as eng:
        right = eng.verify("Harlow Energy donated $2 million to the Riverton flood appeal.")
        assert right.verdict == "supported", right.reasons
        r = agent(right)
        assert r.status == "confirmed" and r.other_givers >= 2, r.summary
        assert "others who gave too" in r.summary
        # the sum is still the giver's: another sum for Harlow Energy is refuted
        more = eng.verify("Harlow Energy donated $5 million to the Riverton flood appeal.")
        assert more.verdict == "refuted", more.reasons
        # a giver the stream never names is refuted by the givers it does name
        nobody = eng.verify("Singer Tom Vale donated $1 million to the Riverton flood appeal.")
        assert nobody.verdict == "refuted", nobody.reasons


def test_a_business_word_names_no_company(tmp_path: Path) -> None:
    # "Pell Energy" shares only "Energy" with the givers the stream names: they are not it
    with with_noise(tmp_path, GIFTS) as eng:
        v = eng.verify("Pell Energy donated $2 million to the Riverton flood appeal.")
        assert v.verdict == "refuted", v.reasons
        r = agent(v)
        assert r.confirm.authors == 0 and r.status == "conflicted", r.summary


def test_a_sum_is_said_of_the_giver_who_gave_it(tmp_path: Path) -> None:
    # The governor's $1 million, and a bank's $250,000 to the same appeal: the bank's sum says
    # nothing of his.
    rows = [("a1", "wire", "Governor Daniel Hale has launched the Riverton Flood Appeal with a $1 million donation"),
            ("a2", "tv", "Riverton Flood Appeal launched by Governor Daniel Hale with a $1 million state donation"),
            ("b1", "bank1", "Tellco Bank donates $250,000 to the Riverton Flood Appeal"),
            ("b2", "bank2", "Tellco Bank announces it is donating $250,000 to the Riverton Flood Appeal"),
            ("b3", "bank3", "Tellco Bank: $250,000 donated to the Riverton Flood Appeal")]
    with with_noise(tmp_path, rows) as eng:
        v = eng.verify("Governor Daniel Hale launched the Riverton Flood Appeal with a $1 million donation.")
        assert v.verdict == "supported", v.reasons
        n = [r for r in v.assertions if r.assertion.kind == "number"][0]
        assert n.status == "confirmed" and not n.other_values, n.summary
        wrong = eng.verify("Governor Daniel Hale launched the Riverton Flood Appeal with a $5 million donation.")
        assert wrong.verdict == "refuted", wrong.reasons
