"""A generic retail event calendar (dates that move demand in most Western stores)."""

from __future__ import annotations

import pandas as pd


def retail_events(first_year: int, last_year: int) -> pd.DatetimeIndex:
    """Black Friday and Cyber Monday, Christmas Eve to Boxing Day, New Year's Eve and Day,
    Valentine's Day. Stores add their own dates (``FORECASTING_HOLIDAYS``)."""
    days: list[pd.Timestamp] = []
    for year in range(first_year, last_year + 1):
        nov1 = pd.Timestamp(year, 11, 1)
        thanksgiving = nov1 + pd.Timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        days += [thanksgiving + pd.Timedelta(days=1), thanksgiving + pd.Timedelta(days=4)]
        days += [pd.Timestamp(year, 12, d) for d in (24, 25, 26, 31)]
        days += [pd.Timestamp(year, 1, 1), pd.Timestamp(year, 2, 14)]
    return pd.DatetimeIndex(sorted(days))
