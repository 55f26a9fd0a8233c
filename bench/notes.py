#!/usr/bin/env python
"""Community notes scoring at scale: synthetic ratings from two camps, loaded and scored.

    python bench/notes.py                                   # 10k notes, 20k raters, 1M ratings
    python bench/notes.py --ratings 200000 --no-ingest      # only the fit, on in-memory arrays

The ratings come from a planted model with two camps of raters (60 % / 40 %, factor ±U(0.5,
1.5), leniency N(0, 0.1)) and four kinds of notes: bridging (liked across camps), partisan
for either camp, and bad. A rating is helpful / somewhat / not helpful around the planted
probability; raters' activity is long-tailed (log-normal), notes are picked uniformly.

Measured, in one process:
1. the fit alone (`veristream.notes.fit` on numpy arrays): time, rounds, peak memory
   (tracemalloc: numpy arrays included);
2. with `--ingest` (the default): the ratings written as a published-layout
   `ratings-00000.tsv` (32 columns) and a notes file, loaded through `Engine.ingest_notes` /
   `ingest_ratings` (streamed in batches), then `Engine.score_notes()` (read back from
   SQLite, fit, statuses stored), in a fresh process: rows/s, time, peak RSS after each;
3. recovery: share of raters put in their camp by the sign of their factor, correlation of
   fitted and planted factors, and per kind of note the share rated helpful / not helpful.

Progress goes to stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from veristream.notes import HELPFUL, NOT_HELPFUL, FitParams, StatusRule, fit  # noqa: E402
from veristream.notes.scoring import select  # noqa: E402
from veristream.notes.tsv import RATING_COLUMNS  # noqa: E402

KINDS = ("bridging", "partisan_a", "partisan_b", "bad")
KIND_SHARE = (0.15, 0.35, 0.35, 0.15)
T0_MS = 1_768_478_400_000
RATING_HEADER = RATING_COLUMNS
NOTE_HEADER = ["noteId", "noteAuthorParticipantId", "createdAtMillis", "tweetId", "classification", "summary",
               "isMediaNote"]
LEVELS = ("NOT_HELPFUL", "SOMEWHAT_HELPFUL", "HELPFUL")


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over from the parent across fork and exec, which would hide the child's own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def generate(n_notes: int, n_raters: int, n_ratings: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    camp = np.where(rng.random(n_raters) < 0.6, -1, 1)
    f_u = camp * rng.uniform(0.5, 1.5, n_raters)
    i_u = rng.normal(0, 0.1, n_raters)
    kind = rng.choice(len(KINDS), n_notes, p=KIND_SHARE)
    b_n = np.array([0.45, 0.10, 0.10, -0.30])[kind]
    f_n = np.array([0.0, -0.45, 0.45, 0.0])[kind]
    activity = rng.lognormal(0, 1, n_raters)
    # Draw a few extra pairs, drop repeats (one rating per rater and note), keep n_ratings.
    m = int(n_ratings * 1.05) + 100
    raters = rng.choice(n_raters, m, p=activity / activity.sum())
    notes = rng.integers(0, n_notes, m)
    _, first = np.unique(notes.astype(np.int64) * n_raters + raters, return_index=True)
    first = np.sort(first)[:n_ratings]
    raters, notes = raters[first], notes[first]
    p = np.clip(0.35 + b_n[notes] + i_u[raters] + f_u[raters] * f_n[notes], 0, 1)
    u = rng.random(len(p))
    value2 = np.where(u < p - 0.1, 2, np.where(u < p + 0.1, 1, 0)).astype(np.int8)
    return {"camp": camp, "f_u": f_u, "kind": kind, "f_n": f_n, "notes": notes, "raters": raters, "value2": value2}


def fit_only(d: dict[str, np.ndarray], params: FitParams, rule: StatusRule) -> dict[str, Any]:
    keep = select(d["notes"], d["raters"], rule.min_ratings, 10)
    nu, ni = np.unique(d["notes"][keep], return_inverse=True)
    ru, ri = np.unique(d["raters"][keep], return_inverse=True)
    values = d["value2"][keep] / 2
    tracemalloc.start()
    f = fit(ni, ri, values, len(nu), len(ru), params)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    status = rule.apply(f.note_intercept, f.note_factor, np.bincount(ni))
    out = {"fit_s": round(f.seconds, 2), "rounds": f.iterations, "converged": f.converged,
           "fit_peak_mb": round(peak / 2**20, 1), "rmse": round(f.rmse, 4), "fitted_ratings": int(keep.sum()),
           "fitted_notes": len(nu), "fitted_raters": len(ru)}
    out |= recovery(d, ru, f.rater_factor, nu, f.note_factor, status)
    return out


def recovery(d: dict[str, np.ndarray], raters: np.ndarray, rater_factor: np.ndarray, notes: np.ndarray,
             note_factor: np.ndarray, status: np.ndarray) -> dict[str, Any]:
    camp = d["camp"][raters]
    agree = float((np.sign(rater_factor) == camp).mean())
    out: dict[str, Any] = {"camp_accuracy": round(max(agree, 1 - agree), 4),
                           "rater_factor_corr": round(abs(float(np.corrcoef(rater_factor, d["f_u"][raters])[0, 1])), 4),
                           "note_factor_corr": round(abs(float(np.corrcoef(note_factor, d["f_n"][notes])[0, 1])), 4)}
    kind = d["kind"][notes]
    for k, name in enumerate(KINDS):
        sel = kind == k
        out[f"{name}_helpful"] = round(float((status[sel] == HELPFUL).mean()), 4) if sel.any() else None
        out[f"{name}_not_helpful"] = round(float((status[sel] == NOT_HELPFUL).mean()), 4) if sel.any() else None
    return out


def write_files(d: dict[str, np.ndarray], notes_path: Path, ratings_path: Path, n_notes: int) -> None:
    with open(notes_path, "w", encoding="utf-8", buffering=1 << 20) as f:
        f.write("\t".join(NOTE_HEADER) + "\n")
        for i in range(n_notes):
            f.write(f"{i + 1}\t{'a' * 64}\t{T0_MS}\t{i + 1}\tMISINFORMED_OR_POTENTIALLY_MISLEADING\t"
                    f"Synthetic note {i + 1} ({KINDS[d['kind'][i]]})\t0\n")
    tail = "\t".join(["0"] * (len(RATING_HEADER) - 10))
    with open(ratings_path, "w", encoding="utf-8", buffering=1 << 20) as f:
        f.write("\t".join(RATING_HEADER) + "\n")
        notes, raters, vals = d["notes"].tolist(), d["raters"].tolist(), d["value2"].tolist()
        for j, (n, r, v) in enumerate(zip(notes, raters, vals)):
            f.write(f"{n + 1}\t{r:064x}\t{T0_MS + j}\t2\t0\t0\t0\t0\t{LEVELS[v]}\t{tail}\t{n + 1}\n")


def through_engine(d: dict[str, np.ndarray], n_notes: int, work: Path) -> dict[str, Any]:
    notes_path, ratings_path = work / "notes-00000.tsv", work / "ratings-00000.tsv"
    t = time.perf_counter()
    write_files(d, notes_path, ratings_path, n_notes)
    log(f"wrote {ratings_path.stat().st_size / 2**20:.0f} MB of TSV in {time.perf_counter() - t:.1f}s")
    np.save(work / "kind.npy", d["kind"])
    # A fresh process, so its peak RSS is the engine's loading and scoring alone.
    proc = subprocess.run([sys.executable, __file__, "--engine-phase", str(work), "--notes", str(n_notes)],
                          stdout=subprocess.PIPE, check=True)
    out = json.loads(proc.stdout.decode().splitlines()[-1])
    out["ratings_file_mb"] = round(ratings_path.stat().st_size / 2**20, 1)
    return out


def engine_phase(work: Path, n_notes: int) -> dict[str, Any]:
    from veristream import Engine, Settings

    kind = np.load(work / "kind.npy")
    rss = peak_rss_mb
    out: dict[str, Any] = {}
    with Engine(work / "data", Settings.load(env={}, vectors=False, trends=False)) as eng:
        eng.ingest_notes(work / "notes-00000.tsv")
        out["engine_open_rss_mb"] = rss()
        rep = eng.ingest_ratings(work / "ratings-00000.tsv")
        out |= {"ingest_s": round(rep.seconds, 1), "ingest_rows_per_s": round(rep.rows / rep.seconds),
                "ingest_peak_rss_mb": rss()}
        log(f"ingested {rep.accepted:,} ratings in {rep.seconds:.1f}s ({rep.rows / rep.seconds:,.0f}/s)")
        sc = eng.score_notes()
        out |= {"score_s": sc.seconds, "score_fit_s": sc.fit_seconds, "score_rounds": sc.iterations,
                "score_peak_rss_mb": rss(), "helpful": sc.helpful, "not_helpful": sc.not_helpful}
        log(f"score_notes: {sc.seconds:.1f}s ({sc.fit_seconds:.1f}s fitting), {sc.helpful:,} helpful")
        # The statuses as the engine hands them out, against the planted kinds.
        found = eng.notes_for([f"x:{i + 1}" for i in range(n_notes)])
        helpful = np.array([bool(found[f"x:{i + 1}"]) and found[f"x:{i + 1}"][0].helpful for i in range(n_notes)])
        for k, name in enumerate(KINDS):
            out[f"engine_{name}_helpful"] = round(float(helpful[kind == k].mean()), 4)
    out["db_mb"] = round((work / "data" / "notes.sqlite").stat().st_size / 2**20, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=10_000)
    ap.add_argument("--raters", type=int, default=20_000)
    ap.add_argument("--ratings", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ingest", action=argparse.BooleanOptionalAction, default=True,
                    help="also load the ratings as TSV through the Engine and score them there")
    ap.add_argument("--engine-phase", type=Path, help=argparse.SUPPRESS)  # the child process of --ingest
    args = ap.parse_args()
    if args.engine_phase:
        print(json.dumps(engine_phase(args.engine_phase, args.notes)))
        return
    t = time.perf_counter()
    d = generate(args.notes, args.raters, args.ratings, args.seed)
    log(f"generated {len(d['value2']):,} ratings in {time.perf_counter() - t:.1f}s")
    params, rule = FitParams(), StatusRule()
    res: dict[str, Any] = {"bench": "notes", "notes": args.notes, "raters": args.raters, "ratings": len(d["value2"]),
                           "seed": args.seed, "python": platform.python_version(), "numpy": np.__version__}
    res |= fit_only(d, params, rule)
    log(f"fit: {res['fit_s']}s, {res['rounds']} rounds, peak {res['fit_peak_mb']} MB, "
        f"camps recovered {res['camp_accuracy']:.1%}")
    if args.ingest:
        work = Path(tempfile.mkdtemp(prefix="veristream-notes-bench-"))
        try:
            res |= through_engine(d, args.notes, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    res["max_rss_mb"] = peak_rss_mb()  # generation and the in-memory fit
    print(json.dumps(res))


if __name__ == "__main__":
    main()
