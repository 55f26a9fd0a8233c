"""The app's middleware, plain ASGI (they must not buffer streamed responses): security
headers, the Host check, body limits, the token gate of forwarded requests, request timing.
The reader processes of `veristream serve` put the same doors in front of what they forward."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .auth import Guard
from .context import ApiContext, HostPolicy
from .errors import ApiError, BodyTooLarge

# Bodies: up to api_max_body_mb for bulk ingest (which needs the token), this much elsewhere
# (a question, a claim, a chat history), so no open endpoint makes the server buffer and
# parse tens of megabytes for anyone.
BULK_ROUTES = frozenset({("POST", "/v1/posts")})
OTHER_BODY_MAX = 1 << 20
# Requests that need the write token: a forwarded one is checked before its body is read, so a
# client without the token cannot make a reader process buffer api_max_body_mb first.
WRITE_ROUTES = frozenset({("POST", "/v1/posts")})

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


class SecurityHeaders:
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


class HostCheck:
    """A 400 for a Host header the policy refuses, before anything else runs."""

    def __init__(self, app: ASGIApp, policy: HostPolicy):
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), None)
            if not self.policy.allows(host):
                shown = (host or "")[:100]
                await errors.error_response(
                    400, f"Host: this server does not answer to {shown!r} (a guard against DNS rebinding): use "
                         "localhost or the address it listens on, or add the name to the setting api_allowed_hosts",
                    "invalid_host", "Host")(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse bodies over the limit: at once from Content-Length, else while they are read
    (a 413 as JSON whoever reads them: a route, or a reader process's proxy)."""

    def __init__(self, app: ASGIApp, limit: int, other_limit: int = OTHER_BODY_MAX):
        self.app = app
        self.limit = limit  # BULK_ROUTES
        self.other_limit = min(limit, other_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (scope["method"], scope["path"]) in BULK_ROUTES:
            limit, why = self.limit, "setting api_max_body_mb"
        else:
            limit, why = self.other_limit, "for this endpoint; only POST /v1/posts takes more, up to api_max_body_mb"
        for k, v in scope.get("headers", []):
            if k == b"content-length":
                try:
                    n = int(v)
                except ValueError:
                    await errors.error_response(400, "Content-Length: not a number", "invalid_request",
                                                "Content-Length")(scope, receive, send)
                    return
                if n > limit:
                    await errors.error_response(413, f"body: {n:,} bytes is larger than the limit of {limit:,} "
                                                     f"bytes ({why})", "body_too_large", "body")(scope, receive, send)
                    return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit, why)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracked)
        except BodyTooLarge:
            if started:
                raise
            await errors.error_response(413, f"body: larger than the limit of {limit:,} bytes ({why})",
                                        "body_too_large", "body")(scope, receive, send)


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Timing:
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
                # Any token is a method to HTTP: fold the unknown ones, or each makes a new series.
                method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
                self.api.metrics.requests.labels(method, path, str(message["status"])).observe(
                    time.perf_counter() - t0)
            await send(message)

        await self.app(scope, receive, timed)


class TokenGate:
    """The token of a forwarded request, checked before its body is read: write routes always,
    the others (but /healthz) when `api_read_token_required` is on. The app checks again."""

    def __init__(self, app: Callable, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        write = (scope["method"], scope["path"]) in WRITE_ROUTES
        if write or (self.guard.read_required and scope["path"] != "/healthz"):
            try:
                self.guard.check(Request(scope), write=write)
            except ApiError as e:
                await errors.error_response(e.status, e.message, e.code, e.param, e.headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)
