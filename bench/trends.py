#!/usr/bin/env python
"""What trend and event detection costs at ingest: max-mode replay with detection off vs on.

    python bench/trends.py                       # 100,000 demo posts, 2 rounds
    python bench/trends.py --posts 20000 --rounds 1
    python bench/trends.py --source crisislex    # the six CrisisLexT6 streams (../shared/data), 60k real tweets

Each run is `veristream.replay.run(speed=None)` over a JSONL file (what `veristream replay
--speed max` does: parse workers, pipeline, one writer) into a fresh data directory, in a
fresh process. With detection on it is timed until every post is accepted *and* the detector
has processed it and written its events (`Engine.events()` waits for that). Rounds alternate
off/on and the best of each is kept (the machines are shared and noisy).

Reported: posts/s off and on, the slowdown (1 − on/off), the detector's own time per post
(worker thread, CPU and GIL shared with the writer), and how many events were raised.
Progress goes to stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

CRISISLEX = ROOT.parent / "shared" / "data" / "crisislex_t6"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def write_demo(path: Path, n: int) -> None:
    from veristream.demo import generate, line_of

    with open(path, "wb", buffering=1 << 20) as f:
        for p in generate(n, seed=7):
            f.write(line_of(p) + b"\n")


def write_crisislex(path: Path, n: int) -> None:
    """The six streams one after the other in event time (each shifted to follow the last),
    one synthesised author per tweet (CrisisLex has none), repeated until `n` posts."""
    from datetime import datetime, timedelta

    files = sorted(CRISISLEX.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no CrisisLex data in {CRISISLEX}")
    written, rnd, offset = 0, 0, timedelta(0)
    last = None
    with open(path, "wb", buffering=1 << 20) as f:
        while written < n:
            for fp in files:
                rows = [orjson.loads(line) for line in open(fp, "rb") if line.strip()]
                first = datetime.fromisoformat(rows[0]["created_at"].replace("Z", "+00:00"))
                if last is not None:
                    offset = last - first + timedelta(hours=1)
                for r in rows:
                    if written >= n:
                        break
                    tid = str(r["tweet_id"]).strip("'")
                    t = datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) + offset
                    f.write(orjson.dumps({"id": f"{tid}r{rnd}", "created_at": t.isoformat().replace("+00:00", "Z"),
                                          "text": r["text"], "author": {"id": f"u{tid}"}}) + b"\n")
                    written += 1
                    last = t
            rnd += 1


def one_run(path: str, data: str, trends: bool, conn: Any) -> None:
    from veristream import Engine, Settings
    from veristream.replay import run

    eng = Engine(data, Settings.load(env={}, trends=trends))
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        prog = run(eng, f, speed=None)
    t_ingest = time.perf_counter() - t0
    events = eng.events(limit=100_000) if trends else []
    t_all = time.perf_counter() - t0
    busy = eng._trends.busy_s if trends and eng._trends is not None else 0.0
    eng.close()
    conn.send({"posts": prog.read, "ingest_s": t_ingest, "total_s": t_all, "busy_s": busy, "events": len(events)})


def measure(path: Path, trends: bool, workdir: Path) -> dict[str, Any]:
    data = workdir / f"data-{'on' if trends else 'off'}"
    shutil.rmtree(data, ignore_errors=True)
    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe(duplex=False)
    p = ctx.Process(target=one_run, args=(str(path), str(data), trends, b))
    p.start()
    res = a.recv()
    p.join()
    shutil.rmtree(data, ignore_errors=True)
    res["posts_per_s"] = res["posts"] / res["total_s"]
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=100_000)
    ap.add_argument("--source", choices=["demo", "crisislex"], default="demo")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="vs-bench-trends-"))
    try:
        src = work / "posts.jsonl"
        log(f"writing {args.posts:,} {args.source} posts")
        (write_demo if args.source == "demo" else write_crisislex)(src, args.posts)
        runs: dict[bool, list[dict[str, Any]]] = {False: [], True: []}
        for r in range(args.rounds):
            for on in (False, True):
                res = measure(src, on, work)
                runs[on].append(res)
                log(f"round {r + 1}, detection {'on ' if on else 'off'}: {res['posts_per_s']:,.0f} posts/s "
                    f"({res['total_s']:.1f} s; accepted after {res['ingest_s']:.1f} s; detector busy {res['busy_s']:.1f} s; "
                    f"{res['events']} events)")
        off = max(runs[False], key=lambda x: x["posts_per_s"])
        on = max(runs[True], key=lambda x: x["posts_per_s"])
        out = {
            "source": args.source, "posts": args.posts, "rounds": args.rounds,
            "off_posts_per_s": round(off["posts_per_s"]), "on_posts_per_s": round(on["posts_per_s"]),
            "slowdown": round(1 - on["posts_per_s"] / off["posts_per_s"], 3),
            "on_accepted_posts_per_s": round(on["posts"] / on["ingest_s"]),
            "detector_us_per_post": round(on["busy_s"] / on["posts"] * 1e6, 1),
            "events": on["events"],
            "runs": {"off": runs[False], "on": runs[True]},
            "machine": {"python": platform.python_version(), "cpus": mp.cpu_count()},
        }
        print(json.dumps(out))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
