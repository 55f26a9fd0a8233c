"""Settings in sections: the file, the environment, the legacy flat names, errors, and the docs page."""

from __future__ import annotations

import dataclasses
import logging
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from veristream.settings import FLAT, SECTIONS, Settings, SettingsError
from veristream.sources import sources_from_settings  # importing veristream.sources registers the kinds' check
from veristream.settings.reference import markdown

ROOT = Path(__file__).resolve().parent.parent

# Every flat name the flat Settings had (2026-12-04), with its section and key now.
OLD_FLAT_NAMES = {
    "durability", "batch_max", "batch_delay_ms", "queue_max", "commit_interval_ms", "index_heap_mb", "index_threads",
    "index_cold_commit_s", "index_hot_max_posts", "index_hot_dir",
    "half_life_s", "recency_weight", "candidates", "dedup_window", "dedup_min_agreement", "dedup_min_tokens",
    "detect_lang", "quarantine_max_mb", "sources", "parse_workers", "trends", "trends_windows", "trends_min_authors",
    "trends_dominant_share", "trends_fade_s", "retention_days", "retention_clock", "retention_max_posts",
    "retention_max_disk_mb", "retention_story_days", "retention_interval_s", "retention_batch", "vectors",
    "embed_model_path", "embed_tokenizer_path", "embed_dim", "embed_max_tokens", "embed_batch", "embed_batch_tokens",
    "embed_threads", "vectors_save_interval_s", "rrf_k", "dense_min_similarity", "dense_weight", "dense_fill_stories",
    "ask_posts", "ask_post_chars", "llm_model_path", "llm_threads", "llm_ctx", "llm_max_tokens", "llm_temperature",
    "openai_base_url", "openai_model", "openai_api_key", "openai_timeout_s", "verify_posts", "verify_min_sources",
    "verify_contested_share", "verify_crowd_posts", "verify_reply_window_s", "verify_stance_weights",
    "verify_veracity_weights", "verify_claims_weights", "verify_judge", "verify_judge_posts", "verify_record",
    "api_host", "api_port", "api_token", "api_read_token_required", "api_cors_origins", "api_max_body_mb",
    "api_readers", "api_writer_nice", "api_allowed_hosts", "api_open_composers", "api_open_verify_record",
    "api_ask_running", "api_ask_queue", "api_stream_per_client", "notes_lambda_intercept", "notes_lambda_factor",
    "notes_min_ratings", "notes_min_rater_ratings", "notes_helpful_intercept", "notes_helpful_max_factor",
    "notes_not_helpful_intercept", "notes_not_helpful_factor_slope", "notes_fit_max_iter", "notes_fit_tol",
    "notes_seed", "notes_batch",
}


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "veristream.toml").write_text(text)
    return tmp_path


def test_nested_toml_sets_each_section(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, '[api]\nport = 9000\nallowed_hosts = ".example.org"\n[trends]\nenabled = false\n'
                    'windows = "5m,1h"\n[core]\ndurability = "os"\n[stories]\nwindow = 500\n')
    with caplog.at_level(logging.WARNING, "veristream.settings"):
        s = Settings.load(data_dir=tmp_path, env={})
    assert (s.api.port, s.api.allowed_hosts, s.core.durability, s.stories.window) == (9000, ".example.org", "os", 500)
    assert not s.trends and s.trends.windows == "5m,1h" and s.vectors  # a section is true when enabled
    assert (s.api_port, s.durability, s.dedup_window, s.trends_windows) == (9000, "os", 500, "5m,1h")
    assert not caplog.records  # nothing deprecated here


def test_flat_toml_keys_still_work_with_one_deprecation_message(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, 'api_port = 9000\ntrends = false\ndedup_window = 500\n[verify]\nposts = 50\n')
    with caplog.at_level(logging.WARNING, "veristream.settings"):
        s = Settings.load(data_dir=tmp_path, env={})
    assert (s.api.port, s.trends.enabled, s.stories.window, s.verify.posts) == (9000, False, 500, 50)
    assert len(caplog.records) == 1
    msg = caplog.records[0].getMessage()
    assert "veristream.toml" in msg and "api_port is deprecated: use [api] port" in msg
    assert "trends is deprecated: use [trends] enabled" in msg
    assert "dedup_window is deprecated: use [stories] window" in msg


def test_flat_and_nested_spellings_of_one_key_in_a_file_are_an_error(tmp_path: Path) -> None:
    write(tmp_path, "api_port = 1\n[api]\nport = 2\n")
    with pytest.raises(SettingsError, match=r"\[api\] port is set twice \(as api_port and \[api\] port\)"):
        Settings.load(data_dir=tmp_path, env={})


def test_environment_nested_and_flat(tmp_path: Path) -> None:
    write(tmp_path, "[api]\nport = 9000\n")
    s = Settings.load(data_dir=tmp_path, env={"VERISTREAM_API__PORT": "9001", "VERISTREAM_TRENDS__ENABLED": "off",
                                              "VERISTREAM_HALF_LIFE_S": "60", "VERISTREAM_VECTORS": "false",
                                              "VERISTREAM_SKIP_LLM": "1", "VERISTREAM_NOPE__X": "1"})
    assert (s.api.port, bool(s.trends), s.search.half_life_s, bool(s.vectors)) == (9001, False, 60.0, False)
    s = Settings.load(data_dir=tmp_path, env={"VERISTREAM_API_PORT": "9002"})  # the flat form, quietly
    assert s.api_port == 9002
    with pytest.raises(SettingsError, match="VERISTREAM_API_PORT and VERISTREAM_API__PORT both set"):
        Settings.load(env={"VERISTREAM_API_PORT": "1", "VERISTREAM_API__PORT": "2"})
    with pytest.raises(SettingsError, match=r"environment: VERISTREAM_API__PROT: \[api\] prot: unknown key"):
        Settings.load(env={"VERISTREAM_API__PROT": "1"})


def test_precedence_file_then_environment_then_overrides(tmp_path: Path) -> None:
    write(tmp_path, "[api]\nport = 1\nhost = '10.0.0.1'\n[core]\nqueue_max = 7\n")
    s = Settings.load(data_dir=tmp_path, env={"VERISTREAM_API__PORT": "2", "VERISTREAM_CORE__QUEUE_MAX": "8"},
                      queue_max=9, api_host=None)
    assert (s.api.port, s.api.host, s.core.queue_max) == (2, "10.0.0.1", 9)


@pytest.mark.parametrize("text, message", [
    ("[api]\nport = 70000\n", r"veristream.toml: \[api\] port: must be within 0..65535, got 70000"),
    ("api_port = 70000\n", r"veristream.toml: api_port \(\[api\] port\): must be within 0..65535, got 70000"),
    ('[core]\ndurability = "maybe"\n', r"\[core\] durability: must be 'fsync' or 'os', got 'maybe'"),
    ('[search]\nhalf_life_s = "soon"\n', r"\[search\] half_life_s: must be a number, got 'soon'"),
    ("[trends]\nwindows = '5x'\n", r"\[trends\] windows: must be positive spans like 5m,1h,24h"),
    ("[trends]\nmin_authors = 1\n", r"\[trends\] min_authors: must be at least 2, got 1"),
    ("[verify]\ncontested_share = 0.9\n", r"\[verify\] contested_share: must be within \(0, 0.5\], got 0.9"),
    ("[verify]\njudge = true\n", r"\[verify\] judge: needs a server: set \[openai\] base_url"),
    ("[api]\nopen_composers = 'extractive,gpt'\n", r"\[api\] open_composers: unknown composer\(s\) gpt"),
    ("[api]\nprot = 1\n", r"veristream.toml: \[api\] prot: unknown key \(known: host, port"),
    ("no_such_setting = 1\n[nowhere]\nx = 1\n", r"veristream.toml: unknown setting\(s\): \[nowhere\], no_such_setting"),
    ("api = 1\n", r"api must be a table"),
    ("[sources.news]\nkind = 'rss'\nfeeds = 3\n", r"veristream.toml: sources.news.feeds must be a list of strings"),
    ("[sources.news]\nkind = 'rss'\nenabled = 'yes'\n", r"sources.news.enabled must be true or false"),
    ("[sources.news]\nkind = 'gopher'\n", r"unknown kind 'gopher'"),
])
def test_errors_name_the_file_the_section_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(SettingsError, match=message):
        Settings.load(data_dir=tmp_path, env={})


def test_errors_from_the_environment_and_from_overrides_name_how_the_key_was_given() -> None:
    with pytest.raises(SettingsError, match=r"environment: VERISTREAM_HALF_LIFE_S \(\[search\] half_life_s\): must be"):
        Settings.load(env={"VERISTREAM_HALF_LIFE_S": "soon"})
    with pytest.raises(SettingsError, match=r"retention_clock \(\[retention\] clock\): must be 'event' or 'arrival'"):
        Settings.load(env={}, retention_clock="wall")
    with pytest.raises(SettingsError) as e:
        Settings.load(env={}, api={"port": -1})
    assert (e.value.section, e.value.key) == ("api", "port") and str(e.value).startswith("settings: [api] port:")


def test_every_old_flat_name_is_still_readable_and_keyword_overrides_take_them() -> None:
    s = Settings()
    # Sections added after the flat names ([cluster], [media]) bring their own, prefix + key.
    newer = {flat for flat, (section, _) in FLAT.items() if section in ("cluster", "media")} | {"prepare_workers", "embed_process", "gc_full_s", "dense_rescore", "trends_process", "index_process"}
    assert set(FLAT) | {"sources"} == OLD_FLAT_NAMES | newer
    for flat, (section, key) in FLAT.items():
        value = getattr(s, flat)
        if flat in ("trends", "vectors"):
            assert value is getattr(s, section) and bool(value) is True
        else:
            assert value == getattr(getattr(s, section), key)
    assert s.sources == {}
    s = Settings.load(env={}, queue_max=100, api_port=0, dense_weight=2.0, trends=False, detect_lang=False)
    assert (s.queue_max, s.core.queue_max, s.api.port, s.vectors.weight) == (100, 100, 0, 2.0)
    assert not s.trends and s.detect_lang is False
    with pytest.raises(SettingsError, match="unknown setting"):
        Settings.load(env={}, no_such=1)


def test_settings_are_frozen_and_replace_keeps_the_rest_of_a_section() -> None:
    s = Settings.load(env={}, trends_windows="5m", api_port=1)
    with pytest.raises(AttributeError):
        s.api_port = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.api.port = 2  # type: ignore[misc]
    r = dataclasses.replace(s, vectors=False, trends=False)  # what the reader processes do
    assert not r.trends and not r.vectors and r.trends.windows == "5m" and r.api_port == 1
    r = dataclasses.replace(r, api_host="0.0.0.0")
    assert (r.api.host, r.api.port, r.trends_windows, bool(r.trends)) == ("0.0.0.0", 1, "5m", False)
    with pytest.raises(SettingsError, match="api_port"):
        dataclasses.replace(s, api_port=70000)
    assert pickle.loads(pickle.dumps(r)) == r and hash(r) == hash(dataclasses.replace(r))  # to reader processes


def test_the_docs_page_is_what_the_generator_prints() -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == markdown(), "docs/settings.md is stale: python -m veristream.settings --markdown > docs/settings.md"
    for name, cls in SECTIONS.items():
        assert f"## [{name}]" in page
        for key in cls.keys():
            assert f"| `{key}` |" in page and f"| `{cls.flat_name(key)}` |" in page


def test_the_generator_command_prints_the_page() -> None:
    out = subprocess.run([sys.executable, "-m", "veristream.settings", "--markdown"], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout == markdown() and not out.stderr


def test_sources_tables_are_checked_by_their_kinds_when_the_settings_load(tmp_path: Path) -> None:
    write(tmp_path, '[sources.news]\nkind = "rss"\nfeeds = ["https://example.org/feed.xml"]\n'
                    '[sources.bluesky]\nenabled = false\n')
    s = Settings.load(data_dir=tmp_path, env={})
    assert [src.kind for src in sources_from_settings(s.sources)] == ["rss"] and not s.sources["bluesky"]["enabled"]


def test_the_settings_import_nothing_above_them() -> None:
    for path in (ROOT / "veristream" / "settings").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "from .." not in text and "import veristream" not in text, path.name
