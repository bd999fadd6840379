"""Pricing metrics (pure numpy): guardrail violations, oracle profit share, elasticity error.

Written independently of `pricing.ml` on purpose, so the benchmark does not grade the model
with the model's own guardrail code. Money in plain floats (currency units per day).

Guardrails (NaN = not set): price >= cost * (1 + min_margin); |price / current - 1| <=
max_change_pct / 100; price >= list_price * (1 - max_discount_pct / 100); floor_price <= price
<= ceiling_price; price <= competitor_price * (1 + competitor_cap_pct / 100). Prices are in
whole cents, so every bound is rounded inwards to the cent.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

_EPS = 1e-6


def _f(x: ArrayLike | None, n: int) -> np.ndarray:
    if x is None:
        return np.full(n, np.nan)
    a = np.asarray(x, dtype=np.float64).ravel()
    return np.full(n, a[0]) if a.size == 1 and n != 1 else a


def allowed_range(
    *,
    current_price: ArrayLike,
    cost: ArrayLike,
    min_margin: ArrayLike | None = None,
    max_change_pct: ArrayLike | None = None,
    list_price: ArrayLike | None = None,
    max_discount_pct: ArrayLike | None = None,
    floor_price: ArrayLike | None = None,
    ceiling_price: ArrayLike | None = None,
    competitor_price: ArrayLike | None = None,
    competitor_cap_pct: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest allowed price (in cents) under every guardrail; lo > hi = infeasible."""
    p0 = np.asarray(current_price, dtype=np.float64).ravel()
    n = p0.size
    c = _f(cost, n)
    lows = [
        np.full(n, 0.01),
        c * (1 + _f(min_margin, n)),
        p0 * (1 - _f(max_change_pct, n) / 100),
        _f(list_price, n) * (1 - _f(max_discount_pct, n) / 100),
        _f(floor_price, n),
    ]
    highs = [
        p0 * (1 + _f(max_change_pct, n) / 100),
        _f(ceiling_price, n),
        _f(competitor_price, n) * (1 + _f(competitor_cap_pct, n) / 100),
    ]
    lo = np.nanmax(np.column_stack(lows), axis=1)
    hi_stack = np.column_stack(highs)
    hi = np.where(
        np.isnan(hi_stack).all(axis=1),
        np.inf,
        np.nanmin(np.where(np.isnan(hi_stack), np.inf, hi_stack), axis=1),
    )
    lo = np.ceil(np.round(lo * 100, 6)) / 100
    hi = np.where(np.isfinite(hi), np.floor(np.round(hi * 100, 6)) / 100, np.inf)
    return lo, hi


def guardrail_violations(price: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> np.ndarray:
    """Boolean per product: the price is outside [lo, hi] (or missing)."""
    p = np.asarray(price, dtype=np.float64).ravel()
    lo_a = np.asarray(lo, dtype=np.float64).ravel()
    hi_a = np.asarray(hi, dtype=np.float64).ravel()
    return ~np.isfinite(p) | (p < lo_a - _EPS) | (p > hi_a + _EPS)


def constant_elasticity_profit(
    price: ArrayLike,
    *,
    elasticity: ArrayLike,
    base_units: ArrayLike,
    reference_price: ArrayLike,
    cost: ArrayLike,
) -> np.ndarray:
    """Expected profit per day with demand = base_units * (price / reference_price) ** e."""
    p = np.asarray(price, dtype=np.float64)
    units = np.asarray(base_units, float) * (p / np.asarray(reference_price, float)) ** np.asarray(
        elasticity, float
    )
    return (p - np.asarray(cost, float)) * units


def oracle_price(
    *,
    elasticity: ArrayLike,
    cost: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    max_unbounded_change: float = 0.5,
    current_price: ArrayLike | None = None,
) -> np.ndarray:
    """The profit-maximising whole-cent price on the true constant-elasticity curve within
    [lo, hi]. Profit is unimodal in price, so the answer is the unconstrained optimum
    cost * e / (1 + e) clipped to the range, then the better neighbouring cent. An infinite
    `hi` (no upper guardrail) is capped at current_price * (1 + max_unbounded_change)."""
    e = np.asarray(elasticity, float).ravel()
    c = _f(cost, e.size)
    lo_a = np.asarray(lo, float).ravel()
    hi_a = np.asarray(hi, float).ravel()
    if current_price is not None:
        cap = (
            np.floor(np.asarray(current_price, float).ravel() * (1 + max_unbounded_change) * 100)
            / 100
        )
        hi_a = np.where(np.isfinite(hi_a), hi_a, np.maximum(cap, lo_a))
    with np.errstate(divide="ignore", invalid="ignore"):
        star = np.where(e < -1, c * e / (1 + e), hi_a)
    star = np.clip(star, lo_a, hi_a)
    cands = np.column_stack([np.floor(star * 100) / 100, np.ceil(star * 100) / 100])
    cands = np.clip(cands, lo_a[:, None], hi_a[:, None])
    prof = constant_elasticity_profit(
        cands, elasticity=e[:, None], base_units=1.0, reference_price=1.0, cost=c[:, None]
    )
    return cands[np.arange(e.size), np.argmax(prof, axis=1)]


def profit_share(model_profit: ArrayLike, oracle_profit: ArrayLike) -> float:
    """Total expected profit of the proposals as a share of the oracle's (1.0 = optimal)."""
    m = np.asarray(model_profit, float)
    o = np.asarray(oracle_profit, float)
    return float(m.sum() / o.sum()) if o.sum() > 0 else float("nan")


def elasticity_relative_errors(estimate: ArrayLike, truth: ArrayLike) -> np.ndarray:
    """|estimate - truth| / |truth| per product (NaN estimate -> inf error)."""
    est = np.asarray(estimate, float)
    tru = np.asarray(truth, float)
    err = np.abs(est - tru) / np.abs(tru)
    return np.where(np.isfinite(est), err, np.inf)


def pricing_report(
    *,
    recommended_price: ArrayLike,
    estimated_elasticity: ArrayLike,
    truth: Mapping[str, ArrayLike],
    guardrails: Mapping[str, ArrayLike | None],
) -> dict[str, float]:
    """All headline figures for one method against planted truth. `violations` counts prices
    outside guardrails that could all be met; `infeasible` counts products whose guardrails
    contradict each other (e.g. a cost rise needs a bigger change than allowed).

    truth: elasticity, base_units, reference_price (demand curve), cost.
    guardrails: keyword arguments of `allowed_range` (current_price and cost included).
    """
    lo, hi = allowed_range(**guardrails)  # type: ignore[arg-type]
    price = np.asarray(recommended_price, float)
    # where the guardrails contradict each other no price can comply: counted apart
    infeasible = lo > hi
    viol = guardrail_violations(price, lo, hi) & ~infeasible
    curve = {
        "elasticity": truth["elasticity"],
        "base_units": truth["base_units"],
        "reference_price": truth["reference_price"],
        "cost": truth["cost"],
    }
    best = oracle_price(
        elasticity=truth["elasticity"],
        cost=truth["cost"],
        lo=lo,
        hi=hi,
        current_price=guardrails["current_price"],
    )
    model_profit = constant_elasticity_profit(np.where(np.isfinite(price), price, 0.0), **curve)
    oracle_profit = constant_elasticity_profit(best, **curve)
    current_profit = constant_elasticity_profit(
        np.asarray(guardrails["current_price"], float), **curve
    )
    err = elasticity_relative_errors(estimated_elasticity, truth["elasticity"])
    return {
        "profit_share": profit_share(model_profit, oracle_profit),
        "profit_loss": float(oracle_profit.sum() - model_profit.sum()),
        "current_share": profit_share(current_profit, oracle_profit),
        "violations": int(viol.sum()),
        "infeasible": int(infeasible.sum()),
        "median_rel_error": float(np.median(err)),
        "mean_abs_error": float(
            np.mean(
                np.abs(
                    np.asarray(estimated_elasticity, float) - np.asarray(truth["elasticity"], float)
                )
            )
        ),
        "n_products": int(price.size),
    }
