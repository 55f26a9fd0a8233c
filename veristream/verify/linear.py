"""Linear models applied with numpy: the run-time half of every learned part of `verify`.

A weights file is an `.npz` with, for each named layer, `<layer>.W` (classes x features) and
`<layer>.b` (classes), optional `<layer>.offsets` (added to the logits: the decision
thresholds tuned in training), and one `meta` entry: a JSON object naming the kind of
model, its classes, the feature version and anything else its user needs (thresholds,
calibration). scikit-learn is needed only to train (`train.py`); loading needs numpy alone.

Files are user-supplied as well as shipped (settings `verify_*_weights`), so loading checks
kind, shapes and feature version and says what is wrong in one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .features import FEATURES_VERSION


class WeightsError(ValueError):
    pass


@dataclass(slots=True)
class Layer:
    W: np.ndarray  # (classes, features)
    b: np.ndarray  # (classes,)
    offsets: np.ndarray | None = None

    def logits(self, X: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(X).astype(np.float32) @ self.W.T + self.b
        return z + self.offsets if self.offsets is not None else z

    def log_proba(self, X: np.ndarray) -> np.ndarray:
        return log_softmax(self.logits(X))

    def proba(self, X: np.ndarray) -> np.ndarray:
        return np.exp(self.log_proba(X))


@dataclass(slots=True)
class Weights:
    kind: str
    classes: list[str]
    layers: dict[str, Layer]
    meta: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    def layer(self, name: str, features: int) -> Layer:
        ly = self.layers.get(name)
        if ly is None:
            raise WeightsError(f"{self.path or self.kind}: no layer {name!r}")
        if ly.W.shape[1] != features:
            raise WeightsError(f"{self.path or self.kind}: layer {name!r} takes {ly.W.shape[1]} features, "
                               f"this version of veristream makes {features}")
        return ly

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {}
        for name, ly in self.layers.items():
            # Packed bit arrays (aux layers such as veracity's sign hashes) stay bytes: 8x smaller.
            arrays[f"{name}.W"] = ly.W if ly.W.dtype == np.uint8 else ly.W.astype(np.float32)
            arrays[f"{name}.b"] = ly.b.astype(np.float32)
            if ly.offsets is not None:
                arrays[f"{name}.offsets"] = ly.offsets.astype(np.float32)
        meta = dict(self.meta, kind=self.kind, classes=self.classes, features_version=FEATURES_VERSION)
        arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "wb") as f:  # np.savez on a path would append ".npz" to other names
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: str | Path, kind: str) -> "Weights":
        p = Path(path).expanduser()
        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise WeightsError(f"{p}: no such weights file") from None
        except (OSError, ValueError) as e:
            raise WeightsError(f"{p}: not a weights file (.npz): {e}") from None
        try:
            meta = json.loads(arrays.pop("meta").tobytes().decode())
        except (KeyError, ValueError, UnicodeDecodeError):
            raise WeightsError(f"{p}: no readable meta entry") from None
        if meta.get("kind") != kind:
            raise WeightsError(f"{p}: holds a {meta.get('kind')!r} model, not {kind!r}")
        if meta.get("features_version") != FEATURES_VERSION:
            raise WeightsError(f"{p}: made for feature version {meta.get('features_version')}, this veristream uses "
                               f"{FEATURES_VERSION}: retrain (veristream train {kind})")
        classes = [str(c) for c in meta.get("classes") or []]
        layers: dict[str, Layer] = {}
        for k in arrays:
            if not k.endswith(".W"):
                continue
            name = k[:-2]
            W, b = arrays[k], arrays.get(f"{name}.b")
            W = W if W.dtype == np.uint8 and name.startswith("aux") else W.astype(np.float32)
            off = arrays.get(f"{name}.offsets")
            if b is None or W.ndim != 2 or b.shape != (W.shape[0],) or (off is not None and off.shape != b.shape):
                raise WeightsError(f"{p}: layer {name!r} has inconsistent shapes")
            if not (np.isfinite(W).all() and np.isfinite(b).all()):
                raise WeightsError(f"{p}: layer {name!r} holds non-finite weights")
            layers[name] = Layer(W, b.astype(np.float32), off.astype(np.float32) if off is not None else None)
        if not layers or any(ly.W.shape[0] != len(classes) for n, ly in layers.items() if not n.startswith("aux")):
            raise WeightsError(f"{p}: layers do not match its {len(classes)} classes")
        return cls(kind, classes, layers, meta, str(p))


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(np.atleast_2d(z)))
