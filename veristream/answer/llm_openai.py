"""The OpenAI-compatible composer: any server speaking POST {base_url}/chat/completions with
server-sent events (vLLM, Ollama, llama.cpp's server, llama-cpp-python's, hosted APIs).

Configured by base URL (including the version path, e.g. http://127.0.0.1:8000/v1), model
name and key (setting `openai_api_key`, else env OPENAI_API_KEY). Standard library HTTP only.
The same prompt and the same citation check as the local composer apply.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator

from .base import Composer, ComposerError, Draft, Evidence
from .prompt import build


class OpenAIComposer(Composer):
    name = "openai"

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout_s: float = 60.0,
                 max_tokens: int = 120, temperature: float = 0.0, max_posts: int = 6, max_chars: int = 280):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "")
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.max_posts = max_posts
        self.max_chars = max_chars

    def compose(self, ev: Evidence) -> Draft:
        if not self.base_url:
            raise ComposerError("no server: set openai_base_url (or --base-url), e.g. http://127.0.0.1:8000/v1")
        p = build(ev, self.max_posts, self.max_chars)
        body = {"model": self.model or "default", "messages": p.messages, "stream": True,
                "max_tokens": self.max_tokens, "temperature": self.temperature}
        resp = _post(self.base_url, body, self.api_key, self.timeout_s, stream=True)
        return Draft(p.sources, self._stream(resp), withheld=p.withheld)

    def _stream(self, resp) -> Iterator[str]:
        try:
            with resp:
                if "text/event-stream" not in (resp.headers.get("Content-Type") or ""):
                    yield from _contents(json.loads(resp.read()))  # a server that ignored stream=true
                    return
                for raw in resp:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    yield from _contents(json.loads(data))
        except (OSError, ValueError) as e:
            raise ComposerError(f"{self.base_url}: {e}") from None


def _contents(obj: dict) -> Iterator[str]:
    if not isinstance(obj, dict):
        return
    if obj.get("error"):
        raise ComposerError(f"server error: {obj['error']}")
    for ch in obj.get("choices") or []:
        part = (ch.get("delta") or ch.get("message") or {}).get("content") or ch.get("text")
        if part:
            yield part


def chat(base_url: str, model: str, api_key: str, messages: list[dict[str, str]], *, max_tokens: int = 120,
         temperature: float = 0.0, timeout_s: float = 60.0) -> str:
    """One non-streamed chat completion's text (for short structured replies such as the
    verify judge's); errors are `ComposerError`s naming the server."""
    url = base_url.rstrip("/")
    body = {"model": model or "default", "messages": messages, "stream": False, "max_tokens": max_tokens,
            "temperature": temperature}
    try:
        with _post(url, body, api_key or os.environ.get("OPENAI_API_KEY", ""), timeout_s) as resp:
            obj = json.loads(resp.read(1 << 20))
    except OSError as e:
        raise ComposerError(f"{url}: {e}") from None
    except ValueError as e:
        raise ComposerError(f"{url}: not JSON: {e}") from None
    return "".join(_contents(obj))


def _post(base_url: str, body: dict, api_key: str, timeout_s: float, stream: bool = False):
    """POST {base_url}/chat/completions: the open response, or a `ComposerError` naming the server."""
    headers = {"Content-Type": "application/json"}
    if stream:
        headers["Accept"] = "text/event-stream"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    req = urllib.request.Request(base_url + "/chat/completions", json.dumps(body).encode(), headers, method="POST")
    try:
        return urllib.request.urlopen(req, timeout=timeout_s)  # noqa: S310 (a URL the user configured)
    except urllib.error.HTTPError as e:
        detail = e.read(300).decode("utf-8", "replace").strip()
        raise ComposerError(f"{base_url}: HTTP {e.code} {detail}") from None
    except (urllib.error.URLError, OSError) as e:
        raise ComposerError(f"{base_url}: {getattr(e, 'reason', e)}") from None
