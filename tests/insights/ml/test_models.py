from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from insights.ml.features import FEATURES, customer_features, future_purchasers
from insights.ml.models import CustomerClassifier, auc
from insights.ml.recovery import max_discount_pct, recovery_action
from insights.ml.rfm import rfm_churn_rule, rfm_scores, segment_for
from insights.ml.synthetic import planted_churn_store

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def store():  # type: ignore[no-untyped-def]
    return planted_churn_store(n_customers=600, days=400, now=NOW, seed=3)


def _labelled(store, as_of, horizon=60):  # type: ignore[no-untyped-def]
    feats = customer_features(store.orders, store.events, store.customers, as_of)
    feats = feats[feats["frequency"] > 0]
    back = future_purchasers(store.orders, as_of, horizon)
    return feats, (~feats.index.isin(list(back))).astype(int)


def test_churn_model_beats_the_rfm_rule_on_planted_churn(store) -> None:  # type: ignore[no-untyped-def]
    eval_at = NOW - timedelta(days=60)
    train_x, train_y = _labelled(store, eval_at - timedelta(days=60))
    eval_x, _ = _labelled(store, eval_at)
    planted = np.array(
        [int(c in store.churn_at and store.churn_at[c] <= NOW) for c in eval_x.index]
    )

    model = CustomerClassifier().fit(train_x, train_y)
    model_auc = auc(planted, model.predict_proba(eval_x))
    rule_auc = auc(planted, rfm_churn_rule(eval_x))

    assert model_auc > 0.75
    assert model_auc > rule_auc + 0.05


def test_features_ignore_everything_after_as_of(store) -> None:  # type: ignore[no-untyped-def]
    as_of = NOW - timedelta(days=100)
    full = customer_features(store.orders, store.events, store.customers, as_of)
    cut = customer_features(
        store.orders[store.orders["placed_at"] < pd.Timestamp(as_of)],
        store.events[store.events["created_at"] < pd.Timestamp(as_of)],
        store.customers,
        as_of,
    )
    pd.testing.assert_frame_equal(full, cut)


def test_rfm_scores_rank_recent_big_spenders_as_champions() -> None:
    feats = pd.DataFrame(
        {
            "recency_days": [2.0, 300.0, 5.0, 200.0, 730.0],
            "frequency": [20.0, 1.0, 1.0, 15.0, 0.0],
            "monetary": [2000.0, 20.0, 30.0, 1500.0, 0.0],
        },
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
    )
    seg = rfm_scores(feats)["segment"].to_dict()
    assert seg[1] == "champions"
    assert seg[2] in {"at_risk", "hibernating", "lost"}  # one small order long ago
    assert seg[5] == "prospect"
    risk = rfm_churn_rule(feats)
    assert risk[0] < risk[1] and risk[4] == 1.0  # positions: customers 1, 2 and 5


def test_segment_grid_covers_every_score() -> None:
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                assert segment_for(r, f, m)


def test_classifier_without_both_classes_returns_the_base_rate() -> None:
    x = pd.DataFrame(np.ones((30, len(FEATURES))), columns=FEATURES)
    model = CustomerClassifier().fit(x, np.zeros(30))
    assert set(model.predict_proba(x)) == {0.0}


@given(
    st.lists(st.tuples(st.floats(1, 500), st.floats(0, 1)), min_size=1, max_size=6),
    st.floats(0, 0.5),
)
def test_discount_never_breaks_the_margin_floor(lines, min_margin) -> None:  # type: ignore[no-untyped-def]
    prices = [p for p, _ in lines]
    costs = [p * c for p, c in lines]
    d = max_discount_pct(prices, costs, min_margin=min_margin, cap=0.15)
    assert 0 <= d <= 0.15
    for price, cost in zip(prices, costs, strict=True):
        if d > 0:
            assert price * (1 - d) >= cost * (1 + min_margin) - 1e-9


def test_recovery_action_by_propensity() -> None:
    assert recovery_action(0.8, 0.15) == ("reminder", 0.0)
    assert recovery_action(0.3, 0.15) == ("discount", 0.10)
    assert recovery_action(0.3, 0.02) == ("recommend", 0.0)  # guardrails leave no room
    assert recovery_action(0.05, 0.15) == ("recommend", 0.0)
