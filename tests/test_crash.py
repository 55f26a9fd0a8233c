"""Crash safety: SIGKILL at random moments during ingest loses no accepted post, and on
restart the store and the index agree."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson

from veristream import Engine, Settings

WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta, timezone
    from veristream import Author, Engine, Post, Settings
    data, start, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cold_s = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0  # index_cold_commit_s
    eng = Engine(data, Settings.load(env={}, index_cold_commit_s=cold_s))
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    out = sys.stdout
    for b in range(start, start + n, 50):
        posts = [Post(id=str(i), source="file", author=Author(f"a{i % 13}", f"user{i % 13}"),
                      text=f"crash test post tok{i} about the harbour", created_at=t0 + timedelta(seconds=i))
                 for i in range(b, min(b + 50, start + n))]
        eng.ingest(posts)
        # Only now is the batch accepted: report it.
        out.write(f"{posts[-1].id}\\n")
        out.flush()
""")


def _accepted(stdout: bytes) -> int:
    lines = [l for l in stdout.decode().splitlines() if l.strip()]
    return int(lines[-1]) + 1 if lines else 0


def _check(data: Path, must_have: int) -> int:
    eng = Engine(data, Settings.load(env={}))
    try:
        n = eng.count()
        assert n >= must_have, f"lost accepted posts: store has {n}, {must_have} were acknowledged"
        assert eng.index.num_docs() == n, "index and store disagree after restart"
        # Every acknowledged post is findable by its own token.
        for i in random.Random(n).sample(range(must_have), min(40, must_have)):
            res = eng.search(f"tok{i}")
            assert [h.post.id for h in res.hits] == [str(i)], f"post {i} missing from the index"
        return n
    finally:
        eng.close()


def _wait_for_rows(data: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the store holds at least one post (the process is past start-up)."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ingest ended before it could be killed"
        db = data / "posts.db"
        if db.exists():
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                n = con.execute("SELECT count(*) FROM posts").fetchone()[0]
                con.close()
                if n:
                    return
            except sqlite3.Error:
                pass
        time.sleep(0.02)
    raise AssertionError("ingest wrote nothing within the timeout")


def _readonly_finds(data: Path, acknowledged: int) -> None:
    """A read-only engine finds acknowledged posts through the dead writer's index tiers (the
    hot one holds what the cold one has not committed yet)."""
    eng = Engine(data, readonly=True)
    try:
        for i in random.Random(acknowledged).sample(range(acknowledged), min(20, acknowledged)):
            assert [h.post.id for h in eng.search(f"tok{i}").hits] == [str(i)], f"post {i} not found read-only"
    finally:
        eng.close()


def test_sigkill_during_ingest_loses_nothing(tmp_path: Path) -> None:
    _kill_rounds(tmp_path, cold_s=5.0, seed=1234)


def test_sigkill_across_cold_commits_loses_nothing(tmp_path: Path) -> None:
    # The cold tier commits (and the hot tier is emptied) every 50 ms: kills land around both.
    _kill_rounds(tmp_path, cold_s=0.05, seed=99, readonly_check=True)


def _kill_rounds(tmp_path: Path, cold_s: float, seed: int, readonly_check: bool = False) -> None:
    data = tmp_path / "data"
    rng = random.Random(seed)
    acknowledged = 0
    start = 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for _round in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data), str(start), "200000", str(cold_s)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        # Wait until it is really writing (start-up time varies with load), then kill it at
        # a random moment.
        first = proc.stdout.readline()
        assert first, proc.stderr.read().decode()[-2000:]
        time.sleep(rng.random() * 1.0)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        out = first + out
        assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
        got = _accepted(out)
        assert got > start, f"writer made no progress: {err.decode()[-2000:]}"
        acknowledged = max(acknowledged, got)
        if readonly_check:
            _readonly_finds(data, acknowledged)
        n = _check(data, acknowledged)
        start = n  # carry on where the store is, as a restarted stream would


def test_sigkill_during_cli_ingest_then_rerun_completes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    src = tmp_path / "posts.jsonl"
    with open(src, "wb") as f:
        for i in range(60_000):
            f.write(orjson.dumps({"id": str(i), "text": f"cli crash post tok{i} river", "created_at": 1_700_000_000 + i,
                                  "author": f"user{i % 17}", "lang": "en"}) + b"\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    cmd = [sys.executable, "-m", "veristream.cli", "--data-dir", str(data), "ingest", "-q", str(src)]
    for delay in (0.1, 0.7):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _wait_for_rows(data, proc)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        # Bounded: a worker process outliving the killed ingest would hold its stderr open.
        proc.communicate(timeout=60)
        _check(data, 0)
    # Re-running the same file after the crashes ends with every post exactly once.
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    assert _check(data, 60_000) == 60_000
