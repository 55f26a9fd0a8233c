"""Training the verification models (`veristream train stance|veracity|claims|all`).

Needs scikit-learn (the `train` extra); the weights it writes are applied with numpy alone
(`linear.py`). Everything is deterministic for given data, so the shipped weights in
`veristream/data/verify/` are rebuilt exactly by the command in their PROVENANCE.md.

* stance: RumourEval 2017 posts (the task's train split by default), two stacked
  logistic regressions (see `stance.py`); layer 1 is fitted out-of-fold (5 folds by thread)
  for layer 2, and per-class offsets are tuned on out-of-fold predictions to maximise
  accuracy + macro-F1.
* veracity: one logistic regression on the link-free MiniLM vector of the rumour's source
  post, learned from the RumourEval threads' sources and PHEME's rumour source posts (never a
  RumourEval test thread; `exclude_events` / `exclude_ids` left out too), C by 3-fold
  cross-validation, plus the sign hashes of its training posts (`known`). Measured on threads
  held out by thread (5 folds; C chosen inside each) and by whole event; the meta records
  both, and as `heldout_accuracy` / `heldout_majority` the figures of the threads `verify`
  would show it for. Then the verdict calibrator: every training thread is run through
  `verdict.decide` as a claim with its replies as the posts about it, and a logistic
  regression maps (verdict, raw confidence, held-out veracity probability where shown) to
  whether the verdict matched the thread's label (supported = true, refuted = false,
  unverified = unverified, contested = not true).
* claims: Climate-FEVER claim-evidence pairs, one logistic regression, the support and
  refute thresholds tuned on out-of-fold predictions (5 folds by claim) for claim-label
  accuracy by the aggregation rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import claims as CL
from . import features as F
from . import stance as ST
from . import veracity as VE
from ..vectors.encoder import embed_text, find_model, load_encoder, missing_notice
from .datasets import DEV_THREADS, MAX_TEXT, Claim, Thread, _lines, read_claims, read_threads, split_threads
from .datasets import TEST_THREADS as DATASET_TEST_THREADS
from .embedcache import CachedEncoder
from .independence import Item, corroboration
from .linear import Layer, Weights, log_softmax
from .verdict import calibration_features, decide, match_probability

SEED = 0
STANCE_C_EMB, STANCE_C_TOP = 1.0, 0.3
VERACITY_CS, VERACITY_C_DEFAULT = (1.0, 3.0, 10.0, 30.0), 10.0
KNOWN_SEED = 0
# Held out by event, no thread reaches 0.7 (2 of 297); held out by thread, 9 in 10 do (docs/verify.md).
KNOWN_MIN = 0.7
CLAIMS_C = 1.0
FOLDS = 5
Log = Callable[[str], None]


class TrainError(RuntimeError):
    pass


def _sk():
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold
    except ImportError:
        raise TrainError("training needs scikit-learn: pip install 'veristream[train]'") from None
    return LogisticRegression, GroupKFold


def _fit(X: np.ndarray, y: np.ndarray, C: float, n_classes: int, class_weight=None) -> Layer:
    """A multinomial logistic regression as a `Layer` over all `n_classes` (absent classes
    get a very negative bias, so a tiny training set still gives a well-formed model)."""
    LR, _ = _sk()
    present = np.unique(y)
    W = np.zeros((n_classes, X.shape[1]), np.float32)
    b = np.full(n_classes, -30.0, np.float32)
    if len(present) == 1:
        b[present[0]] = 0.0
        return Layer(W, b)
    m = LR(C=C, max_iter=5000, class_weight=class_weight).fit(X, y)
    coef, icpt = m.coef_, m.intercept_
    if len(present) == 2:  # binary: sklearn gives one row for the second class
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        icpt = np.array([-icpt[0] / 2, icpt[0] / 2])
    W[m.classes_] = coef
    b[m.classes_] = icpt
    return Layer(W, b)


def _folds(groups: np.ndarray, k: int = FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    _, GKF = _sk()
    n = len(np.unique(groups))
    if n < 2:
        return []
    return list(GKF(min(k, n)).split(np.zeros(len(groups)), groups=groups))


def _oof(X: np.ndarray, y: np.ndarray, groups: np.ndarray, C: float, n_classes: int) -> np.ndarray:
    """Out-of-fold log-probabilities (in-sample when there are too few groups to fold)."""
    out = np.zeros((len(X), n_classes), np.float32)
    folds = _folds(groups)
    if not folds:
        return _fit(X, y, C, n_classes).log_proba(X)
    for a, b in folds:
        out[b] = _fit(X[a], y[a], C, n_classes).log_proba(X[b])
    return out


def accuracy(y: Sequence[int], p: Sequence[int]) -> float:
    y, p = np.asarray(y), np.asarray(p)
    return float((y == p).mean()) if len(y) else 0.0


def macro_f1(y: Sequence[int], p: Sequence[int], n_classes: int) -> float:
    y, p = np.asarray(y), np.asarray(p)
    f1s = []
    for k in range(n_classes):
        tp = int(((p == k) & (y == k)).sum())
        fp, fn = int(((p == k) & (y != k)).sum()), int(((p != k) & (y == k)).sum())
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s))


# -- stance ------------------------------------------------------------------------------

@dataclass(slots=True)
class StanceData:
    E: np.ndarray
    S: np.ndarray
    y: np.ndarray  # -1: unlabelled
    groups: np.ndarray  # thread index
    depths: list[int]


def stance_items(threads: Sequence[Thread]) -> list[ST.StanceInput]:
    items = []
    for t in threads:
        by = t.by_id()
        for p in t.posts:
            parent = by[p.parent].text if p.parent in by else None
            items.append(ST.StanceInput(p.text, t.source.text, parent, p.depth))
    return items


def stance_data(enc: ST.TextEncoder, threads: Sequence[Thread]) -> StanceData:
    E, S = ST.features(enc, stance_items(threads))
    y = np.array([ST.STANCES.index(p.stance) if p.stance else -1 for t in threads for p in t.posts])
    g = np.array([i for i, t in enumerate(threads) for _ in t.posts])
    return StanceData(E, S, y, g, [p.depth for t in threads for p in t.posts])


def fit_stance(d: StanceData, tune: bool = True, log: Log = lambda m: None) -> tuple[Weights, np.ndarray]:
    """(weights, out-of-fold stance probabilities of every labelled post). The out-of-fold
    probabilities come from top layers that never saw the post's thread, over layer-1
    outputs that are themselves out of fold (the usual stacking), offsets applied."""
    lab = d.y >= 0
    E, S, y, g = d.E[lab], d.S[lab], d.y[lab], d.groups[lab]
    if len(y) == 0:
        raise TrainError("no labelled posts to train the stance model on")
    emb = _fit(E, y, STANCE_C_EMB, 4)
    A = np.hstack([S, _oof(E, y, g, STANCE_C_EMB, 4)])
    top = _fit(A, y, STANCE_C_TOP, 4)
    folds = _folds(g)
    O = np.zeros((len(y), 4), np.float32)
    for a, b in folds:
        O[b] = _fit(A[a], y[a], STANCE_C_TOP, 4).logits(A[b])
    if not folds:
        O = top.logits(A)
    offsets = np.zeros(4, np.float32)
    if tune and folds:
        offsets = tune_offsets(O, y)
        log(f"stance: offsets {np.round(offsets, 2).tolist()} (out-of-fold accuracy + macro-F1)")
    top.offsets = offsets
    w = Weights("stance", list(ST.STANCES), {"emb": emb, "top": top},
                {"trained_on": int(len(y)), "C": [STANCE_C_EMB, STANCE_C_TOP]})
    P = np.zeros((len(d.y), 4), np.float32)
    P[lab] = np.exp(log_softmax(O + offsets))
    if (~lab).any():  # unlabelled posts: the final model's reading
        P[~lab] = stance_proba(w, StanceData(d.E[~lab], d.S[~lab], d.y[~lab], d.groups[~lab], []))
    return w, P


def tune_offsets(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-class additions to the logits (the last class fixed at 0) maximising accuracy + macro-F1."""
    k = logits.shape[1]
    grid = np.linspace(-0.5, 2.0, 11)
    best, best_off = -1.0, np.zeros(k, np.float32)
    for o in itertools.product(grid, repeat=k - 1):
        off = np.array(list(o) + [0.0], np.float32)
        pr = (logits + off).argmax(axis=1)
        score = accuracy(y, pr) + macro_f1(y, pr, k)
        if score > best + 1e-9:
            best, best_off = score, off
    return best_off


def stance_proba(w: Weights, d: StanceData) -> np.ndarray:
    m = ST.StanceModel(w, _NoEncoder())
    return m.proba(d.E, d.S)


# -- veracity ----------------------------------------------------------------------------

@dataclass(slots=True)
class PhemeRow:
    id: str
    text: str
    event: str
    veracity: str


def read_pheme(path: str) -> list[PhemeRow]:
    out = []
    for _, d in _lines(path):
        v = d.get("veracity")
        if d.get("is_rumour") and v in VE.LABELS and isinstance(d.get("text"), str):
            out.append(PhemeRow(str(d.get("tweet_id")), d["text"][:MAX_TEXT], str(d.get("event") or "?"), v))
    return out


def thread_features(threads: Sequence[Thread], stance_p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(crowd features, source cues) per thread, from its posts' stance probabilities."""
    C, Q, i = [], [], 0
    for t in threads:
        n = len(t.posts)
        P = stance_p[i : i + n]
        i += n
        C.append(VE.crowd(P[1:], [p.depth for p in t.posts[1:]]))
        Q.append(F.cues(t.source.text))
    return np.array(C, np.float32), np.array(Q, np.float32)


def veracity_pool(threads: Sequence[Thread], pheme: Sequence[PhemeRow], exclude_events: Sequence[str] = (),
                  exclude_ids: Sequence[str] = ()) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """(ids, texts, labels, events) the text model may learn from: the labelled threads'
    source posts, then PHEME's rumour source posts not among them, never a RumourEval test
    thread, an id in `exclude_ids` or (PHEME rows) an event in `exclude_events`."""
    never = set(exclude_ids) | DATASET_TEST_THREADS
    ev = {r.id: r.event for r in pheme}
    ids, texts, ys, events = [], [], [], []
    for t in threads:
        if t.veracity and t.id not in never:
            ids.append(t.id), texts.append(t.source.text), ys.append(VE.LABELS.index(t.veracity))
            events.append(ev.get(t.id, "thread:" + t.id))
    seen = set(ids)
    for r in pheme:
        if r.id not in seen and r.id not in never and r.event not in set(exclude_events):
            ids.append(r.id), texts.append(r.text), ys.append(VE.LABELS.index(r.veracity)), events.append(r.event)
            seen.add(r.id)
    return ids, texts, np.array(ys, int), events


def link_free(texts: Sequence[str]) -> list[str]:
    """What `verify` encodes of a claim or post (the vector index's reading: links dropped)."""
    return [embed_text(x)[: F.MAX_CHARS] for x in texts]


def choose_c(X: np.ndarray, y: np.ndarray, cs: Sequence[float] = VERACITY_CS, k: int = 3) -> float:
    """C by k-fold cross-validated accuracy over the rows given (never the rows scored)."""
    folds = _folds(np.arange(len(y)), k) if len(np.unique(y)) > 1 else []
    if not folds or len(y) < 2 * k:
        return VERACITY_C_DEFAULT
    best, arg = -1.0, VERACITY_C_DEFAULT
    for c in cs:
        pred = np.zeros(len(y), int)
        for a, b in folds:
            pred[b] = _fit(X[a], y[a], c, 3).logits(X[b]).argmax(axis=1)
        got = accuracy(y, pred)
        if got > best + 1e-9:
            best, arg = got, c
    return arg


@dataclass(slots=True)
class Heldout:
    """Predictions of the labelled threads by models that never saw them: probabilities, the
    estimated cosine to the nearest post each model learned from, the label index."""
    P: np.ndarray
    known: np.ndarray
    y: np.ndarray

    def scores(self, known_min: float) -> dict:
        shown = self.known >= known_min
        return {"accuracy": _acc(self.y, self.P, None), "majority": _maj(self.y),
                "shown": int(shown.sum()), "n": int(len(self.y)),
                "shown_accuracy": _acc(self.y, self.P, shown), "shown_majority": _maj(self.y[shown])}


def _acc(y: np.ndarray, P: np.ndarray, mask: np.ndarray | None) -> float | None:
    if mask is not None:
        y, P = y[mask], P[mask]
    return round(accuracy(y, P.argmax(axis=1)), 3) if len(y) else None


def _maj(y: np.ndarray) -> float | None:
    return round(float(np.bincount(y).max() / len(y)), 3) if len(y) else None


def heldout_veracity(X: np.ndarray, y: np.ndarray, rows: Sequence[int], held: Sequence[np.ndarray],
                     drop: Sequence[np.ndarray]) -> Heldout:
    """For each fold, a model on the pool minus `drop[i]` (C chosen inside it) predicts the
    pool rows `held[i]` (a subset of `rows`); the sign hashes of its training rows give `known`."""
    P = np.zeros((len(X), 3), np.float32)
    near = np.zeros(len(X), np.float32)
    Pl = VE.planes(KNOWN_SEED)
    H = VE.sign_hash(X, Pl)
    for h, d in zip(held, drop):
        tr = np.setdiff1d(np.arange(len(X)), d)
        ly = _fit(X[tr], y[tr], choose_c(X[tr], y[tr]), 3)
        P[h] = ly.proba(X[h])
        near[h] = VE.hashed_cosine(H[h], H[tr]).max(axis=1)
    r = np.asarray(rows, int)
    return Heldout(P[r], near[r], y[r])


def fit_veracity(enc: ST.TextEncoder, threads: Sequence[Thread], stance_oof: np.ndarray,
                 pheme: Sequence[PhemeRow] = (), exclude_events: Sequence[str] = (), exclude_ids: Sequence[str] = (),
                 log: Log = lambda m: None, heldout: bool = True) -> tuple[Weights, Heldout | None]:
    """(weights, held-out predictions of each labelled thread, from models that saw other
    threads of its event but never it). `exclude_events` / `exclude_ids`: PHEME events and
    source posts kept out of training (those the model is to be scored on); RumourEval's test
    threads are always kept out. `heldout`: also measure (the meta's held-out figures and the
    verdict calibrator need it; ~1 minute on the shared data)."""
    ids, texts, y, events = veracity_pool(threads, pheme, exclude_events, exclude_ids)
    if not len(y):
        raise TrainError("no threads with a veracity label to train on")
    X = enc.encode(link_free(texts))
    c = choose_c(X, y)
    text = _fit(X, y, c, 3)
    log(f"veracity: text model on {len(y)} rumour source posts, {len(set(events))} events, C {c}")
    Pl = VE.planes(KNOWN_SEED)
    w = Weights("veracity", list(VE.LABELS), {"text": text, "aux.known": Layer(VE.sign_hash(X, Pl), np.zeros(len(X), np.float32))},
                {"trained_on": int(len(y)), "threads_trained_on": sum(1 for t in threads if t.id in set(ids)),
                 "excluded_events": list(exclude_events), "excluded_ids": len(set(exclude_ids)), "C": c,
                 "known_seed": KNOWN_SEED, "known_check": VE.planes_check(Pl), "known_min": KNOWN_MIN})
    if not heldout:
        return w, None
    pos = {k: i for i, k in enumerate(ids)}
    rows = [pos[t.id] for t in threads if t.id in pos]
    # Threads held out by thread (the rest of their event, PHEME's other posts of it included, stays).
    folds = _folds(np.arange(len(rows)))
    held = [np.asarray(rows)[b] for _, b in folds] or [np.asarray(rows)]
    seen = heldout_veracity(X, y, rows, held, held)
    # Whole events held out (their PHEME posts too): rumours of an event the model never saw.
    ev = np.array(events)
    by_event = sorted({events[r] for r in rows})
    new = heldout_veracity(X, y, rows, [np.array([r for r in rows if events[r] == e]) for e in by_event],
                           [np.where(ev == e)[0] for e in by_event])
    a, b = seen.scores(KNOWN_MIN), new.scores(KNOWN_MIN)
    # `verify` shows the reading only where known >= known_min: that subset is what it must win on.
    w.meta.update({"heldout_accuracy": a["shown_accuracy"], "heldout_majority": a["shown_majority"],
                   "heldout": {"seen_events": a, "new_events": b}})
    log(f"veracity: held-out threads {a['accuracy']} (majority {a['majority']}), shown ({a['shown']} of {a['n']}) "
        f"{a['shown_accuracy']} (majority {a['shown_majority']}); new events {b['accuracy']} "
        f"(majority {b['majority']}, {b['shown']} shown)")
    probs = [dict(zip(VE.LABELS, map(float, p))) if k >= KNOWN_MIN else {} for p, k in zip(seen.P, seen.known)]
    lab = [t for t in threads if t.id in pos]
    w.meta["calibration"] = fit_calibration(lab, stance_oof, threads, probs, log)
    return w, seen


def thread_groups(threads: Sequence[Thread], pheme: Sequence[PhemeRow]) -> np.ndarray:
    """Event of each thread where PHEME names it (folds by event), else the thread itself."""
    ev = {r.id: r.event for r in pheme}
    names = [ev.get(t.id, "thread:" + t.id) for t in threads]
    return np.unique(np.array(names), return_inverse=True)[1]


def pseudo_verdict(t: Thread, P: np.ndarray) -> tuple[str, float]:
    """Run a thread through the verdict rule as `verify` would: its source as a post stating
    the claim, its replies as posts about it, each by its own author of weight 1 (no
    credibility signals in the data)."""
    items: dict[str, list[Item]] = {"for": [], "against": []}
    for p, row in zip(t.posts, P):
        k = int(row.argmax())
        side = "for" if k == 0 else "against" if k == 1 else None
        if side:
            items[side].append(Item(p.id, p.id, None, _t0(), 1.0))
    d = decide(corroboration(items["for"]), corroboration(items["against"]))
    return d.verdict, d.raw


def _t0():
    from datetime import datetime, timezone

    return datetime(2020, 1, 1, tzinfo=timezone.utc)


def verdict_correct(verdict: str, label: str) -> bool:
    return {"supported": label == "true", "refuted": label == "false", "unverified": label == "unverified",
            "contested": label != "true"}[verdict]


def fit_calibration(threads: Sequence[Thread], stance_p_all: np.ndarray, all_threads: Sequence[Thread],
                    ver_p: Sequence[dict[str, float]], log: Log = lambda m: None) -> list[float]:
    """`ver_p`: the veracity model's held-out probabilities per thread, {} where `verify`
    would not show its reading (as at run time, the calibrator then sees no model view)."""
    LR, _ = _sk()
    start = {}
    i = 0
    for t in all_threads:
        start[t.id] = i
        i += len(t.posts)
    X, y = [], []
    for t, vp in zip(threads, ver_p):
        P = stance_p_all[start[t.id] : start[t.id] + len(t.posts)]
        verdict, raw = pseudo_verdict(t, P)
        mp = match_probability(verdict, vp)
        X.append(calibration_features(verdict, raw, mp))
        y.append(int(verdict_correct(verdict, t.veracity or "unverified")))
    X, y = np.array(X), np.array(y)
    if len(set(y.tolist())) < 2:
        return []
    m = LR(C=1.0, fit_intercept=False, max_iter=5000).fit(X, y)
    log(f"veracity: verdict calibrator on {len(y)} threads, {y.mean():.0%} of rule verdicts right")
    return [float(c) for c in m.coef_[0]]


def veracity_proba(w: Weights, enc: ST.TextEncoder, threads: Sequence[Thread]) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, estimated cosine to the nearest training post) of each thread's source."""
    m = VE.VeracityModel(w, enc)
    U = enc.encode(link_free([t.source.text for t in threads]))
    return m.proba(U), m.known(U)


# -- claims ------------------------------------------------------------------------------

def claim_pairs(enc: ST.TextEncoder, claims: Sequence[Claim]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cs, es, ys, gs = [], [], [], []
    for i, c in enumerate(claims):
        for e in c.evidences:
            cs.append(c.text)
            es.append(e.text)
            ys.append(CL.LABELS.index(e.label) if e.label else -1)
            gs.append(i)
    X = CL.pair_features(enc, cs, es) if cs else np.zeros((0, CL.PAIR_FEATURES), np.float32)
    return X, np.array(ys), np.array(gs)


def claim_labels(P: np.ndarray, groups: np.ndarray, n: int, ts: float, tr: float) -> list[str]:
    out = []
    for i in range(n):
        out.append(CL.aggregate([CL.label_of(p, ts, tr) for p in P[groups == i]]))
    return out


def tune_thresholds(P: np.ndarray, groups: np.ndarray, claims: Sequence[Claim]) -> tuple[float, float]:
    grid = np.round(np.arange(0.2, 0.951, 0.05), 2)
    gold = [c.label for c in claims]
    best, arg = -1.0, (0.5, 0.5)
    for ts in grid:
        for tr in grid:
            acc = float(np.mean([a == b for a, b in zip(claim_labels(P, groups, len(claims), ts, tr), gold)]))
            if acc > best + 1e-9:
                best, arg = acc, (float(ts), float(tr))
    return arg


def fit_claims(X: np.ndarray, y: np.ndarray, groups: np.ndarray, claims: Sequence[Claim],
               log: Log = lambda m: None) -> Weights:
    ok = y >= 0
    if not ok.any():
        raise TrainError("no labelled claim-evidence pairs to train on")
    layer = _fit(X[ok], y[ok], CLAIMS_C, 3)
    ts, tr = 0.5, 0.5
    folds = _folds(groups)
    if folds:
        P = np.zeros((len(X), 3), np.float32)
        for a, b in folds:
            a = a[ok[a]]
            P[b] = _fit(X[a], y[a], CLAIMS_C, 3).proba(X[b])
        ts, tr = tune_thresholds(P, groups, claims)
        log(f"claims: thresholds support {ts}, refute {tr} (out-of-fold claim accuracy)")
    return Weights("claims", list(CL.LABELS), {"pair": layer},
                   {"trained_on": int(ok.sum()), "claims": len(claims), "support_threshold": ts,
                    "refute_threshold": tr, "C": CLAIMS_C})


class _NoEncoder:
    """For applying a model to features already computed."""

    def encode(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("features were expected to be computed already")


# -- from files ---------------------------------------------------------------------------

DEV_EVENT = "germanwings-crash"  # every RumourEval 2017 dev thread is from it
WHAT = ("stance", "veracity", "claims")


def default_data_dir() -> Path | None:
    """`../shared/data` beside the working directory or the source checkout, if there."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        d = base.parent / "shared" / "data"
        if d.is_dir():
            return d
    return None


def cached_encoder(cache_dir: str | Path | None, threads: int = 1) -> ST.TextEncoder:
    files = find_model()
    if files is None:
        raise TrainError(missing_notice())
    return CachedEncoder(load_encoder(files, 128, threads), cache_dir)


def train_files(what: Sequence[str], out_dir: str | Path, rumoureval: str | Path | None = None,
                pheme: str | Path | None = None, climate_fever: str | Path | None = None,
                split: str = "train", cache_dir: str | Path | None = None,
                log: Log = lambda m: None, enc: ST.TextEncoder | None = None) -> dict[str, Path]:
    """Train the models named in `what` from the data files and write `<name>.npz` into
    `out_dir`. `split`: "train" uses RumourEval's train threads only (its dev threads and
    their PHEME event are left out, so the dev scores stay honest), "all" every thread."""
    bad = sorted(set(what) - set(WHAT))
    if bad:
        raise TrainError(f"unknown model(s): {', '.join(bad)} (one of {', '.join(WHAT)})")
    if split not in ("train", "all"):
        raise TrainError(f"split must be 'train' or 'all', got {split!r}")
    enc = enc or cached_encoder(cache_dir)
    out: dict[str, Path] = {}
    od = Path(out_dir)
    if "stance" in what or "veracity" in what:
        if rumoureval is None:
            raise TrainError("stance and veracity need --rumoureval FILE (RumourEval 2017 threads JSONL)")
        threads = read_threads(rumoureval)
        if split == "train":
            threads = split_threads(threads)[0]
        log(f"rumoureval: {len(threads)} threads, {sum(len(t.posts) for t in threads)} posts ({split})")
        d = stance_data(enc, threads)
        sw, oof = fit_stance(d, log=log)
        if "stance" in what:
            sw.save(od / "stance.npz")
            out["stance"] = od / "stance.npz"
        if "veracity" in what:
            rows = read_pheme(str(pheme)) if pheme else []
            # The dev threads stay out (their event's other PHEME posts do not: the model is for
            # rumours of stories it learned, and the dev figure is then the held-out-thread one).
            excl_ids = sorted(DEV_THREADS) if split == "train" else []
            w, _ = fit_veracity(enc, threads, oof, rows, [], excl_ids, log)
            w.save(od / "veracity.npz")
            out["veracity"] = od / "veracity.npz"
    if "claims" in what:
        if climate_fever is None:
            raise TrainError("claims needs --climate-fever FILE (Climate-FEVER JSONL)")
        cl = read_claims(climate_fever)
        X, y, g = claim_pairs(enc, cl)
        fit_claims(X, y, g, cl, log).save(od / "claims.npz")
        out["claims"] = od / "claims.npz"
    return out
