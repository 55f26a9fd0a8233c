"""The extractive composer: a short cited digest built from the posts themselves, no model.

What it says, each line cited:
* how many posts and distinct authors mention the topic (in the window asked about), when it
  started (the first post, cited) and when it peaked (the busiest interval);
* the key posts, quoted: the best post of each of the top stories, with its author, time and
  how many copies it has;
* disagreements side by side: posts giving different figures for the same thing ("3 dead"
  vs "12 dead"), or posts that deny or doubt what others report;
* plainly, when the stream holds nothing on the question, or only one uncorroborated post.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from ..model import from_us, to_us
from ..retrieve import Hit
from ..words import STOPWORDS
from .base import Composer, Draft, Evidence
from .citations import defang
from .prompt import addresses_model

KEY_POSTS = 3
_BUCKETS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400]

_FIGURE = re.compile(
    r"\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s+(?:people\s+|persons\s+|were\s+|are\s+|confirmed\s+|reported\s+)?"
    r"(dead|killed|deaths?|died|injured|injuries|hurt|wounded|missing|victims|casualties|evacuated|arrested|"
    r"homes|houses|buildings|hostages|fatalities)\b", re.IGNORECASE)
_MAGNITUDE = re.compile(r"\b(?:magnitude|mag\.?|m)\s*(\d(?:\.\d)?)\b", re.IGNORECASE)
_KIND = {"killed": "dead", "deaths": "dead", "death": "dead", "died": "dead", "fatalities": "dead", "victims": "dead",
         "casualties": "dead", "injuries": "injured", "hurt": "injured", "wounded": "injured", "houses": "homes"}
_DOUBT = re.compile(
    r"\b(hoax|not true|isn'?t true|untrue|debunk\w*|denie[sd]|denying|rumou?r(?:s|ed)?|unconfirmed|no evidence|"
    r"misinformation|disinformation|didn'?t happen|not confirmed|photoshopped|"
    r"(?:is|was|are|it'?s|that'?s|totally|completely)\s+fake|fake\s+(?:news|video|photo|picture|image|pic|report|"
    r"account|story)|false\s+(?:report|claim|alarm|rumou?r|information|info))\b", re.IGNORECASE)


def quote(text: str, max_chars: int) -> str:
    t = defang(" ".join(text.split()))
    if len(t) > max_chars:
        t = t[: max_chars - 1].rstrip() + "…"
    return "“" + t.replace("“", "‘").replace("”", "’") + "”"


def when(dt: datetime, now: datetime | None) -> str:
    if now is not None and dt.date() == now.date():
        return dt.strftime("%H:%M UTC")
    return dt.strftime("%Y-%m-%d %H:%M UTC")


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


def _peak_label(start: datetime, width: int, now: datetime | None) -> str:
    if width >= 7 * 86400:
        return f"in the week from {start:%Y-%m-%d}"
    if width >= 86400:
        return f"on {start:%Y-%m-%d}"
    end = start + timedelta(seconds=width)
    day = "" if now is not None and start.date() == now.date() else f"{start:%Y-%m-%d} "
    return f"in {day}{start:%H:%M}–{end:%H:%M} UTC"


def figures(posts: list[Hit]) -> dict[str, dict[str, list[Hit]]]:
    """kind -> value -> posts stating it ("dead" -> "3" -> [...])."""
    out: dict[str, dict[str, list[Hit]]] = {}
    for h in posts:
        seen = set()
        for m in _FIGURE.finditer(h.post.text):
            kind = _KIND.get(m.group(2).lower(), m.group(2).lower())
            val = m.group(1).replace(",", "")
            if (kind, val) not in seen:
                seen.add((kind, val))
                out.setdefault(kind, {}).setdefault(val, []).append(h)
        for m in _MAGNITUDE.finditer(h.post.text):
            if ("magnitude", m.group(1)) not in seen:
                seen.add(("magnitude", m.group(1)))
                out.setdefault("magnitude", {}).setdefault(m.group(1), []).append(h)
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
        topic = display_topic(q.topic) or q.text
        window = _window(ev)
        if not posts:
            where = f" {window}" if window else ""
            stamp = f" (stream time {when(now, None)})" if now else ""
            yield f"The stream holds no posts about “{topic}”{where}{stamp}: not enough to answer.\n"
            return
        authors = {h.post.author.id or h.post.author.handle for h in posts} - {""}
        unknown = any(not (h.post.author.id or h.post.author.handle) for h in posts)  # sources without authors
        act = activity([to_us(h.post.created_at) for h in posts])
        burst = [h for h in posts if act is None or to_us(h.post.created_at) >= act[0]]
        first = min(burst, key=lambda h: (h.post.created_at, h.seq))
        n = len(posts)
        count = f"At least {n}" if ev.capped else f"{n}"
        noun = "post" if n == 1 else "posts"
        by = "" if unknown else f" by {len(authors)} author" + ("" if len(authors) == 1 else "s")
        head = f"{count} {noun}{by} {'mentions' if n == 1 else 'mention'} “{topic}”"
        if window:
            head += f" {window}"
        head += f"; {'it started' if len(burst) < n else 'the first'} at {when(first.post.created_at, now)} {cite(first)}"
        if act is not None and act[3] > 1:
            head += f", most {_peak_label(from_us(act[1]), act[2], now)} ({act[3]} posts)"
        if len(burst) < n:
            head += f"; {n - len(burst)} earlier"
        yield head + ".\n"
        # Key posts: the best post of each top story, corroborated stories first, from the burst.
        pool = [h for h in ev.key_posts(self.key_posts * 5) if not addresses_model(h.post.text)]
        in_burst = [h for h in pool if act is None or to_us(h.post.created_at) >= act[0]] or pool
        ranked = sorted(enumerate(in_burst[: self.key_posts * 4]),
                        key=lambda ih: (ih[0] - self.corroboration * math.log2(ih[1].story.posts if ih[1].story else 1),
                                        ih[0]))
        key = [h for _, h in ranked[: self.key_posts]]
        for h in key:
            copies = ""
            if h.story and h.story.posts > 1:
                copies = f" ({h.story.posts} posts by {h.story.authors} authors share it)"
            who = "@" + (h.post.author.handle or h.post.author.id or "?")
            yield f"{quote(h.post.text, self.max_chars)} — {who}, {when(h.post.created_at, now)}{copies} {cite(h)}\n"
        for line in self._disagreements(ev, cite):
            yield line
        if len(authors) == 1 and not unknown:
            yield "Only one author reports this so far: nothing in the stream corroborates it.\n"

    def _disagreements(self, ev: Evidence, cite) -> Iterator[str]:
        shown = 0
        posts = [h for h in ev.posts if not addresses_model(h.post.text)]
        for kind, values in figures(posts).items():
            if len(values) < 2:
                continue
            (v1, p1), (v2, p2) = sorted(values.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:2]
            a, b = p1[0], p2[0]
            yield (f"Posts disagree on {_kind_label(kind)}: {v1} ({len(p1)} post{'s' * (len(p1) > 1)}) "
                   f"{quote(a.post.text, self.max_chars // 2)} {cite(a)} vs {v2} ({len(p2)} post{'s' * (len(p2) > 1)}) "
                   f"{quote(b.post.text, self.max_chars // 2)} {cite(b)}\n")
            shown += 1
            if shown == 2:
                break
        doubters = [h for h in posts if _DOUBT.search(h.post.text)]
        if doubters and len(doubters) < len(posts):
            reporters = [h for h in posts if not _DOUBT.search(h.post.text)]
            d, r = doubters[0], reporters[0]
            yield (f"Some posts doubt or deny it ({len(doubters)} of {len(posts)}): "
                   f"{quote(d.post.text, self.max_chars // 2)} {cite(d)} vs {quote(r.post.text, self.max_chars // 2)} "
                   f"{cite(r)}\n")


def display_topic(topic: str) -> str:
    """The topic as the digest names it: "what happened in Harlow Bay?" -> "Harlow Bay"."""
    ws = topic.strip(" ?.!").split()
    while len(ws) > 1 and ws[0].lower().strip(",:'’") in STOPWORDS:
        ws.pop(0)
    return " ".join(ws)


def _kind_label(kind: str) -> str:
    return {"dead": "the number dead", "injured": "the number injured", "missing": "the number missing",
            "magnitude": "the magnitude"}.get(kind, f"the number {kind}")


def _window(ev: Evidence) -> str:
    q = ev.question
    if q.window:
        w = q.window
        first = w.split()[0].lower()
        if first in ("last", "past", "previous"):
            return f"in the {w}"
        return f"in {w}" if first == "the" else w
    if q.since and q.until:
        return f"between {when(q.since, ev.now)} and {when(q.until, ev.now)}"
    if q.since:
        return f"since {when(q.since, ev.now)}"
    if q.until:
        return f"until {when(q.until, ev.now)}"
    return ""
