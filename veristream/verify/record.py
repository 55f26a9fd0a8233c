"""The verdict log: what `verify` concluded, so an author's past record can count it.

One JSON line per decisive verdict (supported or refuted) in `verify/verdicts.jsonl` in the
data directory, with the claim (bounded), a hash of its normalised text, and the ids of the
authors counted on each side. An author's `refuted_claims` is the number of distinct claims
whose latest verdict is refuted, decisively (raw confidence, how far the weighed sources
lean, at least `min_lean`: the calibrated confidence says how often such verdicts hold on
breaking news, not how one-sided the evidence was), and which they supported;
re-verifying a claim replaces its earlier verdict, so asking twice does not count twice.

Appends of one short line are atomic on local file systems, so several processes (the CLI,
the API) may add to it; readers take only the last `MAX_READ` bytes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson
import xxhash

from ..model import iso
from .base import Verdict

log = logging.getLogger(__name__)

MAX_READ = 8 << 20
MAX_AUTHORS = 200  # per side and verdict: a line stays short


def claim_hash(claim: str) -> str:
    return xxhash.xxh64_hexdigest(" ".join(claim.lower().split()).encode("utf-8", "surrogatepass"))


class VerdictLog:
    def __init__(self, path: str | Path, min_lean: float = 0.8):
        self.path = Path(path)
        self.min_lean = min_lean
        self._lock = threading.Lock()

    def add(self, v: Verdict, for_authors: Sequence[str], against_authors: Sequence[str]) -> None:
        """Remember a decisive verdict and the author ids counted on each side."""
        if v.verdict not in ("supported", "refuted"):
            return
        rec = {"claim_hash": claim_hash(v.claim), "claim": v.claim[:280], "verdict": v.verdict,
               "confidence": round(v.confidence, 4), "raw_confidence": round(v.raw_confidence, 4), "as_of": iso(v.as_of) if v.as_of else None, "at": time.time(),
               "for": list(for_authors)[:MAX_AUTHORS], "against": list(against_authors)[:MAX_AUTHORS]}
        line = orjson.dumps(rec) + b"\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
            except OSError as e:  # a read-only data directory: the verdict stands, unrecorded
                log.warning("verdict not recorded in %s: %s", self.path, e)

    def refuted_counts(self, author_ids: Sequence[str], exclude_claim: str | None = None) -> dict[str, int]:
        """For each author: distinct claims they supported whose latest verdict is refuted.
        `exclude_claim`: the claim being checked, whose own earlier verdict must not weigh on it."""
        want = set(author_ids)
        skip = claim_hash(exclude_claim) if exclude_claim is not None else None
        out = dict.fromkeys(want, 0)
        latest: dict[str, dict] = {}
        for rec in self._read():
            h = rec.get("claim_hash")
            if isinstance(h, str):
                latest[h] = rec
        latest.pop(skip, None)
        for rec in latest.values():
            if rec.get("verdict") != "refuted" or float(rec.get("raw_confidence") or 0) < self.min_lean:
                continue
            for a in set(rec.get("for") or []):
                if a in want:
                    out[a] += 1
        return out

    def _read(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - MAX_READ))
                data = f.read()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")
        if len(data) >= MAX_READ:
            lines = lines[1:]  # the first may be cut
        out = []
        for ln in lines:
            try:
                d = orjson.loads(ln)
            except orjson.JSONDecodeError:
                continue
            if isinstance(d, dict):
                out.append(d)
        return out
