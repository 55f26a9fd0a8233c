"""The HTTP app: `create_app(engine, settings)` puts one Engine behind REST, OpenAI-compatible
endpoints, a live SSE feed and the web page.

Everything goes through the Engine: searches and answers run on the server's thread pool (the
engine's searches are thread-safe), posts sent to the API go through an engine `Pipeline`
(bounded queue, one writer: back-pressure instead of dropped posts), and the live feed
listens to the engine's accepted batches. All state lives in one `ApiContext` per app, kept
in `app.state.api`: several apps (and engines) can live in one process.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..engine import Engine
from ..settings import Settings
from . import errors
from .auth import load_or_create_token
from .chat import router as chat_router
from .context import ApiContext
from .middleware import BodyLimit, HostCheck, SecurityHeaders, Timing
from .rest import router as rest_router

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def create_app(engine: Engine, settings: Settings | None = None, *, token: str | None = None,
               inline_reads: bool = False, proxy_secret: str | None = None) -> FastAPI:
    """The app serving `engine`. `token` defaults to the setting `api_token`, else the token
    kept in (or generated into) the data directory. `inline_reads`: searches, posts and
    stories run on the event loop (for a process that only reads: a reader of veristream.serve).
    `proxy_secret`: requests carrying it come from reader processes, which name the client.
    The Host check assumes the server listens on the setting `api_host`."""
    settings = settings or engine.settings
    if token is None:
        token = load_or_create_token(engine.data_dir, settings).value
    api = ApiContext(engine, settings, token, inline_reads, proxy_secret)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        api.close()

    app = FastAPI(
        title="veristream", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
        description="Real-time search, trends and cited answers over live social streams. Errors are JSON: "
                    '`{"error": {"message", "type", "code", "param"}}`. Write endpoints need the API token '
                    "(`Authorization: Bearer TOKEN`); read endpoints too when `api_read_token_required` is on.")
    app.state.api = api
    errors.install(app)

    app.include_router(rest_router)
    app.include_router(chat_router)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    app.add_middleware(Timing, api=api)  # type: ignore[arg-type]
    origins = [o.strip() for o in settings.api.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],  # type: ignore[arg-type]
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    app.add_middleware(BodyLimit, limit=int(settings.api.max_body_mb * 1024 * 1024))  # type: ignore[arg-type]
    app.add_middleware(HostCheck, policy=api.hosts)  # type: ignore[arg-type]
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    return app
