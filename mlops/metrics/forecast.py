"""Forecast accuracy metrics (pure numpy, no Django).

Arrays are ``(n_series, n_periods)``; ``NaN`` in an actual marks a period that is not
scored (not observed, or a stockout where sales are not demand).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "coverage",
    "interval_width",
    "mase",
    "mase_scale",
    "pinball_loss",
    "relative_bias",
    "wape",
]


def mase_scale(history: np.ndarray, season: int) -> np.ndarray:
    """Per-series in-sample MAE of the seasonal naive forecast (the MASE denominator).

    Pairs ``(y[t], y[t - season])`` with a missing value are skipped. A series with no
    such pair falls back to lag 1; a series whose scale is 0 (constant) or undefined gets
    ``NaN`` and is left out of the MASE mean.
    """
    hist = np.atleast_2d(np.asarray(history, dtype=float))
    out = np.full(hist.shape[0], np.nan)
    for lag in (season, 1):
        if hist.shape[1] <= lag:
            continue
        diff = np.abs(hist[:, lag:] - hist[:, :-lag])
        count = np.sum(~np.isnan(diff), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.nansum(diff, axis=1) / count
        fill = np.isnan(out) & (count > 0)
        out[fill] = scale[fill]
    out[out <= 0] = np.nan
    return out


def mase(
    actual: np.ndarray,
    forecast: np.ndarray,
    history: np.ndarray,
    season: int,
    per_series: bool = False,
) -> float | np.ndarray:
    """Mean absolute scaled error, averaged over series (M4 convention).

    Each series' MAE over its scored holdout periods is divided by its in-sample seasonal
    naive MAE (:func:`mase_scale`). Series without a defined scale or without a scored
    period are excluded from the mean.
    """
    act = np.atleast_2d(np.asarray(actual, dtype=float))
    fc = np.atleast_2d(np.asarray(forecast, dtype=float))
    err = np.abs(act - fc)
    count = np.sum(~np.isnan(err), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = np.nansum(err, axis=1) / count
        per = mae / mase_scale(history, season)
    if per_series:
        return per
    ok = np.isfinite(per)
    return float(np.mean(per[ok])) if ok.any() else float("nan")


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |y - f| / sum |y| over scored cells."""
    act = np.asarray(actual, dtype=float)
    fc = np.asarray(forecast, dtype=float)
    mask = ~np.isnan(act) & ~np.isnan(fc)
    denom = np.sum(np.abs(act[mask]))
    return float(np.sum(np.abs(act[mask] - fc[mask])) / denom) if denom > 0 else float("nan")


def relative_bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """(sum f - sum y) / sum y over scored cells; negative means forecasts run low."""
    act = np.asarray(actual, dtype=float)
    fc = np.asarray(forecast, dtype=float)
    mask = ~np.isnan(act) & ~np.isnan(fc)
    denom = np.sum(act[mask])
    return float((np.sum(fc[mask]) - denom) / denom) if denom > 0 else float("nan")


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of scored cells whose actual lies inside ``[lower, upper]``."""
    act = np.asarray(actual, dtype=float)
    mask = ~np.isnan(act)
    inside = (act >= np.asarray(lower)) & (act <= np.asarray(upper))
    return float(np.mean(inside[mask])) if mask.any() else float("nan")


def interval_width(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Mean interval width over scored cells, relative to the mean actual."""
    act = np.asarray(actual, dtype=float)
    mask = ~np.isnan(act)
    width = (np.asarray(upper) - np.asarray(lower))[mask]
    level = np.mean(np.abs(act[mask])) if mask.any() else 0.0
    return float(np.mean(width) / level) if level > 0 else float("nan")


def pinball_loss(actual: np.ndarray, quantile_forecast: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss at level ``q`` over scored cells."""
    act = np.asarray(actual, dtype=float)
    fc = np.asarray(quantile_forecast, dtype=float)
    mask = ~np.isnan(act)
    diff = act[mask] - fc[mask]
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff))) if mask.any() else float("nan")
