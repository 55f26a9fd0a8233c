"""The settings reference (docs/settings.md), written from the sections themselves.

    python -m veristream.settings --markdown > docs/settings.md

tests/test_settings.py checks that the page is what this prints, so it cannot go stale: change a
key's default or help in sections.py, then run the command above.
"""

from __future__ import annotations

from dataclasses import Field
from typing import Any

from .sections import SECTIONS, bounds

_TYPES = {bool: "bool", int: "int", float: "float", str: "string"}

INTRO = """\
# Settings

<!-- Written by `python -m veristream.settings --markdown` from veristream/settings/sections.py:
edit the help there and run it again (tests/test_settings.py fails when this page is stale). -->

Last wins: the defaults below < the settings file (`--config`, else `veristream.toml` in the
data directory) < the environment < a command's options (or the keyword arguments of
`Settings.load`). Unknown keys and values out of bounds stop start-up, naming the file, the
section and the key:

    /srv/veristream/veristream.toml: [api] port: must be within 0..65535, got 70000

**The file** has one table per section (TOML):

```toml
[core]
durability = "os"

[api]
port = 9000
allowed_hosts = ".example.org"

[trends]
windows = "5m,1h"

[sources.news]  # one table per live source (docs/sources.md)
kind = "rss"
feeds = ["https://example.org/feed.xml"]
```

**The environment**: `VERISTREAM_<SECTION>__<KEY>`, two underscores between section and key:
`VERISTREAM_API__PORT=9000`, `VERISTREAM_TRENDS__ENABLED=false` (booleans: true/false, 1/0,
yes/no, on/off). `[sources.*]` are set in the file only.

**Flat names** (before sections, every setting was one flat name, shown in the last column):
in the file a flat key (`api_port = 9000`) still works and is reported once per start as
deprecated (`api_port is deprecated: use [api] port`); a flat key and its section's spelling
of the same setting in one file are an error. In the environment the flat form
(`VERISTREAM_API_PORT`) keeps working. In Python, `settings.api.port` and `settings.api_port`
read the same value; `settings.trends` and `settings.vectors` are their sections, true when
enabled.
"""


SOURCES_ABOUT = """\
One table per live source, run together by `veristream ingest` and `veristream serve`; the table's
name is the source's kind (`bluesky`, `x`, `mastodon`, `rss`, `demo`) unless `kind` says otherwise,
`enabled = false` keeps a table without running it, and the other keys are those of the kind
([sources](sources.md)). Unknown kinds and keys stop start-up like any other setting."""


def _default(v: Any) -> str:
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, str):
        return '`""`' if not v else f'`"{v}"`'
    return f"`{v!r}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _type(f: Field) -> str:
    b = bounds(f)
    return _TYPES[type(f.default)] + (f", {b}" if b else "")


def markdown() -> str:
    """docs/settings.md: the introduction, then a table per section."""
    out = [INTRO.rstrip("\n")]
    for name, cls in SECTIONS.items():
        out += ["", f"## [{name}]", "", cls.about, "",
                "| key | type | default | meaning | flat name |", "|---|---|---|---|---|"]
        for key, f in cls.keys().items():
            out.append(f"| `{key}` | {_cell(_type(f))} | {_cell(_default(f.default))} | {_cell(f.metadata['help'])} "
                       f"| `{cls.flat_name(key)}` |")
    out += ["", "## [sources.NAME]", "", SOURCES_ABOUT, ""]
    return "\n".join(out)
