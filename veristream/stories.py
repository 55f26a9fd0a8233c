"""Stories: reposts, quotes that add nothing, and near-duplicate copies grouped into one.

Copies are found with MinHash over word unigrams and bigrams of the normalised text
(lowercased, without URLs, mentions and retweet prefixes), indexed by LSH bands. A post
joins the story of a recent post whose signatures agree on at least `min_agreement` of their
values (an estimate of Jaccard similarity). Exact copies are caught first by a hash of the
normalised text, which also covers posts too short for MinHash to be reliable.

Memory is bounded: signatures live in a ring of the last `window` posts; when a slot is
reused its band entries are removed. Everything is computed for a whole batch at once with
NumPy, so the per-post cost stays a few microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

N_HASHES = 24
BAND_ROWS = 4
N_BANDS = N_HASHES // BAND_ROWS

_RT = re.compile(r"^\s*rt\s+@[\w.\-]+:?\s*", re.IGNORECASE)
_STRIP = re.compile(r"https?://\S+|(?<!\w)@[\w.\-]+|&amp;", re.IGNORECASE)
_TOKEN = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")

_rng = np.random.default_rng(0x5EED)  # fixed: signatures are persisted and must be reproducible
_A = (_rng.integers(1, 2**63, N_HASHES, dtype=np.uint64) | np.uint64(1))
_B = _rng.integers(0, 2**63, N_HASHES, dtype=np.uint64)
_BAND_MIX = _rng.integers(1, 2**63, BAND_ROWS, dtype=np.uint64) | np.uint64(1)
_PAIR = np.uint64(0x9E3779B97F4A7C15)


def normalise(text: str) -> str:
    return " ".join(_STRIP.sub(" ", _RT.sub("", text)).lower().split())


def tokens(norm: str) -> list[str]:
    out: list[str] = []
    for t in _TOKEN.findall(norm):
        if _CJK.search(t) and len(t) > 2:
            # Scripts without spaces: character bigrams stand in for words.
            out.extend(t[i : i + 2] for i in range(len(t) - 1))
        else:
            out.append(t)
    return out


@dataclass(slots=True)
class Fingerprint:
    texthash: int
    sig: bytes  # N_HASHES uint32 values, or b"" when too short
    ntokens: int


def fingerprints(texts: Sequence[str], min_tokens: int) -> list[Fingerprint]:
    """Fingerprints for a batch of texts (vectorised MinHash)."""
    norms = [normalise(t) for t in texts]
    toks = [tokens(n) for n in norms]
    th = [xxhash.xxh3_64_intdigest(n.encode()) for n in norms]
    # Unigram hashes per post, then bigram hashes derived numerically.
    feats: list[np.ndarray] = []
    long_idx = [i for i, t in enumerate(toks) if len(t) >= min_tokens]
    for i in long_idx:
        h = np.fromiter((xxhash.xxh3_64_intdigest(w.encode()) for w in toks[i]), dtype=np.uint64, count=len(toks[i]))
        feats.append(np.concatenate([h, h[:-1] * _PAIR + h[1:]]))
    sigs: dict[int, bytes] = {}
    if feats:
        lens = np.fromiter((len(f) for f in feats), dtype=np.int64, count=len(feats))
        allf = np.concatenate(feats)
        mixed = (allf[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        mins = np.minimum.reduceat(mixed, starts, axis=0).astype(np.uint32)
        for j, i in enumerate(long_idx):
            sigs[i] = mins[j].tobytes()
    return [Fingerprint(th[i], sigs.get(i, b""), len(toks[i])) for i in range(len(texts))]


def _band_keys(sig: np.ndarray) -> list[int]:
    rows = sig.astype(np.uint64).reshape(N_BANDS, BAND_ROWS)
    keys = (rows * _BAND_MIX[None, :]).sum(axis=1, dtype=np.uint64)
    return [int(k) ^ (b << 59) for b, k in enumerate(keys.tolist())]


class StoryIndex:
    """Assigns each new post a story id; owned by the single writer (not thread-safe)."""

    def __init__(self, next_id: int, window: int = 100_000, min_agreement: float = 0.6):
        self.next_id = next_id
        self.window = window
        self.min_agree = int(np.ceil(min_agreement * N_HASHES))
        self._sigs = np.zeros((window, N_HASHES), dtype=np.uint32)
        self._slot_story = np.zeros(window, dtype=np.int64)
        self._slot_bands: list[list[int] | None] = [None] * window
        self._slot_text: list[int | None] = [None] * window
        self._slot_key: list[str | None] = [None] * window
        self._pos = 0
        self._bands: dict[int, int] = {}  # band key -> slot
        self._text: dict[int, int] = {}  # normalised-text hash -> story
        self._key_story: dict[str, int] = {}  # recent post key -> story
        self._pending_ref: dict[str, int] = {}  # key referenced before it arrived -> story

    def _new_story(self) -> int:
        sid = self.next_id
        self.next_id += 1
        return sid

    def story_of_key(self, key: str) -> int | None:
        return self._key_story.get(key)

    def assign(self, key: str, fp: Fingerprint, ref_key: str | None,
               lookup_ref: Callable[[str], int | None]) -> int:
        """Story for a new post. `ref_key`: the post it reposts (or quotes without adding text)."""
        story = None
        if ref_key:
            story = self._key_story.get(ref_key) or lookup_ref(ref_key) or self._pending_ref.get(ref_key)
            if story is None:
                story = self._pending_ref[ref_key] = self._new_story()
                self._bound(self._pending_ref)
        if story is None:
            story = self._pending_ref.pop(key, None)
        if story is None and fp.ntokens:
            story = self._text.get(fp.texthash)
        sig = np.frombuffer(fp.sig, dtype=np.uint32) if fp.sig else None
        bands = _band_keys(sig) if sig is not None else None
        if story is None and bands is not None:
            for b in bands:
                slot = self._bands.get(b)
                if slot is not None and int(np.count_nonzero(self._sigs[slot] == sig)) >= self.min_agree:
                    story = int(self._slot_story[slot])
                    break
        if story is None:
            story = self._new_story()
        self._remember(key, story, fp.texthash if fp.ntokens else None, sig, bands)
        return story

    def load(self, rows: Sequence[tuple[str, int, int, bytes]]) -> None:
        """Rebuild from the store's newest posts: (key, story, texthash, sig), oldest first."""
        for key, story, texthash, sig in rows[-self.window :]:
            s = np.frombuffer(sig, dtype=np.uint32) if sig else None
            self._remember(key, story, texthash, s, _band_keys(s) if s is not None else None)

    def _remember(self, key: str, story: int, texthash: int | None, sig: np.ndarray | None,
                  bands: list[int] | None) -> None:
        p = self._pos
        old = self._slot_bands[p]
        if old:
            for b in old:
                if self._bands.get(b) == p:
                    del self._bands[b]
        old_t = self._slot_text[p]
        if old_t is not None and self._text.get(old_t) == self._slot_story[p]:
            del self._text[old_t]
        old_k = self._slot_key[p]
        if old_k is not None:
            self._key_story.pop(old_k, None)
        self._slot_story[p] = story
        self._slot_key[p] = key
        self._key_story[key] = story
        self._slot_text[p] = texthash
        if texthash is not None:
            self._text[texthash] = story
        self._slot_bands[p] = bands
        if sig is not None and bands is not None:
            self._sigs[p] = sig
            for b in bands:
                self._bands[b] = p
        self._pos = (p + 1) % self.window

    def _bound(self, d: dict) -> None:
        while len(d) > self.window:
            del d[next(iter(d))]
