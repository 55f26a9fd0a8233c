#!/usr/bin/env python
"""Dense retrieval when embedding lags: what each design gives answers, in one run.

    python bench/dense.py                        # Climate-FEVER dev: 768 claims, 3,840 sentences
    python bench/dense.py --claims 200           # quicker

Issue 14 item 4: at 5,000 posts/s on two cores MiniLM cannot embed every post, so the dense
half of hybrid retrieval (`Engine.retrieve`, what `ask` and `verify` read) is behind the
stream. This measures retrieval quality through `Engine.retrieve` in the states a user meets:

* `caught_up`: every post embedded (today's best case), dense list = the ANN's nearest;
* `behind_lexical`: nothing embedded yet and `dense_rescore = 0` (what happened before: the
  dense list is empty, retrieval is words alone);
* `behind_rescored`: nothing embedded yet, the best BM25 candidates scored by MiniLM vectors
  made at query time (`dense_rescore`, the default since 2026-12-06);
* `caught_up_rescored`: both (the default once embedding has caught up);
* `lexical`: `dense=False`, for reference.

Input: Climate-FEVER's dev claims (../shared/data/climate_fever, not in the repository). Each
evidence sentence is a post; a claim is the query; a hit is relevant when its text is one of
that claim's evidence sentences. Recency is switched off (`recency_weight = 0`): this is
relevance alone. Figures: `p_at_5` (share of the top 5 that is the claim's evidence),
`hit_at_1`, `mrr_at_10`, and query latency p50/p95 (ms) of each state. A static (model2vec-
style) encoder distilled from the same MiniLM was measured on the same task before this design
was chosen; docs/performance.md gives its figures.

Progress goes to stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "climate_fever" / "dev.jsonl"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load(path: Path, n: int | None) -> tuple[list[str], list[set[str]], list[str]]:
    """(claims, each claim's evidence texts, every distinct evidence text)."""
    claims, evidence, texts = [], [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            ev = {" ".join(e["evidence"].split()) for e in d["evidences"] if e["evidence"].strip()}
            if not ev:
                continue
            claims.append(d["claim"])
            evidence.append(ev)
            for t in ev:
                texts.setdefault(t, None)
            if n is not None and len(claims) >= n:
                break
    return claims, evidence, list(texts)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))], 1) if xs else 0.0


def measure(eng, claims: list[str], evidence: list[set[str]], dense: bool = True) -> dict:
    from veristream.retrieve import RetrieveQuery

    p5 = h1 = mrr = 0.0
    lat: list[float] = []
    modes: dict[str, int] = {}
    for claim, ev in zip(claims, evidence):
        t0 = time.perf_counter()
        r = eng.retrieve_many([RetrieveQuery(claim, limit=10, all_posts=True, recency_weight=0.0, dense=dense)])[0]
        lat.append((time.perf_counter() - t0) * 1000)
        modes[r.mode] = modes.get(r.mode, 0) + 1
        rel = [" ".join(h.post.text.split()) in ev for h in r.hits]
        p5 += sum(rel[:5]) / 5
        h1 += 1.0 if rel[:1] == [True] else 0.0
        mrr += next((1.0 / (i + 1) for i, x in enumerate(rel) if x), 0.0)
    n = len(claims)
    return {"p_at_5": round(p5 / n, 3), "hit_at_1": round(h1 / n, 3), "mrr_at_10": round(mrr / n, 3),
            "query_p50_ms": pct(lat, 50), "query_p95_ms": pct(lat, 95), "modes": modes}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="Climate-FEVER jsonl (default: ../shared/data)")
    ap.add_argument("--claims", type=int, default=None, help="first N claims only (default: all)")
    ap.add_argument("--rescore", type=int, default=32, help="dense_rescore of the rescored states")
    ap.add_argument("--keep", type=Path, default=None, help="data directory to use and keep (default: a temp one)")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        log(f"no {args.data}: this bench reads Climate-FEVER from ../shared/data")
        return 2
    from veristream import Engine, Settings
    from veristream.model import Author, Post

    claims, evidence, texts = load(args.data, args.claims)
    log(f"{len(claims)} claims, {len(texts)} distinct evidence sentences")
    tmp = Path(tempfile.mkdtemp(prefix="vs-dense-"))
    data = args.keep or tmp / "data"
    shutil.rmtree(data, ignore_errors=True)
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    posts = [Post(id=f"e{i}", source="cf", author=Author(f"a{i}", f"a{i}"), text=t, created_at=t0 + timedelta(seconds=i))
             for i, t in enumerate(texts)]

    def settings(**kw) -> Settings:
        return Settings.load(env={}, **kw)

    out: dict = {"claims": len(claims), "posts": len(posts), "rescore": args.rescore}
    with Engine(data, settings(vectors=False)) as eng:  # stored and indexed, nothing embedded
        eng.ingest(posts)
    with Engine(data, settings(dense_rescore=0), readonly=True) as eng:
        log("behind (nothing embedded), dense_rescore = 0")
        out["behind_lexical"] = measure(eng, claims, evidence)
        log("lexical (dense = False)")
        out["lexical"] = measure(eng, claims, evidence, dense=False)
    with Engine(data, settings(dense_rescore=args.rescore), readonly=True) as eng:
        log(f"behind (nothing embedded), dense_rescore = {args.rescore}")
        out["behind_rescored"] = measure(eng, claims, evidence)
    t = time.monotonic()
    with Engine(data, settings(embed_process=False)) as eng:
        if not eng.wait_embedded(3600):
            log("embedding did not finish")
            return 1
    out["embed_s"] = round(time.monotonic() - t, 1)
    with Engine(data, settings(dense_rescore=0), readonly=True) as eng:
        log("caught up, dense_rescore = 0")
        out["caught_up"] = measure(eng, claims, evidence)
    with Engine(data, settings(dense_rescore=args.rescore), readonly=True) as eng:
        log(f"caught up, dense_rescore = {args.rescore}")
        out["caught_up_rescored"] = measure(eng, claims, evidence)
    out["load"] = os.getloadavg()[0]
    out["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if args.keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    for k in ("lexical", "behind_lexical", "behind_rescored", "caught_up", "caught_up_rescored"):
        v = out[k]
        log(f"{k:20s} P@5 {v['p_at_5']:.3f}  hit@1 {v['hit_at_1']:.3f}  MRR@10 {v['mrr_at_10']:.3f}  "
            f"p50 {v['query_p50_ms']} ms  p95 {v['query_p95_ms']} ms  {v['modes']}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
