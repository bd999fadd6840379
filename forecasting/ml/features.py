"""Features for the direct multi-horizon model.

A training row is (series i, origin t, horizon h): features use history up to period t
and known calendar, holiday, price and promotion values at the target period u = t + h;
the target is y[i, u] divided by the series' recent level (so one model serves slow and
fast sellers alike).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.ml.panel import Panel

MAX_TARGET_RATIO = 30.0
YEAR_SHRINK = 0.8  # factor = ratio ** YEAR_SHRINK: a noisy ratio is pulled towards 1
YEAR_WINDOW = {"D": 28, "W": 3}  # periods around the target's date last year
HOLIDAY_WINDOW = (-2, 1)  # days around a holiday that get last year's day effect (daily data)
HOLIDAY_MATCH = 10  # a moving holiday's counterpart: last year's holiday within this many days


def _cum(a: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)


def _at(mat: np.ndarray, i: np.ndarray, k: np.ndarray) -> np.ndarray:
    out = np.full(i.shape[0], np.nan)
    ok = (k >= 0) & (k < mat.shape[1])
    out[ok] = mat[i[ok], k[ok]]
    return out


def _extend(a: np.ndarray | None, n: int, t_len: int, fill: float, carry: bool) -> np.ndarray:
    """Covariate matrix padded (or cut) to ``t_len`` columns."""
    if a is None:
        return np.full((n, t_len), fill)
    a = np.asarray(a, dtype=float)[:, :t_len]
    if a.shape[1] == t_len:
        return a
    pad_val = a[:, -1:] if carry and a.shape[1] else np.full((n, 1), fill)
    return np.concatenate([a, np.repeat(pad_val, t_len - a.shape[1], axis=1)], axis=1)


class FeatureBuilder:
    """Precomputed running sums over one panel; :meth:`rows` gathers feature rows."""

    def __init__(
        self,
        panel: Panel,
        y_imputed: np.ndarray,
        horizon: int,
        holidays: Sequence[object] | None = None,
        year_scale: bool = True,
        holiday_effect: bool = False,
        day_effects: dict[np.datetime64, float] | None = None,
    ) -> None:
        self.year_scale = year_scale
        self.freq = panel.freq
        self.m = panel.season
        daily = panel.freq == "D"
        n, t_len = panel.y.shape
        self.t_len = t_len
        total = t_len + horizon + 1
        y = np.asarray(y_imputed, dtype=float)
        obs = ~np.isnan(y)
        yv = np.where(obs, y, 0.0)
        self.y = y
        self.c_sum = _cum(yv)
        self.c_sq = _cum(yv * yv)
        self.c_cnt = _cum(obs.astype(float))
        self.c_zero = _cum((obs & (yv == 0)).astype(float))
        stock = np.zeros_like(obs) if panel.stockout is None else np.asarray(panel.stockout)
        self.c_stock = _cum(stock[:, :t_len].astype(float))
        idx = np.where(obs & (yv > 0), np.arange(t_len)[None, :], -(10**6))
        self.last_sale = np.maximum.accumulate(idx, axis=1)
        price = _extend(panel.price, n, total, np.nan, carry=True)
        if panel.price is not None:
            price = pd.DataFrame(price.T).ffill().bfill().to_numpy().T
        self.price = price
        self.c_price = _cum(np.nan_to_num(price[:, :t_len], nan=0.0))
        self.c_price_cnt = _cum((~np.isnan(price[:, :t_len])).astype(float))
        self.promo = _extend(panel.promo, n, total, 0.0, carry=False)
        self.c_promo = _cum(self.promo[:, :t_len])
        dates = pd.date_range(panel.dates[0], periods=total, freq=panel.dates.freq or panel.freq)
        self.cal = self._calendar(dates, holidays, daily)
        # last year's pooled effect of the days around holidays (see _day_effects)
        self.day_src = np.full(total, -1, dtype=np.int64)
        self.day_factor: np.ndarray | None = None
        self.day_effects: dict[np.datetime64, float] = dict(day_effects or {})
        if daily and holiday_effect:
            self.day_factor = np.ones(total)
            if holidays is not None:
                self._day_effects(dates, holidays, compute=day_effects is None)
        self.windows = (7, 14, 28, 56, 112, 364) if daily else (4, 8, 13, 26, 52)
        self.short_w = 28 if daily else 8
        self.scale_w = 56 if daily else 13
        self.n_lags = 7 if daily else 4

    def _day_effects(
        self, dates: pd.DatetimeIndex, holidays: Sequence[object], compute: bool
    ) -> None:
        """Holiday day effects from last year, pooled over all series.

        A day ``d`` days from a holiday ``H`` (``d`` in ``HOLIDAY_WINDOW``; the nearest
        holiday wins) is matched to the same offset from ``H``'s counterpart last year:
        the holiday on the same calendar date, else (a moving holiday such as Black
        Friday) last year's holiday nearest to ``H - 364`` days within ``HOLIDAY_MATCH``.
        Its effect is last year's sales on that day over the same weekday one and two
        weeks either side (days near holidays left out), summed over all series: a
        closure (Christmas Day) or a rush (the days before) that a single day per series
        is far too noisy to show. The effect multiplies the row scale like the year
        factor, so a closure the trees never saw with last-year features still comes
        through. Computed once on the training panel (``compute``) and reused as given
        for shards, keyed by date."""
        hol = pd.DatetimeIndex(pd.to_datetime(list(holidays))).normalize().unique().sort_values()
        start, total = dates[0], len(dates)
        hol = hol[
            (hol >= start - pd.Timedelta(days=400)) & (hol <= dates[-1] + pd.Timedelta(days=5))
        ]
        if len(hol) == 0:
            return
        pos = (hol - start).days.to_numpy()
        lo_w, hi_w = HOLIDAY_WINDOW
        near = np.zeros(total, dtype=bool)
        best = np.full(total, 10**6)
        for k, day in zip(pos, hol, strict=True):
            same = (hol.month == day.month) & (hol.day == day.day) & (hol.year == day.year - 1)
            if same.any():
                k_ly = int(pos[np.argmax(same)])
            else:
                gap = np.abs((hol - (day - pd.Timedelta(days=364))).days.to_numpy())
                j = int(np.argmin(gap))
                matched = gap[j] <= HOLIDAY_MATCH and pos[j] <= k - 300
                k_ly = int(pos[j]) if matched else -(10**6)
            for d in range(lo_w, hi_w + 1):
                p = k + d
                if 0 <= p < total:
                    near[p] = True
                    if abs(d) < best[p] and k_ly + d >= 0:
                        best[p] = abs(d)
                        self.day_src[p] = k_ly + d
        assert self.day_factor is not None
        y = self.y
        for p in np.flatnonzero((self.day_src >= 14) & (self.day_src + 14 < self.t_len)):
            key = np.datetime64(dates[p], "D")
            q = int(self.day_src[p])
            if compute:
                around = [q + o for o in (-14, -7, 7, 14) if not near[q + o]]
                if not around:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    base = np.nanmean(y[:, around], axis=1)
                ok = ~np.isnan(y[:, q]) & ~np.isnan(base)
                if base[ok].sum() > 0:
                    # one series' odd day (a bulk order) cannot swing the pooled effect
                    top = np.minimum(y[ok, q], 10 * base[ok] + 1)
                    self.day_effects[key] = float(top.sum() / base[ok].sum())
            if key in self.day_effects:
                self.day_factor[p] = float(np.clip(self.day_effects[key], 0.05, 5.0))

    @staticmethod
    def _calendar(
        dates: pd.DatetimeIndex, holidays: Sequence[object] | None, daily: bool
    ) -> dict[str, np.ndarray]:
        cal: dict[str, np.ndarray] = {
            "month": dates.month.to_numpy(float),
            "woy": dates.isocalendar().week.to_numpy(float),
        }
        if daily:
            cal["dow"] = dates.dayofweek.to_numpy(float)
            cal["dom"] = dates.day.to_numpy(float)
            cal["doy"] = dates.dayofyear.to_numpy(float)
        hol = pd.DatetimeIndex(
            pd.to_datetime(list(holidays) if holidays is not None else [])
        ).normalize()
        day_index = pd.date_range(
            dates[0] - pd.Timedelta(days=30), dates[-1] + pd.Timedelta(days=37)
        )
        is_hol = day_index.isin(hol)
        pos = np.arange(len(day_index))
        last = np.maximum.accumulate(np.where(is_hol, pos, -(10**6)))
        nxt = np.minimum.accumulate(np.where(is_hol, pos, 10**6)[::-1])[::-1]
        first_pos = (dates - day_index[0]).days.to_numpy()
        if daily:
            cal["holiday"] = is_hol[first_pos].astype(float)
            cal["days_to_hol"] = np.clip(nxt[first_pos] - first_pos, 0, 30).astype(float)
            cal["days_since_hol"] = np.clip(first_pos - last[first_pos], 0, 30).astype(float)
        else:
            c = np.concatenate([[0], np.cumsum(is_hol)])
            cal["holiday"] = (c[first_pos + 7] - c[first_pos]).astype(float)
            cal["holiday_next"] = (c[first_pos + 14] - c[first_pos + 7]).astype(float)
            cal["holiday_prev"] = (c[first_pos] - c[np.maximum(first_pos - 7, 0)]).astype(float)
        return cal

    def _wmean(
        self, csum: np.ndarray, ccnt: np.ndarray | None, i: np.ndarray, t: np.ndarray, w: int
    ) -> np.ndarray:
        """Mean over periods (t - w, t] (only observed ones when ``ccnt`` is given)."""
        hi = np.clip(t + 1, 0, self.t_len)
        lo = np.clip(t + 1 - w, 0, self.t_len)
        total = csum[i, hi] - csum[i, lo]
        cnt = (ccnt[i, hi] - ccnt[i, lo]) if ccnt is not None else (hi - lo).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cnt > 0, total / cnt, np.nan)

    def scale(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Recent mean demand at origin t (units per period); 1 for a series never sold."""
        recent = self._wmean(self.c_sum, self.c_cnt, i, t, self.scale_w)
        overall = self._wmean(self.c_sum, self.c_cnt, i, t, self.t_len + 1)
        s = np.fmax(recent, 0.25 * overall)
        return np.where(np.isfinite(s) & (s > 0), s, 1.0)

    def volatility(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Recent spread of demand at origin t in units per period: the standard deviation
        over the scale window, floored at a quarter of the level (so a steady series still
        gets some interval) and at a Poisson-like ``sqrt(level) / 4``."""
        s = self.scale(i, t)
        mean = self._wmean(self.c_sum, self.c_cnt, i, t, self.scale_w)
        sq = self._wmean(self.c_sq, self.c_cnt, i, t, self.scale_w)
        sd = np.sqrt(np.maximum(np.nan_to_num(sq - mean**2), 0.0))
        return np.fmax(sd, np.fmax(0.25 * s, 0.25 * np.sqrt(s)))

    def year_factor(self, i: np.ndarray, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """How much demand moved last year from the origin's to the target's time of year
        (ratio of mean sales in matching windows, shrunk towards 1 and clipped); 1 when
        last year is not (fully) observed. The model's target is sales / (level x this),
        so a seasonal peak larger than any seen in training is not capped by the trees."""
        u = t + h
        if self.freq == "D":
            wt = YEAR_WINDOW["D"]
            off = 364 - wt // 2
        else:
            wt = YEAR_WINDOW["W"]
            off = 52 - wt // 2
        wo = self.scale_w  # last year's counterpart of the recent level
        s = self.scale(i, t)
        num = self._wmean(self.c_sum, self.c_cnt, i, u - off, wt)
        den = self._wmean(self.c_sum, self.c_cnt, i, t - (364 if self.freq == "D" else 52), wo)
        cnt_t = (
            self.c_cnt[i, np.clip(u - off + 1, 0, self.t_len)]
            - self.c_cnt[i, np.clip(u - off + 1 - wt, 0, self.t_len)]
        )
        t_o = t - (364 if self.freq == "D" else 52)
        cnt_o = (
            self.c_cnt[i, np.clip(t_o + 1, 0, self.t_len)]
            - self.c_cnt[i, np.clip(t_o + 1 - wo, 0, self.t_len)]
        )
        ok = (cnt_t >= 0.8 * wt) & (cnt_o >= 0.8 * wo) & (u - off - wt >= 0) & (t_o - wo >= -1)
        k = 0.15 * s
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = (num + k) / (den + k)
        ratio = np.where(ok & np.isfinite(ratio), ratio, 1.0)
        return np.clip(ratio**YEAR_SHRINK, 0.25, 4.0)

    def rows(
        self, i: np.ndarray, t: np.ndarray, h: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Feature matrix, scale per row and feature names for rows (i, t, h).

        The scale is the series' recent level times :meth:`year_factor` (when
        ``year_scale``); targets and predictions are in units of it."""
        i = np.asarray(i, dtype=np.int64)
        t = np.asarray(t, dtype=np.int64)
        h = np.asarray(h, dtype=np.int64)
        u = t + h
        m = self.m
        s = self.scale(i, t)
        cols: dict[str, np.ndarray] = {"h": h.astype(float), "log_scale": np.log1p(s)}
        for k in range(self.n_lags):
            cols[f"lag{k}"] = _at(self.y, i, t - k) / s
        if self.freq == "D":
            j0 = -(-h // m)
            vals = np.stack([_at(self.y, i, u - m * (j0 + j)) for j in range(4)])
            cols["slag1"] = vals[0] / s
            cnt = np.sum(~np.isnan(vals), axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                cols["slag_mean4"] = np.nansum(vals, axis=0) / cnt / s
            # smoother weekday profile for slow sellers: same weekday over 12 weeks vs all days
            more = np.stack([_at(self.y, i, u - m * (j0 + j)) for j in range(4, 12)])
            both = np.concatenate([vals, more])
            cnt12 = np.sum(~np.isnan(both), axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                wk12 = np.nansum(both, axis=0) / cnt12
                cols["slag_mean12"] = wk12 / s
                cols["dow_share"] = (wk12 + 0.01) / (
                    self._wmean(self.c_sum, self.c_cnt, i, t, 84) + 0.01
                )
            cols["year_target"] = self._wmean(self.c_sum, self.c_cnt, i, u - 364 + 14, 28) / s
            cols["year_origin"] = self._wmean(self.c_sum, self.c_cnt, i, t - 364, 28) / s
            cols["year_same_day"] = self._wmean(self.c_sum, self.c_cnt, i, u - 364 + 3, 7) / s
            # same calendar date last year (fixed-date events: Christmas, New Year)
            cols["year_same_date"] = _at(self.y, i, u - 365) / s
            cols["year_date_ratio"] = (cols["year_same_date"] + 0.05) / (cols["year_origin"] + 0.05)
        else:
            cols["slag1"] = _at(self.y, i, u - 52) / s
            cols["year_target"] = self._wmean(self.c_sum, self.c_cnt, i, u - 52 + 1, 3) / s
            cols["year_origin"] = self._wmean(self.c_sum, self.c_cnt, i, t - 52, 8) / s
        # how much last year's level changed from the origin's to the target's time of year
        cols["year_ratio"] = (cols["year_target"] + 0.05) / (cols["year_origin"] + 0.05)
        for w in self.windows:
            cols[f"mean{w}"] = self._wmean(self.c_sum, self.c_cnt, i, t, w) / s
        mean_short = self._wmean(self.c_sum, self.c_cnt, i, t, self.short_w)
        sq_short = self._wmean(self.c_sq, self.c_cnt, i, t, self.short_w)
        cols["std_short"] = np.sqrt(np.maximum(sq_short - mean_short**2, 0.0)) / s
        cols["zero_share"] = self._wmean(self.c_zero, self.c_cnt, i, t, self.short_w)
        cols["since_sale"] = np.clip(
            t - self.last_sale[i, np.clip(t, 0, self.t_len - 1)], 0, 400
        ).astype(float)
        cols["n_obs"] = np.minimum(self.c_cnt[i, np.clip(t + 1, 0, self.t_len)], 400.0)
        cols["stock_share"] = self._wmean(self.c_stock, None, i, t, self.short_w)
        ref = self._wmean(self.c_price, self.c_price_cnt, i, t, self.short_w)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["price_target"] = self.price[i, u] / ref
            cols["price_origin"] = self.price[i, np.clip(t, 0, None)] / ref
            cols["price_level"] = np.log(ref)
        cols["promo_target"] = self.promo[i, u]
        cols["promo_origin"] = self.promo[i, np.clip(t, 0, None)]
        cols["promo_share"] = self._wmean(self.c_promo, None, i, t, self.short_w)
        for name, arr in self.cal.items():
            cols[name] = arr[u]
        if self.year_scale:
            f = self.year_factor(i, t, h)
            cols["log_year_factor"] = np.log(f)
            s = s * f
        if self.day_factor is not None:
            src = self.day_src[u]
            e = np.where((src >= 0) & (src + 14 <= t), self.day_factor[u], 1.0)
            cols["log_day_effect"] = np.log(e)
            s = s * e
        names = list(cols)
        return np.column_stack([cols[c] for c in names]).astype(np.float32), s, names
