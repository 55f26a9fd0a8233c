"""Sources from the settings file (`[sources.NAME]` tables) and from CLI options.

    [sources.bluesky]                 # the table name is the kind, unless `kind` says otherwise
    collections = ["app.bsky.feed.post"]

    [sources.news]
    kind = "rss"
    feeds = ["https://example.org/feed.xml"]
    interval_s = 120

    [sources.mastodon]
    instance = "https://mastodon.social"
    streams = ["public:local", "hashtag:news"]
    enabled = false                   # kept, but not run

Every key is a field of the kind's config dataclass (`JetstreamConfig`, `XConfig`,
`MastodonConfig`, `RSSConfig`); unknown keys fail when the settings load, like every other setting
(`check_sources`, which the settings call).
Tokens are better left to the environment (`X_BEARER_TOKEN`, `MASTODON_TOKEN`).
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from ..settings import SettingsError, register_sources_check
from .base import Source, SourceError
from .demo import DemoConfig, DemoSource
from .jetstream import JetstreamConfig, JetstreamSource
from .mastodon import MastodonConfig, MastodonSource
from .rss import RSSConfig, RSSSource
from .x import XConfig, XSource

KINDS: dict[str, tuple[type, type[Source]]] = {
    "bluesky": (JetstreamConfig, JetstreamSource),
    "x": (XConfig, XSource),
    "mastodon": (MastodonConfig, MastodonSource),
    "rss": (RSSConfig, RSSSource),
    "demo": (DemoConfig, DemoSource),  # the built-in synthetic stream (no network)
}
_META = ("kind", "enabled")
_OFFLINE_CHECK = ("mastodon", "rss")


def kind_of(name: str, table: dict[str, Any]) -> str:
    kind = table.get("kind", name)
    if kind not in KINDS:
        raise SourceError(f"source {name!r}: unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def make_config(kind: str, options: dict[str, Any], where: str) -> Any:
    cls = KINDS[kind][0]
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(options) - set(known) - set(_META))
    if unknown:
        raise SourceError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    cfg = cls()
    for k, v in options.items():
        if k in _META:
            continue
        setattr(cfg, k, _coerce(f"{where}.{k}", v, getattr(cfg, k), known[k]))
    return cfg


def make_source(kind: str, options: dict[str, Any] | None = None, name: str | None = None) -> Source:
    if kind not in KINDS:
        raise SourceError(f"unknown source {kind!r}; expected one of {', '.join(KINDS)}")
    cfg = make_config(kind, options or {}, f"sources.{name or kind}")
    return KINDS[kind][1](cfg, name=name or kind)


def sources_from_settings(table: dict[str, Any], only: list[str] | None = None) -> list[Source]:
    """The enabled `[sources.*]` tables (or just those named in `only`) as sources."""
    out = []
    for name, opts in table.items():
        if only is not None and name not in only:
            continue
        if only is None and not opts.get("enabled", True):
            continue
        out.append(make_source(kind_of(name, opts), opts, name))
    return out


def check_sources(table: dict[str, dict[str, Any]], where: str = "settings") -> None:
    """Validate `[sources.*]` against each kind's keys, without connecting anywhere (tokens may be
    absent here). The settings check the shape (a table of tables, `enabled` true or false) and
    call this on every load: it is registered below."""
    for name, opts in table.items():
        try:
            kind = kind_of(name, opts)
            cfg = make_config(kind, opts, f"sources.{name}")
            if kind in _OFFLINE_CHECK:  # their constructors check values (visibility, bounds) without a token
                KINDS[kind][1](cfg, name=name)
        except SourceError as e:
            raise SettingsError(f"{where}: {e}", "sources", name) from None


register_sources_check(check_sources)


def _coerce(what: str, value: Any, default: Any, f: Any) -> Any:
    if f.default_factory is not MISSING:  # lists and dicts
        proto = f.default_factory()
        if isinstance(proto, list):
            if isinstance(value, str):
                return [value]
            if isinstance(value, list) and all(isinstance(x, str) for x in value):
                return list(value)
            raise SourceError(f"{what} must be a list of strings")
        if isinstance(proto, dict):
            if isinstance(value, dict):
                return {str(k): str(v) for k, v in value.items()}
            raise SourceError(f"{what} must be a table")
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise SourceError(f"{what} must be true or false")
    if isinstance(default, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, int) and isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(default, str) and isinstance(value, str):
        return value
    if default is None and (value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return value
    raise SourceError(f"{what}: {value!r} has the wrong type")
