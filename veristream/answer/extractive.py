"""The extractive composer: a short cited digest built from the posts themselves, no model.

What it says, each line cited:
* how many posts and distinct authors mention the topic (in the window asked about), when it
  started (the first post, cited) and when it peaked (the busiest interval);
* the key posts, quoted: the best post of each of the top stories, with its author, time and
  how many copies it has;
* first, the facts independent sources agree on (`facts.py`: what happened, where, how many,
  the cause, who), each with its number of sources and cited, the roles the question asks
  about first;
* disagreements side by side: posts giving different figures for the same thing ("3 dead"
  vs "12 dead"), or posts that deny or doubt what others report;
* the newest post, when it is not quoted already;
* plainly, when the stream holds nothing on the question, or only one uncorroborated post.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from ..model import all_words, attachments, from_us, to_us
from ..retrieve import Hit
from ..words import STOPWORDS, keywords
from .base import Composer, Draft, Evidence
from .citations import defang
from .facts import facts, question_kind
from .prompt import addresses_model
from .question import read_slot
from .wording import English, when, wording

KEY_POSTS = 3
_BUCKETS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400]

_FIGURE = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+(?:people\s+|persons\s+|were\s+|are\s+|confirmed\s+|reported\s+)?"
    r"(dead|killed|deaths?|died|injured|injuries|hurt|wounded|missing|victims|casualties|evacuated|arrested|"
    r"homes|houses|buildings|hostages|fatalities)\b", re.IGNORECASE)
_MAGNITUDE = re.compile(r"\b(?:magnitude|mag\.?|m)\s*(\d(?:\.\d)?)\b", re.IGNORECASE)
# Japanese: 死者3人 / 死者は3人 / 3人が死亡 / マグニチュード7.1.
_JA_FIGURE_BEFORE = re.compile(r"(死者|死亡者|犠牲者|負傷者|けが人|重傷者|行方不明者|避難者|逮捕者)(?:数)?(?:は|が)?\s*(\d[\d,]*)\s*人")
_JA_FIGURE_AFTER = re.compile(r"(\d[\d,]*)\s*人(?:が|も)?(死亡|死去|負傷|けが|重傷|行方不明|避難|逮捕)")
_JA_MAGNITUDE = re.compile(r"マグニチュード\s*(\d(?:\.\d)?)")
_JA_KIND = {"死者": "dead", "死亡者": "dead", "犠牲者": "dead", "死亡": "dead", "死去": "dead", "負傷者": "injured",
            "けが人": "injured", "重傷者": "injured", "負傷": "injured", "けが": "injured", "重傷": "injured",
            "行方不明者": "missing", "行方不明": "missing", "避難者": "evacuated", "避難": "evacuated",
            "逮捕者": "arrested", "逮捕": "arrested"}
_JA_DOUBT = re.compile(r"デマ|嘘|うそ|ウソ|フェイク|誤情報|偽情報|事実ではない|事実無根|根拠(?:が|は)?ない|未確認|ガセ|捏造|否定")
_KIND = {"killed": "dead", "deaths": "dead", "death": "dead", "died": "dead", "fatalities": "dead", "victims": "dead",
         "casualties": "dead", "injuries": "injured", "hurt": "injured", "wounded": "injured", "houses": "homes"}
_DOUBT = re.compile(
    r"\b(hoax|not true|isn'?t true|untrue|debunk\w*|denie[sd]|denying|rumou?r(?:s|ed)?|unconfirmed|no evidence|"
    r"misinformation|disinformation|didn'?t happen|not confirmed|photoshopped|"
    r"(?:is|was|are|it'?s|that'?s|totally|completely)\s+fake|fake\s+(?:news|video|photo|picture|image|pic|report|"
    r"account|story)|false\s+(?:report|claim|alarm|rumou?r|information|info))\b", re.IGNORECASE)


def quote(text: str, max_chars: int, w: English | None = None) -> str:
    o, c = (w.open_quote, w.close_quote) if w is not None else ("“", "”")
    t = defang(" ".join(text.split()))
    if len(t) > max_chars:
        t = t[: max_chars - 1].rstrip() + "…"
    return o + t.replace(o, "‘").replace(c, "’") + c


def peak(times: list[int]) -> tuple[int, int, int] | None:
    """(start us, width s, posts) of the busiest interval, the interval chosen for ~12+ buckets."""
    act = activity(times)
    return act[1:] if act else None


def activity(times: list[int]) -> tuple[int, int, int, int] | None:
    """(start us of the main burst, peak start us, width s, posts in the peak). The main burst
    is the run of busy intervals around the peak (gaps of up to two empty intervals): a
    question about a past event also matches older, unrelated mentions, which it leaves out."""
    if len(times) < 3:
        return None
    span = (max(times) - min(times)) / 1e6
    if span < 60:
        return None
    width = next((w for w in _BUCKETS if span / w <= 24), _BUCKETS[-1])
    step = width * 1_000_000
    counts = Counter(t // step for t in times)
    bucket, n = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))
    b = bucket
    while (b - 1) in counts or (b - 2) in counts or (b - 3) in counts:
        b = next(x for x in (b - 1, b - 2, b - 3) if x in counts)
    return min(t for t in times if t // step >= b), bucket * step, width, n


def figures(posts: list[Hit]) -> dict[str, dict[str, list[Hit]]]:
    """kind -> value -> posts stating it ("dead" -> "3" -> [...])."""
    out: dict[str, dict[str, list[Hit]]] = {}
    for h in posts:
        seen = set()
        said = all_words(h.post)  # figures read in an attached image count as the post's
        for m in _FIGURE.finditer(said):
            kind = _KIND.get(m.group(2).lower(), m.group(2).lower())
            val = m.group(1).replace(",", "")
            if (kind, val) not in seen:
                seen.add((kind, val))
                out.setdefault(kind, {}).setdefault(val, []).append(h)
        for kind, val in _ja_figures(said):
            if (kind, val) not in seen:
                seen.add((kind, val))
                out.setdefault(kind, {}).setdefault(val, []).append(h)
        for m in (*_MAGNITUDE.finditer(said), *_JA_MAGNITUDE.finditer(said)):
            if ("magnitude", m.group(1)) not in seen:
                seen.add(("magnitude", m.group(1)))
                out.setdefault("magnitude", {}).setdefault(m.group(1), []).append(h)
    return out


def _ja_figures(text: str) -> list[tuple[str, str]]:
    if text.isascii():
        return []
    out = [(_JA_KIND[m.group(1)], m.group(2).replace(",", "")) for m in _JA_FIGURE_BEFORE.finditer(text)]
    out += [(_JA_KIND[m.group(2)], m.group(1).replace(",", "")) for m in _JA_FIGURE_AFTER.finditer(text)]
    return out


class ExtractiveComposer(Composer):
    name = "extractive"
    corroboration = 2.0  # how far a story's size lifts its key post (ranks per doubling of posts)

    def __init__(self, max_chars: int = 280, key_posts: int = KEY_POSTS):
        self.max_chars = max_chars
        self.key_posts = key_posts

    def compose(self, ev: Evidence) -> Draft:
        sources: list[Hit] = []
        index: dict[str, int] = {}

        def cite(h: Hit) -> str:
            i = index.get(h.post.key)
            if i is None:
                sources.append(h)
                i = index[h.post.key] = len(sources)
            return f"[{i}]"

        return Draft(sources, self._lines(ev, cite), trusted=True, joiner="\n")

    def _lines(self, ev: Evidence, cite) -> Iterator[str]:
        q, now, posts = ev.question, ev.now, ev.posts
        w = wording(q.lang)
        topic = display_topic(q.topic, q.lang) or q.text
        window = w.window(q.window, q.since, q.until, now)
        if not posts:
            yield w.nothing(topic, window, now) + "\n"
            return
        authors = {h.post.author.id or h.post.author.handle for h in posts} - {""}
        unknown = any(not (h.post.author.id or h.post.author.handle) for h in posts)  # sources without authors
        act = activity([to_us(h.post.created_at) for h in posts])
        burst = [h for h in posts if act is None or to_us(h.post.created_at) >= act[0]]
        first = min(burst, key=lambda h: (h.post.created_at, h.seq))
        n = len(posts)
        peak_at = (w.peak(from_us(act[1]), act[2], now), act[3]) if act is not None and act[3] > 1 else None
        # What independent sources agree on leads (where, how many, who, what caused it), each cited.
        readable = [h for h in posts if not addresses_model(h.post.text)]
        english = q.lang == "en"
        agreed = facts(q.text, readable, question_kind(q.text) if english else None,
                       read_slot(q.text) if english else None,
                       [h for h in ev.extra if not addresses_model(h.post.text)],
                       [h for h in ev.near if not addresses_model(h.post.text)],
                       [h for h in ev.details if not addresses_model(h.post.text)])
        if agreed:
            yield w.facts([(f.label or f.role, f.value, f.sources, cite(f.hit)) for f in agreed]) + "\n"
        yield w.head(topic, window, n, ev.capped, None if unknown else len(authors), len(burst) < n,
                     f"{when(first.post.created_at, now)} {cite(first)}", peak_at, n - len(burst)) + "\n"
        # Key posts: the best post of each top story, corroborated stories first, from the burst.
        pool = [h for h in ev.key_posts(self.key_posts * 5) if not addresses_model(h.post.text)]
        in_burst = [h for h in pool if act is None or to_us(h.post.created_at) >= act[0]] or pool
        ranked = sorted(enumerate(in_burst[: self.key_posts * 4]),
                        key=lambda ih: (ih[0] - self.corroboration * math.log2(ih[1].story.posts if ih[1].story else 1),
                                        ih[0]))
        key = [h for _, h in ranked[: self.key_posts]]
        for h in key:
            copies = (h.story.posts, h.story.authors) if h.story and h.story.posts > 1 else None
            who = "@" + (h.post.author.handle or h.post.author.id or "?")
            att = attachments(h.post)[:2]  # what its images and link card say, said as theirs
            if h.post.text.strip() or not att:
                yield w.key_post(quote(h.post.text, self.max_chars, w), who, when(h.post.created_at, now), copies,
                                 cite(h)) + "\n"
                who_at = ""
            else:
                who_at = f"{who}, {when(h.post.created_at, now)}" if w.lang == "en" else f"{who}、{when(h.post.created_at, now)}"
            for what, words_ in att:
                yield w.attached(what, quote(words_, self.max_chars, w), cite(h), who_at) + "\n"
                who_at = ""
        for line in self._disagreements(ev, cite, w):
            yield line
        newest = max(readable or posts, key=lambda h: (h.post.created_at, h.seq))
        quoted = {h.post.key for h in key} | {h.story.id for h in key if h.story}
        if not ({newest.post.key, newest.story.id if newest.story else None} & quoted) and newest is not first \
                and len(authors) > 1:  # the newest change, unless it repeats a post quoted above
            yield w.newest(quote(newest.post.text, self.max_chars, w), "@" + (newest.post.author.handle or
                           newest.post.author.id or "?"), when(newest.post.created_at, now), cite(newest)) + "\n"
        if len(authors) == 1 and not unknown:
            yield w.lone() + "\n"

    def _disagreements(self, ev: Evidence, cite, w: English) -> Iterator[str]:
        shown = 0
        posts = [h for h in ev.posts if not addresses_model(h.post.text)]
        half = self.max_chars // 2
        for kind, values in figures(posts).items():
            if len(values) < 2:
                continue
            (v1, p1), (v2, p2) = sorted(values.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:2]
            a, b = p1[0], p2[0]
            yield w.disagree(kind, (v1, len(p1), quote(a.post.text, half, w), cite(a)),
                             (v2, len(p2), quote(b.post.text, half, w), cite(b))) + "\n"
            shown += 1
            if shown == 2:
                break
        doubters = [h for h in posts if _doubts(h)]
        if doubters and len(doubters) < len(posts):
            reporters = [h for h in posts if not _doubts(h)]
            d, r = doubters[0], reporters[0]
            yield w.doubt(len(doubters), len(posts), (quote(d.post.text, half, w), cite(d)),
                          (quote(r.post.text, half, w), cite(r))) + "\n"


def display_topic(topic: str, lang: str = "en") -> str:
    """The topic as the digest names it: "what happened in Harlow Bay?" -> "Harlow Bay";
    in Japanese, its topic words: "東京の地震について教えて" -> "東京・地震"."""
    if lang == "ja":
        kws = [k for k in keywords(topic)]
        return "・".join(kws) if kws else topic.strip(" ?？。!！")
    ws = topic.strip(" ?.!").split()
    while len(ws) > 1 and ws[0].lower().strip(",:'’") in STOPWORDS:
        ws.pop(0)
    return " ".join(ws)


def _doubts(h: Hit) -> bool:
    text = all_words(h.post)  # a screenshot saying "this is fake" doubts too
    return _DOUBT.search(text) is not None or _JA_DOUBT.search(text) is not None
