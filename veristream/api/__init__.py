"""The HTTP API and the web page: `create_app(engine, settings)` (FastAPI), run by `veristream serve`.

Modules: `app` (the app and its shared context), `rest` (REST endpoints), `chat`
(OpenAI-compatible endpoints), `feed` (the live SSE feed), `auth` (the token), `metrics`
(Prometheus), `errors` (JSON errors), `models` (request and response records), `server`
(uvicorn, live sources, the terminal).
"""

from .app import ApiContext, create_app
from .auth import ApiToken, load_or_create_token

__all__ = ["ApiContext", "ApiToken", "create_app", "load_or_create_token"]
