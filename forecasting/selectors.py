"""Reads: the demand history the model learns from, and the stored forecasts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from catalog import facade as catalog
from forecasting.ml.calendar import retail_events
from forecasting.ml.panel import Panel
from forecasting.models import Forecast, ForecastAccuracy, ReorderSuggestion
from orders import facade as orders


def _local_dates(values: pd.Series) -> pd.Series:
    ts = pd.to_datetime(values, utc=True).dt.tz_convert(settings.TIME_ZONE)
    return ts.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")


def history_end(now: object | None = None) -> date:
    """Last complete day of history (yesterday, store time)."""
    now = now or timezone.now()
    return timezone.localtime(now).date() - timedelta(days=1)  # type: ignore[arg-type]


def holidays(end: date) -> pd.DatetimeIndex:
    extra = pd.DatetimeIndex(pd.to_datetime(getattr(settings, "FORECASTING_HOLIDAYS", [])))
    return retail_events(2000, end.year + 1).append(extra).sort_values()


def demand_panel(
    *, end: date, product_ids: Iterable[int] | None = None, history_days: int = 730
) -> Panel | None:
    """Daily units sold per product up to ``end`` (inclusive), newest ``history_days``.

    Rows are products (``series_ids`` are product ids, ascending). A product's history
    starts on the day it was created or first sold; days without sales are 0. Stockout days
    (stock at the end of the day was 0, rebuilt from stock movements and current stock) are
    flagged so the model treats them as censored demand. Price is the shop price in effect
    that day; promo marks a price below list price. Returns None when nothing has sold.
    """
    ids = None if product_ids is None else sorted(int(p) for p in product_ids)
    products = catalog.products_frame()
    if ids is not None:
        products = products[products["product_id"].isin(ids)]
    if products.empty:
        return None
    products = products.sort_values("product_id").reset_index(drop=True)
    start = pd.Timestamp(end) - pd.Timedelta(days=history_days - 1)
    dates = pd.date_range(start, pd.Timestamp(end), freq="D")
    pid = products["product_id"].to_numpy()
    row_of = {int(p): r for r, p in enumerate(pid)}
    n, t_len = len(pid), len(dates)

    # only the window's lines (a day of margin for the time zone): reading every order
    # line ever sold made each shard and each product chart read the whole table
    since = timezone.make_aware(
        datetime.combine(start.date() - timedelta(days=1), datetime.min.time())
    )
    lines = orders.order_lines_frame(since=since)
    y = np.zeros((n, t_len))
    first_sale = np.full(n, t_len)
    if not lines.empty:
        lines = lines[lines["product_id"].isin(row_of)]
        lines = lines.assign(day=_local_dates(lines["placed_at"]))
        lines = lines[(lines["day"] >= start) & (lines["day"] <= pd.Timestamp(end))]
        daily = lines.groupby(["product_id", "day"], as_index=False)["quantity"].sum()
        r = daily["product_id"].map(row_of).to_numpy()
        c = (daily["day"] - start).dt.days.to_numpy()
        y[r, c] = daily["quantity"].to_numpy(dtype=float)
        np.minimum.at(first_sale, r, c)
    if not y.any():
        return None
    created = (_local_dates(products["created_at"]) - start).dt.days.to_numpy()
    # end-of-day stock = stock now minus every movement after that day
    on_hand_now = products["on_hand"].fillna(0).to_numpy(dtype=float)
    moves = catalog.stock_movements_frame(product_ids=list(map(int, pid)))
    first_move = np.full(n, -1)
    if not moves.empty:
        known = moves[moves["product_id"].isin(row_of)]
        if not known.empty:
            earliest = _local_dates(known.groupby("product_id")["created_at"].min())
            first_move[[row_of[int(p)] for p in earliest.index]] = (earliest - start).dt.days
    # nothing could sell before the product existed and had stock
    first = np.clip(np.minimum(np.maximum(created, first_move), first_sale), 0, t_len - 1)
    y[np.arange(t_len)[None, :] < first[:, None]] = np.nan

    after = np.zeros((n, t_len + 1))  # net movement on each day (last column: after `end`)
    if not moves.empty:
        moves = moves[moves["product_id"].isin(row_of)]
        day = _local_dates(moves["created_at"])
        col = np.clip((day - start).dt.days.to_numpy(), -1, t_len)
        keep = col >= 0
        np.add.at(
            after,
            (moves["product_id"].map(row_of).to_numpy()[keep], col[keep]),
            moves["quantity"].to_numpy(dtype=float)[keep],
        )
    later = np.cumsum(after[:, ::-1], axis=1)[:, ::-1]  # later[:, d] = net from day d on
    end_of_day = on_hand_now[:, None] - later[:, 1:]
    stockout = (end_of_day <= 0) & ~np.isnan(y)

    price = np.repeat(products["price"].to_numpy(dtype=float)[:, None], t_len, axis=1)
    ph = catalog.price_history_frame(product_ids=list(map(int, pid)))
    if not ph.empty:
        ph = ph.assign(day=_local_dates(ph["changed_at"])).sort_values("changed_at")
        last_per_day = ph.groupby(["product_id", "day"], as_index=False)["price"].last()
        mat = np.full((n, t_len), np.nan)
        inside = (last_per_day["day"] >= start) & (last_per_day["day"] <= pd.Timestamp(end))
        before = last_per_day[last_per_day["day"] < start].groupby("product_id")["price"].last()
        rows = last_per_day[inside]
        mat[rows["product_id"].map(row_of).to_numpy(), (rows["day"] - start).dt.days.to_numpy()] = (
            rows["price"].to_numpy()
        )
        for p, val in before.items():
            if np.isnan(mat[row_of[int(p)], 0]):
                mat[row_of[int(p)], 0] = val
        filled = pd.DataFrame(mat.T).ffill().to_numpy().T
        price = np.where(np.isnan(filled), price, filled)
    list_price = products["list_price"].to_numpy(dtype=float)[:, None]
    promo = (price < list_price * 0.995).astype(float)
    return Panel(
        series_ids=pid,
        dates=dates,
        y=y,
        freq="D",
        price=price,
        promo=promo,
        stockout=stockout,
    )


def forecast_rows(*, product_id: int) -> QuerySet[Forecast]:
    return Forecast.objects.filter(product_id=product_id).order_by("date")


def sales_history(*, product_id: int, end: date, days: int) -> pd.DataFrame:
    """date, quantity, stockout for one product's last ``days`` days."""
    panel = demand_panel(end=end, product_ids=[product_id], history_days=days)
    if panel is None:
        return pd.DataFrame(columns=["date", "quantity", "stockout"])
    frame = pd.DataFrame(
        {
            "date": panel.dates.date,
            "quantity": panel.y[0],
            "stockout": panel.stockout[0] if panel.stockout is not None else False,
        }
    )
    return frame[frame["quantity"].notna()]


def reorder_suggestion_list(
    *, product_ids: Iterable[int] | None = None
) -> QuerySet[ReorderSuggestion]:
    """Suggestions by stockout risk (highest first), with product SKU and name."""
    qs = ReorderSuggestion.objects.select_related("product")
    if product_ids is not None:
        qs = qs.filter(product_id__in=list(product_ids))
    return qs.order_by("-stockout_risk", "projected_stockout_date", "product_id")


def reorder_alert_counts(*, within_days: int) -> dict[str, int]:
    """Suggestions at or below their reorder point (stock plus units on open purchase
    orders), and expected to sell out within the days."""
    soon = timezone.localdate() + timedelta(days=within_days)
    return ReorderSuggestion.objects.aggregate(
        reorder=Count("pk", filter=Q(on_hand__lte=F("reorder_point") - F("incoming"))),
        stockout=Count("pk", filter=Q(projected_stockout_date__lte=soon)),
    )


def accuracy_list(limit: int = 60) -> QuerySet[ForecastAccuracy]:
    return ForecastAccuracy.objects.order_by("-computed_at", "-pk")[:limit]
