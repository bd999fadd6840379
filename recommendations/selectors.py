"""Reads: precomputed lists, merchandising rules, shopper context, feedback reports.

A few reads touch other apps' tables directly (session events, open cart, recent order
lines, popular products) because their facades have no such query yet; each is one
indexed query on the request path.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from recommendations.models import MerchandisingRule, RecommendationList, Slot
from recommendations.rules import NameKey, name_key

CACHE_VERSION_KEY = "recommendations:cache-version"
CACHE_SECONDS = 300


def _cache_version() -> int:
    version = cache.get(CACHE_VERSION_KEY)
    if version is None:
        version = 1
        cache.set(CACHE_VERSION_KEY, version, None)
    return int(version)


def cache_bump() -> None:
    """Invalidate cached lists and rules (after training or a rule change)."""
    try:
        cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        cache.set(CACHE_VERSION_KEY, 2, None)


@dataclass(frozen=True, slots=True)
class Rule:
    product_id: int
    kind: str
    slot: str
    position: int


def rules_active() -> list[Rule]:
    key = f"recommendations:rules:{_cache_version()}"
    rules = cache.get(key)
    if rules is None:
        rules = [
            Rule(r.product_id, r.kind, r.slot, r.position)
            for r in MerchandisingRule.objects.filter(is_active=True).order_by("position", "pk")
        ]
        cache.set(key, rules, CACHE_SECONDS)
    return rules


def recommendation_list_get(
    *, customer_id: int, slot: str = Slot.FOR_YOU
) -> tuple[list[dict[str, Any]], str] | None:
    """The precomputed list (items best first, model version) or None."""
    key = f"recommendations:list:{_cache_version()}:{slot}:{customer_id}"
    hit = cache.get(key)
    if hit is None:
        from django.db import connection

        # one raw statement on the hot path (an ORM queryset costs more CPU to build)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT items, model_version FROM {RecommendationList._meta.db_table} "
                "WHERE customer_id = %s AND slot = %s",
                [int(customer_id), str(slot)],
            )
            row = cursor.fetchone()
        if row:
            items = json.loads(row[0]) if isinstance(row[0], (str, bytes)) else row[0]
            hit = (list(items), str(row[1]))
        else:
            hit = ()
        cache.set(key, hit, CACHE_SECONDS)
    return hit or None


def session_product_ids(*, session_id: str, limit: int = 10) -> list[int]:
    """Products the session viewed or added most recently (newest first, no repeats)."""
    from customers.models import Event

    if not session_id:
        return []
    from django.db import connection

    # one raw statement on the hot path (an ORM queryset costs more CPU to build)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT product_id FROM {Event._meta.db_table} WHERE session_id = %s "
            "AND type IN (%s, %s) AND product_id IS NOT NULL "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            [session_id, str(Event.Type.VIEW), str(Event.Type.ADD_TO_CART), int(limit * 3)],
        )
        rows = [int(r[0]) for r in cursor.fetchall()]
    out: list[int] = []
    for pid in rows:
        if pid not in out:
            out.append(pid)
    return out[:limit]


def cart_product_ids(*, customer_id: int | None, session_id: str) -> list[int]:
    """Products in the shopper's open cart, oldest line first (the newest line anchors the
    cart's fallbacks)."""
    from orders.models import Cart, CartLine

    carts = Cart.objects.filter(status=Cart.Status.OPEN)
    if customer_id:
        carts = carts.filter(customer_id=customer_id)
    elif session_id:
        carts = carts.filter(session_id=session_id, customer__isnull=True)
    else:
        return []
    ids = (
        CartLine.objects.filter(cart__in=carts).order_by("pk").values_list("product_id", flat=True)
    )
    return list(dict.fromkeys(ids))


@dataclass(frozen=True, slots=True)
class ProductState:
    category_id: int
    sellable: bool  # active and at least one unit available
    durable_bought: bool = False  # non-consumable the customer bought recently


def _product_states_sql(n_ids: int, with_customer: bool) -> str:
    from catalog.models import Product, Stock
    from orders.models import Order, OrderLine

    product, stock = Product._meta.db_table, Stock._meta.db_table
    line, order = OrderLine._meta.db_table, Order._meta.db_table
    durable = (
        f"EXISTS (SELECT 1 FROM {line} l INNER JOIN {order} o ON o.id = l.order_id "
        "WHERE l.product_id = p.id AND o.customer_id = %s AND o.placed_at >= %s "
        "AND o.status <> %s)"
        if with_customer
        else "0"
    )
    marks = ", ".join(["%s"] * n_ids)
    return (
        f"SELECT p.id, p.category_id, p.is_active, p.is_consumable, s.on_hand, s.reserved, "
        f"{durable} FROM {product} p LEFT OUTER JOIN {stock} s ON s.product_id = p.id "
        f"WHERE p.id IN ({marks})"
    )


def product_states(
    *, product_ids: set[int], customer_id: int | None = None, durable_days: int = 180
) -> dict[int, ProductState]:
    """Category and sellability of products in one narrow query (the rules' hot path); with
    ``customer_id`` the same query also flags non-consumables that customer bought in the
    last ``durable_days`` (a second sofa is unlikely), so the rules need no second round
    trip.

    One raw statement: building and compiling the equivalent querysets cost more CPU than
    the database spent answering them (same reasoning as ``fraud.selectors``)."""
    from django.db import connection

    from orders.models import Order

    ids = sorted(int(p) for p in product_ids)
    if not ids:
        return {}
    params: list[Any] = []
    if customer_id:
        since = timezone.now() - timedelta(days=durable_days)
        params += [
            int(customer_id),
            connection.ops.adapt_datetimefield_value(since),
            str(Order.Status.CANCELLED),
        ]
    params += ids
    with connection.cursor() as cursor:
        cursor.execute(_product_states_sql(len(ids), bool(customer_id)), params)
        rows = cursor.fetchall()
    return {
        int(pk): ProductState(
            int(cat),
            bool(active) and (on_hand or 0) - (reserved or 0) > 0,
            bool(bought) and not consumable,
        )
        for pk, cat, active, consumable, on_hand, reserved, bought in rows
    }


def product_cards(*, product_ids: list[int]) -> dict[int, tuple[str, str, Any]]:
    """Name, slug and price (Decimal) per product for list responses."""
    from catalog.models import Product

    rows = Product.objects.filter(pk__in=product_ids).values_list("pk", "name", "slug", "price")
    return {pk: (name, slug, price) for pk, name, slug, price in rows}


def popular_product_ids(*, category_id: int | None = None, limit: int = 40) -> list[int]:
    """Active, in-stock products by the catalogue's popularity signal (the fallback list)."""
    from catalog.models import Product

    key = f"recommendations:popular:{_cache_version()}:{category_id}:{limit}"
    ids = cache.get(key)
    if ids is None:
        qs = Product.objects.filter(is_active=True, stock__on_hand__gt=F("stock__reserved"))
        if category_id is not None:
            qs = qs.filter(category_id=category_id)
        ids = list(qs.order_by("-popularity", "pk").values_list("pk", flat=True)[:limit])
        cache.set(key, ids, 60)  # stock is re-checked per item by the caller
    return ids


# -- no-model fallbacks for the product page -------------------------------------------------
FALLBACK_CANDIDATES = 200  # same-category products scored for "similar" (by popularity)
CO_PURCHASE_ORDERS = 500  # newest orders with the product that "bought with" looks at


def _anchor_row(product_id: int) -> tuple[int, int | None, Any, dict[str, Any]] | None:
    """(category id, parent category id, price, attributes) of the product, or None."""
    from catalog.models import Product

    return (
        Product.objects.filter(pk=product_id)
        .values_list("category_id", "category__parent_id", "price", "attributes")
        .first()
    )


def similar_fallback_ids(
    *, product_id: int, limit: int = 40, scope: Literal["category", "department"] = "category"
) -> list[int]:
    """Active in-stock products of the product's category (``scope="department"``: of its
    sibling categories, same parent, for a leaf too small to fill the list), most alike
    first: attributes shared with it (same material, colour, size...) plus up to one point
    for a price within a factor of two of its price, ties by popularity. Two queries, cached
    like the popular lists."""
    from catalog.models import Product

    key = f"recommendations:similar-fallback:{_cache_version()}:{scope}:{product_id}:{limit}"
    ids = cache.get(key)
    if ids is None:
        anchor = _anchor_row(product_id)
        ids = []
        if anchor is not None and (scope == "category" or anchor[1] is not None):
            category_id, parent_id, price, attributes = anchor
            qs = Product.objects.filter(is_active=True, stock__on_hand__gt=F("stock__reserved"))
            if scope == "category":
                qs = qs.filter(category_id=category_id)
            else:
                qs = qs.filter(category__parent_id=parent_id).exclude(category_id=category_id)
            rows = list(
                qs.exclude(pk=product_id)
                .order_by("-popularity", "pk")
                .values_list("pk", "price", "attributes")[:FALLBACK_CANDIDATES]
            )
            attrs = dict(attributes or {})

            def alike(row: tuple[int, Any, Any]) -> float:
                _pk, other_price, other_attrs = row
                shared = sum(1 for k, v in (other_attrs or {}).items() if attrs.get(k) == v)
                if not price or not other_price or price <= 0 or other_price <= 0:
                    return float(shared)
                ratio = abs(math.log(float(other_price) / float(price)))
                return shared + max(0.0, 1.0 - ratio / math.log(2))

            # sorted() is stable: equal scores keep the popularity order of the query
            ids = [row[0] for row in sorted(rows, key=alike, reverse=True)[:limit]]
        cache.set(key, ids, CACHE_SECONDS)
    return list(ids)


def co_purchased_ids(*, product_id: int, limit: int = 40) -> list[int]:
    """Products in the same orders as this one (not cancelled), most shared orders first,
    counted over its newest ``CO_PURCHASE_ORDERS`` orders so a bestseller costs no more than
    a niche item. Stock is not checked here (the rules do). One query, cached."""
    from django.db import connection

    from orders.models import Order, OrderLine

    key = f"recommendations:co-purchased:{_cache_version()}:{product_id}:{limit}"
    ids = cache.get(key)
    if ids is None:
        line, order = OrderLine._meta.db_table, Order._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT l.product_id, COUNT(DISTINCT l.order_id) AS n FROM {line} l "
                f"WHERE l.order_id IN (SELECT a.order_id FROM {line} a "
                f"INNER JOIN {order} o ON o.id = a.order_id "
                "WHERE a.product_id = %s AND o.status <> %s ORDER BY a.order_id DESC LIMIT %s) "
                "AND l.product_id IS NOT NULL AND l.product_id <> %s "
                "GROUP BY l.product_id ORDER BY n DESC, l.product_id LIMIT %s",
                [
                    int(product_id),
                    str(Order.Status.CANCELLED),
                    CO_PURCHASE_ORDERS,
                    int(product_id),
                    int(limit),
                ],
            )
            ids = [int(r[0]) for r in cursor.fetchall()]
        cache.set(key, ids, CACHE_SECONDS)
    return list(ids)


def complement_ids(*, product_id: int, limit: int = 40) -> list[int]:
    """Popular active in-stock products from *other* categories than this product's, those
    of its sibling categories (same parent: the rest of its department) first. Two queries,
    cached."""
    from django.db.models import Case, IntegerField, Value, When

    from catalog.models import Product

    key = f"recommendations:complements:{_cache_version()}:{product_id}:{limit}"
    ids = cache.get(key)
    if ids is None:
        anchor = _anchor_row(product_id)
        ids = []
        if anchor is not None:
            category_id, parent_id, _price, _attrs = anchor
            qs = Product.objects.filter(
                is_active=True, stock__on_hand__gt=F("stock__reserved")
            ).exclude(category_id=category_id)
            if parent_id is not None:
                qs = qs.annotate(
                    sibling=Case(
                        When(category__parent_id=parent_id, then=Value(0)),
                        default=Value(1),
                        output_field=IntegerField(),
                    )
                ).order_by("sibling", "-popularity", "pk")
            else:
                qs = qs.order_by("-popularity", "pk")
            ids = list(qs.values_list("pk", flat=True)[:limit])
        cache.set(key, ids, CACHE_SECONDS)
    return list(ids)


# -- merchant reports ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FeedbackRow:
    slot: str
    variant: str
    source: str
    impressions: int
    clicks: int
    ctr: float
    revenue: float


def feedback_report(*, since: datetime | None = None) -> list[FeedbackRow]:
    """Impressions, clicks, CTR and attributed revenue by slot, variant and source.

    An impression counts every item shown; revenue is the value of order lines for a clicked
    product bought later in the same session (store currency)."""
    from customers.models import Event
    from orders.models import OrderLine

    since = since or timezone.now() - timedelta(days=30)
    shown: dict[tuple[str, str, str], int] = defaultdict(int)
    for meta in Event.objects.filter(
        type=Event.Type.REC_IMPRESSION, created_at__gte=since
    ).values_list("metadata", flat=True):
        for source in meta.get("sources", []):
            shown[(meta.get("slot", ""), meta.get("variant", ""), source)] += 1
    clicks: dict[tuple[str, str, str], int] = defaultdict(int)
    clicked: dict[tuple[str, int], tuple[str, str, str]] = {}
    for session, pid, meta in Event.objects.filter(
        type=Event.Type.REC_CLICK, created_at__gte=since
    ).values_list("session_id", "product_id", "metadata"):
        key = (meta.get("slot", ""), meta.get("variant", ""), meta.get("source", ""))
        clicks[key] += 1
        if pid is not None:
            clicked[(session, pid)] = key
    revenue: dict[tuple[str, str, str], float] = defaultdict(float)
    if clicked:
        purchases = Event.objects.filter(
            type=Event.Type.PURCHASE,
            created_at__gte=since,
            session_id__in={s for s, _ in clicked},
            order_id__isnull=False,
        ).values_list("session_id", "order_id")
        order_session = {o: s for s, o in purchases}
        lines = OrderLine.objects.filter(order_id__in=list(order_session)).values_list(
            "order_id", "product_id", "unit_price", "quantity"
        )
        for order_id, pid, price, qty in lines:
            hit = clicked.get((order_session[order_id], pid))
            if hit:
                revenue[hit] += float(price * qty)
    keys = sorted(set(shown) | set(clicks))
    return [
        FeedbackRow(
            slot=k[0],
            variant=k[1],
            source=k[2],
            impressions=shown.get(k, 0),
            clicks=clicks.get(k, 0),
            ctr=clicks.get(k, 0) / shown[k] if shown.get(k) else 0.0,
            revenue=round(revenue.get(k, 0.0), 2),
        )
        for k in keys
    ]


def feedback_by_variant(*, since: datetime | None = None) -> list[dict[str, Any]]:
    """CTR and revenue per A/B variant (all slots and sources summed)."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for row in feedback_report(since=since):
        t = totals[row.variant]
        t[0] += row.impressions
        t[1] += row.clicks
        t[2] += row.revenue
    return [
        {
            "variant": v,
            "impressions": int(t[0]),
            "clicks": int(t[1]),
            "ctr": t[1] / t[0] if t[0] else 0.0,
            "revenue": round(t[2], 2),
        }
        for v, t in sorted(totals.items())
    ]


def precomputed_lists_report() -> dict[str, Any]:
    """Coverage of the precomputed top-10s and how many of their items each source produced.

    One streamed pass over the lists (the demo store has 15k of them; two passes doubled the
    admin page's time)."""
    from catalog.models import Product

    shown: set[int] = set()
    sources: dict[str, int] = defaultdict(int)
    n_lists = 0
    for items in RecommendationList.objects.values_list("items", flat=True).iterator(2000):
        n_lists += 1
        for item in items[:10]:
            shown.add(int(item["product_id"]))
            sources[item.get("source", "")] += 1
    active = Product.objects.filter(is_active=True).count()
    return {
        "lists": n_lists,
        "products_shown": len(shown),
        "coverage": len(shown) / active if active else 0.0,
        "sources": sorted(sources.items(), key=lambda kv: -kv[1]),
    }


@dataclass(frozen=True, slots=True)
class ActiveModel:
    label: str  # "recommendations-v3"
    ndcg_at_10: float | None  # offline NDCG@10 on the held-back recent slice
    popularity_ndcg_at_10: float | None  # the popular-items baseline on the same slice
    activated_at: datetime | None


@dataclass(frozen=True, slots=True)
class DashboardFigures:
    """Click-through over the last ``days`` days (an impression is one item shown, as in
    ``feedback_report``), the serving model and the precomputed lists' reach."""

    days: int
    impressions: int
    clicks: int
    by_slot: dict[str, tuple[int, int]]  # slot -> (impressions, clicks)
    by_variant: dict[str, tuple[int, int]]  # A/B variant of the for-you slot -> same
    per_day: list[tuple[str, int, int]]  # (iso date, impressions, clicks), oldest first
    active_model: ActiveModel | None
    lists: int  # precomputed for-you lists
    lists_refreshed_at: datetime | None
    customers: int


def dashboard_figures(*, days: int = 7, now: datetime | None = None) -> DashboardFigures:
    """What the store dashboard's recommendations panel shows, in five queries whatever the
    traffic: impressions and clicks since local midnight ``days - 1`` days ago (summed in one
    pass over the events' slot/variant metadata), the active version, the lists and customers.
    """
    from django.db.models import Count, Max

    from customers.models import Customer, Event
    from mlops.models import ModelVersion

    now = now or timezone.now()
    first = timezone.localdate(now) - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    day_keys = [(first + timedelta(days=d)).isoformat() for d in range(days)]
    per_day = {d: [0, 0] for d in day_keys}
    by_slot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    events = Event.objects.filter(
        type__in=[Event.Type.REC_IMPRESSION, Event.Type.REC_CLICK], created_at__gte=since
    ).values_list("type", "created_at", "metadata")
    for kind, at, meta in events.iterator(2000):
        col = 0 if kind == Event.Type.REC_IMPRESSION else 1
        n = len(meta.get("items", [])) if col == 0 else 1
        slot = str(meta.get("slot", ""))
        by_slot[slot][col] += n
        if slot == Slot.FOR_YOU and meta.get("variant"):
            by_variant[str(meta["variant"])][col] += n
        day = per_day.get(timezone.localdate(at).isoformat())
        if day is not None:
            day[col] += n
    active = (
        ModelVersion.objects.filter(capability="recommendations", status=ModelVersion.Status.ACTIVE)
        .values_list("version", "metrics", "activated_at")
        .first()
    )
    model = None
    if active is not None:
        version, metrics, activated_at = active
        ndcg, baseline = (metrics or {}).get("ndcg@10"), (metrics or {}).get("popularity_ndcg@10")
        model = ActiveModel(
            label=f"recommendations-v{version}",
            ndcg_at_10=float(ndcg) if isinstance(ndcg, int | float) else None,
            popularity_ndcg_at_10=float(baseline) if isinstance(baseline, int | float) else None,
            activated_at=activated_at,
        )
    lists = RecommendationList.objects.filter(slot=Slot.FOR_YOU).aggregate(
        n=Count("pk"), latest=Max("created_at")
    )
    return DashboardFigures(
        days=days,
        impressions=sum(v[0] for v in by_slot.values()),
        clicks=sum(v[1] for v in by_slot.values()),
        by_slot={k: (v[0], v[1]) for k, v in sorted(by_slot.items())},
        by_variant={k: (v[0], v[1]) for k, v in sorted(by_variant.items())},
        per_day=[(d, per_day[d][0], per_day[d][1]) for d in day_keys],
        active_model=model,
        lists=int(lists["n"]),
        lists_refreshed_at=lists["latest"],
        customers=Customer.objects.count(),
    )


def product_name_keys(*, product_ids: Iterable[int]) -> dict[int, NameKey]:
    """Category and name words of products (for the near-copy rule), one query."""
    from catalog.models import Product

    ids = sorted({int(p) for p in product_ids})
    if not ids:
        return {}
    rows = Product.objects.filter(pk__in=ids).values_list("pk", "category_id", "name", "attributes")
    return {
        pk: name_key(
            category_id=cat, name=name, attributes=attrs if isinstance(attrs, dict) else {}
        )
        for pk, cat, name, attrs in rows
    }
