"""LightGBM fraud classifier with calibrated probabilities and per-feature reasons.

`FraudClassifier` works on any numeric feature frame (the offline transaction features of
`fraud.ml.features` or the store's checkout features). Training holds back the most recent
slice of the rows (by time) to pick the number of trees and to fit a Platt calibration, then
refits on everything. Calibration is monotone, so rankings (AP, AUC) are those of the booster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float
    contribution: float  # log-odds pushed towards fraud (positive) or away (negative)


DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
}


MIN_HOLDOUT_POSITIVES = 5  # early stopping and calibration need a few frauds to look at


def recent_holdout_start(y: np.ndarray, *, fraction: float, min_positives: int) -> int:
    """Where the held-back recent slice of time-ordered labels `y` (0/1) starts.

    The slice is the latest `fraction` of the rows, extended further back until it holds
    `min_positives` positives (never more than half of them: the earlier part must keep some
    to learn from). Fraud labels come in clumps, and a fixed 20% of the rows can hold none.
    """
    y = np.asarray(y, dtype=np.float64)
    start = y.size - int(round(y.size * fraction))
    need = min(min_positives, int(y.sum()) // 2)
    if need > 0 and y[start:].sum() < need:
        from_end = np.cumsum(y[::-1])
        start = min(start, y.size - 1 - int(np.searchsorted(from_end, need)))
    return start


# The offline transaction model (`ml_eval fraud`, bench/fraud.py): chosen on a validation
# split carved from the training weeks only (see docs/results/fraud.md), never on test weeks.
TRANSACTION_CLASSIFIER: dict[str, Any] = {"params": {}}


class FraudClassifier:
    """Gradient-boosted trees -> calibrated fraud probability.

    Parameters are stored as given; `fit` does the work and returns self. Learned state:
    `booster_`, `feature_names_`, `n_trees_`, `calib_a_`, `calib_b_` (Platt on the raw margin).
    With a single class in `y` the model predicts that class's base rate.
    """

    def __init__(
        self,
        *,
        n_estimators: int = 600,
        holdout_fraction: float = 0.2,
        early_stopping_rounds: int = 50,
        params: dict[str, Any] | None = None,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.holdout_fraction = holdout_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.params = params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _lgb_params(self) -> dict[str, Any]:
        p = {**DEFAULT_PARAMS, **(self.params or {})}
        p.update(seed=self.random_state, num_threads=self.n_jobs, deterministic=True)
        return p

    def fit(
        self, X: pd.DataFrame, y: np.ndarray, times: np.ndarray | None = None
    ) -> FraudClassifier:
        X = X.astype(np.float64)
        y = np.asarray(y, dtype=np.float64)
        self.feature_names_ = list(X.columns)
        self.base_rate_ = float(y.mean()) if y.size else 0.0
        self.booster_: lgb.Booster | None = None
        self.calib_a_, self.calib_b_ = 1.0, 0.0
        if y.size == 0 or y.min() == y.max():
            self.n_trees_ = 0
            return self
        order = np.argsort(times, kind="stable") if times is not None else np.arange(y.size)
        start = recent_holdout_start(
            y[order], fraction=self.holdout_fraction, min_positives=MIN_HOLDOUT_POSITIVES
        )
        n_hold = y.size - start
        hold, fit_idx = order[start:], order[:start]
        params = self._lgb_params()
        n_trees = self.n_estimators
        if n_hold > 0 and 0 < y[hold].sum() < n_hold and 0 < y[fit_idx].sum() < fit_idx.size:
            dtrain = lgb.Dataset(X.iloc[fit_idx], y[fit_idx], free_raw_data=True)
            dvalid = lgb.Dataset(X.iloc[hold], y[hold], reference=dtrain)
            booster = lgb.train(
                {**params, "metric": "average_precision"},
                dtrain,
                num_boost_round=self.n_estimators,
                valid_sets=[dvalid],
                callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
            )
            n_trees = max(booster.best_iteration, 10)
            margin = np.asarray(
                booster.predict(X.iloc[hold], num_iteration=n_trees, raw_score=True)
            )
            self.calib_a_, self.calib_b_ = _platt(margin, y[hold])
        self.booster_ = lgb.train(params, lgb.Dataset(X, y), num_boost_round=n_trees)
        self.n_trees_ = n_trees
        return self

    def _margin(self, X: pd.DataFrame) -> np.ndarray:
        assert self.booster_ is not None
        return np.asarray(
            self.booster_.predict(
                X[self.feature_names_].to_numpy(dtype=np.float64), raw_score=True, num_threads=1
            )
        )

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of fraud per row (1-D)."""
        if self.booster_ is None:
            return np.full(len(X), self.base_rate_)
        z = self.calib_a_ * self._margin(X) + self.calib_b_
        return expit(z)

    def reasons(self, X: pd.DataFrame, top_k: int = 3) -> list[list[Reason]]:
        """Top features pushing each row towards fraud (LightGBM pred_contrib, SHAP values)."""
        if self.booster_ is None:
            return [[] for _ in range(len(X))]
        Xf = X[self.feature_names_].astype(np.float64)
        contrib = np.asarray(self.booster_.predict(Xf.to_numpy(), pred_contrib=True, num_threads=1))
        contrib = contrib[:, :-1]
        values = Xf.to_numpy()
        out: list[list[Reason]] = []
        for row, vals in zip(contrib, values, strict=True):
            top = np.argsort(-row)[:top_k]
            out.append(
                [
                    Reason(self.feature_names_[j], float(vals[j]), float(row[j]))
                    for j in top
                    if row[j] > 0
                ]
            )
        return out

    def score_one(
        self, features: Mapping[str, float], top_k: int = 3
    ) -> tuple[float, list[Reason]]:
        """Calibrated probability and top reasons of ONE row given as {feature: value}.

        The checkout path: one single-threaded `pred_contrib` call on a numpy row; the
        contributions plus the bias sum to the raw margin, so no second predict is needed.
        """
        if self.booster_ is None:
            return self.base_rate_, []
        x = np.array([[features[f] for f in self.feature_names_]], dtype=np.float64)
        contrib = np.asarray(self.booster_.predict(x, pred_contrib=True, num_threads=1))[0]
        z = self.calib_a_ * float(contrib.sum()) + self.calib_b_
        row = contrib[:-1]
        top = np.argsort(-row)[:top_k]
        reasons = [
            Reason(self.feature_names_[j], float(x[0, j]), float(row[j])) for j in top if row[j] > 0
        ]
        return float(expit(z)), reasons


def _platt(margin: np.ndarray, y: np.ndarray, n_iter: int = 50) -> tuple[float, float]:
    """Fit p = sigmoid(a * margin + b) by Newton's method on the log loss (a > 0 kept).

    Targets are Platt's smoothed labels, (n+ + 1) / (n+ + 2) and 1 / (n- + 2), not 0/1: on a
    holdout the booster separates perfectly (a handful of frauds, as in a young store) the
    0/1 loss has no minimum, `a` ran off to ~1e8 and every probability saturated to 0 or 1,
    one constant score for every order (a demo store's held-out AUC came out at 0.5).
    """
    n_pos = float(np.sum(y == 1))
    n_neg = float(y.size - n_pos)
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(a: float, b: float) -> float:
        z = a * margin + b
        return float(np.sum(np.logaddexp(0, z) - t * z))

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(n_iter):
        p = expit(a * margin + b)
        w = np.clip(p * (1 - p), 1e-12, None)
        g = np.array([np.sum((p - t) * margin), np.sum(p - t)])
        h = np.array(
            [[np.sum(w * margin * margin), np.sum(w * margin)], [np.sum(w * margin), np.sum(w)]]
        )
        h += np.eye(2) * 1e-9
        step = np.linalg.solve(h, g)
        scale = 1.0
        while scale > 1e-6:  # backtracking: a full Newton step can overshoot on few points
            trial = loss(a - scale * step[0], b - scale * step[1])
            if trial <= current:
                break
            scale /= 2
        else:
            break
        a, b, current = a - scale * step[0], b - scale * step[1], trial
        if np.abs(scale * step).max() < 1e-8:
            break
    if not np.isfinite(a) or a <= 0:
        return 1.0, 0.0
    return float(a), float(b)
