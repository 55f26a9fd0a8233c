"""Readers for the labelled data the verification models learn from and are scored on.

* RumourEval 2017 (SemEval-2017 Task 8) threads, one JSON object per line: `thread_id`,
  `veracity` (true / false / unverified), `posts` [{`post_id`, `created_at`, `in_reply_to`,
  `text`, `stance` (support / deny / query / comment)}], the source post first.
* Climate-FEVER: one claim per line: `claim`, `claim_label` (SUPPORTS / REFUTES /
  NOT_ENOUGH_INFO / DISPUTED), `evidences` [{`evidence`, `evidence_label`}].

The official RumourEval 2017 split of the released train+dev file: the 25 threads of
`rumoureval-subtaskB-dev.json` (all from the Germanwings crash, March 2015; 281 posts) are
dev, the other 272 threads (4,238 posts) train. `DEV_THREADS` lists them, so the split needs
no other file.

Nothing here is needed at run time; the files are bounded only by the caller's patience, but
each text is cut to `MAX_TEXT` characters as it is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

STANCES = ("support", "deny", "query", "comment")
VERACITY = ("true", "false", "unverified")
CLAIM_LABELS = ("SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO", "DISPUTED")
EVIDENCE_LABELS = ("SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO")
MAX_TEXT = 2000

# SemEval-2017 Task 8, traindev/rumoureval-subtaskB-dev.json: the task's development threads.
DEV_THREADS = frozenset("""
580325090367315968 580348081100734464 580324027715063808 580319184652890113 580333909008871424
580321156508577792 580320684305416192 580333763512705025 580340476949086208 580339825649291264
580360165540642816 580322453928431617 580882341880446977 580326222107951104 581473088249958400
580371845997682688 580331561398108160 581047170637381632 581293286268129280 580332109782466561
580319078155468800 580339547269144576 581386094337474560 581063377226637312 580323060533764097
""".split())

# SemEval-2017 Task 8 test threads (github.com/CloneNOX/MSA-BiGCN @ f202004b,
# datasets/semeval2017-task8/test/thread_id.txt; ids only, their labels are not used here).
# 20 of their source posts are PHEME rumours: training never takes these, so independent checks
# on the test threads score a model that never saw them.
TEST_THREADS = frozenset("""
498293668655423488 498486826269548545 500280249629036544 500298588992593920 524923293711998976
524936793633083394 524941720249978880 524948206023880704 524961721744900097 544274544174071809
544294893146091520 544315472075042818 552788945017516032 553480082996879360 553553288625672192
553561170637238272 580352273001410560 581153923987206146 581290271997968384 581359544682614784
758159624122097664 763098277986209792 764927075522260992 767725956706414592 768859780240773121
769988636754505729 774991078265094144 775057555865206784
""".split())


@dataclass(slots=True)
class ThreadPost:
    id: str
    text: str
    stance: str | None
    parent: str | None  # id of the post it replies to (None: the source)
    depth: int  # 0: the source post, 1: a direct reply, ...
    created_at: str = ""


@dataclass(slots=True)
class Thread:
    id: str
    veracity: str | None
    posts: list[ThreadPost]  # the source first, then replies in time order

    @property
    def source(self) -> ThreadPost:
        return self.posts[0]

    def by_id(self) -> dict[str, ThreadPost]:
        return {p.id: p for p in self.posts}


@dataclass(slots=True)
class Evidence:
    text: str
    label: str | None


@dataclass(slots=True)
class Claim:
    id: str
    text: str
    label: str | None
    evidences: list[Evidence] = field(default_factory=list)


class DataError(ValueError):
    pass


def _lines(path: str | Path) -> Iterator[tuple[int, dict]]:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such file")
    with open(p, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                raise DataError(f"{p}:{n}: not JSON: {e}") from None
            if not isinstance(d, dict):
                raise DataError(f"{p}:{n}: not a JSON object")
            yield n, d


def read_threads(path: str | Path) -> list[Thread]:
    out = []
    for n, d in _lines(path):
        raw = d.get("posts")
        if not isinstance(raw, list) or not raw:
            raise DataError(f"{path}:{n}: thread without posts")
        posts: list[ThreadPost] = []
        ids = {str(p.get("post_id")) for p in raw}
        src = str(d.get("thread_id") or raw[0].get("post_id"))
        parents = {str(p.get("post_id")): (str(p["in_reply_to"]) if p.get("in_reply_to") else None) for p in raw}
        for p in raw:
            pid = str(p.get("post_id"))
            parent = parents.get(pid)
            if parent is not None and parent not in ids:
                parent = src if pid != src else None  # a reply to a post outside the thread: to the source
            depth, cur, seen = 0, parent, set()
            while cur is not None and cur not in seen and depth < 50:
                seen.add(cur)
                depth += 1
                cur = parents.get(cur)
            stance = p.get("stance")
            posts.append(ThreadPost(pid, str(p.get("text") or "")[:MAX_TEXT], stance if stance in STANCES else None,
                                    parent, depth, str(p.get("created_at") or "")))
        posts.sort(key=lambda p: (p.depth > 0, p.created_at))
        ver = d.get("veracity")
        out.append(Thread(src, ver if ver in VERACITY else None, posts))
    return out


def split_threads(threads: list[Thread]) -> tuple[list[Thread], list[Thread]]:
    """(train, dev) as the task split them."""
    return [t for t in threads if t.id not in DEV_THREADS], [t for t in threads if t.id in DEV_THREADS]


def read_claims(path: str | Path) -> list[Claim]:
    out = []
    for n, d in _lines(path):
        text = d.get("claim")
        if not isinstance(text, str):
            raise DataError(f"{path}:{n}: no claim text")
        evs = [Evidence(str(e.get("evidence") or "")[:MAX_TEXT],
                        e.get("evidence_label") if e.get("evidence_label") in EVIDENCE_LABELS else None)
               for e in d.get("evidences") or [] if isinstance(e, dict)]
        lab = d.get("claim_label")
        out.append(Claim(str(d.get("claim_id", n)), text[:MAX_TEXT], lab if lab in CLAIM_LABELS else None, evs))
    return out


def claim_label_from_evidence(labels: list[str]) -> str:
    """Climate-FEVER's rule: support and refute both present -> DISPUTED, else any support ->
    SUPPORTS, else any refute -> REFUTES, else NOT_ENOUGH_INFO."""
    s, r = "SUPPORTS" in labels, "REFUTES" in labels
    if s and r:
        return "DISPUTED"
    return "SUPPORTS" if s else "REFUTES" if r else "NOT_ENOUGH_INFO"
