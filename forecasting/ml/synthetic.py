"""Seeded synthetic retail demand: weekly and yearly seasonality, trends, promotions with
price elasticity, holidays (closures and peaks), new products, intermittent slow sellers
and stockout episodes. Used by tests and the benchmark; true demand is returned too."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.ml.panel import Panel


@dataclass(frozen=True)
class SyntheticData:
    panel: Panel  # observed sales (stockout days censored), price, promo, stockout flags
    demand: np.ndarray  # true demand, same shape as panel.y
    expected: np.ndarray  # expected demand (the Poisson-gamma mean), same shape
    holidays: pd.DatetimeIndex


def _holidays(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    days: list[pd.Timestamp] = []
    for year in range(start.year, end.year + 1):
        days += [pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 25), pd.Timestamp(year, 12, 26)]
        days.append(pd.Timestamp(year, 5, 1) + pd.offsets.Week(weekday=0) * 0)
        aug = pd.Timestamp(year, 8, 31)
        days.append(aug - pd.Timedelta(days=aug.weekday()))  # last Monday of August
        nov = pd.Timestamp(year, 11, 1)
        thursday = nov + pd.Timedelta(days=(3 - nov.weekday()) % 7 + 21)
        days.append(thursday + pd.Timedelta(days=1))  # Black Friday
        days.append(
            pd.Timestamp(year, 4, 1) + pd.Timedelta(days=int((year * 11) % 20))
        )  # Easter-ish
    idx = pd.DatetimeIndex(sorted(set(days)))
    return idx[(idx >= start) & (idx <= end)]


def make_synthetic(
    n_series: int = 200,
    n_days: int = 730,
    start: str = "2023-01-02",
    seed: int = 0,
    stockout_rate: float = 1 / 90,
    noise_shape: float = 3.0,
) -> SyntheticData:
    """Daily panel of ``n_series`` products over ``n_days`` days (plus 56 days of planned
    prices and promotions past the end, as a merchant would know them)."""
    rng = np.random.default_rng(seed)
    extra = 56
    total = n_days + extra
    dates = pd.date_range(start, periods=total, freq="D")
    t = np.arange(total)[None, :]
    n = n_series
    level = np.clip(np.exp(rng.normal(np.log(2.5), 1.3, n)), 0.03, 300)[:, None]
    profiles = np.array(
        [
            [1.0, 1.0, 1.0, 1.05, 1.2, 1.5, 0.8],
            [1.1, 1.1, 1.1, 1.1, 1.0, 0.6, 0.4],
            [0.9, 0.9, 1.0, 1.0, 1.1, 1.3, 1.2],
        ]
    )
    kind = rng.integers(0, 3, n)
    weekly = profiles[kind] * np.exp(rng.normal(0, 0.1, (n, 7)))
    weekly /= weekly.mean(axis=1, keepdims=True)
    dow = dates.dayofweek.to_numpy()
    doy = dates.dayofyear.to_numpy()[None, :]
    amp = rng.uniform(0, 0.5, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    yearly = 1 + amp * np.sin(2 * np.pi * doy / 365.25 + phase)
    gift = rng.random((n, 1)) < 0.3
    xmas = np.exp(-(((doy - 352) / 14.0) ** 2)) * rng.uniform(1, 3, (n, 1))
    yearly = yearly * np.where(gift, 1 + xmas, 1.0)
    trend = np.exp(rng.normal(0, 0.25, (n, 1)) * t / 365.0)
    holidays = _holidays(dates[0], dates[-1])
    hol = np.ones(total)
    for d in holidays:
        k = (d - dates[0]).days
        closed = (d.month, d.day) in {(12, 25), (1, 1)}
        hol[k] *= 0.1 if closed else (2.5 if d.month == 11 else 1.6)
        for back in (1, 2):
            if k - back >= 0:
                hol[k - back] *= 1.25
    base_price = np.exp(rng.normal(np.log(12), 0.8, (n, 1)))
    price = np.repeat(base_price, total, axis=1)
    promo = np.zeros((n, total))
    elasticity = rng.uniform(-3.0, -1.0, (n, 1))
    for i in range(n):
        k = int(rng.integers(0, 60))
        while k < total:
            length = int(rng.integers(3, 11))
            promo[i, k : k + length] = 1.0
            price[i, k : k + length] *= 1 - rng.uniform(0.1, 0.4)
            k += length + int(rng.integers(30, 90))
        for step in rng.integers(60, total, size=2):
            price[i, step:] *= np.exp(rng.normal(0, 0.05))
    price = np.round(price, 2)
    price_effect = (price / base_price) ** elasticity
    mu = level * weekly[:, dow] * yearly * trend * hol[None, :] * price_effect
    lam = rng.gamma(noise_shape, mu / noise_shape)
    demand = rng.poisson(lam).astype(float)
    stockout = np.zeros((n, total), dtype=bool)
    for i in range(n):
        for _ in range(rng.poisson(n_days * stockout_rate)):
            s0 = int(rng.integers(0, n_days))
            stockout[i, s0 : s0 + int(rng.integers(2, 15))] = True
    stockout[:, n_days:] = False
    sales = demand.copy()
    first_day = np.roll(stockout, 1, axis=1) < stockout
    sales[stockout] = 0.0
    sales[first_day] = np.floor(demand[first_day] * 0.3)
    new = rng.random(n) < 0.1
    starts = np.where(new, rng.integers(30, max(31, n_days - 60), n), 0)
    before = np.arange(total)[None, :] < starts[:, None]
    sales[before] = np.nan
    demand[before] = np.nan
    mu = np.where(before, np.nan, mu)
    panel = Panel(
        series_ids=np.array([f"S{i:05d}" for i in range(n)]),
        dates=dates[:n_days],
        y=sales[:, :n_days],
        freq="D",
        price=price,
        promo=promo,
        stockout=stockout[:, :n_days],
    )
    return SyntheticData(
        panel=panel, demand=demand[:, :n_days], expected=mu[:, :n_days], holidays=holidays
    )


def to_weekly(panel: Panel, demand: np.ndarray | None = None) -> tuple[Panel, np.ndarray | None]:
    """Weekly sums (weeks starting on the panel's first weekday; trailing partial week
    dropped). A week is flagged stockout when any day was; price is the weekly mean and
    promo the share of promo days."""
    n, t_len = panel.y.shape
    weeks = t_len // 7

    def fold(a: np.ndarray, cols: int, how: str) -> np.ndarray:
        b = a[:, : cols * 7].reshape(a.shape[0], cols, 7)
        if how == "sum":
            # a week with any unobserved day counts as unobserved (a product launched mid-week)
            return np.where(np.isnan(b).any(axis=2), np.nan, np.nansum(b, axis=2))
        if how == "max":
            return b.max(axis=2)
        return b.mean(axis=2)

    cov_weeks = (panel.price.shape[1] // 7) if panel.price is not None else weeks
    y = fold(panel.y, weeks, "sum")
    dates = pd.date_range(
        panel.dates[0], periods=weeks, freq=f"W-{panel.dates[0].day_name()[:3].upper()}"
    )
    out = Panel(
        series_ids=panel.series_ids,
        dates=dates,
        y=y,
        freq="W",
        price=None if panel.price is None else fold(panel.price, cov_weeks, "mean"),
        promo=None if panel.promo is None else fold(panel.promo, cov_weeks, "mean"),
        stockout=None if panel.stockout is None else fold(panel.stockout, weeks, "max"),
    )
    return out, None if demand is None else fold(demand, weeks, "sum")
