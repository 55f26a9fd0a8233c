"""What one data directory holds and how it is doing: the figures behind `veristream stats`.

`compute(core, sources, embedding)` gathers one `Stats` record; `Stats.to_dict()` is the JSON (`--json`) and
`Stats.lines()` the text, so both show the same figures. Works on a read-only engine beside
a running writer: counts come from one store snapshot, the language mix from the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .core.engine import Core
from .core.layout import DataDir, dir_size
from .model import from_us, iso
from .core.retention import Retention

RATE_WINDOW_S = 60.0


@dataclass(slots=True)
class Stats:
    data_dir: str
    posts: int
    stories: int  # distinct stories among the posts kept
    story_summaries: int  # stories of 2+ posts with a summary row (kept after their posts expire)
    summaries_without_posts: int  # of those, stories whose posts have all expired
    authors: int  # distinct authors among the posts kept
    oldest: datetime | None  # created_at of the oldest post kept
    newest: datetime | None
    index_docs: int  # documents in the lexical index (equals `posts` once the index is current)
    disk: dict[str, int]  # bytes: store, index, vectors (if any), quarantine, total (whole directory)
    ingest_rate: float  # new posts stored per second over the last minute (wall clock)
    sources: list[dict[str, Any]] | None  # live sources of this process: name, state, lag_s...
    embedding_lag: dict[str, Any] | None  # posts not yet embedded, event-time seconds behind; None: no vectors
    quarantined: int  # rejected input lines kept in quarantine.jsonl
    retention: dict[str, Any]
    expiry: dict[str, Any] | None  # what this process's expiry has done (a writing engine only)
    languages: dict[str, int]  # posts per language, most first; "" for unknown
    media: dict[str, Any] | None = None  # reading posts' images (MediaStatus): posts behind, lag, failures
    trends: dict[str, Any] | None = None  # trend detection (TrendsStatus): posts behind, event-time lag
    cold_index: dict[str, Any] | None = None  # the cold index's process: posts not committed there yet, restarts

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__}
        d["oldest"] = iso(self.oldest) if self.oldest else None
        d["newest"] = iso(self.newest) if self.newest else None
        d["ingest_rate"] = round(self.ingest_rate, 1)
        return d

    def lines(self) -> list[str]:
        span = f" ({iso(self.oldest)} .. {iso(self.newest)})" if self.oldest and self.newest else ""
        gone = f", {self.summaries_without_posts:,} of them with every post expired" if self.summaries_without_posts else ""
        out = [
            f"data dir     {self.data_dir}",
            f"posts        {self.posts:,}{span}",
            f"stories      {self.stories:,} ({self.story_summaries:,} summaries of 2+ posts{gone})",
            f"authors      {self.authors:,}",
            f"ingest rate  {self.ingest_rate:,.0f} posts/s (last minute)",
            "disk         " + " · ".join(f"{k} {human_bytes(v)}" for k, v in self.disk.items()),
            f"quarantine   {self.quarantined:,} rejected lines",
            f"index        {self.index_docs:,} documents",
        ]
        if self.embedding_lag is not None:
            e = self.embedding_lag
            secs = f", {e['seconds']:.1f}s of event time" if e.get("seconds") is not None else ""
            out.append(f"embedding    {e['posts']:,} posts behind{secs} ({e['state']})")
        r = Retention(**{k: v for k, v in self.retention.items() if k != "in_force"})
        out.append(f"retention    {r.describe()}")
        if self.expiry is not None:
            e = self.expiry
            out.append(f"expired      {e['expired']:,} posts in {e['runs']:,} runs (this process), "
                       f"longest write-lock hold {e['longest_hold_ms']:.0f} ms")
        if self.trends is not None and self.trends.get("state") not in ("off", "stored"):
            t = self.trends
            secs = f", {t['lag_s']:.1f}s of event time" if t.get("lag_s") is not None else ""
            out.append(f"trends       {t['posts_behind']:,} posts behind{secs} ({t['state']})")
        if self.cold_index is not None:
            c = self.cold_index
            state = f"failed: {c['error']}" if c.get("error") else "running" if c.get("pid") else "idle"
            out.append(f"cold index   {c['posts_behind']:,} posts not committed yet (searchable in the hot index; "
                       f"{state}, {c['restarts']} restarts)")
        if self.media is not None:
            m = self.media
            if not m.get("enabled"):
                out.append(f"media        off{': ' + m['notice'] if m.get('notice') else ''}")
            else:
                secs = f", {m['lag_s']:.1f}s of event time" if m.get("lag_s") is not None else ""
                failed = sum((m.get("failed") or {}).values())
                counts = "" if m["state"] == "read-only" else f" · {m['images']:,} images read · {failed:,} failed"
                # (a read-only process sees the writer's checkpoint, not its counts)
                out.append(f"media        {m['pending']:,} posts behind{secs} ({m['state']}){counts}")
        if self.languages:
            total = sum(self.languages.values()) or 1
            mix = [f"{k or '?'} {100 * v / total:.1f}%" for k, v in list(self.languages.items())[:12]]
            rest = len(self.languages) - 12
            out.append("languages    " + " · ".join(mix) + (f" · {rest} more" if rest > 0 else ""))
        for s in self.sources or []:
            lag = f"lag {s['lag_s']:.1f}s" if s.get("lag_s") is not None else "lag -"
            out.append(f"source       {s['name']}: {s.get('state', '?')} · {lag} · {s.get('accepted', 0):,} posts")
        return out


def compute(core: Core, sources: list[Any] | None = None, embedding: Any = None) -> Stats:
    """`sources`: the live sources' statuses (`SourceStatus`), if any run; `embedding`: the
    vectors' `EmbedStatus`, if vectors are on."""
    store, index = core.store, core.index
    core.refresh()  # read-only: another process writes; its latest commit
    f = store.figures()
    langs = index.term_counts("lang")
    docs = index.num_docs()
    unknown = docs - sum(langs.values())
    if unknown > 0:
        langs[""] = unknown
    listed = None if sources is None else [
        {"name": s.name, "kind": s.kind, "state": s.state, "lag_s": s.lag_s, "accepted": s.accepted,
         "blocked_s": s.blocked_s} for s in sources]
    lag = None
    if embedding is not None:
        lag = {"posts": embedding.pending, "seconds": embedding.lag_s, "state": embedding.state}
    expiry = core.expiry_totals()
    return Stats(
        data_dir=str(core.data_dir), posts=f["posts"], stories=f["stories"], story_summaries=f["story_summaries"],
        summaries_without_posts=f["summaries_without_posts"], authors=f["authors"],
        oldest=from_us(f["oldest_us"]) if f["oldest_us"] is not None else None,
        newest=from_us(f["newest_us"]) if f["newest_us"] is not None else None,
        index_docs=docs, disk=disk_usage(core.data_dir), ingest_rate=store.ingest_rate(RATE_WINDOW_S),
        sources=listed, embedding_lag=lag, quarantined=core.quarantine.count(),
        retention=core.retention.to_dict(), expiry=expiry.to_dict() if expiry is not None else None,
        languages=dict(sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))),
        cold_index=core.cold_index_status(),
    )


def disk_usage(data_dir: Path) -> dict[str, int]:
    """Bytes on disk by part: store (with its WAL), index, vectors, quarantine, total."""
    d = DataDir(data_dir)
    out = {"store": sum(_size(p) for p in d.store_files), "index": dir_size(d.index)}
    if d.vectors.is_dir():
        out["vectors"] = dir_size(d.vectors)
    out["quarantine"] = _size(d.quarantine)
    out["total"] = dir_size(d.root)
    return out


def _size(p: Path) -> int:
    try:
        return p.stat().st_size if p.is_file() else 0
    except (FileNotFoundError, NotADirectoryError):  # removed meanwhile (merges, checkpoints)
        return 0


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"
