"""Language identification with the bundled fastText lite model (no network)."""

from __future__ import annotations

import pytest

from veristream.lang import detect_lang, detect_many

SENTENCES = {
    "en": "Two explosions went off near the finish line of the Boston Marathon this afternoon.",
    "es": "Dos explosiones sacudieron la meta del maratón de Boston esta tarde, hay varios heridos.",
    "de": "Zwei Explosionen erschütterten heute Nachmittag die Ziellinie des Boston-Marathons.",
    "ja": "ボストンマラソンのゴール付近で二度の爆発があり、多くの負傷者が出ています。",
    "fr": "Deux explosions ont secoué la ligne d'arrivée du marathon de Boston cet après-midi.",
}


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_detects_language(code: str) -> None:
    assert detect_lang(SENTENCES[code]) == code


def test_ignores_urls_mentions_hashtags_and_case() -> None:
    noisy = "@BostonPolice #BostonMarathon https://t.co/abc123 " + SENTENCES["es"] + "\n#prayforboston"
    assert detect_lang(noisy) == "es"
    assert detect_lang("PLEASE STAY AWAY FROM BOYLSTON STREET, POLICE ARE CLEARING THE AREA") == "en"


@pytest.mark.parametrize(
    "text",
    ["", "   \n", "😭😭🙏🙏❤️", "https://t.co/abc123", "@bob #boston https://example.com/x", "ok", "12:45 !!!"],
)
def test_none_when_nothing_to_judge(text: str) -> None:
    assert detect_lang(text) is None


def test_detect_many_matches_detect_lang() -> None:
    texts = [*SENTENCES.values(), "", "👍"]
    assert detect_many(texts) == [*SENTENCES.keys(), None, None]
    assert detect_many([]) == []
