"""Customer intelligence reads: segment summary, scored customers, abandoned carts, exports.

Abandoned carts are read from the orders tables directly (read-only, one prefetch query);
recovery suggestions call the recommendations and pricing facades when they are present.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.db.models import Avg, Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from catalog.money import q2
from insights.ml.recovery import max_discount_pct, recovery_action
from insights.ml.rfm import SEGMENTS
from insights.models import CustomerScore

logger = logging.getLogger(__name__)

DEFAULT_MIN_MARGIN = Decimal("10")  # percent over cost, as pricing's default policy
DEFAULT_MAX_DISCOUNT = Decimal("15")


@dataclass(frozen=True)
class SegmentRow:
    segment: str
    customers: int
    avg_churn_risk: float
    avg_propensity: float
    revenue: Decimal


def segment_summary() -> list[SegmentRow]:
    rows = {
        r["segment"]: r
        for r in CustomerScore.objects.values("segment").annotate(
            n=Count("pk"),
            churn=Avg("churn_risk"),
            prop=Avg("propensity_7d"),
            revenue=Sum("monetary"),
        )
    }
    return [
        SegmentRow(
            segment=name,
            customers=rows[name]["n"],
            avg_churn_risk=float(rows[name]["churn"] or 0),
            avg_propensity=float(rows[name]["prop"] or 0),
            revenue=q2(rows[name]["revenue"] or 0),
        )
        for name in SEGMENTS
        if name in rows
    ]


def customer_scores(
    *, segment: str | None = None, order_by: str = "-churn_risk", buyers_only: bool = False
) -> QuerySet[CustomerScore]:
    qs = CustomerScore.objects.all()
    if segment:
        qs = qs.filter(segment=segment)
    if buyers_only:
        qs = qs.filter(frequency__gt=0)
    allowed = {"-churn_risk", "-propensity_7d", "-monetary", "recency_days"}
    return qs.order_by(order_by if order_by in allowed else "-churn_risk", "pk")


def marketing_list(
    *, segment: str | None = None, order_by: str = "-churn_risk"
) -> list[dict[str, Any]]:
    """Contactable customers only: marketing consent given, not erased, with an e-mail."""
    qs = (
        customer_scores(segment=segment, order_by=order_by)
        .filter(
            customer__marketing_consent=True,
            customer__erased_at__isnull=True,
            customer__user__isnull=False,
        )
        .exclude(customer__user__email="")
        .select_related("customer__user")
    )
    return [
        {
            "email": s.customer.user.email if s.customer.user else "",
            "customer_id": str(s.customer.public_id),
            "segment": s.segment,
            "churn_risk": round(s.churn_risk, 4),
            "propensity_7d": round(s.propensity_7d, 4),
            "recency_days": round(s.recency_days, 1),
            "orders_12m": s.frequency,
            "spend_12m": s.monetary,
        }
        for s in qs
    ]


def visitor_propensity(*, session_ids: list[str], window_days: int = 7) -> dict[str, float]:
    """7-day purchase propensity for anonymous sessions, from their recent browsing, with
    the active insights model (fed the customer feature layout with no order history).
    Empty without an active model. One events query."""
    import pandas as pd

    from customers.models import Event
    from insights.ml.features import visitor_features
    from mlops import facade as mlops

    if not session_ids:
        return {}
    loaded = mlops.model_active_get(capability="insights")
    if loaded is None:
        return {}
    now = timezone.now()
    rows = Event.objects.filter(
        session_id__in=session_ids,
        customer__isnull=True,
        created_at__gte=now - timedelta(days=window_days),
    ).values_list("customer_id", "session_id", "type", "created_at")
    events = pd.DataFrame.from_records(
        list(rows), columns=["customer_id", "session_id", "type", "created_at"]
    )
    if events.empty:
        return {}
    events["customer_id"] = events["customer_id"].astype(float)
    events["created_at"] = pd.to_datetime(events["created_at"], utc=True)
    feats = visitor_features(events, now, window_days=window_days)
    scores = loaded.artifact["propensity"].predict_proba(feats)
    return {str(sid): float(p) for sid, p in zip(feats.index, scores, strict=True)}


@dataclass(frozen=True)
class CartSuggestion:
    cart_id: int
    updated_at: Any
    customer_id: int | None
    contactable: bool  # marketing consent, not erased, has an e-mail: may be sent a nudge
    items: list[tuple[str, int, Decimal]]  # name, quantity, unit price
    value: Decimal
    propensity: float | None
    action: str
    discount_pct: int
    recommended: list[str] = field(default_factory=list)
    priority: float = 0.0
    customer_name: str = ""  # the username the customers admin lists; staff pages only


@dataclass(frozen=True)
class CartRecoverySummary:
    reachable: int  # carts whose customer may be sent a nudge
    reachable_value: Decimal
    unreachable: int  # no consent, erased, or a visitor: nobody to write to


def cart_recovery_summary(carts: list[CartSuggestion]) -> CartRecoverySummary:
    reachable = [c for c in carts if c.contactable]
    return CartRecoverySummary(
        reachable=len(reachable),
        reachable_value=q2(sum((c.value for c in reachable), Decimal("0"))),
        unreachable=len(carts) - len(reachable),
    )


def _guardrails() -> tuple[Decimal, Decimal]:
    """(min margin %, max discount %) from pricing's store policy when pricing exposes it."""
    try:
        pricing = import_module("pricing.facade")
        policy_fn = getattr(pricing, "policy_for_category", None)
        if policy_fn is not None:
            policy = policy_fn(category_id=None)
            return (
                Decimal(getattr(policy, "min_margin_pct", DEFAULT_MIN_MARGIN)),
                Decimal(getattr(policy, "max_discount_pct", None) or DEFAULT_MAX_DISCOUNT),
            )
    except Exception:
        logger.exception("pricing guardrails unavailable; using defaults")
    return DEFAULT_MIN_MARGIN, DEFAULT_MAX_DISCOUNT


def _recommended(product_ids: list[int], exclude: set[int], limit: int = 3) -> list[str]:
    try:
        recs = import_module("recommendations.facade")
        similar = getattr(recs, "similar_products", None)
        if similar is None or not product_ids:
            return []
        from catalog import facade as catalog

        found = [
            r.product_id for r in similar(product_id=product_ids[0], limit=limit + len(exclude))
        ]
        ids = [pid for pid in found if pid not in exclude][:limit]
        infos = catalog.products_get(ids)
        return [infos[pid].name for pid in ids if pid in infos]
    except Exception:
        logger.exception("recommendations unavailable for cart recovery")
        return []


def abandoned_carts(
    *,
    older_than: timedelta = timedelta(hours=1),
    within: timedelta = timedelta(days=14),
    limit: int = 100,
    with_recommendations: bool = True,
) -> list[CartSuggestion]:
    """Carts with items, untouched for ``older_than``, not ordered; the most valuable to
    recover first (cart value x chance the customer buys this week). A cart whose customer
    may not be e-mailed (no marketing consent, erased, or a visitor) gets action "none":
    every nudge (reminder, discount, alternatives) is a marketing message."""
    from orders.models import Cart, CartLine

    now = timezone.now()
    carts = (
        Cart.objects.filter(
            status__in=[Cart.Status.OPEN, Cart.Status.ABANDONED],
            updated_at__lt=now - older_than,
            updated_at__gte=now - within,
            lines__isnull=False,
        )
        .distinct()
        .select_related("customer__insight", "customer__user")
        .prefetch_related(
            Prefetch("lines", queryset=CartLine.objects.select_related("product").order_by("pk"))
        )
        .order_by("-updated_at")[: limit * 3]
    )
    min_margin, max_discount = _guardrails()
    cart_list = list(carts)
    visitors = visitor_propensity(
        session_ids=[c.session_id for c in cart_list if c.customer_id is None and c.session_id]
    )
    out = []
    for cart in cart_list:
        lines = list(cart.lines.all())
        if not lines:
            continue
        value = q2(sum((ln.product.price * ln.quantity for ln in lines), Decimal("0")))
        customer = cart.customer
        score = getattr(customer, "insight", None) if customer else None
        propensity = score.propensity_7d if score else visitors.get(cart.session_id)
        allowed = max_discount_pct(
            [float(ln.product.price) for ln in lines],
            [float(ln.product.cost) for ln in lines],
            min_margin=float(min_margin) / 100,
            cap=float(max_discount) / 100,
        )
        action, discount = recovery_action(propensity, allowed)
        contactable = bool(
            customer
            and customer.marketing_consent
            and customer.erased_at is None
            and customer.user is not None
            and customer.user.email
        )
        if not contactable:
            action, discount = "none", 0.0
        out.append(
            CartSuggestion(
                cart_id=cart.pk,
                updated_at=cart.updated_at,
                customer_id=customer.pk if customer else None,
                contactable=contactable,
                items=[(ln.product.name, ln.quantity, ln.product.price) for ln in lines],
                value=value,
                propensity=propensity,
                action=action,
                discount_pct=round(discount * 100),
                priority=float(value) * (propensity if propensity is not None else 0.3),
                customer_name=(
                    customer.user.username
                    if customer and customer.user and customer.erased_at is None
                    else ""
                ),
            )
        )
    out.sort(key=lambda s: -s.priority)
    out = out[:limit]
    if with_recommendations:
        out = [s if s.action != "recommend" else _with_recs(s, cart_list) for s in out]
    return out


def _with_recs(suggestion: CartSuggestion, carts: Any) -> CartSuggestion:
    cart = next(c for c in carts if c.pk == suggestion.cart_id)
    ids = [ln.product_id for ln in cart.lines.all()]
    recommended = _recommended(ids, set(ids))
    return CartSuggestion(**{**suggestion.__dict__, "recommended": recommended})
