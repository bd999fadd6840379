"""Churn and purchase-propensity classifiers (scikit-learn conventions, no Django)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from insights.ml.features import FEATURES

_LOG_FEATURES = {"monetary", "aov", "spend_90d", "views_30d", "carts_30d", "sessions_30d"}


def _prepare(frame: pd.DataFrame) -> np.ndarray:
    x = frame[FEATURES].to_numpy(dtype=float, copy=True)
    for i, name in enumerate(FEATURES):
        if name in _LOG_FEATURES:
            x[:, i] = np.log1p(np.clip(x[:, i], 0, None))
    return x


class CustomerClassifier:
    """P(label) from customer features: gradient boosting when there is enough data and both
    classes, a constant base rate otherwise. Used for churn (no order in the horizon) and
    7-day purchase propensity."""

    def __init__(self, min_rows: int = 200, random_state: int = 0) -> None:
        self.min_rows = min_rows
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, y: np.ndarray) -> CustomerClassifier:
        # One thread: on a shared 2-core box OpenMP's spinning threads made a 3k-row fit
        # take 100 s instead of 1 s.
        with threadpool_limits(limits=1):
            return self._fit(features, y)

    def _fit(self, features: pd.DataFrame, y: np.ndarray) -> CustomerClassifier:
        y = np.asarray(y, dtype=int)
        self.base_rate_ = float(y.mean()) if y.size else 0.0
        self.features_ = list(FEATURES)
        if y.size < 20 or y.min() == y.max():
            self.model_ = None
            return self
        x = _prepare(features)
        if y.size >= self.min_rows:
            self.model_ = HistGradientBoostingClassifier(
                max_iter=200,
                learning_rate=0.05,
                max_leaf_nodes=15,
                min_samples_leaf=20,
                l2_regularization=1.0,
                random_state=self.random_state,
            ).fit(x, y)
        else:
            self.model_ = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(
                x, y
            )
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        if features.empty:
            return np.zeros(0)
        if self.model_ is None:
            return np.full(len(features), self.base_rate_)
        with threadpool_limits(limits=1):
            return self.model_.predict_proba(_prepare(features))[:, 1]


def auc(y: np.ndarray, scores: np.ndarray) -> float:
    y = np.asarray(y, dtype=int)
    if y.size == 0 or y.min() == y.max():
        return float("nan")
    return float(roc_auc_score(y, scores))


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    y = np.asarray(y, dtype=int)
    if y.size == 0 or y.max() == 0:
        return float("nan")
    return float(average_precision_score(y, scores))
