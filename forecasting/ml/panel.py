"""Dense series-by-period panel: the input every forecasting model in ``ml/`` works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEASON = {"D": 7, "W": 52}


@dataclass(frozen=True)
class Panel:
    """Demand history on a regular calendar.

    ``y`` is ``(n_series, n_periods)`` units sold; ``NaN`` marks a period that was not
    observed (before a series starts, after it ends, or a gap in the data), while 0 is a
    real zero. ``stockout`` flags periods where sales were capped by stock (censored
    demand). ``price`` and ``promo`` may have more columns than ``y``: the extra columns
    are planned prices and promotions for the periods being forecast.
    """

    series_ids: np.ndarray
    dates: pd.DatetimeIndex
    y: np.ndarray
    freq: str = "D"
    price: np.ndarray | None = None
    promo: np.ndarray | None = None
    stockout: np.ndarray | None = None

    @property
    def n_series(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_periods(self) -> int:
        return int(self.y.shape[1])

    @property
    def season(self) -> int:
        return SEASON[self.freq]

    @property
    def step(self) -> pd.DateOffset:
        return pd.tseries.frequencies.to_offset(self.dates.freq or "D")  # type: ignore[return-value]

    def take(self, idx: np.ndarray | list[int] | slice) -> Panel:
        """The same panel restricted to some series (a shard)."""

        def sub(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[idx]

        return Panel(
            series_ids=self.series_ids[idx],
            dates=self.dates,
            y=self.y[idx],
            freq=self.freq,
            price=sub(self.price),
            promo=sub(self.promo),
            stockout=sub(self.stockout),
        )

    def truncate(self, n_periods: int, keep_covariates: bool = True) -> Panel:
        """The first ``n_periods`` of history; covariates can keep their future columns."""

        def cut(a: np.ndarray | None) -> np.ndarray | None:
            if a is None:
                return None
            return a if keep_covariates else a[:, :n_periods]

        return Panel(
            series_ids=self.series_ids,
            dates=self.dates[:n_periods],
            y=self.y[:, :n_periods],
            freq=self.freq,
            price=cut(self.price),
            promo=cut(self.promo),
            stockout=None if self.stockout is None else self.stockout[:, :n_periods],
        )

    def future_dates(self, origin: int, horizon: int) -> pd.DatetimeIndex:
        """Dates of the ``horizon`` periods after period index ``origin``."""
        start = self.dates[0] + (origin + 1) * self.step
        return pd.date_range(start, periods=horizon, freq=self.dates.freq or self.freq)


def date_grid(start: pd.Timestamp, periods: int, freq: str) -> pd.DatetimeIndex:
    """Daily grid, or a weekly grid anchored on ``start``'s weekday."""
    if freq == "D":
        return pd.date_range(start, periods=periods, freq="D")
    if freq == "W":
        anchor = ["W-MON", "W-TUE", "W-WED", "W-THU", "W-FRI", "W-SAT", "W-SUN"][start.weekday()]
        return pd.date_range(start, periods=periods, freq=anchor)
    raise ValueError(f"freq must be 'D' or 'W', not {freq!r}")


def panel_from_frame(
    frame: pd.DataFrame,
    freq: str = "D",
    *,
    series_col: str = "series_id",
    date_col: str = "date",
    quantity_col: str = "quantity",
    price_col: str | None = "price",
    promo_col: str | None = "promo",
    stockout_col: str | None = "stockout",
    align_end: bool = False,
) -> Panel:
    """Pivot long rows (one per series and period) into a :class:`Panel`.

    Periods without a row between a series' first and last date are zero sales. With
    ``align_end`` every series runs to the last date in the frame (a product that sold
    nothing lately is still on sale); otherwise a series ends at its own last date and
    is forecast from there. Weekly dates are snapped to a grid anchored on the first date.
    """
    if frame.empty:
        raise ValueError("no rows")
    dates = pd.to_datetime(frame[date_col]).dt.tz_localize(None).dt.normalize()
    if freq not in SEASON:
        raise ValueError(f"freq must be 'D' or 'W', not {freq!r}")
    start = dates.min()
    pos = ((dates - start).dt.days // (7 if freq == "W" else 1)).to_numpy()
    grid = date_grid(start, int(pos.max()) + 1, freq)
    codes, ids = pd.factorize(frame[series_col], sort=True)
    n, t_len = len(ids), len(grid)

    def dense(values: np.ndarray, how: str) -> np.ndarray:
        out = pd.DataFrame({"i": codes, "t": pos, "v": values}).groupby(["i", "t"])["v"]
        agg = getattr(out, how)()
        mat = np.full((n, t_len), np.nan)
        mat[agg.index.get_level_values(0), agg.index.get_level_values(1)] = agg.to_numpy()
        return mat

    y = dense(frame[quantity_col].to_numpy(dtype=float), "sum")
    first = pd.Series(pos).groupby(codes).min().to_numpy()
    last = pd.Series(pos).groupby(codes).max().to_numpy()
    cols = np.arange(t_len)[None, :]
    inside = (cols >= first[:, None]) & (cols <= (t_len - 1 if align_end else last[:, None]))
    y = np.where(inside & np.isnan(y), 0.0, y)
    y[~inside] = np.nan

    price = promo = stockout = None
    if price_col and price_col in frame:
        raw = dense(frame[price_col].to_numpy(dtype=float), "mean")
        price = pd.DataFrame(raw.T).ffill().bfill().to_numpy().T
    if promo_col and promo_col in frame:
        promo = np.nan_to_num(dense(frame[promo_col].to_numpy(dtype=float), "mean"))
    if stockout_col and stockout_col in frame:
        stockout = np.nan_to_num(dense(frame[stockout_col].to_numpy(dtype=float), "max")) > 0
    return Panel(
        series_ids=np.asarray(ids),
        dates=grid,
        y=y,
        freq=freq,
        price=price,
        promo=promo,
        stockout=stockout,
    )
