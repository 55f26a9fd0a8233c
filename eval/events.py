#!/usr/bin/env python
"""Event detection on real crisis streams: replays each stream through a fresh Engine (event
time, as fast as possible) and scores the events it raises against the on/off-topic labels.

    python eval/events.py                         # the six CrisisLexT6 streams in ../shared/data
    python eval/events.py --data a.jsonl b.jsonl  # any JSONL of the same shape
    python eval/events.py --set trends_min_authors=4 --only Boston

Input lines: {"created_at", "text", "label": "on-topic"|"off-topic", optional "event",
optional "tweet_id"/"id"}. Each file is one stream (lines are sorted by created_at here). The
labels are used only to score; the detector never sees them. **Authors are synthesised**:
CrisisLex has none, so every tweet gets its own author (`u<tweet id>`); retweets and copies
still collapse into one story through the engine's own near-duplicate detection. Languages
are detected by the engine as for any source that gives none.

Definitions (all times are event time, i.e. the posts' created_at):

- **Crisis** E: the on-topic posts of a stream (of one `event` value when the field is given;
  else the file name).
- **Onset** of E: the first time t, at least `--warmup-h` (3 h) after the stream starts (the
  detector's longest event window needs that much history), at which the on-topic posts in
  the trailing hour (t − 1 h, t] number at least max(`--onset-min` (20), 3 × b(t)), where b(t)
  is their mean number per hour over the six hours before that hour (as much of it as the
  stream has): the first moment the labels show the on-topic posts bursting. (With a trailing
  half hour and at least 10 posts, `--onset-window-min 30 --onset-min 10`, isolated bumps of a
  dozen posts hours before the real surge count as onsets, e.g. Alberta 05:10 UTC, 15 hours
  before the flood news surged.)
- **Mostly on-topic**: more than half of an event's posts looked at (those that have labels)
  are on-topic posts of E. Looked at: its representative posts when it was raised
  (`detected_ids`) for detection; its final representative posts (`post_ids`) for precision.
- **Detection delay** of E: detected_at of the first raised event that was mostly on-topic
  when raised and was either raised no earlier than 30 min before the onset or raised earlier
  and still active at the onset (its last post at or after it: the user already sees it;
  `already_active`), minus the onset (negative: the detector raised it before the labels
  crossed the onset threshold). **Detected in time**: delay ≤ `--target-min` (15) minutes.
- **Precision (crisis period)**: of the events active in the crisis period (merged ones counted
  through the event they merged into) — raised from the earliest onset of the stream on, or
  raised before and still active then —, the share whose final representative posts are
  mostly on-topic. **Noise**: raised events, anywhere in the stream,
  that are not mostly on-topic. Also given over the whole stream.

The last line on stdout is one JSON object: per stream and overall figures, the settings
used, and ingest throughput with detection on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from bisect import bisect_left, bisect_right
from datetime import datetime, timezone
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

CRISISLEX = ROOT.parent / "shared" / "data" / "crisislex_t6"
HALF_HOUR = 1800.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_stream(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, "rb") as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            r = orjson.loads(line)
            tid = str(r.get("tweet_id") or r.get("id") or f"{path.stem}-{n}").strip("'")
            rows.append({"id": tid, "t": parse_ts(r["created_at"]), "created_at": r["created_at"], "text": r["text"],
                         "on": r.get("label") == "on-topic", "event": r.get("event") or path.stem})
    rows.sort(key=lambda r: r["t"])
    return rows


def onset(rows: list[dict[str, Any]], event: str, warmup_h: float, window_min: float, min_posts: int,
          factor: float = 3.0) -> float | None:
    """See the module docstring."""
    on = [r["t"] for r in rows if r["on"] and r["event"] == event]
    if not on:
        return None
    w = window_min * 60
    start = rows[0]["t"] + warmup_h * 3600
    for t in on:
        if t < start:
            continue
        c = bisect_right(on, t) - bisect_left(on, t - w)
        lo = max(rows[0]["t"], t - w - 6 * 3600)
        hi = t - w
        span = max(hi - lo, w)
        b = (bisect_right(on, hi) - bisect_left(on, lo)) / (span / w)
        if c >= max(min_posts, factor * b):
            return t
    return None


def write_posts(rows: list[dict[str, Any]], path: Path) -> None:
    with open(path, "wb") as f:
        for r in rows:
            f.write(orjson.dumps({"id": r["id"], "created_at": r["created_at"], "text": r["text"], "source": "file",
                                  "author": {"id": f"u{r['id']}", "handle": f"u{r['id']}"}}) + b"\n")


def mostly(keys: list[str], labels: dict[str, tuple[bool, str]], event: str | None) -> tuple[bool, int, int]:
    """(more than half on-topic [of `event`], on-topic, labelled) among `keys`."""
    seen = [labels[k] for k in keys if k in labels]
    on = sum(1 for is_on, ev in seen if is_on and (event is None or ev == event))
    return (bool(seen) and on * 2 > len(seen)), on, len(seen)


def run_stream(path: Path, args: argparse.Namespace, overrides: dict[str, str]) -> dict[str, Any]:
    from veristream import Engine, Settings
    from veristream.replay import run

    rows = read_stream(path)
    labels = {f"file:{r['id']}": (r["on"], r["event"]) for r in rows}
    names = sorted({r["event"] for r in rows if r["on"]})
    onsets = {e: onset(rows, e, args.warmup_h, args.onset_window_min, args.onset_min) for e in names}
    tmp = Path(tempfile.mkdtemp(prefix="vs-events-"))
    try:
        src = tmp / "posts.jsonl"
        write_posts(rows, src)
        settings = Settings.load(env={}, durability="os", **overrides)
        eng = Engine(tmp / "data", settings)
        t0 = time.perf_counter()
        with open(src, "rb") as f:
            prog = run(eng, f, input_name=path.name, speed=None)
        ingest_s = time.perf_counter() - t0
        events = [e.to_dict() for e in eng.events(limit=100_000)]
        busy = eng._trends.busy_s if eng._trends is not None else 0.0
        eng.close()
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    events.sort(key=lambda e: (e["detected_at"], e["id"]))
    per_event = []
    for name in names:
        t_on = onsets[name]
        hit = None
        if t_on is not None:
            for e in events:
                t_det = parse_ts(e["detected_at"])
                if t_det < t_on - HALF_HOUR and parse_ts(e["last_seen"]) < t_on:
                    continue  # raised long before, and over by the onset: about something else
                ok, _, _ = mostly(e["detected_ids"] or e["post_ids"], labels, name)
                if ok:
                    hit = e
                    break
        delay = parse_ts(hit["detected_at"]) - t_on if hit and t_on is not None else None
        per_event.append({
            "event": name, "onset": iso(t_on) if t_on is not None else None,
            "detected_at": hit["detected_at"] if hit else None, "delay_s": round(delay) if delay is not None else None,
            "in_time": delay is not None and delay <= args.target_min * 60,
            "already_active": delay is not None and delay < -HALF_HOUR,
            "event_id": hit["id"] if hit else None, "title": hit["title"] if hit else None,
            "terms": hit["terms"][:8] if hit else None,
        })
    first_onset = min((t for t in onsets.values() if t is not None), default=None)
    scored = []
    for e in events:
        ok, on, n = mostly(e["post_ids"], labels, None)
        scored.append({"id": e["id"], "detected_at": e["detected_at"], "status": e["status"], "on_topic": ok,
                       "reps_on": on, "reps": n, "posts": e["posts"], "authors": e["authors"],
                       "title": e["title"][:100], "terms": e["terms"][:6],
                       "crisis_period": first_onset is not None and parse_ts(e["last_seen"]) >= first_onset})
    crisis = [s for s in scored if s["crisis_period"]]
    return {
        "stream": path.stem, "posts": len(rows), "on_topic_posts": sum(r["on"] for r in rows),
        "ingest_s": round(ingest_s, 2), "posts_per_s": round(prog.read / ingest_s) if ingest_s else None,
        "detector_busy_s": round(busy, 2), "detector_us_per_post": round(busy / max(1, len(rows)) * 1e6, 1),
        "events": per_event,
        "raised": len(scored), "raised_crisis_period": len(crisis),
        "precision_crisis_period": round(sum(s["on_topic"] for s in crisis) / len(crisis), 3) if crisis else None,
        "precision_all": round(sum(s["on_topic"] for s in scored) / len(scored), 3) if scored else None,
        "noise": sum(not s["on_topic"] for s in scored),
        "noise_crisis_period": sum(not s["on_topic"] for s in crisis),
        "raised_events": scored if args.details else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", type=Path, help="JSONL streams (default: the six CrisisLexT6 files)")
    ap.add_argument("--only", help="only streams whose file name contains this")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="engine setting for the run, e.g. trends_min_authors=4 (repeatable)")
    ap.add_argument("--warmup-h", type=float, default=3.0, help="onset: not before this long into the stream (3)")
    ap.add_argument("--onset-window-min", type=float, default=60.0, help="onset: trailing window, minutes (60)")
    ap.add_argument("--onset-min", type=int, default=20, help="onset: least on-topic posts in the window (20)")
    ap.add_argument("--target-min", type=float, default=15.0, help="detected in time: delay at most this (15)")
    ap.add_argument("--details", action="store_true", help="list every raised event in the output")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    args = ap.parse_args(argv)
    paths = args.data or sorted(CRISISLEX.glob("*.jsonl"))
    if args.only:
        paths = [p for p in paths if args.only.lower() in p.name.lower()]
    if not paths:
        raise SystemExit(f"no streams (looked in {CRISISLEX}; use --data)")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    streams = []
    for p in paths:
        log(f"replaying {p.name}")
        res = run_stream(p, args, overrides)
        for e in res["events"]:
            log(f"  {e['event']}: onset {e['onset']}, detected {e['detected_at']} (delay {e['delay_s']} s): {e['title']}")
        log(f"  raised {res['raised']} ({res['raised_crisis_period']} in the crisis period), precision "
            f"{res['precision_crisis_period']}, noise {res['noise']}, {res['posts_per_s']} posts/s")
        streams.append(res)
    evs = [e for s in streams for e in s["events"]]
    delays = [e["delay_s"] for e in evs if e["delay_s"] is not None]
    crisis_raised = sum(s["raised_crisis_period"] for s in streams)
    crisis_on = sum(s["raised_crisis_period"] - s["noise_crisis_period"] for s in streams)
    raised = sum(s["raised"] for s in streams)
    overall = {
        "crises": len(evs), "detected": len(delays), "detected_in_time": sum(e["in_time"] for e in evs),
        "target_min": args.target_min,
        "delay_s_median": median(delays) if delays else None, "delay_s_max": max(delays) if delays else None,
        "delay_s_mean": round(sum(delays) / len(delays)) if delays else None,
        "raised": raised, "raised_crisis_period": crisis_raised,
        "precision_crisis_period": round(crisis_on / crisis_raised, 3) if crisis_raised else None,
        "precision_all": round((raised - sum(s["noise"] for s in streams)) / raised, 3) if raised else None,
        "noise": sum(s["noise"] for s in streams),
        "posts_per_s": round(sum(s["posts"] for s in streams) / sum(s["ingest_s"] for s in streams)),
        "detector_us_per_post": round(sum(s["detector_busy_s"] for s in streams) * 1e6 / sum(s["posts"] for s in streams), 1),
    }
    out = {"overall": overall, "streams": streams, "settings": overrides,
           "authors": "synthesised: one per tweet id", "definitions": "see eval/events.py docstring"}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
