"""One settings object: defaults declared once, overridden by a TOML file, then by env vars.

Precedence (last wins): defaults < TOML file (`--config`, or `veristream.toml` in the data
directory) < environment (`VERISTREAM_<NAME>`, e.g. `VERISTREAM_HALF_LIFE_S=3600`) <
explicit keyword overrides. Unknown keys fail at start-up rather than being ignored.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    pass


def _s(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    durability: str = _s("fsync", "'fsync': a post is accepted once fsync'd (survives power loss); 'os': once in the OS (survives a process crash)")
    batch_max: int = _s(2000, "most posts written to the store in one transaction")
    batch_delay_ms: float = _s(5.0, "how long the ingest pipeline waits to fill a batch")
    queue_max: int = _s(20000, "bounded ingest queue: producers block (back-pressure) when it is full")
    commit_interval_ms: float = _s(0.0, "least time between index commits (0: after every batch)")
    index_heap_mb: int = _s(64, "tantivy writer memory budget")
    index_threads: int = _s(1, "tantivy indexing threads")
    half_life_s: float = _s(6 * 3600.0, "recency half-life for relevance ranking, in event time")
    recency_weight: float = _s(0.5, "0: pure BM25; 1: score fully decays with age")
    candidates: int = _s(200, "BM25 and newest candidates fetched per query before blending and story grouping")
    dedup_window: int = _s(100_000, "recent posts remembered for near-duplicate (story) detection")
    dedup_min_agreement: float = _s(0.6, "share of MinHash values two posts must share to be copies (~Jaccard)")
    dedup_min_tokens: int = _s(5, "posts with fewer tokens are grouped only by exact normalised text")
    detect_lang: bool = _s(True, "detect the language of posts whose source gives none")
    quarantine_max_mb: float = _s(64.0, "quarantine.jsonl is rotated to quarantine.jsonl.1 past this size (one old "
                                  "file kept): a hostile stream cannot fill the disk with rejects")
    sources: dict = field(default_factory=dict, hash=False, metadata={
        "help": "live sources run together by `veristream ingest`: [sources.NAME] tables (README: Live sources)"})
    parse_workers: int = _s(-1, "worker processes parsing bulk input (-1: one per core beyond the first)")
    trends: bool = _s(True, "detect trending terms and events as posts arrive (README: Trends and events)")
    trends_windows: str = _s("5m,1h,24h", "trend windows in event time; windows up to 1h also raise events")
    trends_min_authors: int = _s(5, "distinct authors (and stories) a term needs to trend and an event to be raised")
    trends_dominant_share: float = _s(0.05, "a term in this share of a window's posts (distinct authors), 50 times its "
                                      "share in general language, trends even when the stream started full of it "
                                      "(0: off)")
    trends_fade_s: float = _s(3600.0, "an event fades after this long (event time) with none of its terms bursting")
    retention_days: float = _s(0.0, "keep posts this many days (0: forever); age in the clock of retention_clock")
    retention_clock: str = _s("event", "'event': age from created_at, back from the newest post's created_at (at most "
                              "the wall clock + 10 min); 'arrival': age from when the post was stored (wall clock)")
    retention_max_posts: int = _s(0, "keep at most this many posts, the oldest expiring first (0: no limit)")
    retention_max_disk_mb: float = _s(0.0, "keep store + indexes under this size, the oldest posts expiring first (0: no limit)")
    retention_story_days: float = _s(30.0, "a story's summary (counts, first/last seen, title) outlives its posts until its "
                                     "last post is this many days old")
    retention_interval_s: float = _s(10.0, "seconds between background expiry runs (0: none; run `veristream expire`)")
    retention_batch: int = _s(1000, "posts expired per hold of the write lock: ingest goes on between batches")
    vectors: bool = _s(True, "embed posts beside ingest for hybrid (BM25 + dense) retrieval; lexical only when false "
                       "or when the model packages are missing")
    embed_model_path: str = _s("", "sentence-embedding ONNX model (empty: the shipped all-MiniLM-L6-v2 int8)")
    embed_tokenizer_path: str = _s("", "its tokenizer.json (empty: beside the model, else the shipped MiniLM one)")
    embed_dim: int = _s(384, "dimensions of the embedding model's vectors")
    embed_max_tokens: int = _s(128, "tokens of a post that are embedded (the rest is cut)")
    embed_batch: int = _s(64, "most posts per encoder run (posts are encoded in batches of like token length)")
    embed_batch_tokens: int = _s(512, "most padded tokens per encoder run: small batches stay in the CPU caches")
    embed_threads: int = _s(1, "onnxruntime threads of the embedding thread (it runs at low priority)")
    vectors_save_interval_s: float = _s(30.0, "least seconds between saves of the vector index (and on close)")
    rrf_k: float = _s(60.0, "reciprocal rank fusion constant: score = sum of 1 / (rrf_k + rank) over BM25 and dense lists")
    dense_min_similarity: float = _s(0.35, "least cosine similarity for a dense match to count")
    dense_weight: float = _s(1.0, "weight of the dense list in the fusion (the BM25 list weighs 1)")
    dense_fill_stories: int = _s(6, "posts that match a question only in meaning, not in words, join an answer's "
                                 "evidence when its words find fewer stories than this (as many as a model is "
                                 "given, ask_posts; 0: never)")
    ask_posts: int = _s(6, "posts quoted to a language model as evidence for an answer")
    ask_post_chars: int = _s(280, "longest post text quoted in an answer or prompt (characters)")
    llm_model_path: str = _s("", "GGUF model for `ask --composer local` (empty: the shipped SmolLM2-135M-Instruct)")
    llm_threads: int = _s(0, "llama.cpp threads (0: half the cores)")
    llm_ctx: int = _s(2048, "llama.cpp context size in tokens")
    llm_max_tokens: int = _s(120, "most tokens a model may write for one answer")
    llm_temperature: float = _s(0.0, "sampling temperature of the language model (0: greedy; a small model then stays closest to the posts)")
    openai_base_url: str = _s("", "OpenAI-compatible server for `ask --composer openai`, e.g. http://127.0.0.1:8000/v1")
    openai_model: str = _s("", "model name sent to that server")
    openai_api_key: str = _s("", "API key for that server (else env OPENAI_API_KEY)")
    openai_timeout_s: float = _s(60.0, "seconds to wait for the server")
    verify_posts: int = _s(200, "posts gathered (copies included) per claim by `verify`")
    verify_min_sources: int = _s(2, "independent sources (distinct authors of distinct stories) a side needs for a verdict")
    verify_contested_share: float = _s(0.3, "a claim is contested when both sides have enough sources and the smaller "
                                       "holds at least this share of the weight")
    verify_crowd_posts: int = _s(5, "key posts whose own replies are judged (crowd reactions) per claim")
    verify_reply_window_s: float = _s(3 * 86400.0, "how long after a post (event time) its replies are looked for")
    verify_stance_weights: str = _s("", "stance model weights (.npz from `veristream train stance`; empty: the shipped ones)")
    verify_veracity_weights: str = _s("", "veracity model weights (.npz from `veristream train veracity`; empty: the shipped ones)")
    verify_claims_weights: str = _s("", "claim-evidence model weights (.npz from `veristream train claims`; empty: the shipped ones)")
    verify_judge: bool = _s(False, "a second reading of the key posts' stances by the OpenAI-compatible model at "
                            "openai_base_url, shown beside the evidence and never counted in the verdict")
    verify_judge_posts: int = _s(8, "key posts put to that judge per claim")
    verify_record: bool = _s(True, "remember decisive verdicts (verify/verdicts.jsonl in the data directory) for authors' past record")
    api_host: str = _s("127.0.0.1", "address `veristream serve` listens on (0.0.0.0: every interface)")
    api_port: int = _s(8080, "port `veristream serve` listens on (0: any free port)")
    api_token: str = _s("", "bearer token for the API's write endpoints (empty: generated on first start and kept "
                        "in api_token in the data directory, readable by its owner only)")
    api_read_token_required: bool = _s(False, "require the token on read endpoints too (search, ask, feed, page data)")
    api_cors_origins: str = _s("", "comma-separated origins allowed to call the API from other sites (empty: CORS off)")
    api_max_body_mb: float = _s(32.0, "largest request body the API reads (POST /v1/posts batches included)")
    api_readers: int = _s(-1, "processes of `veristream serve` answering searches, posts and stories from a read-only "
                          "engine, beside the one that writes (-1: one per core, at most 4; 0: one process does "
                          "everything)")
    api_writer_nice: int = _s(10, "with reader processes, how much lower the writing process's threads run (ingest, "
                              "answers, embedding...: nice increment, 0..19), so searches win the CPU when cores "
                              "are short; ingest takes what they leave (back-pressure, nothing dropped)")
    api_allowed_hosts: str = _s("", "comma-separated Host names the API answers besides loopback ones (localhost, "
                                "127.0.0.1, [::1]; any IP address too when it listens beyond loopback); others get "
                                "a 400, so a web page cannot reach the API through DNS rebinding ('*': any; a name "
                                "starting with '.': its subdomains)")
    api_open_composers: str = _s("extractive", "comma-separated composers anyone may use without the token in "
                                 "POST /v1/ask and /v1/chat/completions (local and openai cost CPU or money)")
    api_open_verify_record: bool = _s(False, "POST /v1/verify without the token records its verdict too (verdicts "
                                      "lower authors' credibility later); off: only requests with the token record")
    api_ask_running: int = _s(4, "answers and claim checks composed at once (ask, chat completions, verify)")
    api_ask_queue: int = _s(16, "more answers and claim checks waiting their turn; beyond them, a 429 with Retry-After")
    api_stream_per_client: int = _s(8, "live-feed connections (GET /v1/stream) one client address may hold at once; "
                                    "beyond them, a 429")
    notes_lambda_intercept: float = _s(0.15, "community notes scoring: regularisation of the intercepts (published 0.15, "
                                       "5x the factors': a note scores high only if raters on both sides find it helpful)")
    notes_lambda_factor: float = _s(0.03, "community notes scoring: regularisation of the rater and note factors (published 0.03)")
    notes_min_ratings: int = _s(5, "ratings a note needs to be scored and to get a status other than NEEDS_MORE_RATINGS")
    notes_min_rater_ratings: int = _s(10, "ratings a rater needs (on notes with enough ratings) to take part in scoring")
    notes_helpful_intercept: float = _s(0.40, "a note is CURRENTLY_RATED_HELPFUL at this intercept or above ...")
    notes_helpful_max_factor: float = _s(0.50, "... and with |factor| below this (published 0.50)")
    notes_not_helpful_intercept: float = _s(-0.05, "a note is CURRENTLY_RATED_NOT_HELPFUL when its intercept is below "
                                            "this - notes_not_helpful_factor_slope * |factor|")
    notes_not_helpful_factor_slope: float = _s(0.8, "see notes_not_helpful_intercept (published 0.8)")
    notes_fit_max_iter: int = _s(500, "most alternating least squares rounds of one scoring run")
    notes_fit_tol: float = _s(1e-7, "scoring stops when a round improves the objective by less than this share")
    notes_seed: int = _s(0, "seed of the scoring's random start (same data and seed: same scores)")
    notes_batch: int = _s(20000, "notes or ratings stored per transaction while ingesting a TSV file")

    @classmethod
    def load(cls, config: str | Path | None = None, data_dir: str | Path | None = None,
             env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        values: dict[str, Any] = {}
        path = Path(config) if config else (Path(data_dir) / "veristream.toml" if data_dir else None)
        if config and not Path(config).is_file():
            raise SettingsError(f"settings file not found: {config}")
        if path and path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise SettingsError(f"{path}: not valid TOML: {e}") from None
        env = os.environ if env is None else env
        known = {f.name: f for f in fields(cls)}
        for k, v in env.items():
            if k.startswith("VERISTREAM_") and k[11:].lower() in known:
                values[k[11:].lower()] = v
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls()._with(values, where=str(path) if path else "settings")

    def _with(self, values: dict[str, Any], where: str) -> "Settings":
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise SettingsError(f"{where}: unknown setting(s): {', '.join(unknown)}")
        coerced = {k: _coerce(k, v, type(getattr(self, k))) for k, v in values.items()}
        s = replace(self, **coerced)
        if s.durability not in ("fsync", "os"):
            raise SettingsError(f"durability must be 'fsync' or 'os', got {s.durability!r}")
        if s.retention_clock not in ("event", "arrival"):
            raise SettingsError(f"retention_clock must be 'event' or 'arrival', got {s.retention_clock!r}")
        for k in ("retention_days", "retention_max_posts", "retention_max_disk_mb", "retention_story_days",
                  "retention_interval_s"):
            if getattr(s, k) < 0:
                raise SettingsError(f"{k} must be 0 or more, got {getattr(s, k)!r}")
        if s.retention_batch < 1:
            raise SettingsError(f"retention_batch must be at least 1, got {s.retention_batch!r}")
        for k in ("embed_dim", "embed_max_tokens", "embed_batch", "embed_batch_tokens", "embed_threads", "ask_posts",
                  "llm_ctx", "llm_max_tokens"):
            if getattr(s, k) < 1:
                raise SettingsError(f"{k} must be at least 1, got {getattr(s, k)!r}")
        if s.ask_post_chars < 40:
            raise SettingsError(f"ask_post_chars must be at least 40, got {s.ask_post_chars!r}")
        if s.verify_judge and not s.openai_base_url:
            raise SettingsError("verify_judge needs a server: set openai_base_url too, e.g. http://127.0.0.1:8000/v1")
        if s.verify_judge_posts < 1:
            raise SettingsError(f"verify_judge_posts must be at least 1, got {s.verify_judge_posts!r}")
        if s.verify_posts < 1 or s.verify_min_sources < 1 or s.verify_crowd_posts < 0 or s.verify_reply_window_s < 0:
            raise SettingsError("verify_posts and verify_min_sources must be at least 1, verify_crowd_posts and "
                                "verify_reply_window_s at least 0")
        if not 0 < s.verify_contested_share <= 0.5:
            raise SettingsError(f"verify_contested_share must be within (0, 0.5], got {s.verify_contested_share!r}")
        if not 0 <= s.dense_min_similarity <= 1 or s.rrf_k < 0 or s.dense_fill_stories < 0:
            raise SettingsError("dense_min_similarity must be within 0..1, rrf_k and dense_fill_stories at least 0")
        if s.notes_lambda_intercept <= 0 or s.notes_lambda_factor <= 0 or s.notes_fit_tol <= 0:
            raise SettingsError("notes_lambda_intercept, notes_lambda_factor and notes_fit_tol must be above 0")
        for k in ("notes_min_ratings", "notes_min_rater_ratings", "notes_fit_max_iter", "notes_batch"):
            if getattr(s, k) < 1:
                raise SettingsError(f"{k} must be at least 1, got {getattr(s, k)!r}")
        if not 0 <= s.api_port <= 65535:
            raise SettingsError(f"api_port must be within 0..65535, got {s.api_port!r}")
        if not 0 <= s.api_writer_nice <= 19:
            raise SettingsError(f"api_writer_nice must be within 0..19, got {s.api_writer_nice!r}")
        if s.api_readers < -1:
            raise SettingsError(f"api_readers must be -1 (one per core), 0 or more, got {s.api_readers!r}")
        if not s.api_max_body_mb > 0:
            raise SettingsError(f"api_max_body_mb must be greater than 0, got {s.api_max_body_mb!r}")
        if s.api_ask_running < 1 or s.api_ask_queue < 0 or s.api_stream_per_client < 1:
            raise SettingsError("api_ask_running and api_stream_per_client must be at least 1, api_ask_queue at least 0")
        unknown_composers = {c.strip() for c in s.api_open_composers.split(",") if c.strip()} - {
            "extractive", "local", "openai"}
        if unknown_composers:
            raise SettingsError(f"api_open_composers: unknown composer(s) {', '.join(sorted(unknown_composers))} "
                                "(extractive, local, openai)")
        if s.sources:
            from .sources.config import check_sources

            check_sources(s.sources, where)
        return s

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]


def _coerce(name: str, value: Any, typ: type) -> Any:
    if isinstance(value, typ) and not (typ is int and isinstance(value, bool)):
        return value
    try:
        if typ is bool:
            if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                return value.lower() in ("1", "true", "yes", "on")
            raise ValueError
        if typ is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            return float(value)
        if typ is int and isinstance(value, str):
            return int(value)
        if typ is str and isinstance(value, str):
            return value
    except ValueError:
        pass
    raise SettingsError(f"setting {name} must be {typ.__name__}, got {value!r}")
