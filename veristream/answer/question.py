"""Time in questions: "in the last hour", "past 30 minutes", "today", "latest on ...".

Times are event time: "the last hour" is the hour before the newest stored post (the
stream's now), or before --until when given, so a replayed stream is asked about as it was
live. An explicit --since wins over what the question says.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .base import Question
from ..analysis import needs_analysis, strip_spaceless
from ..lang import detect_lang

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400, "day": 86400,
          "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12,
            "fifteen": 15, "twenty": 20, "thirty": 30, "few": 3, "couple of": 2}
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|[smhdw])"
_N = r"(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|twelve|fifteen|twenty|thirty|few|couple of)"
_SPAN = re.compile(rf"\b(?:(?:in|over|during|within|from)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?:{_N}\s*)?{_UNIT}\b",
                   re.IGNORECASE)
_TODAY = re.compile(r"\b(?:so far\s+)?today\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\bsince yesterday\b", re.IGNORECASE)
# Japanese: 過去1時間 / 直近30分 / この3日間 / ここ数時間, 今日, 最新・今・現在.
_JA_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "数": 3,
               "十二": 12, "二十": 20, "三十": 30, "二十四": 24}
_JA_UNITS = {"秒": 1, "分": 60, "時間": 3600, "日": 86400, "週": 604800, "週間": 604800}
_JA_SPAN = re.compile(r"(?:過去|直近|この|ここ|最近の?)\s*(\d+|[一二三四五六七八九十数]+)?\s*(秒|分|時間|日|週間|週)間?"
                      r"(?:以内)?(?:の間)?[のでにはを]?")
_JA_TODAY = re.compile(r"(?:今日|本日)[のはで]?")
_KANA = re.compile("[\u3040-\u30ff]")
_JA_LATEST = re.compile(r"最新|速報|現在|いま|今(?!日|週|月|年)")
_LATEST = re.compile(r"\b(?:latest|newest|most recent|right now|at the moment|currently|breaking|"
                     r"what'?s new|going on now|happening now|just now)\b", re.IGNORECASE)


def _ja_count(n: str | None) -> float | None:
    if n is None:
        return 1.0
    return float(n) if n.isdigit() else _JA_NUMBERS.get(n)


def parse_question(text: str, now: datetime | None, since: datetime | None = None,
                   until: datetime | None = None) -> Question:
    topic = " ".join(text.split())
    q_since: datetime | None = None
    if until is not None and (now is None or until < now):
        now = until  # "the last hour" before --until
    window = None
    m = _SPAN.search(topic)
    if (j := _JA_SPAN.search(topic)) and now is not None and (count := _ja_count(j.group(1))) is not None:
        q_since = now - timedelta(seconds=count * _JA_UNITS[j.group(2)])
        window = j.group(0).rstrip("のでにはを")
        topic = (topic[: j.start()] + " " + topic[j.end():]).strip()
    elif (j := _JA_TODAY.search(topic)) and now is not None:
        q_since = now.replace(hour=0, minute=0, second=0, microsecond=0)
        window, topic = j.group(0).rstrip("のはで"), (topic[: j.start()] + " " + topic[j.end():]).strip()
    elif m and now is not None:
        n = m.group(1)
        count = 1.0 if n is None else float(_NUMBERS[n.lower()]) if n.lower() in _NUMBERS else float(n)
        secs = count * _UNITS[m.group(2).lower()]
        q_since = now - timedelta(seconds=secs)
        window = m.group(0).strip()
        topic = (topic[: m.start()] + topic[m.end():]).strip()
    elif (m := _YESTERDAY.search(topic)) and now is not None:
        q_since = now - timedelta(days=1)
        window, topic = m.group(0), (topic[: m.start()] + topic[m.end():]).strip()
    elif (m := _TODAY.search(topic)) and now is not None:
        q_since = now.replace(hour=0, minute=0, second=0, microsecond=0)
        window, topic = m.group(0), (topic[: m.start()] + topic[m.end():]).strip()
    latest = bool(_LATEST.search(topic) or _JA_LATEST.search(topic))
    topic = re.sub(r"\s+([?.!,])", r"\1", " ".join(topic.split())).strip(" ,")
    return Question(text, topic or text, since if since is not None else q_since, until, latest,
                    window if since is None else None, answer_language(text))


WORDINGS = ("en", "ja")


def answer_language(text: str) -> str:
    """The language the answer is worded in: the question's, where a wording exists
    (English and Japanese); English otherwise, around posts quoted in their own language."""
    if _KANA.search(text):
        return "ja"
    if needs_analysis(text) and not any(c.isalpha() for c in strip_spaceless(text)):
        lang = detect_lang(text)
        if lang in WORDINGS:
            return lang
    return "en"
