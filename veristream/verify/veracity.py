"""Veracity of a rumour from its source post and the crowd's reactions: true / false / unverified.

RumourEval showed that false rumours draw more denials and questions than true ones; this
model weighs that mix together with what the source post itself says:

1. `text`: the source post's MiniLM vector -> log-probabilities of the three labels, learned
   from PHEME's rumour source posts (trained out-of-fold by event, so the next layer sees
   how it does on events it never saw).
2. `top`: the crowd (mean stance probabilities of the replies and of the direct replies,
   shares and counts of denials, questions and support, how many replies), the source
   post's lexical cues (hedges, questions, links), and layer 1's output -> the label.

`Engine.verify` runs it twice: on the claim with every post about it as a reaction, and on
each key post with its own stored replies (the crowd reactions shown with that post).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import features as F
from .linear import Weights, softmax
from .stance import STANCES, TextEncoder

LABELS = ("true", "false", "unverified")
CROWD_FEATURES = 14
TOP_FEATURES = CROWD_FEATURES + F.N_CUES + len(LABELS)


@dataclass(slots=True)
class Veracity:
    label: str
    confidence: float
    probs: dict[str, float]
    replies: int  # reactions it was judged from
    deny: int  # of those, judged denials
    query: int  # of those, judged questions
    support: int


def crowd(probs: np.ndarray, depths: Sequence[int]) -> np.ndarray:
    """The reaction features of one thread from its replies' stance probabilities (n, 4)."""
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


class VeracityModel:
    def __init__(self, weights: Weights, encoder: TextEncoder):
        self.weights = weights
        self.encoder = encoder
        self._text = weights.layer("text", 384)
        self._top = weights.layer("top", TOP_FEATURES)
        if tuple(weights.classes) != LABELS:
            raise ValueError(f"{weights.path}: veracity classes must be {LABELS}, got {weights.classes}")

    def proba(self, source_vecs: np.ndarray, crowd_feats: np.ndarray, source_cues: np.ndarray) -> np.ndarray:
        if len(source_vecs) == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        return softmax(self._top.logits(np.hstack([crowd_feats, source_cues, self._text.log_proba(source_vecs)])))

    def judge(self, sources: Sequence[str], reactions: Sequence[np.ndarray], depths: Sequence[Sequence[int]],
              vecs: np.ndarray | None = None) -> list[Veracity]:
        """One verdict per source text, from its reactions' stance probabilities (n_i, 4)."""
        if not sources:
            return []
        V = vecs if vecs is not None else self.encoder.encode([s[: F.MAX_CHARS] for s in sources])
        C = np.stack([crowd(r, d) for r, d in zip(reactions, depths)])
        Q = np.stack([F.cues(s) for s in sources])
        out = []
        for row, r in zip(self.proba(V, C, Q), reactions):
            k = int(row.argmax())
            pred = r.argmax(axis=1) if len(r) else np.zeros(0, int)
            out.append(Veracity(LABELS[k], float(row[k]), {lab: float(p) for lab, p in zip(LABELS, row)}, len(r),
                                int((pred == STANCES.index("deny")).sum()), int((pred == STANCES.index("query")).sum()),
                                int((pred == STANCES.index("support")).sum())))
        return out
