"""A replayable Japanese stream for trying veristream in Japanese (README: Languages).

Writes JSONL in veristream's own post schema to stdout: 38 minutes of everyday chatter from
400 accounts (mostly Japanese, some English), and from minute 30 an earthquake felt in Tokyo,
posted about by many accounts in their own words — figures that disagree, a rumour and its
denial included. Deterministic (same seed, same stream); no external data.

    python examples/tokyo_quake.py > tokyo.jsonl
    veristream replay tokyo.jsonl --speed max
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta, timezone

import orjson

START = datetime(2026, 3, 11, 5, 15, tzinfo=timezone.utc)  # 14:15 in Tokyo

CHATTER_JA = [
    "今日の{food}おいしかった", "{place}の{thing}が混んでる", "{food}食べたいなあ", "やっと金曜日、{thing}に行く予定",
    "{place}で{thing}を見かけた", "朝の{thing}が遅れて遅刻しそう", "新しい{thing}買った、最高", "{place}は天気がいい",
    "{food}を作ってみた", "仕事終わらない…{food}で元気出す", "週末は{place}で{thing}", "{thing}の動画が面白すぎる",
]
CHATTER_EN = ["lunch at {place_en} was great", "stuck in traffic again", "new {thing_en} day", "coffee first, then work"]
SLOTS = {
    "food": ["ラーメン", "カレー", "寿司", "パン", "コーヒー", "うどん", "ケーキ", "焼き鳥"],
    "place": ["渋谷", "新宿", "大阪", "京都", "横浜", "名古屋", "札幌", "福岡"],
    "thing": ["電車", "カフェ", "映画", "ライブ", "本屋", "公園", "ゲーム", "スマホ"],
    "place_en": ["Shibuya", "the office", "Ueno"],
    "thing_en": ["phone", "laptop", "bike"],
}
QUAKE = [
    "今の地震すごく揺れた！{area}", "{area}で地震、棚の物が落ちた", "地震で電車が止まっています、{area}",
    "地震速報：{area}で震度5弱、津波の心配はないとのこと", "長い揺れだった…{area}の地震、みんな無事？",
    "地震のあと{area}で停電しています", "{area}の地震、エレベーターが止まった", "また余震、{area}は気をつけて #地震",
    "地震で3人がけがをしたとの情報 {area}", "{area}の地震、負傷者は5人と発表", "大きな地震でした、{area}にいます #地震",
]
RUMOUR = "動物園からライオンが逃げたという噂、本当？ #地震"
DENIAL = "ライオンが逃げたというのはデマです。動物園が否定しています #地震"
AREAS = ["東京", "東京都内", "千代田区", "新宿", "品川", "東京23区", "多摩"]
QUAKE_EN = ["felt a strong earthquake in Tokyo just now", "earthquake in Tokyo, trains stopped"]


def fill(template: str, rng: random.Random) -> str:
    out = template
    for k, vs in SLOTS.items():
        out = out.replace("{" + k + "}", rng.choice(vs))
    return out.replace("{area}", rng.choice(AREAS))


def stream(seed: int = 11, minutes: float = 38, quake_at: float = 30):
    rng = random.Random(seed)
    authors = [(f"u{i}", f"user_{i:03d}", "ja" if i % 10 else "en") for i in range(400)]
    t, n = 0.0, 0
    while t < minutes * 60:
        t += rng.expovariate(2.0)  # two posts a second of chatter
        n += 1
        aid, handle, lang = rng.choice(authors)
        text = fill(rng.choice(CHATTER_JA if lang == "ja" else CHATTER_EN), rng)
        yield t, f"c{n}", aid, handle, lang, text
        since = t - quake_at * 60
        if since >= 0 and rng.random() < 0.9 * (0.5 ** (since / 240)):  # the quake's posts fade by half every 4 min
            aid, handle, lang = rng.choice(authors)
            if lang == "en":
                text = rng.choice(QUAKE_EN)
            elif 120 < since < 600 and rng.random() < 0.12:
                text = RUMOUR if since < 300 else DENIAL
            else:
                text = fill(rng.choice(QUAKE), rng)
            yield t, f"q{n}", aid, handle, lang, text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    out = sys.stdout.buffer
    for t, pid, aid, handle, lang, text in stream(args.seed):
        at = START + timedelta(seconds=t)
        out.write(orjson.dumps({"id": pid, "source": "file", "text": text, "lang": lang,
                                "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                                "author": {"id": aid, "handle": handle}}) + b"\n")


if __name__ == "__main__":
    main()
