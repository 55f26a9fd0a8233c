"""Spans of time as settings write them: '5m,1h,24h' (trend windows)."""

from __future__ import annotations

import re

_SPAN = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_spans(spec: str) -> list[tuple[str, float]]:
    """'5m,1h,24h' -> [('5m', 300.0), ('1h', 3600.0), ('24h', 86400.0)]: comma-separated
    positive spans of s, m, h or d. ValueError names the part that is not one."""
    out = []
    for part in spec.split(","):
        p = "".join(part.split()).lower()
        if not p:
            continue
        m = _SPAN.match(p)
        if m is None or float(m.group(1)) <= 0:
            raise ValueError(f"{part.strip()!r} is not a positive span like 5m, 1h or 24h (s, m, h or d)")
        out.append((p, float(m.group(1)) * _UNITS[m.group(2)]))
    if not out:
        raise ValueError("no spans given (e.g. 5m,1h,24h)")
    return out
