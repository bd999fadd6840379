"""What other apps may use from forecasting: typed functions and frozen dataclasses.

Quantities are units per day. Every read has a fallback: with no stored forecast (no model
yet, a new product, or an error) the recent average daily sales are served with
``source="fallback"``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from forecasting import selectors
from mlops.facade import BaselineGate

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    date: date
    quantity: float
    stockout: bool


@dataclass(frozen=True, slots=True)
class ForecastPoint:
    date: date
    forecast: float  # point forecast (median), units
    expected: float  # mean demand, units (use for stock planning)
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass(frozen=True, slots=True)
class ProductForecast:
    """Daily history and the next 28 days' demand (units) with 80 % / 95 % intervals."""

    product_id: int
    history: tuple[HistoryPoint, ...]
    forecast: tuple[ForecastPoint, ...]
    method: str
    source: Literal["model", "fallback"]
    model_version: str | None


@dataclass(frozen=True, slots=True)
class ReorderInfo:
    product_id: int
    sku: str
    name: str
    on_hand: int
    incoming: int  # units on open purchase orders, counted with on_hand
    lead_time_days: int
    reorder_point: float
    safety_stock: float
    order_quantity: int
    stockout_risk: float
    projected_stockout_date: date | None
    source: Literal["model", "fallback"]
    model_version: str | None


def product_forecast(
    *, product_id: int, history_days: int = 90, horizon: int = 28
) -> ProductForecast:
    """History plus forecast for one product (raises the catalog's DoesNotExist if unknown)."""
    from catalog import facade as catalog

    catalog.product_get(product_id)
    end = selectors.history_end()
    try:
        frame = selectors.sales_history(product_id=product_id, end=end, days=history_days)
    except Exception:  # a read must never break the page that asked
        logger.exception("sales history read failed for product %s", product_id)
        frame = None
    history = (
        tuple(
            HistoryPoint(d, float(q), bool(s))
            for d, q, s in frame[["date", "quantity", "stockout"]].itertuples(index=False)
        )
        if frame is not None
        else ()
    )
    try:
        rows = list(selectors.forecast_rows(product_id=product_id)[:horizon])
    except Exception:
        logger.exception("forecast read failed for product %s", product_id)
        rows = []
    if rows:
        return ProductForecast(
            product_id=product_id,
            history=history,
            forecast=tuple(
                ForecastPoint(r.date, r.forecast, r.expected, r.lo80, r.hi80, r.lo95, r.hi95)
                for r in rows
            ),
            method=rows[0].method,
            source="model",
            model_version=rows[0].model_version,
        )
    return _fallback(product_id, history, end, horizon)


def _fallback(
    product_id: int, history: tuple[HistoryPoint, ...], end: date, horizon: int
) -> ProductForecast:
    """Flat forecast at the mean of the last 28 in-stock days; Poisson-width intervals."""
    recent = [p.quantity for p in history[-28:] if not p.stockout]
    level = float(np.mean(recent)) if recent else 0.0
    sd = math.sqrt(level)
    points = tuple(
        ForecastPoint(
            end + timedelta(days=k),
            level,
            level,
            max(level - 1.2816 * sd, 0.0),
            level + 1.2816 * sd,
            max(level - 1.96 * sd, 0.0),
            level + 1.96 * sd,
        )
        for k in range(1, horizon + 1)
    )
    return ProductForecast(product_id, history, points, "recent_mean", "fallback", None)


def reorder_suggestions(
    *, limit: int | None = None, product_ids: Iterable[int] | None = None
) -> list[ReorderInfo]:
    """Reorder suggestions, highest stockout risk first (empty before the first batch);
    ``product_ids`` keeps only those products' rows."""
    try:
        qs = selectors.reorder_suggestion_list(product_ids=product_ids)
        rows = list(qs[:limit] if limit else qs)
    except Exception:
        logger.exception("reorder suggestions read failed")
        return []
    return [
        ReorderInfo(
            product_id=r.product_id,
            sku=r.product.sku,
            name=r.product.name,
            on_hand=r.on_hand,
            incoming=r.incoming,
            lead_time_days=r.lead_time_days,
            reorder_point=r.reorder_point,
            safety_stock=r.safety_stock,
            order_quantity=r.order_quantity,
            stockout_risk=r.stockout_risk,
            projected_stockout_date=r.projected_stockout_date,
            source="model",
            model_version=r.model_version,
        )
        for r in rows
    ]


def train(*, force: bool = False) -> dict[str, Any]:
    """Nightly entry point (make demo, train_all, beat, admin): train, backtest, register,
    activate if better, forecast every product. Empty store -> ``{"skipped": reason}``."""
    from forecasting.services import forecasts_refresh

    return forecasts_refresh(force=force)


def activation_gate() -> BaselineGate:
    """The registry's check before a new model drives reorder alerts (mlops.gates): its
    backtest MASE must not be clearly above the seasonal-naive forecast's (the fallback)."""
    return BaselineGate(
        metric="mase",
        baseline="seasonal_naive_mase",
        higher_is_better=False,
        subject="forecasting",
        fallback="using the seasonal-naive forecast",
        baseline_label="the seasonal-naive forecast",
    )


def dashboard_panel() -> dict[str, Any]:
    """Figures for the store dashboard's reorder-alerts panel."""
    from forecasting import selectors

    counts = selectors.reorder_alert_counts(within_days=7)
    return {
        "title": "Reorder alerts",
        "items": {
            "Products at or below their reorder point": counts["reorder"],
            "Expected to sell out within 7 days": counts["stockout"],
        },
        "url": "/admin/forecasting/reordersuggestion/",
    }
