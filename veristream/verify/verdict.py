"""From weighed, independent evidence to a verdict, its confidence and its reasons.

The rule (every step is stated in the verdict's reasons):

* each side counts independent sources (see `independence`), each weighted by its
  credibility (see `credibility`); a helpful "misleading" community note on a
  post takes that post off its side and counts as a source for the other side;
* no side with `min_sources` independent sources -> unverified;
* both sides with at least `min_sources` and the smaller side holding at least
  `contested_share` of the weight -> contested;
* else the side with more weight wins: supported or refuted (if that side has fewer than
  `min_sources` sources, unverified).

Raw confidence: with the weights as evidence counts, the share of sources that back the claim
has a Beta(1 + for, 1 + against) posterior; the raw confidence is its probability of lying on
the verdict's side of one half (for contested: between `contested_share` and its complement).
For unverified it is 1 minus how far the weights lean either way. The shipped calibration (fitted in `train.py` on RumourEval threads run through this same
rule, where the truth is known) maps the raw confidence, the verdict and the veracity model's
probability for the matching label to the probability the verdict is right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .align import idle_description
from .independence import Corroboration

_GRID = (np.arange(2000) + 0.5) / 2000


def beta_mass(a: float, b: float, lo: float, hi: float) -> float:
    """P(lo <= x <= hi) for x ~ Beta(a, b), by quadrature (numpy only, no scipy)."""
    logpdf = (a - 1) * np.log(_GRID) + (b - 1) * np.log1p(-_GRID)
    w = np.exp(logpdf - logpdf.max())
    w /= w.sum()
    return float(w[(_GRID >= lo) & (_GRID <= hi)].sum())


@dataclass(slots=True)
class Decision:
    verdict: str
    raw: float
    reasons: list[str]


def decide(support: Corroboration, against: Corroboration, min_sources: int = 2,
           contested_share: float = 0.3) -> Decision:
    F, A = support.weight, against.weight
    nf, na = support.authors, against.authors
    reasons: list[str] = []
    share_for = F / (F + A) if F + A > 0 else 0.5
    if nf == 0 and na == 0:
        reasons.append("no post found takes a side on the claim")
        return Decision("unverified", 1.0 - _lean(F, A), reasons)
    reasons.append(f"for: {_sources(support)}; against: {_sources(against)}")
    if nf < min_sources and na < min_sources:
        reasons.append(f"neither side has {min_sources} independent sources")
        return Decision("unverified", 1.0 - _lean(F, A), reasons)
    minority = min(F, A) / (F + A)
    if nf >= min_sources and na >= min_sources and minority >= contested_share:
        reasons.append(f"both sides have {min_sources}+ independent sources and the smaller holds "
                       f"{minority:.0%} of the weight (contested from {contested_share:.0%})")
        return Decision("contested", beta_mass(1 + F, 1 + A, contested_share, 1 - contested_share), reasons)
    if F >= A:
        if nf < min_sources:
            reasons.append(f"the side with more weight has fewer than {min_sources} independent sources")
            return Decision("unverified", 1.0 - _lean(F, A), reasons)
        reasons.append(f"supporting sources hold {share_for:.0%} of the weight")
        return Decision("supported", beta_mass(1 + F, 1 + A, 0.5, 1), reasons)
    if na < min_sources:
        reasons.append(f"the side with more weight has fewer than {min_sources} independent sources")
        return Decision("unverified", 1.0 - _lean(F, A), reasons)
    reasons.append(f"denying sources hold {1 - share_for:.0%} of the weight")
    return Decision("refuted", beta_mass(1 + F, 1 + A, 0, 0.5), reasons)


def decide_assertions(results: list, support: Corroboration, against: Corroboration, min_sources: int = 2,
                      contested_share: float = 0.3, lone: bool = False) -> Decision:
    """The verdict on a claim read into assertions (`align.tally`): a conflicted detail
    refutes it, a disputed one contests it, an unaddressed one leaves it unverified whatever
    the topic's volume; with every detail confirmed the weighed sides decide (`decide`), so
    explicit denials of the whole claim still count against it."""
    reasons = [r.summary for r in results]
    if all(r.confirm.posts == 0 and r.conflict.posts == 0 for r in results) and not support.posts and not against.posts:
        reasons.insert(0, "no post found takes a side on the claim")
    bad = [r for r in results if r.status == "conflicted"]
    if bad:
        r = max(bad, key=lambda r: r.conflict.weight)
        reasons.append(f"the stream contradicts the claim's {_what(r)}: {r.conflict.authors} independent source(s) "
                       f"state another value, {r.confirm.authors} the claim's")
        return Decision("refuted", beta_mass(1 + r.confirm.weight, 1 + r.conflict.weight, 0, 0.5), reasons)
    split = [r for r in results if r.status == "disputed"]
    if split:
        r = split[0]
        reasons.append(f"the stream is split on the claim's {_what(r)}: {r.confirm.authors} independent source(s) "
                       f"for the claim's value, {r.conflict.authors} for others (contested from "
                       f"{contested_share:.0%} of the weight)")
        return Decision("contested", beta_mass(1 + r.confirm.weight, 1 + r.conflict.weight, contested_share,
                                               1 - contested_share), reasons)
    # a person's occupation that no post speaks of at all (no post gives them any trade) is a
    # description, not the claim's decisive detail ("drawn by the artist X"): it leaves nothing open;
    # nor does an outcome too few state and none contradicts (it checks the claim, it does not carry it)
    open_ = [r for r in results if r.status == "unaddressed" and not idle_description(r)]
    if open_:
        names = ", ".join(_what(r) for r in open_)
        reasons.append(f"no {min_sources} independent sources state the claim's {names}: unverified, however many "
                       f"posts are about the topic")
        F = sum(r.confirm.weight for r in open_)
        X = sum(r.conflict.weight for r in open_)
        return Decision("unverified", 1.0 - _lean(F, X), reasons)
    # `lone`: a detail rests on one source (align.settle_lone), and nothing stands against the claim
    dec = decide(support, against, 1 if lone else min_sources, contested_share)
    return Decision(dec.verdict, dec.raw, reasons + dec.reasons)


def _what(r) -> str:
    a = r.assertion
    if a.kind == "number":
        if a.role in ("age", "dollars"):
            return f"{'age' if a.role == 'age' else 'sum'} ({a.value})"
        return f"number of {a.role[2:] + 's' if a.role.startswith('n:') else a.role.replace('_', ' ')} ({a.value})"
    if a.kind == "kind":
        sort = a.fact.sort if a.fact is not None else ""
        return f"{'weapon' if sort == 'weapon' else 'kind of site'} ({a.value})"
    what = {"agent": "actor", "who": "named party", "origin": "place of origin", "member": "organisation",
            "relation": "relationship", "nickname": "name given", "occupation": "occupation", "time": "time of day",
            "quarter": "part of the place",
            "cause": "cause of death" if a.role == "death" else "cause"}.get(a.kind, a.kind)
    return f"{what} ({a.value})"


def _lean(F: float, A: float) -> float:
    """How decisively the weights lean one way (0.5 when even), for 'unverified' on thin evidence."""
    return max(beta_mass(1 + F, 1 + A, 0.5, 1), beta_mass(1 + F, 1 + A, 0, 0.5)) - 0.5


def _sources(c: Corroboration) -> str:
    if c.posts == 0:
        return "none"
    return (f"{c.authors} independent source(s) ({c.posts} post(s), {c.stories} story(ies), "
            f"{len(c.domains)} linked domain(s)), weight {c.weight:.2f}")


def match_probability(verdict: str, probs: dict[str, float] | None) -> float | None:
    """The veracity model's probability of the label a verdict corresponds to."""
    if not probs:
        return None
    return {"supported": probs.get("true", 0.0), "refuted": probs.get("false", 0.0),
            "contested": 1.0 - probs.get("true", 0.0), "unverified": probs.get("unverified", 0.0)}[verdict]


def _logit(p: float) -> float:
    p = min(1 - 1e-4, max(1e-4, p))
    return math.log(p / (1 - p))


def calibration_features(verdict: str, raw: float, model_p: float | None) -> list[float]:
    """The calibrator's inputs: one intercept per verdict, the raw confidence, the model's view."""
    onehot = [1.0 if verdict == v else 0.0 for v in ("supported", "refuted", "contested", "unverified")]
    return onehot + [_logit(raw), _logit(model_p) if model_p is not None else 0.0]


def calibrate(verdict: str, raw: float, model_p: float | None, coef: list[float] | None) -> float:
    """P(verdict right) by the fitted calibrator; the raw confidence when there is none."""
    if not coef:
        return raw
    x = calibration_features(verdict, raw, model_p)
    z = sum(c * v for c, v in zip(coef, x))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
