"""Typed records at the API's boundary: request bodies (validated) and responses (documented).

Responses are built from the engine's own records (`Hit`, `Answer`, `Event`...) and sent as
JSON directly; the models here describe them in the OpenAPI schema, and the schemathesis test
checks that what is sent conforms.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_QUERY_CHARS = 1000  # a search or feed query
MAX_QUESTION_CHARS = 2000  # a question or a claim
MAX_NAME_CHARS = 200  # author, hashtag, source, window...
MAX_TIME_CHARS = 64  # an ISO time or a span such as 2h

COMPOSERS = Literal["extractive", "local", "openai"]
When = Field(None, max_length=MAX_TIME_CHARS,
             description="ISO time, or a span such as 30m, 2h, 7d back from the stream's event-time now")


# -- requests -----------------------------------------------------------------------------

class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="What to ask, in plain words")
    since: str | None = When
    until: str | None = When
    lang: str | None = Field(None, max_length=16, description="Only posts in this language (ISO 639-1)")
    composer: COMPOSERS = Field("extractive", description="extractive: a cited digest, no model; local: the "
                                "embedded GGUF model; openai: the configured OpenAI-compatible server")
    stream: bool = Field(True, description="true: server-sent events (text, then answer); false: one JSON answer")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The claim to check")
    since: str | None = When
    until: str | None = When


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(max_length=64)
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(max_length=32)
    content: str | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    """OpenAI's chat completion request; sampling options are accepted and ignored (the answer is
    checked against the posts, not sampled)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(max_length=MAX_NAME_CHARS)
    messages: list[ChatMessage] = Field(min_length=1, max_length=256)
    stream: bool = False


# -- responses ----------------------------------------------------------------------------

class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: str
    param: str | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class AuthorOut(Open):
    id: str
    handle: str
    name: str | None = None
    verified: bool = False
    followers: int | None = None
    created_at: str | None = None


class CardOut(BaseModel):
    url: str
    title: str | None = None
    description: str | None = None


class PlaceOut(Open):
    name: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    confidence: float
    from_: str = Field(alias="from", description="service (coordinates or a place it named) or text")


class PostOut(Open):
    id: str
    source: str
    author: AuthorOut
    text: str
    created_at: str
    lang: str | None = None
    hashtags: list[str] = []
    url: str | None = None
    key: str
    cards: list[CardOut] = Field([], description="Link cards: the linked pages' titles and descriptions")
    image_text: str | None = Field(None, description="Text read from the post's images (OCR), once read")


class StoryRef(BaseModel):
    id: int
    posts: int
    authors: int
    first_seen: str
    last_seen: str


class HitOut(PostOut):
    score: float
    story: StoryRef | None = None
    place: PlaceOut | None = None


class PostDetailOut(PostOut):
    seq: int
    story: StoryRef | None = None


class SearchOut(BaseModel):
    hits: list[HitOut]
    total: int | None
    took_ms: float
    stream_now: str | None = Field(description="The stream's event-time now (its newest post)")


class StoryOut(BaseModel):
    id: int
    posts: int
    authors: int
    first_seen: str
    last_seen: str
    title: str | None
    items: list[PostOut]


class TrendOut(Open):
    term: str
    window: str
    score: float
    count: float
    expected: float
    since: str
    spark: list[float]
    event: int | None = None


class TrendsOut(BaseModel):
    window: str
    stream_now: str | None
    trends: list[TrendOut]


class CurveOut(BaseModel):
    start: str
    step_s: float
    counts: list[int]


class EventOut(Open):
    id: int
    title: str
    terms: list[str]
    first_seen: str
    detected_at: str
    last_seen: str
    status: str
    posts: int
    stories: int
    authors: int
    post_ids: list[str]
    curve: CurveOut


class EventsOut(BaseModel):
    stream_now: str | None
    events: list[EventOut]


class AttachedOut(BaseModel):
    kind: str = Field(description="image (text read from it), alt (an image's alt text) or card (a link card)")
    text: str


class CitationOut(BaseModel):
    n: int
    post_id: str
    id: str
    source: str
    author: str
    author_id: str
    time: str
    url: str | None
    text: str
    attached: list[AttachedOut] = Field([], description="What is attached to the post, cited as its own")


class AnswerOut(Open):
    question: str
    answer: str
    as_of: str | None
    composer: str
    asked: str
    fallback: str | None
    citations: list[CitationOut]


class IngestRejection(BaseModel):
    line: int = Field(description="Line (NDJSON) or position (JSON array) of the post, from 1")
    reason: str
    message: str = Field(description="As the CLI prints it: api:LINE: rejected: REASON")


class IngestOut(BaseModel):
    received: int = Field(description="Posts (lines or array items) in the body, blank lines left out")
    accepted: int = Field(description="Valid posts handed to the core (new, newer versions or already stored)")
    rejected: int
    rejections: list[IngestRejection] = Field(description="The first rejections (all are kept in quarantine.jsonl)")
    stored: bool = Field(description="true: the accepted posts are on disk and searchable (wait=true)")


class SourcesOut(Open):
    running: bool
    sources: list[dict[str, Any]]
    backlog: int


class HealthOut(Open):
    status: Literal["ok", "degraded", "failing"]
    problems: list[str] = Field(description="What is wrong, in words (empty when ok)")
    readonly: bool
    stream_now: str | None
    writers: dict[str, Any] = Field(description="Each ingest writer (api, sources): state, error, backlog...")
    sources: list[dict[str, Any]] = Field(description="Each live source: state, connected, lag_s, last_error")
    readers: dict[str, Any] | None = Field(description="Reader processes: expected, alive, restarts, failure "
                                                       "(null: one process serves everything)")
    lag: dict[str, Any] = Field(description="ingest_backlog_posts, freshness_s, embedding (pending_posts, lag_s)")
    composing: dict[str, int] = Field(description="Answers and claim checks running and waiting")
    feed_clients: int
    error: ErrorDetail | None = Field(None, description="With a 503: the problems as an error")


class ModelOut(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelsOut(BaseModel):
    object: Literal["list"]
    data: list[ModelOut]


class ChatChoiceMessage(Open):
    role: Literal["assistant"]
    content: str
    citations: list[CitationOut]


class ChatChoice(BaseModel):
    index: int
    message: ChatChoiceMessage
    finish_reason: str
    logprobs: None = None


class ChatOut(Open):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChatChoice]
    citations: list[CitationOut]
