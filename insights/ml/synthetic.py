"""A seeded synthetic store with planted churn, for tests and benchmarks (pure numpy/pandas).

Each customer buys at their own rate and browses at their own rate. Planted churners stop at
a churn date; over the 45 days before it their browsing and buying fade (the signal a model
can use before recency alone gives them away). Returns id-only frames shaped like
``insights.services.load_frames``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SyntheticStore:
    orders: pd.DataFrame  # customer_id, order_id, placed_at, total
    events: pd.DataFrame  # customer_id, session_id, type, created_at
    customers: pd.DataFrame  # customer_id, created_at
    churn_at: dict[int, datetime]  # planted churn date per churner


def planted_churn_store(
    *,
    n_customers: int = 1000,
    days: int = 540,
    churn_share: float = 0.35,
    fade_days: int = 45,
    orders_per_month: float = 1.2,
    views_per_day: float = 0.6,
    now: datetime,
    seed: int = 0,
) -> SyntheticStore:
    rng = np.random.default_rng(seed)
    start = now - timedelta(days=days)
    ids = np.arange(1, n_customers + 1)
    joined = rng.uniform(0, days * 0.6, n_customers)  # day index the customer joined
    churner = rng.random(n_customers) < churn_share
    churn_day = np.where(churner, rng.uniform(days - 200, days + 60, n_customers), np.inf)
    order_rate = np.exp(rng.normal(np.log(orders_per_month / 30), 0.6, n_customers))  # per day
    view_rate = np.exp(rng.normal(np.log(views_per_day), 0.5, n_customers))

    day_idx = np.arange(days)[:, None]  # days x customers
    active = day_idx >= joined[None, :]
    to_churn = churn_day[None, :] - day_idx
    fade = np.clip(to_churn / fade_days, 0, 1)  # 1 until the fade starts, 0 at churn
    buy_mult = np.where(to_churn <= 0, 0.0, 0.3 + 0.7 * fade)
    view_mult = np.where(to_churn <= 0, 0.02, 0.1 + 0.9 * fade)
    weekly = 1 + 0.25 * np.sin(2 * np.pi * day_idx / 7)

    orders_per_day: np.ndarray = rng.poisson(order_rate[None, :] * buy_mult * weekly * active)
    view_counts: np.ndarray = rng.poisson(view_rate[None, :] * view_mult * weekly * active)
    view_counts = np.maximum(view_counts, np.minimum(orders_per_day, 1) * 2)  # buyers browse

    o_day, o_cust = np.nonzero(orders_per_day)
    n_orders = orders_per_day[o_day, o_cust]
    o_day = np.repeat(o_day, n_orders)
    o_cust = np.repeat(o_cust, n_orders)
    placed = pd.Timestamp(start) + pd.to_timedelta(
        o_day + rng.uniform(0.3, 0.9, o_day.size), unit="D"
    )
    orders = pd.DataFrame(
        {
            "customer_id": ids[o_cust],
            "order_id": np.arange(1, o_day.size + 1),
            "placed_at": placed,
            "total": np.round(np.exp(rng.normal(np.log(45), 0.5, o_day.size)), 2),
        }
    )
    orders["placed_at"] = orders["placed_at"].dt.floor("us")
    orders = orders[orders["placed_at"] < pd.Timestamp(now)].reset_index(drop=True)

    v_day, v_cust = np.nonzero(view_counts)
    counts = view_counts[v_day, v_cust]
    session = np.char.add(
        np.char.add("c", ids[v_cust].astype(str)), np.char.add("d", v_day.astype(str))
    )
    ev_day = np.repeat(v_day, counts)
    ev_cust = np.repeat(v_cust, counts)
    ev_session = np.repeat(session, counts)
    view_at = pd.Timestamp(start) + pd.to_timedelta(
        ev_day + rng.uniform(0.2, 0.3, ev_day.size), unit="D"
    )
    events = [
        pd.DataFrame(
            {
                "customer_id": ids[ev_cust],
                "session_id": ev_session,
                "type": "view",
                "created_at": view_at,
            }
        )
    ]
    # carts: some browsing days add to cart; order days add, start checkout and purchase
    cart_mask = rng.random(v_day.size) < 0.15
    buy_days = orders_per_day[v_day, v_cust] > 0
    for kind, mask in (
        ("add_to_cart", cart_mask | buy_days),
        ("checkout_start", buy_days),
        ("purchase", buy_days),
    ):
        events.append(
            pd.DataFrame(
                {
                    "customer_id": ids[v_cust[mask]],
                    "session_id": session[mask],
                    "type": kind,
                    "created_at": pd.Timestamp(start)
                    + pd.to_timedelta(v_day[mask] + 0.32, unit="D"),
                }
            )
        )
    events_frame = pd.concat(events, ignore_index=True)
    events_frame["created_at"] = events_frame["created_at"].dt.floor("us")
    events_frame = events_frame[events_frame["created_at"] < pd.Timestamp(now)]
    events_frame["customer_id"] = events_frame["customer_id"].astype(float)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": (pd.Timestamp(start) + pd.to_timedelta(joined, unit="D")).floor("us"),
        }
    )
    churn_at = {
        int(ids[i]): (start + timedelta(days=float(churn_day[i]))) for i in np.nonzero(churner)[0]
    }
    return SyntheticStore(
        orders=orders, events=events_frame, customers=customers, churn_at=churn_at
    )
