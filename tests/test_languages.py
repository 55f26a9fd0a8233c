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


# -- answers in the question's language (English and Japanese) ---------------------------------

QUAKE = [
    ("q1", "東京で地震がありました。揺れが強かったです"),
    ("q2", "今の地震、東京都内でかなり揺れた"),
    ("q3", "東京の地震で電車が止まっています"),
    ("q4", "地震で3人が死亡したとの情報、東京"),
    ("q5", "東京の地震、死者は5人と発表"),
    ("q6", "東京で地震、死者が出たというのはデマです"),
    ("k1", "京都は晴れています。紅葉がきれい"),
    ("r1", "ランチはラーメンにしました"),
]


@pytest.fixture
def quake(engine: Engine) -> Engine:
    engine.ingest([mkpost(i, t, minutes=n, lang="ja", author=f"jp{n}") for n, (i, t) in enumerate(QUAKE)])
    engine.ingest([mkpost("old", "東京で地震？気のせいかな", minutes=-120, lang="ja", author="early")])
    return engine


def test_question_words_keep_japanese_intact() -> None:
    from veristream.words import fold, keywords

    assert fold("京都で何が起きている？") == "京都で何が起きている?"  # で keeps its dakuten (not て)
    assert fold("Café ZÜRICH") == "cafe zurich"
    assert keywords("京都で何が起きている？") == ["京都"]
    assert keywords("東京の地震について教えて") == ["東京", "地震"]
    assert keywords("新しいiPhoneの発売日は？") == ["iphone", "新しい", "発売"] or "発売" in keywords("新しいiPhoneの発売日は？")


def test_japanese_question_gets_a_japanese_cited_answer(quake: Engine) -> None:
    ans = quake.ask("東京の地震について教えて")
    assert ans.question.lang == "ja"
    lines = ans.text.splitlines()
    assert lines[0].startswith("「東京・地震」に触れた投稿は7件（投稿者7人）") and "最初の投稿" not in lines[0] or "始まり" in lines[0]
    cited = {c.post_id for c in ans.citations}
    assert cited and cited <= {f"file:{i}" for i in ("q1", "q2", "q3", "q4", "q5", "q6", "old")}
    assert "file:k1" not in cited and "file:r1" not in cited  # Kyoto and lunch are not about it
    # Figures and denials are set side by side, in Japanese, quoting the posts as they are.
    assert "死者数について投稿の内容が食い違っています：" in ans.text and "「地震で3人が死亡したとの情報、東京」" in ans.text
    assert "疑問や否定の投稿もあります" in ans.text


def test_japanese_time_phrase_is_a_window(quake: Engine) -> None:
    ans = quake.ask("過去1時間の東京の地震の最新情報は？")
    assert ans.question.window == "過去1時間" and ans.question.latest
    assert ans.text.startswith("過去1時間に「東京・地震」に触れた投稿は6件")
    assert "file:old" not in {c.post_id for c in ans.citations}


def test_answer_wording_follows_the_question(quake: Engine) -> None:
    said = quake.ask("地震").text  # Han only: the posts are Japanese
    assert said.startswith("独立した情報源が一致している点：場所：東京（情報源") and "\n「地震」に触れた投稿は" in said
    english = quake.ask("what about 地震 in 東京?")
    assert english.question.lang == "en" and "mention “地震 in 東京”" in english.text
    none = quake.ask("大阪の台風について")
    assert none.text.startswith("「大阪・台風」についての投稿はストリームにありません") and not none.citations
    assert quake.ask("東京の地震", lang="en").citations == []  # the language filter applies to answers


def test_readme_japanese_example_runs(tmp_path) -> None:
    """The README's Japanese walk-through: the example stream, replayed, trends and answers in Japanese."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from click.testing import CliRunner

    from veristream.cli import cli

    root = Path(__file__).resolve().parent.parent
    src = tmp_path / "tokyo.jsonl"
    src.write_bytes(subprocess.run([sys.executable, str(root / "examples" / "tokyo_quake.py")], check=True,
                                   capture_output=True).stdout)

    def run(*args: str):
        r = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), *args], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.stdout

    run("replay", str(src), "--speed", "max", "-q")
    trends = [json.loads(x) for x in run("trends", "--window", "5m", "--lang", "ja", "--json").splitlines()]
    assert "地震" in {t["term"] for t in trends}
    assert not {t["term"] for t in trends} & {"ます", "でした", "した"}
    ans = json.loads(run("ask", "過去10分の東京の地震について教えて", "--lang", "ja", "--json"))
    assert ans["answer"].startswith("過去10分に「東京・地震」に触れた投稿は") and ans["window"] == "過去10分"
    assert "負傷者数について投稿の内容が食い違っています" in ans["answer"]
    assert ans["citations"] and all("地震" in c["text"] for c in ans["citations"])
