"""Fraud metrics (pure numpy): average precision, ROC AUC, card precision@k per day.

Higher scores mean "more likely fraud". Ties are handled as scikit-learn does (tied scores
share one threshold), so figures match `sklearn.metrics` on the same inputs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _as_arrays(y_true: ArrayLike, y_score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true has {y.size} values but y_score has {s.size}")
    if np.isnan(s).any():
        raise ValueError("y_score contains NaN")
    return y, s


def _tp_fp_at_thresholds(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]
    tps = np.cumsum(y)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    return tps, fps


def average_precision(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the precision-recall curve (step-wise, as sklearn's average_precision_score).

    Returns NaN when there is no positive label.
    """
    y, s = _as_arrays(y_true, y_score)
    n_pos = y.sum()
    if y.size == 0 or n_pos == 0:
        return float("nan")
    tps, fps = _tp_fp_at_thresholds(y, s)
    precision = tps / (tps + fps)
    recall = tps / n_pos
    recall_steps = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_steps * precision))


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve; NaN when only one class is present."""
    y, s = _as_arrays(y_true, y_score)
    n_pos = y.sum()
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    tps, fps = _tp_fp_at_thresholds(y, s)
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    return float(np.trapezoid(tpr, fpr))


def card_precision_at_k_per_day(
    day: ArrayLike, card: ArrayLike, y_true: ArrayLike, y_score: ArrayLike, k: int = 100
) -> float:
    """Mean over days of the share of fraudulent cards among the k cards ranked riskiest.

    A card's score on a day is the maximum score of its transactions that day and it counts
    as fraudulent if any of them is. This is what an investigator team checking k cards per
    day would find. Days with fewer than k cards still divide by k, so the ceiling is
    (fraudulent cards that day) / k.
    """
    y, s = _as_arrays(y_true, y_score)
    d = np.asarray(day).ravel()
    c = np.asarray(card).ravel()
    if not (d.size == c.size == y.size):
        raise ValueError("day, card, y_true and y_score must have the same length")
    if y.size == 0:
        return float("nan")
    # one row per (day, card): max score, max label
    _, day_codes = np.unique(d, return_inverse=True)
    _, card_codes = np.unique(c, return_inverse=True)
    pair = day_codes.astype(np.int64) * (card_codes.max() + 1) + card_codes
    uniq, inv = np.unique(pair, return_inverse=True)
    best = np.full(uniq.size, -np.inf)
    np.maximum.at(best, inv, s)
    fraud = np.zeros(uniq.size)
    np.maximum.at(fraud, inv, y)
    pair_day = uniq // (card_codes.max() + 1)
    # rank cards within each day by score (descending)
    order = np.lexsort((-best, pair_day))
    pair_day, fraud = pair_day[order], fraud[order]
    starts = np.r_[0, np.flatnonzero(np.diff(pair_day)) + 1]
    rank = np.arange(pair_day.size) - np.repeat(starts, np.diff(np.r_[starts, pair_day.size]))
    in_top = rank < k
    per_day = np.bincount(pair_day[in_top], weights=fraud[in_top], minlength=day_codes.max() + 1)
    return float(np.mean(per_day / k))
