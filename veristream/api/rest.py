"""REST endpoints under /v1, plus /healthz and /metrics. Each handler gets the Engine, calls one
method and renders its typed records as JSON (the CLI's own JSON where it has one)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Literal

import anyio
import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from ..answer import Composer, ComposerError, make_composer
from ..core.search import hit_json, story_json
from ..engine import EngineError
from ..model import Record, iso
from ..places import parse_near
from ..places.worldmap import world_svg
from ..readers import FORMATS
from ..replay import IngestOptions, item_line, prepare_chunk
from ..timespec import TimeSpecError, parse_when
from .context import ApiContext, ComposeTicket
from .auth import require_read, require_write
from .errors import ApiError, error_body
from .feed import FeedFilter
from .models import (MAX_NAME_CHARS, MAX_QUERY_CHARS, MAX_TIME_CHARS, AnswerOut, AskRequest, ErrorOut, EventsOut,
                     HealthOut, IngestOut, PostDetailOut, SearchOut, SourcesOut, StoryOut, TrendsOut, VerifyRequest)

router = APIRouter()

MAX_REJECTIONS_SHOWN = 100
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
                "application/json-lines", "application/jsonlines", "text/plain")
FEED_POLL_S = 0.5  # how often an idle feed stream looks whether the server is stopping
SHUTDOWN_GRACE_S = 2.0  # a stream in progress gets this long to finish when the server stops


def sse_response(events: Callable[[anyio.Event], AsyncIterator[ServerSentEvent]]) -> EventSourceResponse:
    """Server-sent events that end cleanly when the server stops: the generator is handed an
    event that is set then, and a grace period to finish its last message (instead of being
    cut off mid-response)."""
    stopping = anyio.Event()
    return EventSourceResponse(events(stopping), ping=15, shutdown_event=stopping,
                               shutdown_grace_period=SHUTDOWN_GRACE_S)


async def get_api(request: Request) -> ApiContext:
    # async: a plain function would be run on the thread pool, one more hop for every request
    return request.app.state.api


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")


def jsonable(obj: Any) -> Any:
    """A record from the engine as JSON-ready data: its one serialisation (`to_dict`), else its fields."""
    if isinstance(obj, Record):
        return obj.to_dict()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime):
        return iso(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    return obj


def errors_doc(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": ErrorOut} for c in codes}


def when(value: str | None, now: datetime | None, name: str) -> datetime | None:
    """`since`/`until` as the CLI reads them: an ISO time or a span back from the stream's now."""
    try:
        return parse_when(value, now, name)
    except TimeSpecError as e:
        raise ApiError(400, f"{name}: {e.message}", "invalid_time", name) from None
    except (OverflowError, ValueError):  # a span or time past what a date can hold (99999999999d)
        raise ApiError(400, f"{name}: {value[:MAX_TIME_CHARS]!r} is out of range (use an ISO time like "
                            "2013-04-15T18:00Z or a span like 2h)", "invalid_time", name) from None


def _engine_call(f: Callable[[], Any]) -> Any:
    try:
        return f()
    except EngineError as e:
        raise ApiError(503, f"engine unavailable: {e}", "unavailable") from None


def with_partial(eng: Any, f: Callable[[], Any]) -> Any:
    """`f()`, its JSON object given `partial` (which partitions did not answer, and why) when
    the engine is a cluster's root and some did not: the answer then leaves them out."""
    tracking = getattr(eng, "tracking", None)
    if tracking is None:
        return f()
    with tracking() as missing:
        out = f()
    if missing and isinstance(out, dict):
        out["partial"] = eng.partial_json(missing)
    return out


async def _read_call(api: ApiContext, f: Callable[[], Any]) -> Any:
    """A short read of the engine: on the thread pool where the process also writes (the event
    loop stays free while the read waits for the GIL), on the event loop itself in a reader
    process (veristream.serve), where every hop between loop and pool waits for the GIL
    and a core and made the slow tail of searches (bench/serve.py)."""
    def call() -> Any:
        return with_partial(api.engine, lambda: _engine_call(f))

    if api.inline_reads:
        return call()
    return await run_in_threadpool(call)


# -- health and metrics ----------------------------------------------------------------------

@router.get("/healthz", tags=["operations"], response_model=None,
            responses={200: {"model": HealthOut}, 503: {"model": HealthOut}})
async def healthz(api: ApiContext = Depends(get_api)) -> Response:
    """Health, no token needed: 200 `ok` or `degraded` (a source failed, a reader process is
    down), 503 `failing` when posts can no longer be stored (an ingest writer stopped) or the
    server is stopping; the problems in words, and the lags (ingest backlog, freshness,
    embedding). Answered on the event loop from plain fields: never waits on ingest."""
    status, body = api.health()
    return json_response(body, status)


@router.get("/metrics", tags=["operations"], dependencies=[Depends(require_read)], response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                       **errors_doc(401)})
def metrics(api: ApiContext = Depends(get_api)) -> Response:
    """Prometheus metrics: posts ingested and rejected, freshness and embedding lag, source state,
    request latencies by route."""
    return Response(api.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


# -- ingest ------------------------------------------------------------------------------------

_POST_SCHEMA = {"type": "object", "required": ["id", "text", "created_at"],
                "properties": {"id": {"type": ["string", "integer"]}, "text": {"type": "string"},
                               "created_at": {"type": ["string", "number"]}, "source": {"type": "string"},
                               "author": {}, "lang": {"type": ["string", "null"]}},
                "description": "A post in the project's JSONL schema (README: Post format), an X API v2 tweet, a "
                               "Bluesky Jetstream message or a Mastodon status"}
_POSTS_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"oneOf": [_POST_SCHEMA, {"type": "array", "items": _POST_SCHEMA}]}},
    "application/x-ndjson": {"schema": {"type": "string", "description": "One post per line"}},
}}}


def split_body(body: bytes, content_type: str) -> list[bytes]:
    """The posts of a body: NDJSON lines, the items of a JSON array, or one JSON object."""
    ct = content_type.split(";")[0].strip().lower()
    if ct not in NDJSON_TYPES:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = None  # not one JSON value: read it as lines (a JSONL file sent as JSON), each judged alone
        else:
            if isinstance(doc, list):
                return [item_line(x) for x in doc]  # one too deep to re-encode is rejected alone
            return [body.strip()]
    return [line[:-1] if line.endswith(b"\r") else line for line in body.split(b"\n")]


def ingest_body(api: ApiContext, body: bytes, content_type: str, options: IngestOptions, wait: bool) -> dict:
    """Parse and validate like `veristream ingest` (same reasons, same quarantine), then hand the
    posts to the pipeline; with `wait`, return once they are stored and searchable."""
    t0 = time.perf_counter()
    if not body.strip():
        raise ApiError(400, "body: empty; send posts as JSON (an object or an array) or NDJSON (one per line)",
                       "empty_body", "body")
    lines = split_body(body, content_type)
    items, rejects = prepare_chunk(lines, 1, options, api.hasher)
    received = sum(1 for line in lines if line.strip())
    shown = []
    for n, reason, raw in rejects:
        api.engine.reject("api", n, reason, raw)
        if len(shown) < MAX_REJECTIONS_SHOWN:
            shown.append({"line": n, "reason": reason, "message": f"api:{n}: rejected: {reason}"})
    api.rejected += len(rejects)
    api.metrics.api_received.inc(received)
    if items:
        pipe = api.pipeline()
        try:
            pipe.put_prepared(items)  # blocks while the core is behind (back-pressure)
            if wait:
                pipe.flush(timeout=60)
        except TimeoutError:
            raise ApiError(503, "posts: queued, but not stored within 60 s (the core is far behind); they will be",
                           "timeout") from None
        except EngineError as e:
            raise ApiError(503, f"posts: not stored: {e}", "unavailable") from None
        if wait:
            api.metrics.api_ingest.observe(time.perf_counter() - t0)
    return {"received": received, "accepted": len(items), "rejected": len(rejects), "rejections": shown,
            "stored": bool(wait)}


@router.post("/v1/posts", tags=["ingest"], dependencies=[Depends(require_write)], openapi_extra=_POSTS_BODY,
             response_model=None, responses={200: {"model": IngestOut}, 202: {"model": IngestOut},
                                             **errors_doc(400, 401, 413, 422, 503)})
async def ingest(request: Request, api: ApiContext = Depends(get_api),
                 format: Literal[FORMATS] = Query("auto", description="Input format of each post (auto-detected "  # type: ignore[valid-type]
                                                  "per post by default)"),
                 source: str | None = Query(None, max_length=64, description="Source name of the posts, as "
                                            "`veristream ingest --source` (default: their own, else file)"),
                 wait: bool = Query(True, description="true: answer once the posts are stored and searchable; "
                                    "false: once they are queued (202)")) -> Response:
    """Ingest posts: one JSON object, a JSON array, or NDJSON (one post per line). Bad posts are
    rejected with a reason naming their line (as `veristream ingest` does) and kept in
    quarantine.jsonl; the others are stored. Needs the API token."""
    body = await request.body()
    options = IngestOptions.of(api.settings, format, source)
    out = await run_in_threadpool(ingest_body, api, body, request.headers.get("content-type", ""), options, wait)
    return json_response(out, 200 if wait else 202)


# -- search, posts, stories ------------------------------------------------------------------

@router.get("/v1/search", tags=["search"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": SearchOut}, **errors_doc(400, 401, 422)})
async def search(api: ApiContext = Depends(get_api),
           q: str = Query("", max_length=MAX_QUERY_CHARS, description="Words (ANDed), \"exact phrase\", OR, -exclude, "
                          "#tag, @handle (tantivy query language); empty: every post"),
           since: str | None = Query(None, max_length=MAX_TIME_CHARS, description="ISO time or span back from the "
                                     "stream's now (2h, 7d)"),
           until: str | None = Query(None, max_length=MAX_TIME_CHARS),
           author: str | None = Query(None, max_length=MAX_NAME_CHARS),
           lang: str | None = Query(None, max_length=16),
           hashtag: str | None = Query(None, max_length=MAX_NAME_CHARS),
           source: str | None = Query(None, max_length=64),
           has_media: bool | None = Query(None),
           reply_to: str | None = Query(None, max_length=MAX_NAME_CHARS * 4, description="Only direct replies to "
                                        "the post with this key"),
           domain: str | None = Query(None, max_length=MAX_NAME_CHARS * 4, description="Only posts linking to this "
                                      "site or a host under it (bbc.co.uk)"),
           place: str | None = Query(None, max_length=MAX_NAME_CHARS, description="Only posts whose place is, or "
                                     "is in, this city, US state or country"),
           near: str | None = Query(None, max_length=64, description="LAT,LON,RADIUS_KM: only posts whose place "
                                    "is within the radius"),
           order: Literal["relevance", "time"] = Query("relevance"),
           limit: int = Query(20, ge=1, le=1000),
           all_posts: bool = Query(False, alias="all", description="Every matching post, not one per story"),
           ) -> Response:
    """Search posts, as `veristream search --json` does: one hit per story (with its counts) unless `all`."""
    eng = api.engine
    try:
        circle = parse_near(near) if near else None
    except ValueError as e:
        raise ApiError(400, f"near: {e}", "invalid_parameter", "near") from None

    def run() -> Any:
        now = eng.now()
        try:
            res = eng.search(q, since=when(since, now, "since"), until=when(until, now, "until"), author=author,
                             lang=lang, hashtag=hashtag, source=source, has_media=has_media, order=order, limit=limit,
                             all_posts=all_posts, reply_to=reply_to, domain=domain, place=place, near=circle)
        except ValueError as e:  # SearchError, or a query tantivy cannot parse
            raise ApiError(400, f"q: {e}", "invalid_query", "q") from None
        return {"hits": [hit_json(h) for h in res.hits], "total": res.total, "took_ms": round(res.took_ms, 2),
                "stream_now": iso(now) if now else None}

    return json_response(await _read_call(api, run))


@router.get("/v1/posts/{key:path}", tags=["search"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": PostDetailOut}, **errors_doc(401, 404, 422)})
async def get_post(key: str = Path(max_length=1000, description="The post's key, source:id (e.g. bluesky:at://…)"),
             api: ApiContext = Depends(get_api)) -> Response:
    """One stored post by key (what a citation's `post_id` names), with its story's counts."""
    eng = api.engine

    def run() -> Any:
        found = eng.post(key)
        if found is None:
            raise ApiError(404, f"key: no stored post {key!r}", "not_found", "key")
        return found.to_dict()

    return json_response(await _read_call(api, run))


@router.get("/v1/stories/{story_id}", tags=["search"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": StoryOut}, **errors_doc(401, 404, 422)})
async def story(story_id: int = Path(ge=0, le=2**62), limit: int = Query(50, ge=1, le=10_000),
                api: ApiContext = Depends(get_api)) -> Response:
    """A story: its counts and its posts, oldest first (as `veristream story --json`)."""
    found = await _read_call(api, lambda: api.engine.story(story_id, limit))
    if found is None:
        raise ApiError(404, f"story_id: no story {story_id}", "not_found", "story_id")
    return json_response(story_json(*found))


# -- trends and events -----------------------------------------------------------------------

@router.get("/v1/trends", tags=["trends"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": TrendsOut}, **errors_doc(400, 401, 422)})
def trends(api: ApiContext = Depends(get_api),
           window: str = Query("1h", max_length=16, description="One of the setting trends_windows (5m, 1h, 24h)"),
           limit: int = Query(20, ge=1, le=50), lang: str | None = Query(None, max_length=16),
           near: str | None = Query(None, max_length=64, description="LAT,LON,RADIUS_KM: terms bursting there")
           ) -> Response:
    """Terms rising now (event time), strongest first, each with its sparkline."""
    try:
        circle = parse_near(near) if near else None
    except ValueError as e:
        raise ApiError(400, f"near: {e}", "invalid_parameter", "near") from None

    def run() -> Any:
        try:
            found = api.engine.trends(window=window, limit=limit, **({"lang": lang} if lang else {}),
                                      **({"near": circle} if circle else {}))
        except ValueError as e:
            raise ApiError(400, f"window: {e}", "invalid_window", "window") from None
        now = api.engine.now()
        return {"window": window, "stream_now": iso(now) if now else None, "trends": [t.to_dict() for t in found]}

    return json_response(with_partial(api.engine, lambda: _engine_call(run)))


@router.get("/v1/map", tags=["trends"], dependencies=[Depends(require_read)], response_model=None,
            responses={**errors_doc(401, 422)})
def map_points(api: ApiContext = Depends(get_api), events: int = Query(20, ge=0, le=100),
               posts: int = Query(200, ge=0, le=1000)) -> Response:
    """What the page's map shows: recent events at the place most of their posts name, and the
    newest posts with a place (lat/lon in degrees; draw them on /map/world.svg, equirectangular)."""
    def run() -> Any:
        now = api.engine.now()
        return {"stream_now": iso(now) if now else None, **api.engine.map_points(events, posts)}

    return json_response(with_partial(api.engine, lambda: _engine_call(run)))


@router.get("/map/world.svg", tags=["trends"], include_in_schema=False)
def world_map() -> Response:
    """The map's country outlines (Natural Earth 1:110m, vendored): no stream data, no token."""
    return Response(world_svg(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/v1/events", tags=["trends"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": EventsOut}, **errors_doc(400, 401, 422)})
def events(api: ApiContext = Depends(get_api),
           since: str | None = Query(None, max_length=MAX_TIME_CHARS),
           limit: int = Query(20, ge=1, le=1000), lang: str | None = Query(None, max_length=16)) -> Response:
    """Events the stream has raised, newest detection first, with their volume curves."""
    def run() -> Any:
        now = api.engine.now()
        found = api.engine.events(since=when(since, now, "since"), limit=limit, **({"lang": lang} if lang else {}))
        return {"stream_now": iso(now) if now else None, "events": [e.to_dict() for e in found]}

    return json_response(with_partial(api.engine, lambda: _engine_call(run)))


# -- answers -----------------------------------------------------------------------------------

class AnswerAbandoned(Exception):
    """Raised inside an answer's thread once its client has gone: it stops at its next statement."""


def check_composer(api: ApiContext, request: Request, composer: str, param: str = "composer") -> None:
    """Composers that cost CPU or money (`local`, `openai`) need the token unless the setting
    `api_open_composers` opens them."""
    if composer not in api.open_composers:
        api.guard.check(request, write=True, what=f"{param} {composer!r} (it costs CPU or money; the setting "
                                                  "api_open_composers opens it to everyone)")


def admit_compose(api: ApiContext, composer: str) -> tuple[Composer, ComposeTicket]:
    """A place in the compose queue for an answer with `composer`, or a 400 for a composer that
    cannot run, or a 429 when the queue is full: both before a response is under way."""
    try:
        comp = make_composer(composer, api.settings)
    except (ValueError, ComposerError) as e:
        raise ApiError(400, f"composer: {e}", "invalid_composer", "composer") from None
    return comp, api.composes.admit()


async def answer_events(api: ApiContext, question: str, *, since: datetime | None, until: datetime | None,
                        admitted: tuple[Composer, ComposeTicket], lang: str | None = None,
                        missing: dict[int, str] | None = None) -> AsyncIterator[tuple[str, Any]]:
    """Run `Engine.ask` on the thread pool once the compose queue (`admitted`, from
    `admit_compose`) gives its turn; yield ("text", chunk) as checked statements come, then
    ("answer", Answer). A client that leaves stops the thread at its next statement, and its
    place is held until the thread has ended. Over a cluster, `missing` receives the partitions
    that did not answer."""
    comp, ticket = admitted
    loop = asyncio.get_running_loop()
    texts: asyncio.Queue[str] = asyncio.Queue()
    abandoned = threading.Event()

    def on_text(t: str) -> None:
        if abandoned.is_set():
            raise AnswerAbandoned()
        loop.call_soon_threadsafe(texts.put_nowait, t)

    extra = {"lang": lang} if lang else {}
    task: asyncio.Future | None = None
    try:
        await ticket.turn()
        def run() -> Any:
            tracking = getattr(api.engine, "tracking", None)
            if tracking is None or missing is None:
                return api.engine.ask(question, since=since, until=until, composer=comp, on_text=on_text, **extra)
            with tracking() as got:  # the partitions that did not answer: `missing`, for the answer's JSON
                try:
                    return api.engine.ask(question, since=since, until=until, composer=comp, on_text=on_text,
                                          **extra)
                finally:
                    missing.update(got)

        task = asyncio.ensure_future(run_in_threadpool(run))
        while True:
            getter = asyncio.ensure_future(texts.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield "text", getter.result()
                continue
            getter.cancel()
            while not texts.empty():
                yield "text", texts.get_nowait()
            try:
                ans = task.result()
            except ComposerError as e:
                raise ApiError(503, f"composer: {e}", "composer_unavailable", "composer") from None
            except EngineError as e:
                raise ApiError(503, f"engine unavailable: {e}", "unavailable") from None
            yield "answer", ans
            return
    finally:
        release_when_done(task, ticket, abandoned)


def release_when_done(task: asyncio.Future | None, ticket: ComposeTicket,
                      abandoned: threading.Event | None = None) -> None:
    """Hand the compose place back once `task`'s thread has ended (at once if it has, or never
    started); tell the thread to stop early if it can."""
    if task is None or task.done():
        ticket.release()
        return
    if abandoned is not None:
        abandoned.set()

    def done(t: asyncio.Future) -> None:
        if not t.cancelled():
            t.exception()  # retrieved: nobody else will, and it is expected (AnswerAbandoned)
        ticket.release()

    task.add_done_callback(done)


def _sse_error(e: ApiError) -> ServerSentEvent:
    return ServerSentEvent(data=orjson.dumps(error_body(e.status, e.message, e.code, e.param)).decode(), event="error")


@router.post("/v1/ask", tags=["answers"], dependencies=[Depends(require_read)], response_model=None,
             responses={200: {"model": AnswerOut, "content": {"text/event-stream": {}},
                              "description": "With stream=true (the default): server-sent events `text` "
                                             '(`{"text": "..."}`, checked statements as they come), then `answer` '
                                             "(the whole answer with its citations), or `error`"},
                        **errors_doc(400, 401, 422, 429, 503)})
async def ask(body: AskRequest, request: Request, api: ApiContext = Depends(get_api)) -> Response:
    """A cited answer from the stored posts, stamped with the event time of the newest post it
    uses (as `veristream ask`). Unsupported citations are dropped before anything is shown.
    The `local` and `openai` composers need the token (unless `api_open_composers` opens
    them); a full compose queue answers 429 with Retry-After."""
    now = api.engine.now()
    since, until = when(body.since, now, "since"), when(body.until, now, "until")
    check_composer(api, request, body.composer)
    missing: dict[int, str] = {}
    events = answer_events(api, body.question, since=since, until=until, admitted=admit_compose(api, body.composer),
                           lang=body.lang, missing=missing)

    def answer_json(ans: Any) -> dict[str, Any]:
        out = ans.to_dict()
        if missing:
            out["partial"] = api.engine.partial_json(missing)
        return out

    if not body.stream:
        ans = None
        async for kind, v in events:
            if kind == "answer":
                ans = v
        assert ans is not None
        return json_response(answer_json(ans))

    async def sse(stopping: anyio.Event) -> AsyncIterator[ServerSentEvent]:
        try:
            async for kind, v in events:
                if kind == "text":
                    yield ServerSentEvent(data=orjson.dumps({"text": v}).decode(), event="text")
                else:
                    yield ServerSentEvent(data=orjson.dumps(answer_json(v)).decode(), event="answer")
        except ApiError as e:
            yield _sse_error(e)

    return sse_response(sse)


@router.post("/v1/verify", tags=["answers"], dependencies=[Depends(require_read)], response_model=None,
             responses={200: {"description": "The engine's verdict on the claim, with evidence for and against; "
                                             "`recorded`: whether it entered the authors' record"},
                        **errors_doc(400, 401, 422, 429, 503)})
async def verify(body: VerifyRequest, request: Request, api: ApiContext = Depends(get_api)) -> Response:
    """Check a claim against the stream: evidence for and against, and a verdict (`Engine.verify`).
    A decisive verdict enters its authors' record (it weighs on their credibility later) only
    for a request with the token, unless the setting `api_open_verify_record` is on."""
    now = api.engine.now()
    since, until = when(body.since, now, "since"), when(body.until, now, "until")
    record = api.guard.authorised(request) or api.settings.api.open_verify_record
    ticket = api.composes.admit()  # as heavy as an answer: shares its queue
    task: asyncio.Future | None = None
    try:
        await ticket.turn()
        missing: dict[int, str] = {}

        def run() -> Any:
            tracking = getattr(api.engine, "tracking", None)
            if tracking is None:
                return api.engine.verify(body.claim, since=since, until=until, record=record)
            with tracking() as got:
                try:
                    return api.engine.verify(body.claim, since=since, until=until, record=record)
                finally:
                    missing.update(got)

        task = asyncio.ensure_future(run_in_threadpool(run))
        result = await asyncio.shield(task)  # a request cancelled here leaves the thread its place
    except EngineError as e:
        raise ApiError(503, f"engine unavailable: {e}", "unavailable") from None
    finally:
        release_when_done(task, ticket)
    out = jsonable(result)
    out["recorded"] = bool(record and api.settings.verify.record and result.verdict in ("supported", "refuted"))
    if missing:
        out["partial"] = api.engine.partial_json(missing)
    return json_response(out)


# -- sources and the live feed -----------------------------------------------------------------

@router.get("/v1/sources", tags=["sources"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": SourcesOut}, **errors_doc(401)})
def sources(api: ApiContext = Depends(get_api)) -> Response:
    """Status of each live source (connected, last message, lag, reconnects, rejected...) and the
    ingest backlog."""
    runner = api.engine.sources
    if runner is None:
        out: dict[str, Any] = {"running": False, "sources": [], "stored": None, "errors": {}}
    else:
        out = runner.summary()
        out["running"] = runner.running
    out["backlog"] = api.backlog()
    return json_response(out)


@router.get("/v1/stream", tags=["sources"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "Server-sent events: `ready`, then `post` (one stored post, as in "
                                            "search results, plus seq and story) as posts arrive, and `dropped` "
                                            "if this client falls too far behind"},
                       **errors_doc(400, 401, 422, 429, 503)})
async def stream(request: Request, api: ApiContext = Depends(get_api),
                 q: str = Query("", max_length=MAX_QUERY_CHARS, description="Words (ANDed), \"exact phrase\", "
                                "-exclude, #tag, @handle; empty: every post"),
                 author: str | None = Query(None, max_length=MAX_NAME_CHARS),
                 lang: str | None = Query(None, max_length=16),
                 hashtag: str | None = Query(None, max_length=MAX_NAME_CHARS),
                 source: str | None = Query(None, max_length=64),
                 has_media: bool | None = Query(None),
                 recent: int = Query(0, ge=0, le=200, description="First send this many of the newest stored posts "
                                     "that match (oldest first)")) -> Response:
    """The live feed: posts as they are stored, filtered by a query, over server-sent events."""
    if api.engine.readonly:
        raise ApiError(503, "this server's engine is read-only: it has no live feed", "read_only")
    flt = FeedFilter.parse(q, author, lang, hashtag, source, has_media)
    address = api.client_address(request.scope.get("headers", []), request.scope.get("client"))
    api.feed.check_room(address)

    def newest() -> list[dict]:
        try:
            res = api.engine.search(q, author=author, lang=lang, hashtag=hashtag, source=source, has_media=has_media,
                                    order="time", limit=recent, all_posts=True)
        except ValueError:  # a filter the feed reads but the search language does not: no backfill
            return []
        return [hit_json(h) | {"seq": h.seq, "story": h.story.id if h.story else None} for h in reversed(res.hits)]

    async def sse(stopping: anyio.Event) -> AsyncIterator[ServerSentEvent]:
        # Connected here, once the response is under way, so a client gone before it started
        # never stays registered; before the backfill, so no post falls between the two.
        try:
            client = api.feed.connect(flt, address)
        except ApiError as e:
            yield ServerSentEvent(data=orjson.dumps({"message": e.message}).decode(), event="dropped", retry=5000)
            return
        try:
            backfill = await run_in_threadpool(_engine_call, newest) if recent else []
            sent = {d["key"] for d in backfill}
            now = api.engine.now()
            yield ServerSentEvent(data=orjson.dumps({"q": q, "stream_now": iso(now) if now else None}).decode(),
                                  event="ready")
            for d in backfill:
                d.pop("score", None)
                yield ServerSentEvent(data=orjson.dumps(d).decode(), event="post")
            while not stopping.is_set():
                for key, rec in await client.next(FEED_POLL_S):
                    if key in sent:
                        sent.discard(key)
                        continue
                    yield ServerSentEvent(data=rec, event="post")
                if client.dropped is not None:
                    yield ServerSentEvent(data=orjson.dumps({"message": client.dropped}).decode(), event="dropped",
                                          retry=2000)
                    return
        finally:
            api.feed.disconnect(client)

    return sse_response(sse)

