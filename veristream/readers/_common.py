"""Validation helpers shared by the readers.

Every helper raises `BadPost` with a one-line reason naming the field, so a reader can
pass wire values straight through them without its own type checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..model import (
    MAX_TEXT_CHARS,
    BadPost,
    Card,
    Media,
    extract_hashtags,
    extract_mentions,
    extract_urls,
    parse_time,
)

_UTC = timezone.utc
_fromiso = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
# The years `parse_time` accepts (1990..2200), as unix microseconds.
_MIN_US = 631_152_000_000_000
_MAX_US = 7_289_654_400_000_000 - 1


def tname(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def short(v: Any, n: int = 40) -> str:
    """A wire value for a message: str() of a deeply nested one would raise RecursionError."""
    if type(v) is str:
        return v[:n]
    if v is None or type(v) in (int, float, bool):
        return str(v)[:n]
    return f"<{tname(v)}>"


def need(obj: dict, key: str, what: str | None = None) -> Any:
    v = obj.get(key)
    if v is None:
        raise BadPost(f"missing field: {what or key}")
    return v


def as_id(v: Any, what: str = "id") -> str:
    """Ids arrive as strings or (X, CrisisLex) integers; both become strings."""
    if type(v) is str:
        if not v:
            raise BadPost(f"{what} is empty")
        return v
    if type(v) is int:
        return str(v)
    raise BadPost(f"{what} is not a string or integer (got {tname(v)})")


def opt_id(v: Any, what: str) -> str | None:
    return None if v is None or v == "" else as_id(v, what)


def opt_str(v: Any, what: str) -> str | None:
    if v is None or type(v) is str:
        return v
    raise BadPost(f"{what} is not a string (got {tname(v)})")


# Counts and ids stored as numbers must fit SQLite's and the index's signed 64 bits (and
# orjson's dumps): a float such as 1e30 passes `is_integer()` and would become a 100-bit int.
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def opt_int(v: Any, what: str) -> int | None:
    if v is None:
        return v
    if type(v) is float and v.is_integer():
        v = int(v)
    if type(v) is not int:
        raise BadPost(f"{what} is not an integer (got {tname(v)})")
    if not INT64_MIN <= v <= INT64_MAX:
        raise BadPost(f"{what} out of range: {str(v)[:30]}")
    return v


def opt_key(v: Any, what: str) -> str | None:
    """A string used as a lookup key (a type, kind or enum value): a list or object there
    would raise TypeError (unhashable) in the lookup, so it is rejected by name."""
    if v is None or type(v) is str:
        return v
    raise BadPost(f"{what} is not a string (got {tname(v)})")


def us_time(v: Any, what: str = "time_us") -> datetime:
    """Unix microseconds -> UTC datetime, within the years any post can have."""
    if type(v) is not int:
        raise BadPost(f"{what} is not an integer (got {tname(v)})")
    if not _MIN_US <= v <= _MAX_US:
        raise BadPost(f"{what} out of range: {str(v)[:30]}")
    return _EPOCH + timedelta(microseconds=v)


def opt_float(v: Any, what: str) -> float | None:
    if v is None or type(v) is float:
        return v
    if type(v) is int:
        return float(v)
    raise BadPost(f"{what} is not a number (got {tname(v)})")


def opt_bool(v: Any, what: str) -> bool:
    if v is None:
        return False
    if type(v) is bool:
        return v
    raise BadPost(f"{what} is not a boolean (got {tname(v)})")


def opt_dict(v: Any, what: str) -> dict | None:
    if v is None or type(v) is dict:
        return v
    raise BadPost(f"{what} is not an object (got {tname(v)})")


def opt_list(v: Any, what: str) -> list:
    if v is None:
        return []
    if type(v) is list:
        return v
    raise BadPost(f"{what} is not a list (got {tname(v)})")


def str_list(v: Any, what: str) -> list[str]:
    items = opt_list(v, what)
    for x in items:
        if type(x) is not str:
            raise BadPost(f"{what} item is not a string (got {tname(x)})")
    return items


def opt_time(v: Any, what: str) -> datetime | None:
    return None if v is None or v == "" else utc_time(v, what)


def utc_time(v: Any, what: str = "created_at") -> datetime:
    """`parse_time` with a fast path for the ISO-8601 UTC strings nearly every source sends."""
    if type(v) is str:
        try:
            dt = _fromiso(v)
        except ValueError:
            return parse_time(v, what)
        if dt.tzinfo is _UTC and 1990 <= dt.year <= 2200:
            return dt
    elif v is None:
        raise BadPost(f"missing field: {what}")
    return parse_time(v, what)


def check_text(v: Any, what: str = "text") -> str:
    if type(v) is not str:
        if v is None:
            raise BadPost(f"missing field: {what}")
        raise BadPost(f"{what} is not a string (got {tname(v)})")
    if len(v) > MAX_TEXT_CHARS:
        raise BadPost(f"{what} too long: {len(v)} chars > {MAX_TEXT_CHARS}")
    return v


def check_not_empty(text: str, media: list[Media], *refs: str | None) -> None:
    """Empty text is only meaningful when the post carries something else to show."""
    if (not text or text.isspace()) and not media and not any(refs):
        raise BadPost("text is empty")


def tags(items: Any, what: str) -> list[str]:
    """Hashtags are stored lowercase without '#'; mentions lowercase without '@'."""
    if type(items) is not list:
        raise BadPost(f"{what} is not a list (got {tname(items)})")
    out: list[str] = []
    for s in items:
        if type(s) is not str:
            raise BadPost(f"{what} item is not a string (got {tname(s)})")
        s = s.lstrip("#@").lower()
        if s and s not in out:
            out.append(s)
    return out


# The extract_* regexes scan every position of the text; skip them when they cannot match.
def find_hashtags(text: str) -> list[str]:
    return extract_hashtags(text) if "#" in text else []


def find_mentions(text: str) -> list[str]:
    return extract_mentions(text) if "@" in text else []


def find_urls(text: str) -> list[str]:
    return extract_urls(text) if "://" in text else []


# Codes that mean "no language" (X: und, zxx, qme, qht, ...; ISO: mul, mis).
_NO_LANG = frozenset({"und", "zxx", "mul", "mis", "art", "xx"})
# Retired ISO 639-1 codes some services still send (X uses "in" and "iw").
_LEGACY = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro"}


def norm_lang(v: Any, what: str = "lang") -> str | None:
    """A language tag ('en', 'pt-BR', 'und') -> lowercase primary subtag, or None."""
    if v is None:
        return None
    if type(v) is not str:
        raise BadPost(f"{what} is not a string (got {tname(v)})")
    if len(v) == 2 and v.islower():  # the common case: already a bare ISO 639-1 code
        return _LEGACY.get(v, v)
    code = v.replace("_", "-").split("-", 1)[0].strip().lower()
    if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()) or code in _NO_LANG:
        return None
    if len(code) == 3 and "qaa" <= code <= "qtz":  # private use: X's qme, qht, qam, qct, qst
        return None
    return _LEGACY.get(code, code)



# Link cards and alt text are the page's or the poster's words, not the service's: bounded
# like any wire string (titles and descriptions are cut, not rejected: a long one is no fault).
MAX_CARD_TITLE = 300
MAX_CARD_DESCRIPTION = 1_000
MAX_CARDS = 4
MAX_ALT_CHARS = 5_000  # Bluesky allows 2,000 graphemes, Mastodon 1,500 characters


def card(url: Any, title: Any, description: Any, what: str) -> Card | None:
    """A link card from wire values (None without an http(s) url)."""
    u = opt_str(url, f"{what}.url")
    if not u or not u.lower().startswith(("http://", "https://")) or len(u) > 4_096:
        return None
    t = opt_str(title, f"{what}.title")
    d = opt_str(description, f"{what}.description")
    return Card(u, t.strip()[:MAX_CARD_TITLE] or None if t else None,
                d.strip()[:MAX_CARD_DESCRIPTION] or None if d else None)


def alt_text(v: Any, what: str) -> str | None:
    a = opt_str(v, what)
    return a[:MAX_ALT_CHARS] if a else None
