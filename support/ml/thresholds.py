"""Per-intent auto-reply thresholds chosen on validation data for a target precision."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NEVER = 1.01  # a confidence never reaches it: this intent is never answered automatically


def choose_thresholds(
    y_true: Sequence[object],
    y_pred: Sequence[object],
    confidence: Sequence[float],
    *,
    target_precision: float = 0.95,
    min_support: int = 5,
    margin: float = 0.0,
) -> dict[object, float]:
    """For each predicted intent, the lowest confidence threshold whose validation precision
    (among predictions of that intent at or above it) is at least ``target_precision``.

    Conservative by design: an intent with fewer than ``min_support`` accepted validation
    predictions gets ``NEVER``; ``margin`` lifts the required precision to allow for
    validation noise (e.g. 0.02 asks for 97% on validation to expect 95% on new data).
    """
    t = np.asarray(y_true, dtype=object)
    p = np.asarray(y_pred, dtype=object)
    c = np.asarray(confidence, dtype=float)
    need = min(1.0, target_precision + margin)
    out: dict[object, float] = {}
    for label in sorted(set(p.tolist()), key=str):
        mask = p == label
        conf = c[mask]
        correct = (t[mask] == label).astype(float)
        order = np.argsort(-conf, kind="mergesort")
        conf, correct = conf[order], correct[order]
        precision = np.cumsum(correct) / np.arange(1, len(correct) + 1)
        best = NEVER
        # walk down from the most confident; keep the lowest threshold that still meets `need`
        # and is not in the middle of a run of tied confidences
        for i in range(len(conf)):
            if i + 1 < len(conf) and conf[i + 1] == conf[i]:
                continue
            if i + 1 >= min_support and precision[i] >= need:
                best = float(conf[i])
        out[label] = best
    return out


def accept(
    y_pred: Sequence[object], confidence: Sequence[float], thresholds: dict[object, float]
) -> np.ndarray:
    """Boolean mask: predictions confident enough to be handled automatically."""
    return np.array(
        [float(c) >= thresholds.get(p, NEVER) for p, c in zip(y_pred, confidence, strict=True)],
        dtype=bool,
    )
