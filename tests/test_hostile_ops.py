"""Operations that cannot lose data or leak secrets: retention by size beside a vector index
that never shrinks, restore written beside the old store and swapped in, file modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.cli import cli as main
from veristream.stats import dir_size
from conftest import mkpost


def settings(**kw) -> Settings:
    return Settings.load(env={}, retention_interval_s=0, trends=False, **kw)


def posts(n: int, start: int = 0, word: str = "harbour") -> list:
    return [mkpost(str(i), f"tok{i} {word} report number {i} about the storm surge", minutes=i / 10,
                   author=f"u{i % 50}") for i in range(start, start + n)]


def embedded_store(data: Path, n: int = 600) -> int:
    """A data directory with `n` posts and their saved vector index; returns its size in bytes."""
    with Engine(data, settings()) as eng:
        eng.ingest(posts(n))
        assert eng.wait_embedded(120)
    size = dir_size(data / "vectors")
    assert size > 100_000  # the usearch file is there (saved on close)
    return size


# -- retention by disk size ---------------------------------------------------------------------

def test_disk_limit_below_the_vector_index_expires_nothing_rather_than_everything(tmp_path: Path) -> None:
    data = tmp_path / "d"
    vec = embedded_store(data)
    # The limit is under what the vector index alone takes: expiry cannot get below it, and the
    # old measure (store + index + vectors, proportionally) expired a share every run until no
    # post was left.
    with Engine(data, settings(retention_max_disk_mb=vec * 0.8 / 1e6)) as eng:
        for _ in range(4):
            eng.expire()
        assert eng.count() == 600
        assert eng.search("harbour", all_posts=True, limit=1000).total == 600


def test_disk_limit_fits_the_posts_into_what_the_vector_index_leaves(tmp_path: Path) -> None:
    data = tmp_path / "d"
    vec = embedded_store(data)
    with Engine(data, settings()) as eng:
        freeable = eng.live_bytes() - dir_size(data / "vectors")  # what expiring posts frees
    limit = vec + freeable * 0.6  # the posts must lose about half their room
    with Engine(data, settings(retention_max_disk_mb=limit / 1e6)) as eng:
        first = eng.expire().by_disk
        assert 0 < first < 600
        for _ in range(3):  # settles: the unshrinking vector file does not drive further runs
            eng.expire()
        left = eng.count()
        assert 100 <= left < 600 and eng.index.num_docs() == left
        assert eng.live_bytes() <= limit
        assert eng.get("file:599") is not None and eng.get("file:0") is None  # the oldest went


# -- restore: written beside, checked, swapped in ------------------------------------------------

def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def two_stores(tmp_path: Path) -> tuple[Path, Path]:
    """A data directory holding `old...` posts, and a backup of another holding `new...` posts."""
    other = tmp_path / "other"
    with Engine(other, settings(vectors=False)) as eng:
        eng.ingest([mkpost(f"n{i}", f"newpost{i} from the backup", minutes=i) for i in range(5)])
        eng.backup(tmp_path / "bk")
    data = tmp_path / "d"
    with Engine(data, settings(vectors=False)) as eng:
        eng.ingest([mkpost(f"o{i}", f"oldpost{i} still here", minutes=i) for i in range(3)])
    (data / "api_token").write_text("tok")
    return data, tmp_path / "bk"


def restore(data: Path, backup: Path):
    return CliRunner().invoke(main, ["--data-dir", str(data), "restore", "--force", str(backup)])


def test_a_restore_that_fails_midway_leaves_the_old_data_searchable(tmp_path: Path) -> None:
    data, bk = two_stores(tmp_path)
    # A damaged backup whose store checks out: one of its sources' state files is a dangling
    # link, so copying it fails after the store was copied (the old restore had already
    # deleted the old store by then and put the backup's in its place).
    (bk / "sources").mkdir()
    (bk / "sources" / "mastodon-ids.sqlite").symlink_to(tmp_path / "gone")
    res = restore(data, bk)
    assert res.exit_code == 2 and "unchanged" in res.output, res.output
    with Engine(data, settings(vectors=False), readonly=True) as eng:
        assert eng.count() == 3 and eng.search("oldpost1").total == 1 and eng.search("newpost1").total == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".d.restore")] == []  # nothing left beside


def test_a_backup_holding_fewer_posts_than_its_manifest_is_refused(tmp_path: Path) -> None:
    data, bk = two_stores(tmp_path)
    import sqlite3

    con = sqlite3.connect(bk / "posts.db")  # a sound SQLite file, but not what was backed up
    con.execute("DELETE FROM posts WHERE seq > 2")
    con.commit()
    con.close()
    res = restore(data, bk)
    assert res.exit_code == 2 and "the manifest says 5" in res.output
    with Engine(data, settings(vectors=False), readonly=True) as eng:
        assert eng.count() == 3


def test_restore_refuses_while_a_writer_holds_the_data_directory(tmp_path: Path) -> None:
    data, bk = two_stores(tmp_path)
    with Engine(data, settings(vectors=False)) as eng:  # a running ingest
        res = restore(data, bk)
        assert res.exit_code == 2 and "writing here" in res.output, res.output
        eng.ingest([mkpost("o9", "oldpost9 written after the refusal", minutes=9)])
        assert eng.count() == 4 and eng.search("oldpost9").total == 1
    res = restore(data, bk)  # stopped: now it goes through
    assert res.exit_code == 0, res.output
    with Engine(data, settings(vectors=False), readonly=True) as eng:
        assert eng.count() == 5 and eng.search("newpost3").total == 1 and eng.search("oldpost1").total == 0
    assert (data / "api_token").read_text() == "tok"  # what a backup does not carry is kept
    assert mode(data) == 0o700 and mode(data / "posts.db") == 0o600


# -- secrets and data files ---------------------------------------------------------------------

def test_data_directory_store_backup_and_export_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: new files world-readable unless we say otherwise
    try:
        data = tmp_path / "d"
        with Engine(data, settings(vectors=False)) as eng:
            eng.ingest([mkpost("1", "a private status")])
            assert mode(data) == 0o700
            for name in ("posts.db", "posts.db-wal", "posts.db-shm"):
                assert mode(data / name) == 0o600, name
        (data / "veristream.toml").write_text('openai_api_key = "sk-secret"\n')
        os.chmod(data / "veristream.toml", 0o644)
        res = CliRunner().invoke(main, ["--data-dir", str(data), "backup", str(tmp_path / "bk")])
        assert res.exit_code == 0, res.output
        bk = tmp_path / "bk"
        assert mode(bk) == 0o700
        for p in bk.iterdir():
            assert mode(p) == 0o600, p.name
        assert (bk / "veristream.toml").read_text() == 'openai_api_key = "sk-secret"\n'
        out = tmp_path / "all.jsonl"
        res = CliRunner().invoke(main, ["--data-dir", str(data), "export", "-q", "-o", str(out)])
        assert res.exit_code == 0 and mode(out) == 0o600
        pq = tmp_path / "all.parquet"
        res = CliRunner().invoke(main, ["--data-dir", str(data), "export", "-q", "--format", "parquet", "-o", str(pq)])
        assert res.exit_code == 0 and mode(pq) == 0o600
        # A data directory made world-readable by an older version is made private on open.
        os.chmod(data, 0o755)
        os.chmod(data / "posts.db", 0o644)
        with Engine(data, settings(vectors=False)):
            assert mode(data) == 0o700 and mode(data / "posts.db") == 0o600
    finally:
        os.umask(old)


# -- the OpenAI-compatible composer ---------------------------------------------------------------

ANSWER = {"choices": [{"index": 0, "message": {"role": "assistant",
                                                "content": "The harbour flooded after the storm surge [1]."}}]}


def harbour_engine(tmp_path: Path) -> Engine:
    eng = Engine(tmp_path / "d", settings(vectors=False))
    eng.ingest([mkpost(str(i), f"The harbour flooded after the storm surge, report {i}", minutes=i, author=f"u{i}")
                for i in range(4)])
    return eng


def test_the_api_key_does_not_follow_a_redirect_to_another_host(tmp_path: Path, caplog) -> None:
    from live_servers import HTTPServer

    from veristream.answer.llm_openai import OpenAIComposer

    elsewhere = HTTPServer(lambda req, srv: req.respond(200, ANSWER))  # another port: another origin
    codes = iter([302, 307, 308, 301])

    def redirecting(req, srv) -> None:
        req.respond(next(codes), b"", headers={"Location": f"{elsewhere.url}/v1/chat/completions"})

    configured = HTTPServer(redirecting)
    eng = harbour_engine(tmp_path)
    try:
        for _ in range(4):
            ans = eng.ask("what happened at the harbour?", composer=OpenAIComposer(configured.url + "/v1", "m", "sk-secret"))
            assert ans.composer == "extractive" and "redirects are not followed" in (ans.fallback or "")
        assert configured.requests[0].headers["authorization"] == "Bearer sk-secret"
        # The old client followed 301/302 with the key (as a GET) to wherever it pointed.
        assert [r.headers.get("authorization") for r in elsewhere.requests] == []
        assert elsewhere.url in caplog.text  # the operator's log says where it pointed
    finally:
        eng.close()
        configured.close()
        elsewhere.close()


def test_upstream_error_bodies_are_logged_not_passed_to_clients(tmp_path: Path, caplog) -> None:
    from live_servers import HTTPServer

    from veristream.answer.llm_openai import OpenAIComposer

    leak = "quota of org-Acme7 exceeded; request was Bearer sk-secret"
    answers = iter([(500, {"error": {"message": leak}}),
                    (200, b'data: {"error": {"message": "' + leak.encode() + b'"}}\n\n')])

    def failing(req, srv) -> None:
        status, body = next(answers)
        req.respond(status, body, content_type="text/event-stream" if status == 200 else "application/json")

    server = HTTPServer(failing)
    eng = harbour_engine(tmp_path)
    try:
        first = eng.ask("what happened at the harbour?", composer=OpenAIComposer(server.url + "/v1", "m", "sk-secret"))
        second = eng.ask("what happened at the harbour?", composer=OpenAIComposer(server.url + "/v1", "m", "sk-secret"))
        assert "HTTP 500" in (first.fallback or "") and "reported an error" in (second.fallback or "")
        for ans in (first, second):
            assert ans.composer == "extractive" and "org-Acme7" not in ans.fallback and "sk-secret" not in ans.fallback
        assert caplog.text.count("org-Acme7") == 2  # kept for the operator
    finally:
        eng.close()
        server.close()
