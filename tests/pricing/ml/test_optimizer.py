"""Guardrails always win: property tests over arbitrary costs, prices, rules and elasticities."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops.metrics.pricing import allowed_range, guardrail_violations
from pricing.ml.optimizer import PriceOptimizer, feasible_interval, violations

money = st.decimals(min_value="0.01", max_value="5000", places=2).map(float)
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@st.composite
def product_rows(draw):  # type: ignore[no-untyped-def]
    current = draw(money)
    row = {
        "product_id": 1,
        "current_price": current,
        "cost": draw(st.floats(min_value=0, max_value=current * 2, allow_nan=False)),
        "min_margin": draw(st.floats(min_value=0, max_value=1.0)),
        "max_change_pct": draw(st.floats(min_value=0, max_value=60)),
        "elasticity": draw(st.floats(min_value=-8, max_value=1.5)),
        "base_daily_units": draw(st.floats(min_value=0, max_value=500)),
        "list_price": draw(maybe(money)),
        "max_discount_pct": draw(maybe(st.floats(min_value=0, max_value=90))),
        "floor_price": draw(maybe(money)),
        "ceiling_price": draw(maybe(money)),
        "competitor_price": draw(maybe(money)),
        "competitor_cap_pct": draw(maybe(st.floats(min_value=0, max_value=30))),
        "changes_last_7d": draw(st.integers(0, 5)),
        "max_changes_per_week": draw(maybe(st.integers(0, 3).map(float))),
        "stock": draw(maybe(st.floats(min_value=0, max_value=1000))),
        "objective": draw(st.sampled_from(["profit", "revenue", "sell_through"])),
    }
    return {k: (np.nan if v is None else v) for k, v in row.items()}


def metric_range(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    cols = [
        "min_margin",
        "max_change_pct",
        "list_price",
        "max_discount_pct",
        "floor_price",
        "ceiling_price",
        "competitor_price",
        "competitor_cap_pct",
    ]
    return allowed_range(
        current_price=df["current_price"], cost=df["cost"], **{c: df[c] for c in cols}
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(product_rows(), min_size=1, max_size=6))
def test_no_proposal_breaks_a_guardrail_that_can_be_met(rows):
    df = pd.DataFrame(rows)
    df["product_id"] = range(len(df))
    out = PriceOptimizer().propose(df)
    price = out["recommended_price"].to_numpy()
    assert np.all(np.isfinite(price)) and np.all(price >= 0.01)
    assert np.allclose(price, np.round(price, 2))
    lo, hi, conflicts = feasible_interval(df)
    for i in range(len(df)):
        if not conflicts[i]:
            # every guardrail can be met together: the proposal meets all of them
            assert violations(df.iloc[[i]], price[[i]])[0] == 0
            assert out["conflicts"].iloc[i] == ""
        else:
            # contradictory rules: the dropped ones are named, so the proposal gets reviewed
            assert out["conflicts"].iloc[i] != ""
    # the independent metric agrees (it does not know the weekly change limit)
    mlo, mhi = metric_range(df)
    feasible = (mlo <= mhi) & np.array([not c for c in conflicts])
    held = (
        df["max_changes_per_week"].notna() & (df["changes_last_7d"] >= df["max_changes_per_week"])
    ).to_numpy()
    bad = guardrail_violations(price, mlo, mhi)
    assert not np.any(bad & feasible & ~held)


@settings(max_examples=100, deadline=None)
@given(product_rows())
def test_change_limit_reached_means_hold(row):
    row = {**row, "changes_last_7d": 2, "max_changes_per_week": 2.0}
    df = pd.DataFrame([row])
    out = PriceOptimizer().propose(df)
    if not out["conflicts"].iloc[0]:
        assert out["recommended_price"].iloc[0] == pytest.approx(row["current_price"])


def test_profit_optimum_matches_the_textbook_markup_when_unconstrained():
    # constant elasticity e: profit peaks at cost * e / (1 + e)
    df = pd.DataFrame(
        {
            "product_id": [1, 2],
            "current_price": [10.0, 10.0],
            "cost": [6.0, 5.0],
            "elasticity": [-3.0, -2.0],
            "base_daily_units": [10.0, 10.0],
            "max_change_pct": [50.0, 50.0],
            "min_margin": [0.0, 0.0],
        }
    )
    out = PriceOptimizer().propose(df)
    np.testing.assert_allclose(out["recommended_price"], [9.0, 10.0], atol=0.011)


def test_guardrail_beats_the_model_and_is_named():
    df = pd.DataFrame(
        {
            "product_id": [1],
            "current_price": [10.0],
            "cost": [6.0],
            "elasticity": [-1.2],
            "base_daily_units": [10.0],
            "max_change_pct": [5.0],
            "min_margin": [0.1],
        }
    )
    out = PriceOptimizer().propose(df).iloc[0]
    assert out["recommended_price"] == pytest.approx(10.5)  # the model wants 36.00
    assert "max_change" in out["bound"]
    assert out["profit_new"] > out["profit_current"]


def test_contradictory_rules_keep_the_higher_priority_one():
    # cost went up: the minimum margin needs 13.20 but max change allows only 10.50
    df = pd.DataFrame(
        {
            "product_id": [1],
            "current_price": [10.0],
            "cost": [12.0],
            "elasticity": [-2.0],
            "base_daily_units": [10.0],
            "max_change_pct": [5.0],
            "min_margin": [0.1],
        }
    )
    out = PriceOptimizer().propose(df).iloc[0]
    assert out["recommended_price"] >= 13.2
    assert out["conflicts"] == "max_change"


def test_scarce_stock_raises_and_overstock_marks_down_for_sell_through():
    base = {
        "product_id": 1,
        "current_price": 10.0,
        "cost": 4.0,
        "elasticity": -2.5,
        "base_daily_units": 10.0,
        "max_change_pct": 20.0,
        "min_margin": 0.1,
    }
    plain = PriceOptimizer().propose(pd.DataFrame([base]))["recommended_price"].iloc[0]
    scarce = PriceOptimizer().propose(pd.DataFrame([{**base, "stock": 5.0}]))
    assert scarce["recommended_price"].iloc[0] > plain
    clear = PriceOptimizer(objective="sell_through").propose(
        pd.DataFrame([{**base, "stock": 150.0, "horizon_days": 7}])
    )
    assert clear["recommended_price"].iloc[0] < 10.0
    assert clear["units_new"].iloc[0] * 7 >= 150.0 - 1e-6 or "max_change" in clear["bound"].iloc[0]


def test_out_of_stock_holds_the_price():
    df = pd.DataFrame(
        {
            "product_id": [1],
            "current_price": [10.0],
            "cost": [4.0],
            "elasticity": [-2.5],
            "base_daily_units": [10.0],
            "stock": [0.0],
            "max_change_pct": [20.0],
            "min_margin": [0.1],
        }
    )
    assert PriceOptimizer().propose(df)["recommended_price"].iloc[0] == 10.0


def test_small_changes_are_not_worth_proposing():
    df = pd.DataFrame(
        {
            "product_id": [1],
            "current_price": [10.0],
            "cost": [6.5],
            "elasticity": [-3.0],
            "base_daily_units": [10.0],
            "max_change_pct": [10.0],
            "min_margin": [0.1],
            "min_change_pct": [5.0],
        }
    )
    out = PriceOptimizer().propose(df).iloc[0]  # optimum 9.75 is only 2.5% away
    assert out["recommended_price"] == 10.0 and not out["changed"]
    assert math.isfinite(out["profit_new"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 60), money, st.integers(0, 40)),
        min_size=0,
        max_size=80,
    ),
    st.lists(product_rows(), min_size=4, max_size=4),
)
def test_any_history_through_the_pipeline_keeps_the_guardrails(history, rows):
    from pricing.ml.pipeline import recommend_prices

    hist = pd.DataFrame(
        [
            {
                "product_id": f"p{p}",
                "date": pd.Timestamp("2025-01-01") + pd.Timedelta(days=d),
                "price": price,
                "quantity": q,
            }
            for p, d, price, q in history
        ],
        columns=["product_id", "date", "price", "quantity"],
    )
    products = pd.DataFrame(rows).drop(columns=["elasticity", "base_daily_units"])
    products["product_id"] = [f"p{i}" for i in range(4)]
    out, _ = recommend_prices(hist, products)
    assert list(out["product_id"]) == list(products["product_id"])
    lo, hi, conflicts = feasible_interval(products)
    price = out["recommended_price"].to_numpy()
    for i in range(4):
        if not conflicts[i]:
            assert violations(products.iloc[[i]], price[[i]])[0] == 0
