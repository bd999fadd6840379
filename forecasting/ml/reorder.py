"""Reorder math: safety stock, reorder point, order quantity and projected stockout date
from a daily demand forecast and its error (all quantities in units, days in days)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class ReorderPlan:
    lead_time_demand: float  # expected units sold during the supplier lead time
    safety_stock: float  # z * sigma over the lead time
    reorder_point: float  # order when inventory position falls to this
    order_up_to: float  # target position after ordering (covers lead time + review period)
    order_quantity: int  # units to order now (0 when above the reorder point)
    days_until_stockout: int | None  # first day the forecast exhausts on-hand stock (1 = tomorrow)
    stockout_risk: float  # P(lead-time demand > inventory position)


def z_value(service_level: float) -> float:
    """Standard normal quantile for a cycle service level, e.g. 0.95 -> 1.645."""
    if not 0.5 <= service_level < 1:
        raise ValueError("service_level must be in [0.5, 1)")
    return float(norm.ppf(service_level))


def sigma_from_interval(lower: np.ndarray, upper: np.ndarray, level: float) -> np.ndarray:
    """Per-period forecast error standard deviation implied by a central interval."""
    z = norm.ppf(0.5 + level / 2)
    return np.maximum(np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float), 0.0) / (
        2 * z
    )


def _over(values: np.ndarray, days: int, square: bool = False) -> float:
    """Sum over the first ``days`` periods; beyond the horizon the last week's mean repeats."""
    v = np.asarray(values, dtype=float)
    v = v * v if square else v
    if days <= len(v):
        return float(v[:days].sum())
    tail = float(v[-7:].mean()) if len(v) else 0.0
    return float(v.sum() + tail * (days - len(v)))


def reorder_plan(
    forecast: np.ndarray,
    sigma: np.ndarray,
    *,
    on_hand: float,
    on_order: float = 0.0,
    lead_time_days: int,
    service_level: float = 0.95,
    review_days: int = 7,
    min_order_qty: int = 1,
    pack_size: int = 1,
) -> ReorderPlan:
    """Periodic-review (s, S) policy on a daily forecast.

    Errors of different days are taken as independent, so sigma over L days is
    sqrt(sum sigma_d^2). Reorder point = lead-time demand + z * sigma_L; when the inventory
    position (on hand + on order) is at or below it, order up to the demand over lead time
    plus review period plus its safety stock, rounded up to the pack size and at least
    the supplier's minimum order quantity.
    """
    z = z_value(service_level)
    lead = max(int(lead_time_days), 0)
    ltd = _over(forecast, lead)
    sigma_l = math.sqrt(_over(sigma, lead, square=True))
    safety = z * sigma_l
    rop = ltd + safety
    cover = lead + max(int(review_days), 0)
    up_to = _over(forecast, cover) + z * math.sqrt(_over(sigma, cover, square=True))
    position = float(on_hand) + float(on_order)
    qty = 0
    if position <= rop:
        need = max(up_to - position, 0.0)
        pack = max(int(pack_size), 1)
        qty = int(math.ceil(need / pack - 1e-9) * pack)
        if qty > 0:
            qty = max(qty, int(min_order_qty))
    cum = np.cumsum(np.asarray(forecast, dtype=float))
    out = np.flatnonzero(cum > float(on_hand) + 1e-9)
    days = int(out[0]) + 1 if len(out) else None
    if sigma_l > 0:
        risk = float(1 - norm.cdf((position - ltd) / sigma_l))
    else:
        risk = 1.0 if ltd > position else 0.0
    return ReorderPlan(
        lead_time_demand=ltd,
        safety_stock=safety,
        reorder_point=rop,
        order_up_to=up_to,
        order_quantity=qty,
        days_until_stockout=days,
        stockout_risk=risk,
    )
