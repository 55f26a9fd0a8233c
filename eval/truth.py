#!/usr/bin/env python
"""Truth-seeking models scored on real data: stance, veracity, claim against evidence.

    python eval/truth.py                                # train and score on ../shared/data
    python eval/truth.py --rumoureval other.jsonl       # also score the trained models on another file
    python eval/truth.py --climate-fever other.jsonl    # (same formats; scoring only)

* RumourEval 2017, the task's own split of the released train+dev file: trained on the 272
  train threads (4,238 posts), scored on the 25 dev threads (281 posts, all from the
  Germanwings crash). Stance: accuracy and macro-F1 over the four classes, every post
  (source posts included, as the task scored them). Veracity: accuracy and macro-F1 over
  true / false / unverified of the 25 dev threads, by the text model (the source post's
  MiniLM vector) trained on the train threads and PHEME's rumours minus the dev threads
  (`veracity`, as shipped) or minus the whole Germanwings event (`veracity_new_event`);
  `shown_accuracy` covers the threads close enough to a trained rumour for `verify` to show
  the reading. `veracity_heldout_threads` / `veracity_cross_event`: the train threads held out
  by thread / by event. `veracity_crowd`: the design with the crowd's reply-stance mix added
  (reply stances from the stance model, never the gold labels), not shipped.
* Climate-FEVER (`dev.jsonl` is the only file): 5-fold cross-validation by claim (seed 0);
  per fold, the pair model is trained on the other four folds and the two thresholds of the
  aggregation rule are tuned by nested cross-validation inside them (out-of-fold
  predictions of models trained on three of the four), never on the test fold. Claim-label
  accuracy over the four labels, majority baseline alongside.
* `--rumoureval PATH` / `--climate-fever PATH`: the models trained above (RumourEval train
  split; Climate-FEVER on all of dev.jsonl) score every thread / claim of PATH.

Embeddings are cached in eval/.cache/ (ignored by git). The last line on stdout is one JSON
object with every figure and its split.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from veristream.verify import claims as CL  # noqa: E402
from veristream.verify import datasets as D  # noqa: E402
from veristream.verify import train as T  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def r3(x: float) -> float:
    return round(float(x), 3)


def f1(y: np.ndarray, p: np.ndarray) -> float:
    tp = int((p & y).sum())
    return 2 * tp / (2 * tp + int((p & ~y).sum()) + int((~p & y).sum())) if tp else 0.0


def stance_scores(y: np.ndarray, P: np.ndarray) -> dict:
    pr = P.argmax(axis=1)
    maj = Counter(y.tolist()).most_common(1)[0][0]
    return {"accuracy": r3(T.accuracy(y, pr)), "macro_f1": r3(T.macro_f1(y, pr, 4)),
            "f1_per_class": {s: r3(f1(y == k, pr == k)) for k, s in enumerate(D.STANCES)},
            "majority_accuracy": r3(T.accuracy(y, np.full(len(y), maj))), "posts": int(len(y))}


def label_scores(y: list[str], pred: list[str], labels: tuple[str, ...]) -> dict:
    yi = np.array([labels.index(v) for v in y])
    pi = np.array([labels.index(v) for v in pred])
    maj = Counter(y).most_common(1)[0][0]
    return {"accuracy": r3(T.accuracy(yi, pi)), "macro_f1": r3(T.macro_f1(yi, pi, len(labels))),
            "majority_accuracy": r3(np.mean([v == maj for v in y])), "n": len(y),
            "confusion": {a: dict(Counter(p for g, p in zip(y, pred) if g == a)) for a in labels}}


def rumoureval(enc, path: Path, pheme: Path | None, extra: list[Path]) -> tuple[dict, dict]:
    threads = D.read_threads(path)
    train, dev = D.split_threads(threads)
    log(f"rumoureval: {len(train)} train threads, {len(dev)} dev threads")
    dtr, ddev = T.stance_data(enc, train), T.stance_data(enc, dev)
    t0 = time.time()
    sw, oof = T.fit_stance(dtr, log=log)
    log(f"stance trained in {time.time() - t0:.0f} s")
    Pdev = T.stance_proba(sw, ddev)
    lab = ddev.y >= 0
    out = {"stance": {"split": "RumourEval 2017 official: train 272 threads -> dev 25 threads",
                      **stance_scores(ddev.y[lab], Pdev[lab])}}
    rows = T.read_pheme(str(pheme)) if pheme and pheme.is_file() else []
    # As shipped: the dev threads left out, their event's other PHEME rumours in.
    vw, seen = T.fit_veracity(enc, train, oof, rows, [], sorted(D.DEV_THREADS), log)
    kmin = vw.meta["known_min"]
    V, near = T.veracity_proba(vw, enc, dev)
    out["veracity"] = {"split": "RumourEval 2017 official: train 272 threads -> dev 25 threads; text model also on "
                                "PHEME rumours (the dev threads and RumourEval test threads left out, the rest of the "
                                "Germanwings event in)" if rows else "RumourEval 2017 official (no PHEME)",
                       **veracity_scores(dev, V, near, kmin)}
    # The dev event never seen: no Germanwings post in training.
    sw_, _ = T.fit_veracity(enc, train, oof, rows, [T.DEV_EVENT], sorted(D.DEV_THREADS), heldout=False)
    V2, near2 = T.veracity_proba(sw_, enc, dev)
    out["veracity_new_event"] = {"split": "as veracity, but no post of the Germanwings event in training",
                                 **veracity_scores(dev, V2, near2, kmin)}
    h = vw.meta["heldout"]
    out["veracity_heldout_threads"] = {
        "split": "RumourEval 2017 train threads, 5 folds by thread (other posts of their events in training; C "
                 "chosen inside each fold)", **heldout_scores(seen, train, kmin)}
    out["veracity_cross_event"] = {
        "split": "RumourEval 2017 train threads, leave-one-event-out (7 events; the event's PHEME posts out too)",
        "accuracy": h["new_events"]["accuracy"], "majority_accuracy": h["new_events"]["majority"],
        "n": h["new_events"]["n"], "shown": h["new_events"]["shown"]}
    out["verdict_rule"] = verdict_rule_scores(dev, Pdev, V, near, vw)
    out["veracity_crowd"] = crowd_design(train, dev, oof, Pdev, V, seen)
    extras = {}
    for p in extra:
        th = D.read_threads(p)
        d = T.stance_data(enc, th)
        P = T.stance_proba(sw, d)
        ok = d.y >= 0
        res = {"file": str(p), "threads": len(th)}
        if ok.any():
            res["stance"] = stance_scores(d.y[ok], P[ok])
        labelled = [t for t in th if t.veracity]
        if labelled:
            Vx, nx = T.veracity_proba(vw, enc, labelled)
            res["veracity"] = veracity_scores(labelled, Vx, nx, kmin)
        extras[str(p)] = res
    return out, extras


def veracity_scores(threads: list[D.Thread], V: np.ndarray, near: np.ndarray, kmin: float) -> dict:
    """Every thread, and the ones `verify` would show the reading for (close to a trained rumour)."""
    gold = [t.veracity for t in threads]
    pred = [T.VE.LABELS[int(k)] for k in V.argmax(axis=1)]
    shown = near >= kmin
    res = label_scores(gold, pred, T.VE.LABELS)
    res["shown"] = int(shown.sum())
    if shown.any():
        sub = label_scores([g for g, k in zip(gold, shown) if k], [p for p, k in zip(pred, shown) if k], T.VE.LABELS)
        res["shown_accuracy"], res["shown_majority"] = sub["accuracy"], sub["majority_accuracy"]
    return res


def heldout_scores(seen, train: list[D.Thread], kmin: float) -> dict:
    labelled = [t for t in train if t.veracity and t.id not in D.TEST_THREADS]
    return veracity_scores(labelled, seen.P, seen.known, kmin)


def crowd_design(train, dev, oof, Pdev, Vd, seen) -> dict:
    """The design not shipped, measured on the same splits: the text model's held-out
    probabilities plus the crowd's reply-stance mix (stance model's) and the source's cues,
    one logistic regression, C by 3-fold CV inside the training threads."""
    Ctr, Qtr = T.thread_features(train, oof)
    Cdv, Qdv = T.thread_features(dev, Pdev)
    ytr = np.array([T.VE.LABELS.index(t.veracity) for t in train])
    Xtr = np.hstack([Ctr, Qtr, np.log(seen.P + 1e-6)])
    Xdv = np.hstack([Cdv, Qdv, np.log(Vd + 1e-6)])
    c = T.choose_c(Xtr, ytr)
    pred = T._fit(Xtr, ytr, c, 3).logits(Xdv).argmax(axis=1)
    folds = T._folds(np.arange(len(ytr)))
    pk = np.zeros(len(ytr), int)
    for a, b in folds:
        pk[b] = T._fit(Xtr[a], ytr[a], T.choose_c(Xtr[a], ytr[a]), 3).logits(Xtr[b]).argmax(axis=1)
    L = T.VE.LABELS
    return {"split": "text model + crowd features + cues: train 272 -> dev 25, and 5 folds by thread over train",
            "dev": label_scores([t.veracity for t in dev], [L[k] for k in pred], L),
            "heldout_threads": label_scores([L[k] for k in ytr], [L[k] for k in pk], L)}


def verdict_rule_scores(dev: list[D.Thread], Pdev: np.ndarray, V: np.ndarray, near: np.ndarray, vw) -> dict:
    """The verify verdict rule on each dev thread (source + replies as the posts about the
    claim), with the shipped-style calibration: how often right, and how well calibrated."""
    from veristream.verify.verdict import calibrate, match_probability

    coef = vw.meta.get("calibration")
    i, rows = 0, []
    for t, vp, k in zip(dev, V, near):
        P = Pdev[i : i + len(t.posts)]
        i += len(t.posts)
        verdict, raw = T.pseudo_verdict(t, P)
        probs = dict(zip(T.VE.LABELS, map(float, vp))) if k >= vw.meta["known_min"] else None
        conf = calibrate(verdict, raw, match_probability(verdict, probs), coef)
        rows.append((verdict, conf, T.verdict_correct(verdict, t.veracity or "unverified")))
    right = np.array([r[2] for r in rows], float)
    conf = np.array([r[1] for r in rows])
    return {"split": "RumourEval 2017 dev threads run through verify's verdict rule",
            "verdicts": dict(Counter(r[0] for r in rows)), "right": r3(right.mean()),
            "mean_confidence": r3(conf.mean()), "brier": r3(np.mean((conf - right) ** 2))}


def climate(enc, path: Path, extra: list[Path]) -> tuple[dict, dict]:
    claims = D.read_claims(path)
    X, y, g = T.claim_pairs(enc, claims)
    folds = T._folds(g)
    ok = y >= 0
    fold_of = np.zeros(len(X), int)
    for k, (_, b) in enumerate(folds):
        fold_of[b] = k
    pred = [""] * len(claims)
    ev_right = []
    for k, (a, b) in enumerate(folds):
        # Nested: the thresholds are tuned on inner out-of-fold predictions over the four
        # training folds (each predicted by a model of the other three), so the test fold's
        # labels reach neither the pair model nor the thresholds.
        Q = np.zeros((len(X), 3), np.float32)
        for j, (_, b2) in enumerate(folds):
            if j != k:
                inner = np.where(ok & (fold_of != k) & (fold_of != j))[0]
                Q[b2] = T._fit(X[inner], y[inner], T.CLAIMS_C, 3).proba(X[b2])
        tr_claims = sorted(set(g[a].tolist()))
        te_claims = sorted(set(g[b].tolist()))
        ts, tr = T.tune_thresholds(Q[a], _regroup(g[a], tr_claims), [claims[i] for i in tr_claims])
        P = np.zeros((len(X), 3), np.float32)
        P[b] = T._fit(X[a[ok[a]]], y[a[ok[a]]], T.CLAIMS_C, 3).proba(X[b])
        for i in te_claims:
            labs = [CL.label_of(p, ts, tr) for p in P[g == i]]
            pred[i] = CL.aggregate(labs)
            ev_right += [lab == e.label for lab, e in zip(labs, claims[i].evidences) if e.label]
    gold = [c.label for c in claims]
    res = {"split": "Climate-FEVER dev.jsonl, 5-fold cross-validation by claim (sklearn GroupKFold: deterministic); "
                    "thresholds tuned by nested 4-fold CV inside the training folds",
           **label_scores(gold, pred, D.CLAIM_LABELS), "evidence_accuracy": r3(np.mean(ev_right))}
    extras = {}
    if extra:
        w = T.fit_claims(X, y, g, claims, log)
        model = CL.ClaimModel(w, enc)
        for p in extra:
            cl = D.read_claims(p)
            got = [model.claim_label(c.text, [e.text for e in c.evidences])[0] for c in cl]
            extras[str(p)] = {"file": str(p), **label_scores([c.label or "NOT_ENOUGH_INFO" for c in cl], got,
                                                             D.CLAIM_LABELS)}
    return res, extras


def _regroup(groups: np.ndarray, ids: list[int]) -> np.ndarray:
    pos = {c: k for k, c in enumerate(ids)}
    return np.array([pos[c] for c in groups.tolist()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder (default ../shared/data)")
    ap.add_argument("--rumoureval", type=Path, action="append", default=[],
                    help="also score the trained stance and veracity models on this RumourEval-format file")
    ap.add_argument("--climate-fever", type=Path, action="append", default=[],
                    help="also score the trained claim model on this Climate-FEVER-format file")
    ap.add_argument("--cache", type=Path, default=ROOT / "eval" / ".cache", help="embedding cache folder")
    ap.add_argument("--skip", choices=["rumoureval", "climate-fever"], action="append", default=[])
    a = ap.parse_args()
    re_path = a.data / "rumoureval2017" / "traindev_threads.jsonl"
    cf_path = a.data / "climate_fever" / "dev.jsonl"
    pheme = a.data / "pheme" / "pheme_source_tweets.jsonl"
    t0 = time.time()
    enc = T.cached_encoder(a.cache)
    result: dict = {}
    if "rumoureval" not in a.skip:
        if not re_path.is_file():
            sys.exit(f"missing {re_path} (the shared data)")
        got, extras = rumoureval(enc, re_path, pheme, a.rumoureval)
        result.update(got)
        if extras:
            result["rumoureval_files"] = extras
    if "climate-fever" not in a.skip:
        if not cf_path.is_file():
            sys.exit(f"missing {cf_path} (the shared data)")
        got, extras = climate(enc, cf_path, a.climate_fever)
        result["climate_fever"] = got
        if extras:
            result["climate_fever_files"] = extras
    result["targets"] = {"stance": "accuracy >= 0.80 and macro-F1 >= 0.55", "veracity": "accuracy >= 0.60 and >= the majority class on held-out threads",
                         "climate_fever": "claim accuracy >= 0.62"}
    result["took_s"] = round(time.time() - t0, 1)
    for k, v in result.items():
        if isinstance(v, dict) and "accuracy" in v:
            log(f"{k}: accuracy {v['accuracy']}, macro-F1 {v.get('macro_f1')} (majority {v.get('majority_accuracy')})"
                f" — {v.get('split', '')}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
