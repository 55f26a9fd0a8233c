"""Text analysis for scripts written without spaces between words.

Space-separated languages are analysed inside tantivy (words, lowercase, accent folding).
Japanese, Chinese, Korean and Thai are not: a word splitter finds nothing in them. For those
runs of text this module produces word tokens, and the index keeps them in a field of their
own (`cjk`), so posts in other scripts pay nothing:

- Japanese (text with kana, or a post whose language is `ja`): morphological analysis with
  MeCab (`fugashi`) and IPADIC, whose dictionary ships inside the `ipadic` package (no
  download). It tells 京都 (Kyoto) from 東京都 (Tokyo Metropolis: 東京 + 都). MeCab was
  chosen over Lindera's Python binding for speed: ~12 µs vs ~60 µs per post here.
- Chinese (Han characters without kana), Korean and Thai: overlapping character bigrams.
  Dictionary segmenters for them (e.g. CC-CEDICT, ko-dic) split common phrases wrongly
  (今天下大雨 → 今/天下/大雨), losing matches; bigrams give full recall and phrase queries
  over them keep precision. A one-character query in these scripts matches nothing.

Queries are analysed the same way. A query run of Han characters alone could be Japanese or
Chinese, so it matches either analysis. Limits: a Japanese post written only in kanji (no
kana) and not labelled `ja` is analysed as Chinese, where 京都 does match inside 東京都.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

# Hiragana, katakana (incl. halfwidth), CJK ideographs (+ext A, compatibility), Hangul, Thai.
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_THAI = "\u0e00-\u0e7f"
_ANY = re.compile(f"[{_KANA}{_HAN}{_HANGUL}{_THAI}]")
_KANA_RE = re.compile(f"[{_KANA}]")
_CJ_RUN = re.compile(f"[{_KANA}{_HAN}ー]+")
_BIGRAM_RUN = re.compile(f"[{_HANGUL}]+|[{_THAI}]+")
_WORDLIKE = re.compile(f"[{_KANA}{_HAN}]")
_LATIN_WORD = re.compile(r"[^\W_]+")


def needs_analysis(text: str) -> bool:
    """True when the text holds a script that is written without spaces."""
    return not text.isascii() and _ANY.search(text) is not None


class _Mecab:
    """MeCab taggers, one per thread (a tagger must not be shared between threads)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def tokenize(self, text: str) -> list[str]:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            import fugashi
            import ipadic

            # -Owakati: words separated by spaces, one C call, no per-token objects.
            tagger = self._local.tagger = fugashi.GenericTagger(ipadic.MECAB_ARGS + " -Owakati")
        return tagger.parse(text).split()


    def tag(self, text: str) -> list[tuple[str, str, str]]:
        """(surface, part of speech, its subclass) per word."""
        tagger = getattr(self._local, "full", None)
        if tagger is None:
            import fugashi
            import ipadic

            tagger = self._local.full = fugashi.GenericTagger(ipadic.MECAB_ARGS)
        return [(n.surface, n.feature[0], n.feature[1]) for n in tagger(text)]


@lru_cache(maxsize=1)
def _mecab() -> _Mecab:
    return _Mecab()


# Nouns a question is made of but is not about ("tell me the latest information on ..."), and
# noun subclasses that never carry a topic (pronouns, dependent nouns, counters, numbers —
# digits are taken by the word splitter).
_JA_STOP = frozenset("""
何 なに いつ どこ 誰 だれ こと もの 事 物 方 ところ 所 とき 時 件 感じ 様子 状況 情報 最新 最近 今 いま 現在 今日 本日
ニュース 話題 発生 速報 内容 詳細 教え 関連 について 全て 全部 みんな 皆
""".split())
_JA_SKIP = frozenset({"代名詞", "非自立", "接尾", "数", "副詞可能"})
# Chinese function characters: a bigram holding one is grammar, not topic (什么, 发生了, 的).
_ZH_STOP = frozenset("的了是在吗呢什么怎样哪谁吧啊和与就都也还又很")


def content_tokens(text: str, lang: str | None = None) -> list[str]:
    """The topic words of a question or statement in spaceless scripts (empty for other
    text): Japanese nouns by MeCab, character bigrams without function characters otherwise.
    The same tokens the index holds in its `cjk` field, so they work as query terms."""
    if not needs_analysis(text):
        return []
    out: list[str] = []
    if lang == "ja" or (lang != "zh" and _KANA_RE.search(text) is not None):
        for run in _CJ_RUN.findall(text):
            out.extend(w for w, pos, sub in _mecab().tag(run)
                       if pos == "名詞" and sub not in _JA_SKIP and w not in _JA_STOP and _WORDLIKE.search(w))
    else:
        for run in _CJ_RUN.findall(text):
            out.extend(b for b in _bigrams(run) if len(b) == 2 and not (set(b) & _ZH_STOP))
    for run in _BIGRAM_RUN.findall(text):
        out.extend(_bigrams(run.lower()))
    return out


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def _japanese(text: str) -> list[str]:
    return [t for t in _mecab().tokenize(text) if _WORDLIKE.search(t)]


def tokens(text: str, lang: str | None = None) -> list[str]:
    """Word tokens for the spaceless-script parts of a post (empty for other text)."""
    if not needs_analysis(text):
        return []
    out: list[str] = []
    japanese = lang == "ja" or (lang != "zh" and _KANA_RE.search(text) is not None)
    if japanese:
        out.extend(_japanese(text))
    else:
        for run in _CJ_RUN.findall(text):
            out.extend(_bigrams(run))
    for run in _BIGRAM_RUN.findall(text):
        out.extend(_bigrams(run.lower()))
    # Latin words glued to a spaceless run ("新しいiPhoneが…") are invisible to the word
    # tokenizer of the main text field (the whole chunk is one "word" there): keep them here.
    for chunk in text.split():
        if _ANY.search(chunk):
            out.extend(w.lower() for w in _LATIN_WORD.findall(strip_spaceless(chunk)))
    return out


def query_alternatives(chunk: str) -> list[list[str]]:
    """Token sequences a query chunk may stand for; a post matching any one (as a phrase)
    matches. Han-only chunks may be Japanese or Chinese, so both analyses are offered."""
    alts: list[list[str]] = []
    runs = _CJ_RUN.findall(chunk)
    if runs:
        ja = _japanese(" ".join(runs))
        if ja:
            alts.append(ja)
        if not _KANA_RE.search(chunk):
            zh = [t for run in runs for t in _bigrams(run)]
            if zh not in alts:
                alts.append(zh)
    other = []
    for run in _BIGRAM_RUN.findall(chunk):
        other.extend(_bigrams(run.lower()))
    if other:
        alts = [a + other for a in alts] if alts else [other]
    return alts


_ALL_RUNS = re.compile(f"[{_KANA}{_HAN}{_HANGUL}{_THAI}ー]+")


def split_spaceless(text: str) -> list[str]:
    """[other, spaceless, other, spaceless, ..., other]: odd items are spaceless-script runs."""
    return _ALL_RUNS_SPLIT.split(text)


_ALL_RUNS_SPLIT = re.compile(f"([{_KANA}{_HAN}{_HANGUL}{_THAI}ー]+)")


def strip_spaceless(text: str) -> str:
    """The text with its spaceless-script runs replaced by spaces."""
    return _ALL_RUNS.sub(" ", text)
