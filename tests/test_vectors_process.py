"""Embedding in a child process of the writing engine (`[vectors] process`, the default):
vectors of ingested posts reach the engine's searches, the lag shows while the child is held,
a restart resumes from its checkpoint, and the child ends with the engine (closed, or killed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.vectors import EmbedProcess, find_model
from conftest import mkpost

pytestmark = pytest.mark.skipif(find_model() is None, reason="the MiniLM model packages are not installed")

BRIDGE = "The old bridge over the river collapsed this morning and two cars fell into the water"
PARAPHRASE_Q = "automobiles plunged after a span gave way"  # no word in common with BRIDGE


def settings(**kw) -> Settings:
    return Settings.load(env={}, vectors_save_interval_s=0.2, **kw)


def ids(hits) -> list[str]:
    return [h.post.id for h in hits]


def until(cond: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie (exited, its parent not reaped yet: the parent was killed) is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def test_vectors_made_in_the_child_are_searched_in_the_engine(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        emb = eng.vectors.embedder
        assert isinstance(emb, EmbedProcess)
        eng.ingest([mkpost("bridge", BRIDGE, author="a"), mkpost("pizza", "Best pizza in town at the corner shop", author="b"),
                    mkpost("vote", "Polls close at 8pm, remember to vote today", author="c")])
        assert eng.wait_embedded(120)
        assert emb.pid is not None and emb.pid != os.getpid()
        st = eng.embedding_status()
        assert (st.vectors, st.pending, st.embedded_seq, st.lag_s) == (3, 0, 3, 0.0)
        r = eng.retrieve(PARAPHRASE_Q)
        assert r.mode == "hybrid" and ids(r.hits)[0] == "bridge" and r.hits[0].dense_rank == 1
        # Edits and removals go to the child too.
        eng.delete(["file:bridge"])
        edited = mkpost("pizza", BRIDGE, author="b")
        edited.edited_at = edited.created_at.replace(minute=5)
        assert eng.ingest([edited]).updated == 1
        assert eng.wait_embedded(120)
        assert eng.embedding_status().vectors == 2
        assert ids(eng.retrieve(PARAPHRASE_Q).hits)[0] == "pizza"


def test_the_lag_shows_while_the_child_is_held_and_words_still_find_the_posts(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        eng.ingest([mkpost("p", "Ferry timetable for the harbour this week")])
        assert eng.wait_embedded(120)
        pid = eng.vectors.embedder.pid
        os.kill(pid, signal.SIGSTOP)  # the child can neither embed nor save
        try:
            r = eng.ingest([mkpost("bridge", BRIDGE, minutes=1), mkpost("late", "Divers reach the cars in the river", minutes=2)])
            st = eng.embedding_status()
            assert (st.vectors, st.pending, st.embedded_seq) == (1, 2, 1) and st.lag_s == 120.0
            assert not eng.wait_embedded(0.3)
            assert set(ids(eng.retrieve("bridge river cars").hits)) >= {"bridge"}  # by their words
            assert "bridge" not in ids(eng.retrieve(PARAPHRASE_Q).hits)
            assert eng.ask("what happened to the bridge?").embedding_pending == 2
            assert eng.stats().to_dict()["embedding_lag"]["posts"] == 2
        finally:
            os.kill(pid, signal.SIGCONT)
        assert eng.wait_embedded(120)
        st = eng.embedding_status()
        assert (st.vectors, st.pending, st.embedded_seq) == (3, 0, max(r.seqs))
        assert ids(eng.retrieve(PARAPHRASE_Q).hits)[0] == "bridge"


def test_a_restarted_engine_resumes_from_the_childs_checkpoint(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Engine(data, settings()) as eng:
        eng.ingest([mkpost(str(i), f"Post number {i} about the harbour ferry timetable", minutes=i) for i in range(5)])
        assert eng.wait_embedded(120)
    cp = orjson.loads((data / "vectors" / "checkpoint.json").read_bytes())
    assert (cp["seq"], cp["vectors"]) == (5, 5)
    with Engine(data, settings(vectors=False)) as eng:  # posts the child never saw
        eng.ingest([mkpost("b", BRIDGE, minutes=10)])
    with Engine(data, settings()) as eng:
        assert eng.embedding_status().pending == 1
        until(lambda: eng.embedding_status().vectors == 6)  # on its own: nobody waits, nothing is ingested
        st = eng.embedding_status()
        assert (st.pending, st.embedded_seq) == (0, 6)
        assert ids(eng.retrieve(PARAPHRASE_Q).hits)[0] == "b"
    # The thread of the engine's own process takes over the same files, and back.
    with Engine(data, settings(embed_process=False)) as eng:
        eng.ingest([mkpost("c", "Storm closes the coast road", minutes=11)])
        assert eng.wait_embedded(120) and eng.embedding_status().vectors == 7


def test_closing_the_engine_ends_the_child(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "data", settings())
    eng.ingest([mkpost("p", "Ferry timetable for the harbour this week")])
    assert eng.wait_embedded(120)
    pid = eng.vectors.embedder.pid
    assert pid is not None and not gone(pid)
    eng.close()
    assert gone(pid)
    assert eng.vectors.embedder.pid is None


def test_stats_json_says_how_far_behind_and_embed_catches_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Engine(data, settings(vectors=False)) as eng:
        eng.ingest([mkpost("p", "Ferry timetable for the harbour this week")])
    runner = CliRunner()
    from veristream.cli import cli

    res = runner.invoke(cli, ["--data-dir", str(data), "stats", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["embedding_lag"]["posts"] == 1
    res = runner.invoke(cli, ["--data-dir", str(data), "embed"])  # a writing command: it catches up
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("1 vectors") and "0 posts not embedded yet" in res.stdout


KILLED = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timedelta, timezone
    from veristream import Author, Engine, Post, Settings
    eng = Engine(sys.argv[1], Settings.load(env={}, vectors_save_interval_s=0.2))
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    i = 0
    while True:
        if i < 600:
            eng.ingest([Post(id=str(i + k), source="file", author=Author(f"a{(i + k) % 13}", f"u{(i + k) % 13}"),
                             text=f"post {i + k} about the harbour ferry and the storm", created_at=t0 + timedelta(seconds=i + k))
                        for k in range(20)])
            i += 20
        pid = eng.vectors.embedder.pid
        if pid is not None and eng.embedding_status().vectors:
            print(pid, flush=True)  # the child runs and has saved: kill us any time now
        time.sleep(0.01)
""")


def test_sigkill_of_the_engine_ends_the_child_and_a_restart_embeds_every_post_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    line = proc.stdout.readline()
    assert line, proc.stderr.read().decode()[-2000:]
    child = int(line)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)  # the child holds the engine's stderr while it lives: it is gone too
    until(lambda: gone(child), 30)
    with Engine(data, settings()) as eng:
        n = eng.count()
        assert eng.wait_embedded(300)
        st = eng.embedding_status()
        assert (st.vectors, st.pending, st.embedded_seq) == (n, 0, n)
