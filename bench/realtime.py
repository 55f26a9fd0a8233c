#!/usr/bin/env python
"""Real-time benchmark: max-mode ingest, freshness and query latency under load, vs SQLite FTS5.

    python bench/realtime.py                      # defaults: 1,000,000 posts (5-9 min on 2 cores)
    python bench/realtime.py --posts 100000 --fresh-seconds 10   # a quick run (~1 min)
    python bench/realtime.py --source crisislex   # real tweets from ../shared/data, repeated

The posts are first written to a JSONL file (the project's own schema). Then, for each
system (veristream, then the FTS5 baseline of `bench/fts5_baseline.py`), in a fresh process:

1. Ingest, max mode, timed until the last post is accepted and searchable.
   veristream: `veristream.replay.run(engine, file, speed=None)`, exactly what
   `veristream replay FILE --speed max` does (lines parsed by `veristream.readers.parse_line`
   and prepared in worker processes, one writer). FTS5: the same `parse_line` in the
   process's main thread, feeding a batching writer thread with the engine's batch settings.
2. Freshness, with the index at full size: posts offered at `--rate` per second for
   `--fresh-seconds` through a pipeline (`Engine.pipeline()` / `Fts5Pipeline`); one in
   `--mark-every` carries a unique token. A searcher polls for each handed-off token and
   records hand-off -> found (time.monotonic: system-wide on Linux, so it compares across
   processes). Meanwhile a query client runs 2-3-word queries drawn from the stream's own
   text (`--qps` per second) over the full index and records their latency; it also times a
   few hundred queries before the load starts (query_idle_*).
   By default the searcher and the query client are separate processes that open the data
   read-only (`Engine(path, readonly=True)`): the realistic server layout, and free of the
   writer's GIL (measured: with `--searcher thread`, query p99 is 2-3x worse).

veristream's results also give each index tier's commits (hot: per batch; cold: every
`index_cold_commit_s`) in each phase: `index_commits_ingest`, `index_commits_fresh`.

Every process of a run imports one snapshot of the `veristream` package, copied at start.
Progress goes to stderr; the last line on stdout is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import itertools
import json
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import orjson  # noqa: E402

from veristream.model import Post, from_us  # noqa: E402

CRISISLEX = ROOT.parent / "shared" / "data" / "crisislex_t6"
TOKEN_PREFIX = "vsfresh"
TARGETS = {"ingest_posts_per_s": 20_000, "freshness_p99_ms": 100, "query_p99_ms": 20}

STOPWORDS = frozenset("""
a an the and or but if of to in on at by for with from as is are was were be been being am
i me my we our you your he she it its they them their this that these those there here what
who whom which when where why how all any both each few more most other some such no nor not
only own same so than too very can will just don should now rt via amp http https co www com
is it's im i'm you're we're they're that's what's there's dont can't cant won't didnt doesnt
about after again against before below between during into through under until up down out
off over then once further also get got just like one two new
""".split())


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class ConsumerLags:
    """How far each consumer of the accepted stream is behind it during the freshness phase
    (embedding, trends, media), sampled four times a second in the writer's process."""

    def __init__(self, eng: Any, every_s: float = 0.25):
        self.eng = eng
        self.every_s = every_s
        self.samples: dict[str, list[tuple[float | None, int]]] = {"embedding": [], "trends": [], "media": [],
                                                                   "cold_index": []}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-consumer-lags", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            e = self.eng.embedding_status()
            if e.enabled:
                self.samples["embedding"].append((e.lag_s, e.pending))
            t = self.eng.trends_status()
            if t.state not in ("off", "stored"):
                self.samples["trends"].append((t.lag_s, t.posts_behind))
            m = self.eng.media_status()
            if m.enabled:
                self.samples["media"].append((m.lag_s, m.pending))
            c = self.eng.core.cold_index_status()
            if c is not None:  # posts the cold index's process has not committed (the hot tier has them)
                self.samples["cold_index"].append((None, c["posts_behind"]))

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        out: dict[str, Any] = {}
        for name, got in self.samples.items():
            lags = [lag for lag, _ in got if lag is not None]
            out[f"{name}_lag_p99_s"] = round(pct(lags, 99), 2) if lags else None
            out[f"{name}_posts_behind_max"] = max((n for _, n in got), default=None)
            # where it stood when the phase ended: catching up (a backlog from max mode) or not
            out[f"{name}_posts_behind_end"] = got[-1][1] if got else None
        return out


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(q / 100 * len(s)))], 3)


def _status_kb(pid: int | str, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_mb() -> float:
    """Peak RSS of this process. VmHWM where Linux has it: `getrusage().ru_maxrss` carries the
    parent's peak over fork+exec, so a spawned helper would report its parent's figure."""
    kb = _status_kb("self", "VmHWM:")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kb / 1024, 1)


def children_rss_mb() -> float:
    """Current RSS of this process's live child processes, summed (e.g. parse workers)."""
    total = 0
    for child in mp.active_children():
        total += _status_kb(child.pid or 0, "VmRSS:") or 0
    return round(total / 1024, 1)


# --------------------------------------------------------------------------------------
# Input: the posts to replay, as JSON lines in a file
# --------------------------------------------------------------------------------------


def write_generated(path: Path, n: int, seed: int) -> datetime:
    """`n` demo posts as JSON lines; returns the newest created_at."""
    from veristream.demo import generate, line_of

    last = datetime.now(timezone.utc)
    with open(path, "wb", buffering=1 << 20) as f:
        buf: list[bytes] = []
        for i, p in enumerate(generate(n, seed=seed)):
            buf.append(line_of(p))
            if len(buf) == 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
            if (i + 1) % 250_000 == 0:
                log(f"  generated {i + 1:,} posts")
            last = p.created_at
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return last


def input_file(folder: Path, source: str, n: int, seed: int) -> Path:
    """Where the input for these options lives. The name carries a hash of the code that
    writes it, so a changed generator never reuses a stale file."""
    import hashlib
    import inspect

    if source == "generated":
        code = (ROOT / "veristream" / "demo.py").read_text() + inspect.getsource(write_generated)
    else:
        code = inspect.getsource(write_crisislex) + inspect.getsource(_synth_author)
    tag = hashlib.sha1(code.encode()).hexdigest()[:8]
    return folder / f"input-{source}-{n}-s{seed}-{tag}.jsonl"


def crisislex_records() -> list[dict[str, Any]]:
    files = sorted(CRISISLEX.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no CrisisLex data in {CRISISLEX}")
    out: list[dict[str, Any]] = []
    for fp in files:
        with open(fp, "rb") as f:
            out.extend(orjson.loads(line) for line in f if line.strip())
    return out


def _synth_author(tweet_id: int, rnd: int) -> dict[str, Any]:
    k = (tweet_id // 7 + rnd * 7919) % 20_011
    return {"id": f"u{k}", "handle": f"user{k}", "name": f"User {k}", "followers": (k * 37) % 5000}


def write_crisislex(path: Path, n: int) -> datetime:
    """The six CrisisLex files' tweets, repeated under fresh ids (and shifted in time, so
    each round follows the last) until `n`; authors are synthesised. No `lang`: readers
    detect it, as they would for this source."""
    recs = crisislex_records()
    last: datetime | None = None
    written = 0
    with open(path, "wb", buffering=1 << 20) as f:
        rnd = 0
        while written < n:
            shift = timedelta(days=400 * rnd)
            buf: list[bytes] = []
            for r in recs:
                if written >= n:
                    break
                tid = int(str(r["tweet_id"]).strip("'"))
                created = datetime.fromisoformat(r["created_at"]) + shift
                buf.append(orjson.dumps({
                    "id": f"{tid}r{rnd}", "created_at": created.isoformat().replace("+00:00", "Z"),
                    "text": r["text"], "author": _synth_author(tid, rnd), "source": "file",
                }))
                written += 1
                if last is None or created > last:
                    last = created
            f.write(b"\n".join(buf) + b"\n")
            rnd += 1
    assert last is not None
    return last


def query_mix(path: Path, n_queries: int, seed: int) -> list[str]:
    """2-3-word queries drawn from the stream's own posts: words that occur together in a
    post (so most queries have matches), frequent and rare ones in their natural mix."""
    rng = random.Random(seed)
    word = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
    sample: list[str] = []
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if i % 97 == 0:
                text = orjson.loads(line)["text"]
                if not text.startswith("RT @"):
                    sample.append(text)
            if len(sample) >= n_queries * 4:
                break
    out: list[str] = []
    for text in sample:
        words = [w.lower() for w in word.findall(text) if w.lower() not in STOPWORDS and w.isascii()]
        words = list(dict.fromkeys(words))
        if len(words) < 2:
            continue
        k = 3 if len(words) >= 3 and rng.random() < 0.4 else 2
        out.append(" ".join(rng.sample(words, k)))
        if len(out) >= n_queries:
            break
    return out


def measure_parse(path: Path, limit: int) -> float:
    from veristream.readers import parse_line

    lines: list[bytes] = []
    with open(path, "rb") as f:
        for line in f:
            lines.append(line)
            if len(lines) >= limit:
                break
    parse_line(lines[0])  # loads lazily imported parts (e.g. language detection)
    t0 = time.perf_counter()
    for line in lines:
        parse_line(line)
    return len(lines) / (time.perf_counter() - t0)


# --------------------------------------------------------------------------------------
# The systems under test, behind one small interface
# --------------------------------------------------------------------------------------


class Target(Protocol):
    def hits(self, text: str, limit: int) -> int:
        """Run one search as a user would (all words required); number of hits returned."""
        ...

    def find_any(self, words: list[str]) -> list[str]:
        """Texts of the posts matching any of `words` (one search)."""
        ...

    def close(self) -> None: ...


class VeristreamTarget:
    def __init__(self, path: Path, engine: Any = None):
        from veristream import Engine

        self.own = engine is None
        self.engine = engine if engine is not None else Engine(path, readonly=True)

    def hits(self, text: str, limit: int) -> int:
        return len(self.engine.search(text, limit=limit).hits)

    def find_any(self, words: list[str]) -> list[str]:
        res = self.engine.search(" OR ".join(words), limit=len(words), all_posts=True)
        return [h.post.text for h in res.hits]

    def close(self) -> None:
        if self.own:
            self.engine.close()


class Fts5Target:
    def __init__(self, path: Path, baseline: Any = None):
        from fts5_baseline import Fts5Baseline

        self.own = baseline is None
        self.db = baseline if baseline is not None else Fts5Baseline(path, readonly=True)

    def hits(self, text: str, limit: int) -> int:
        return len(self.db.search(text, limit))

    def find_any(self, words: list[str]) -> list[str]:
        return [p.text for p in self.db.search(" ".join(words), len(words), any_word=True)]

    def close(self) -> None:
        if self.own:
            self.db.close()


def open_target(system: str, path: Path, shared: Any = None) -> Target:
    return VeristreamTarget(path, shared) if system == "veristream" else Fts5Target(path, shared)


def token(k: int) -> str:
    return f"{TOKEN_PREFIX}{k:07d}"


_TOKEN = re.compile(rf"{TOKEN_PREFIX}(\d{{7}})")
POLL_BATCH = 32  # markers looked for per search: bounds the searcher's work when the writer lags


# --------------------------------------------------------------------------------------
# The concurrent searcher (freshness) and query client
# --------------------------------------------------------------------------------------


@dataclass
class Shared:
    """Signals between the writer and its searcher/query client (processes or threads)."""

    handed: Any  # mp.Value('q'): marked posts handed to the ingester so far
    found: Any  # mp.Value('q'): of those, how many the searcher has found
    go: Any  # Event: the offered load has started
    stop: Any  # Event: finish and report
    ready: list[Any] = field(default_factory=list)  # Events: warmed up


def poll_fresh(target: Target, sh: Shared, ready: Any, poll_s: float, warm: str = "") -> dict[str, Any]:
    """Search for every handed-off marker until found; record when each was found. Pending
    markers are looked for together, up to POLL_BATCH per search ("a OR b OR ...")."""
    target.find_any([token(0)])  # warm up
    if warm:  # and a search with hits: the first hit a process returns may load tables once (places)
        target.hits(warm, 10)
    ready.set()
    found: dict[int, float] = {}
    pending: list[int] = []
    seen = 0
    polls = 0
    poll_ms: list[float] = []
    poll_t: list = []
    while not sh.stop.is_set():
        n = sh.handed.value
        if n > seen:
            pending.extend(range(seen, n))
            seen = n
        if pending:
            t0 = time.monotonic()
            got: set[int] = set()
            for i in range(0, len(pending), POLL_BATCH):
                for text in target.find_any([token(k) for k in pending[i : i + POLL_BATCH]]):
                    got.update(int(m) for m in _TOKEN.findall(text))
            t1 = time.monotonic()
            polls += 1
            poll_ms.append((t1 - t0) * 1000)
            if len(poll_t) < 200 or t1 - t0 > 0.02:  # the first polls and the slow ones, for --trace
                poll_t.append((t0, t1 - t0, len(pending), len(got)))
            for k in got:
                found.setdefault(k, t1)
            pending = [k for k in pending if k not in got]
            sh.found.value = len(found)
        time.sleep(poll_s)
    return {"poll_t": poll_t, "found": found, "polls": polls, "poll_p50_ms": pct(poll_ms, 50), "poll_p99_ms": pct(poll_ms, 99),
            "rss_mb": peak_rss_mb()}


def run_queries(target: Target, sh: Shared, ready: Any, queries: list[str], qps: float,
                idle_max: int, idle_s: float) -> dict[str, Any]:
    """Warm up, time some queries with no ingest running, then run paced queries until stopped."""
    for q in queries[:20]:
        target.hits(q, 20)
    idle: list[float] = []
    t_end = time.monotonic() + idle_s
    i = 20
    while len(idle) < idle_max and time.monotonic() < t_end:
        q = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        target.hits(q, 20)
        idle.append((time.perf_counter() - t0) * 1000)
    ready.set()
    sh.go.wait()
    lat: list[float] = []
    empty = 0
    period = 1.0 / qps
    nxt = time.monotonic()
    while not sh.stop.is_set():
        now = time.monotonic()
        if now < nxt:
            time.sleep(min(nxt - now, 0.05))
            continue
        nxt = max(nxt + period, now)  # no catch-up bursts after a slow query
        q = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        hits = target.hits(q, 20)
        lat.append((time.perf_counter() - t0) * 1000)
        empty += hits == 0
    return {"lat_ms": lat, "idle_ms": idle, "empty": empty, "rss_mb": peak_rss_mb()}


def _proc_main(kind: str, system: str, path: str, sh: Shared, ready: Any, conn: Any, kw: dict[str, Any]) -> None:
    """Entry point of a searcher / query-client process."""
    target = open_target(system, Path(path))
    try:
        if kind == "poll":
            res = poll_fresh(target, sh, ready, **kw)
        else:
            res = run_queries(target, sh, ready, **kw)
        conn.send(res)
    finally:
        target.close()
        conn.close()


class Helper:
    """A searcher or query client, run as a process or as a thread of the writer."""

    def __init__(self, mode: str, kind: str, system: str, path: Path, sh: Shared, shared_target: Any,
                 ctx: Any, kw: dict[str, Any]):
        self.mode = mode
        self.ready = ctx.Event()
        sh.ready.append(self.ready)
        self.result: dict[str, Any] | None = None
        if mode == "process":
            self._rx, tx = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(target=_proc_main, args=(kind, system, str(path), sh, self.ready, tx, kw),
                                     name=f"bench-{kind}", daemon=True)
            self._proc.start()
            tx.close()
        else:
            target = open_target(system, path, shared_target)
            fn: Callable[..., dict[str, Any]] = poll_fresh if kind == "poll" else run_queries

            def run() -> None:
                self.result = fn(target, sh, self.ready, **kw)

            self._thread = threading.Thread(target=run, name=f"bench-{kind}", daemon=True)
            self._thread.start()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.2):
            if self.mode == "process" and not self._proc.is_alive():
                raise RuntimeError(f"{self._proc.name} exited with code {self._proc.exitcode}")
            if time.monotonic() > deadline:
                raise RuntimeError("searcher/query client did not start")

    def join(self, timeout: float = 60) -> dict[str, Any]:
        if self.mode == "process":
            if not self._rx.poll(timeout):
                self._proc.kill()
                raise RuntimeError("helper process did not report")
            self.result = self._rx.recv()
            self._proc.join(5)
        else:
            self._thread.join(timeout)
        if self.result is None:
            raise RuntimeError("helper failed")
        return self.result


# --------------------------------------------------------------------------------------
# One system: ingest, then freshness + queries
# --------------------------------------------------------------------------------------


def fresh_posts(source: str, input_path: Path, after: datetime, rate: float, seed: int) -> Iterator[Post]:
    """Posts for the freshness phase: new ids, event time continuing after the replayed stream.
    Made ahead of time or cheaply on the fly, so the producer's own work stays small."""
    if source == "generated":
        from veristream.demo import generate

        yield from generate(10**9, seed=seed + 1, start=after + timedelta(seconds=1), rate_per_s=rate)
        return
    from dataclasses import replace

    from veristream.readers import parse_line

    pool: list[Post] = []  # parsed once (language detection is slow), then reissued
    with open(input_path, "rb") as f:
        for line in f:
            p = parse_line(line)
            if p is not None:
                pool.append(p)
            if len(pool) >= 20_000:
                break
    k = 0
    while True:
        for p in pool:
            yield replace(p, id=f"fresh{k}", created_at=after + timedelta(seconds=1 + k / rate))
            k += 1


def ingest_veristream(engine: Any, input_path: Path) -> tuple[int, int, list[tuple[int, float]], float]:
    """Max-mode replay of the file, exactly as the CLI does it; returns (posts read, rejected,
    [(posts, seconds)] progress samples, peak total RSS of the parse workers sampled each second)."""
    from veristream.replay import run

    t0 = time.monotonic()
    progress: list[tuple[int, float]] = []
    last_log = [t0]
    workers_rss = [0.0]

    def on_progress(p: Any) -> None:
        now = time.monotonic()
        progress.append((p.accepted, now - t0))
        workers_rss[0] = max(workers_rss[0], children_rss_mb())
        if now - last_log[0] >= 5 or p.done:
            last_log[0] = now
            log(f"  veristream: {p.read:,} read, {p.accepted:,} accepted, {p.posts_per_s:,.0f}/s, lag {p.lag_s:.1f}s")

    with open(input_path, "rb", buffering=1 << 20) as f:
        prog = run(engine, f, input_name=str(input_path), speed=None, on_progress=on_progress, every_s=1.0)
    return prog.read, prog.rejected, progress, workers_rss[0]


def ingest_fts5(pipe: Any, input_path: Path, workers: int) -> tuple[int, int, list[tuple[int, float]], float]:
    """Bulk load like `veristream replay`: lines parsed in `workers` processes (in order),
    one writer thread; returns (posts read, rejected, [(posts accepted, seconds)], workers' RSS)."""
    from fts5_baseline import rows_from_lines

    t0 = time.monotonic()
    progress: list[tuple[int, float]] = []
    read = rejected = 0
    last_log = t0
    workers_rss = 0.0

    def chunks(f: Any) -> Iterator[list[bytes]]:
        while True:
            chunk = list(itertools.islice(f, 1000))
            if not chunk:
                return
            yield chunk

    def take(rows: list[Any], bad: int) -> None:
        nonlocal read, rejected, last_log, workers_rss
        pipe.put_rows(rows)
        read += len(rows)
        rejected += bad
        now = time.monotonic()
        progress.append((pipe.accepted, now - t0))
        if now - last_log >= 5:
            last_log = now
            workers_rss = max(workers_rss, children_rss_mb())
            log(f"  fts5: {read:,} read, {pipe.accepted:,} accepted, {pipe.accepted / (now - t0):,.0f}/s")

    with open(input_path, "rb", buffering=1 << 20) as f:
        if workers:
            with mp.get_context("spawn").Pool(workers) as pool:
                for rows, bad in pool.imap(rows_from_lines, chunks(f)):
                    take(rows, bad)
        else:
            for chunk in chunks(f):
                take(*rows_from_lines(chunk))
    pipe.flush()
    progress.append((pipe.accepted, time.monotonic() - t0))
    return read, rejected, progress, workers_rss


def parse_workers(setting: int) -> int:
    """The engine's rule (`parse_workers` setting): -1 means one per core beyond the first."""
    if setting >= 0:
        return setting
    return max(0, len(os.sched_getaffinity(0)) - 1 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) - 1)


def run_system(system: str, cfg: dict[str, Any], conn: Any) -> None:
    """Runs in a fresh process: everything for one system, results sent on `conn`."""
    from veristream import Engine, Settings
    # As `veristream serve` does in its writer process: threads hand the interpreter over every
    # 1 ms, not 5, so the writer thread does not wait out the producers' slices.
    sys.setswitchinterval(0.001)
    # The cyclic collector's pauses in this (the writer's) process: (start, seconds, generation).
    gc_pauses: list[tuple[float, float, int]] = []
    started: list[float] = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.monotonic()
        else:
            gc_pauses.append((started[0], time.monotonic() - started[0], info["generation"]))
    gc.callbacks.append(on_gc)

    ctx = mp.get_context("spawn")
    input_path = Path(cfg["input"])
    data = Path(cfg["data_dir"]) / system
    settings = Settings.load(data_dir=None, env={}, **cfg["settings"])
    out: dict[str, Any] = {"system": system}
    shutil.rmtree(data, ignore_errors=True)  # always a fresh data dir (the input file may be reused)
    data.mkdir(parents=True)
    if system == "veristream":
        target_obj: Any = Engine(data, settings=settings)
        search_path = data
    else:
        from fts5_baseline import Fts5Baseline, Fts5Pipeline

        target_obj = Fts5Baseline(data / "fts5.db", settings=settings)
        search_path = data / "fts5.db"
    # -- 1. max-mode ingest ------------------------------------------------------------
    n = cfg["posts"]
    t0 = time.monotonic()
    if system == "veristream":
        log(f"{system}: ingesting {n:,} posts the way `veristream replay --speed max` does "
            f"(veristream.replay.run: parse + prepare in workers, one writer)")
        read, rejected, progress, workers_rss = ingest_veristream(target_obj, input_path)
        pipe: Any = target_obj.pipeline()
        count = target_obj.count()
        out["rss_parse_workers_mb"] = workers_rss
    else:
        workers = parse_workers(settings.core.parse_workers)
        log(f"{system}: ingesting {n:,} posts (parse_line in {workers} worker process(es), one writer thread)")
        pipe = Fts5Pipeline(target_obj)
        read, rejected, progress, workers_rss = ingest_fts5(pipe, input_path, workers)
        out["rss_parse_workers_mb"] = workers_rss
        count = target_obj.count()
    elapsed = time.monotonic() - t0
    out["posts"] = count
    out["ingest_s"] = round(elapsed, 2)
    out["gc_ingest_s"] = round(sum(d for t, d, _ in gc_pauses if t >= t0), 2)  # of the writer's process
    out["ingest_posts_per_s"] = round(read / elapsed)
    # Sustained at the end (index near full size): accepted posts per second over the last ~10%.
    before = [p for p in progress if p[0] <= count * 0.9]
    if before and elapsed > before[-1][1]:
        out["ingest_last_10pct_posts_per_s"] = round((count - before[-1][0]) / (elapsed - before[-1][1]))
    out["rejected"] = rejected
    out["disk_mb"] = round(sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 2**20, 1)
    log(f"{system}: {count:,} posts in {elapsed:.1f}s = {read / elapsed:,.0f} posts/s; {out['disk_mb']} MB on disk"
        f" (code from {Path(sys.modules['veristream'].__file__ or '').parent})")
    newest = target_obj.now() if system == "veristream" else from_us(target_obj.newest_us or 0)
    commit_times = getattr(getattr(target_obj, "core", None), "commit_times", None)  # veristream: per index tier
    if commit_times is not None:
        out["index_commits_ingest"] = commit_times()

    # -- 2. freshness and queries under a steady offered load --------------------------
    gc.collect()
    rate, secs, every = cfg["rate"], cfg["fresh_seconds"], cfg["mark_every"]
    sh = Shared(ctx.Value("q", 0), ctx.Value("q", 0), ctx.Event(), ctx.Event())
    mode = cfg["searcher"]
    poller = Helper(mode, "poll", system, search_path, sh, target_obj, ctx, {"poll_s": cfg["poll_ms"] / 1000,
                                                                      "warm": cfg["queries"][0]})
    querier = Helper(mode, "query", system, search_path, sh, target_obj, ctx,
                     {"queries": cfg["queries"], "qps": cfg["qps"], "idle_max": 300, "idle_s": 5.0})
    poller.wait_ready()
    querier.wait_ready()
    log(f"{system}: offering {rate:,.0f} posts/s for {secs:g}s, 1 in {every} marked; "
        f"searcher and query client run as {'processes' if mode == 'process' else 'threads'}")
    src = fresh_posts(cfg["source"], input_path, newest, rate, cfg["seed"])
    src = itertools.chain([next(src)], src)  # set-up cost paid before the clock starts
    handoff: list[float] = []
    lags: list[float] = []
    sent = 0
    consumer_lags = ConsumerLags(target_obj) if system == "veristream" else None
    sh.go.set()
    t0 = time.monotonic()
    t_fresh = t0
    # Offer posts on schedule for `secs` of wall time. When the ingester falls behind, `put`
    # blocks (back-pressure) and fewer posts are offered: see offered_posts_per_s.
    while True:
        now = time.monotonic()
        if now - t0 >= secs:
            break
        due = int((now - t0) * rate) + 1
        if sent >= due:
            time.sleep(0.0005)
            continue
        while sent < due and time.monotonic() - t0 < secs:
            p = next(src)
            if sent % every == 0:
                k = len(handoff)
                p.text = f"{p.text} {token(k)}"
                t = time.monotonic()
                pipe.put(p)
                handoff.append(t)
                sh.handed.value = k + 1
                lags.append((t - (t0 + sent / rate)) * 1000)
            else:
                pipe.put(p)
            sent += 1
    offered_s = time.monotonic() - t0
    pipe.flush()
    if consumer_lags is not None:
        out.update(consumer_lags.stop())
    if commit_times is not None:
        out["index_commits_fresh"] = commit_times(t_fresh)
    # Let the searcher find the last markers (bounded), then stop both helpers.
    deadline = time.monotonic() + 5
    while sh.found.value < len(handoff) and time.monotonic() < deadline:
        time.sleep(0.01)
    sh.stop.set()
    pres = poller.join()
    qres = querier.join()
    pipe.close()
    found: dict[int, float] = pres["found"]
    if cfg.get("trace"):
        # Every marker's hand-off and find times, the searcher's first and slow polls, the GC pauses and
        # index commits of the writer's process (time.monotonic(), comparable across processes):
        # what a freshness tail lines up with.
        writer = getattr(getattr(target_obj, "core", None), "_writer", None)
        log_ = writer.commit_log if writer is not None else {}
        Path(f"{cfg['trace']}.{system}.json").write_bytes(orjson.dumps({
            "t0": t0, "handoff": handoff, "found": {str(k): v for k, v in found.items()},
            "searcher_polls": pres.get("poll_t"), "gc_pauses": [g for g in gc_pauses if g[0] >= t0 - 1],
            "index_commits": {k: [c for c in v if c[0] >= t0 - 1] for k, v in log_.items()}}))
    fresh = [(found[k] - handoff[k]) * 1000 for k in range(len(handoff)) if k in found]
    out.update({
        "offered_posts": sent, "offered_posts_per_s": round(sent / offered_s),
        "offer_lag_p99_ms": pct(lags, 99),
        "freshness_p50_ms": pct(fresh, 50), "freshness_p99_ms": pct(fresh, 99),
        "freshness_max_ms": pct(fresh, 100), "freshness_samples": len(fresh),
        "freshness_missed": len(handoff) - len(fresh),
        "searcher_poll_p50_ms": pres["poll_p50_ms"], "searcher_poll_p99_ms": pres["poll_p99_ms"],
        "query_p50_ms": pct(qres["lat_ms"], 50), "query_p99_ms": pct(qres["lat_ms"], 99),
        "query_max_ms": pct(qres["lat_ms"], 100), "query_samples": len(qres["lat_ms"]),
        "query_empty": qres["empty"],
        "query_idle_p50_ms": pct(qres["idle_ms"], 50), "query_idle_p99_ms": pct(qres["idle_ms"], 99),
        "posts_after_fresh": target_obj.count(),
        "gc_fresh_max_ms": round(max((d for t, d, _ in gc_pauses if t >= t0), default=0.0) * 1000, 1),
    })
    # The embedding process (veristream's default, `[vectors] process`): its peak, read before
    # the engine closes and stops it.
    emb_pid = getattr(getattr(getattr(target_obj, "vectors", None), "embedder", None), "pid", None)
    emb_kb = _status_kb(emb_pid, "VmHWM:") if emb_pid else None
    embedder_rss = round(emb_kb / 1024, 1) if emb_kb else None
    # The trend detection process (`[trends] process`), likewise.
    tr_pid = getattr(getattr(target_obj, "_trends", None), "pid", None)
    tr_kb = _status_kb(tr_pid, "VmHWM:") if tr_pid else None
    trends_rss = round(tr_kb / 1024, 1) if tr_kb else None
    # The cold index's process (`[core] index_process`), likewise.
    cold = target_obj.core.cold_index_status() if hasattr(target_obj, "core") else None
    ci_kb = _status_kb(cold["pid"], "VmHWM:") if cold and cold.get("pid") else None
    cold_rss = round(ci_kb / 1024, 1) if ci_kb else None
    target_obj.close()
    writer_rss = peak_rss_mb()
    helpers = pres["rss_mb"] + qres["rss_mb"] if mode == "process" else 0.0
    out["rss_mb"] = round(writer_rss + helpers + (embedder_rss or 0.0) + (trends_rss or 0.0) + (cold_rss or 0.0), 1)
    out["rss_breakdown_mb"] = {"writer": writer_rss, "embedder": embedder_rss, "trends": trends_rss,
                               "cold_index": cold_rss,
                               "searcher": pres["rss_mb"] if mode == "process" else None,
                               "query_client": qres["rss_mb"] if mode == "process" else None}
    log(f"{system}: freshness p50 {out['freshness_p50_ms']} ms, p99 {out['freshness_p99_ms']} ms "
        f"({len(fresh)} samples, {out['freshness_missed']} missed); query p50 {out['query_p50_ms']} ms, "
        f"p99 {out['query_p99_ms']} ms ({len(qres['lat_ms'])} queries); rss {out['rss_mb']} MB")
    conn.send(out)
    conn.close()


def run_isolated(system: str, cfg: dict[str, Any]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    rx, tx = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=run_system, args=(system, cfg, tx), name=f"bench-{system}")
    proc.start()
    tx.close()
    try:
        res = rx.recv()
    except EOFError:
        proc.join()
        raise SystemExit(f"{system} run failed (exit code {proc.exitcode})") from None
    proc.join()
    return res


# --------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cores": os.cpu_count(), "cpu": cpu, "mem_gb": round(mem, 1), "platform": platform.platform(),
        "python": platform.python_version(), "tantivy": importlib.metadata.version("tantivy"),
        "sqlite": sqlite3.sqlite_version, "orjson": importlib.metadata.version("orjson"),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000, help="posts to replay in max mode (default 1,000,000)")
    ap.add_argument("--source", choices=["generated", "crisislex"], default="generated",
                    help="generated demo posts, or CrisisLexT6 tweets from ../shared/data repeated under fresh ids")
    ap.add_argument("--rate", type=float, default=5000, help="posts/s offered in the freshness phase (default 5000)")
    ap.add_argument("--fresh-seconds", type=float, default=20, help="length of the freshness phase (default 20)")
    ap.add_argument("--mark-every", type=int, default=50, help="1 in N offered posts carries a token to find (50)")
    ap.add_argument("--qps", type=float, default=50, help="query client rate during the freshness phase (50)")
    ap.add_argument("--queries", type=int, default=2000, help="distinct queries in the mix (2000)")
    ap.add_argument("--poll-ms", type=float, default=2, help="searcher pause between polls (2 ms)")
    ap.add_argument("--searcher", choices=["process", "thread"], default="process",
                    help="run the searcher and query client as separate read-only processes (default) or threads")
    ap.add_argument("--system", choices=["both", "veristream", "fts5"], default="both",
                    help="what to measure (default both: veristream, then the FTS5 baseline)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="engine setting for this run (e.g. --set commit_interval_ms=50); repeatable")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir", help="where to put the systems' data (default: a temp dir, deleted at the end)")
    ap.add_argument("--input-dir", default=str(ROOT / "bench" / "out"),
                    help="where the input JSONL is written and reused by later runs (default bench/out/, "
                         "git-ignored; '' for the data dir)")
    ap.add_argument("--keep", action="store_true", help="keep the data dir")
    ap.add_argument("--trace", metavar="PREFIX", help="write PREFIX.<system>.json: every marker's hand-off and find "
                    "times, the searcher's first polls, GC pauses and index commits during the freshness phase")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.monotonic()
    settings: dict[str, Any] = {}
    for s in args.set:
        k, _, v = s.partition("=")
        settings[k.strip()] = v.strip()
    from veristream import Settings

    Settings.load(env={}, **settings)  # fail early on unknown settings
    made_dir = args.data_dir is None
    work = Path(args.data_dir or tempfile.mkdtemp(prefix="veristream-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        input_path = input_file(Path(args.input_dir) if args.input_dir else work, args.source, args.posts, args.seed)
        t0 = time.monotonic()
        if input_path.exists():
            log(f"reusing {input_path}")
        else:
            log(f"writing {args.posts:,} {args.source} posts to {input_path}")
            input_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = input_path.with_suffix(f".tmp{os.getpid()}")
            write_generated(tmp, args.posts, args.seed) if args.source == "generated" else write_crisislex(tmp, args.posts)
            tmp.rename(input_path)
        prep_s = time.monotonic() - t0
        queries = query_mix(input_path, args.queries, args.seed)
        (work / "queries.json").write_bytes(orjson.dumps(queries))  # for re-running them (--keep)
        parse_rate = measure_parse(input_path, min(args.posts, 100_000))
        log(f"input ready in {prep_s:.1f}s ({input_path.stat().st_size / 2**20:.0f} MB); "
            f"parse_line alone: {parse_rate:,.0f} posts/s; {len(queries)} queries, e.g. {queries[:4]}")
        # Every process of the run imports the same code: a snapshot of the package, taken now
        # (the working tree may change during a long run).
        code = work / "code"
        shutil.rmtree(code, ignore_errors=True)
        shutil.copytree(ROOT / "veristream", code / "veristream", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(ROOT / "bench" / "fts5_baseline.py", code / "fts5_baseline.py")
        sys.path.insert(0, str(code))
        cfg = {
            "code": str(code),
            "input": str(input_path), "data_dir": str(work), "posts": args.posts, "source": args.source,
            "rate": args.rate, "fresh_seconds": args.fresh_seconds, "mark_every": args.mark_every,
            "qps": args.qps, "poll_ms": args.poll_ms, "searcher": args.searcher, "seed": args.seed,
            "settings": settings, "queries": queries, "trace": args.trace,
        }
        systems = ["veristream", "fts5"] if args.system == "both" else [args.system]
        results = {s: run_isolated(s, cfg) for s in systems}
    finally:
        if made_dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep or not made_dir:
            log(f"data kept in {work}")

    out: dict[str, Any] = {}
    keys = ["ingest_posts_per_s", "freshness_p50_ms", "freshness_p99_ms", "query_p50_ms", "query_p99_ms",
            "rss_mb", "posts"]
    extra = ["ingest_s", "gc_ingest_s", "gc_fresh_max_ms", "ingest_last_10pct_posts_per_s", "rejected", "disk_mb", "rss_parse_workers_mb", "offered_posts_per_s",
             "offer_lag_p99_ms", "freshness_max_ms", "freshness_samples", "freshness_missed",
             "searcher_poll_p50_ms", "searcher_poll_p99_ms", "query_max_ms", "query_samples", "query_empty",
             "query_idle_p50_ms", "query_idle_p99_ms", "rss_breakdown_mb", "index_commits_ingest",
             "index_commits_fresh", "embedding_lag_p99_s", "trends_lag_p99_s", "media_lag_p99_s",
             "embedding_posts_behind_max", "trends_posts_behind_max", "media_posts_behind_max",
             "embedding_posts_behind_end", "trends_posts_behind_end", "media_posts_behind_end",
             "cold_index_posts_behind_max", "cold_index_posts_behind_end"]
    if "veristream" in results:
        r = results["veristream"]
        out.update({k: r.get(k) for k in keys})
        out["parse_posts_per_s"] = round(parse_rate)
        out.update({k: r.get(k) for k in extra})
        out["targets_met"] = {
            "ingest_posts_per_s": (r["ingest_posts_per_s"] or 0) >= TARGETS["ingest_posts_per_s"],
            "freshness_p99_ms": r["freshness_p99_ms"] is not None and r["freshness_p99_ms"] <= TARGETS["freshness_p99_ms"],
            "query_p99_ms": r["query_p99_ms"] is not None and r["query_p99_ms"] <= TARGETS["query_p99_ms"],
        }
    if "fts5" in results:
        r = results["fts5"]
        out.update({f"baseline_{k}": r.get(k) for k in keys + extra})
    out["searcher"] = ("process: searcher and query client each open Engine(data_dir, readonly=True)"
                       if args.searcher == "process" else "thread: searcher and query client share the writer's Engine")
    out["rss_note"] = ("rss_mb: peak RSS (VmHWM) of the writer + embedding + searcher + query-client processes, "
                       "summed; transient max-mode parse workers are in rss_parse_workers_mb")
    out["source"] = args.source
    out["options"] = {k: v for k, v in vars(args).items() if k not in ("data_dir",)} | {"settings": settings}
    out["machine"] = machine_info()
    out["elapsed_s"] = round(time.monotonic() - t_start, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
