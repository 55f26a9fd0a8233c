"""The verdict log: what `verify` concluded, so an author's past record can count it.

One JSON line per decisive verdict (supported or refuted) in `verify/verdicts.jsonl` in the
data directory, with the claim (bounded), a hash of its normalised text, and the authors
counted on each side with the post each was counted for. Re-verifying a claim replaces its
earlier verdict (the latest line of a claim hash wins). An author's `refuted_claims` counts
their distinct posts that supported a claim whose latest verdict is refuted, decisively (raw
confidence, how far the weighed sources lean, at least `min_lean`: the calibrated confidence
says how often such verdicts hold on breaking news, not how one-sided the evidence was). It
counts posts, not claim texts: rewording a claim and checking it again finds the same posts
and counts nothing new against their authors (lines written before posts were kept count
once per claim, as they did).

Bounded: once the file passes `max_bytes` (4 MiB), the appender that crossed the line compacts
it: only each claim's latest verdict is kept, and only if it is a decisive refutation (nothing
else is ever counted), newest first, to half the cap; the oldest refutations go first.

Appends of one short line are atomic on local file systems, so several processes (the CLI,
the API) may add to it; an exclusive lock on the file (where the OS has `flock`) keeps an
append from landing in a file being replaced by a compaction. Readers take only the last
`MAX_READ` bytes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson
import xxhash

from ..model import iso
from .base import Verdict

try:
    import fcntl
except ImportError:  # Windows: appends stay atomic; a compaction may lose a racing append
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

MAX_READ = 8 << 20
MAX_BYTES = 4 << 20  # compaction threshold of the file (see the module's docstring)
MAX_AUTHORS = 200  # per side and verdict: a line stays short

# An author counted on a side: their id, with the key of the post they were counted for.
Counted = tuple[str, str]


def claim_hash(claim: str) -> str:
    return xxhash.xxh64_hexdigest(" ".join(claim.lower().split()).encode("utf-8", "surrogatepass"))


class VerdictLog:
    def __init__(self, path: str | Path, min_lean: float = 0.8, max_bytes: int = MAX_BYTES):
        self.path = Path(path)
        self.min_lean = min_lean
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def add(self, v: Verdict, for_authors: Sequence[Counted | str], against_authors: Sequence[Counted | str]) -> None:
        """Remember a decisive verdict and the authors counted on each side, each as
        (author id, post key) (a bare author id is accepted: no post, counted per claim)."""
        if v.verdict not in ("supported", "refuted"):
            return
        fa, fp = _split(for_authors)
        aa, ap = _split(against_authors)
        rec = {"claim_hash": claim_hash(v.claim), "claim": v.claim[:280], "verdict": v.verdict,
               "confidence": round(v.confidence, 4), "raw_confidence": round(v.raw_confidence, 4),
               "as_of": iso(v.as_of) if v.as_of else None, "at": time.time(),
               "for": fa, "for_posts": fp, "against": aa, "against_posts": ap}
        line = orjson.dumps(rec) + b"\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._append(line)
            except OSError as e:  # a read-only data directory: the verdict stands, unrecorded
                log.warning("verdict not recorded in %s: %s", self.path, e)

    def refuted_counts(self, author_ids: Sequence[str], exclude_claim: str | None = None) -> dict[str, int]:
        """For each author: their distinct posts that supported a claim whose latest verdict is
        a decisive refutation. `exclude_claim`: the claim being checked, whose own earlier
        verdict must not weigh on it."""
        want = set(author_ids)
        skip = claim_hash(exclude_claim) if exclude_claim is not None else None
        seen: dict[str, set[str]] = {a: set() for a in want}
        latest = _latest(self._read())
        latest.pop(skip, None)
        for h, rec in latest.items():
            if not self._counts(rec):
                continue
            authors, posts = rec.get("for"), rec.get("for_posts")
            if not isinstance(authors, list):
                continue
            posts = posts if isinstance(posts, list) and len(posts) == len(authors) else None
            for i, a in enumerate(authors):
                if isinstance(a, str) and a in want:
                    unit = posts[i] if posts is not None and isinstance(posts[i], str) else f"claim:{h}"
                    seen[a].add(unit)
        return {a: len(units) for a, units in seen.items()}

    def _counts(self, rec: dict) -> bool:
        try:
            return rec.get("verdict") == "refuted" and float(rec.get("raw_confidence") or 0) >= self.min_lean
        except (TypeError, ValueError):
            return False

    # -- the file ---------------------------------------------------------------------

    def _append(self, line: bytes) -> None:
        for _ in range(5):  # another process may replace the file between open and lock
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    try:
                        if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                            continue  # compacted meanwhile: append to the new file
                    except FileNotFoundError:
                        continue
                os.write(fd, line)
                if os.fstat(fd).st_size > self.max_bytes:
                    self._compact()
                return
            finally:
                os.close(fd)  # releases the lock
        raise OSError(f"{self.path} kept being replaced while appending")

    def _compact(self) -> None:
        """Rewrite the file with what can still count (called holding its lock)."""
        with open(self.path, "rb") as f:
            recs = _parse(f.read().split(b"\n"))
        keep = [(h, rec) for h, rec in _latest(recs).items() if self._counts(rec)]
        keep.sort(key=lambda hr: _at(hr[1]), reverse=True)
        lines: list[bytes] = []
        size = 0
        for _, rec in keep:
            line = orjson.dumps(rec) + b"\n"
            if size + len(line) > self.max_bytes // 2:
                break
            lines.append(line)
            size += len(line)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.writelines(reversed(lines))  # oldest first, as appended: the latest line of a claim wins
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        log.info("verdict log %s compacted: %d verdicts kept", self.path, len(lines))

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
        return _parse(lines)


def _split(counted: Sequence[Counted | str]) -> tuple[list[str], list[str | None]]:
    authors: list[str] = []
    posts: list[str | None] = []
    for c in list(counted)[:MAX_AUTHORS]:
        if isinstance(c, str):
            authors.append(c)
            posts.append(None)
        else:
            authors.append(c[0])
            posts.append(c[1])
    return authors, posts


def _parse(lines: Iterable[bytes]) -> list[dict]:
    out = []
    for ln in lines:
        try:
            d = orjson.loads(ln)
        except orjson.JSONDecodeError:
            continue
        if isinstance(d, dict):
            out.append(d)
    return out


def _latest(recs: list[dict]) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for rec in recs:
        h = rec.get("claim_hash")
        if isinstance(h, str):
            latest.pop(h, None)  # re-inserted: the dict keeps the order of each claim's latest line
            latest[h] = rec
    return latest


def _at(rec: dict) -> float:
    at = rec.get("at")
    return float(at) if isinstance(at, (int, float)) else 0.0
