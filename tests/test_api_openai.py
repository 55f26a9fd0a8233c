"""The OpenAI-compatible endpoints, driven by the real `openai` package against a real server
on 127.0.0.1: models, chat completions streamed and not, citations as text and as data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from api_server import Served
from conftest import mkpost
from veristream import Engine, Settings

POSTS = [
    ("w1", 0, "firecrew", "Cedar Ridge wildfire: evacuation ordered for Pine Hollow, crews on the north flank"),
    ("w2", 4, "county", "Cedar Ridge wildfire now 40 percent contained, evacuation centre open at the school"),
    ("w3", 6, "kim", "Smoke from the Cedar Ridge wildfire is everywhere, the school is an evacuation centre"),
    ("x1", 7, "zed", "Pizza night downtown was great"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    eng = Engine(tmp_path_factory.mktemp("oa") / "data", Settings.load(env={}, vectors=False, trends=False))
    eng.ingest([mkpost(i, t, minutes=m, author=a) for i, m, a, t in POSTS])
    try:
        with Served(eng) as s:
            yield s
    finally:
        eng.close()


@pytest.fixture
def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key="anything: reading is open", max_retries=0, timeout=60)


QUESTION = "What is happening with the Cedar Ridge wildfire evacuation?"


def test_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["veristream-extractive", "veristream-local"]  # no OpenAI-compatible server configured


def test_chat_completion_is_cited_in_text_and_as_data(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="veristream-extractive", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi."},
        {"role": "user", "content": QUESTION}])
    msg = r.choices[0].message
    assert r.object == "chat.completion" and r.model == "veristream-extractive" and r.choices[0].finish_reason == "stop"
    answer, _, sources = msg.content.partition("\n\nSources:\n")
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    cites = msg.citations  # the structured field, on the message
    assert markers and {c["n"] for c in cites} == markers
    assert {c["post_id"] for c in cites} <= {"file:w1", "file:w2", "file:w3"}
    for c in cites:
        assert f"[{c['n']}] @{c['author']}" in sources
    assert r.citations == cites and r.usage.total_tokens > 0
    assert "Pizza" not in msg.content


def test_chat_completion_streams(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="veristream-extractive", stream=True,
                                            messages=[{"role": "user", "content": QUESTION}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    cites = chunks[-1].citations
    assert cites and "[1]" in text and "\n\nSources:\n[1] @" in text
    assert len([c for c in chunks if c.choices[0].delta.content]) >= 2  # statements, then the sources
    # The same answer as without streaming.
    r = client.chat.completions.create(model="veristream-extractive", messages=[{"role": "user", "content": QUESTION}])
    assert " ".join(r.choices[0].message.content.split()) == " ".join(text.split())


def test_content_parts_are_read(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="veristream-extractive", messages=[
        {"role": "user", "content": [{"type": "text", "text": "Cedar Ridge wildfire"},
                                     {"type": "text", "text": "containment?"}]}])
    assert r.choices[0].message.citations


def test_errors_reach_the_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "hi"}])
    assert "unknown model 'gpt-5'" in str(e.value) and "veristream-extractive" in str(e.value)
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="veristream-extractive", messages=[{"role": "system", "content": "x"}])
    assert "no user message" in str(e.value)
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="veristream-extractive",
                                       messages=[{"role": "user", "content": "x" * 3000}])
    assert "2,000" in str(e.value)


def test_local_model_name_selects_the_local_composer(client: openai.OpenAI, served: Served) -> None:
    """`veristream-local` runs the embedded model (or says why it fell back to the digest); it
    costs CPU, so it needs the token (setting api_open_composers)."""
    with pytest.raises(openai.AuthenticationError) as e:
        client.chat.completions.create(model="veristream-local", messages=[{"role": "user", "content": QUESTION}])
    assert "api_open_composers" in str(e.value)
    trusted = openai.OpenAI(base_url=served.url + "/v1", api_key=served.token, max_retries=0, timeout=60)
    r = trusted.chat.completions.create(model="veristream-local", messages=[{"role": "user", "content": QUESTION}])
    meta = r.veristream
    assert meta["asked"] == "local"
    assert meta["composer"] == "local" or meta["fallback"]
    assert r.choices[0].message.citations


def test_read_token_setting_applies(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", Settings.load(env={}, vectors=False, trends=False))
    eng.ingest([mkpost(i, t, minutes=m, author=a) for i, m, a, t in POSTS])
    try:
        with Served(eng, Settings.load(env={}, api_read_token_required=True)) as s:
            bad = openai.OpenAI(base_url=s.url + "/v1", api_key="wrong", max_retries=0)
            with pytest.raises(openai.AuthenticationError):
                bad.models.list()
            good = openai.OpenAI(base_url=s.url + "/v1", api_key=s.token, max_retries=0)
            assert good.chat.completions.create(model="veristream-extractive", messages=[
                {"role": "user", "content": QUESTION}]).choices[0].message.citations
    finally:
        eng.close()
