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
_TOKEN = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")

_rng = np.random.default_rng(0x5EED)  # fixed: signatures are persisted and must be reproducible
_A = (_rng.integers(1, 2**63, N_HASHES, dtype=np.uint64) | np.uint64(1))
_B = _rng.integers(0, 2**63, N_HASHES, dtype=np.uint64)
_BAND_MIX = _rng.integers(1, 2**63, BAND_ROWS, dtype=np.uint64) | np.uint64(1)
_PAIR = np.uint64(0x9E3779B97F4A7C15)


_PUNCT = bytes(c for c in range(128) if not (chr(c).isalnum() or c == 95))
_ASCII_WORDS = bytes.maketrans(_PUNCT, b" " * len(_PUNCT))


def words(text: str) -> list[bytes] | list[str]:
    """Lowercased word tokens without retweet prefix, URLs and mentions.

    ASCII text (most posts) takes a fast path through bytes.translate; tokens are then bytes,
    which hash exactly like the same str encoded."""
    low = text.lower()
    ws = low.split()
    if ws and ws[0] == "rt" and len(ws) > 1 and ws[1].startswith("@"):
        ws = ws[2:]
    if "http" in low or "@" in low or "&" in low:
        ws = [w for w in ws if not (w.startswith(("http://", "https://", "@")) or (w[0] == "&" and w[-1] == ";"))]
    joined = " ".join(ws)
    if joined.isascii():
        return joined.encode().translate(_ASCII_WORDS).split()
    toks = _TOKEN.findall(joined)
    if not _CJK.search(joined):
        return toks
    out: list[str] = []
    for t in toks:
        if len(t) > 2 and _CJK.search(t):
            # Scripts without spaces: character bigrams stand in for words.
            out.extend(t[i : i + 2] for i in range(len(t) - 1))
        else:
            out.append(t)
    return out


def _join(toks: list[bytes] | list[str]) -> bytes:
    if toks and isinstance(toks[0], str):
        return " ".join(toks).encode()
    return b" ".join(toks)


def normalise(text: str) -> str:
    return _join(words(text)).decode()


@dataclass(slots=True)
class Fingerprint:
    texthash: int
    sig: bytes  # N_HASHES uint32 values, or b"" when too short
    ntokens: int
    bands: list[int] | None = None  # LSH band keys of sig


class TokenHasher:
    """Stable 64-bit token hashes, memoised: stream vocabularies are heavy-tailed, so most
    tokens are seen before. Bounded: the memo is dropped when it grows past `max_size`."""

    def __init__(self, max_size: int = 500_000):
        self._memo: dict[str, int] = {}
        self._max = max_size

    def __call__(self, toks: list) -> list[int]:
        memo = self._memo
        get = memo.get
        out = [get(t) for t in toks]
        if None in out:
            if len(memo) > self._max:
                memo.clear()
            for i, h in enumerate(out):
                if h is None:
                    t = toks[i]
                    h = memo[t] = xxhash.xxh3_64_intdigest(t.encode() if isinstance(t, str) else t)
                    out[i] = h
        return out


def fingerprints(texts: Sequence[str], min_tokens: int, hasher: TokenHasher | None = None) -> list[Fingerprint]:
    """Fingerprints for a batch of texts: MinHash over unigrams and bigrams, vectorised."""
    hasher = hasher or TokenHasher()
    toks = [words(t) for t in texts]
    th = [xxhash.xxh3_64_intdigest(_join(t)) for t in toks]
    long_idx = [i for i, t in enumerate(toks) if len(t) >= min_tokens]
    out = [Fingerprint(th[i], b"", len(toks[i])) for i in range(len(texts))]
    if not long_idx:
        return out
    flat: list[str] = []
    for i in long_idx:
        flat.extend(toks[i])
    uni = np.array(hasher(flat), dtype=np.uint64)
    lens = np.fromiter((len(toks[i]) for i in long_idx), dtype=np.int64, count=len(long_idx))
    starts = np.zeros(len(long_idx), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    # Bigrams of neighbouring tokens. The pair that crosses from a post's last token into the
    # next post is replaced by that last token's unigram hash, which cannot lower the minimum.
    with np.errstate(over="ignore"):
        pairs = uni[:-1] * _PAIR + uni[1:]
        crossing = (starts + lens - 1)[:-1]
        pairs[crossing] = uni[crossing]
        pairs = np.append(pairs, uni[-1])  # keeps reduceat segments aligned with `starts`
        sigs = np.minimum(_minhash(uni, starts), _minhash(pairs, starts)).astype(np.uint32)
    bands = band_keys(sigs)
    for j, i in enumerate(long_idx):
        fp = out[i]
        fp.sig = sigs[j].tobytes()
        fp.bands = bands[j]
    return out


def _minhash(feats: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per-segment minimum of N_HASHES universal hashes ((a·x + b) mod 2^64) >> 32.
    In place: fresh temporaries of this size cost more in page faults than in arithmetic."""
    m = np.empty((len(feats), N_HASHES), dtype=np.uint64)
    np.multiply(feats[:, None], _A[None, :], out=m)
    m += _B[None, :]
    m >>= np.uint64(32)
    return np.minimum.reduceat(m, starts, axis=0)


def band_keys(sigs: np.ndarray) -> list[list[int]]:
    """LSH band keys for signatures (n, N_HASHES) -> n lists of N_BANDS ints."""
    rows = sigs.astype(np.uint64).reshape(len(sigs), N_BANDS, BAND_ROWS)
    with np.errstate(over="ignore"):
        keys = (rows * _BAND_MIX[None, None, :]).sum(axis=2, dtype=np.uint64)
    keys ^= (np.arange(N_BANDS, dtype=np.uint64) << np.uint64(59))[None, :]
    return keys.tolist()


class StoryIndex:
    """Assigns each new post a story id; owned by the single writer (not thread-safe)."""

    def __init__(self, next_id: int, window: int = 100_000, min_agreement: float = 0.6):
        self.next_id = next_id
        self.window = window
        self.min_agree = int(np.ceil(min_agreement * N_HASHES))
        # The ring, as plain lists: a post touches only Python objects here; NumPy compares two
        # signatures only when a band matches (seldom: most posts are unique).
        self._slot_sig: list[bytes] = [b""] * window
        self._slot_story: list[int] = [0] * window
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

    def assign(self, key: str, texthash: int, ntokens: int, sig: bytes, bands: list[int] | None,
               ref_key: str | None, lookup_ref: Callable[[str], int | None]) -> int:
        """Story for a new post. `ref_key`: the post it reposts (or quotes without adding text)."""
        return self.assign_batch([(key, texthash, ntokens, sig, bands, ref_key)],
                                 lambda keys: {k: s for k in keys if (s := lookup_ref(k)) is not None})[0]

    def assign_batch(self, posts: Sequence[tuple[str, int, int, bytes, list[int] | None, str | None]],
                     lookup_refs: Callable[[list[str]], dict[str, int]]) -> list[int]:
        """Stories for a batch of new posts, in order, each (key, texthash, ntokens, sig, bands,
        ref_key): what assigning them one by one gives (a post may join one earlier in the
        batch). `lookup_refs(keys)`: the stored stories of referenced posts no longer in memory,
        asked once for the batch (the store does not change while a batch is assigned)."""
        key_story = self._key_story
        refs = list({p[5] for p in posts if p[5] and p[5] not in key_story})
        found = lookup_refs(refs) if refs else {}
        asked = set(refs)
        pending = self._pending_ref
        text_of = self._text
        band_slot = self._bands
        slot_sig, slot_story, slot_bands = self._slot_sig, self._slot_story, self._slot_bands
        slot_text, slot_key = self._slot_text, self._slot_key
        min_agree, window = self.min_agree, self.window
        frombuffer, count_nonzero, u32 = np.frombuffer, np.count_nonzero, np.uint32
        pos = self._pos
        out: list[int] = []
        for key, texthash, ntokens, sig, bands, ref_key in posts:
            story = None
            if ref_key:
                story = key_story.get(ref_key)
                if not story:
                    # Evicted from the ring during this batch: not asked above, so ask now.
                    story = (found.get(ref_key) if ref_key in asked else lookup_refs([ref_key]).get(ref_key)) \
                        or pending.get(ref_key)
                if story is None:
                    story = pending[ref_key] = self._new_story()
                    self._bound(pending)
            if story is None and pending:
                story = pending.pop(key, None)
            if story is None and ntokens:
                story = text_of.get(texthash)
            if sig and story is None:
                arr = None
                for b in bands:
                    slot = band_slot.get(b)
                    if slot is not None:
                        if arr is None:
                            arr = frombuffer(sig, dtype=u32)
                        if int(count_nonzero(frombuffer(slot_sig[slot], dtype=u32) == arr)) >= min_agree:
                            story = slot_story[slot]
                            break
            if story is None:
                story = self.next_id
                self.next_id += 1
            out.append(story)
            # Remember the post in the ring's next slot, forgetting the one it held.
            old = slot_bands[pos]
            if old:
                for b in old:
                    if band_slot.get(b) == pos:
                        del band_slot[b]
            old_t = slot_text[pos]
            if old_t is not None and text_of.get(old_t) == slot_story[pos]:
                del text_of[old_t]
            old_k = slot_key[pos]
            if old_k is not None:
                key_story.pop(old_k, None)
            slot_story[pos] = story
            slot_key[pos] = key
            key_story[key] = story
            if ntokens:
                slot_text[pos] = texthash
                text_of[texthash] = story
            else:
                slot_text[pos] = None
            if sig and bands is not None:
                slot_bands[pos] = bands
                slot_sig[pos] = sig
                for b in bands:
                    band_slot[b] = pos
            else:
                slot_bands[pos] = None
            pos += 1
            if pos == window:
                pos = 0
        self._pos = pos
        return out

    def load(self, rows: Sequence[tuple[str, int, int, bytes]]) -> None:
        """Rebuild from the store's newest posts: (key, story, texthash, sig), oldest first."""
        rows = rows[-self.window :]
        with_sig = [r[3] for r in rows if r[3]]
        bands = iter(band_keys(np.frombuffer(b"".join(with_sig), dtype=np.uint32).reshape(-1, N_HASHES))
                     if with_sig else [])
        for key, story, texthash, sig in rows:
            b = next(bands) if sig else None
            self._remember(key, story, texthash, sig if sig else None, b)

    def _remember(self, key: str, story: int, texthash: int | None, sig: bytes | None,
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
            self._slot_sig[p] = sig
            for b in bands:
                self._bands[b] = p
        self._pos = (p + 1) % self.window

    def _bound(self, d: dict) -> None:
        while len(d) > self.window:
            del d[next(iter(d))]
