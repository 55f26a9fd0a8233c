"""A reader process's front: the read endpoints answered by its own app, everything else
forwarded to the writer process and streamed back (veristream.serve.readers)."""

from __future__ import annotations

import anyio
import httpx2
import orjson
from fastapi import FastAPI
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..api import errors
from ..api.context import CLIENT_HEADER, PROXY_HEADER
from ..api.middleware import BodyLimit, HostCheck, TokenGate

# Not forwarded either way: they describe one hop, not the request (RFC 9110 7.6.1).
HOP_HEADERS = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding",
                         b"upgrade", b"host", b"proxy-authenticate", b"proxy-authorization"})
# Answered by a reader from its read-only engine: cheap, frequent, and they only read what the
# writer has committed. Trends and events stay with the writer (it holds the detector's live
# state), the feed needs the writer's accepted batches, answers its embedder.
LOCAL_PREFIXES = ("/v1/search", "/v1/posts/", "/v1/stories/", "/static/")
LOCAL_PATHS = frozenset({"/", "/openapi.json"})


def served_by_reader(method: str, path: str) -> bool:
    """Whether a reader answers this request itself (else it goes to the writer)."""
    if method not in ("GET", "HEAD"):
        return False
    return path in LOCAL_PATHS or path.startswith(LOCAL_PREFIXES)


class WriterProxy:
    """ASGI app forwarding each request to the writer process and streaming its answer back
    (SSE included: each chunk is passed on as it arrives). A client that hangs up ends the
    forwarded request too, so the writer drops e.g. its feed subscription at once."""

    def __init__(self, writer_url: str, proxy_secret: str = ""):
        self.writer_url = writer_url.rstrip("/")
        self.proxy_secret = proxy_secret.encode()
        # httpx2.AsyncClient, made on the reader's event loop at first use; it lives as long as
        # the process (its connections close when the process ends).
        self._client: httpx2.AsyncClient | None = None

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            # No read timeout: a feed may be quiet for long and an answer may take long; the
            # writer's own limits (and the client's) bound them.
            self._client = httpx2.AsyncClient(
                timeout=httpx2.Timeout(None, connect=10.0), trust_env=False,
                limits=httpx2.Limits(max_connections=None, max_keepalive_connections=64))
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        while True:  # bodies are bounded by the BodyLimit in front of this app
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body", False):
                break
        # A client's own x-veristream-* headers are dropped: only this reader names the client.
        headers = [(k, v) for k, v in scope["headers"] if k not in HOP_HEADERS and k not in (CLIENT_HEADER, PROXY_HEADER)]
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", client[0].encode()))
            headers += [(CLIENT_HEADER, client[0].encode()), (PROXY_HEADER, self.proxy_secret)]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            raw_path += b"?" + scope["query_string"]
        http = self._http()
        url = httpx2.URL(self.writer_url).copy_with(raw_path=raw_path)
        body = b"".join(chunks)
        for attempt in (1, 2):
            req = http.build_request(scope["method"], url, headers=headers, content=body)
            try:
                resp = await http.send(req, stream=True)
                break
            except (httpx2.RemoteProtocolError, httpx2.ReadError, httpx2.WriteError) as e:
                # Most likely a kept-alive connection the writer was closing (as it does after an
                # unhandled error), failing before any answer: sent once more rather than failing
                # a request the writer has not seen. Should it have been seen, a second ingest of
                # the same posts stores nothing new and a second answer costs only its time.
                if attempt == 2:
                    await errors.error_response(502, f"the writer process did not answer: {type(e).__name__}",
                                                "unavailable")(scope, receive, send)
                    return
            except httpx2.HTTPError as e:
                await errors.error_response(502, f"the writer process did not answer: {type(e).__name__}",
                                            "unavailable")(scope, receive, send)
                return
        try:
            await send({"type": "http.response.start", "status": resp.status_code,
                        "headers": [(k.lower(), v) for k, v in resp.headers.raw if k.lower() not in HOP_HEADERS]})

            async def pump(cancel: anyio.CancelScope) -> None:
                try:
                    async for chunk in resp.aiter_raw():
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                except httpx2.HTTPError:
                    pass  # the writer went away mid-answer: end what was sent
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                cancel.cancel()

            async def hang_up(cancel: anyio.CancelScope) -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                cancel.cancel()

            async with anyio.create_task_group() as tg:
                tg.start_soon(pump, tg.cancel_scope)
                tg.start_soon(hang_up, tg.cancel_scope)
        finally:
            await resp.aclose()


class SplitApp:
    """A reader's app: the read endpoints from `local` (the usual app on a read-only engine),
    the rest forwarded by `proxy`. Lifespan events go to `local`. On `stats_port` (loopback,
    for the writer only) it answers `GET /metrics` with its request histogram as JSON."""

    def __init__(self, local: FastAPI, proxy: WriterProxy, body_limit: int, stats_port: int):
        self.local = local
        self.proxy = proxy
        api = local.state.api
        # What is forwarded passes the same doors here as in the writer, before its body is read.
        self.forward = HostCheck(TokenGate(BodyLimit(proxy, limit=body_limit), api.guard), api.hosts)
        self.stats_port = stats_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.local(scope, receive, send)
        elif (scope.get("server") or (None, None))[1] == self.stats_port:
            await self._stats(scope, receive, send)
        elif served_by_reader(scope["method"], scope["path"]):
            await self.local(scope, receive, send)
        else:
            await self.forward(scope, receive, send)

    async def _stats(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] != "/metrics":
            await errors.error_response(404, "not found", "not_found")(scope, receive, send)
            return
        body = orjson.dumps(self.local.state.api.metrics.request_samples())
        await Response(body, media_type="application/json")(scope, receive, send)
