"""Live sources: Bluesky Jetstream, the X filtered stream, Mastodon streaming and RSS/Atom.

Each source reads its service on its own thread, reconnects and resumes by itself, and hands
posts, deletes and resume positions to the engine through one bounded queue (`SourceRunner`).

    from veristream import Engine
    from veristream.sources import JetstreamSource, SourceRunner

    with Engine("data") as eng, SourceRunner(eng, [JetstreamSource()]) as runner:
        ...                       # eng.search(...) at any time; runner.statuses() for status

See README "Live sources" for the command line and the `[sources.*]` settings.
"""

from __future__ import annotations

from .base import Backoff, Sink, Source, SourceError, SourceStatus, reachable
from .config import KINDS, check_sources, make_source, sources_from_settings
from .demo import DemoConfig, DemoSource
from .jetstream import PUBLIC_INSTANCES, JetstreamConfig, JetstreamSource
from .mastodon import MastodonConfig, MastodonSource
from .rss import RSSConfig, RSSSource
from .runner import EngineSink, SourceRunner
from .x import XApiError, XConfig, XRules, XSource

__all__ = [
    "KINDS", "PUBLIC_INSTANCES", "Backoff", "DemoConfig", "DemoSource", "EngineSink", "JetstreamConfig",
    "JetstreamSource", "MastodonConfig", "MastodonSource", "RSSConfig", "RSSSource", "Sink", "Source", "SourceError",
    "SourceRunner", "SourceStatus", "XApiError", "XConfig", "XRules", "XSource", "check_sources",
    "make_source", "reachable", "sources_from_settings",
]
