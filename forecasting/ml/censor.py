"""Stockout days are censored demand: sales were capped by stock, so demand was at least
what sold. We replace them by an estimate from nearby uncensored periods before features
are built, and never use them as training targets."""

from __future__ import annotations

import numpy as np


def _shift(a: np.ndarray, k: int, fill: float) -> np.ndarray:
    """``out[:, t] = a[:, t - k]`` (k may be negative), ``fill`` outside."""
    out = np.full_like(a, fill)
    if k > 0:
        out[:, k:] = a[:, :-k]
    elif k < 0:
        out[:, :k] = a[:, -k:]
    else:
        out[:] = a
    return out


def impute_stockouts(
    y: np.ndarray, stockout: np.ndarray | None, season: int, n_seasons: int = 4
) -> np.ndarray:
    """Demand estimate for stockout periods; other periods are returned unchanged.

    Daily data: mean of the same weekday in up to ``n_seasons`` weeks before and after that
    were not stockouts. Otherwise (or when too few of those exist): mean of uncensored
    periods within four seasons (daily) or eight periods (weekly). The estimate never goes
    below what was actually sold (a partial stockout day still sold some units).
    """
    out = np.array(y, dtype=float, copy=True)
    if stockout is None or not np.any(stockout):
        return out
    valid = ~np.isnan(out) & ~stockout
    values = np.where(valid, out, 0.0)
    est = np.full_like(out, np.nan)
    if season <= 7:
        num = np.zeros_like(out)
        den = np.zeros_like(out)
        for j in range(1, n_seasons + 1):
            for k in (j * season, -j * season):
                num += _shift(values, k, 0.0)
                den += _shift(valid.astype(float), k, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(den >= 2, num / den, np.nan)
    half = 4 * season if season <= 7 else 8
    csum = np.concatenate([np.zeros((out.shape[0], 1)), np.cumsum(values, axis=1)], axis=1)
    ccnt = np.concatenate(
        [np.zeros((out.shape[0], 1)), np.cumsum(valid.astype(float), axis=1)], axis=1
    )
    t_len = out.shape[1]
    lo = np.clip(np.arange(t_len) - half, 0, t_len)
    hi = np.clip(np.arange(t_len) + half + 1, 0, t_len)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = (csum[:, hi] - csum[:, lo]) / (ccnt[:, hi] - ccnt[:, lo])
    est = np.where(np.isnan(est), level, est)
    fix = stockout & ~np.isnan(out) & ~np.isnan(est)
    out[fix] = np.maximum(out[fix], est[fix])
    return out
