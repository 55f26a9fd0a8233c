#!/usr/bin/env python
"""Soak test: a steady stream for a long time under retention; memory, disk and search
latency must stay flat once retention is in force.

    python bench/soak.py                                  # 20 minutes at 5,000 posts/s, 5 min retention
    python bench/soak.py --minutes 2 --retention-minutes 0.5  # a quick look
    nohup python bench/soak.py --minutes 720 --retention-minutes 60 > soak.log 2>&1 &   # 12 hours

Posts are synthetic (Zipf-distributed words, hashtags, reposts and copy-paste campaigns that
form stories, several languages) with `created_at` = the wall clock, so retention in event
time is retention in minutes of the run. A producer offers `--rate` posts per second to the
engine's `Pipeline` (back-pressure: if the core falls behind, it blocks, and the achieved
rate shows it); background expiry runs as a user would have it (`retention_days`,
`retention_interval_s`); `--searchers` threads run queries (words, hashtags, filters, time
order) alongside, `--qps` each.

Figures: "start" is the first measurement window once retention is in force (the first
expiry has happened and `--settle-s` more have passed) and, with trends on, once the shortest
trend window has warmed up (three spans: 15 minutes for 5m; events start to form then, a
one-off step of memory), "end" is the last window of the run;
each window is `--window-s` long (default: a sixth of the run after settling, at most 60 s).
RSS and disk are averaged over the window's 1-second samples; disk is the whole data
directory. Progress goes to stderr; the last line on stdout is one JSON object with
`posts_ingested`, `posts_kept`, `rss_mb_start`, `rss_mb_end`, `disk_mb_start`, `disk_mb_end`,
`search_p99_ms_start`, `search_p99_ms_end`, `errors`, and `within_20pct` (end ≤ 1.2 × start
for each figure). Offer a rate the machine sustains (see `achieved_rate`): otherwise the posts
kept, and the disk they take, follow whatever rate it achieves at each moment
(`disk_kb_per_post_*` stays comparable).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from veristream import Author, Engine, Post, Settings  # noqa: E402
from veristream.model import Media  # noqa: E402
from veristream.stats import disk_usage  # noqa: E402

LANGS = ["en"] * 14 + ["es", "es", "pt", "ja", "de", "fr"]


def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def p99(xs: list[float]) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.99 * len(xs)))]


class Stream:
    """Synthetic posts: Zipf words, hashtags, reposts and copy campaigns (stories)."""

    def __init__(self, seed: int = 7):
        self.rnd = random.Random(seed)
        base = ("flood storm power outage fire road closed bridge traffic police school vote election market "
                "game match goal team city river rain snow wind earthquake train delay airport flight news "
                "update report photo video breaking people water help shelter crews").split()
        self.vocab = base + [f"w{i}" for i in range(30_000)]
        weights = [1 / (r + 1) ** 1.05 for r in range(len(self.vocab))]
        self.cum = list(_accumulate(weights))
        self.tags = [f"tag{i}" for i in range(2_000)]
        self.campaigns = [" ".join(self.words(14)) for _ in range(200)]
        self.n = 0
        self.recent: list[str] = []

    def words(self, k: int) -> list[str]:
        return self.rnd.choices(self.vocab, cum_weights=self.cum, k=k)

    def posts(self, k: int) -> list[Post]:
        now = datetime.now(timezone.utc)
        out = []
        rnd = self.rnd
        for _ in range(k):
            self.n += 1
            pid = str(self.n)
            r = rnd.random()
            repost_of = None
            if r < 0.08 and self.recent:
                repost_of = rnd.choice(self.recent)
                text = "RT " + " ".join(self.words(8))
            elif r < 0.15:
                text = rnd.choice(self.campaigns) + f" https://ex.am/{self.n % 97}"
            else:
                text = " ".join(self.words(rnd.randint(6, 24)))
            tags = [rnd.choice(self.tags)] if rnd.random() < 0.3 else []
            if tags:
                text += " #" + tags[0]
            a = rnd.randrange(50_000)
            out.append(Post(id=pid, source="bluesky", author=Author(f"did:plc:{a:024d}", f"user{a}.bsky.social"),
                            text=text, created_at=now - timedelta(milliseconds=rnd.random() * 500),
                            lang=rnd.choice(LANGS), repost_of=repost_of, hashtags=tags,
                            media=[Media("photo", f"https://img.example/{pid}.jpg")] if rnd.random() < 0.1 else []))
            if rnd.random() < 0.05:
                self.recent.append(pid)
                if len(self.recent) > 1000:
                    del self.recent[:500]
        return out

    def query(self) -> dict:
        rnd = self.rnd
        r = rnd.random()
        words = " ".join(rnd.choices(self.vocab[:400], k=rnd.choice([1, 2, 2, 3])))
        if r < 0.5:
            return {"text": words}
        if r < 0.65:
            return {"text": words, "order": "time"}
        if r < 0.8:
            return {"text": "", "hashtag": rnd.choice(self.tags[:200])}
        if r < 0.9:
            return {"text": words, "lang": "es"}
        return {"text": words, "since": datetime.now(timezone.utc) - timedelta(seconds=30)}


def _accumulate(xs):
    t = 0.0
    for x in xs:
        t += x
        yield t


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.n = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1
        if len(self.first) < 5:
            self.first.append(record.getMessage())


@dataclass
class Samples:
    t: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    disk: list[float] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)  # MB by part: store, index, ...
    kept: list[int] = field(default_factory=list)
    searches: list[tuple[float, float]] = field(default_factory=list)  # (t, ms)

    def window(self, lo: float, hi: float) -> dict:
        idx = [i for i, t in enumerate(self.t) if lo <= t < hi]
        lat = [ms for t, ms in list(self.searches) if lo <= t < hi]
        mean = lambda xs: round(sum(xs) / len(xs), 1) if xs else None  # noqa: E731
        parts = {k: mean([self.parts[i][k] for i in idx]) for k in (self.parts[idx[0]] if idx else {})}
        return {"rss_mb": mean([self.rss[i] for i in idx]), "disk_mb": mean([self.disk[i] for i in idx]), "disk_parts_mb": parts,
                "search_p99_ms": round(p99(lat), 2) if lat else None, "searches": len(lat),
                "posts_kept": round(sum(self.kept[i] for i in idx) / len(idx)) if idx else None}


def _per_post(w: dict) -> float | None:
    return round(w["disk_mb"] * 1000 / w["posts_kept"], 3) if w["disk_mb"] and w["posts_kept"] else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=20.0, help="how long to run (default 20)")
    ap.add_argument("--rate", type=float, default=5000.0, help="offered posts per second (default 5000)")
    ap.add_argument("--retention-minutes", type=float, default=5.0, help="retention, in minutes of event time (default 5)")
    ap.add_argument("--interval-s", type=float, default=5.0, help="retention_interval_s: seconds between expiry runs")
    ap.add_argument("--settle-s", type=float, default=None, help="after the first expiry, wait this long before the "
                    "start window (default: 10%% of the run or half the retention, 10..120 s)")
    ap.add_argument("--window-s", type=float, default=None, help="length of the start and end windows")
    ap.add_argument("--searchers", type=int, default=1, help="search threads")
    ap.add_argument("--qps", type=float, default=20.0, help="queries per second per search thread")
    ap.add_argument("--durability", choices=["fsync", "os"], default="fsync")
    ap.add_argument("--trends", action=argparse.BooleanOptionalAction, default=True, help="trend detection (on by default)")
    ap.add_argument("--vectors", action=argparse.BooleanOptionalAction, default=False,
                    help="embed posts (off: a CPU embedder cannot keep up with thousands of posts/s)")
    ap.add_argument("--data-dir", default=None, help="default: a temporary directory, removed at the end")
    args = ap.parse_args()

    duration = args.minutes * 60
    tmp = None
    if args.data_dir:
        data = Path(args.data_dir)
        if data.exists():
            sys.exit(f"{data} exists: give a new directory")
    else:
        tmp = tempfile.mkdtemp(prefix="veristream-soak-")
        data = Path(tmp) / "data"
    errors = ErrorCount()
    logging.getLogger("veristream").addHandler(errors)
    settings = Settings.load(env={}, durability=args.durability, retention_days=args.retention_minutes / 1440,
                             retention_story_days=args.retention_minutes / 1440, retention_interval_s=args.interval_s,
                             trends=args.trends, vectors=args.vectors)
    eng = Engine(data, settings)
    stream = Stream()
    samples = Samples()
    stop = threading.Event()
    search_errors = [0]
    t0 = time.monotonic()
    log(f"{args.rate:,.0f} posts/s offered for {args.minutes:g} min, retention {args.retention_minutes:g} min "
        f"of event time, {args.searchers} searcher(s) at {args.qps:g} qps, data in {data}")

    pipe = eng.pipeline()

    def produce() -> None:
        tick = 0.05
        per_tick = args.rate * tick
        owed = 0.0
        nxt = time.monotonic()
        while not stop.is_set():
            owed += per_tick
            k = int(owed)
            owed -= k
            for p in stream.posts(k):
                pipe.put(p)
            nxt += tick
            delay = nxt - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1.0:  # far behind (back-pressure): do not try to catch up in a burst
                nxt = time.monotonic()

    def search() -> None:
        qrnd = Stream(seed=threading.get_ident() % 1000)
        gap = 1.0 / args.qps if args.qps > 0 else 0.0
        while not stop.is_set():
            q = qrnd.query()
            t = time.perf_counter()
            try:
                eng.search(q.pop("text"), limit=20, **q)
                samples.searches.append((time.monotonic() - t0, (time.perf_counter() - t) * 1000))
            except Exception as e:  # counted; the soak goes on
                search_errors[0] += 1
                if search_errors[0] <= 3:
                    log(f"search failed: {type(e).__name__}: {e}")
            if gap:
                stop.wait(max(0.0, gap - (time.perf_counter() - t)))

    threads = [threading.Thread(target=produce, name="soak-producer", daemon=True)]
    threads += [threading.Thread(target=search, name=f"soak-search-{i}", daemon=True) for i in range(args.searchers)]
    for t in threads:
        t.start()

    first_expiry_at: float | None = None
    last_log = 0.0
    try:
        while True:
            now = time.monotonic() - t0
            if now >= duration or pipe.error is not None:
                break
            if not samples.kept or len(samples.t) % 5 == 0:  # a count scans the table: every 5 s
                kept = eng.store.count()
            samples.t.append(now)
            samples.rss.append(rss_mb())
            parts = disk_usage(data)
            samples.disk.append(parts.pop("total") / 1e6)
            wal = data / "posts.db-wal"
            parts["store_wal"] = wal.stat().st_size if wal.exists() else 0  # within "store"
            samples.parts.append({k: v / 1e6 for k, v in parts.items()})
            samples.kept.append(kept)
            if first_expiry_at is None and eng.core.expirer.removed > 0:
                first_expiry_at = now
                log(f"retention in force at {now:.0f}s ({kept:,} posts kept)")
            if now - last_log >= 10:
                last_log = now
                lat = [ms for t, ms in samples.searches[-200:]]
                log(f"{now:5.0f}s  accepted {pipe.result.accepted:,} ({pipe.result.accepted / max(now, 1e-9):,.0f}/s)  "
                    f"kept {kept:,}  expired {eng.core.expirer.removed:,}  rss {samples.rss[-1]:.0f} MB  "
                    f"disk {samples.disk[-1]:.0f} MB (store {samples.parts[-1]['store']:.0f}, index "
                    f"{samples.parts[-1]['index']:.0f})  search p99 {p99(lat) or 0:.1f} ms  backlog {pipe.backlog():,}")
            time.sleep(max(0.0, 1.0 - ((time.monotonic() - t0) - now)))
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        pipe_error = None
        try:
            pipe.close()
        except Exception as e:  # reported below
            pipe_error = e
        ingested = pipe.result.accepted
        posts_kept = eng.count()
        expiry = eng.core.expirer.totals.to_dict()
        eng.close()

    end = samples.t[-1] if samples.t else 0.0
    if first_expiry_at is None:
        log("retention never came into force: run longer than --retention-minutes (plus an expiry interval)")
        first_expiry_at = end
    settle = args.settle_s if args.settle_s is not None else min(120.0, max(10.0, 0.1 * duration,
                                                                            0.5 * args.retention_minutes * 60))
    start_lo = first_expiry_at + settle
    if args.trends:
        # Trend windows report bursts (and events start to form, with their posts and groups)
        # only after three spans of stream: a one-off step of memory, not growth. The steady
        # state starts after the shortest window has warmed up.
        from veristream.trends.burst import WARMUP_FACTOR, parse_windows

        warm = WARMUP_FACTOR * parse_windows(settings.trends.windows)[0].span_s
        if warm + settle > start_lo:
            start_lo = warm + settle
            log(f"start window after the {parse_windows(settings.trends.windows)[0].name} trend window's warm-up "
                f"({warm:.0f} s) and {settle:.0f} s more")
    window = args.window_s or max(5.0, min(60.0, (end - start_lo) / 6))
    start = samples.window(start_lo, start_lo + window)
    last = samples.window(end - window, end + 1)
    errs = errors.n + search_errors[0] + (1 if pipe_error or pipe.error else 0)
    within = {k: (start[k] is not None and last[k] is not None and last[k] <= 1.2 * start[k])
              for k in ("rss_mb", "disk_mb", "search_p99_ms")}
    result = {
        "posts_ingested": ingested, "posts_kept": posts_kept,
        "rss_mb_start": start["rss_mb"], "rss_mb_end": last["rss_mb"],
        "disk_mb_start": start["disk_mb"], "disk_mb_end": last["disk_mb"],
        "search_p99_ms_start": start["search_p99_ms"], "search_p99_ms_end": last["search_p99_ms"],
        "errors": errs,
        "within_20pct": within, "ok": all(within.values()) and errs == 0,
        "minutes": args.minutes, "offered_rate": args.rate, "achieved_rate": round(ingested / max(end, 1e-9)),
        "retention_minutes": args.retention_minutes, "retention_in_force_at_s": round(first_expiry_at, 1),
        "windows_s": {"start": [round(start_lo, 1), round(start_lo + window, 1)], "end": [round(end - window, 1), round(end, 1)]},
        "posts_kept_start": start["posts_kept"], "posts_kept_end": last["posts_kept"],
        # When the machine cannot take the offered rate, posts kept follow the achieved rate,
        # and disk with them: per post kept, disk should still be flat.
        "disk_kb_per_post_start": _per_post(start), "disk_kb_per_post_end": _per_post(last),
        "disk_parts_mb_start": start["disk_parts_mb"], "disk_parts_mb_end": last["disk_parts_mb"],
        "searches": len(samples.searches), "expiry": expiry, "trends": args.trends, "vectors": args.vectors,
        "durability": args.durability, "cpus": os.cpu_count(),
    }
    if errors.first:
        log("first errors logged: " + " | ".join(errors.first))
    if pipe_error or pipe.error:
        log(f"ingest failed: {pipe_error or pipe.error}")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    print(orjson.dumps(result).decode(), flush=True)


if __name__ == "__main__":
    main()
