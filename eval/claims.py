#!/usr/bin/env python
"""Claims against a real stream: does the verdict turn on the detail that makes a claim true?

    python eval/claims.py                                   # eval/claims.jsonl over CrisisLexT6 + PHEME
    python eval/claims.py --data-dir /tmp/vs-claims --keep  # keep (and next time reuse) the replayed data
    python eval/claims.py --claims other.jsonl --stream a.jsonl b.jsonl   # another set, other streams
    python eval/claims.py --only altered --show             # one kind, with each verdict's reasons

The stream: the six CrisisLexT6 crises and PHEME's source tweets (read from ../shared/data at
run time, never copied into the repository), replayed in event time into a fresh data
directory (as eval/answers.py does: CrisisLex has no authors, so each tweet gets a synthetic
one), then embedded. Other streams (`--stream`) are JSONL of {id, created_at, text, [author]}.

Claims file: one JSON object a line, written by hand: `claim`, `kind` in {true, altered,
unknown}, `pair` (a true claim and its altered twin share it), `event`, `note` (what was
checked, or which detail was altered). Expected: true -> supported, altered -> refuted,
unknown -> unverified.

The last line on stdout is one JSON object: `false_called_supported_rate` (altered claims
called supported), `false_refuted_rate` (altered claims refuted), `true_supported_rate`,
`unknown_unverified_rate`, `accuracy` (each claim's expected verdict), the counts, and the
verdicts per kind.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = Path(os.environ.get("VERISTREAM_SRC", ROOT))  # another checkout's code, to measure it on the same set
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

import orjson  # noqa: E402

EXPECTED = {"true": "supported", "altered": "refuted", "unknown": "unverified"}


def _answers_module():
    spec = importlib.util.spec_from_file_location("eval_answers", ROOT / "eval" / "answers.py")
    mod = sys.modules["eval_answers"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stream_lines(paths: list[Path] | None) -> list[bytes]:
    if not paths:
        ans = _answers_module()
        rows = [orjson.dumps(p) for src in (ans.crisislex_posts(), ans.pheme_posts()) for p in src]
    else:
        rows = []
        for p in paths:
            with open(p, "rb") as fh:
                for i, line in enumerate(fh):
                    r = orjson.loads(line)
                    rid = str(r.get("id") or r.get("tweet_id") or f"{p.stem}-{i}").strip("'")
                    author = r.get("author") or r.get("user_screen_name") or f"u{rid}"
                    rows.append(orjson.dumps({"id": rid, "source": "x", "created_at": r["created_at"],
                                              "text": r["text"], "author": author}))
    return sorted(rows, key=lambda b: orjson.loads(b)["created_at"])


def build(data: Path, lines: list[bytes], vectors: bool) -> None:
    from veristream import Engine, Settings
    from veristream.replay import run

    eng = Engine(data, Settings.load(env={}, vectors=False))
    t0 = time.perf_counter()
    prog = run(eng, iter(lines), input_name="claims-eval", speed=None)
    eng.close()
    print(f"ingested {prog.accepted:,} posts in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    if vectors:
        spec = importlib.util.spec_from_file_location("bench_answers", ROOT / "bench" / "answers.py")
        bench = sys.modules["bench_answers"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        n = bench.add_vectors(data)
        print(f"{n:,} vectors", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--claims", type=Path, default=ROOT / "eval" / "claims.jsonl")
    ap.add_argument("--stream", type=Path, nargs="*", help="JSONL streams instead of CrisisLexT6 + PHEME")
    ap.add_argument("--data-dir", type=Path, help="replay here (reused when it already holds posts)")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--no-vectors", action="store_true", help="lexical retrieval only")
    ap.add_argument("--only", choices=sorted(EXPECTED), help="only claims of this kind")
    ap.add_argument("--show", action="store_true", help="print each verdict's reasons")
    a = ap.parse_args(argv)

    from veristream import Engine, Settings

    claims = [json.loads(x) for x in a.claims.read_text().splitlines() if x.strip()]
    if a.only:
        claims = [c for c in claims if c["kind"] == a.only]
    tmp = None
    data = a.data_dir
    if data is None:
        tmp = Path(tempfile.mkdtemp(prefix="vs-claims-"))
        data = tmp / "data"
    try:
        if not (data / "posts.db").is_file():
            build(data, stream_lines(a.stream), not a.no_vectors)
        eng = Engine(data, Settings.load(env={}, vectors=not a.no_vectors, verify_record=False), readonly=True)
        got: dict[str, Counter] = {k: Counter() for k in EXPECTED}
        right = 0
        took = []
        try:
            for c in claims:
                t0 = time.perf_counter()
                v = eng.verify(c["claim"], record=False)
                took.append(time.perf_counter() - t0)
                got[c["kind"]][v.verdict] += 1
                ok = v.verdict == EXPECTED[c["kind"]]
                right += ok
                print(f"{'ok ' if ok else 'BAD'} {c['kind']:8} {v.verdict:10} {c['claim']}", file=sys.stderr)
                if a.show or not ok:
                    for r in v.reasons[:8]:
                        print(f"      - {r[:220]}", file=sys.stderr)
        finally:
            eng.close()
    finally:
        if tmp is not None and not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print(f"data kept in {data}", file=sys.stderr)

    def rate(kind: str, verdict: str) -> float | None:
        n = sum(got[kind].values())
        return round(got[kind][verdict] / n, 3) if n else None

    took.sort()
    out = {
        "false_called_supported_rate": rate("altered", "supported"),
        "false_refuted_rate": rate("altered", "refuted"),
        "true_supported_rate": rate("true", "supported"),
        "unknown_unverified_rate": rate("unknown", "unverified"),
        "accuracy": round(right / len(claims), 3) if claims else None,
        "claims": {k: sum(v.values()) for k, v in got.items()},
        "verdicts": {k: dict(v) for k, v in got.items()},
        "verify_s": {"p50": round(took[len(took) // 2], 2) if took else None,
                     "max": round(took[-1], 2) if took else None},
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
