#!/usr/bin/env python
"""Embedding benchmark: the encoder alone, the embedding thread with and without ingest
beside it, and ingest with vectors off and on, in one run (ratios hold on a busy machine).

    python bench/embed.py                                   # 6,000 backlog + 30,000 ingested
    python bench/embed.py --backlog 3000 --ingest 10000 --window-s 15       # quicker
    python bench/embed.py --tree /tmp/old-checkout          # another checkout's veristream

Input: the real CrisisLex tweets of ../shared/data (bench/realtime.py's `write_crisislex`);
the first `--backlog` posts are stored with vectors off, the next `--ingest` are ingested
during the measurement. Phases:

1. `encode_posts_per_s`: the engine's embedding encoder alone (same thread count), on the
   backlog's texts, called the way the embedding thread calls it; no store, no index.
2. Ingest with vectors off (`ingest_posts_per_s_vectors_off`, the mean of a run before and
   one after phase 3), into copies of the backlog store.
3. A writing engine over the backlog with vectors on: the embedding thread starts on the
   backlog; once it has added its first vectors, `--ingest` posts are ingested at full speed
   (`ingest_posts_per_s_vectors_on`, `embed_posts_per_s_ingesting`: vectors added during the
   ingest); then, with nothing ingesting, vectors added over `--window-s` seconds
   (`embed_posts_per_s`, the headline: the thread alone).

The thread runs at nice 19: on a shared machine its wall-clock rate is mostly the CPU the
other processes leave it (`embed_cpu_share`, cores; `load_*`, the load average). So the
figures that compare across runs and trees are per CPU-second: `encode_posts_per_cpu_s`
(the process's CPU time) and `embed_posts_per_cpu_s` (CPU time of the process's threads at
nice > 0: the embedding thread and its onnxruntime threads; Linux).

Ratios: `embed_vs_encode` and `embed_vs_encode_cpu` (the thread's overheads: store reads,
index adds, saves, GIL), `embed_ingesting_vs_idle` (what ingest takes from embedding),
`ingest_on_vs_off` (what embedding takes from ingest: should be ~1). Progress goes to
stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _paths(tree: str | None) -> None:
    for p in (ROOT / "bench", Path(tree).resolve() if tree else ROOT):
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))


def _settings(extra: dict, **kw):
    from veristream import Settings

    return Settings.load(env={}, **{**extra, **kw})


def _ingest(eng, lines: list[bytes]) -> float:
    from veristream.replay import run

    t0 = time.perf_counter()
    run(eng, iter(lines), input_name="bench", speed=None)
    return time.perf_counter() - t0


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _niced_cpu_s(eng=None) -> float:
    """CPU seconds used so far by this process's threads at nice > 0 (the embedding thread
    and the onnxruntime threads it created), and by the engine's embedding process where it
    runs one (Linux; 0 elsewhere)."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc/self/task").glob("*/stat"):
        try:
            f = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the thread ended
        if int(f[16]) > 0:  # fields 19 (nice), 14 and 15 (utime, stime) of proc(5)
            total += int(f[11]) + int(f[12])
    pid = getattr(getattr(getattr(eng, "vectors", None), "embedder", None), "pid", None)
    if pid:
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total / tick


def encode_alone(enc, texts: list[str], batch: int) -> float:
    """Posts/s of the encoder called as the embedding thread calls it: blocks of
    `embedder.BLOCK` posts through `embedder.encode_block` where the tree has them, else (the
    earlier thread) blocks of 4 x `batch` posts sorted by characters, cut into `batch`-post calls."""
    from veristream.vectors import embedder

    new = hasattr(embedder, "encode_block")
    block = embedder.BLOCK if new else 4 * batch
    t0 = time.perf_counter()
    for i in range(0, len(texts), block):
        part = texts[i:i + block]
        if new:
            for _ in embedder.encode_block(enc, [embedder.embed_text(t) for t in part]):
                pass
        else:
            part = sorted(part, key=len)
            for j in range(0, len(part), batch):
                enc.encode(part[j:j + batch])
    return len(texts) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backlog", type=int, default=6000, help="posts stored before embedding starts (6,000)")
    ap.add_argument("--ingest", type=int, default=30000, help="posts ingested beside the embedding thread (30,000)")
    ap.add_argument("--window-s", type=float, default=30.0, help="seconds the thread is timed alone (30)")
    ap.add_argument("--encode-posts", type=int, default=2048, help="posts encoded in phase 1 (2,048)")
    ap.add_argument("--threads", type=int, help="setting embed_threads (default: the setting's default)")
    ap.add_argument("--tree", help="a checkout whose veristream package to measure (default: this one)")
    args = ap.parse_args(argv)
    _paths(args.tree)
    extra = {"embed_threads": args.threads} if args.threads else {}
    if getattr(_settings(extra).vectors, "process", False):
        # In a process of its own, embedding's vectors count where the engine reads them, in
        # the saved index: saved often enough that the counts below are current.
        extra["vectors_save_interval_s"] = 1.0
    import orjson
    from realtime import log, machine_info, write_crisislex

    import veristream
    from veristream import Engine

    work = Path(tempfile.mkdtemp(prefix="vs-embed-"))
    res: dict = {"tree": str(Path(veristream.__file__).parent.parent), "machine": machine_info(),
                 "backlog": args.backlog, "ingest": args.ingest}
    res["embed_threads"] = _settings(extra).vectors.threads
    try:
        src = work / "input.jsonl"
        write_crisislex(src, args.backlog + args.ingest)
        lines = src.read_bytes().splitlines()
        backlog, fresh = lines[:args.backlog], lines[args.backlog:]
        base = work / "base"
        eng = Engine(base, _settings(extra, vectors=False))
        _ingest(eng, backlog)
        eng.close()

        log("phase 1: the encoder alone")
        st = _settings(extra)
        eng = Engine(work / "probe", st)
        enc = eng.vectors._load(eng.vectors.files, st)  # the embedding thread's (or process's) own encoder
        texts = [orjson.loads(b)["text"] for b in backlog[:args.encode_posts]]
        encode_alone(enc, texts[:64], st.vectors.batch)  # warm up
        res["load_phase1"] = _load()
        cpu = time.process_time()
        res["encode_posts_per_s"] = round(encode_alone(enc, texts, st.vectors.batch), 1)
        res["encode_posts_per_cpu_s"] = round(len(texts) / (time.process_time() - cpu), 1)
        eng.close()
        log(f"  {res['encode_posts_per_s']} posts/s")

        def ingest_vectors_off(name: str) -> float:
            shutil.copytree(base, work / name)
            eng = Engine(work / name, _settings(extra, vectors=False))
            try:
                return _ingest(eng, fresh)
            finally:
                eng.close()

        log("phase 2: ingest, vectors off")
        off1 = ingest_vectors_off("off1")

        log("phase 3: the embedding thread, with ingest beside it, then alone")
        shutil.copytree(base, work / "on")
        eng = Engine(work / "on", _settings(extra))
        t0 = time.perf_counter()
        while eng.embedding_status().vectors == 0:
            if time.perf_counter() - t0 > 120:
                raise SystemExit("the embedding thread added nothing in 120 s")
            time.sleep(0.05)
        res["embed_start_s"] = round(time.perf_counter() - t0, 2)  # model load and first block
        v0, c0 = eng.embedding_status().vectors, _niced_cpu_s(eng)
        res["load_ingesting"] = _load()
        on = _ingest(eng, fresh)
        s1, c1 = eng.embedding_status(), _niced_cpu_s(eng)
        res["embed_posts_per_s_ingesting"] = round((s1.vectors - v0) / on, 1)
        res["embed_cpu_share_ingesting"] = round((c1 - c0) / on, 3)  # cores the thread got
        t1 = time.perf_counter()
        time.sleep(args.window_s)
        s2, c2 = eng.embedding_status(), _niced_cpu_s(eng)
        idle_s = time.perf_counter() - t1
        res["load_alone"] = _load()
        res["embed_posts_per_s"] = round((s2.vectors - s1.vectors) / idle_s, 1)
        res["embed_cpu_share"] = round((c2 - c1) / idle_s, 3)
        res["embed_posts_per_cpu_s"] = round((s2.vectors - s1.vectors) / max(c2 - c1, 1e-9), 1)
        res["embed_caught_up"] = s2.pending == 0  # then the window's rate is a lower bound
        res["status"] = {"pending": s2.pending, "vectors": s2.vectors, "lag_s": s2.lag_s,
                         "posts_per_s": round(s2.posts_per_s, 1), "state": s2.state}
        eng.close()
        log(f"  alone {res['embed_posts_per_s']} posts/s, ingesting {res['embed_posts_per_s_ingesting']} posts/s")

        log("phase 2 again: ingest, vectors off")
        off2 = ingest_vectors_off("off2")
        n = len(fresh)
        res["ingest_posts_per_s_vectors_off"] = round(2 * n / (off1 + off2))
        res["ingest_posts_per_s_vectors_on"] = round(n / on)
        res["ingest_on_vs_off"] = round((off1 + off2) / 2 / on, 3)
        res["embed_vs_encode"] = round(res["embed_posts_per_s"] / res["encode_posts_per_s"], 3)
        res["embed_vs_encode_cpu"] = round(res["embed_posts_per_cpu_s"] / res["encode_posts_per_cpu_s"], 3)
        res["embed_ingesting_vs_idle"] = round(res["embed_posts_per_s_ingesting"] / max(res["embed_posts_per_s"], 1e-9), 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
