import numpy as np
import pandas as pd

from fraud.ml.features import STANDARD_FEATURES, transaction_features


def _tx(rows):
    return pd.DataFrame(
        rows, columns=["timestamp", "customer_id", "terminal_id", "amount", "label"]
    )


def test_terminal_risk_ignores_labels_younger_than_the_delay():
    t0 = pd.Timestamp("2024-01-01 12:00")
    tx = _tx(
        [
            (t0, 1, 9, 10.0, 1.0),  # fraud on terminal 9
            (t0 + pd.Timedelta(days=3), 2, 9, 10.0, 0.0),  # 3 days later: not known yet
            (t0 + pd.Timedelta(days=8), 3, 9, 10.0, 0.0),  # 8 days later: known
        ]
    )
    f = transaction_features(tx, delay_days=7)
    assert f["term_risk_7d"].tolist() == [0.0, 0.0, 1.0]
    assert f["term_fraud_n_28d"].tolist() == [0.0, 0.0, 1.0]


def test_unlabelled_rows_never_leak_their_label():
    t0 = pd.Timestamp("2024-01-01")
    rows = [(t0 + pd.Timedelta(days=d), 1, 5, 20.0, np.nan) for d in range(20)]
    f = transaction_features(_tx(rows), delay_days=7)
    assert (f["term_risk_30d"] == 0).all()
    assert (f["cust_fraud_n_14d"] == 0).all()


def test_customer_windows_count_spend_and_flag_unusual_amounts():
    t0 = pd.Timestamp("2024-01-01")
    rows = [(t0 + pd.Timedelta(hours=12 * i), 7, i, 50.0, 0.0) for i in range(10)]
    rows.append((t0 + pd.Timedelta(days=5, hours=1), 7, 99, 250.0, 0.0))
    f = transaction_features(_tx(rows), delay_days=7)
    last = f.iloc[-1]
    assert last["cust_n_1d"] == 2  # the one at 4.5 d and itself
    assert last["cust_amount_ratio_30d"] == 5.0  # five times the usual 50
    assert f.iloc[0]["cust_n_30d"] == 1
    assert list(f.columns[: len(STANDARD_FEATURES)]) == STANDARD_FEATURES


def test_baseline_ignores_the_last_two_weeks_and_counts_recent_outliers():
    t0 = pd.Timestamp("2024-01-01")
    # a month of 20-unit purchases, then a compromised card: 100-unit purchases
    rows = [(t0 + pd.Timedelta(days=d), 7, d, 20.0 + (d % 3), 0.0) for d in range(30)]
    rows += [(t0 + pd.Timedelta(days=30 + d), 7, 50 + d, 100.0, np.nan) for d in range(4)]
    f = transaction_features(_tx(rows), delay_days=7)
    last = f.iloc[-1]
    # the inflated purchases of the last days do not pollute the baseline
    assert 4.5 < last["cust_base_ratio"] < 5.5
    assert last["cust_base_z"] > 3
    assert last["cust_high_n_14d"] == 3  # the three earlier 100-unit purchases
    assert f.iloc[29]["cust_high_n_14d"] == 0


def test_start_of_a_run_of_confirmed_terminal_fraud_is_seen_after_the_delay():
    t0 = pd.Timestamp("2024-01-01")
    rows = [(t0 + pd.Timedelta(days=d), d, 9, 10.0, float(d >= 3)) for d in range(20)]
    f = transaction_features(_tx(rows), delay_days=7)
    # day 12 sees labels up to day 5: the run started on day 3, 9 days before
    assert f.iloc[12]["term_days_since_first_fraud"] == 9
    assert np.isnan(f.iloc[9]["term_days_since_first_fraud"])  # day 3 is not 7 days old yet
