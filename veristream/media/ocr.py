"""Reading text in an image with tesseract (Debian's `tesseract-ocr`, `-eng`, `-jpn`).

tesseract runs as a child process given the image on stdin (a PNG this module writes from the
decoded, size-checked image: never the fetched bytes themselves), with one OpenMP thread (the
consumer's workers are the parallelism, and ingest keeps its cores) and a timeout after which
it is killed. Its output is cleaned: the spaces tesseract puts between Japanese characters
go, lines are joined, and the text is bounded.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageOps
from wordfreq import zipf_frequency

_CJK = r"\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
# Spaces tesseract puts between Japanese characters (and digits among them) are not words' gaps.
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}0-9])|(?<=[{_CJK}0-9])[ \t]+(?=[{_CJK}])")
_MIN_HEIGHT = 48  # text smaller than this reads poorly: small images are scaled up first


class OcrUnavailable(RuntimeError):
    """tesseract (or a language model asked for) is not installed: OCR is off."""


@dataclass(slots=True)
class Tesseract:
    binary: str
    languages: str  # "eng+jpn"
    timeout_s: float = 30.0

    @classmethod
    def find(cls, languages: str, timeout_s: float = 30.0) -> "Tesseract":
        """The installed tesseract with these language models, or OcrUnavailable saying what is missing."""
        binary = shutil.which("tesseract")
        if binary is None:
            raise OcrUnavailable("tesseract is not installed (Debian: apt-get install tesseract-ocr "
                                 "tesseract-ocr-eng tesseract-ocr-jpn)")
        have = _models(binary)
        want = [x for x in languages.split("+") if x]
        missing = [x for x in want if x not in have]
        if missing:
            pkgs = " ".join(f"tesseract-ocr-{m}" for m in missing)
            raise OcrUnavailable(f"tesseract has no {'+'.join(missing)} model (Debian: apt-get install {pkgs})")
        return cls(binary, "+".join(want), timeout_s)

    def read(self, image: Image.Image) -> str:
        """The text in `image` (already checked for size; decoded here).

        One model per pass: given "eng+jpn" at once, tesseract often reads a Japanese line with
        the Latin model (garbage) or the reverse. So the first model reads first; when its words
        are not confidently read (mean confidence under `CONFIDENT`), each other model reads
        too, primary in its own pass, and the most confident reading is kept."""
        png = _png(prepare(image))
        langs = self.languages.split("+")
        best_text, best_conf = self._run(png, self.languages if len(langs) == 1 else langs[0])
        if best_conf < CONFIDENT or (langs[0] == "eng" and not _mostly_english(best_text)):
            for i, lang in enumerate(langs[1:], 1):
                # The other models as fallbacks behind this one: digits and Latin words in a Japanese sign.
                order = "+".join([lang] + [x for j, x in enumerate(langs) if j != i])
                for psm in ("3", "6"):  # page layout first; a single block when that reads poorly
                    text, conf = self._run(png, order, psm=psm)
                    if conf > best_conf:
                        best_text, best_conf = text, conf
                    if conf >= CONFIDENT:
                        break
        return best_text

    def _run(self, png: bytes, lang: str, psm: str = "3") -> tuple[str, float]:
        """(text, mean word confidence 0..100) of one tesseract pass."""
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            out = subprocess.run([self.binary, "stdin", "stdout", "-l", lang, "--psm", psm, "tsv"],
                                 input=png, capture_output=True, timeout=self.timeout_s, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"tesseract took more than {self.timeout_s:g} s") from None
        if out.returncode != 0:
            raise RuntimeError(f"tesseract failed: {out.stderr.decode('utf-8', 'replace').strip()[:200]}")
        return from_tsv(out.stdout.decode("utf-8", "replace"))


CONFIDENT = 80.0  # mean word confidence (tesseract's 0..100) above which a first reading is kept


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def from_tsv(tsv: str) -> tuple[str, float]:
    """Text (lines as tesseract found them) and mean word confidence from tesseract's TSV."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    confs: list[float] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":  # level 5: a word
            continue
        word = cols[11].strip()
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if not word or conf < 0:
            continue
        confs.append(conf)
        lines.setdefault((cols[2], cols[3], cols[4]), []).append(word)
    text = clean("\n".join(" ".join(ws) for ws in lines.values()))
    return text, (sum(confs) / len(confs) if confs else 0.0)


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _mostly_english(text: str) -> bool:
    """Half its Latin words are English words: the Latin model read real text, not the shapes
    of another script (which it reads as confident nonsense, "A BRERA CH")."""
    words = [w for w in _LATIN_WORD.findall(text) if len(w) >= 3] or _LATIN_WORD.findall(text)
    if not words:
        return not text.strip() or any(c.isdigit() for c in text)
    known = sum(1 for w in words if zipf_frequency(w.lower(), "en") >= 2.5)
    return known * 2 >= len(words)


@lru_cache(maxsize=8)
def _models(binary: str) -> frozenset[str]:
    """The language models an installed tesseract has (asked once per process: every engine
    opened, e.g. in tests, would otherwise start tesseract to ask)."""
    try:
        out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise OcrUnavailable(f"tesseract does not run: {e}") from None
    return frozenset(line.strip() for line in (out.stdout + out.stderr).splitlines()[1:] if line.strip())


def prepare(image: Image.Image) -> Image.Image:
    """Grey, on white, scaled up when small: what tesseract reads best."""
    img = image
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)  # an animated GIF: its first frame
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    img = ImageOps.exif_transpose(img.convert("L")) or img.convert("L")
    if img.height < _MIN_HEIGHT and img.width * 2 * img.height * 2 <= 40_000_000:
        img = img.resize((img.width * 2, img.height * 2), Image.Resampling.LANCZOS)
    return img


def clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\x0c", "\n").splitlines()]
    text = "\n".join(line for line in lines if line)
    return _CJK_GAP.sub("", text)
