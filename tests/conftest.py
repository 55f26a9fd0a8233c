from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from veristream import Author, Engine, Media, Post, Settings

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def mkpost(id: str, text: str, *, minutes: float = 0, author: str = "alice", source: str = "file",
           lang: str | None = "en", hashtags: list[str] | None = None, media: bool = False,
           repost_of: str | None = None, quote_of: str | None = None, likes: int | None = None) -> Post:
    from veristream.model import Metrics, extract_hashtags

    return Post(id=id, source=source, author=Author(f"id-{author}", author), text=text,
                created_at=T0 + timedelta(minutes=minutes), lang=lang,
                hashtags=hashtags if hashtags is not None else extract_hashtags(text),
                media=[Media("photo", "https://img.example/1.jpg", "a photo")] if media else [],
                repost_of=repost_of, quote_of=quote_of, metrics=Metrics(likes=likes))


def posts(rows, start: float = 0) -> list[Post]:
    """Posts a minute apart from (id, author, text) rows."""
    return [mkpost(i, t, minutes=start + k, author=a) for k, (i, a, t) in enumerate(rows)]


def engine_with(tmp_path: Path, rows: list[Post], name: str = "data", **settings) -> Engine:
    """A writing engine over `rows`, their vectors built (what verify reads)."""
    eng = Engine(tmp_path / name, Settings.load(env={}, **settings))
    eng.ingest(rows)
    assert eng.wait_embedded(120)
    return eng


# Two posts about nothing in particular: a stream is never only the claim's story.
NOISE = [("n1", "zed", "Great pizza at the new place downtown, not going back to the old one"),
         ("n2", "yan", "Traffic on the ring road is a mess this morning, avoid it")]


def with_noise(tmp_path: Path, rows) -> Engine:
    """A writing engine over (id, author, text) `rows` a minute apart and `NOISE` half an hour later."""
    return engine_with(tmp_path, posts(rows) + posts(NOISE, 30))


def desks(prefix: str, texts: list[str], start: float = 0) -> list[tuple[str, float, str, str]]:
    """(id, minutes, author, text) rows a minute apart, each by its own desk (independent sources)."""
    return [(f"{prefix}{i}", start + i, f"{prefix}desk{i}", t) for i, t in enumerate(texts)]


def ingest(eng: Engine, rows) -> None:
    """Ingest (id, minutes, author, text) rows (`desks`)."""
    eng.ingest([mkpost(i, text, minutes=m, author=a) for i, m, a, text in rows])


@pytest.fixture(autouse=True)
def _terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI fits lines to the terminal: tests read them at one width, whatever runs them
    (pytest-xdist's workers say COLUMNS=80)."""
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(tmp_path / "data", Settings.load(env={}))
    yield eng
    eng.close()


# The slow tier: modules that need the compiled LLM runtime, a browser, or kill processes
# in rounds. `make test` (CI) runs everything; `make test-fast` deselects these (-m "not slow").
_SLOW_MODULES = {"test_answer_llm.py", "test_web.py", "test_crash.py", "test_map_web.py"}


# Single tests of the slow tier: each takes many seconds (a property-based API crawl, a real
# `veristream serve` started and stopped twice); the full tier keeps them.
_SLOW_TESTS = {"test_no_server_error_and_responses_conform", "test_serve_command_prints_address_and_token_and_stops_cleanly"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in _SLOW_MODULES or item.name in _SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
