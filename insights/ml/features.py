"""Customer features for RFM, churn and purchase propensity (pure pandas; no Django).

Inputs are id-only frames (no names or e-mails):
- ``orders``: customer_id, order_id, placed_at (aware), total (float)
- ``events``: customer_id (may be NaN for visitors), session_id, type, created_at
- ``customers``: customer_id, created_at
``as_of`` is the moment the features describe: nothing at or after it is used.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

FEATURES = [
    "recency_days",
    "frequency",
    "monetary",
    "aov",
    "tenure_days",
    "orders_90d",
    "spend_90d",
    "mean_gap_days",
    "overdue_ratio",
    "views_30d",
    "carts_30d",
    "checkouts_30d",
    "sessions_30d",
    "views_trend",
    "event_recency_days",
]
NO_ORDER_RECENCY = 730.0  # days, for customers who never bought


def _days(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 86400.0


def customer_features(
    orders: pd.DataFrame,
    events: pd.DataFrame,
    customers: pd.DataFrame,
    as_of: datetime,
    history_days: int = 365,
) -> pd.DataFrame:
    """One row per customer who existed before ``as_of``, indexed by customer_id."""
    as_of_ts = pd.Timestamp(as_of)
    base = customers[customers["created_at"] < as_of_ts][["customer_id", "created_at"]]
    frame = pd.DataFrame(index=pd.Index(base["customer_id"].astype(int), name="customer_id"))
    frame["tenure_days"] = _days(as_of_ts - base.set_index("customer_id")["created_at"]).reindex(
        frame.index
    )

    past = orders[(orders["placed_at"] < as_of_ts) & orders["customer_id"].notna()]
    past = past[past["placed_at"] >= as_of_ts - timedelta(days=history_days)]
    grouped = past.groupby(past["customer_id"].astype(int))
    last = grouped["placed_at"].max()
    first = grouped["placed_at"].min()
    frame["recency_days"] = _days(as_of_ts - last).reindex(frame.index).fillna(NO_ORDER_RECENCY)
    frame["frequency"] = grouped["order_id"].nunique().reindex(frame.index).fillna(0)
    frame["monetary"] = grouped["total"].sum().reindex(frame.index).fillna(0.0)
    frame["aov"] = (frame["monetary"] / frame["frequency"].replace(0, np.nan)).fillna(0.0)
    recent = past[past["placed_at"] >= as_of_ts - timedelta(days=90)]
    recent_grouped = recent.groupby(recent["customer_id"].astype(int))
    frame["orders_90d"] = recent_grouped["order_id"].nunique().reindex(frame.index).fillna(0)
    frame["spend_90d"] = recent_grouped["total"].sum().reindex(frame.index).fillna(0.0)
    span = _days(last - first).reindex(frame.index)
    gaps = span / (frame["frequency"] - 1).replace({0: np.nan, -1: np.nan})
    frame["mean_gap_days"] = gaps.fillna(history_days).clip(upper=history_days)
    # how late the next order is relative to the customer's own rhythm
    frame["overdue_ratio"] = (frame["recency_days"] / frame["mean_gap_days"].clip(lower=1)).clip(
        upper=20
    )

    ev = events[(events["created_at"] < as_of_ts) & events["customer_id"].notna()]
    ev = ev[ev["created_at"] >= as_of_ts - timedelta(days=90)]
    ev_cust = ev["customer_id"].astype(int)
    last_event = ev.groupby(ev_cust)["created_at"].max()
    frame["event_recency_days"] = _days(as_of_ts - last_event).reindex(frame.index).fillna(90.0)
    ev30 = ev[ev["created_at"] >= as_of_ts - timedelta(days=30)]
    ev30_cust = ev30["customer_id"].astype(int)
    for column, kind in (
        ("views_30d", "view"),
        ("carts_30d", "add_to_cart"),
        ("checkouts_30d", "checkout_start"),
    ):
        frame[column] = (
            ev30[ev30["type"] == kind].groupby(ev30_cust).size().reindex(frame.index).fillna(0)
        )
    frame["sessions_30d"] = (
        ev30.groupby(ev30_cust)["session_id"].nunique().reindex(frame.index).fillna(0)
    )
    views_prev = (
        ev[(ev["type"] == "view") & (ev["created_at"] < as_of_ts - timedelta(days=30))]
        .groupby(ev_cust)
        .size()
        .reindex(frame.index)
        .fillna(0)
    )
    # views in the last 30 days vs the 60 before (per 30 days): < 1 means fading interest
    frame["views_trend"] = (frame["views_30d"] + 1) / (views_prev / 2 + 1)
    return frame[FEATURES].astype(float)


def visitor_features(events: pd.DataFrame, as_of: datetime, window_days: int = 7) -> pd.DataFrame:
    """Anonymous sessions seen in the last ``window_days``, in the customer feature layout
    (no order history), indexed by session_id."""
    as_of_ts = pd.Timestamp(as_of)
    ev = events[
        events["customer_id"].isna()
        & (events["created_at"] < as_of_ts)
        & (events["created_at"] >= as_of_ts - timedelta(days=window_days))
    ]
    if ev.empty:
        return pd.DataFrame(columns=FEATURES, index=pd.Index([], name="session_id"), dtype=float)
    grouped = ev.groupby("session_id")
    frame = pd.DataFrame(index=pd.Index(sorted(ev["session_id"].unique()), name="session_id"))
    frame["recency_days"] = NO_ORDER_RECENCY
    for column in ("frequency", "monetary", "aov", "orders_90d", "spend_90d", "tenure_days"):
        frame[column] = 0.0
    frame["mean_gap_days"] = 365.0
    frame["overdue_ratio"] = 2.0
    frame["views_30d"] = (
        ev[ev["type"] == "view"].groupby("session_id").size().reindex(frame.index).fillna(0)
    )
    frame["carts_30d"] = (
        ev[ev["type"] == "add_to_cart"].groupby("session_id").size().reindex(frame.index).fillna(0)
    )
    frame["checkouts_30d"] = (
        ev[ev["type"] == "checkout_start"]
        .groupby("session_id")
        .size()
        .reindex(frame.index)
        .fillna(0)
    )
    frame["sessions_30d"] = 1.0
    frame["views_trend"] = frame["views_30d"] + 1
    frame["event_recency_days"] = _days(as_of_ts - grouped["created_at"].max()).reindex(frame.index)
    return frame[FEATURES].astype(float)


def future_purchasers(orders: pd.DataFrame, start: datetime, days: int) -> set[int]:
    """Customers with an order in [start, start + days)."""
    start_ts = pd.Timestamp(start)
    window = orders[
        (orders["placed_at"] >= start_ts) & (orders["placed_at"] < start_ts + timedelta(days=days))
    ]
    return set(window["customer_id"].dropna().astype(int))
