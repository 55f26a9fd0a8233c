"""The OpenAI-compatible composer: any server speaking POST {base_url}/chat/completions with
server-sent events (vLLM, Ollama, llama.cpp's server, llama-cpp-python's, hosted APIs).

Configured by base URL (including the version path, e.g. http://127.0.0.1:8000/v1), model
name and key (setting `openai_api_key`, else env OPENAI_API_KEY). Standard library HTTP only.
The same prompt and the same citation check as the local composer apply.

Redirects are not followed: the request carries the API key, and a server (or whoever
answers at its address) must not be able to send it elsewhere; set `openai_base_url` to the
final address. Errors are this module's own words (HTTP status, unreachable, broke off): an
answer's `fallback` reaches anonymous API clients, so what the upstream server said (its
error body, which may quote the request or the key's account) is only logged, here.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from .base import Composer, ComposerError, Draft, Evidence
from .prompt import build

log = logging.getLogger(__name__)
SERVER = "the composer's server (openai_base_url)"


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
                    yield from _contents(json.loads(resp.read(4 << 20)))  # a server that ignored stream=true
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
            log.warning("openai composer: the answer from %s broke off: %s", self.base_url, e)
            raise ComposerError(f"{SERVER}: the answer broke off") from None


def _contents(obj: Any) -> Iterator[str]:
    if not isinstance(obj, dict):
        return
    if obj.get("error"):
        log.warning("openai composer: the server reported an error: %.2000s", obj["error"])
        raise ComposerError(f"{SERVER} reported an error")
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
        log.warning("openai composer: reading the answer from %s failed: %s", url, e)
        raise ComposerError(f"{SERVER}: the answer broke off") from None
    except ValueError as e:
        log.warning("openai composer: the answer from %s is not JSON: %s", url, e)
        raise ComposerError(f"{SERVER}: the answer is not JSON") from None
    return "".join(_contents(obj))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: the 3xx becomes an HTTPError (the request carries the API key)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None


def _post(base_url: str, body: dict, api_key: str, timeout_s: float, stream: bool = False):
    """POST {base_url}/chat/completions: the open response, or a `ComposerError` naming the server."""
    headers = {"Content-Type": "application/json"}
    if stream:
        headers["Accept"] = "text/event-stream"
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    req = urllib.request.Request(base_url + "/chat/completions", json.dumps(body).encode(), headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        return opener.open(req, timeout=timeout_s)  # noqa: S310 (a URL the user configured)
    except urllib.error.HTTPError as e:
        try:
            detail = e.read(2000).decode("utf-8", "replace").strip()
        except OSError:
            detail = ""
        finally:
            e.close()
        if 300 <= e.code < 400:
            log.warning("openai composer: %s redirected (HTTP %d) to %s; not followed", base_url, e.code,
                        e.headers.get("Location"))
            raise ComposerError(f"{SERVER} redirected (HTTP {e.code}): redirects are not followed, "
                                "set openai_base_url to the final address") from None
        log.warning("openai composer: %s answered HTTP %d: %s", base_url, e.code, detail)
        why = " (check openai_api_key)" if e.code in (401, 403) else ""
        raise ComposerError(f"{SERVER} answered HTTP {e.code}{why}") from None
    except (urllib.error.URLError, OSError) as e:
        log.warning("openai composer: %s cannot be reached: %s", base_url, getattr(e, "reason", e))
        raise ComposerError(f"{SERVER} cannot be reached") from None
