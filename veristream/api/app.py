"""The HTTP app: `create_app(engine, settings)` puts one Engine behind REST, OpenAI-compatible
endpoints, a live SSE feed and the web page.

Everything goes through the Engine: searches and answers run on the server's thread pool (the
engine's searches are thread-safe), posts sent to the API go through an engine `Pipeline`
(bounded queue, one writer: back-pressure instead of dropped posts), and the live feed
listens to the engine's accepted batches. All state lives in one `ApiContext` per app, kept
in `app.state.api`: several apps (and engines) can live in one process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..engine import Engine, Pipeline
from ..ingest import Accepted
from ..settings import Settings
from ..stories import TokenHasher
from . import errors
from .auth import Guard, load_or_create_token
from .errors import ApiError, BodyTooLarge
from .feed import LiveFeed
from .metrics import ApiMetrics

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_CONCURRENT_ASKS = 4  # answers and claim checks queue beyond this, so searches keep their share of the cores

# Post text is hostile. The page renders it as text; this policy is the second line: no inline
# script, no script or connection to any other origin, no plugins, no framing.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class ApiContext:
    """What the routes share: the engine, settings, token guard, live feed, metrics and the
    pipeline that API ingest goes through."""

    def __init__(self, engine: Engine, settings: Settings, token: str, inline_reads: bool = False):
        self.engine = engine
        self.settings = settings
        self.inline_reads = inline_reads  # searches on the event loop (a reader process), not the pool
        self.guard = Guard(token, settings.api_read_token_required)
        self.feed = LiveFeed()
        self.metrics = ApiMetrics(self)
        self.hasher = TokenHasher()  # for API ingest's fingerprints (memoised token hashes)
        self.asks = asyncio.Semaphore(MAX_CONCURRENT_ASKS)
        self.rejected = 0  # posts rejected by POST /v1/posts
        self.closed = False
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()
        if not engine.readonly:
            engine.subscribe(self._on_accepted)

    def _on_accepted(self, acc: Accepted) -> None:
        # On the engine's writer thread: quick, and never raises into it.
        if self.closed:
            return
        try:
            if acc.items:
                self.metrics.ingested.inc(len(acc.items))
            if acc.updated:
                self.metrics.updated.inc(len(acc.updated))
            self.feed.publish(acc)
        except Exception:  # noqa: BLE001
            errors.log.exception("API listener failed on an accepted batch")

    def pipeline(self) -> Pipeline:
        """The pipeline API ingest goes through (started on first use)."""
        if self.engine.readonly:
            raise ApiError(503, "this server's engine is read-only: it cannot store posts", "read_only")
        with self._lock:
            if self.closed:
                raise ApiError(503, "the server is stopping", "unavailable")
            if self._pipeline is None:
                self._pipeline = self.engine.pipeline()
            return self._pipeline

    def backlog(self) -> int:
        """Posts handed over (API and live sources) and not yet stored."""
        n = self._pipeline.backlog() if self._pipeline is not None else 0
        runner = self.engine.sources
        return n + (runner.backlog() if runner is not None else 0)

    def close(self) -> None:
        """Stop the feed and write what the API queued; the engine stays open (its owner closes it)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            pipe, self._pipeline = self._pipeline, None
        self.feed.close()
        if pipe is not None:
            pipe.close()


def create_app(engine: Engine, settings: Settings | None = None, *, token: str | None = None,
               inline_reads: bool = False) -> FastAPI:
    """The app serving `engine`. `token` defaults to the setting `api_token`, else the token
    kept in (or generated into) the data directory. `inline_reads`: searches, posts and
    stories run on the event loop (for a process that only reads: veristream.api.split)."""
    settings = settings or engine.settings
    if token is None:
        token = load_or_create_token(engine.data_dir, settings).value
    api = ApiContext(engine, settings, token, inline_reads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        api.close()

    from .. import __version__

    app = FastAPI(
        title="veristream", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="Real-time search, trends and cited answers over live social streams. Errors are JSON: "
                    '`{"error": {"message", "type", "code", "param"}}`. Write endpoints need the API token '
                    "(`Authorization: Bearer TOKEN`); read endpoints too when `api_read_token_required` is on.")
    app.state.api = api
    errors.install(app)

    from .chat import router as chat_router
    from .rest import router as rest_router

    app.include_router(rest_router)
    app.include_router(chat_router)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    app.add_middleware(_Timing, api=api)  # type: ignore[arg-type]
    origins = [o.strip() for o in settings.api_cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],  # type: ignore[arg-type]
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(_BodyLimit, limit=int(settings.api_max_body_mb * 1024 * 1024))  # type: ignore[arg-type]
    app.add_middleware(_SecurityHeaders)  # type: ignore[arg-type]
    return app


# -- middleware (plain ASGI: they must not buffer streamed responses) ------------------------

class _SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyLimit:
    """Refuse bodies over the limit: at once from Content-Length, else while they are read."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    await errors.error_response(400, "Content-Length: not a number", "invalid_request",
                                                "Content-Length")(scope, receive, send)
                    return
                if n > self.limit:
                    await errors.error_response(413, f"body: {n:,} bytes is larger than the limit of {self.limit:,} "
                                                     "bytes (setting api_max_body_mb)", "body_too_large",
                                                "body")(scope, receive, send)
                    return
        seen = 0
        limit = self.limit

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


class _Timing:
    """Request latency by route template (bounded label values), to the response's first byte."""

    def __init__(self, app: ASGIApp, api: ApiContext):
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")
                path = getattr(route, "path", None) or "unmatched"
                self.api.metrics.requests.labels(scope["method"], path, str(message["status"])).observe(
                    time.perf_counter() - t0)
            await send(message)

        await self.app(scope, receive, timed)


def jsonable(obj: Any) -> Any:
    """A record from the engine as JSON-ready data: its `to_dict`/`to_json`, else its fields."""
    import dataclasses
    from datetime import datetime

    from ..model import iso

    for name in ("to_dict", "to_json"):
        f = getattr(obj, name, None)
        if callable(f):
            return f()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime):
        return iso(obj)
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [jsonable(v) for v in obj]
    return obj
