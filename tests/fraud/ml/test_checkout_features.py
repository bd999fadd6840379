"""The checkout fast path (one row, plain numpy) must equal the batch features used in training."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from fraud.ml.checkout import CHECKOUT_FEATURES, checkout_features, checkout_features_last


def _history(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    t0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
    # a few seconds apart sometimes (same-second ties, 1 h windows), days apart otherwise
    gaps = np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), rng.exponential(2 * 86400, n))
    jitter = rng.integers(0, 10**6, n)
    # checkout sees only rows at or before the order: times in order
    times = sorted(
        t0 + timedelta(seconds=float(s), microseconds=int(us))
        for s, us in zip(np.cumsum(gaps), jitter, strict=True)
    )
    rows = []
    for i, placed in enumerate(times):
        cust = int(rng.integers(0, 4))
        guest = rng.random() < 0.15
        card = f"card-{rng.integers(0, 5)}"
        fraud = rng.random() < 0.2
        rows.append(
            {
                "order_id": i + 1,
                "placed_at": placed,
                "customer_key": f"g{card}" if guest else f"c{cust}",
                "card": card,
                "device": "" if rng.random() < 0.2 else f"dev-{rng.integers(0, 3)}",
                "ip": "" if rng.random() < 0.2 else f"10.0.0.{rng.integers(0, 3)}",
                "amount": float(np.round(rng.gamma(2, 30), 2)) if rng.random() > 0.2 else 5.0,
                "n_items": float(rng.integers(1, 4)),
                "account_created_at": None
                if guest
                else t0 - timedelta(days=int(rng.integers(0, 900))),
                "ship_key": ["", "a1", "b2", "c3"][int(rng.integers(0, 4))],
                "ship_country": ["", "GB", "FR"][int(rng.integers(0, 3))],
                "bill_country": ["GB", "FR"][int(rng.integers(0, 2))],
                "ip_country": ["", "GB", "NG"][int(rng.integers(0, 3))],
                "bin_country": ["GB", "US"][int(rng.integers(0, 2))],
                "declined": float(rng.random() < 0.1),
                # labels arrive later (chargeback), sometimes within seconds (reviewer)
                "fraud_known_at": placed
                + timedelta(seconds=float(rng.choice([1, 3600, 5 * 86400])))
                if fraud
                else None,
            }
        )
    return rows


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in rows[0]})
    for col in ("placed_at", "account_created_at", "fraud_known_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_row_features_equal_batch_features_of_the_last_row(seed):
    rows = _history(60, seed)
    compared = 0
    for end in range(1, len(rows) + 1, 3):
        prefix = rows[:end]
        batch = checkout_features(_frame(prefix)).iloc[-1]
        fast = checkout_features_last(prefix)
        assert list(fast) == CHECKOUT_FEATURES
        np.testing.assert_allclose(
            np.array(list(fast.values())),
            batch.to_numpy(dtype=float),
            rtol=1e-9,
            atol=1e-9,
            err_msg=f"seed {seed}, {end} rows",
        )
        compared += 1
    assert compared == 20


def test_one_row_features_see_windows_labels_and_shared_entities():
    rows = _history(3, 0)
    t = rows[-1]["placed_at"]
    for r in rows:
        r.update(customer_key="c1", card="card-1", device="dev-1", ip="1.1.1.1", ship_key="a1")
    rows[0].update(placed_at=t - timedelta(days=40), fraud_known_at=t - timedelta(days=1))
    rows[1].update(
        placed_at=t - timedelta(minutes=5), customer_key="c2", fraud_known_at=t + timedelta(days=1)
    )
    f = checkout_features_last(rows)
    assert f["cust_n_30d"] == 1 and f["card_n_1h"] == 2  # 40 days ago is outside 30 days
    assert f["card_accounts"] == 2 and f["device_accounts"] == 2
    assert f["card_fraud_known"] == 1  # the other label arrives after checkout: not known yet
    assert f["new_ship_address"] == 0.0  # c1 shipped to a1 40 days ago
