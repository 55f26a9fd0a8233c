"""The `veristream` command, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from veristream.cli import cli

GOOD = [
    {"id": "1", "text": "Wildfire near the highway, evacuations ordered #wildfire", "created_at": "2026-01-15T12:00:00Z",
     "author": {"id": "u1", "handle": "firewatch"}, "lang": "en"},
    {"id": "2", "text": "Smoke over the valley from the wildfire", "created_at": "2026-01-15T12:05:00Z",
     "author": "valleyresident", "lang": "en",
     "media": [{"kind": "photo", "url": "https://img.example/smoke.jpg", "alt": "smoke"}]},
    {"id": "3", "text": "Incendio forestal cerca de la carretera", "created_at": "2026-01-15T12:10:00Z",
     "author": "noticias", "lang": "es"},
]


def run(args: list[str], input: bytes | None = None):
    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)


def write_jsonl(path: Path, rows: list) -> Path:
    with open(path, "wb") as f:
        for r in rows:
            f.write(r if isinstance(r, bytes) else orjson.dumps(r))
            f.write(b"\n")
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_help_on_every_subcommand() -> None:
    res = run(["--help"])
    assert res.exit_code == 0
    commands = list(cli.commands)
    assert {"ingest", "replay", "search", "reindex", "demo"} <= set(commands)
    for name in commands:
        r = run([name, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output, name


def test_ingest_then_search_table_and_json(tmp_path: Path, data: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    res = run(["--data-dir", str(data), "ingest", str(src)])
    assert res.exit_code == 0, res.output
    assert "3 new" in res.stderr
    table = run(["--data-dir", str(data), "search", "wildfire"])
    assert table.exit_code == 0
    assert "@firewatch" in table.stdout and "evacuations" in table.stdout
    js = run(["--data-dir", str(data), "search", "wildfire", "--json", "--order", "time"])
    hits = [json.loads(l) for l in js.stdout.splitlines()]
    assert [h["id"] for h in hits] == ["2", "1"]
    assert hits[0]["key"] == "file:2" and hits[0]["story"]["posts"] == 1
    media = run(["--data-dir", str(data), "search", "wildfire", "--has-media", "--json"])
    assert [json.loads(l)["id"] for l in media.stdout.splitlines()] == ["2"]
    es = run(["--data-dir", str(data), "search", "", "--lang", "es", "--json"])
    assert [json.loads(l)["id"] for l in es.stdout.splitlines()] == ["3"]
    since = run(["--data-dir", str(data), "search", "", "--since", "6m", "--json"])  # event time: 12:04 onwards
    assert sorted(json.loads(l)["id"] for l in since.stdout.splitlines()) == ["2", "3"]


def test_ingest_from_stdin(data: Path) -> None:
    body = b"".join(orjson.dumps(r) + b"\n" for r in GOOD)
    res = run(["--data-dir", str(data), "ingest", "-"], input=body)
    assert res.exit_code == 0 and "3 new" in res.stderr


def test_bad_input_is_rejected_named_counted_quarantined_and_the_stream_goes_on(tmp_path: Path, data: Path) -> None:
    rows = [
        GOOD[0],
        b"this is not json",
        {"text": "no id", "created_at": "2026-01-15T12:00:00Z"},
        {"id": "x1", "created_at": "2026-01-15T12:00:00Z"},
        {"id": "x2", "text": "no time"},
        {"id": "x3", "text": "bad time", "created_at": "yesterday-ish"},
        {"id": "x4", "text": 12345, "created_at": "2026-01-15T12:00:00Z"},
        b'{"id": "x5", "text": "bad \xff\xfe utf8", "created_at": "2026-01-15T12:00:00Z"}',
        {"id": "x6", "text": "x" * 30_000, "created_at": "2026-01-15T12:00:00Z"},
        GOOD[1],
    ]
    src = write_jsonl(tmp_path / "bad.jsonl", rows)
    res = run(["--data-dir", str(data), "ingest", str(src)])
    assert res.exit_code == 0
    err = res.stderr
    for line in range(2, 10):
        assert f"{src}:{line}: rejected: " in err, err
    assert "not JSON" in err and "UTF-8" in err
    assert "2 new" in err and "8 rejected" in err
    q = [json.loads(l) for l in (data / "quarantine.jsonl").read_text().splitlines()]
    assert [r["line"] for r in q] == list(range(2, 10))
    assert all(r["reason"] and r["input"] == str(src) for r in q)
    assert len(q[7]["raw"]) <= 4096  # the oversize post is kept, bounded
    # Nothing accepted before or after the bad lines is lost.
    js = run(["--data-dir", str(data), "search", "", "--json"])
    assert sorted(json.loads(l)["id"] for l in js.stdout.splitlines()) == ["1", "2"]


def test_unusable_arguments_exit_2_with_a_clear_message(tmp_path: Path, data: Path) -> None:
    r = run(["--data-dir", str(data), "ingest", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2 and "no such file" in r.stderr
    r = run(["--data-dir", str(data), "replay", "x.jsonl", "--speed", "fast"])
    assert r.exit_code == 2 and "--speed" in r.stderr
    r = run(["--data-dir", str(data), "search", "x"])
    assert r.exit_code == 2 and "no veristream data" in r.stderr
    write_jsonl(tmp_path / "in.jsonl", GOOD)
    run(["--data-dir", str(data), "ingest", str(tmp_path / "in.jsonl")])
    r = run(["--data-dir", str(data), "search", "x", "--since", "last tuesday"])
    assert r.exit_code == 2 and "--since" in r.stderr
    r = run(["--data-dir", str(data), "search", "x", "--limit", "0"])
    assert r.exit_code == 2
    (data / "veristream.toml").write_text("no_such_setting = 1\n")
    r = run(["--data-dir", str(data), "search", "x"])
    assert r.exit_code == 2 and "no_such_setting" in r.stderr


def test_replay_in_event_time(tmp_path: Path, data: Path) -> None:
    # 3 posts spanning 10 minutes at speed 600 take about 1 s.
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    import time

    t = time.monotonic()
    res = run(["--data-dir", str(data), "replay", str(src), "--speed", "600"])
    took = time.monotonic() - t
    assert res.exit_code == 0 and "3 new" in res.stderr
    assert took >= 0.95


def test_reindex_command(tmp_path: Path, data: Path) -> None:
    run(["--data-dir", str(data), "ingest", str(write_jsonl(tmp_path / "in.jsonl", GOOD))])
    r = run(["--data-dir", str(data), "reindex"])
    assert r.exit_code == 0 and "reindexed 3" in r.stderr


def test_console_script_entry_point_runs(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "veristream.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "veristream" in r.stdout


def test_story_command_lists_copies(tmp_path: Path, data: Path) -> None:
    text = "Share this now: the bridge on route 9 is closed until further notice, use route 12"
    rows = [{"id": str(i), "text": text + (" !" * i), "created_at": f"2026-01-15T12:0{i}:00Z", "author": f"acct{i}"}
            for i in range(4)]
    run(["--data-dir", str(data), "ingest", str(write_jsonl(tmp_path / "c.jsonl", rows))])
    hit = json.loads(run(["--data-dir", str(data), "search", "bridge route", "--json"]).stdout.splitlines()[0])
    assert hit["story"]["posts"] == 4 and hit["story"]["authors"] == 4
    out = run(["--data-dir", str(data), "story", str(hit["story"]["id"]), "--json"])
    st = json.loads(out.stdout)
    assert [p["id"] for p in st["items"]] == ["0", "1", "2", "3"]
    assert run(["--data-dir", str(data), "story", "99999"]).exit_code == 2
