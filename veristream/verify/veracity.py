"""Veracity of a rumour from what it says: true / false / unverified, for rumours like ones it learned.

What earns its place on held-out data (docs/verify.md, "Measured"): a logistic regression on
the claim's MiniLM vector (link-free, as the vector index reads posts), learned from PHEME's
and RumourEval's rumour source posts. On rumour threads it never saw, of stories and events
it saw other posts of, it beats the majority class by far; on rumours of events it never saw
it does worse than the majority class, and so does every design tried with the crowd's
reply-stance mix (the reactions carry no usable signal there). So the model also says how
close a claim is to the rumours it learned from (`known`: the estimated cosine to the
nearest training post, from 384-bit sign hashes of their vectors kept in the weights), and
`verify` shows its reading only at `known_min` or above, where it was measured.

`Engine.verify` runs it on the claim and on each key post; the reactions (the posts about the
claim, or a post's own replies) give the counts of denials, questions and support shown with
the reading, judged by the stance model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import features as F
from .linear import Weights, WeightsError, softmax
from .stance import STANCES, TextEncoder

LABELS = ("true", "false", "unverified")
CROWD_FEATURES = 14
HASH_BITS = 384


@dataclass(slots=True)
class Veracity:
    label: str
    confidence: float
    probs: dict[str, float]
    replies: int  # reactions it was judged from
    deny: int  # of those, judged denials
    query: int  # of those, judged questions
    support: int
    known: float = 0.0  # estimated cosine to the nearest rumour the model learned from
    shown: bool = False  # close enough to what it learned for its reading to count (`known_min`)


def crowd(probs: np.ndarray, depths: Sequence[int]) -> np.ndarray:
    """The reaction features of one thread from its replies' stance probabilities (n, 4): the
    crowd design measured against the text model in `eval/truth.py` (not shipped)."""
    n = len(probs)
    if n == 0:
        probs = np.full((1, 4), 0.25, np.float32)
    pred = probs.argmax(axis=1)
    d = np.asarray(depths[: len(probs)] if n else [1])
    direct = probs[d <= 1] if (d <= 1).any() else probs
    cnt = [int((pred == k).sum()) if n else 0 for k in range(4)]
    return np.concatenate([probs.mean(axis=0), [cnt[1] / max(n, 1), cnt[2] / max(n, 1), np.log1p(n) / 4,
                                                np.log1p(cnt[1]) / 3, np.log1p(cnt[2]) / 3, np.log1p(cnt[0]) / 3],
                           direct.mean(axis=0)]).astype(np.float32)


def planes(seed: int, dim: int = 384, bits: int = HASH_BITS) -> np.ndarray:
    """The random hyperplanes of the sign hashes: regenerated from the seed in the weights'
    meta rather than stored (they would be larger than everything else in the file)."""
    return np.random.default_rng(seed).standard_normal((bits, dim)).astype(np.float32)


def sign_hash(vecs: np.ndarray, P: np.ndarray) -> np.ndarray:
    return np.packbits(np.atleast_2d(vecs).astype(np.float32) @ P.T > 0, axis=1)


def hashed_cosine(a: np.ndarray, b: np.ndarray, bits: int = HASH_BITS) -> np.ndarray:
    """(len a, len b) cosines estimated from packed sign hashes: angle = pi * Hamming / bits."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    ham = np.unpackbits(a[:, None, :] ^ b[None, :, :], axis=2).sum(axis=2)
    return np.cos(np.pi * ham / bits).astype(np.float32)


def planes_check(P: np.ndarray) -> float:
    return round(float(np.abs(P[:8, :8]).sum()), 4)


class VeracityModel:
    def __init__(self, weights: Weights, encoder: TextEncoder):
        self.weights = weights
        self.encoder = encoder
        self._text = weights.layer("text", 384)
        if tuple(weights.classes) != LABELS:
            raise ValueError(f"{weights.path}: veracity classes must be {LABELS}, got {weights.classes}")
        meta = weights.meta
        self.known_min = float(meta.get("known_min", 1.01))
        self._known = None
        ly = weights.layers.get("aux.known")
        if ly is not None and "known_seed" in meta:
            self._planes = planes(int(meta["known_seed"]))
            if planes_check(self._planes) != meta.get("known_check"):
                raise WeightsError(f"{weights.path}: this numpy draws other hash planes than the weights were "
                                   f"made with: retrain (veristream train veracity)")
            self._known = ly.W.astype(np.uint8)

    def proba(self, source_vecs: np.ndarray) -> np.ndarray:
        if len(source_vecs) == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        return softmax(self._text.logits(source_vecs))

    def known(self, source_vecs: np.ndarray) -> np.ndarray:
        """Each vector's estimated cosine to the nearest post the model learned from (0 when the
        weights keep no hashes: then nothing counts as known)."""
        if self._known is None or len(source_vecs) == 0:
            return np.zeros(len(source_vecs), np.float32)
        return hashed_cosine(sign_hash(source_vecs, self._planes), self._known).max(axis=1)

    def judge(self, sources: Sequence[str], reactions: Sequence[np.ndarray], depths: Sequence[Sequence[int]],
              vecs: np.ndarray | None = None) -> list[Veracity]:
        """One verdict per source text (`vecs`: its link-free vectors), with the counts of its
        reactions' stances (n_i, 4)."""
        if not sources:
            return []
        V = vecs if vecs is not None else self.encoder.encode([s[: F.MAX_CHARS] for s in sources])
        out = []
        for row, near, r in zip(self.proba(V), self.known(V), reactions):
            k = int(row.argmax())
            pred = r.argmax(axis=1) if len(r) else np.zeros(0, int)
            out.append(Veracity(LABELS[k], float(row[k]), {lab: float(p) for lab, p in zip(LABELS, row)}, len(r),
                                int((pred == STANCES.index("deny")).sum()), int((pred == STANCES.index("query")).sum()),
                                int((pred == STANCES.index("support")).sum()), float(near),
                                bool(near >= self.known_min)))
        return out
