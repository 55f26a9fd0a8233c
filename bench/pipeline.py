#!/usr/bin/env python
"""The live pipeline flat out: posts handed to `Engine.pipeline().put` one by one as fast as it
takes them (what a busy source does), with live posts prepared on the writer
(`prepare_workers = 0`) or in a worker process while the writer writes (`prepare_workers = 1`),
against the FTS5 baseline's pipeline (`bench/fts5_baseline.py`) in the same run. Rounds
alternate the three, so load from other jobs falls on each alike.

    python bench/pipeline.py                       # 60,000 generated posts, 3 rounds
    python bench/pipeline.py --posts 200000 --rounds 5 --features   # vectors and trends on too
    python bench/pipeline.py --warm 5000           # steady state: start-up work not counted

The last line is one JSON object: posts/s per configuration (median and each round) and the
CPU time of this process per post (the writer's process: what a second core takes off it).
`--warm N` puts N other posts through each pipeline before the clock starts, so work done
once per process (the gazetteer of places, word lists, the preparing process's start) is
left out of the per-post figures; without it (the default, as in the earlier runs) a run of
60,000 posts carries it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from fts5_baseline import Fts5Baseline, Fts5Pipeline  # noqa: E402
from veristream import Engine, Settings  # noqa: E402
from veristream.demo import generate  # noqa: E402


def run_engine(posts: list, workers: int, features: bool, where: Path, warm: list) -> dict:
    s = Settings.load(env={}, vectors=features, trends=features, prepare_workers=workers)
    eng = Engine(where, s)
    pipe = eng.pipeline()
    if warm:
        for p in warm:
            pipe.put(p)
        pipe.flush(600)
        b0 = pipe.status()["batches"]
    else:
        b0 = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for p in posts:
        pipe.put(p)
    pipe.flush(600)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    st = pipe.status()
    pipe.close()
    eng.close()
    return {"posts_per_s": len(posts) / wall, "cpu_us_per_post": cpu / len(posts) * 1e6,
            "batches": st["batches"] - b0, "prepared_by_workers": st["prepared_by_workers"]}


def run_fts5(posts: list, where: Path, warm: list) -> dict:
    db = Fts5Baseline(where / "fts5.db", Settings.load(env={}))
    pipe = Fts5Pipeline(db)
    if warm:
        for p in warm:
            pipe.put(p)
        pipe.flush()
    t0, c0 = time.perf_counter(), time.process_time()
    for p in posts:
        pipe.put(p)
    pipe.flush()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    pipe.close()
    db.close()
    return {"posts_per_s": len(posts) / wall, "cpu_us_per_post": cpu / len(posts) * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=60_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--features", action="store_true", help="vectors and trends on (default: the core alone)")
    ap.add_argument("--warm", type=int, default=0, help="posts put through each pipeline before timing (default 0)")
    a = ap.parse_args()
    posts = list(generate(a.posts + a.warm))
    warm, posts = posts[: a.warm], posts[a.warm :]
    runs: dict[str, list[dict]] = {"prepare_workers_0": [], "prepare_workers_1": [], "fts5": []}
    for r in range(a.rounds):
        for name in runs:
            where = Path(tempfile.mkdtemp(prefix="vs-pipe-"))
            try:
                if name == "fts5":
                    res = run_fts5(posts, where, warm)
                else:
                    res = run_engine(posts, int(name[-1]), a.features, where / "data", warm)
            finally:
                shutil.rmtree(where, ignore_errors=True)
            runs[name].append(res)
            print(f"round {r + 1} {name}: {res['posts_per_s']:,.0f} posts/s, {res['cpu_us_per_post']:.0f} us CPU/post "
                  f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    out: dict = {"posts": a.posts, "warm": a.warm, "rounds": a.rounds, "features": a.features, "cores": os.cpu_count()}
    for name, rs in runs.items():
        out[f"{name}_posts_per_s"] = round(statistics.median(r["posts_per_s"] for r in rs))
        out[f"{name}_posts_per_s_each"] = [round(r["posts_per_s"]) for r in rs]
        out[f"{name}_cpu_us_per_post"] = round(statistics.median(r["cpu_us_per_post"] for r in rs), 1)
    out["workers_vs_writer"] = round(out["prepare_workers_1_posts_per_s"] / out["prepare_workers_0_posts_per_s"], 2)
    out["workers_vs_fts5"] = round(out["prepare_workers_1_posts_per_s"] / out["fts5_posts_per_s"], 2)
    out["load_avg_end"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
