"""The live-source commands as a user runs them, against loopback servers only."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from live_servers import Conn, HTTPServer, WSServer, free_port
from test_sources_jetstream import post_event
from test_sources_rss import Feeds, rss

from veristream.cli import cli
from veristream.cli import sources as commands


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def settings_file(data: Path, text: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    (data / "veristream.toml").write_text(text)


def test_default_command_offline_says_so_in_one_line_and_serves_the_demo(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from veristream.serve import server

    data = tmp_path / "d"
    settings_file(data, f'[sources.bluesky]\nurls = ["ws://127.0.0.1:{free_port()}/subscribe"]\n')
    calls: list[tuple] = []

    def fake_run_server(engine, sources, settings, host, port, **kw):  # the blocking part, stood in for
        calls.append(([s.kind for s in sources], host, port))
        return server.ServeResult("http://127.0.0.1:8080/")

    monkeypatch.setattr(server, "run_server", fake_run_server)
    t = time.monotonic()
    r = run(["--data-dir", str(data)])
    assert time.monotonic() - t < 5
    assert r.exit_code == 0, r.output
    lines = [x for x in r.stderr.splitlines() if x.strip() and not x.startswith("stopped after")]
    assert len(lines) == 1 and "no network" in lines[0] and "veristream replay" in lines[0]
    assert "Traceback" not in r.output
    assert calls == [(["demo"], "127.0.0.1", 8080)]  # then the server, on the built-in demo stream


def test_default_command_online_serves_the_bluesky_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veristream.serve import server

    calls: list[list[str]] = []
    monkeypatch.setattr(server, "run_server", lambda engine, sources, *a, **kw: (
        calls.append([s.kind for s in sources]), server.ServeResult("x"))[1])
    with WSServer(lambda c, srv: c.hold(srv.stop_event)) as srv:
        data = tmp_path / "d"
        settings_file(data, f'[sources.bluesky]\nurls = ["{srv.url()}"]\n')
        r = run(["--data-dir", str(data)])
    assert r.exit_code == 0, r.output
    assert "no network" not in r.stderr and calls == [["bluesky"]]


def test_live_follows_jetstream_and_the_posts_are_searchable(tmp_path: Path) -> None:
    def script(c: Conn, srv: WSServer) -> None:
        c.send(post_event(1, "live post about the marathon"))
        c.send(post_event(2, "another live post about the marathon route"))
        c.hold(srv.stop_event)

    data = tmp_path / "d"
    with WSServer(script) as srv:
        settings_file(data, f'[sources.bluesky]\nurls = ["{srv.url()}"]\n')
        r = run(["--data-dir", str(data), "live", "--max-posts", "2"])
    assert r.exit_code == 0, r.output
    assert "following bluesky" in r.stderr and "search while it runs" in r.stderr
    assert "2 new" in r.stderr
    s = run(["--data-dir", str(data), "search", "marathon", "--json", "--all"])
    assert sorted(json.loads(x)["text"] for x in s.stdout.splitlines()) == [
        "another live post about the marathon route", "live post about the marathon"]


def test_ingest_source_rss_and_sources_from_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feeds = Feeds()
    feeds.set("/news.rss", rss((1, "Road closed by flooding", "Use the north bridge."),
                               (2, "Flood waters receding", "Roads reopen tomorrow.")), 1)
    data = tmp_path / "d"
    monkeypatch.setattr(commands, "STATUS_EVERY_S", 0.1)
    with HTTPServer(feeds) as srv:
        r = run(["--data-dir", str(data), "ingest", "--source", "rss", "--feed", f"{srv.url}/news.rss",
                 "--max-posts", "2"])
        assert r.exit_code == 0, r.output
        assert "2 new" in r.stderr
        # the same feed from [sources.news], run with no --source: already stored, nothing new
        settings_file(data, f'[sources.news]\nkind = "rss"\nfeeds = ["{srv.url}/news.rss"]\ninterval_s = 0.2\n')
        r = run(["--data-dir", str(data), "ingest", "--duration", "0.6"])
        assert r.exit_code == 0, r.output
        assert "following news" in r.stderr and "0 new" in r.stderr
        assert "news: connected" in r.stderr  # the status line while running
    s = run(["--data-dir", str(data), "search", "", "--source", "rss", "--json", "--all"])
    assert len(s.stdout.splitlines()) == 2


def test_unusable_live_arguments_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "d"
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest"])
    assert r.exit_code == 2 and "give FILE" in r.stderr
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "--source", "bluesky", "--feed", "http://127.0.0.1:9/f"])
    assert r.exit_code == 2 and "--feed is for --source rss" in r.stderr
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "--source", "myspace"])
    assert r.exit_code == 2 and "--source" in r.stderr
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "--source", "rss"])
    assert r.exit_code == 2 and "--feed" in r.stderr
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "--source", "mastodon", "--stream", "hashtag"])
    assert r.exit_code == 2 and "--tag" in r.stderr
    (tmp_path / "in.jsonl").write_text("")
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", str(tmp_path / "in.jsonl"), "--did", "did:plc:x"])
    assert r.exit_code == 2 and "live sources" in r.stderr
    settings_file(data, '[sources.bluesky]\nwanted = ["x"]\n')
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "--source", "bluesky"])
    assert r.exit_code == 2 and "unknown key(s) wanted" in r.stderr
