"""Text classification metrics for support triage (pure numpy).

Labels may be any hashable values (strings or ints). Macro averages count every class present
in ``y_true`` or ``y_pred`` once, as scikit-learn's ``f1_score(average="macro")`` does, so the
figures match it on the same inputs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true, dtype=object).ravel()
    p = np.asarray(y_pred, dtype=object).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} values but y_pred has {p.size}")
    return t, p


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    t, p = _pair(y_true, y_pred)
    return float(np.mean(t == p)) if t.size else float("nan")


def per_class_prf(
    y_true: ArrayLike, y_pred: ArrayLike
) -> dict[object, tuple[float, float, float, int]]:
    """``{label: (precision, recall, f1, support)}``; 0 where undefined (sklearn's zero_division=0)."""
    t, p = _pair(y_true, y_pred)
    labels = sorted(set(t.tolist()) | set(p.tolist()), key=str)
    out: dict[object, tuple[float, float, float, int]] = {}
    for label in labels:
        tp = float(np.sum((t == label) & (p == label)))
        n_pred = float(np.sum(p == label))
        n_true = float(np.sum(t == label))
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_true if n_true else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = (prec, rec, f1, int(n_true))
    return out


def macro_f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    stats = per_class_prf(y_true, y_pred)
    return float(np.mean([f1 for _, _, f1, _ in stats.values()])) if stats else float("nan")


def selective_precision_coverage(
    y_true: ArrayLike, y_pred: ArrayLike, accepted: ArrayLike
) -> tuple[float, float]:
    """Precision among accepted predictions, and the share accepted (the auto-triaged share).

    Precision is NaN when nothing is accepted.
    """
    t, p = _pair(y_true, y_pred)
    a = np.asarray(accepted, dtype=bool).ravel()
    if a.shape != t.shape:
        raise ValueError("accepted must have one flag per prediction")
    coverage = float(a.mean()) if a.size else 0.0
    precision = float(np.mean(t[a] == p[a])) if a.any() else float("nan")
    return precision, coverage
