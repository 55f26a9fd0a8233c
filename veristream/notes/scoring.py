"""Bridging matrix factorisation: the published Community Notes note scoring, in numpy.

Each rating (helpful 1, somewhat helpful 0.5, not helpful 0) is modelled as

    rating ≈ μ + i_u + i_n + f_u · f_n

with a global intercept μ, rater and note intercepts i_u, i_n and one-dimensional rater and
note factors f_u, f_n. The objective is the published one: the mean squared error over the
ratings plus λ_i·(μ² + mean i_u² + mean i_n²) + λ_f·(mean f_u² + mean f_n²), with
λ_i = 0.15 five times λ_f = 0.03 (the published scorer takes the mean of each parameter
group's squares, as written here; its documentation writes the penalty as plain sums).

Because intercepts cost five times more than factors, whatever a rater's viewpoint explains
goes into the factors; a note's intercept only grows when raters on *both* sides of the
factor rate it helpful. That intercept is the note's score.

Fitting is alternating least squares: with the raters fixed, each note's (i_n, f_n) is a
2×2 ridge regression, solved for all notes at once from per-note sums (`np.bincount`), and
likewise for the raters, then μ. Each step minimises the objective exactly over its block,
so the objective never rises; the loop stops when it improves by less than `tol` (relative).
The start is seeded, so a run is deterministic. Finally the factors' sign is fixed as the
published scorer fixes it: the larger group of raters gets negative factors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .records import HELPFUL, NEEDS_MORE_RATINGS, NOT_HELPFUL


@dataclass(frozen=True, slots=True)
class FitParams:
    lambda_intercept: float = 0.15
    lambda_factor: float = 0.03
    max_iter: int = 500
    tol: float = 1e-7  # stop when the objective improves by less than this share
    seed: int = 0


@dataclass(frozen=True, slots=True)
class StatusRule:
    """The published status thresholds (see README: Community notes)."""

    min_ratings: int = 5
    helpful_intercept: float = 0.40
    helpful_max_factor: float = 0.50
    not_helpful_intercept: float = -0.05
    not_helpful_factor_slope: float = 0.8

    def apply(self, intercept: np.ndarray, factor: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Status per note: helpful when i_n ≥ 0.40 and |f_n| < 0.50; not helpful when
        i_n < −0.05 − 0.8·|f_n|; else needs more ratings, as is any note with too few ratings."""
        enough = count >= self.min_ratings
        af = np.abs(factor)
        out = np.full(len(intercept), NEEDS_MORE_RATINGS, dtype=object)
        out[enough & (intercept < self.not_helpful_intercept - self.not_helpful_factor_slope * af)] = NOT_HELPFUL
        out[enough & (intercept >= self.helpful_intercept) & (af < self.helpful_max_factor)] = HELPFUL
        return out


@dataclass(slots=True)
class Fit:
    mu: float
    note_intercept: np.ndarray
    note_factor: np.ndarray
    rater_intercept: np.ndarray
    rater_factor: np.ndarray
    loss: float  # the objective at the end
    rmse: float
    iterations: int
    converged: bool
    seconds: float


def select(notes: np.ndarray, raters: np.ndarray, min_note_ratings: int, min_rater_ratings: int) -> np.ndarray:
    """Mask of the ratings that take part in the fit, as the published scorer filters them:
    notes with at least `min_note_ratings` ratings, then, among those ratings, raters with at
    least `min_rater_ratings`."""
    keep = _counts(notes)[notes] >= min_note_ratings
    rc = np.bincount(raters[keep], minlength=int(raters.max()) + 1 if len(raters) else 0)
    return keep & (rc[raters] >= min_rater_ratings)


def _counts(idx: np.ndarray) -> np.ndarray:
    return np.bincount(idx) if len(idx) else np.zeros(0, dtype=np.int64)


def fit(notes: np.ndarray, raters: np.ndarray, values: np.ndarray, n_notes: int, n_raters: int,
        params: FitParams | None = None) -> Fit:
    """Fit the model to ratings given as parallel arrays: dense note indices (< n_notes),
    rater indices (< n_raters) and values in [0, 1]. Every index should have a rating."""
    p = params or FitParams()
    t0 = time.perf_counter()
    n = len(values)
    r = np.asarray(values, dtype=np.float64)
    if n == 0:
        z = np.zeros
        return Fit(0.0, z(n_notes), z(n_notes), z(n_raters), z(n_raters), 0.0, 0.0, 0, True, 0.0)
    # The objective times n: each group's mean penalty becomes a ridge weight per parameter.
    a_ni, a_nf = p.lambda_intercept * n / n_notes, p.lambda_factor * n / n_notes
    a_ri, a_rf = p.lambda_intercept * n / n_raters, p.lambda_factor * n / n_raters
    c_note = np.bincount(notes, minlength=n_notes).astype(np.float64)
    c_rater = np.bincount(raters, minlength=n_raters).astype(np.float64)
    rng = np.random.default_rng(p.seed)
    # Small random factors break the symmetry (all-zero factors are a stationary point).
    fu = rng.normal(0.0, 0.1, n_raters)
    iu = np.zeros(n_raters)
    mu = float(r.mean()) / (1 + p.lambda_intercept)
    inn = fn = np.zeros(n_notes)
    prev = np.inf
    loss = np.inf
    it = 0
    converged = False
    for it in range(1, p.max_iter + 1):
        inn, fn = _ridge2(notes, n_notes, r - mu - iu[raters], fu[raters], c_note, a_ni, a_nf)
        iu, fu = _ridge2(raters, n_raters, r - mu - inn[notes], fn[notes], c_rater, a_ri, a_rf)
        rest = r - iu[raters] - inn[notes] - fu[raters] * fn[notes]
        mu = float(rest.sum()) / (n * (1 + p.lambda_intercept))
        err = rest - mu
        loss = (float(err @ err) / n + p.lambda_intercept * (mu * mu + float(iu @ iu) / n_raters + float(inn @ inn) / n_notes)
                + p.lambda_factor * (float(fu @ fu) / n_raters + float(fn @ fn) / n_notes))
        if prev - loss <= p.tol * max(loss, 1e-12):
            converged = True
            break
        prev = loss
    if fu.size and (fu < 0).sum() < (fu > 0).sum():
        fu, fn = -fu, -fn
    rmse = float(np.sqrt(err @ err / n))
    return Fit(mu, inn, fn, iu, fu, float(loss), rmse, it, converged, time.perf_counter() - t0)


def _ridge2(group: np.ndarray, size: int, y: np.ndarray, x: np.ndarray, count: np.ndarray,
            a_i: float, a_f: float) -> tuple[np.ndarray, np.ndarray]:
    """Per group g: (b, w) minimising Σ (y − b − w·x)² + a_i·b² + a_f·w² over its rows."""
    sx = np.bincount(group, x, size)
    sxx = np.bincount(group, x * x, size)
    sy = np.bincount(group, y, size)
    sxy = np.bincount(group, x * y, size)
    p, q, s = count + a_i, sx, sxx + a_f  # the 2×2 normal equations [[p, q], [q, s]]
    det = p * s - q * q  # > 0: a_i, a_f > 0
    return (s * sy - q * sxy) / det, (p * sxy - q * sy) / det
