"""The sections of the settings: one frozen dataclass per `[section]` of veristream.toml.

Each key is declared once, with its default, its help and its bounds (`setting(...)`); a section
coerces and checks its own values when it is built (`__post_init__`) and says what is wrong as
`[api] port: must be within 0..65535, got 70000` (`SettingsError`, with `section` and `key`).
Rules that tie keys together live in the section's `check` (or, across sections, in `Settings`).

Every key also has its legacy flat name (`api_port`, `trends_windows`, `dedup_window`...): the
section's `prefix` and the key, unless the key says otherwise (`flat=`). `[trends] enabled` and
`[vectors] enabled` were `trends` and `vectors`; those two sections are true when enabled, so
`if settings.trends:` reads as it did.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar

from .spans import parse_spans


class SettingsError(ValueError):
    """A setting that cannot be used. `section` and `key` name it when one key is to blame, and
    `problem` says what is wrong with it (the message without where it was set)."""

    def __init__(self, message: str, section: str | None = None, key: str | None = None,
                 problem: str | None = None):
        super().__init__(message)
        self.section, self.key, self.problem = section, key, problem


def setting(default: Any, help: str, *, flat: str | None = None, ge: float | None = None, gt: float | None = None,
            le: float | None = None, lt: float | None = None, choices: tuple[str, ...] | None = None) -> Any:
    """One key of a section: its default, one line of help (the docs' table), its bounds, and its
    legacy flat name when it is not the section's prefix + the key."""
    return field(default=default, metadata={"help": help, "flat": flat, "ge": ge, "gt": gt, "le": le, "lt": lt,
                                            "choices": choices})


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_WHAT = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


def coerce(value: Any, typ: type) -> Any:
    """`value` as `typ` (bool, int, float or str); strings, from the environment, are read as
    such. Raises ValueError saying what was expected."""
    if isinstance(value, typ) and not (typ is int and isinstance(value, bool)):
        return value
    if typ is bool and isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if typ is float and isinstance(value, (int, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    if typ is int and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ValueError(f"must be {_WHAT[typ]}, got {value!r}")


def _num(x: float) -> str:
    return f"{x:g}"


def bounds(f: Field) -> str:
    """The bounds of a key in words, as the docs and the errors put them ('' when none)."""
    m = f.metadata
    if m["choices"]:
        quoted = [repr(c) for c in m["choices"]]
        return " or ".join(quoted) if len(quoted) == 2 else "one of " + ", ".join(quoted)
    lo = ("[", m["ge"]) if m["ge"] is not None else ("(", m["gt"]) if m["gt"] is not None else None
    hi = ("]", m["le"]) if m["le"] is not None else (")", m["lt"]) if m["lt"] is not None else None
    if lo and hi:
        if lo[0] == "[" and hi[0] == "]":
            return f"within {_num(lo[1])}..{_num(hi[1])}"
        return f"within {lo[0]}{_num(lo[1])}, {_num(hi[1])}{hi[0]}"
    if lo:
        if lo[0] == "(":
            return f"greater than {_num(lo[1])}"
        return "0 or more" if lo[1] == 0 else f"at least {_num(lo[1])}"
    if hi:
        return f"at most {_num(hi[1])}" if hi[0] == "]" else f"less than {_num(hi[1])}"
    return ""


def _in_bounds(v: Any, m: Any) -> bool:
    if m["choices"]:
        return v in m["choices"]
    if isinstance(v, float) and math.isnan(v):
        return m["ge"] is m["gt"] is m["le"] is m["lt"] is None
    return not ((m["ge"] is not None and v < m["ge"]) or (m["gt"] is not None and v <= m["gt"])
                or (m["le"] is not None and v > m["le"]) or (m["lt"] is not None and v >= m["lt"]))


@dataclass(frozen=True, slots=True)
class Section:
    """A `[section]` of the settings; subclasses declare its keys with `setting(...)`."""

    name: ClassVar[str] = ""
    about: ClassVar[str] = ""  # what the section is for: the docs' line under its heading
    prefix: ClassVar[str] = ""  # legacy flat name = prefix + key, unless the key's `flat` says otherwise

    def __post_init__(self) -> None:
        for f in fields(self):
            typ = type(f.default)
            try:
                v = coerce(getattr(self, f.name), typ)
            except ValueError as e:
                self.fail(f.name, str(e))
            object.__setattr__(self, f.name, v)
            if not _in_bounds(v, f.metadata):
                self.fail(f.name, f"must be {bounds(f)}, got {v!r}")
        self.check()

    def check(self) -> None:
        """Rules between keys of the section (each key's own bounds are checked before)."""

    def fail(self, key: str, problem: str) -> Any:
        raise SettingsError(f"[{self.name}] {key}: {problem}", self.name, key, problem)

    @classmethod
    def keys(cls) -> dict[str, Field]:
        return {f.name: f for f in fields(cls)}

    @classmethod
    def flat_name(cls, key: str) -> str:
        return cls.keys()[key].metadata["flat"] or cls.prefix + key


@dataclass(frozen=True, slots=True)
class CoreSettings(Section):
    name: ClassVar[str] = "core"
    about: ClassVar[str] = "The store, the single writer and its ingest pipeline, the lexical index."
    durability: str = setting("fsync", "'fsync': a post is accepted once fsync'd (survives power loss); 'os': once in "
                              "the OS (survives a process crash)", choices=("fsync", "os"))
    batch_max: int = setting(2000, "most posts written to the store in one transaction", ge=1)
    batch_delay_ms: float = setting(5.0, "how long the ingest pipeline waits to fill a batch", ge=0)
    queue_max: int = setting(20000, "bounded ingest queue: producers block (back-pressure) when it is full", ge=1)
    commit_interval_ms: float = setting(0.0, "least time between commits of the hot index, which makes posts searchable "
                                        "(0: after every batch)", ge=0)
    index_cold_commit_s: float = setting(5.0, "most seconds between commits of the large (cold) index: start-up "
                                         "repairs from its checkpoint; posts are searchable before, through the hot "
                                         "index", ge=0)
    index_hot_max_posts: int = setting(100000, "posts changed since the cold index's last commit that bring its "
                                       "next commit forward (the hot index stays small)", ge=1)
    index_hot_dir: str = setting("", "where the hot index lives: '' for /dev/shm when writable (shared memory: "
                                 "no fsync), 'disk' for beside the index, or a directory")
    index_process: bool = setting(True, "build the cold index in a process of its own, fed by the writer and resuming "
                                  "from the store (the writer keeps the hot index: posts are as soon searchable); "
                                  "false: the writer indexes every post into both tiers")
    index_heap_mb: int = setting(64, "tantivy writer memory budget", ge=1)
    index_threads: int = setting(1, "tantivy indexing threads", ge=1)
    parse_workers: int = setting(-1, "worker processes parsing bulk input (-1: one per core beyond the first)", ge=-1)
    prepare_workers: int = setting(-1, "worker processes preparing live posts (fingerprints, analysis, index fields) "
                                   "while the writer is behind (-1: one per core beyond the first two; 0: the "
                                   "writer prepares every batch)", ge=-1)
    gc_full_s: float = setting(600.0, "the writing process freezes what survives each cold-index commit so that "
                               "Python's collector stops walking the whole heap (pauses of 200+ ms); a full "
                               "collection runs this often instead (0: Python's own pacing)", ge=0)
    detect_lang: bool = setting(True, "detect the language of posts whose source gives none")
    quarantine_max_mb: float = setting(64.0, "quarantine.jsonl is rotated to quarantine.jsonl.1 past this size (one "
                                       "old file kept): a hostile stream cannot fill the disk with rejects", ge=0)


@dataclass(frozen=True, slots=True)
class SearchSettings(Section):
    name: ClassVar[str] = "search"
    about: ClassVar[str] = "Ranking of search results ([search](search.md))."
    half_life_s: float = setting(6 * 3600.0, "recency half-life for relevance ranking, in event time", gt=0)
    recency_weight: float = setting(0.5, "0: pure BM25; 1: score fully decays with age", ge=0, le=1)
    candidates: int = setting(200, "BM25 and newest candidates fetched per query before blending and story grouping",
                              ge=1)


@dataclass(frozen=True, slots=True)
class StoriesSettings(Section):
    name: ClassVar[str] = "stories"
    about: ClassVar[str] = ("Near-duplicate detection: copies of a post are grouped into one story "
                            "([search](search.md)).")
    prefix: ClassVar[str] = "dedup_"
    window: int = setting(100_000, "recent posts remembered for near-duplicate (story) detection", ge=1)
    min_agreement: float = setting(0.6, "share of MinHash values two posts must share to be copies (~Jaccard)",
                                   gt=0, le=1)
    min_tokens: int = setting(5, "posts with fewer tokens are grouped only by exact normalised text", ge=0)


@dataclass(frozen=True, slots=True)
class RetentionSettings(Section):
    name: ClassVar[str] = "retention"
    about: ClassVar[str] = "How long posts are kept, and background expiry ([operations](operations.md))."
    prefix: ClassVar[str] = "retention_"
    days: float = setting(0.0, "keep posts this many days (0: forever); age in the clock of [retention] clock", ge=0)
    clock: str = setting("event", "'event': age from created_at, back from the newest post's created_at (at most the "
                         "wall clock + 10 min); 'arrival': age from when the post was stored (wall clock)",
                         choices=("event", "arrival"))
    max_posts: int = setting(0, "keep at most this many posts, the oldest expiring first (0: no limit)", ge=0)
    max_disk_mb: float = setting(0.0, "keep store + indexes under this size, the oldest posts expiring first "
                                 "(0: no limit)", ge=0)
    story_days: float = setting(30.0, "a story's summary (counts, first/last seen, title) outlives its posts until its "
                                "last post is this many days old", ge=0)
    interval_s: float = setting(10.0, "seconds between background expiry runs (0: none; run `veristream expire`)", ge=0)
    batch: int = setting(1000, "posts expired per hold of the write lock: ingest goes on between batches", ge=1)


@dataclass(frozen=True, slots=True)
class TrendsSettings(Section):
    name: ClassVar[str] = "trends"
    about: ClassVar[str] = "Trending terms and events, detected as posts arrive ([trends](trends.md))."
    prefix: ClassVar[str] = "trends_"
    enabled: bool = setting(True, "detect trending terms and events as posts arrive", flat="trends")
    windows: str = setting("5m,1h,24h", "trend windows in event time (a number and s, m, h or d, comma-separated); "
                           "windows up to 1h also raise events")
    min_authors: int = setting(5, "distinct authors (and stories) a term needs to trend and an event to be raised",
                               ge=2)
    dominant_share: float = setting(0.05, "a term in this share of a window's posts (distinct authors; lower bound "
                                    "count - 2 sqrt(count)), 50 times its share in general language, trends even when "
                                    "the stream started full of it (0: off)", ge=0, lt=1)
    fade_s: float = setting(3600.0, "an event fades after this long (event time) with none of its terms bursting",
                            ge=0)
    process: bool = setting(True, "detect in a process of its own, which reads the accepted posts from the store "
                            "from its checkpoint at low CPU priority (the writer never shares its interpreter with "
                            "it); false: a thread of the engine's process, fed each accepted batch", flat="trends_process")

    def __bool__(self) -> bool:
        return self.enabled

    def check(self) -> None:
        try:
            parse_spans(self.windows)
        except ValueError as e:
            self.fail("windows", f"must be positive spans like 5m,1h,24h (s, m, h or d), got {self.windows!r}: {e}")


@dataclass(frozen=True, slots=True)
class VectorsSettings(Section):
    name: ClassVar[str] = "vectors"
    about: ClassVar[str] = ("Embeddings beside ingest and hybrid (BM25 + dense) retrieval: the ranks are fused "
                            "([ask](ask.md)).")
    prefix: ClassVar[str] = "embed_"
    enabled: bool = setting(True, "embed posts beside ingest for hybrid (BM25 + dense) retrieval; lexical only when "
                            "false or when the model packages are missing", flat="vectors")
    model_path: str = setting("", "sentence-embedding ONNX model (empty: the shipped all-MiniLM-L6-v2 int8)")
    tokenizer_path: str = setting("", "its tokenizer.json (empty: beside the model, else the shipped MiniLM one)")
    dim: int = setting(384, "dimensions of the embedding model's vectors", ge=1)
    max_tokens: int = setting(128, "tokens of a post that are embedded (the rest is cut)", ge=1)
    batch: int = setting(64, "most posts per encoder run (posts are encoded in batches of like token length)", ge=1)
    batch_tokens: int = setting(512, "most padded tokens per encoder run: small batches stay in the CPU caches", ge=1)
    threads: int = setting(1, "onnxruntime threads of the embedding thread (it runs at low priority); more help only "
                           "with idle cores (a session of its own, ~120 MB)", ge=1)
    save_interval_s: float = setting(30.0, "least seconds between saves of the vector index while embedding "
                                     "goes on (and on close); in a process of its own, it also saves whenever it "
                                     "has caught up, at most 1/20 of its time", flat="vectors_save_interval_s", ge=0)
    process: bool = setting(True, "embed in a child process of the writing engine, at the lowest CPU priority "
                            "(SCHED_IDLE), searched through the saved index; false: a low-priority thread of the "
                            "engine's own process (new vectors searchable at once, but it shares the writer's GIL)")
    rrf_k: float = setting(60.0, "reciprocal rank fusion constant: score = sum of 1 / (rrf_k + rank) over BM25 and "
                           "dense lists", flat="rrf_k", ge=0)
    min_similarity: float = setting(0.35, "least cosine similarity for a dense match to count",
                                    flat="dense_min_similarity", ge=0, le=1)
    weight: float = setting(1.0, "weight of the dense list in the fusion (the BM25 list weighs 1)",
                            flat="dense_weight")
    rescore: int = setting(32, "the best BM25 candidates given a dense similarity too when the vector index has "
                           "none for them (not embedded yet: the embedder is behind a fast stream), their vectors "
                           "made at query time; 0: only embedded posts take part in the dense list",
                           flat="dense_rescore", ge=0, le=1000)
    fill_stories: int = setting(6, "posts that match a question only in meaning, not in words, join an answer's "
                                "evidence when its words find fewer stories than this (as many as a model is given, "
                                "[ask] posts; 0: never)", flat="dense_fill_stories", ge=0)

    def __bool__(self) -> bool:
        return self.enabled


@dataclass(frozen=True, slots=True)
class AskSettings(Section):
    name: ClassVar[str] = "ask"
    about: ClassVar[str] = "Answers composed from posts ([ask](ask.md))."
    prefix: ClassVar[str] = "ask_"
    posts: int = setting(6, "posts quoted to a language model as evidence for an answer", ge=1)
    post_chars: int = setting(280, "longest post text quoted in an answer or prompt (characters)", ge=40)


@dataclass(frozen=True, slots=True)
class LLMSettings(Section):
    name: ClassVar[str] = "llm"
    about: ClassVar[str] = "The local language model of `ask --composer local` (llama.cpp, [ask](ask.md))."
    prefix: ClassVar[str] = "llm_"
    model_path: str = setting("", "GGUF model for `ask --composer local` (empty: the shipped SmolLM2-135M-Instruct)")
    threads: int = setting(0, "llama.cpp threads (0: half the cores)", ge=0)
    ctx: int = setting(2048, "llama.cpp context size in tokens", ge=1)
    max_tokens: int = setting(120, "most tokens a model may write for one answer", ge=1)
    temperature: float = setting(0.0, "sampling temperature of the language model (0: greedy; a small model then "
                                 "stays closest to the posts)", ge=0)


@dataclass(frozen=True, slots=True)
class OpenAISettings(Section):
    name: ClassVar[str] = "openai"
    about: ClassVar[str] = ("An OpenAI-compatible server, for `ask --composer openai` and the verify judge "
                            "([ask](ask.md)).")
    prefix: ClassVar[str] = "openai_"
    base_url: str = setting("", "OpenAI-compatible server for `ask --composer openai`, e.g. http://127.0.0.1:8000/v1")
    model: str = setting("", "model name sent to that server")
    api_key: str = setting("", "API key for that server (else env OPENAI_API_KEY)")
    timeout_s: float = setting(60.0, "seconds to wait for the server", gt=0)


@dataclass(frozen=True, slots=True)
class VerifySettings(Section):
    name: ClassVar[str] = "verify"
    about: ClassVar[str] = "Claim checking against the stream ([verify](verify.md))."
    prefix: ClassVar[str] = "verify_"
    posts: int = setting(200, "posts gathered (copies included) per claim by `verify`", ge=1)
    min_sources: int = setting(2, "independent sources (distinct authors of distinct stories) a side needs for a "
                               "verdict", ge=1)
    contested_share: float = setting(0.3, "a claim is contested when both sides have enough sources and the smaller "
                                     "holds at least this share of the weight", gt=0, le=0.5)
    crowd_posts: int = setting(5, "key posts whose own replies are judged (crowd reactions) per claim", ge=0)
    reply_window_s: float = setting(3 * 86400.0, "how long after a post (event time) its replies are looked for", ge=0)
    stance_weights: str = setting("", "stance model weights (.npz from `veristream train stance`; empty: the shipped "
                                  "ones)")
    veracity_weights: str = setting("", "veracity model weights (.npz from `veristream train veracity`; empty: the "
                                    "shipped ones)")
    claims_weights: str = setting("", "claim-evidence model weights (.npz from `veristream train claims`; empty: the "
                                  "shipped ones)")
    judge: bool = setting(False, "a second reading of the key posts' stances by the OpenAI-compatible model at "
                          "[openai] base_url, shown beside the evidence and never counted in the verdict")
    judge_posts: int = setting(8, "key posts put to that judge per claim", ge=1)
    record: bool = setting(True, "remember decisive verdicts (verify/verdicts.jsonl in the data directory) for "
                           "authors' past record")


COMPOSERS = ("extractive", "local", "openai")


@dataclass(frozen=True, slots=True)
class APISettings(Section):
    name: ClassVar[str] = "api"
    about: ClassVar[str] = ("`veristream serve`: the HTTP API and the page ([serve](serve.md), "
                            "[security](security.md)).")
    prefix: ClassVar[str] = "api_"
    host: str = setting("127.0.0.1", "address `veristream serve` listens on (`--host`; 0.0.0.0: every interface)")
    port: int = setting(8080, "port `veristream serve` listens on (`--port`; 0: any free port)", ge=0, le=65535)
    token: str = setting("", "bearer token for the API's write endpoints (empty: generated on first start and kept in "
                         "api_token in the data directory, readable by its owner only)")
    read_token_required: bool = setting(False, "require the token on read endpoints too (search, ask, feed, page "
                                        "data)")
    cors_origins: str = setting("", "comma-separated origins allowed to call the API from other sites (empty: CORS "
                                "off)")
    max_body_mb: float = setting(32.0, "largest POST /v1/posts body the API reads (every other endpoint: 1 MiB)",
                                 gt=0)
    readers: int = setting(-1, "processes of `veristream serve` answering searches, posts and stories from a read-only "
                           "engine, beside the one that writes (`--readers`; -1: one per core, at most 4; 0: one "
                           "process does everything; [serve](serve.md))", ge=-1)
    writer_nice: int = setting(10, "with reader processes, how much lower the writing process's threads run (ingest, "
                               "answers, embedding...: nice increment, 0..19), so searches win the CPU when cores are "
                               "short; ingest takes what they leave (back-pressure, nothing dropped)", ge=0, le=19)
    allowed_hosts: str = setting("", "comma-separated Host names the API answers besides loopback ones (localhost, "
                                 "127.0.0.1, [::1]; any IP address too when it listens beyond loopback); others get a "
                                 "400, so a web page cannot reach the API through DNS rebinding ('*': any; a name "
                                 "starting with '.': its subdomains)")
    open_composers: str = setting("extractive", "comma-separated composers anyone may use without the token in "
                                  "POST /v1/ask and /v1/chat/completions (local and openai cost CPU or money)")
    open_verify_record: bool = setting(False, "POST /v1/verify without the token records its verdict too (verdicts "
                                       "lower authors' credibility later); off: only requests with the token record")
    ask_running: int = setting(4, "answers and claim checks composed at once (ask, chat completions, verify)", ge=1)
    ask_queue: int = setting(16, "more answers and claim checks waiting their turn; beyond them, a 429 with "
                             "Retry-After", ge=0)
    stream_per_client: int = setting(8, "live-feed connections (GET /v1/stream) one client address may hold at once; "
                                     "beyond them, a 429", ge=1)

    def check(self) -> None:
        unknown = {c.strip() for c in self.open_composers.split(",") if c.strip()} - set(COMPOSERS)
        if unknown:
            self.fail("open_composers", f"unknown composer(s) {', '.join(sorted(unknown))} ({', '.join(COMPOSERS)})")


@dataclass(frozen=True, slots=True)
class NotesSettings(Section):
    name: ClassVar[str] = "notes"
    about: ClassVar[str] = "Community notes scoring (matrix factorisation, [notes](notes.md))."
    prefix: ClassVar[str] = "notes_"
    lambda_intercept: float = setting(0.15, "regularisation of the intercepts (published 0.15, 5x the factors': a "
                                      "note scores high only if raters on both sides find it helpful)", gt=0)
    lambda_factor: float = setting(0.03, "regularisation of the rater and note factors (published 0.03)", gt=0)
    min_ratings: int = setting(5, "ratings a note needs to be scored and to get a status other than "
                               "NEEDS_MORE_RATINGS", ge=1)
    min_rater_ratings: int = setting(10, "ratings a rater needs (on notes with enough ratings) to take part in "
                                     "scoring", ge=1)
    helpful_intercept: float = setting(0.40, "a note is CURRENTLY_RATED_HELPFUL at this intercept or above ...")
    helpful_max_factor: float = setting(0.50, "... and with |factor| below this (published 0.50)")
    not_helpful_intercept: float = setting(-0.05, "a note is CURRENTLY_RATED_NOT_HELPFUL when its intercept is below "
                                           "this - not_helpful_factor_slope * |factor|")
    not_helpful_factor_slope: float = setting(0.8, "see not_helpful_intercept (published 0.8)")
    fit_max_iter: int = setting(500, "most alternating least squares rounds of one scoring run", ge=1)
    fit_tol: float = setting(1e-7, "scoring stops when a round improves the objective by less than this share", gt=0)
    seed: int = setting(0, "seed of the scoring's random start (same data and seed: same scores)")
    batch: int = setting(20000, "notes or ratings stored per transaction while ingesting a TSV file", ge=1)


@dataclass(frozen=True, slots=True)
class ClusterSettings(Section):
    name: ClassVar[str] = "cluster"
    about: ClassVar[str] = ("Opt-in scale-out on NATS JetStream: publishers, one engine per partition in shard "
                            "processes, scatter-gather queries ([cluster](cluster.md)). Off unless a command is given "
                            "`--to`/`--nats` (`shard` and `cluster status` also read `url`).")
    prefix: ClassVar[str] = "cluster_"
    url: str = setting("", "NATS server(s), comma-separated (nats://host:4222); empty: one machine, no cluster")
    stream: str = setting("VERISTREAM", "JetStream stream holding the posts (the partitioned, replicated log)")
    subject_prefix: str = setting("veristream", "subjects: PREFIX.posts.N for partition N's posts, PREFIX.query.N for "
                                  "its queries")
    partitions: int = setting(4, "partitions of the stream; a post's partition is a stable hash of its key "
                              "(source:id) modulo this, so it must never change for a stream", ge=1, le=4096)
    replicas: int = setting(1, "copies of the stream JetStream keeps (3 on a 3-node NATS cluster)", ge=1, le=5)
    duplicate_window_s: float = setting(600.0, "JetStream drops a message whose Nats-Msg-Id (the post key) it saw "
                                        "this recently: a publisher resending after a crash adds nothing", gt=0)
    max_age_h: float = setting(0.0, "messages older than this leave the stream (0: kept until max_gb)", ge=0)
    max_gb: float = setting(0.0, "most bytes of the stream on each NATS server (0: no limit)", ge=0)
    publish_in_flight: int = setting(2000, "publishes awaiting JetStream's ack at once; a publisher waits (back-pressure) "
                                     "beyond, and a source's cursor advances only once all before it are acked", ge=1)
    fetch_batch: int = setting(500, "messages a shard fetches and stores per transaction", ge=1)
    ack_wait_s: float = setting(60.0, "a message a shard has not acked by then is redelivered (a stopped shard's, to "
                                "its restarted self)", gt=0)
    query_timeout_s: float = setting(2.0, "a scatter-gather query waits this long for each partition; one that does "
                                     "not answer is named in the partial answer", gt=0)


@dataclass(frozen=True, slots=True)
class MediaSettings(Section):
    name: ClassVar[str] = "media"
    about: ClassVar[str] = ("Text in images ([media](media.md)): a background consumer of the accepted stream fetches "
                            "posts' images and reads them with tesseract (OCR); the text joins the post's index "
                            "document. Fetching is hostile ground: every limit here is checked before decoding.")
    prefix: ClassVar[str] = "media_"
    enabled: bool = setting(True, "read the text in posts' images in the background (off, with a one-line notice, "
                            "when tesseract is not installed)")
    languages: str = setting("eng+jpn", "tesseract language models, joined by '+' (Debian tesseract-ocr-eng, -jpn)")
    allow_loopback: bool = setting(False, "fetch from loopback addresses too (tests); private, link-local and other "
                                   "non-public addresses are never fetched")
    max_bytes: int = setting(8_000_000, "largest image fetched, in bytes (Content-Length, then counted while reading)",
                             ge=1024)
    max_pixels: int = setting(25_000_000, "largest image decoded, width x height (read from its header first)",
                              ge=1024)
    timeout_s: float = setting(10.0, "most seconds one image's fetch may take, connection to last byte", gt=0)
    per_host_per_s: float = setting(4.0, "fetches per second to one host at most (the consumer waits, ingest never "
                                    "does)", gt=0)
    workers: int = setting(1, "threads fetching and reading images", ge=1, le=16)
    queue: int = setting(32, "images fetched or read at once at most (the rest wait in the store)", ge=1)
    images_per_post: int = setting(4, "images read per post at most", ge=1, le=16)
    ocr_timeout_s: float = setting(30.0, "most seconds tesseract may take on one image", gt=0)
    max_text_chars: int = setting(4000, "text kept from one post's images at most", ge=100)


SECTIONS: dict[str, type[Section]] = {cls.name: cls for cls in (
    CoreSettings, SearchSettings, StoriesSettings, RetentionSettings, TrendsSettings, VectorsSettings, AskSettings,
    LLMSettings, OpenAISettings, VerifySettings, APISettings, NotesSettings, ClusterSettings, MediaSettings)}

# Legacy flat name -> (section, key), for every key of every section.
FLAT: dict[str, tuple[str, str]] = {cls.flat_name(k): (name, k) for name, cls in SECTIONS.items() for k in cls.keys()}

SOURCES_HELP = ("live sources run together by `veristream ingest` and `veristream serve`: one [sources.NAME] table "
                "each, its keys those of the source's kind (docs/sources.md)")

# `[sources.*]`: a table of tables whose keys belong to each source's kind. The kinds live in
# veristream.sources, above the settings; `veristream.sources.config` hands its check in here.
_sources_checks: list[Callable[[dict[str, Any], str], None]] = []


def register_sources_check(check: Callable[[dict[str, Any], str], None]) -> None:
    """Have `check(table, where)` validate `[sources.*]` whenever settings load (raising
    SettingsError); veristream.sources registers the kinds' own checks on import."""
    if check not in _sources_checks:
        _sources_checks.append(check)


def check_sources_table(table: Any, where: str) -> dict[str, dict[str, Any]]:
    """The shape of `[sources.*]` (tables of tables, `enabled` true or false), then each registered check."""
    if type(table) is not dict:
        raise SettingsError(f"{where}: sources must be a table of [sources.NAME] tables", "sources")
    for name, opts in table.items():
        if type(opts) is not dict:
            raise SettingsError(f"{where}: sources.{name} must be a table", "sources", name)
        if "enabled" in opts and type(opts["enabled"]) is not bool:
            raise SettingsError(f"{where}: sources.{name}.enabled must be true or false", "sources", name)
    for check in _sources_checks:
        check(table, where)
    return table
