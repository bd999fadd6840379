import numpy as np
import pandas as pd

from fraud.ml.model import FraudClassifier
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
