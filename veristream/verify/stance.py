"""Stance of a post toward a claim: support, deny, query or comment, with a confidence.

One model, learned from RumourEval 2017 (replies to rumour source posts, each labelled with
its stance toward the source's claim), in two linear layers:

1. `emb`: the post's MiniLM vector u, u * v (v: the claim) and u * p (p: the post it replies
   to) -> log-probabilities of the four stances. Trained out-of-fold, so the next layer
   learns how far to trust it.
2. `top`: lexical cues of the post and of its parent, reply depth, how much of the claim and
   the parent the post repeats, cosine similarities, and layer 1's output -> the stance.
   Per-class offsets (tuned on out-of-fold predictions in training) trade a little accuracy
   for finding denials and questions at all (macro-F1).

In `veristream verify` the claim is the user's, so a post that is not a reply to another
stored post is judged as a direct reply to the claim (depth 1); a reply is judged with its
parent as context, at its depth in the stored thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import features as F
from .linear import Weights, softmax

STANCES = ("support", "deny", "query", "comment")
EMB_FEATURES = 3 * 384
TOP_FEATURES = 2 * F.N_CUES + 7 + len(STANCES)


@dataclass(slots=True)
class StanceInput:
    post: str
    claim: str
    parent: str | None = None  # the text replied to (None: the claim itself)
    depth: int = 1  # 0: the post is the claim's own source; 1: a direct reaction to it


@dataclass(slots=True)
class Stance:
    label: str
    confidence: float
    probs: dict[str, float]


class TextEncoder:
    """What stance and claim features need from an encoder: `encode(texts) -> unit vectors`."""

    def encode(self, texts: list[str]) -> np.ndarray: ...  # pragma: no cover


def encode_unique(enc: TextEncoder, texts: Sequence[str]) -> np.ndarray:
    """Vectors of `texts`, each distinct text encoded once (a claim recurs for every post)."""
    uniq = list(dict.fromkeys(t[: F.MAX_CHARS] for t in texts))
    if not uniq:
        return np.zeros((0, 384), np.float32)
    vecs = enc.encode(uniq)
    pos = {t: i for i, t in enumerate(uniq)}
    return vecs[[pos[t[: F.MAX_CHARS]] for t in texts]]


def features(enc: TextEncoder, items: Sequence[StanceInput]) -> tuple[np.ndarray, np.ndarray]:
    """(E, S): the inputs of layers `emb` and `top` (without layer 1's output)."""
    n = len(items)
    parents = [it.parent if it.parent is not None else it.claim for it in items]
    V = encode_unique(enc, [it.post for it in items] + [it.claim for it in items] + parents)
    U, C, P = V[:n], V[n : 2 * n], V[2 * n :]
    E = np.hstack([U, U * C, U * P]).astype(np.float32)
    S = np.zeros((n, TOP_FEATURES - len(STANCES)), np.float32)
    for i, it in enumerate(items):
        d = max(0, int(it.depth))
        S[i] = np.concatenate([
            F.cues(it.post), F.cues(parents[i]),
            [d == 0, d == 1, min(d, 5) / 5, F.overlap(it.post, it.claim), F.overlap(it.post, parents[i]),
             float(U[i] @ C[i]), float(U[i] @ P[i])]])
    return E, S


class StanceModel:
    def __init__(self, weights: Weights, encoder: TextEncoder):
        self.weights = weights
        self.encoder = encoder
        self._emb = weights.layer("emb", EMB_FEATURES)
        self._top = weights.layer("top", TOP_FEATURES)
        if tuple(weights.classes) != STANCES:
            raise ValueError(f"{weights.path}: stance classes must be {STANCES}, got {weights.classes}")

    def proba(self, E: np.ndarray, S: np.ndarray) -> np.ndarray:
        """(n, 4) probabilities in `STANCES` order, the tuned offsets applied."""
        if len(E) == 0:
            return np.zeros((0, len(STANCES)), np.float32)
        return softmax(self._top.logits(np.hstack([S, self._emb.log_proba(E)])))

    def predict(self, items: Sequence[StanceInput]) -> list[Stance]:
        if not items:
            return []
        P = self.proba(*features(self.encoder, items))
        out = []
        for row in P:
            k = int(row.argmax())
            out.append(Stance(STANCES[k], float(row[k]), {s: float(p) for s, p in zip(STANCES, row)}))
        return out
