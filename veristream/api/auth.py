"""The API token: write endpoints always need it, read endpoints when the settings say so.

With no `api_token` setting, a token is generated on first start and kept in `api_token` in
the data directory, created readable by its owner only (0600), so whoever can read the data
can also write to it, and nobody else.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..settings import Settings
from .errors import ApiError

TOKEN_FILE = "api_token"

# Declared for the OpenAPI schema (a "bearer" security scheme); checking is done by `Guard`.
bearer_scheme = HTTPBearer(auto_error=False, description="The API token (setting api_token, or the file "
                                                         "api_token in the data directory)")


@dataclass(frozen=True, slots=True)
class ApiToken:
    value: str
    path: Path | None  # where it is kept; None when it comes from the settings
    created: bool  # generated just now: the one time it is shown


def load_or_create_token(data_dir: Path, settings: Settings) -> ApiToken:
    """The token from the settings, else from `DATA_DIR/api_token`, else a new one written there."""
    if settings.api.token:
        return ApiToken(settings.api.token, None, False)
    path = Path(data_dir) / TOKEN_FILE
    try:
        value = path.read_text(encoding="utf-8").strip()
        if value:
            if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                path.chmod(0o600)  # a token others can read protects nothing
            return ApiToken(value, path, False)
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{TOKEN_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)  # never a half-written token
    return ApiToken(value, path, True)


class Guard:
    """Checks `Authorization: Bearer TOKEN` (GET requests may pass `?token=`: a browser's
    EventSource cannot send headers)."""

    def __init__(self, token: str, read_required: bool):
        if not token:
            raise ValueError("the API needs a token")
        self._token = token.encode()
        self.read_required = read_required

    def check(self, request: Request, write: bool, what: str | None = None) -> None:
        """Raise a 401 unless the request carries the token (reads: only when the settings say
        so). `what` names what needs it, in the message."""
        if not write and not self.read_required:
            return
        got = self._given(request)
        what = what or ("writing" if write else "reading (api_read_token_required is on)")
        if not got:
            raise ApiError(401, f"Authorization: this endpoint needs the API token for {what}: send the header "
                                "'Authorization: Bearer TOKEN' (the token is in the file api_token in the data "
                                "directory, or the setting api_token)", "missing_token", "Authorization",
                           {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(got.encode(), self._token):
            raise ApiError(401, f"Authorization: the API token is wrong (it is needed for {what})", "invalid_token",
                           "Authorization", {"WWW-Authenticate": "Bearer"})

    def authorised(self, request: Request) -> bool:
        """Whether the request carries the token: False when it sends none, a 401 when it sends a
        wrong one (a client that meant to be trusted is told, not silently treated as anonymous)."""
        if not self._given(request):
            return False
        self.check(request, write=True)
        return True

    @staticmethod
    def _given(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip() or None
        if request.method == "GET":
            return request.query_params.get("token") or None
        return None


def _guard(request: Request) -> Guard:
    return request.app.state.api.guard


async def require_read(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> None:
    _guard(request).check(request, write=False)


async def require_write(request: Request, _: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> None:
    _guard(request).check(request, write=True)
