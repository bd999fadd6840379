"""Standard baselines (EVALUATION.md): naive, seasonal naive, mean of recent periods,
statsmodels ETS per series and a plain global LightGBM on lags. They see sales only
(stockout days are zeros to them), as an off-the-shelf tool would."""

from __future__ import annotations

import warnings

import lightgbm as lgb
import numpy as np

from forecasting.ml.model import observed_bounds, recent_mean_from, seasonal_naive_from


def naive(y: np.ndarray, horizon: int) -> np.ndarray:
    """Last observed value repeated."""
    _, last, n_obs = observed_bounds(y)
    vals = np.where(n_obs > 0, y[np.arange(len(y)), np.maximum(last, 0)], 0.0)
    return np.repeat(vals[:, None], horizon, axis=1)


def seasonal_naive(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    _, last, _ = observed_bounds(y)
    return np.nan_to_num(seasonal_naive_from(y, np.maximum(last, 0), horizon, season))


def recent_mean(y: np.ndarray, horizon: int, window: int) -> np.ndarray:
    _, last, _ = observed_bounds(y)
    return np.nan_to_num(recent_mean_from(y, np.maximum(last, 0), horizon, window))


def ets_statsmodels(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """statsmodels Holt-Winters per series on its last contiguous observed stretch:
    additive seasonality with two full seasons of data, simple smoothing otherwise."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    out = np.zeros((y.shape[0], horizon))
    for r, row in enumerate(y):
        obs = np.flatnonzero(~np.isnan(row))
        if len(obs) == 0:
            continue
        gaps = np.flatnonzero(np.isnan(row[: obs[-1] + 1]))
        seg = row[(gaps[-1] + 1 if len(gaps) else obs[0]) : obs[-1] + 1]
        if len(seg) < 3 or np.all(seg == seg[0]):
            out[r] = seg[-1] if len(seg) < 3 and len(seg) else (seg.mean() if len(seg) else 0.0)
            continue
        seasonal = "add" if len(seg) >= 2 * season + 2 else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fit = ExponentialSmoothing(
                    seg,
                    trend=None,
                    seasonal=seasonal,
                    seasonal_periods=season if seasonal else None,
                    initialization_method="estimated",
                ).fit()
                out[r] = fit.forecast(horizon)
            except (ValueError, np.linalg.LinAlgError):
                out[r] = seg[-4 * season :].mean()
    return np.clip(np.nan_to_num(out), 0.0, None)


def lightgbm_lags(
    y: np.ndarray,
    horizon: int,
    n_lags: int,
    max_rows: int = 300_000,
    n_estimators: int = 200,
    seed: int = 0,
    n_jobs: int = 2,
) -> np.ndarray:
    """A plain global LightGBM on the last ``n_lags`` values (raw units, L2), forecasting
    recursively: each prediction becomes the next step's lag 1."""
    n, t_len = y.shape
    rng = np.random.default_rng(seed)
    lags = np.stack([np.roll(y, k, axis=1) for k in range(1, n_lags + 1)], axis=2)
    lags[:, :n_lags, :] = np.where(
        np.arange(n_lags)[None, :, None] < np.arange(1, n_lags + 1)[None, None, :],
        np.nan,
        lags[:, :n_lags, :],
    )
    valid = ~np.isnan(y)
    valid[:, :1] = False
    ii, tt = np.nonzero(valid)
    if len(ii) > max_rows:
        pick = np.sort(rng.choice(len(ii), max_rows, replace=False))
        ii, tt = ii[pick], tt[pick]
    x = lags[ii, tt]
    params = {
        "objective": "l2",
        "learning_rate": 0.05,
        "num_leaves": 31,
        "num_threads": n_jobs,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }
    booster = lgb.train(params, lgb.Dataset(x, label=y[ii, tt]), num_boost_round=n_estimators)
    _, last, _ = observed_bounds(y)
    window = np.full((n, n_lags), np.nan)  # window[:, k] = lag k + 1 at the next step
    for k in range(n_lags):
        col = last - k
        ok = col >= 0
        window[ok, k] = y[np.arange(n)[ok], col[ok]]
    out = np.zeros((n, horizon))
    for step in range(horizon):
        pred = np.clip(booster.predict(window, num_threads=n_jobs), 0.0, None)
        out[:, step] = pred
        window = np.concatenate([pred[:, None], window[:, :-1]], axis=1)
    return out
