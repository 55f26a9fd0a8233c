"""Hostile posts at the core's boundaries (issue 15): bulk ingest, the pipeline, the writer.

A post that parses but cannot be stored (nested past what orjson writes, an integer over 64
bits, a lone surrogate) is quarantined with a reason naming it; the rest is stored, the
writer never stops for one post, and its status says whether it runs."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.cli import cli
from veristream.core import EngineError
from veristream.core.writer import Prepared
from veristream.model import Author, BadPost, Post
from veristream.replay import IngestOptions, prepare_chunk

T = "2026-01-15T12:00:00Z"


def settings() -> Settings:
    return Settings.load(env={}, durability="os", batch_delay_ms=1.0)


def good(n: int) -> dict:
    return {"id": f"g{n}", "text": f"Wildfire update number {n} from the ridge road", "created_at": T,
            "author": {"id": f"u{n}", "handle": f"watcher{n}"}, "lang": "en"}


def deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def bad_lines() -> list[bytes]:
    """Lines every reader accepts, whose posts the writer could not store (before the fix)."""
    nested = orjson.dumps({**good(900), "id": "deep"}).decode()
    return [
        nested.replace('"lang":"en"', '"lang":"en","extra":{"x":' + deep(300) + "}").encode(),  # 300 levels
        nested.replace('"lang":"en"', '"lang":"en","raw":' + deep(300)).replace('"deep"', '"deepraw"').encode(),
        orjson.dumps({**good(901), "id": "wide", "extra": {"blob": "x" * 70_000}}),  # extra over 64 KiB
        orjson.dumps({**good(902), "id": "metric", "metrics": {"likes": 1e30}}),  # a 100-bit integer
    ]


def search_ids(eng: Engine, text: str) -> set[str]:
    return {h.post.id for h in eng.search(text, all_posts=True, limit=100).hits}


def test_bulk_ingest_quarantines_unstorable_posts_and_stores_the_rest(tmp_path: Path) -> None:
    lines = [orjson.dumps(good(1)), *bad_lines(), orjson.dumps(good(2)), b'{"id": 3', orjson.dumps(good(3))]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    data = tmp_path / "data"
    res = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", str(path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    with Engine(data, settings()) as eng:
        assert search_ids(eng, "wildfire") == {"g1", "g2", "g3"}
        quarantined = [orjson.loads(x) for x in (data / "quarantine.jsonl").read_bytes().splitlines()]
    reasons = {q["line"]: q["reason"] for q in quarantined}
    assert set(reasons) == {2, 3, 4, 5, 7}
    assert "'file:deep'" in reasons[2] and "extra" in reasons[2]
    assert "'file:deepraw'" in reasons[3] and "raw" in reasons[3]
    assert "extra too large" in reasons[4]
    assert "metrics.likes" in reasons[5]


def test_api_style_chunks_reject_per_post_not_per_chunk() -> None:
    from veristream.core.stories import TokenHasher

    lines = [orjson.dumps(good(1)), bad_lines()[0], orjson.dumps(good(2))]
    items, rejects = prepare_chunk(lines, 1, IngestOptions(dedup_min_tokens=3, detect_lang=False), TokenHasher())
    assert [it.key for it in items] == ["file:g1", "file:g2"]
    assert [(n, "deep" in reason) for n, reason, _ in rejects] == [(2, True)]


def post(pid: str, text: str, **kw) -> Post:
    return Post(id=pid, source="api", author=Author("a1", "alice"), text=text,
                created_at=datetime(2026, 1, 15, 12, tzinfo=timezone.utc), **kw)


def test_pipeline_put_refuses_unstorable_posts_and_keeps_running(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        pipe = eng.pipeline()
        assert pipe.state == "running" and pipe.alive
        pipe.put(post("1", "flood warning for the river valley"))
        deep_extra: dict = {}
        cur = deep_extra
        for _ in range(300):
            cur["a"] = {}
            cur = cur["a"]
        for bad in (post("2", "flood deep extra", extra=deep_extra),
                    post("3", "flood big int", extra={"n": 2**70}),
                    post("4", "flood lone surrogate \ud800"),
                    post("5", "flood tags not strings", hashtags=[1, 2])):  # type: ignore[list-item]
            with pytest.raises(BadPost) as e:
                pipe.put(bad)
            assert f"'api:{bad.id}'" in e.value.reason
        pipe.put(post("6", "flood warning lifted"))
        pipe.flush()
        assert search_ids(eng, "flood") == {"1", "6"}
        assert pipe.status()["state"] == "running" and pipe.error is None
        pipe.close()
        assert pipe.state == "stopped" and not pipe.alive


def test_engine_ingest_refuses_an_unstorable_post_before_writing(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        with pytest.raises(BadPost, match="'api:2'"):
            eng.ingest([post("1", "one"), post("2", "two", extra={"n": -(2**80)})])
        assert eng.count() == 0
        eng.ingest([post("1", "one")])
        assert eng.count() == 1


def prepared(eng: Engine, *posts: Post) -> list[Prepared]:
    return eng.core.prepare(list(posts))


def test_writer_splits_a_failing_batch_quarantines_the_post_and_writes_the_rest(tmp_path: Path) -> None:
    """Prepared items come from other processes (bulk workers, the API): one whose write fails
    (a timestamp over 64 bits fails in SQLite; text of the wrong type would fail in the index)
    is found by splitting the batch; the writer goes on."""
    with Engine(tmp_path / "data", settings()) as eng:
        pipe = eng.pipeline()
        items = prepared(eng, *(post(str(i), f"storm shelter list {i}") for i in range(10)))
        items[3] = items[3]._replace(ts=2**70)  # fails inside the store's transaction
        items[7] = items[7]._replace(text=None)  # would fail in the index after the store commit
        items[8] = items[8]._replace(author=["a"])  # a value SQLite cannot bind
        pipe.put_prepared(items)
        pipe.put_offset("feed", "42")
        pipe.flush()
        assert search_ids(eng, "storm") == {str(i) for i in range(10)} - {"3", "7", "8"}
        assert eng.count() == 7
        assert eng.offsets()["feed"] == "42"
        assert pipe.alive and pipe.quarantined == 3
        q = [orjson.loads(x) for x in (tmp_path / "data" / "quarantine.jsonl").read_bytes().splitlines()]
        assert {r["reason"].split("'")[1] for r in q} == {"api:3", "api:7", "api:8"}
        assert all(r["reason"].startswith("writer: post ") for r in q)
        # and later batches are written as usual
        pipe.put(post("20", "storm passed"))
        pipe.flush()
        assert "20" in search_ids(eng, "storm")
        pipe.close()


def test_a_writer_failure_that_is_not_about_a_post_stops_it_and_says_so(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "data", settings())
    pipe = eng.pipeline()
    eng.store.close()  # the database is gone from under the writer (as on a failed disk)
    pipe.put(post("1", "anything"))
    with pytest.raises(EngineError):
        pipe.flush(timeout=10)
    assert pipe.state == "failed" and not pipe.alive
    st = pipe.status()
    assert st["state"] == "failed" and st["error"]
    with pytest.raises(EngineError):
        pipe.put(post("2", "refused: the writer is stopped"))


class Explosive:
    """A field value that fails only when the index reads it: after the store has committed."""

    def __bool__(self) -> bool:
        raise RuntimeError("cannot be read")


def test_a_batch_failing_after_the_store_commit_is_reindexed_and_the_rest_stays_searchable(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        pipe = eng.pipeline()
        items = prepared(eng, *(post(str(i), f"levee breach report {i}") for i in range(6)))
        items[2] = items[2]._replace(media=Explosive())
        pipe.put_prepared(items)
        pipe.flush()
        assert pipe.alive
        # every post the store kept is searchable (none half-written: in the store, not the index)
        stored = {k.split(":", 1)[1] for k in eng.store.lookup([it.key for it in items])}
        assert search_ids(eng, "levee") == stored
        # the store had them all (the failure came after its commit), and the index was brought
        # level with it from the stored documents: nothing lost, nothing half-written
        assert stored == {str(i) for i in range(6)} and pipe.quarantined == 0
        pipe.put(post("9", "levee holding"))
        pipe.flush()
        assert "9" in search_ids(eng, "levee")
        pipe.close()


def test_quarantine_keeps_input_with_lone_surrogates(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings()) as eng:
        eng.reject("api:\ud800", 1, "reason \udfff", "raw \ud83c text")
        rec = orjson.loads((tmp_path / "data" / "quarantine.jsonl").read_bytes())
        assert rec["raw"] == "raw \\ud83c text" and rec["line"] == 1


def test_quarantine_is_private_and_bounded(tmp_path: Path) -> None:
    # A hostile stream of rejects must not fill the disk: past quarantine_max_mb the file is
    # rotated (one old file kept), and rejects (posts, maybe private ones) are 0600.
    settings = Settings.load(env={}, quarantine_max_mb=0.01)  # ~10 KiB
    with Engine(tmp_path / "data", settings) as eng:
        for i in range(200):
            eng.reject("stream", i, "bad post", b"x" * 500)
        q = tmp_path / "data" / "quarantine.jsonl"
        assert q.stat().st_mode & 0o777 == 0o600
        assert q.stat().st_size <= 10_486
        rotated = q.with_name("quarantine.jsonl.1")
        assert rotated.is_file() and rotated.stat().st_size <= 10_486
        assert 0 < eng.quarantine.count() < 200  # the oldest went with the file rotated away
        last = orjson.loads(q.read_bytes().splitlines()[-1])
        assert last["line"] == 199 and last["reason"] == "bad post"


@pytest.mark.parametrize("span", ["99999999999d", "1e300w"])
def test_search_span_past_any_date_is_a_usage_error(tmp_path: Path, span: str) -> None:
    with Engine(tmp_path / "data", Settings.load(env={})):
        pass
    res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "search", "x", "--since", span])
    assert res.exit_code == 2, res.output
    assert "--since" in res.output and "Traceback" not in res.output


@pytest.mark.slow  # a kill round: the full tier runs it
def test_a_worker_killed_mid_ingest_neither_hangs_nor_loses_a_line(tmp_path: Path) -> None:
    import multiprocessing
    import os
    import signal
    import threading

    from veristream.replay import run

    n = 60_000  # past the lines prepared inline: the rest goes to a worker process
    lines = [orjson.dumps({"id": f"w{i}", "text": f"flood warning number {i} for the river valley",
                           "created_at": T, "author": {"id": f"a{i % 50}"}}) for i in range(n)]
    eng = Engine(tmp_path / "data", Settings.load(env={}, durability="os", parse_workers=1, vectors=False,
                                                  trends=False, media_enabled=False))
    done: list = []
    t = threading.Thread(target=lambda: done.append(run(eng, lines, input_name="in.jsonl")), daemon=True)
    t.start()
    killed = False
    while t.is_alive() and not killed:  # the OOM killer, say: SIGKILL to the worker process, busy
        if eng.count() < 7_000:  # the first 5,000 lines are prepared inline; then the worker's chunks
            threading.Event().wait(0.005)
            continue
        for child in multiprocessing.active_children():
            if child.pid:
                os.kill(child.pid, signal.SIGKILL)
                killed = True
        threading.Event().wait(0.01)
    t.join(180)
    try:
        assert not t.is_alive(), "bulk ingest hung after its worker was killed"
        assert killed and done and done[0].accepted == n and eng.count() == n
    finally:
        eng.close()
