"""Train on labelled history, score later transactions (the `ml_eval fraud` contract).

`TransactionFraudModel.fit_predict(train, score)` builds point-in-time features over the
union of both frames (the rows being scored contribute behaviour, never labels), fits the
calibrated LightGBM on the labelled rows after a warm-up (so 30-day windows are full) and
returns the fraud probability of every scored row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fraud.ml.features import EXTENDED_FEATURES, transaction_features
from fraud.ml.model import TRANSACTION_CLASSIFIER, FraudClassifier
from fraud.ml.windows import DAY

REQUIRED = ["transaction_id", "timestamp", "customer_id", "terminal_id", "amount"]


def effective_delays(
    train_times: pd.Series, score_times: pd.Series, *, delay_days: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row label delay (days) for train and score rows.

    A scored row `t` can only see labels up to the end of TRAIN, so its label windows end at
    `max(delay, t - train_end)` days back. Training rows get delays drawn from that same
    distribution (seeded), so the model learns from features as stale as the ones it will
    be scored on, instead of from always-fresh labels it never has when scoring.
    """
    tr = pd.to_datetime(train_times)
    sc = pd.to_datetime(score_times)
    if sc.empty or tr.empty:
        return np.full(len(tr), delay_days), np.full(len(sc), delay_days)
    lag = (sc - tr.max()).dt.total_seconds().to_numpy() / DAY
    score_delay = np.maximum(lag, delay_days)
    rng = np.random.default_rng(random_state)
    train_delay = rng.choice(score_delay, size=len(tr), replace=True)
    return train_delay, score_delay


def history_features(
    train: pd.DataFrame, score: pd.DataFrame, *, delay_days: float, random_state: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features for train rows (labels known) and score rows (labels hidden), one pass."""
    both = pd.concat(
        [train[[*REQUIRED, "label"]], score[REQUIRED].assign(label=np.nan)], ignore_index=True
    )
    d_train, d_score = effective_delays(
        train["timestamp"], score["timestamp"], delay_days=delay_days, random_state=random_state
    )
    feats = transaction_features(both, delay_days=np.concatenate([d_train, d_score]))
    n = len(train)
    return feats.iloc[:n].set_axis(train.index), feats.iloc[n:].set_axis(score.index)


def warm_rows(timestamps: pd.Series, warmup_days: float) -> np.ndarray:
    """Mask of rows late enough for full windows; shortened when the history is short."""
    ts = pd.to_datetime(timestamps)
    if ts.empty:
        return np.zeros(0, dtype=bool)
    span_days = (ts.max() - ts.min()).total_seconds() / DAY
    warm = min(warmup_days, 0.3 * span_days)
    return (ts >= ts.min() + pd.Timedelta(days=warm)).to_numpy()


class TransactionFraudModel:
    """Windowed customer/terminal features + calibrated LightGBM.

    `delay_days`: labels younger than this are treated as unknown when building features
    for training rows; `warmup_days`: earliest labelled days used only as feature history.
    """

    def __init__(
        self,
        *,
        delay_days: float = 7.0,
        warmup_days: float = 37.0,
        features: list[str] | None = None,
        classifier_params: dict[str, Any] | None = None,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.delay_days = delay_days
        self.warmup_days = warmup_days
        self.features = features
        self.classifier_params = classifier_params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit_features(
        self, X: pd.DataFrame, y: np.ndarray, times: pd.Series
    ) -> TransactionFraudModel:
        cols = self.features or EXTENDED_FEATURES
        # settings chosen on a validation split of the training weeks (see model.py)
        options: dict[str, Any] = dict(TRANSACTION_CLASSIFIER)
        if self.classifier_params is not None:
            options["params"] = self.classifier_params
        self.classifier_ = FraudClassifier(
            **options, random_state=self.random_state, n_jobs=self.n_jobs
        ).fit(X[cols], y, times=pd.to_datetime(times).to_numpy())
        return self

    def fit_predict(self, train: pd.DataFrame, score: pd.DataFrame) -> np.ndarray:
        f_train, f_score = history_features(
            train, score, delay_days=self.delay_days, random_state=self.random_state
        )
        keep = warm_rows(train["timestamp"], self.warmup_days)
        y = train["label"].to_numpy(dtype=np.float64)
        self.fit_features(f_train[keep], y[keep], train["timestamp"][keep])
        return self.classifier_.predict_proba(f_score)
