"""Rejected input, kept with a reason naming it, so nothing sent to us silently disappears."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from ..model import iso


@dataclass(slots=True)
class Rejection:
    input: str
    line: int
    reason: str


class Quarantine:
    """Rejected input, one JSON line each, so nothing sent to us silently disappears.

    Bounded: past `max_bytes` the file becomes `NAME.1` (replacing the previous one) and a new
    one starts, so a stream of rejects costs at most twice that on disk. Created 0600: rejects
    are posts, and posts may be private."""

    MAX_RAW = 4096

    def __init__(self, path: Path, max_bytes: int = 64 << 20):
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._f = None
        self._size = 0

    def add(self, rej: Rejection, raw: bytes | str) -> None:
        if isinstance(raw, bytes):
            raw = raw[: self.MAX_RAW].decode("utf-8", "backslashreplace")
        rec = {"at": iso(datetime.now().astimezone()), "input": rej.input, "line": rej.line,
               "reason": rej.reason, "raw": raw[: self.MAX_RAW]}
        try:
            line = orjson.dumps(rec)
        except TypeError:  # a lone surrogate in a str (input built in Python, not read off the wire)
            line = orjson.dumps({k: v.encode("utf-8", "backslashreplace").decode() if isinstance(v, str) else v
                                 for k, v in rec.items()})
        line += b"\n"
        with self._lock:
            if self._f is not None and self.max_bytes > 0 and self._size + len(line) > self.max_bytes:
                self._f.close()
                self._f = None
                os.replace(self.path, self.rotated)
            if self._f is None:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                os.fchmod(fd, 0o600)  # one left readable by an older version
                self._size = os.fstat(fd).st_size
                self._f = os.fdopen(fd, "ab")
            self._f.write(line)
            self._f.flush()
            self._size += len(line)

    @property
    def rotated(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    def count(self) -> int:
        """Rejects on disk: the current file and the rotated one."""
        n = 0
        for p in (self.rotated, self.path):
            try:
                with open(p, "rb") as f:
                    n += sum(1 for _ in f)
            except FileNotFoundError:
                pass
        return n

    def close(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.close()
                self._f = None
