import numpy as np
import pandas as pd

from fraud.ml.model import FraudClassifier, _platt, recent_holdout_start
from fraud.ml.pipeline import TransactionFraudModel


def _planted(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"ratio": rng.lognormal(0, 0.3, n), "noise": rng.normal(size=n)})
    y = (rng.random(n) < 0.02).astype(float)
    X.loc[y == 1, "ratio"] *= 5  # frauds spend five times the usual amount
    return X, y


def test_classifier_ranks_planted_fraud_first_and_is_calibrated():
    X, y = _planted()
    clf = FraudClassifier(n_estimators=100, random_state=0).fit(X, y, times=np.arange(len(y)))
    Xt, yt = _planted(seed=1)
    p = clf.predict_proba(Xt)
    assert p[yt == 1].mean() > 0.5 > p[yt == 0].mean() * 10
    # calibrated: predicted fraud rate close to the true rate
    assert abs(p.mean() - yt.mean()) < 0.01


def test_reasons_name_the_feature_that_made_the_difference():
    X, y = _planted()
    clf = FraudClassifier(n_estimators=100, random_state=0).fit(X, y, times=np.arange(len(y)))
    suspicious = pd.DataFrame({"ratio": [6.0], "noise": [0.0]})
    assert clf.reasons(suspicious)[0][0].feature == "ratio"


def test_single_class_history_predicts_the_base_rate():
    X, _ = _planted(200)
    clf = FraudClassifier().fit(X, np.zeros(200))
    assert (clf.predict_proba(X) == 0).all()
    assert clf.reasons(X.head(1)) == [[]]


def test_transaction_model_catches_compromised_terminal_from_labelled_history():
    rng = np.random.default_rng(0)
    t0 = pd.Timestamp("2024-01-01")
    n = 6000
    ts = t0 + pd.to_timedelta(np.sort(rng.uniform(0, 60, n)), unit="D")
    tx = pd.DataFrame(
        {
            "transaction_id": np.arange(n),
            "timestamp": ts,
            "customer_id": rng.integers(0, 200, n),
            "terminal_id": rng.integers(0, 50, n),
            "amount": rng.gamma(2, 20, n),
        }
    )
    # terminals 0-4 are compromised from day 10: everything through them is fraud
    bad = (tx.terminal_id < 5) & (tx.timestamp >= t0 + pd.Timedelta(days=10))
    tx["label"] = bad.astype(float)
    train = tx[tx.timestamp < t0 + pd.Timedelta(days=45)]
    score = tx[tx.timestamp >= t0 + pd.Timedelta(days=45)].drop(columns="label")
    model = TransactionFraudModel(warmup_days=14, random_state=0)
    p = model.fit_predict(train, score)
    truth = bad[score.index].to_numpy()
    assert p[truth].min() > p[~truth].max()
    assert (model.fit_predict(train, score) == p).all()  # seeded


def test_calibration_of_a_perfectly_separated_holdout_keeps_scores_apart():
    # a young store: five frauds, all scored above every genuine order
    rng = np.random.default_rng(0)
    margin = np.r_[rng.normal(-4, 0.5, 150), rng.normal(-1.8, 0.1, 5)]
    y = np.r_[np.zeros(150), np.ones(5)]
    a, b = _platt(margin, y)
    p = 1 / (1 + np.exp(-(a * np.array([-5.0, -3.0, -1.6]) + b)))
    assert np.isfinite([a, b]).all() and 0 < a < 100
    assert 0 < p[0] < p[1] < p[2] < 1  # ordered, not saturated to one constant


def test_recent_holdout_reaches_back_for_enough_positives():
    y = np.zeros(100)
    y[[3, 10, 20, 30, 40, 50, 90]] = 1
    assert recent_holdout_start(y, fraction=0.2, min_positives=1) == 80
    start = recent_holdout_start(y, fraction=0.2, min_positives=3)
    assert y[start:].sum() == 3 and start == 40  # as late as possible
    # never more than half of the positives: the earlier part must learn from some
    assert y[: recent_holdout_start(y, fraction=0.2, min_positives=50)].sum() >= 4
