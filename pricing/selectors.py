"""Reads for pricing: effective policies, training history, competitor prices, reference prices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from catalog import facade as catalog
from catalog.money import q2
from orders import facade as orders
from pricing.models import (
    CompetitorPrice,
    ElasticityEstimate,
    PriceBound,
    PriceProposal,
    PricingPolicy,
)


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """Global policy with a category's non-empty fields on top (defaults when nothing is set)."""

    enabled: bool = True
    objective: str = "profit"
    sell_through_by: date | None = None
    min_margin_pct: Decimal = Decimal("10")
    max_change_pct: Decimal = Decimal("10")
    max_discount_pct: Decimal | None = None
    max_changes_per_week: int | None = 2
    competitor_cap_pct: Decimal | None = None
    auto_approve_below_pct: Decimal | None = None
    min_change_pct: Decimal = Decimal("0.5")
    horizon_days: int = 7
    explore_pct: Decimal | None = None


_POLICY_FIELDS = [f.name for f in fields(EffectivePolicy)]


def _merge(base: EffectivePolicy, row: PricingPolicy | None) -> EffectivePolicy:
    if row is None:
        return base
    values = {name: getattr(base, name) for name in _POLICY_FIELDS}
    for name in _POLICY_FIELDS:
        value = getattr(row, name)
        if value is not None and value != "":
            values[name] = value
    return EffectivePolicy(**values)


def policies_by_category() -> tuple[EffectivePolicy, dict[int, EffectivePolicy]]:
    """The store default and each category's effective policy (one query)."""
    rows = list(PricingPolicy.objects.all())
    glob = _merge(EffectivePolicy(), next((r for r in rows if r.category_id is None), None))
    by_cat = {r.category_id: _merge(glob, r) for r in rows if r.category_id is not None}
    return glob, by_cat


def policy_for_category(*, category_id: int | None) -> EffectivePolicy:
    glob, by_cat = policies_by_category()
    return by_cat.get(category_id, glob) if category_id is not None else glob


def proposal_list_pending() -> QuerySet[PriceProposal]:
    return (
        PriceProposal.objects.filter(status=PriceProposal.Status.PENDING)
        .select_related("product")
        .order_by("-created_at", "pk")
    )


def proposal_status_counts() -> dict[str, int]:
    """Proposals awaiting approval and applied so far."""
    status = PriceProposal.Status
    return PriceProposal.objects.aggregate(
        pending=Count("pk", filter=Q(status=status.PENDING)),
        applied=Count("pk", filter=Q(status=status.APPLIED)),
    )


def proposal_latest_for_product(*, product_id: int) -> PriceProposal | None:
    return (
        PriceProposal.objects.filter(product_id=product_id)
        .exclude(status=PriceProposal.Status.SUPERSEDED)
        .order_by("-created_at", "-pk")
        .first()
    )


def elasticity_list() -> QuerySet[ElasticityEstimate]:
    return ElasticityEstimate.objects.select_related("product", "product__category").order_by(
        "product__category__name", "elasticity"
    )


def competitor_lowest(*, product_ids: Iterable[int], since: datetime) -> dict[int, Decimal]:
    """Lowest competitor price per product observed since `since`."""
    rows = (
        CompetitorPrice.objects.filter(product_id__in=list(product_ids), observed_at__gte=since)
        .values("product_id")
        .annotate(low=Min("price"))
    )
    return {r["product_id"]: r["low"] for r in rows}


def price_bounds() -> dict[int, tuple[Decimal | None, Decimal | None]]:
    return {
        pid: (lo, hi)
        for pid, lo, hi in PriceBound.objects.values_list(
            "product_id", "floor_price", "ceiling_price"
        )
    }


def pricing_changes_since(*, since: datetime) -> dict[int, int]:
    """How many times the pricing engine changed each product's price since `since`."""
    ph = catalog.price_history_frame()
    if ph.empty:
        return {}
    ph = ph[(ph["source"] == "pricing") & (pd.to_datetime(ph["changed_at"], utc=True) >= since)]
    return {int(k): int(v) for k, v in ph.groupby("product_id").size().items()}


def _local_dates(ts: pd.Series) -> pd.Series:
    return (
        pd.to_datetime(ts, utc=True).dt.tz_convert(settings.TIME_ZONE).dt.tz_localize(None)
    ).dt.normalize()


def sold_out_days(grid: pd.DataFrame, end: pd.Timestamp) -> np.ndarray:
    """1.0 where the day ended with nothing on hand, 0.0 where stock was left, NaN where the
    stock records cannot tell (a product without movements, days before its first movement,
    records that would put stock below zero). End-of-day stock = stock now minus every
    movement after that day. grid: product_id, date (sorted by product, then date)."""
    out = np.full(len(grid), np.nan)
    if grid.empty:
        return out
    ids = [int(p) for p in grid["product_id"].unique()]
    moves = catalog.stock_movements_frame(product_ids=ids)
    if moves.empty:
        return out
    moves = moves.assign(date=_local_dates(moves["created_at"]))
    now_stock = catalog.products_frame().set_index("product_id")["on_hand"]
    net = moves.groupby(["product_id", "date"])["quantity"].sum()
    first = moves.groupby("product_id")["date"].min()
    after_end = net[net.index.get_level_values("date") > end].groupby(level=0).sum()
    g = grid[["product_id", "date"]].copy()
    g["net"] = net.reindex(pd.MultiIndex.from_frame(g)).fillna(0.0).to_numpy()
    # movements after the day: later days in the grid, plus any after `end` (today's)
    rev = g["net"][::-1].groupby(g["product_id"][::-1]).cumsum()[::-1] - g["net"]
    pid = g["product_id"]
    stock = (
        pid.map(now_stock).astype(float).fillna(0.0)
        - pid.map(after_end).astype(float).fillna(0.0)
        - rev
    )
    known = pid.isin(first.index) & (g["date"] >= pid.map(first)) & (stock >= 0)
    out[known.to_numpy()] = (stock[known] <= 0).astype(float).to_numpy()
    return out


def sales_history_frame(*, now: datetime | None = None) -> pd.DataFrame:
    """Daily panel for elasticity training: product_id, date, price, quantity, stockout.

    One row per product per day from its first known price (or first sale) to yesterday
    (today is incomplete), zero-sales days included. The price is what shoppers paid that day
    when it sold, else the catalogue price in effect at noon (from the price history).
    `stockout` is 1 when the day ended with nothing on hand (from the stock movements), NaN
    when the stock records cannot tell (the estimator then infers stockouts from sales).
    """
    now = now or timezone.now()
    end = pd.Timestamp(timezone.localtime(now).date()) - pd.Timedelta(days=1)
    cols = ["product_id", "date", "price", "quantity"]
    lines = orders.order_lines_frame()
    ph = catalog.price_history_frame()
    if lines.empty and ph.empty:
        return pd.DataFrame(columns=cols)
    sold = pd.DataFrame(columns=["product_id", "date", "quantity", "paid"])
    if not lines.empty:
        lines = lines.assign(date=_local_dates(lines["placed_at"]))
        lines["pq"] = lines["unit_price"] * lines["quantity"]
        sold = lines.groupby(["product_id", "date"], as_index=False).agg(
            quantity=("quantity", "sum"), pq=("pq", "sum")
        )
        sold["paid"] = sold["pq"] / sold["quantity"].where(sold["quantity"] > 0)
        sold = sold.drop(columns="pq")
    starts = []
    if not ph.empty:
        ph = ph.assign(date=_local_dates(ph["changed_at"]))
        starts.append(ph.groupby("product_id")["date"].min())
    if not sold.empty:
        starts.append(sold.groupby("product_id")["date"].min())
    first = pd.concat(starts, axis=1).min(axis=1)
    first = first[first <= end]
    if first.empty:
        return pd.DataFrame(columns=cols)
    lengths = ((end - first).dt.days + 1).to_numpy()
    grid = pd.DataFrame(
        {
            "product_id": np.repeat(first.index.to_numpy(), lengths),
            "date": np.concatenate(
                [pd.date_range(s, end, freq="D").to_numpy() for s in first.to_numpy()]
            ),
        }
    )
    grid = grid.merge(sold, on=["product_id", "date"], how="left")
    grid["quantity"] = grid["quantity"].fillna(0)
    if not ph.empty:
        hist = pd.DataFrame(
            {
                "product_id": ph["product_id"].astype(grid["product_id"].dtype),
                "at": pd.to_datetime(ph["changed_at"], utc=True)
                .dt.tz_convert(settings.TIME_ZONE)
                .dt.tz_localize(None)
                .astype("datetime64[ns]"),
                "listed": ph["price"].astype(float),
            }
        ).sort_values("at")
        grid["at"] = (grid["date"] + pd.Timedelta(hours=12)).astype("datetime64[ns]")
        grid = pd.merge_asof(
            grid.sort_values("at"), hist, on="at", by="product_id", direction="backward"
        )
        # before the first recorded change the first recorded price is the best guess
        first_price = hist.groupby("product_id")["listed"].first()
        grid["listed"] = grid["listed"].fillna(grid["product_id"].map(first_price))
        grid = grid.drop(columns="at").sort_values(["product_id", "date"])
    else:
        grid["listed"] = np.nan
    grid["price"] = grid["paid"].where(grid["paid"].notna(), grid["listed"])
    grid["price"] = grid.groupby("product_id")["price"].transform(lambda s: s.ffill().bfill())
    grid = grid[grid["price"].notna() & (grid["price"] > 0)]
    grid = grid.sort_values(["product_id", "date"]).reset_index(drop=True)
    grid["stockout"] = sold_out_days(grid, end)
    return grid[[*cols, "stockout"]]


@dataclass(frozen=True, slots=True)
class ReferencePriceRow:
    current_price: Decimal
    reference_price: Decimal | None
    since: datetime | None


def reference_price_get(*, product_id: int) -> ReferencePriceRow:
    """EU Omnibus prior price: the lowest price applied in the 30 days before the current price
    took effect. None when the history cannot tell (no record of when the current price
    started, or no price in the 30 days before it)."""
    info = catalog.product_get(product_id)
    ph = catalog.price_history_frame(product_ids=[product_id])
    none = ReferencePriceRow(current_price=info.price, reference_price=None, since=None)
    if ph.empty:
        return none
    ph = ph.assign(at=pd.to_datetime(ph["changed_at"], utc=True)).sort_values("at", kind="stable")
    last = ph.iloc[-1]
    if q2(Decimal(str(last["price"]))) != info.price:
        return none  # the current price was set outside the history: its start is unknown
    started = last["at"]
    window_start = started - timedelta(days=30)
    prior = ph[ph["at"] < started]
    at_start = prior[prior["at"] <= window_start].tail(1)
    within = prior[prior["at"] > window_start]
    candidates = pd.concat([at_start, within])
    if candidates.empty:
        return ReferencePriceRow(info.price, None, started.to_pydatetime())
    low = q2(Decimal(str(candidates["price"].min())))
    return ReferencePriceRow(info.price, low, started.to_pydatetime())
