"""`Settings`: every section in one frozen object, read from defaults, a TOML file, the environment
and keyword overrides (last wins), with the legacy flat names still understood.

    [api]                      # veristream.toml
    port = 9000
    [trends]
    windows = "5m,1h"

    VERISTREAM_API__PORT=9000  # the environment: section and key, joined by two underscores

`settings.api.port` reads a key; so does its legacy flat name, `settings.api_port`, for code
written before the sections (no warning). In a file, a flat key (`api_port = 9000`) still works
and is reported once per load as deprecated; in the environment the flat form
(`VERISTREAM_API_PORT`) keeps working quietly. Unknown keys are an error, as are a flat and a
nested spelling of the same key in one file.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from pathlib import Path
from typing import Any

from .sections import (FLAT, SECTIONS, SOURCES_HELP, APISettings, AskSettings, ClusterSettings, CoreSettings,
                       LLMSettings, MediaSettings, NotesSettings, OpenAISettings, RetentionSettings, SearchSettings, Section, SettingsError,
                       StoriesSettings, TrendsSettings, VectorsSettings, VerifySettings, check_sources_table)

log = logging.getLogger("veristream.settings")

ENV_PREFIX = "VERISTREAM_"

# Where each value was given, for errors: (where, how) as in ("/data/veristream.toml", "api_port").
_Origins = dict[tuple[str, str], tuple[str, str]]


@dataclass(frozen=True, init=False, repr=False)
class Settings:
    """All settings. `Settings()` holds the defaults; `Settings.load(...)` reads them as a command
    does; `dataclasses.replace(settings, api_host="0.0.0.0")` takes flat or section names."""

    # One field per section, held under a private name so that `replace(s, trends=False)` (the
    # legacy flat name of [trends] enabled) changes that key and keeps the rest of [trends].
    _core: CoreSettings
    _search: SearchSettings
    _stories: StoriesSettings
    _retention: RetentionSettings
    _trends: TrendsSettings
    _vectors: VectorsSettings
    _ask: AskSettings
    _llm: LLMSettings
    _openai: OpenAISettings
    _verify: VerifySettings
    _api: APISettings
    _notes: NotesSettings
    _cluster: ClusterSettings
    _media: MediaSettings
    _sources: dict = field(hash=False)

    def __init__(self, **values: Any):
        """Sections by name (an instance or a table of its keys: `api={"port": 0}`), keys by their
        legacy flat name (`api_port=0`), `sources` as a table of tables. Checked as `load` checks."""
        base = {name: values.pop("_" + name) for name in (*SECTIONS, "sources") if "_" + name in values}
        changes, origins = _sort(values, "settings")
        _assemble(self, base, changes, origins)

    @classmethod
    def load(cls, config: str | Path | None = None, data_dir: str | Path | None = None,
             env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults < the TOML file (`config`, else `veristream.toml` in `data_dir`) < the environment
        (`VERISTREAM_SECTION__KEY` or the flat `VERISTREAM_NAME`; `os.environ` unless `env` is given)
        < `overrides` (flat names or sections; None values are left out)."""
        path = Path(config) if config else (Path(data_dir) / "veristream.toml" if data_dir else None)
        if config and not Path(config).is_file():
            raise SettingsError(f"settings file not found: {config}")
        changes: dict[str, dict[str, Any]] = {}
        origins: _Origins = {}
        if path and path.is_file():
            try:
                table = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise SettingsError(f"{path}: not valid TOML: {e}") from None
            _merge(changes, origins, *_sort(table, str(path), deprecate=True))
        _merge(changes, origins, *_from_env(os.environ if env is None else env))
        _merge(changes, origins, *_sort({k: v for k, v in overrides.items() if v is not None}, "settings"))
        s = cls.__new__(cls)
        _assemble(s, {}, changes, origins)
        return s

    # The sections.
    @property
    def core(self) -> CoreSettings:
        return self._core

    @property
    def search(self) -> SearchSettings:
        return self._search

    @property
    def stories(self) -> StoriesSettings:
        return self._stories

    @property
    def retention(self) -> RetentionSettings:
        return self._retention

    @property
    def trends(self) -> TrendsSettings:
        """[trends]; true when enabled, as the legacy flat `trends` was."""
        return self._trends

    @property
    def vectors(self) -> VectorsSettings:
        """[vectors]; true when enabled, as the legacy flat `vectors` was."""
        return self._vectors

    @property
    def ask(self) -> AskSettings:
        return self._ask

    @property
    def llm(self) -> LLMSettings:
        return self._llm

    @property
    def openai(self) -> OpenAISettings:
        return self._openai

    @property
    def verify(self) -> VerifySettings:
        return self._verify

    @property
    def api(self) -> APISettings:
        return self._api

    @property
    def notes(self) -> NotesSettings:
        return self._notes

    @property
    def cluster(self) -> ClusterSettings:
        return self._cluster

    @property
    def media(self) -> MediaSettings:
        return self._media

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        """The [sources.NAME] tables, as written (veristream.sources reads them)."""
        return self._sources

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={getattr(self, '_' + name)!r}" for name in (*SECTIONS, "sources"))
        return f"Settings({parts})"

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str]]:
        """(legacy flat name, default, help) of every key."""
        return [(flat, SECTIONS[sec].keys()[key].default, SECTIONS[sec].keys()[key].metadata["help"])
                for flat, (sec, key) in FLAT.items()] + [("sources", {}, SOURCES_HELP)]


def _flat_property(section: str, key: str) -> property:
    return property(attrgetter(f"_{section}.{key}"), doc=f"[{section}] {key} (legacy flat name)")


# The legacy flat names, read-only like everything else (`trends` and `vectors` are their sections).
for _flat, (_sec, _key) in FLAT.items():
    if not hasattr(Settings, _flat):
        setattr(Settings, _flat, _flat_property(_sec, _key))


def _label(section: str, key: str, how: str) -> str:
    place = f"[{section}] {key}"
    return place if how == place else f"{how} ({place})"


def _sort(table: dict[str, Any], where: str, deprecate: bool = False) -> tuple[dict[str, dict[str, Any]], _Origins]:
    """A TOML document or keyword arguments as {section: {key: value}}, each key's origin beside it."""
    changes: dict[str, dict[str, Any]] = {}
    origins: _Origins = {}
    unknown: list[str] = []
    flat_used: list[str] = []

    def put(section: str, key: str, value: Any, how: str) -> None:
        if key in changes.setdefault(section, {}):
            raise SettingsError(f"{where}: [{section}] {key} is set twice (as {origins[section, key][1]} and {how}); "
                                f"keep [{section}] {key}", section, key)
        changes[section][key] = value
        origins[section, key] = (where, how)

    for name, value in table.items():
        if name == "sources":
            changes["sources"] = {"": value}
            origins["sources", ""] = (where, "sources")
        elif name in SECTIONS and (isinstance(value, (dict, Section)) or name not in FLAT):
            cls = SECTIONS[name]
            if isinstance(value, Section):
                if not isinstance(value, cls):
                    raise SettingsError(f"{where}: {name} must be a {cls.__name__}, got {type(value).__name__}", name)
                value = {f.name: getattr(value, f.name) for f in fields(value)}
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: {name} must be a table: [{name}]", name)
            bad = sorted(set(value) - set(cls.keys()))
            if bad:
                raise SettingsError(f"{where}: [{name}] {', '.join(bad)}: unknown key{'s' * (len(bad) > 1)} "
                                    f"(known: {', '.join(cls.keys())})", name, bad[0])
            for key, v in value.items():
                put(name, key, v, f"[{name}] {key}")
        elif name in FLAT:
            section, key = FLAT[name]
            put(section, key, value, name)
            flat_used.append(name)
        else:
            unknown.append(f"[{name}]" if isinstance(value, dict) else name)
    if unknown:
        raise SettingsError(f"{where}: unknown setting(s): {', '.join(sorted(unknown))}")
    if deprecate and flat_used:
        log.warning("%s: %s", where, "; ".join(f"{n} is deprecated: use [{FLAT[n][0]}] {FLAT[n][1]}"
                                             for n in flat_used))
    return changes, origins


def _from_env(env: Any) -> tuple[dict[str, dict[str, Any]], _Origins]:
    """`VERISTREAM_SECTION__KEY` and the legacy `VERISTREAM_FLAT_NAME` ([sources.*] only in the file)."""
    changes: dict[str, dict[str, Any]] = {}
    origins: _Origins = {}
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX):
            continue
        name = var[len(ENV_PREFIX):].lower()
        if "__" in name:
            section, key = name.split("__", 1)
            if section not in SECTIONS:
                continue
            if key not in SECTIONS[section].keys():
                raise SettingsError(f"environment: {var}: [{section}] {key}: unknown key (known: "
                                    f"{', '.join(SECTIONS[section].keys())})", section, key)
        elif name in FLAT:
            section, key = FLAT[name]
        else:
            continue
        if key in changes.get(section, {}):
            raise SettingsError(f"environment: {origins[section, key][1]} and {var} both set [{section}] {key}; "
                                "keep one", section, key)
        changes.setdefault(section, {})[key] = value
        origins[section, key] = ("environment", var)
    return changes, origins


def _merge(changes: dict[str, dict[str, Any]], origins: _Origins, more: dict[str, dict[str, Any]],
           more_origins: _Origins) -> None:
    for section, kv in more.items():
        changes.setdefault(section, {}).update(kv)
    origins.update(more_origins)


def _assemble(s: Settings, base: dict[str, Any], changes: dict[str, dict[str, Any]], origins: _Origins) -> None:
    """Build each section from `base` (or its defaults) and `changes`; every check runs here."""
    for name, cls in SECTIONS.items():
        start = base.get(name)
        kv = changes.get(name)
        try:
            if start is None:
                sec = cls(**kv) if kv else cls()
            else:
                sec = replace(start, **kv) if kv else start
        except SettingsError as e:
            where, how = origins.get((name, e.key or ""), ("settings", f"[{name}] {e.key}"))
            raise SettingsError(f"{where}: {_label(name, e.key or '', how)}: {e.problem}", name, e.key,
                                e.problem) from None
        object.__setattr__(s, "_" + name, sec)
    if "sources" in changes:
        sources = check_sources_table(changes["sources"][""], origins["sources", ""][0])
    else:
        sources = base.get("sources", {})
    object.__setattr__(s, "_sources", sources)
    if s.verify.judge and not s.openai.base_url:
        where, how = origins.get(("verify", "judge"), ("settings", "[verify] judge"))
        problem = "needs a server: set [openai] base_url too, e.g. http://127.0.0.1:8000/v1"
        raise SettingsError(f"{where}: {_label('verify', 'judge', how)}: {problem}", "verify", "judge", problem)

