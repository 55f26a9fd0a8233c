"""Errors as JSON, one shape everywhere: `{"error": {"message", "type", "code", "param"}}`.

The shape is OpenAI's, so the OpenAI-compatible endpoints and the REST ones answer alike and
an OpenAI client shows our message. `message` always names the input and what is wrong.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("veristream.api")

TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
         404: "not_found_error", 405: "invalid_request_error", 413: "invalid_request_error",
         415: "invalid_request_error", 422: "invalid_request_error", 429: "rate_limit_error",
         500: "api_error", 501: "not_implemented_error", 503: "service_unavailable_error"}


class ApiError(Exception):
    """An error the client can act on; becomes a JSON response with `status`."""

    def __init__(self, status: int, message: str, code: str = "invalid_request", param: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = headers


class BodyTooLarge(Exception):
    """Raised while reading a request body past `api_max_body_mb`."""

    def __init__(self, limit: int, why: str = "setting api_max_body_mb"):
        super().__init__(f"request body larger than {limit:,} bytes")
        self.limit = limit
        self.why = why


def error_body(status: int, message: str, code: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": TYPES.get(status, "api_error"), "code": code, "param": param}}


def error_response(status: int, message: str, code: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(error_body(status, message, code, param)), status_code=status,
                    media_type="application/json", headers=headers)


def validation_message(errors: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The first validation error as one line naming the input, e.g.
    `query parameter limit: Input should be less than or equal to 1000`."""
    if not errors:
        return "invalid request", None
    e = errors[0]
    loc = [str(x) for x in e.get("loc", ())]
    where, name = (loc[0], ".".join(loc[1:])) if loc else ("request", "")
    msg = str(e.get("msg", "invalid"))
    if e.get("type") == "json_invalid":
        return f"body: not valid JSON ({e.get('ctx', {}).get('error', msg)})", "body"
    labels = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "body field"}
    label = labels.get(where, where)
    if where == "body" and not name:
        return f"body: {msg}", "body"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{label} {name}: {msg}{more}", name or None


def install(app: FastAPI) -> None:
    """Every error the app can raise becomes the JSON shape above."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.message, exc.code, exc.param, exc.headers)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        return error_response(413, f"body: larger than the limit of {exc.limit:,} bytes ({exc.why})",
                              "body_too_large", "body")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        message, param = validation_message(list(exc.errors()))
        return error_response(422, message, "invalid_request", param)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.__cause__, BodyTooLarge):  # FastAPI reads a JSON body for a route: its 400 hides this
            return await _too_large(request, exc.__cause__)
        if exc.status_code == 404:
            message = f"not found: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, message, code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        # uvicorn closes the connection after an unhandled exception, even though this answer
        # has gone out: say so, or a client (a reader's proxy) reuses the connection it is
        # closing and its next request fails (a 502 for somebody else's request).
        return error_response(500, f"internal error: {type(exc).__name__} (logged on the server)", "internal_error",
                              headers={"Connection": "close"})
