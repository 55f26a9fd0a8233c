"""The extractive digest's own words, in the question's language (English or Japanese).

Only the digest's framing is translated: counts, times, "the first", "posts disagree". Quoted
posts stay in their own language, and citations, times and figures are the same in both.
Adding a language means one more subclass of `English` and an entry in `WORDINGS`.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def when(dt: datetime, now: datetime | None) -> str:
    if now is not None and dt.date() == now.date():
        return dt.strftime("%H:%M UTC")
    return dt.strftime("%Y-%m-%d %H:%M UTC")


class English:
    lang = "en"
    open_quote, close_quote = "“", "”"
    _KINDS = {"dead": "the number dead", "injured": "the number injured", "missing": "the number missing",
              "magnitude": "the magnitude"}

    def kind(self, kind: str) -> str:
        return self._KINDS.get(kind, f"the number {kind}")

    def nothing(self, topic: str, window: str, now: datetime | None) -> str:
        where = f" {window}" if window else ""
        stamp = f" (stream time {when(now, None)})" if now else ""
        return f"The stream holds no posts about “{topic}”{where}{stamp}: not enough to answer."

    def head(self, topic: str, window: str, n: int, capped: bool, authors: int | None, started: bool,
             first: str, peak: tuple[str, int] | None, earlier: int) -> str:
        """`authors` None: the source gives no authors. `first` is a time and its citation."""
        count = f"At least {n}" if capped else f"{n}"
        noun = "post" if n == 1 else "posts"
        by = "" if authors is None else f" by {authors} author" + ("" if authors == 1 else "s")
        head = f"{count} {noun}{by} {'mentions' if n == 1 else 'mention'} “{topic}”"
        if window:
            head += f" {window}"
        head += f"; {'it started' if started else 'the first'} at {first}"
        if peak is not None:
            head += f", most {peak[0]} ({peak[1]} posts)"
        if earlier:
            head += f"; {earlier} earlier"
        return head + "."

    def key_post(self, quoted: str, who: str, at: str, copies: tuple[int, int] | None, cite: str) -> str:
        shared = f" ({copies[0]} posts by {copies[1]} authors share it)" if copies else ""
        return f"{quoted} — {who}, {at}{shared} {cite}"

    _ATTACHED = {"image": "In an image attached to {cite}", "alt": "In the description of an image in {cite}",
                 "card": "In the link card of {cite}"}

    def attached(self, what: str, quoted: str, cite: str, who_at: str = "") -> str:
        """A statement that comes from what is attached to a post, saying so: `what` is
        image (text read from it), alt (its alt text) or card (a link card)."""
        by = f" ({who_at})" if who_at else ""
        return self._ATTACHED[what].format(cite=cite) + f"{by}: {quoted}"

    def disagree(self, kind: str, a: tuple[str, int, str, str], b: tuple[str, int, str, str]) -> str:
        """a, b: (value, posts stating it, one such post quoted, its citation)."""
        def side(v: str, n: int, q: str, c: str) -> str:
            return f"{v} ({n} post{'s' * (n > 1)}) {q} {c}"
        return f"Posts disagree on {self.kind(kind)}: {side(*a)} vs {side(*b)}"

    def doubt(self, doubters: int, n: int, d: tuple[str, str], r: tuple[str, str]) -> str:
        return f"Some posts doubt or deny it ({doubters} of {n}): {d[0]} {d[1]} vs {r[0]} {r[1]}"

    def lone(self) -> str:
        return "Only one author reports this so far: nothing in the stream corroborates it."

    _ROLES = {"what": "", "count": "", "site": "where: ", "where": "where: ", "state": "where: ", "region": "where: ", "from": "from: ", "to": "to: ", "dead": "dead: ", "injured": "injured: ", "missing": "missing: ",
              "evacuated": "evacuated: ", "magnitude": "magnitude ", "cause": "cause: ", "who": "who: "}

    _FACTS = ("Independent sources agree on: ", "{role}{value} ({n} sources) {cite}", "; ", ".")
    _ONE_SOURCE = ("One source says: ", "{role}{value} {cite}", "; ", ". ")

    def facts(self, items: list[tuple[str, str, int, str]]) -> str:
        """items: (role, value, independent sources, citation). What a single source states
        (an answer said with the question's details by no one else) is said as that, first."""
        out = ""
        for (head, each, sep, end), part in ((self._ONE_SOURCE, [i for i in items if i[2] < 2]),
                                             (self._FACTS, [i for i in items if i[2] >= 2])):
            if part:
                out += head + sep.join(each.format(role=self._ROLES.get(r, r + ": "), value=v, n=n, cite=c)
                                       for r, v, n, c in part) + end
        return out.rstrip()

    def newest(self, quoted: str, who: str, at: str, cite: str) -> str:
        return f"Newest: {quoted} — {who}, {at} {cite}"

    def peak(self, start: datetime, width: int, now: datetime | None) -> str:
        if width >= 7 * 86400:
            return f"in the week from {start:%Y-%m-%d}"
        if width >= 86400:
            return f"on {start:%Y-%m-%d}"
        end = start + timedelta(seconds=width)
        day = "" if now is not None and start.date() == now.date() else f"{start:%Y-%m-%d} "
        return f"in {day}{start:%H:%M}–{end:%H:%M} UTC"

    def window(self, phrase: str | None, since: datetime | None, until: datetime | None, now: datetime | None) -> str:
        if phrase:
            first = phrase.split()[0].lower()
            if first in ("last", "past", "previous"):
                return f"in the {phrase}"
            return f"in {phrase}" if first == "the" else phrase
        if since and until:
            return f"between {when(since, now)} and {when(until, now)}"
        if since:
            return f"since {when(since, now)}"
        if until:
            return f"until {when(until, now)}"
        return ""


class Japanese(English):
    lang = "ja"
    open_quote, close_quote = "「", "」"
    _KINDS = {"dead": "死者数", "injured": "負傷者数", "missing": "行方不明者数", "magnitude": "マグニチュード",
              "evacuated": "避難者数", "arrested": "逮捕者数"}

    def kind(self, kind: str) -> str:
        return self._KINDS.get(kind, f"{kind}の数")

    def nothing(self, topic: str, window: str, now: datetime | None) -> str:
        stamp = f"（ストリームの時刻 {when(now, None)}）" if now else ""
        return f"{window}「{topic}」についての投稿はストリームにありません{stamp}。答えるには情報が足りません。"

    def head(self, topic: str, window: str, n: int, capped: bool, authors: int | None, started: bool,
             first: str, peak: tuple[str, int] | None, earlier: int) -> str:
        count = f"{n}件以上" if capped else f"{n}件"
        by = "" if authors is None else f"（投稿者{authors}人）"
        head = f"{window}「{topic}」に触れた投稿は{count}{by}。{'始まり' if started else '最初の投稿'}は{first}"
        if peak is not None:
            head += f"、最も多かったのは{peak[0]}（{peak[1]}件）"
        head += "。"
        if earlier:
            head += f"それ以前の投稿が{earlier}件あります。"
        return head

    def key_post(self, quoted: str, who: str, at: str, copies: tuple[int, int] | None, cite: str) -> str:
        shared = f"（{copies[1]}人による{copies[0]}件が同じ内容）" if copies else ""
        return f"{quoted} — {who}、{at}{shared} {cite}"

    _ATTACHED = {"image": "{cite}に添付された画像の中の文字", "alt": "{cite}の画像の説明",
                 "card": "{cite}のリンクカード"}

    def attached(self, what: str, quoted: str, cite: str, who_at: str = "") -> str:
        by = f"（{who_at}）" if who_at else ""
        return self._ATTACHED[what].format(cite=cite) + f"{by}：{quoted}"

    def disagree(self, kind: str, a: tuple[str, int, str, str], b: tuple[str, int, str, str]) -> str:
        def side(v: str, n: int, q: str, c: str) -> str:
            return f"{v}（{n}件）{q} {c}"
        return f"{self.kind(kind)}について投稿の内容が食い違っています：{side(*a)} 対 {side(*b)}"

    def doubt(self, doubters: int, n: int, d: tuple[str, str], r: tuple[str, str]) -> str:
        return f"疑問や否定の投稿もあります（{n}件中{doubters}件）：{d[0]} {d[1]} 対 {r[0]} {r[1]}"

    def lone(self) -> str:
        return "今のところ報じている投稿者は1人だけで、ストリーム内に裏付けはありません。"

    _ROLES = {"what": "", "count": "", "site": "場所：", "where": "場所：", "state": "場所：", "region": "場所：", "from": "出発地：", "to": "目的地：", "dead": "死者：", "injured": "負傷者：", "missing": "行方不明者：",
              "evacuated": "避難者：", "magnitude": "マグニチュード", "cause": "原因：", "who": "人物："}

    _FACTS = ("独立した情報源が一致している点：", "{role}{value}（情報源{n}）{cite}", "、", "。")
    _ONE_SOURCE = ("一つの情報源によると：", "{role}{value} {cite}", "、", "。")

    def newest(self, quoted: str, who: str, at: str, cite: str) -> str:
        return f"最新の投稿：{quoted} — {who}、{at} {cite}"

    def peak(self, start: datetime, width: int, now: datetime | None) -> str:
        if width >= 7 * 86400:
            return f"{start:%Y-%m-%d}からの1週間"
        if width >= 86400:
            return f"{start:%Y-%m-%d}"
        end = start + timedelta(seconds=width)
        day = "" if now is not None and start.date() == now.date() else f"{start:%Y-%m-%d} "
        return f"{day}{start:%H:%M}–{end:%H:%M} UTC"

    def window(self, phrase: str | None, since: datetime | None, until: datetime | None, now: datetime | None) -> str:
        if phrase:
            return f"{phrase}に"
        if since and until:
            return f"{when(since, now)}から{when(until, now)}までに"
        if since:
            return f"{when(since, now)}以降に"
        if until:
            return f"{when(until, now)}までに"
        return ""


WORDINGS: dict[str, English] = {"en": English(), "ja": Japanese()}


def wording(lang: str) -> English:
    return WORDINGS.get(lang, WORDINGS["en"])
