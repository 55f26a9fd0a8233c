#!/usr/bin/env python
"""Verify's latency over a large store (issue 16: p95 <= 1 s over 1M posts).

    python bench/verify.py                         # 1,000,000 posts (about 10 min on 2 cores)
    python bench/verify.py --posts 200000          # a quicker run
    python bench/verify.py --data-dir /tmp/vs-verify-bench   # keep (and reuse) the stores

The stream: the real posts of eval/claims.py (CrisisLexT6 and PHEME from ../shared/data, in
their own time), plus filler up to `--posts`: the CrisisLex tweets again under fresh ids and
authors, each round shifted 400 days further *back*, so the real stream stays the newest and
every claim's words find many older copies to get through (the hard case for retrieval and for
reading posts). Vectors are built from the distinct texts at full speed (bench/answers.py's
`add_vectors`), so retrieval is hybrid, as after `veristream embed`.

Claims: eval/claims.jsonl and eval/claims_check.jsonl (88 written by hand: true ones, their
altered twins, and ones no post addresses). Each is verified twice on a read-only engine
(record off), each store in a fresh process: cold (the first time the claim is seen) and
again right after. The
peer in the same run is the 65k-post store of the real stream alone: `verify_p95_ratio_1m_vs_real`.
Verdict figures at both sizes come with it (the filler's old copies must not change them much).

Progress goes to stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import orjson  # noqa: E402

from realtime import crisislex_records, log, machine_info, pct  # noqa: E402

TARGETS = {"verify_p95_s": 1.0}
EXPECTED = {"true": "supported", "altered": "refuted", "unknown": "unverified"}
SHIFT_DAYS = 400


def _load(name: str, path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    mod = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def real_lines() -> list[bytes]:
    """eval/claims.py's stream: the one its verdict figures are measured on."""
    return _load("eval_claims", ROOT / "eval" / "claims.py").stream_lines(None)


def filler_lines(n: int) -> list[bytes]:
    """`n` CrisisLex tweets under fresh ids and authors, rounds shifted back in time."""
    recs = crisislex_records()
    out: list[bytes] = []
    rnd = 1
    while len(out) < n:
        shift = timedelta(days=SHIFT_DAYS * rnd)
        for r in recs:
            if len(out) >= n:
                break
            tid = int(str(r["tweet_id"]).strip("'"))
            created = datetime.fromisoformat(r["created_at"]) - shift
            out.append(orjson.dumps({"id": f"{tid}b{rnd}", "source": "x",
                                     "created_at": created.isoformat().replace("+00:00", "Z"),
                                     "text": r["text"], "author": f"u{(tid // 7 + rnd * 7919) % 50021}"}))
        rnd += 1
    return out


def build(data: Path, lines: list[bytes], cache: Path | None) -> float:
    from veristream import Engine, Settings
    from veristream.replay import run
    add_vectors = _load("bench_answers", ROOT / "bench" / "answers.py").add_vectors

    lines = sorted(lines, key=lambda b: orjson.loads(b)["created_at"])
    eng = Engine(data, Settings.load(env={}, vectors=False))
    t0 = time.perf_counter()
    prog = run(eng, iter(lines), input_name="verify-bench", speed=None)
    eng.close()
    took = time.perf_counter() - t0
    log(f"  ingested {prog.accepted:,} posts in {took:.0f}s")
    add_vectors(data, cache=cache)
    return took


def run_claims(data: Path, claims: list[dict]) -> dict:
    from veristream import Engine, Settings

    eng = Engine(data, Settings.load(env={}, verify_record=False), readonly=True)
    try:
        posts = eng.count()
        eng.verify("warm up the models and the index", record=False)
        cold, warm, right = [], [], 0
        got: dict[str, dict[str, int]] = {k: {} for k in EXPECTED}
        considered = []
        for c in claims:
            t0 = time.perf_counter()
            v = eng.verify(c["claim"], record=False)
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            eng.verify(c["claim"], record=False)
            warm.append(time.perf_counter() - t0)
            considered.append(v.posts_considered)
            got[c["kind"]][v.verdict] = got[c["kind"]].get(v.verdict, 0) + 1
            right += v.verdict == EXPECTED[c["kind"]]
        pending = eng.embedding_status().pending
    finally:
        eng.close()

    def rate(kind: str, verdict: str) -> float | None:
        n = sum(got[kind].values())
        return round(got[kind].get(verdict, 0) / n, 3) if n else None

    r3 = lambda x: round(x, 3)
    log(f"  {posts:,} posts: verify p50 {pct(cold, 50):.2f} s, p95 {pct(cold, 95):.2f} s, max {max(cold):.2f} s "
        f"(again: p95 {pct(warm, 95):.2f} s); accuracy {right / len(claims):.3f}")
    return {"posts": posts, "embedding_pending": pending, "claims": len(claims),
            "verify_p50_s": r3(pct(cold, 50)), "verify_p95_s": r3(pct(cold, 95)), "verify_max_s": r3(max(cold)),
            "verify_again_p95_s": r3(pct(warm, 95)), "posts_considered_p50": sorted(considered)[len(considered) // 2],
            "accuracy": round(right / len(claims), 3), "false_called_supported_rate": rate("altered", "supported"),
            "false_refuted_rate": rate("altered", "refuted"), "true_supported_rate": rate("true", "supported"),
            "unknown_unverified_rate": rate("unknown", "unverified")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000, help="posts in the large store (default 1,000,000)")
    ap.add_argument("--claims", type=Path, nargs="*",
                    default=[ROOT / "eval" / "claims.jsonl", ROOT / "eval" / "claims_check.jsonl"])
    ap.add_argument("--vector-cache", type=Path, help="an .npz of encodings shared between runs")
    ap.add_argument("--data-dir", type=Path, help="work directory, kept and reused (default: a temp dir, deleted)")
    a = ap.parse_args(argv)
    claims = [json.loads(x) for f in a.claims for x in f.read_text().splitlines() if x.strip()]
    work = a.data_dir or Path(tempfile.mkdtemp(prefix="vs-verify-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = a.vector_cache or work / "vectors-cache.npz"
    res: dict = {"machine": machine_info(), "targets": TARGETS}
    try:
        real = real_lines()
        small, big = work / "real", work / f"big-{a.posts}"
        if not (small / "posts.db").is_file():
            log(f"building the real stream's store ({len(real):,} posts)")
            build(small, real, cache)
        if not (big / "posts.db").is_file():
            log(f"building the {a.posts:,}-post store")
            res["ingest_s_big"] = round(build(big, real + filler_lines(max(0, a.posts - len(real))), cache), 1)
        # Each store in a fresh process: what one learns (memoised readings of posts, loaded
        # models) must not make the other look quicker.
        for name, data in (("big", big), ("real", small)):
            log(f"verifying {len(claims)} claims on the {'large store' if name == 'big' else 'real stream'}")
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
                res[name] = ex.submit(run_claims, data, claims).result()
    finally:
        if a.data_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    b, s = res["big"], res["real"]
    res.update({"posts": b["posts"], "verify_p50_s": b["verify_p50_s"], "verify_p95_s": b["verify_p95_s"],
                "verify_max_s": b["verify_max_s"],
                "verify_p95_ratio_1m_vs_real": round(b["verify_p95_s"] / s["verify_p95_s"], 2)})
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
