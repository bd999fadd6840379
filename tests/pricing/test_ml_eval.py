import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command


def _files(tmp_path, n_products=6, days=120):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2025-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    hist, prods = [], []
    for i in range(n_products):
        price = np.round(10 * np.exp(rng.uniform(-0.2, 0.2, days)), 2)
        if i == 0:
            price[:] = 10.0  # no price variation: pooled
        q = rng.poisson(10 * (price / 10) ** -2.0)
        hist.append(
            pd.DataFrame({"product_id": f"A{i}", "date": dates, "price": price, "quantity": q})
        )
        prods.append(
            {
                "product_id": f"A{i}",
                "cost": 5.0,
                "current_price": 10.0,
                "min_margin": 0.2,
                "max_change_pct": 10,
            }
        )
    prods.append(
        {
            "product_id": "NEW",
            "cost": 3.0,
            "current_price": 8.0,
            "min_margin": 0.2,
            "max_change_pct": 10,
        }
    )
    h, p, o = tmp_path / "HIST.csv", tmp_path / "PRODUCTS.csv", tmp_path / "PRICES.csv"
    pd.concat(hist).to_csv(h, index=False)
    pd.DataFrame(prods).to_csv(p, index=False)
    return h, p, o


def test_ml_eval_pricing_writes_a_row_per_product_within_guardrails(tmp_path):
    h, p, o = _files(tmp_path)
    call_command("ml_eval", "pricing", "--history", str(h), "--products", str(p), "--out", str(o))
    out = pd.read_csv(o, dtype={"product_id": str})
    assert list(out.columns[:3]) == ["product_id", "elasticity", "recommended_price"]
    assert set(out["product_id"]) == {f"A{i}" for i in range(6)} | {"NEW"}
    prods = pd.read_csv(p, dtype={"product_id": str}).set_index("product_id")
    out = out.set_index("product_id")
    price = out["recommended_price"]
    assert (price >= prods["cost"] * (1 + prods["min_margin"]) - 1e-9).all()
    assert (
        (price / prods["current_price"] - 1).abs() <= prods["max_change_pct"] / 100 + 1e-9
    ).all()
    assert out.loc["A0", "pooled"] and out.loc["NEW", "pooled"]
    assert abs(out.loc["A3", "elasticity"] + 2.0) < 0.5
    # same inputs, same outputs
    o2 = tmp_path / "P2.csv"
    call_command("ml_eval", "pricing", "--history", str(h), "--products", str(p), "--out", str(o2))
    assert o.read_text() == o2.read_text()


def test_ml_eval_pricing_names_the_missing_column(tmp_path):
    h, p, o = _files(tmp_path)
    pd.read_csv(p).drop(columns="min_margin").to_csv(p, index=False)
    with pytest.raises(CommandError, match="min_margin"):
        call_command(
            "ml_eval", "pricing", "--history", str(h), "--products", str(p), "--out", str(o)
        )


def test_ml_eval_pricing_rejects_a_non_positive_current_price(tmp_path):
    h, p, o = _files(tmp_path)
    df = pd.read_csv(p)
    df.loc[2, "current_price"] = 0
    df.to_csv(p, index=False)
    with pytest.raises(CommandError, match="row 4: column current_price"):
        call_command(
            "ml_eval", "pricing", "--history", str(h), "--products", str(p), "--out", str(o)
        )


def test_ml_eval_pricing_rejects_a_negative_max_change_pct(tmp_path):
    h, p, o = _files(tmp_path)
    df = pd.read_csv(p)
    df.loc[1, "max_change_pct"] = -5  # was accepted and gave a price 5 % below current
    df.to_csv(p, index=False)
    with pytest.raises(CommandError, match="row 3: column max_change_pct: must not be negative"):
        call_command(
            "ml_eval", "pricing", "--history", str(h), "--products", str(p), "--out", str(o)
        )


def test_ml_eval_pricing_optional_columns_are_checked_empty_means_absent(tmp_path):
    h, p, o = _files(tmp_path)
    args = ["ml_eval", "pricing", "--history", str(h), "--products", str(p), "--out", str(o)]
    df = pd.read_csv(p)
    df["floor_price"] = ["abc"] + [""] * (len(df) - 1)  # was accepted: the floor was ignored
    df.to_csv(p, index=False)
    with pytest.raises(CommandError, match="row 2: column floor_price: not a number 'abc'"):
        call_command(*args)
    df.assign(floor_price=[10.5] + [""] * (len(df) - 1)).to_csv(p, index=False)
    hist = pd.read_csv(h).assign(promo="")
    hist.loc[3, "promo"] = "1"
    hist.to_csv(h, index=False)
    call_command(*args)  # empty floor / promo cells: no floor, no promotion
    out = pd.read_csv(o, dtype={"product_id": str})
    assert float(out.set_index("product_id").loc["A0", "recommended_price"]) >= 10.5
    assert len(out) == len(df)
    hist.loc[4, "promo"] = "yes"
    hist.to_csv(h, index=False)
    with pytest.raises(CommandError, match="row 6: column promo: not a number 'yes'"):
        call_command(*args)
