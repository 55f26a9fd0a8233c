"""Settings: declared once, in sections (`[core]`, `[api]`, `[trends]`, ..., `[sources.*]`), read
from defaults < a TOML file < the environment < keyword overrides. `settings.api.port` and the
legacy flat `settings.api_port` read the same value.

    sections.py   each section's keys, defaults, help and checks
    settings.py   `Settings`: the sections together, loading, the flat names
    reference.py  docs/settings.md, written from the sections (`python -m veristream.settings --markdown`)
"""

from .sections import (FLAT, SECTIONS, APISettings, AskSettings, ClusterSettings, CoreSettings, LLMSettings, NotesSettings,
                       OpenAISettings, RetentionSettings, SearchSettings, Section, SettingsError, StoriesSettings,
                       TrendsSettings, VectorsSettings, VerifySettings, register_sources_check)
from .settings import Settings

__all__ = ["FLAT", "SECTIONS", "APISettings", "AskSettings", "ClusterSettings", "CoreSettings", "LLMSettings", "NotesSettings",
           "OpenAISettings", "RetentionSettings", "SearchSettings", "Section", "Settings", "SettingsError",
           "StoriesSettings", "TrendsSettings", "VectorsSettings", "VerifySettings", "register_sources_check"]
