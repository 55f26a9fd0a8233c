"""Readers: one JSONL line (or decoded message) from any supported service -> `Post`.

`parse_line` raises `BadPost(reason)` for input that cannot be accepted and returns None
for well-formed messages that are not posts to store (Jetstream identity/account events,
other collections, deletes, Mastodon stream notifications, blank lines).
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

from ..model import MAX_LINE_BYTES, BadPost, Post
from . import jetstream, jsonl, mastodon, x
from ._common import tname
from .jetstream import parse_delete

FORMATS = ("auto", "veristream", "x", "jetstream", "mastodon")

_PARSERS: dict[str, Callable[[dict[str, Any], str | None], Post | None]] = {
    "veristream": jsonl.parse,
    "x": x.parse,
    "jetstream": jetstream.parse,
    "mastodon": mastodon.parse,
}

__all__ = ["FORMATS", "BadPost", "detect_format", "parse_delete", "parse_line", "parse_obj"]


def detect_format(obj: dict[str, Any]) -> str:
    data = obj.get("data")
    if type(data) is dict and "id" in data and "text" in data:
        return "x"
    if "kind" in obj and ("commit" in obj or "did" in obj):
        return "jetstream"
    if "content" in obj and "account" in obj:
        return "mastodon"
    if "event" in obj and "payload" in obj:  # Mastodon streaming API envelope
        return "mastodon"
    if "errors" in obj and "id" not in obj and "text" not in obj:  # X stream error message
        return "x"
    return "veristream"


def parse_obj(
    obj: dict[str, Any], fmt: str = "auto", source: str | None = None, *, detect_lang: bool = True
) -> Post | None:
    """`parse_line` for an already decoded message."""
    if type(obj) is not dict:
        raise BadPost(f"not a JSON object (got {_json_type(obj)})")
    if fmt == "auto":
        fmt = detect_format(obj)
    try:
        parser = _PARSERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}") from None
    try:
        post = parser(obj, source)
        if detect_lang and post is not None and post.lang is None and post.text:
            post.lang = _detect(post.text)
    except BadPost:
        raise
    except RecursionError:
        raise BadPost(f"{fmt} message nested too deep") from None
    except Exception as e:  # noqa: BLE001 - the boundary: whatever a message raises is a rejection
        # The readers' helpers name the field for every case they know; this is for a shape
        # nobody foresaw. It must not stop a source or a bulk ingest, so it becomes a reason.
        raise BadPost(f"{fmt} message not understood: {_err(e)}") from None
    return post


def parse_line(
    line: bytes | str, fmt: str = "auto", source: str | None = None, *, detect_lang: bool = True
) -> Post | None:
    """One JSONL line -> Post; None for a message that is not a post to store.

    Raises BadPost(reason) for input that cannot be accepted. When the source gives no
    language, it is detected from the text unless `detect_lang` is False.
    """
    if len(line) > MAX_LINE_BYTES or (
        type(line) is str and len(line) * 4 > MAX_LINE_BYTES and _utf8_len(line) > MAX_LINE_BYTES
    ):
        n = len(line) if type(line) is not str else _utf8_len(line)
        raise BadPost(f"line too long: {n} bytes > {MAX_LINE_BYTES}")
    try:
        # orjson validates UTF-8 itself, so valid lines are decoded only once.
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as e:
        if not line.strip():
            return None  # blank line (e.g. X stream keep-alive, trailing newline)
        raise BadPost(_json_error(line, e)) from None
    if type(obj) is not dict:
        raise BadPost(f"not a JSON object (got {_json_type(obj)})")
    return parse_obj(obj, fmt, source, detect_lang=detect_lang)


def _err(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0][:160] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def _detect(text: str) -> str | None:
    from ..lang import detect_lang  # lazy: the model loads only when a source omits lang

    return detect_lang(text)


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


def _json_error(line: bytes | str, e: orjson.JSONDecodeError) -> str:
    try:
        if isinstance(line, str):
            line.encode("utf-8")
        else:
            bytes(line).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError) as u:
        unit = "char" if isinstance(line, str) else "byte"
        return f"invalid UTF-8 at {unit} {u.start}"
    return f"not JSON: {e.msg} at column {e.colno}"


def _json_type(v: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(v), tname(v)
    )
