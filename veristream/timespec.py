"""Times a user gives (`--since`, `until=`): an ISO time, or a span back from the stream's now.

Shared by the CLI and the HTTP API, which both turn `TimeSpecError` into their own usage error
(a `click.BadParameter`, a 400) with the same words.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from .model import BadPost, parse_time

_REL = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class TimeSpecError(ValueError):
    """A time that is neither an ISO time nor a span that can be counted back; `what` names the
    parameter (since, until), `message` says what is wrong without naming it."""

    def __init__(self, message: str, what: str):
        super().__init__(message)
        self.message = message
        self.what = what


def parse_when(value: str | None, now: datetime | None, what: str) -> datetime | None:
    """An ISO time, or a span like 30m / 2h / 7d back from `now` (the stream's event-time now;
    the wall clock when the stream is empty). None stays None."""
    if value is None:
        return None
    m = _REL.match(value.strip().lower())
    if m:
        ref = now or datetime.now(timezone.utc)
        try:
            return ref - timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
        except (OverflowError, ValueError):  # 99999999999d: before the first representable date
            raise TimeSpecError(f"{value!r} reaches back past the year 1", what) from None
    try:
        return parse_time(value, what)
    except BadPost as e:
        raise TimeSpecError(f"{e.reason} (use an ISO time like 2013-04-15T18:00Z or a span like 2h)", what) from None
