"""Global LightGBM demand forecaster with conformal intervals and per-series fallbacks.

One model for all series, trained on rows (series, origin, horizon) sampled from the
history ("direct" multi-horizon: no recursion, so errors do not feed on themselves).
Intervals come from the model's own backtest errors on the last ``horizon`` periods
(split conformal, per horizon bucket and sales-level bucket). With ``select`` (off by
default, see ``_selecting``; always on when no global model can be trained) series that
are short or intermittent may switch to seasonal naive, ETS or a recent mean when that
did clearly better in the same backtest. Series with a handful of observations get
their recent mean, series that never sold get 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

from forecasting.ml.censor import impute_stockouts
from forecasting.ml.ets import ets_forecast
from forecasting.ml.features import MAX_TARGET_RATIO, FeatureBuilder
from forecasting.ml.panel import Panel

METHODS = ("global", "seasonal_naive", "ets", "recent_mean", "short", "zero")


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts for some series, arrays ``(n_series, horizon)`` in units per period.

    ``mean`` is the point forecast (the median for the global model, which is what MASE
    and WAPE reward); ``expected`` is expected demand (the mean, what stock planning
    needs: for skewed, intermittent sales it is above the median).
    """

    series_ids: np.ndarray
    dates: np.ndarray  # (n_series, horizon) datetime64
    mean: np.ndarray
    expected: np.ndarray
    lower: dict[float, np.ndarray] = field(default_factory=dict)
    upper: dict[float, np.ndarray] = field(default_factory=dict)
    method: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    @property
    def levels(self) -> list[float]:
        return sorted(self.lower)

    def to_frame(self) -> pd.DataFrame:
        """Long rows: series_id, date, step, forecast, lo80, hi80, ..., method."""
        n, h = self.mean.shape
        out = pd.DataFrame(
            {
                "series_id": np.repeat(self.series_ids, h),
                "date": self.dates.reshape(-1),
                "step": np.tile(np.arange(1, h + 1), n),
                "forecast": self.mean.reshape(-1),
            }
        )
        out["expected"] = self.expected.reshape(-1)
        for level in self.levels:
            pct = round(level * 100)
            out[f"lo{pct}"] = self.lower[level].reshape(-1)
            out[f"hi{pct}"] = self.upper[level].reshape(-1)
        out["method"] = np.repeat(self.method, h)
        return out

    @staticmethod
    def concat(parts: Sequence[ForecastResult]) -> ForecastResult:
        levels = parts[0].levels
        return ForecastResult(
            series_ids=np.concatenate([p.series_ids for p in parts]),
            dates=np.concatenate([p.dates for p in parts]),
            mean=np.concatenate([p.mean for p in parts]),
            expected=np.concatenate([p.expected for p in parts]),
            lower={lv: np.concatenate([p.lower[lv] for p in parts]) for lv in levels},
            upper={lv: np.concatenate([p.upper[lv] for p in parts]) for lv in levels},
            method=np.concatenate([p.method for p in parts]),
        )


def observed_bounds(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First and last observed period index and the number of observed periods per series."""
    obs = ~np.isnan(y)
    n_obs = obs.sum(axis=1)
    first = np.where(n_obs > 0, np.argmax(obs, axis=1), -1)
    last = np.where(n_obs > 0, y.shape[1] - 1 - np.argmax(obs[:, ::-1], axis=1), -1)
    return first, last, n_obs


def seasonal_naive_from(
    y: np.ndarray, origins: np.ndarray, horizon: int, season: int
) -> np.ndarray:
    """Last observed season repeated; a missing value falls back to the recent mean."""
    n = y.shape[0]
    rows = np.arange(n)[:, None]
    steps = np.arange(1, horizon + 1)[None, :]
    k = origins[:, None] - season + ((steps - 1) % season) + 1
    out = np.full((n, horizon), np.nan)
    ok = k >= 0
    out[ok] = y[np.broadcast_to(rows, k.shape)[ok], k[ok]]
    fallback = recent_mean_from(y, origins, horizon, 4 * season if season <= 7 else 8)
    return np.where(np.isnan(out), fallback, out)


def recent_mean_from(y: np.ndarray, origins: np.ndarray, horizon: int, window: int) -> np.ndarray:
    """Mean of the observed values in the ``window`` periods up to each origin."""
    csum = np.concatenate([np.zeros((y.shape[0], 1)), np.nancumsum(y, axis=1)], axis=1)
    ccnt = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(~np.isnan(y), axis=1)], axis=1)
    rows = np.arange(y.shape[0])
    hi = np.clip(origins + 1, 0, y.shape[1])
    lo = np.clip(origins + 1 - window, 0, y.shape[1])
    cnt = ccnt[rows, hi] - ccnt[rows, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt > 0, (csum[rows, hi] - csum[rows, lo]) / cnt, np.nan)
    return np.repeat(mean[:, None], horizon, axis=1)


class DemandForecaster:
    """Global LightGBM demand model (scikit-learn conventions: ``fit`` returns ``self``).

    Parameters are stored as given; ``fit(panel)`` learns from a :class:`Panel` and
    ``predict(panel)`` forecasts ``horizon`` periods after each series' last observed
    period. ``predict`` on a subset of series equals the same rows of ``predict`` on all
    series, so work can be sharded across workers (see :mod:`forecasting.ml.shard`).
    Forecasts are units per period, never negative.
    """

    def __init__(
        self,
        horizon: int = 28,
        levels: tuple[float, ...] = (0.8, 0.95),
        holidays: Sequence[object] | None = None,
        objective: str = "l1",
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 63,
        min_child_samples: int = 40,
        max_train_rows: int = 300_000,
        max_calibration_series: int = 20_000,
        select: bool = False,
        selection_margin: float = 0.1,
        refit: bool = True,
        year_scale: bool = True,
        calibration_origins: int = 3,
        interval_scale: str = "forecast",
        blend: float = 0.0,
        seasonal_calibration: float = 1.0,
        holiday_effects: bool = True,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.horizon = horizon
        self.levels = levels
        self.holidays = holidays
        self.objective = objective
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_train_rows = max_train_rows
        self.max_calibration_series = max_calibration_series
        self.select = select
        self.selection_margin = selection_margin
        self.refit = refit
        self.year_scale = year_scale
        self.calibration_origins = calibration_origins
        self.interval_scale = interval_scale
        self.blend = blend
        self.seasonal_calibration = seasonal_calibration
        self.holiday_effects = holiday_effects
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ----------------------------------------------------------------- training
    def _sample_rows(
        self,
        y: np.ndarray,
        stockout: np.ndarray | None,
        first: np.ndarray,
        cut: np.ndarray,
        seed: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random (i, t, h) with an observed, uncensored target at t + h <= cut[i]."""
        rng = np.random.default_rng(seed)
        hmax = self.horizon
        span = np.maximum(cut - first, 0)
        weights = span.astype(float)
        if weights.sum() == 0:
            empty = np.array([], dtype=np.int64)
            return empty, empty, empty
        possible = int(weights.sum()) * hmax
        n_draw = int(min(self.max_train_rows, possible) * 1.3) + 1
        i = rng.choice(len(first), size=n_draw, p=weights / weights.sum())
        h = rng.integers(1, hmax + 1, size=n_draw)
        lo = first[i]
        hi = cut[i] - h  # origin t must leave room for the target
        t = lo + np.floor(rng.random(n_draw) * (hi - lo + 1)).astype(np.int64)
        ok = hi >= lo
        i, t, h = i[ok], t[ok], h[ok]
        target = y[i, t + h]
        ok = ~np.isnan(target)
        if stockout is not None:
            ok &= ~stockout[i, t + h]
        i, t, h = i[ok], t[ok], h[ok]
        keep = min(self.max_train_rows, len(i))
        return i[:keep], t[:keep], h[:keep]

    def _booster(
        self, fb: FeatureBuilder, y: np.ndarray, rows: tuple[np.ndarray, ...], seed: int
    ) -> lgb.Booster | None:
        i, t, h = rows
        if len(i) < 20:
            return None
        x, s, names = fb.rows(i, t, h)
        target = np.minimum(y[i, t + h] / s, MAX_TARGET_RATIO)
        params = {
            "objective": self.objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": int(min(self.min_child_samples, max(5, len(i) // 200))),
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "num_threads": self.n_jobs,
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }
        data = lgb.Dataset(x, label=target, feature_name=names, free_raw_data=True)
        self.feature_names_: list[str] = names
        return lgb.train(params, data, num_boost_round=self.n_estimators)

    def _fb(self, panel: Panel, y_imp: np.ndarray) -> FeatureBuilder:
        # a model pickled before holiday day effects existed has no ``holiday_effects``
        # and its boosters no log_day_effect feature: it keeps forecasting without them
        return FeatureBuilder(
            panel,
            y_imp,
            self.horizon,
            self.holidays,
            year_scale=getattr(self, "year_scale", False),
            holiday_effect=bool(getattr(self, "holiday_effects", False)),
            day_effects=getattr(self, "day_effects_", None),
        )

    @property
    def _selecting(self) -> bool:
        """Per-series switching to a statistical method. Off by default: on every
        validation split (generator seeds 3-5 daily and weekly, the retail week before
        the held-out one) keeping the global model for all series beat switching on one
        backtest window, at any margin tried (0, 0.1, 0.2, 0.3, 0.5): a window of 4-28
        periods is too noisy to pick a method per series. Still used when the history is
        too short to train a global model at all."""
        return bool(self.select) or getattr(self, "booster_bt_", None) is None

    @property
    def _stride(self) -> int:
        """Spacing of the rolling calibration origins."""
        return max(1, self.horizon // max(getattr(self, "calibration_origins", 1), 1))

    def fit(self, panel: Panel) -> DemandForecaster:
        """Backtest model on history up to the first calibration origin, conformal
        residuals from ``calibration_origins`` rolling origins after it (all out of
        sample, the last one forecasting the final ``horizon`` periods), then a refit on
        everything."""
        y_imp = impute_stockouts(panel.y, panel.stockout, panel.season)
        self.day_effects_: dict[np.datetime64, float] | None = None
        fb = self._fb(panel, y_imp)  # computes the pooled holiday day effects
        self.day_effects_ = fb.day_effects
        first, last, n_obs = observed_bounds(panel.y)
        self.freq_ = panel.freq
        self.season_ = panel.season
        self.feature_names_ = []
        n_orig = max(int(self.calibration_origins), 1)
        bt_cut = last - self.horizon - (n_orig - 1) * self._stride
        rows = self._sample_rows(panel.y, panel.stockout, first, bt_cut, self.random_state)
        self.booster_bt_ = self._booster(fb, panel.y, rows, self.random_state)
        self.n_train_rows_ = int(len(rows[0]))
        self._calibrate(panel, fb, first, bt_cut)
        if self.refit or self.booster_bt_ is None:
            rows = self._sample_rows(panel.y, panel.stockout, first, last, self.random_state + 1)
            self.booster_ = self._booster(fb, panel.y, rows, self.random_state + 1)
            self.n_train_rows_ = int(len(rows[0]))
        else:
            self.booster_ = self.booster_bt_
        self.method_conformal_: dict[str, dict[float, tuple[float, float]]] = {}
        if self._selecting:
            n = panel.n_series
            method = np.full(n, "global", dtype=object)
            method[(n_obs < min(panel.season, 8) + 1) | (n_obs == 0)] = "short"
            origin = np.where(n_obs > 0, last, 0)
            self._select(
                panel, fb, y_imp, first, origin, n_obs, np.zeros((n, self.horizon)), method, True
            )
        return self

    def _global(
        self,
        booster: lgb.Booster | None,
        fb: FeatureBuilder,
        origins: np.ndarray,
        series: np.ndarray | None = None,
    ) -> np.ndarray:
        return self._global_scaled(booster, fb, origins, series)[0]

    def _global_scaled(
        self,
        booster: lgb.Booster | None,
        fb: FeatureBuilder,
        origins: np.ndarray,
        series: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median forecasts ``(n, horizon)`` from ``origins``, with the row scale (level
        x year factor: expected-demand offsets are in its units) and the interval scale
        (volatility x year factor, or the row scale)."""
        n = len(origins)
        i = np.repeat(np.arange(n) if series is None else series, self.horizon)
        t = np.repeat(origins, self.horizon)
        h = np.tile(np.arange(1, self.horizon + 1), n)
        x, s, _ = fb.rows(i, t, h)
        # no booster (too little history to train): forecast the recent level
        pred = np.ones(len(i)) if booster is None else booster.predict(x, num_threads=self.n_jobs)
        pred = np.clip(pred * s, 0.0, None)
        mode = getattr(self, "interval_scale", "level")
        if mode == "volatility":
            v = fb.volatility(i, t) * (s / fb.scale(i, t))
        elif mode == "forecast":
            # volatility grows with the forecast when a peak is expected
            v = fb.volatility(i, t) * np.fmax(s, pred) / fb.scale(i, t)
        else:
            v = s
        shape = (n, self.horizon)
        return pred.reshape(shape), s.reshape(shape), v.reshape(shape)

    def _calibrate(
        self, panel: Panel, fb: FeatureBuilder, first: np.ndarray, bt_cut: np.ndarray
    ) -> None:
        """Split-conformal quantiles of scaled backtest errors per (level bin, horizon bin),
        pooled over the rolling origins ``bt_cut + k * stride``."""
        n_orig = max(int(getattr(self, "calibration_origins", 1)), 1)
        rng = np.random.default_rng(self.random_state)
        cap = max(self.max_calibration_series // n_orig, 1)
        picks = []
        for k in range(n_orig):
            origin = bt_cut + k * self._stride
            ok = np.flatnonzero(origin > first)
            if len(ok) > cap:
                ok = np.sort(rng.choice(ok, cap, replace=False))
            picks.append((ok, origin[ok]))
        ok = np.concatenate([p[0] for p in picks])
        origins = np.concatenate([p[1] for p in picks])
        self.level_edges_ = np.array([])
        self.conformal_: dict[tuple[int, int], dict[float, tuple[float, float]]] = {}
        self.offset_: dict[tuple[int, int], float] = {}
        self.offset_pooled_ = 0.0
        self.conformal_pooled_: dict[float, tuple[float, float]] = dict.fromkeys(
            self.levels, (-1.0, 1.0)
        )
        if len(ok) == 0 or self.booster_bt_ is None:
            return
        n_h = self.horizon
        pred, s_row, v_row = self._global_scaled(self.booster_bt_, fb, origins, ok)
        i = np.repeat(ok, n_h)
        t = np.repeat(origins, n_h)
        h = np.tile(np.arange(1, n_h + 1), len(ok))
        pred, s_row, v_row = pred.reshape(-1), s_row.reshape(-1), v_row.reshape(-1)
        s = fb.scale(i, t)
        actual = panel.y[i, t + h]
        valid = ~np.isnan(actual)
        if panel.stockout is not None:
            valid &= ~panel.stockout[i, t + h]
        err = (actual - pred)[valid]
        resid = err / v_row[valid]
        off_resid = err / s_row[valid]
        log_s = np.log(s[valid])
        hb = self._h_bin(h[valid])
        self.level_edges_ = (
            np.quantile(log_s, [0.25, 0.5, 0.75]) if len(log_s) >= 200 else np.array([])
        )
        lb = np.searchsorted(self.level_edges_, log_s)
        for lv in self.levels:
            a = (1 - lv) / 2
            if len(resid) >= 10:
                self.conformal_pooled_[lv] = self._q(resid, a)
        for key in {(int(x_), int(y_)) for x_, y_ in zip(lb, hb, strict=True)}:
            sel = (lb == key[0]) & (hb == key[1])
            if sel.sum() >= 100:
                self.conformal_[key] = {lv: self._q(resid[sel], (1 - lv) / 2) for lv in self.levels}
                self.offset_[key] = self._offset(off_resid[sel])
        if len(resid) >= 10:
            self.offset_pooled_ = self._offset(off_resid)
        self.calibration_points_ = int(len(resid))
        self._season_widths(panel, fb, first, bt_cut)

    def _season_widths(
        self, panel: Panel, fb: FeatureBuilder, first: np.ndarray, bt_cut: np.ndarray
    ) -> None:
        """Seasonal calibration: one year before, how much wider were the backtest model's
        scaled errors over the forecast window's time of year than over the calibration
        windows' time of year? That ratio (per interval level and horizon bin, shrunk as
        ``ratio ** seasonal_calibration``, clipped to [1, 3]) widens the conformal
        quantiles, so a peak season is not calibrated on quiet weeks. Only widening: on
        the June validation seed, letting a quieter season narrow them cost 2.6 points of
        80 % coverage. The errors are in-sample for the backtest booster (it was trained
        on last year), so only their ratio is used. 1 when last year is not observed or
        the option is 0."""
        self.season_width_: dict[float, np.ndarray] = {lv: np.ones(4) for lv in self.levels}
        power = float(getattr(self, "seasonal_calibration", 0.0))
        year = {"D": 364, "W": 52}.get(panel.freq, 0)
        if power <= 0 or year == 0 or self.booster_bt_ is None:
            return
        n_orig = max(int(getattr(self, "calibration_origins", 1)), 1)
        n_h = self.horizon
        last = bt_cut + n_h + (n_orig - 1) * self._stride

        def scaled_errors(origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ok = np.flatnonzero((origin - first >= n_h) & (origin >= 0))
            if len(ok) > self.max_calibration_series:
                rng = np.random.default_rng(self.random_state)
                ok = np.sort(rng.choice(ok, self.max_calibration_series, replace=False))
            if len(ok) == 0:
                return np.array([]), np.array([], dtype=np.int64)
            pred, _, v_row = self._global_scaled(self.booster_bt_, fb, origin[ok], ok)
            h = np.tile(np.arange(1, n_h + 1), len(ok))
            i = np.repeat(ok, n_h)
            u = np.repeat(origin[ok], n_h) + h
            actual = panel.y[i, u]
            valid = ~np.isnan(actual)
            if panel.stockout is not None:
                valid &= ~panel.stockout[i, u]
            err = (actual - pred.reshape(-1)) / v_row.reshape(-1)
            return err[valid], self._h_bin(h[valid])

        target_err, target_hb = scaled_errors(last - year)
        calib = [scaled_errors(bt_cut + k * self._stride - year) for k in range(n_orig)]
        calib_err = np.concatenate([c[0] for c in calib])
        calib_hb = np.concatenate([c[1] for c in calib])
        if len(target_err) < 200 or len(calib_err) < 200:
            return
        for lv in self.levels:
            a = (1 - lv) / 2
            for b in range(4):
                te, ce = target_err[target_hb == b], calib_err[calib_hb == b]
                if len(te) < 100 or len(ce) < 100:
                    te, ce = target_err, calib_err
                t_lo, t_hi = np.quantile(te, [a, 1 - a])
                c_lo, c_hi = np.quantile(ce, [a, 1 - a])
                if c_hi - c_lo <= 0:
                    continue
                ratio = float((t_hi - t_lo) / (c_hi - c_lo))
                self.season_width_[lv][b] = float(np.clip(ratio**power, 1.0, 3.0))

    @staticmethod
    def _offset(resid: np.ndarray) -> float:
        """Mean scaled error of the median forecast (winsorised at 0.5 %), i.e. how far
        expected demand sits above the median."""
        lo, hi = np.quantile(resid, [0.005, 0.995])
        return float(np.mean(np.clip(resid, lo, hi)))

    @staticmethod
    def _q(resid: np.ndarray, a: float) -> tuple[float, float]:
        n = len(resid)
        # finite-sample split-conformal correction
        lo_q = max(0.0, np.floor(a * (n + 1)) / n - 1e-9)
        hi_q = min(1.0, np.ceil((1 - a) * (n + 1)) / n)
        return float(np.quantile(resid, lo_q)), float(np.quantile(resid, hi_q))

    def _season_width(self, level: float, h_bin: int) -> float:
        widths = getattr(self, "season_width_", {})
        return float(widths[level][h_bin]) if level in widths else 1.0

    def _h_bin(self, h: np.ndarray) -> np.ndarray:
        return np.minimum((h - 1) * 4 // self.horizon, 3)

    # --------------------------------------------------------------- prediction
    def backtest(self, panel: Panel) -> tuple[Panel, ForecastResult]:
        """Forecasts of the last ``horizon`` periods of the panel ``fit`` saw, by the
        backtest model (trained without them): accuracy tracking without a second fit.
        Returns the truncated history and the forecasts. The intervals were calibrated
        partly on these periods, so their coverage here is optimistic."""
        train = panel.truncate(panel.n_periods - self.horizon)
        return train, self._predict(train, self.booster_bt_)

    def predict(self, panel: Panel) -> ForecastResult:
        """Forecasts for every series of ``panel`` (one shard or all)."""
        return self._predict(panel, self.booster_)

    def _predict(self, panel: Panel, booster: lgb.Booster | None) -> ForecastResult:
        n, n_h, m = panel.n_series, self.horizon, panel.season
        y_imp = impute_stockouts(panel.y, panel.stockout, m)
        fb = self._fb(panel, y_imp)
        first, last, n_obs = observed_bounds(panel.y)
        has = n_obs > 0
        origin = np.where(has, last, 0)
        mean = np.zeros((n, n_h))
        method = np.full(n, "global", dtype=object)
        s_row = np.ones((n, n_h))
        v_row = np.ones((n, n_h))
        if has.any():
            mean[has], s_row[has], v_row[has] = self._global_scaled(
                booster, fb, origin[has], np.flatnonzero(has)
            )
            b = float(getattr(self, "blend", 0.0))
            if b > 0:  # ensemble with per-series exponential smoothing
                ets = np.nan_to_num(ets_forecast(y_imp[has], origin[has], n_h, m))
                mean[has] = (1 - b) * mean[has] + b * ets
        y_hist = y_imp
        positive = np.nansum(np.where(np.isnan(y_hist), 0, y_hist), axis=1) > 0
        short = has & (n_obs < min(m, 8) + 1)
        method[short] = "short"
        mean[short] = recent_mean_from(y_hist[short], origin[short], n_h, 4 * m)
        if self._selecting:
            self._select(panel, fb, y_hist, first, origin, n_obs, mean, method)
        zero = ~positive
        method[zero] = "zero"
        mean[zero] = 0.0
        scale = fb.scale(np.arange(n), origin)
        lower, upper, offset = self._intervals(mean, scale, v_row)
        expected = mean.copy()
        glob = method == "global"
        expected[glob] = np.clip(mean[glob] + offset[glob] * s_row[glob], 0.0, None)
        own = getattr(self, "method_conformal_", {})
        if own:
            vol = fb.volatility(np.arange(n), origin)[:, None]
            hb = self._h_bin(np.arange(1, n_h + 1))
            for k, qs in own.items():
                rows = method == k
                for lv, (q_lo, q_hi) in qs.items():
                    f = np.array([self._season_width(lv, int(b)) for b in hb])[None, :]
                    lo_b = np.clip(np.minimum(mean + q_lo * f * vol, mean), 0.0, None)
                    lower[lv][rows] = lo_b[rows]
                    upper[lv][rows] = np.maximum(mean + q_hi * f * vol, mean)[rows]
        for lv in self.levels:
            lower[lv][zero] = 0.0
            upper[lv][zero] = 0.0
        dates = (
            np.stack([panel.future_dates(int(o), n_h).to_numpy() for o in origin])
            if n
            else np.zeros((0, n_h), dtype="datetime64[ns]")
        )
        return ForecastResult(panel.series_ids, dates, mean, expected, lower, upper, method)

    def _select(
        self,
        panel: Panel,
        fb: FeatureBuilder,
        y_hist: np.ndarray,
        first: np.ndarray,
        origin: np.ndarray,
        n_obs: np.ndarray,
        mean: np.ndarray,
        method: np.ndarray,
        calibrate: bool = False,
    ) -> None:
        """Per-series backtest on the last ``horizon`` periods: switch a short or
        intermittent series away from the global model when another method's MAE was at
        least ``selection_margin`` lower. With ``calibrate`` (during ``fit``) nothing is
        switched: the scaled backtest errors of each statistical method over all candidate
        series give that method's own conformal interval quantiles."""
        n_h, m = self.horizon, panel.season
        bt = origin - n_h
        observed = ~np.isnan(panel.y)
        # share of observed days with zero sales; 0 for a series never observed (no warning)
        zero_share = ((panel.y == 0) & observed).sum(axis=1) / np.maximum(observed.sum(axis=1), 1)
        cand = (
            (method == "global")
            & (bt > first)
            & ((n_obs < 2 * m + 2 * n_h + 1) | (zero_share > 0.3))
        )
        if self.booster_bt_ is None:
            cand = (method == "global") & (bt > first)
        idx = np.flatnonzero(cand)
        if len(idx) == 0:
            return
        y_sub = y_hist[idx]
        steps = bt[idx, None] + np.arange(1, n_h + 1)[None, :]
        actual = panel.y[idx[:, None], steps]
        if panel.stockout is not None:
            actual = np.where(panel.stockout[idx[:, None], steps], np.nan, actual)
        short_w = 4 * m if m <= 7 else 8
        backtests = {
            "global": self._global(self.booster_bt_, fb, bt[idx], idx)
            if self.booster_bt_ is not None
            else None,
            "seasonal_naive": seasonal_naive_from(y_sub, bt[idx], n_h, m),
            "ets": ets_forecast(y_sub, bt[idx], n_h, m),
            "recent_mean": recent_mean_from(y_sub, bt[idx], n_h, short_w),
        }
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            maes = {
                k: np.nanmean(np.abs(actual - np.nan_to_num(v)), axis=1)
                for k, v in backtests.items()
                if v is not None
            }
        if calibrate:
            vol = fb.volatility(idx, bt[idx])[:, None]
            for k in ("seasonal_naive", "ets", "recent_mean"):
                fc = backtests[k]
                assert fc is not None
                err = ((actual - np.nan_to_num(fc)) / vol)[~np.isnan(actual)]
                if len(err) >= 50:
                    self.method_conformal_[k] = {
                        lv: self._q(err, (1 - lv) / 2) for lv in self.levels
                    }
            return
        base = maes.get("global", np.full(len(idx), np.inf))
        best_name = np.full(len(idx), "global", dtype=object)
        best_mae = base * (1 - self.selection_margin)
        for k in ("seasonal_naive", "ets", "recent_mean"):
            better = maes[k] < best_mae
            best_name[better] = k
            best_mae = np.where(better, maes[k], best_mae)
        finals = {
            "seasonal_naive": lambda: seasonal_naive_from(y_sub, origin[idx], n_h, m),
            "ets": lambda: ets_forecast(y_sub, origin[idx], n_h, m),
            "recent_mean": lambda: recent_mean_from(y_sub, origin[idx], n_h, short_w),
        }
        for k, make in finals.items():
            rows = best_name == k
            if rows.any():
                mean[idx[rows]] = np.nan_to_num(make()[rows])
                method[idx[rows]] = k

    def _intervals(
        self, mean: np.ndarray, scale: np.ndarray, width: np.ndarray
    ) -> tuple[dict[float, np.ndarray], dict[float, np.ndarray], np.ndarray]:
        """Conformal bounds ``mean + q * width`` with q picked per (level bin of
        ``scale``, horizon bin); also the expected-demand offset per cell."""
        n, n_h = mean.shape
        lb = np.searchsorted(self.level_edges_, np.log(scale))
        hb = self._h_bin(np.arange(1, n_h + 1))
        offset = np.full((n, n_h), self.offset_pooled_)
        for (a, b), value in self.offset_.items():
            offset[(lb == a)[:, None] & (hb == b)[None, :]] = value
        lower: dict[float, np.ndarray] = {}
        upper: dict[float, np.ndarray] = {}
        for lv in self.levels:
            qlo = np.empty((n, n_h))
            qhi = np.empty((n, n_h))
            for a in range(len(self.level_edges_) + 1):
                for b in range(4):
                    lo_v, hi_v = self.conformal_.get((a, b), {}).get(lv, self.conformal_pooled_[lv])
                    f = self._season_width(lv, b)
                    lo_v, hi_v = lo_v * f, hi_v * f
                    cell = (lb == a)[:, None] & (hb == b)[None, :]
                    qlo[cell] = lo_v
                    qhi[cell] = hi_v
            lower[lv] = np.clip(np.minimum(mean + qlo * width, mean), 0.0, None)
            upper[lv] = np.maximum(mean + qhi * width, mean)
        return lower, upper, offset
