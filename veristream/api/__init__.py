"""The HTTP API and the web page: `create_app(engine, settings)` (FastAPI), served by
`veristream serve` (veristream.serve).

Modules: `app` (the app), `context` (what its routes share: `ApiContext`), `middleware` (Host
check, body limits, token gate, security headers, timing), `rest` (REST endpoints), `chat`
(OpenAI-compatible endpoints), `feed` (the live SSE feed), `auth` (the token), `metrics`
(Prometheus), `errors` (JSON errors), `models` (request and response records).
"""

from .app import create_app
from .auth import ApiToken, load_or_create_token
from .context import ApiContext

__all__ = ["ApiContext", "ApiToken", "create_app", "load_or_create_token"]
