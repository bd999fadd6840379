"""Price proposals under guardrails (no Django; vectorised over products).

Demand at price p is `base_daily_units * (p / current_price) ** elasticity` per day. Every
guardrail is an interval of allowed prices; they are intersected in priority order
(`GUARDRAIL_PRIORITY`), in whole cents, so the proposal satisfies all of them whenever they can
all be met. When two guardrails contradict each other (say a new cost pushes the minimum margin
above what the maximum change allows) the price goes as close to the lower-priority one as
the higher-priority ones allow, and it is named in `conflicts`: such a proposal is never
auto-approved. The model only picks a price inside
the final interval, so a guardrail always wins over the model.

Objectives (per horizon of `horizon_days`, units capped by `stock` when given):
- `profit`: (price - cost) * units
- `revenue`: price * units
- `sell_through`: the most profitable price that is expected to sell all `stock` within the
  horizon; if none can, the price that sells the most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# highest priority first; "hold" is the "at most N changes per week" rule (interval = [p0, p0])
GUARDRAIL_PRIORITY = (
    "floor_ceiling",
    "min_margin",
    "max_discount",
    "max_change",
    "competitor_cap",
    "max_changes_per_week",
)
OBJECTIVES = ("profit", "revenue", "sell_through")


def _col(df: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), default, dtype=float)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def _cents_up(x: np.ndarray) -> np.ndarray:
    return np.ceil(np.round(x * 100, 6)) / 100


def _cents_down(x: np.ndarray) -> np.ndarray:
    return np.floor(np.round(x * 100, 6)) / 100


def guardrail_intervals(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Allowed [lo, hi] per guardrail, in cents; NaN / missing settings mean "no limit".

    Columns: current_price, cost, min_margin (0.15 -> price >= cost * 1.15), max_change_pct
    (10 -> within +-10% of current_price), list_price + max_discount_pct, floor_price,
    ceiling_price, competitor_price + competitor_cap_pct (price <= lowest competitor * (1 + x%)),
    changes_last_7d + max_changes_per_week.
    """
    n = len(df)
    inf = np.full(n, np.inf)
    zero = np.zeros(n)
    p0 = _col(df, "current_price", np.nan)
    cost = _col(df, "cost", np.nan)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    floor = _col(df, "floor_price", np.nan)
    ceil = _col(df, "ceiling_price", np.nan)
    out["floor_ceiling"] = (
        np.where(np.isfinite(floor), _cents_up(np.nan_to_num(floor)), zero),
        np.where(np.isfinite(ceil), _cents_down(np.nan_to_num(ceil, nan=np.inf)), inf),
    )
    mm = _col(df, "min_margin", np.nan)
    lo = cost * (1 + mm)
    out["min_margin"] = (np.where(np.isfinite(lo), _cents_up(np.nan_to_num(lo)), zero), inf)
    lp = _col(df, "list_price", np.nan)
    md = _col(df, "max_discount_pct", np.nan)
    lo = lp * (1 - md / 100)
    out["max_discount"] = (np.where(np.isfinite(lo), _cents_up(np.nan_to_num(lo)), zero), inf)
    mc = _col(df, "max_change_pct", np.nan)
    ok = np.isfinite(mc) & np.isfinite(p0)
    out["max_change"] = (
        np.where(ok, _cents_up(np.nan_to_num(p0 * (1 - mc / 100))), zero),
        np.where(ok, _cents_down(np.nan_to_num(p0 * (1 + mc / 100), nan=np.inf)), inf),
    )
    comp = _col(df, "competitor_price", np.nan)
    cap = _col(df, "competitor_cap_pct", np.nan)
    hi = comp * (1 + cap / 100)
    out["competitor_cap"] = (
        zero,
        np.where(np.isfinite(hi), _cents_down(np.nan_to_num(hi, nan=np.inf)), inf),
    )
    used = _col(df, "changes_last_7d", 0.0)
    allowed = _col(df, "max_changes_per_week", np.nan)
    hold = np.isfinite(allowed) & (np.nan_to_num(used) >= allowed) & np.isfinite(p0)
    out["max_changes_per_week"] = (np.where(hold, p0, zero), np.where(hold, p0, inf))
    return out


def feasible_interval(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[list[str]]]:
    """Intersect guardrails in priority order; returns lo, hi and the dropped ones per row."""
    n = len(df)
    lo = np.full(n, 0.01)
    hi = np.full(n, np.inf)
    conflicts: list[list[str]] = [[] for _ in range(n)]
    for name, (glo, ghi) in guardrail_intervals(df).items():
        nlo, nhi = np.maximum(lo, glo), np.minimum(hi, ghi)
        ok = nlo <= nhi + 1e-9
        # a rule that cannot be met still pulls the price as close to it as the others allow
        pin = np.where(ghi < lo, lo, np.where(glo > hi, hi, np.clip(ghi, lo, hi)))
        lo, hi = np.where(ok, nlo, pin), np.where(ok, nhi, pin)
        for i in np.flatnonzero(~ok):
            conflicts[i].append(name)
    return lo, hi, conflicts


class PriceOptimizer:
    """Choose a price per product inside its guardrails.

    objective: "profit" | "revenue" | "sell_through" (a column `objective` overrides per row).
    horizon_days: days the price is expected to hold (units and stock are over this horizon).
    grid_size: candidate prices per product (log-spaced over the allowed interval, plus the
        current price and the analytic optimum of the unconstrained curve).
    max_unbounded_change: if no guardrail limits the price upwards (or downwards) the search
        stops at current_price * (1 +- this); a constant-elasticity curve above -1 would
        otherwise send the price to infinity.
    min_change_pct: a better price less than this % away from the current one is not worth a
        change: hold (a `min_change_pct` column overrides it per row).
    """

    def __init__(
        self,
        *,
        objective: str = "profit",
        horizon_days: float = 7.0,
        grid_size: int = 256,
        max_unbounded_change: float = 0.5,
        min_change_pct: float = 0.0,
    ) -> None:
        self.objective = objective
        self.horizon_days = horizon_days
        self.grid_size = grid_size
        self.max_unbounded_change = max_unbounded_change
        self.min_change_pct = min_change_pct

    def propose(self, df: pd.DataFrame) -> pd.DataFrame:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return self._propose(df)

    def _propose(self, df: pd.DataFrame) -> pd.DataFrame:
        """df: product_id, elasticity, base_daily_units (units/day at current_price),
        current_price, cost, guardrail columns (see `guardrail_intervals`), optional objective,
        stock, horizon_days, elasticity_lo / elasticity_hi (copied to the explanation).

        Returns one row per input row: recommended_price, bound (guardrails whose limit the
        price sits on), conflicts, expected units / revenue / profit per day at the current
        and the recommended price, and `changed`.
        """
        n = len(df)
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        p0 = _col(df, "current_price", np.nan)
        cost = np.nan_to_num(_col(df, "cost", 0.0))
        e = _col(df, "elasticity", np.nan)
        e = np.where(np.isfinite(e), e, -1.5)
        base = _col(df, "base_daily_units", 1.0)
        base = np.where(np.isfinite(base) & (base > 0), base, 1e-6)
        horizon = _col(df, "horizon_days", self.horizon_days)
        horizon = np.where(np.isfinite(horizon) & (horizon > 0), horizon, self.horizon_days)
        stock = _col(df, "stock", np.inf)
        stock = np.where(np.isfinite(stock), np.maximum(stock, 0), np.inf)
        if "objective" in df.columns:
            obj = df["objective"].fillna(self.objective).astype(str).to_numpy()
        else:
            obj = np.full(n, self.objective, dtype=object)
        bad = ~np.isin(obj, OBJECTIVES)
        if bad.any():
            raise ValueError(f"unknown objective {obj[bad][0]!r}")
        if not np.all(np.isfinite(p0) & (p0 > 0)):
            raise ValueError("every product needs a positive current_price")

        lo, hi, conflicts = feasible_interval(df)
        # cap the search where no guardrail does (still inside [lo, hi])
        hi_s = np.minimum(hi, _cents_down(p0 * (1 + self.max_unbounded_change)))
        hi_s = np.maximum(hi_s, lo)
        lo_s = np.maximum(lo, _cents_up(p0 * (1 - self.max_unbounded_change)))
        lo_s = np.minimum(lo_s, hi_s)

        g = max(int(self.grid_size), 2)
        t = np.linspace(0.0, 1.0, g)
        grid = np.exp(np.log(lo_s)[:, None] + t[None, :] * np.log(hi_s / lo_s)[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            analytic = np.where(e < -1, cost * e / (1 + e), np.nan)
        extra = np.column_stack([p0, analytic, lo_s, hi_s])
        cand = np.concatenate([grid, extra], axis=1)
        cand = np.round(cand, 2)
        cand = np.where(np.isfinite(cand), cand, p0[:, None])
        cand = np.clip(cand, lo_s[:, None], hi_s[:, None])
        inside0 = (p0 >= lo - 1e-9) & (p0 <= hi + 1e-9)
        # the current price is a candidate only where it is allowed
        cand[:, g] = np.where(inside0, p0, cand[:, g - 1])

        units = base[:, None] * (cand / p0[:, None]) ** e[:, None] * horizon[:, None]
        sold = np.minimum(units, stock[:, None])
        profit = (cand - cost[:, None]) * sold
        value = np.empty_like(profit)
        m = obj == "profit"
        value[m] = profit[m]
        m = obj == "revenue"
        value[m] = (cand * sold)[m]
        m = obj == "sell_through"
        if m.any():
            clears = units >= stock[:, None] - 1e-9
            any_clear = clears.any(axis=1)
            st = np.where(clears, profit, -np.inf)
            st = np.where(any_clear[:, None], st, units)  # none clears: sell as much as possible
            value[m] = st[m]
        best = np.argmax(value, axis=1)
        best_val = value[np.arange(n), best]
        # no better price (e.g. nothing in stock to sell): keep the current one if it is allowed
        at_p0 = value[:, g]
        keep = inside0 & (best_val <= at_p0 + 1e-9 * np.abs(at_p0))
        best = np.where(keep, g, best)
        price = cand[np.arange(n), best]
        best_val = value[np.arange(n), best]

        min_change = _col(df, "min_change_pct", self.min_change_pct)
        min_change = np.where(np.isfinite(min_change), min_change, self.min_change_pct)
        small = inside0 & (np.abs(price / p0 - 1) * 100 < min_change)
        price = np.where(small, p0, price)
        price = np.round(price, 2)

        def per_day(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            u = base * (p / p0) ** e
            return u, p * u, (p - cost) * u

        u0, r0, pr0 = per_day(p0)
        u1, r1, pr1 = per_day(price)
        bound = bound_names(df, price)
        out = pd.DataFrame(
            {
                "product_id": df["product_id"].to_numpy() if "product_id" in df else np.arange(n),
                "current_price": p0,
                "recommended_price": price,
                "elasticity": e,
                "objective": obj,
                "allowed_min": lo,
                "allowed_max": hi,
                "units_current": u0,
                "units_new": u1,
                "revenue_current": r0,
                "revenue_new": r1,
                "profit_current": pr0,
                "profit_new": pr1,
                "bound": [",".join(b) for b in bound],
                "conflicts": [",".join(c) for c in conflicts],
                "changed": np.abs(price - p0) >= 0.005,
                "objective_value": best_val,
            }
        )
        for c in ("elasticity_lo", "elasticity_hi", "pooled"):
            if c in df.columns:
                out[c] = df[c].to_numpy()
        return out


def bound_names(df: pd.DataFrame, price: np.ndarray) -> list[list[str]]:
    """Guardrails whose limit the chosen price sits on (the explanation's "what held it")."""
    names: list[list[str]] = [[] for _ in range(len(df))]
    with np.errstate(invalid="ignore"):
        intervals = guardrail_intervals(df)
    for name, (glo, ghi) in intervals.items():
        if name == "max_changes_per_week":
            at = np.isfinite(ghi) & (glo > 0) & (np.abs(price - ghi) < 0.005)
        else:
            at = ((glo > 0.01) & (np.abs(price - glo) < 0.005)) | (
                np.isfinite(ghi) & (np.abs(price - ghi) < 0.005)
            )
        for i in np.flatnonzero(at):
            names[i].append(name)
    return names


def violations(df: pd.DataFrame, price: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Number of guardrails each price breaks (used by tests and as a last check)."""
    count = np.zeros(len(df), dtype=int)
    for _, (glo, ghi) in guardrail_intervals(df).items():
        count += ((price < glo - tol) | (price > ghi + tol)).astype(int)
    return count
