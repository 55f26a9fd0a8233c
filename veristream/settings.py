"""One settings object: defaults declared once, overridden by a TOML file, then by env vars.

Precedence (last wins): defaults < TOML file (`--config`, or `veristream.toml` in the data
directory) < environment (`VERISTREAM_<NAME>`, e.g. `VERISTREAM_HALF_LIFE_S=3600`) <
explicit keyword overrides. Unknown keys fail at start-up rather than being ignored.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    pass


def _s(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    durability: str = _s("fsync", "'fsync': a post is accepted once fsync'd (survives power loss); 'os': once in the OS (survives a process crash)")
    batch_max: int = _s(2000, "most posts written to the store in one transaction")
    batch_delay_ms: float = _s(5.0, "how long the ingest pipeline waits to fill a batch")
    queue_max: int = _s(20000, "bounded ingest queue: producers block (back-pressure) when it is full")
    commit_interval_ms: float = _s(0.0, "least time between index commits (0: after every batch)")
    index_heap_mb: int = _s(64, "tantivy writer memory budget")
    index_threads: int = _s(1, "tantivy indexing threads")
    half_life_s: float = _s(6 * 3600.0, "recency half-life for relevance ranking, in event time")
    recency_weight: float = _s(0.5, "0: pure BM25; 1: score fully decays with age")
    candidates: int = _s(200, "BM25 and newest candidates fetched per query before blending and story grouping")
    dedup_window: int = _s(100_000, "recent posts remembered for near-duplicate (story) detection")
    dedup_min_agreement: float = _s(0.6, "share of MinHash values two posts must share to be copies (~Jaccard)")
    dedup_min_tokens: int = _s(5, "posts with fewer tokens are grouped only by exact normalised text")
    detect_lang: bool = _s(True, "detect the language of posts whose source gives none")
    parse_workers: int = _s(-1, "worker processes parsing bulk input (-1: one per core beyond the first)")

    @classmethod
    def load(cls, config: str | Path | None = None, data_dir: str | Path | None = None,
             env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        values: dict[str, Any] = {}
        path = Path(config) if config else (Path(data_dir) / "veristream.toml" if data_dir else None)
        if config and not Path(config).is_file():
            raise SettingsError(f"settings file not found: {config}")
        if path and path.is_file():
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise SettingsError(f"{path}: not valid TOML: {e}") from None
        env = os.environ if env is None else env
        known = {f.name: f for f in fields(cls)}
        for k, v in env.items():
            if k.startswith("VERISTREAM_") and k[11:].lower() in known:
                values[k[11:].lower()] = v
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls()._with(values, where=str(path) if path else "settings")

    def _with(self, values: dict[str, Any], where: str) -> "Settings":
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise SettingsError(f"{where}: unknown setting(s): {', '.join(unknown)}")
        coerced = {k: _coerce(k, v, type(getattr(self, k))) for k, v in values.items()}
        s = replace(self, **coerced)
        if s.durability not in ("fsync", "os"):
            raise SettingsError(f"durability must be 'fsync' or 'os', got {s.durability!r}")
        return s

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(cls)]


def _coerce(name: str, value: Any, typ: type) -> Any:
    if isinstance(value, typ) and not (typ is int and isinstance(value, bool)):
        return value
    try:
        if typ is bool:
            if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                return value.lower() in ("1", "true", "yes", "on")
            raise ValueError
        if typ is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            return float(value)
        if typ is int and isinstance(value, str):
            return int(value)
        if typ is str and isinstance(value, str):
            return value
    except ValueError:
        pass
    raise SettingsError(f"setting {name} must be {typ.__name__}, got {value!r}")
