"""Every language is searchable: spaceless scripts get word analysis, others folding."""

from __future__ import annotations

import pytest

from veristream import Engine
from veristream.analysis import needs_analysis, tokens
from conftest import mkpost

POSTS = [
    ("ja1", "東京で地震がありました", "ja"),
    ("ja2", "東京都に住んでいます", "ja"),
    ("ja3", "京都へ行きました。紅葉がきれい", "ja"),
    ("ja4", "新しいiPhoneが発売されました", "ja"),
    ("zh1", "北京发生地震了，大家注意安全", "zh"),
    ("zh2", "上海今天下大雨", "zh"),
    ("ko1", "서울에서 지진이 발생했습니다", "ko"),
    ("ko2", "부산 날씨가 좋아요", "ko"),
    ("th1", "เกิดแผ่นดินไหวที่เชียงใหม่", "th"),
    ("th2", "ฝนตกหนักที่กรุงเทพ", "th"),
    ("ar1", "زلزال قوي يضرب المدينة الليلة", "ar"),
    ("es1", "Inundación en Valencia: cortes de tráfico", "es"),
    ("de1", "Die Straßenbahn fährt heute nicht", "de"),
    ("mix", "Breaking: 地震 hits Tokyo, 東京 is shaking", "en"),
]

# (query, posts that must match, posts that must not)
CASES = [
    ("地震", {"ja1", "zh1", "mix"}, {"ja2", "ja3", "zh2"}),
    ("京都", {"ja3"}, {"ja2"}),  # Kyoto must not match Tokyo Metropolis (東京都 = 東京 + 都)
    ("東京", {"ja1", "ja2", "mix"}, {"ja3"}),
    ("東京都", {"ja2"}, {"ja1", "ja3"}),
    ("発売", {"ja4"}, {"ja1"}),
    ("iphone", {"ja4"}, set()),
    ("北京", {"zh1"}, {"zh2"}),
    ("下大雨", {"zh2"}, {"zh1"}),
    ("지진", {"ko1"}, {"ko2"}),
    ("부산", {"ko2"}, {"ko1"}),
    ("แผ่นดินไหว", {"th1"}, {"th2"}),
    ("กรุงเทพ", {"th2"}, {"th1"}),
    ("زلزال", {"ar1"}, {"es1"}),
    ("inundacion", {"es1"}, set()),
    ("Inundación valencia", {"es1"}, set()),
    ("trafico", {"es1"}, set()),
    ("strassenbahn", {"de1"}, set()),
    ("Straßenbahn fährt", {"de1"}, set()),
    ("tokyo 地震", {"mix"}, {"ja1", "zh1"}),
]


@pytest.fixture
def multilingual(engine: Engine) -> Engine:
    engine.ingest([mkpost(i, text, lang=lang, author=f"a{n}") for n, (i, text, lang) in enumerate(POSTS)])
    return engine


@pytest.mark.parametrize("query,must,must_not", CASES)
def test_queries_match_in_every_script(multilingual: Engine, query: str, must: set[str], must_not: set[str]) -> None:
    got = {h.post.id for h in multilingual.search(query, all_posts=True, limit=50).hits}
    assert must <= got, f"{query!r} missed {must - got}"
    assert not (must_not & got), f"{query!r} wrongly matched {must_not & got}"


def test_script_matches_whatever_the_detected_language(engine: Engine) -> None:
    # A Japanese post mislabelled as English is still found by a Japanese query.
    engine.ingest([mkpost("x", "大阪で停電が発生", lang="en")])
    assert [h.post.id for h in engine.search("停電").hits] == ["x"]


def test_language_filter_applies_to_every_script(multilingual: Engine) -> None:
    assert {h.post.id for h in multilingual.search("地震", lang="zh").hits} == {"zh1"}


def test_reindex_keeps_analysis(multilingual: Engine) -> None:
    multilingual.reindex()
    assert {h.post.id for h in multilingual.search("京都", all_posts=True).hits} == {"ja3"}


def test_analysis_only_touches_spaceless_scripts() -> None:
    assert not needs_analysis("plain english text") and not needs_analysis("Straße und café")
    assert tokens("hello world") == []
    assert "地震" in tokens("東京で地震がありました", "ja")
    assert tokens("서울 지진", "ko") == ["서울", "지진"]


def test_japanese_copypasta_is_one_story(engine: Engine) -> None:
    base = "拡散希望：駅前の道路が冠水しています。近づかないでください。車は迂回してください"
    engine.ingest([mkpost(str(i), base + "！" * i, lang="ja", author=f"u{i}") for i in range(5)])
    hits = engine.search("冠水").hits
    assert len(hits) == 1 and hits[0].story.posts == 5
