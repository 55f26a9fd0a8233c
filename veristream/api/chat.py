"""OpenAI-compatible `/v1/models` and `/v1/chat/completions`: chat tools ask the live index.

The last user message is the question; the model name picks the composer
(`veristream-extractive`, `veristream-local`, and `veristream-openai` when a server is
configured). The reply is `Engine.ask`'s checked answer: its text keeps the [n] markers and
ends with a "Sources" list (so a tool that shows only the text still shows where each
statement comes from), and the citations also come as structured data: `citations` on the
message (on the last chunk when streaming) and on the response.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Request
from sse_starlette import ServerSentEvent
from starlette.responses import Response

from ..answer import Answer
from ..model import iso
from .context import ApiContext
from .auth import require_read
from .errors import ApiError, error_body
from .models import MAX_QUESTION_CHARS, ChatOut, ChatRequest, ModelsOut
from .rest import admit_compose, answer_events, check_composer, errors_doc, get_api, json_response, sse_response

router = APIRouter()

MODELS = {"veristream-extractive": "extractive", "veristream-local": "local", "veristream-openai": "openai"}
CREATED = 1767225600  # 2026-01-01: model "creation" time, fixed so listings are stable


def models_for(api: ApiContext) -> dict[str, str]:
    """Model name -> composer. The OpenAI-backed one only when a server is configured."""
    return {k: v for k, v in MODELS.items() if v != "openai" or api.settings.openai.base_url}


@router.get("/v1/models", tags=["openai"], dependencies=[Depends(require_read)], response_model=None,
            responses={200: {"model": ModelsOut}, **errors_doc(401)})
def list_models(api: ApiContext = Depends(get_api)) -> Response:
    """The composers, as OpenAI models."""
    return json_response({"object": "list", "data": [
        {"id": m, "object": "model", "created": CREATED, "owned_by": "veristream"} for m in models_for(api)]})


def question_of(req: ChatRequest) -> str:
    for i in range(len(req.messages) - 1, -1, -1):
        m = req.messages[i]
        if m.role != "user":
            continue
        c = m.content
        text = c if isinstance(c, str) else " ".join(p.text or "" for p in (c or []) if p.type == "text")
        text = text.strip()
        if not text:
            raise ApiError(400, f"messages[{i}].content: the last user message has no text to answer",
                           "invalid_request", f"messages[{i}].content")
        if len(text) > MAX_QUESTION_CHARS:
            raise ApiError(400, f"messages[{i}].content: the question is {len(text):,} characters; at most "
                                f"{MAX_QUESTION_CHARS:,} are answered", "question_too_long", f"messages[{i}].content")
        return text
    raise ApiError(400, "messages: no user message to answer", "invalid_request", "messages")


def sources_footer(ans: Answer) -> str:
    """The citations as text, for chat tools that show only `content`."""
    if not ans.citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in ans.citations:
        text = " ".join(c.text.split())
        text = text if len(text) <= 140 else text[:139] + "…"
        where = c.url or c.post_id
        lines.append(f"[{c.n}] @{c.author or '?'}, {iso(c.time)}: {text} ({where})")
    if ans.as_of:
        lines.append(f"As of {iso(ans.as_of)} (event time of the newest post used).")
    return "\n".join(lines)


def _meta(ans: Answer) -> dict[str, Any]:
    return {"as_of": iso(ans.as_of) if ans.as_of else None, "composer": ans.composer, "asked": ans.asked,
            "fallback": ans.fallback, "posts_considered": ans.posts_considered,
            "retrieval": ans.retrieval_mode, "stream_now": iso(ans.now) if ans.now else None}


@router.post("/v1/chat/completions", tags=["openai"], dependencies=[Depends(require_read)], response_model=None,
             responses={200: {"model": ChatOut, "content": {"text/event-stream": {}},
                              "description": "A chat completion; with stream=true, chat.completion.chunk events "
                                             "and a final `[DONE]`"},
                        **errors_doc(400, 401, 404, 422, 429, 503)})
async def chat_completions(body: ChatRequest, request: Request, api: ApiContext = Depends(get_api)) -> Response:
    """Answer the last user message from the live index, with citations (OpenAI's chat API).
    The models that cost CPU or money (`veristream-local`, `veristream-openai`) need the token
    unless the setting `api_open_composers` opens their composer."""
    models = models_for(api)
    composer = models.get(body.model)
    if composer is None:
        raise ApiError(404, f"model: unknown model {body.model[:100]!r}; available: {', '.join(models)}",
                       "model_not_found", "model")
    question = question_of(body)
    check_composer(api, request, composer, "model")
    cid = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    events = answer_events(api, question, since=None, until=None, admitted=admit_compose(api, composer))

    if not body.stream:
        ans: Answer | None = None
        async for kind, v in events:
            if kind == "answer":
                ans = v
        assert ans is not None
        content = ans.text + sources_footer(ans)
        cites = [c.to_dict() for c in ans.citations]
        return json_response({
            "id": cid, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "citations": cites},
                         "finish_reason": "stop", "logprobs": None}],
            "usage": _usage(question, content), "citations": cites, "veristream": _meta(ans)})

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> ServerSentEvent:
        d = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": body.model,
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return ServerSentEvent(data=orjson.dumps(d).decode())

    async def sse(stopping: anyio.Event) -> AsyncIterator[ServerSentEvent]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            async for kind, v in events:
                if kind == "text":
                    yield chunk({"content": v})
                    continue
                cites = [c.to_dict() for c in v.citations]
                footer = sources_footer(v)
                if footer:
                    yield chunk({"content": footer})
                yield chunk({"citations": cites}, "stop", citations=cites, veristream=_meta(v))
        except ApiError as e:  # headers are gone: the error travels as a chunk, as OpenAI's do
            yield ServerSentEvent(data=orjson.dumps(error_body(e.status, e.message, e.code, e.param)).decode())
        yield ServerSentEvent(data="[DONE]")

    return sse_response(sse)


def _usage(question: str, content: str) -> dict[str, int]:
    # Words, not model tokens: no tokenizer is involved in an extractive answer.
    p, c = len(question.split()), len(content.split())
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
