"""Claim against evidence: does a text SUPPORT or REFUTE a claim, or not say (NOT_ENOUGH_INFO)?

Learned from Climate-FEVER's claim-evidence pairs (`pair` layer: [u, |u - v|, u * v, cos]
of the evidence u and claim v, lexical cues of both, word overlap). A claim's label follows
from its evidence by Climate-FEVER's rule (`aggregate`): support and refutation both present
-> DISPUTED, else SUPPORTS, else REFUTES, else NOT_ENOUGH_INFO. An evidence text counts as
support or refutation when its probability reaches the thresholds tuned in training
(`meta.support_threshold`, `meta.refute_threshold`), not merely when it is the argmax:
most evidence says nothing either way, and calling too much of it support or refutation
turns every claim DISPUTED.

In `veristream verify` it is the second opinion on each post (the post as evidence for the
user's claim), beside the stance model trained on replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import features as F
from .datasets import claim_label_from_evidence
from .linear import Weights, softmax
from .stance import TextEncoder, encode_unique

LABELS = ("SUPPORTS", "REFUTES", "NOT_ENOUGH_INFO")
PAIR_FEATURES = 3 * 384 + 1 + 2 * F.N_CUES + 1


@dataclass(slots=True)
class Judgement:
    label: str  # SUPPORTS | REFUTES | NOT_ENOUGH_INFO, by the thresholds
    confidence: float  # probability of that label
    probs: dict[str, float]


def pair_features(enc: TextEncoder, claims: Sequence[str], evidences: Sequence[str]) -> np.ndarray:
    n = len(claims)
    V = encode_unique(enc, list(evidences) + list(claims))
    U, C = V[:n], V[n:]
    out = np.zeros((n, PAIR_FEATURES), np.float32)
    for i in range(n):
        out[i] = np.concatenate([F.pair(U[i], C[i])[0], F.cues(evidences[i]), F.cues(claims[i]),
                                 [F.overlap(evidences[i], claims[i])]])
    return out


def label_of(p: np.ndarray, support_threshold: float, refute_threshold: float) -> str:
    if p[0] >= support_threshold and p[0] >= p[1]:
        return "SUPPORTS"
    if p[1] >= refute_threshold:
        return "REFUTES"
    if p[0] >= support_threshold:
        return "SUPPORTS"
    return "NOT_ENOUGH_INFO"


def aggregate(evidence_labels: Sequence[str]) -> str:
    return claim_label_from_evidence(list(evidence_labels))


class ClaimModel:
    def __init__(self, weights: Weights, encoder: TextEncoder):
        self.weights = weights
        self.encoder = encoder
        self._pair = weights.layer("pair", PAIR_FEATURES)
        if tuple(weights.classes) != LABELS:
            raise ValueError(f"{weights.path}: claim classes must be {LABELS}, got {weights.classes}")
        self.support_threshold = float(weights.meta.get("support_threshold", 0.5))
        self.refute_threshold = float(weights.meta.get("refute_threshold", 0.5))

    def proba(self, X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        return softmax(self._pair.logits(X))

    def judge(self, claims: Sequence[str], evidences: Sequence[str], encoder: TextEncoder | None = None) -> list[Judgement]:
        """`encoder`: another source of the same vectors (e.g. one that remembers them)."""
        if not claims:
            return []
        out = []
        for row in self.proba(pair_features(encoder or self.encoder, claims, evidences)):
            lab = label_of(row, self.support_threshold, self.refute_threshold)
            out.append(Judgement(lab, float(row[LABELS.index(lab)]), {k: float(p) for k, p in zip(LABELS, row)}))
        return out

    def claim_label(self, claim: str, evidences: Sequence[str]) -> tuple[str, list[Judgement]]:
        js = self.judge([claim] * len(evidences), evidences)
        return aggregate([j.label for j in js]), js
