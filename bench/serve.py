#!/usr/bin/env python
"""Serving benchmark: 50 concurrent clients searching and asking over HTTP while posts are
ingested at 5,000/s through the API, all on loopback.

    python bench/serve.py                               # defaults: 100,000 posts preloaded, 60 s of load
    python bench/serve.py --seconds 20 --preload 20000  # a quick run

1. Preload: `--preload` demo posts are replayed into a fresh data directory (max mode, the
   `veristream replay --speed max` path), so searches run over an index of that size.
2. The server is `veristream serve --no-sources` in its own process (what a user runs:
   `--readers N` reader processes answering searches beside the writing one, the setting
   `api_readers` by default; `--readers 0`: one process), started on a free loopback port
   with a known API token.
3. The load, from this (second) process with asyncio and httpx2, for `--seconds`:
   * `--clients` clients, each in a loop: a search (`GET /v1/search`, a 2-3-word query drawn
     from the stream's own words) or, with probability `--ask-share`, a question
     (`POST /v1/ask`, non-streamed, extractive composer), then a pause of `--think-ms` on
     average (exponential; 0: back to back). Each request's latency is recorded.
   * one ingest client offering `--rate` posts/s as NDJSON batches of `--batch` posts to
     `POST /v1/posts` (wait=true: answered once stored and searchable), on a fixed schedule
     (up to 8 batches in flight, so a slow answer does not lower the offered rate).
   Errors: any non-2xx answer or transport error (timeouts included).
4. Peer comparison, same run, same queries, no load: the searches one at a time over HTTP,
   and the same searches on an `Engine` opened in this process (read-only, beside the
   server): the difference is what HTTP, JSON and the server add.

Progress goes to stderr; the last line on stdout is one JSON object with `search_p50_ms`,
`search_p99_ms`, `ask_p95_ms`, `ingest_posts_per_s`, `errors` and the rest: among them the
CPU seconds the load generator, the writing process and the readers used during the load
(`cpu_s_during_load`), and the server's own view of the searches from its `/metrics`
(`server_side_search`: the histogram bucket holding its p99, how many took over 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "bench-token-" + "x" * 24
TARGETS = {"search_p99_ms": 50.0, "errors": 0}
QUESTIONS = ["what happened at Northgate stadium?", "earthquake in Harlow Bay: how many injured?",
             "is the Cedar Ridge wildfire contained?", "latest on the Ashford river flood",
             "what do people say about the Nova X launch?", "where is the evacuation centre?"]


def log(msg: str) -> None:
    print(f"[serve-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    s = sorted(xs)
    return round(s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))], 2)


# -- preparation ---------------------------------------------------------------------------------

def preload(data: Path, n: int, settings: dict[str, str]) -> tuple[list[str], float]:
    """Replay `n` demo posts into `data`; return a query mix drawn from their words."""
    from veristream import Engine, Settings
    from veristream.demo import demo_lines
    from veristream.replay import run

    t = time.monotonic()
    eng = Engine(data, Settings.load(env={}, **settings))
    try:
        prog = run(eng, demo_lines(n, seed=7), input_name="preload", speed=None)
    finally:
        eng.close()
    took = time.monotonic() - t
    log(f"preloaded {prog.accepted:,} posts in {took:.1f}s")
    rng = random.Random(7)
    texts = [json.loads(line)["text"] for _, line in zip(range(20000), demo_lines(20000, seed=7))]
    words = [w for t in texts for w in re.findall(r"[a-z]{4,}", t.lower())]
    queries = [" ".join(rng.sample(words, rng.choice((2, 2, 3)))) if rng.random() < 0.5
               else " ".join(re.findall(r"[a-z]{4,}", rng.choice(texts).lower())[:rng.choice((2, 3))])
               for _ in range(2000)]
    return [q for q in queries if q.strip()], took


def ingest_batches(rate: float, seconds: float, batch: int) -> list[bytes]:
    """NDJSON bodies of fresh demo posts (after the preloaded ones, with new ids)."""
    from veristream.demo import demo_lines

    n = int(rate * seconds * 1.1) + batch
    lines = list(demo_lines(n, seed=11))  # another seed: other ids, the same kind of stream
    return [b"\n".join(lines[i:i + batch]) for i in range(0, len(lines), batch)]


# -- the server ------------------------------------------------------------------------------------

def start_server(data: Path, settings: dict[str, str], readers: int | None = None) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERISTREAM_")}
    env["VERISTREAM_API_TOKEN"] = TOKEN
    env.update({f"VERISTREAM_{k.upper()}": v for k, v in settings.items()})
    extra = [] if readers is None else ["--readers", str(readers)]
    proc = subprocess.Popen([sys.executable, "-m", "veristream.cli", "--data-dir", str(data), "serve", "--no-sources",
                             "--port", "0", "-q", *extra], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, env=env, cwd=ROOT)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    m = re.search(r"serving (http://\S+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"the server did not start: {line}{proc.stderr.read()}")
    return proc, m.group(1).rstrip("/")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a live process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of the server process and of its children (the reader processes)."""
    kids = []
    for d in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if d.isdigit():
            try:
                if int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return {"writer": round(cpu_seconds(pid), 1), "readers": round(sum(cpu_seconds(k) for k in kids), 1)}


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the load ------------------------------------------------------------------------------------

async def load(url: str, args: argparse.Namespace, queries: list[str], bodies: list[bytes]) -> dict[str, Any]:
    import httpx2

    search_ms: list[float] = []
    ask_ms: list[float] = []
    ingest_ms: list[float] = []
    errors: dict[str, int] = {}
    accepted = [0]
    stop_at = time.monotonic() + args.seconds
    limits = httpx2.Limits(max_connections=args.clients + 16, max_keepalive_connections=args.clients + 16)
    timeout = httpx2.Timeout(60.0)

    def error(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    async with httpx2.AsyncClient(base_url=url, limits=limits, timeout=timeout) as http:
        async def client(i: int) -> None:
            rng = random.Random(1000 + i)
            await asyncio.sleep(rng.random() * max(args.think_ms, 50) / 1000)  # spread the starts
            while time.monotonic() < stop_at:
                t = time.perf_counter()
                asking = rng.random() < args.ask_share
                kind = "ask" if asking else "search"
                try:
                    if asking:
                        r = await http.post("/v1/ask", json={"question": rng.choice(QUESTIONS), "stream": False})
                    else:
                        r = await http.get("/v1/search", params={"q": rng.choice(queries), "limit": 20})
                except httpx2.HTTPError as e:
                    error(f"{kind}: {type(e).__name__}")
                else:
                    if r.status_code == 200:
                        (ask_ms if asking else search_ms).append((time.perf_counter() - t) * 1000)
                    else:
                        error(f"{kind}: HTTP {r.status_code}")
                if args.think_ms:
                    await asyncio.sleep(rng.expovariate(1000 / args.think_ms))

        async def ingest() -> None:
            interval = args.batch / args.rate
            gate = asyncio.Semaphore(8)
            tasks = []
            t0 = time.monotonic()

            async def send(body: bytes) -> None:
                async with gate:
                    t = time.perf_counter()
                    try:
                        r = await http.post("/v1/posts", content=body, headers={
                            "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"})
                        if r.status_code == 200:
                            accepted[0] += r.json()["accepted"]
                            ingest_ms.append((time.perf_counter() - t) * 1000)
                        else:
                            error(f"ingest: HTTP {r.status_code}")
                    except httpx2.HTTPError as e:
                        error(f"ingest: {type(e).__name__}")

            for k, body in enumerate(bodies):
                due = t0 + k * interval
                if due >= stop_at:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                tasks.append(asyncio.create_task(send(body)))
            await asyncio.gather(*tasks)

        t_start = time.monotonic()
        await asyncio.gather(ingest(), *(client(i) for i in range(args.clients)))
        elapsed = time.monotonic() - t_start

    return {"search_ms": search_ms, "ask_ms": ask_ms, "ingest_ms": ingest_ms, "errors": errors,
            "accepted": accepted[0], "elapsed_s": elapsed}


def server_search_p99(url: str) -> dict[str, Any]:
    """The server's own view of the searches (its /metrics histogram: request received to
    first byte): the bucket holding its p99. Against the client's p99 it tells whether the tail
    is spent in the server or before it (client, kernel queues, the CPU the client waits for)."""
    import httpx2

    text = httpx2.get(url + "/metrics", timeout=30).text
    buckets = []
    for labels, n in re.findall(r'^veristream_http_request_duration_seconds_bucket\{([^}]*)\} (\S+)$', text,
                                 re.MULTILINE):
        lab = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if (lab.get("method"), lab.get("route"), lab.get("status")) == ("GET", "/v1/search", "200"):
            buckets.append((float(lab["le"]), float(n)))
    if not buckets:
        return {}
    buckets.sort()
    total = buckets[-1][1]
    p99 = next(le for le, n in buckets if n >= 0.99 * total)
    over50 = total - next(n for le, n in buckets if le >= 0.05)
    return {"searches": int(total), "p99_at_most_ms": p99 * 1000, "over_50ms": int(over50)}


def http_idle(url: str, queries: list[str]) -> list[float]:
    import httpx2

    out = []
    with httpx2.Client(base_url=url, timeout=30) as http:
        for q in queries:
            t = time.perf_counter()
            r = http.get("/v1/search", params={"q": q, "limit": 20})
            if r.status_code == 200:
                out.append((time.perf_counter() - t) * 1000)
    return out


def in_process(data: Path, queries: list[str], settings: dict[str, str]) -> list[float]:
    from veristream import Engine, Settings

    eng = Engine(data, Settings.load(env={}, **settings), readonly=True)
    out = []
    try:
        for q in queries:
            t = time.perf_counter()
            eng.search(q, limit=20)
            out.append((time.perf_counter() - t) * 1000)
    finally:
        eng.close()
    return out


# -- main ------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preload", type=int, default=100_000, help="demo posts stored before the load (100,000)")
    ap.add_argument("--seconds", type=float, default=60, help="length of the load (60)")
    ap.add_argument("--clients", type=int, default=50, help="concurrent search/ask clients (50)")
    ap.add_argument("--ask-share", type=float, default=0.1, help="share of client requests that are questions (0.1)")
    ap.add_argument("--think-ms", type=float, default=1000,
                    help="mean pause of a client between its requests (1000; 0: back to back)")
    ap.add_argument("--rate", type=float, default=5000, help="posts/s offered to POST /v1/posts (5000)")
    ap.add_argument("--batch", type=int, default=500, help="posts per POST /v1/posts request (500)")
    ap.add_argument("--peer-queries", type=int, default=300, help="queries for the no-load comparison (300)")
    ap.add_argument("--readers", type=int, default=None,
                    help="`serve --readers`: processes answering searches beside the writer (default: the setting "
                         "api_readers; 0: one process)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="server setting for this run (e.g. --set vectors=false); repeatable")
    ap.add_argument("--data-dir", help="where the data goes (default: a temp dir, deleted at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the data dir")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.monotonic()
    load_before = [round(x, 2) for x in os.getloadavg()]  # what else ran: a busy machine inflates every figure
    settings = dict(s.partition("=")[::2] for s in args.set)
    settings = {k.strip(): v.strip() for k, v in settings.items()}
    from veristream import Settings

    Settings.load(env={}, **settings)  # fail early on unknown settings
    made = args.data_dir is None
    work = Path(args.data_dir or tempfile.mkdtemp(prefix="veristream-serve-bench-"))
    data = work / "data"
    try:
        queries, preload_s = preload(data, args.preload, settings)
        bodies = ingest_batches(args.rate, args.seconds, args.batch)
        proc, url = start_server(data, settings, args.readers)
        try:
            log(f"server at {url}; load: {args.clients} clients, {args.rate:,.0f} posts/s offered, {args.seconds:.0f}s")
            cpu0, own0 = server_cpu(proc.pid), time.process_time()
            res = asyncio.run(load(url, args, queries, bodies))
            cpu1, own1 = server_cpu(proc.pid), time.process_time()
            # Where the cores went during the load: on 2 cores, 2 x load_s is all there is.
            res["cpu_s"] = {"load_generator": round(own1 - own0, 1),
                            **{k: round(cpu1[k] - cpu0[k], 1) for k in cpu1}}
            res["server_side"] = server_search_p99(url)
            log(f"load done: {len(res['search_ms']):,} searches, {len(res['ask_ms']):,} asks, "
                f"{res['accepted']:,} posts accepted, errors {res['errors'] or 0}")
            peer = random.Random(3).sample(queries, min(args.peer_queries, len(queries)))
            idle_http = http_idle(url, peer)
        finally:
            stop_server(proc)
        inproc = in_process(data, peer, settings)
    finally:
        if made and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"data kept in {work}")

    s_ms, a_ms = res["search_ms"], res["ask_ms"]
    out = {
        "search_p50_ms": pct(s_ms, 50), "search_p99_ms": pct(s_ms, 99), "ask_p95_ms": pct(a_ms, 95),
        "ingest_posts_per_s": round(res["accepted"] / res["elapsed_s"]) if res["elapsed_s"] else 0,
        "errors": sum(res["errors"].values()),
        "errors_by_kind": res["errors"],
        "searches": len(s_ms), "asks": len(a_ms), "search_max_ms": pct(s_ms, 100), "ask_p50_ms": pct(a_ms, 50),
        "ingest_offered_posts_per_s": args.rate, "ingest_request_p50_ms": pct(res["ingest_ms"], 50),
        "ingest_request_p99_ms": pct(res["ingest_ms"], 99),
        "peer_http_idle_search_p50_ms": pct(idle_http, 50), "peer_http_idle_search_p99_ms": pct(idle_http, 99),
        "peer_in_process_search_p50_ms": pct(inproc, 50), "peer_in_process_search_p99_ms": pct(inproc, 99),
        "preload_posts": args.preload, "preload_s": round(preload_s, 1), "load_s": round(res["elapsed_s"], 1),
        "cpu_s_during_load": res["cpu_s"], "server_side_search": res["server_side"],
    }
    out["targets_met"] = {"search_p99_ms": out["search_p99_ms"] is not None and out["search_p99_ms"] <= 50,
                          "errors": out["errors"] == 0}
    out["options"] = {k: v for k, v in vars(args).items() if k != "data_dir"} | {"settings": settings}
    out["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                      "load_avg_before": load_before, "load_avg": [round(x, 2) for x in os.getloadavg()]}
    out["elapsed_s"] = round(time.monotonic() - t_start, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
