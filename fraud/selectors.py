"""Reads for fraud scoring: the order being placed, its entity history, labels, rules.

Orders and payments are read directly and read-only (indexed by customer, card fingerprint,
device and IP); fraud never writes to them except through `orders.facade`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Min, Q, Sum
from django.utils import timezone

from fraud.ml.checkout import CHECKOUT_FEATURES, INPUT_COLUMNS
from fraud.models import RiskAssessment, RiskRule, RiskSettings
from fraud.rules import CompiledRule, RuleSyntaxError, rule_compile
from orders.models import Chargeback, Order, Payment

# Fields a merchant rule may use: every model feature plus raw checkout attributes.
RULE_TEXT_FIELDS = [
    "ip_country",
    "billing_country",
    "shipping_country",
    "card_country",
    "card_brand",
]
RULE_FIELDS: list[str] = [*CHECKOUT_FEATURES, "score", *RULE_TEXT_FIELDS]
HISTORY_CAP = 300  # latest rows per entity; a card used more often is suspicious anyway
RULES_CACHE_KEY = "fraud:rules:v1"
SETTINGS_CACHE_KEY = "fraud:settings:v1"
FRAUD_REASON_CODES = ["fraud", "10.4", "4837", "4863"]  # ours, Visa and Mastercard fraud codes

_ENTITY_FIELDS = (
    "order_id",
    "order__placed_at",
    "order__customer_id",
    "order__total",
    "card_fingerprint",
    "device_id",
    "ip_address",
    "status",
)
# Row-local attributes: needed for the row being scored (and for training), but an earlier
# row sharing a card/device/IP contributes only its entity fields above.
_ROW_FIELDS = (
    "order__customer__created_at",
    "order__shipping_address",
    "order__billing_address",
    "ip_country",
    "bin_country",
)
_HISTORY_FIELDS = (*_ENTITY_FIELDS, *_ROW_FIELDS)


@dataclass(frozen=True)
class CheckoutContext:
    order_id: int
    frame: pd.DataFrame  # history rows then the order being assessed (last row)
    raw: dict[str, Any]  # text attributes rules may use


def address_key(address: dict[str, Any] | None) -> str:
    # only equality matters ("shipped here before?"), so a digest keeps the address out of ML
    if not address:
        return ""
    parts = {
        k: str(address.get(k, "")).strip().lower() for k in ("line1", "postal_code", "country")
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def _customer_key(customer_id: int | None, card: str) -> str:
    return f"c{customer_id}" if customer_id else f"g{card}"


def _rows_to_frame(rows: list[dict[str, Any]], labels: dict[int, datetime]) -> pd.DataFrame:
    records = []
    for r in rows:
        ship = r.get("order__shipping_address") or {}
        bill = r.get("order__billing_address") or {}
        records.append(
            {
                "order_id": r["order_id"],
                "placed_at": r["order__placed_at"],
                "customer_key": _customer_key(r["order__customer_id"], r["card_fingerprint"]),
                "card": r["card_fingerprint"],
                "device": r["device_id"] or "",
                "ip": r["ip_address"] or "",
                "amount": float(r["order__total"]),
                "n_items": float(r.get("n_items") or 0),
                "account_created_at": r.get("order__customer__created_at"),
                "ship_key": address_key(ship),
                "ship_country": str(ship.get("country", "")).upper(),
                "bill_country": str(bill.get("country", "")).upper(),
                "ip_country": (r.get("ip_country") or "").upper(),
                "bin_country": (r.get("bin_country") or "").upper(),
                "declined": 1.0 if r["status"] == Payment.Status.DECLINED else 0.0,
                "fraud_known_at": labels.get(r["order_id"]),
            }
        )
    # object columns: pandas' default arrow strings cost more than they save on ~100 rows
    frame = pd.DataFrame(
        {c: pd.Series([r[c] for r in records], dtype=object) for c in INPUT_COLUMNS}
    )
    for col in ("placed_at", "account_created_at", "fraud_known_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def fraud_labels_known(
    *, order_ids: list[int] | None = None, as_of: datetime | None = None
) -> dict[int, datetime]:
    """When each order became known as fraud: first fraud chargeback, or a reviewer's verdict."""
    # "not_received" and other service disputes are not fraud
    cb = Chargeback.objects.filter(reason_code__in=FRAUD_REASON_CODES)
    rv = RiskAssessment.objects.filter(review_outcome=RiskAssessment.Outcome.FRAUD)
    if order_ids is not None:
        cb, rv = cb.filter(order_id__in=order_ids), rv.filter(order_id__in=order_ids)
    if as_of is not None:  # what was known then: a later chargeback is not a label yet
        cb, rv = cb.filter(received_at__lte=as_of), rv.filter(reviewed_at__lte=as_of)
    known: dict[int, datetime] = {}
    for oid, at in (
        cb.values("order_id").annotate(at=Min("received_at")).values_list("order_id", "at")
    ):
        known[oid] = at
    for oid, at in rv.values_list("order_id", "reviewed_at"):
        if at is not None and (oid not in known or at < known[oid]):
            known[oid] = at
    return known


def checkout_context(*, order_id: int) -> CheckoutContext:
    """The order being placed plus every earlier payment sharing its customer, card, device or IP."""
    current = (
        Payment.objects.filter(order_id=order_id)
        .order_by("-pk")
        .annotate(n_items=Sum("order__lines__quantity"))
        .values(*_HISTORY_FIELDS, "card_brand", "n_items", "pk")
        .first()
    )
    if current is None:
        raise Payment.DoesNotExist(f"order {order_id} has no payment")
    placed = current["order__placed_at"]
    # (filter, fields): the customer's own rows also need the shipping address, for
    # "new shipping address"; rows reached through card/device/IP only their entity fields
    branches: list[tuple[Q, tuple[str, ...]]] = [
        (Q(card_fingerprint=current["card_fingerprint"]), _ENTITY_FIELDS)
    ]
    if current["order__customer_id"]:
        branches.append(
            (
                Q(order__customer_id=current["order__customer_id"]),
                (*_ENTITY_FIELDS, "order__shipping_address"),
            )
        )
    if current["device_id"]:
        branches.append((Q(device_id=current["device_id"]), _ENTITY_FIELDS))
    if current["ip_address"]:
        branches.append((Q(ip_address=current["ip_address"]), _ENTITY_FIELDS))
    base = Payment.objects.filter(order__placed_at__lte=placed).exclude(order_id=order_id)
    # one indexed query per entity (SQLite cannot LIMIT inside a UNION); dedupe by payment
    # label arrival times ride along (one join each) instead of a query over the ids
    label_times = {
        "cb_at": Min(
            "order__chargebacks__received_at",
            filter=Q(order__chargebacks__reason_code__in=FRAUD_REASON_CODES),
        ),
        "rv_at": Min(
            "order__risk_assessment__reviewed_at",
            filter=Q(order__risk_assessment__review_outcome=RiskAssessment.Outcome.FRAUD),
        ),
    }
    seen: dict[int, dict[str, Any]] = {}
    for q, fields in branches:
        rows = (
            base.filter(q)
            .values(*fields, "pk")
            .annotate(**label_times)
            .order_by("-order__placed_at")[:HISTORY_CAP]
        )
        for row in rows:
            seen[row["pk"]] = {**seen.get(row["pk"], {}), **row}
    history = list(seen.values())
    labels: dict[int, datetime] = {}
    for r in history:
        times = [t for t in (r["cb_at"], r["rv_at"]) if t is not None]
        if times:
            labels[r["order_id"]] = min(times)
    frame = _rows_to_frame([*history, current], labels)
    frame = frame.iloc[np.argsort(frame["order_id"].to_numpy() == order_id, kind="stable")]
    ship = current["order__shipping_address"] or {}
    bill = current["order__billing_address"] or {}
    raw = {
        "ip_country": (current["ip_country"] or "").upper() or None,
        "billing_country": str(bill.get("country", "")).upper() or None,
        "shipping_country": str(ship.get("country", "")).upper() or None,
        "card_country": (current["bin_country"] or "").upper() or None,
        "card_brand": current["card_brand"] or None,
    }
    return CheckoutContext(order_id=order_id, frame=frame.reset_index(drop=True), raw=raw)


def training_frame(*, until: datetime | None = None) -> pd.DataFrame:
    """Every order with a payment (latest payment per order), oldest first, with labels.

    Adds `label_fraud` (1 chargeback or reviewer said fraud, 0 otherwise) and
    `reviewed_genuine` (a reviewer approved it).
    """
    qs = Payment.objects.order_by("order__placed_at", "order_id", "pk")
    if until is not None:
        qs = qs.filter(order__placed_at__lte=until)
    rows = list(
        qs.annotate(n_items=Sum("order__lines__quantity")).values(*_HISTORY_FIELDS, "n_items")
    )
    latest: dict[int, dict[str, Any]] = {}
    for r in rows:
        latest[r["order_id"]] = r
    labels = fraud_labels_known(as_of=until)
    frame = _rows_to_frame(list(latest.values()), labels)
    reviewed = RiskAssessment.objects.filter(review_outcome=RiskAssessment.Outcome.GENUINE)
    if until is not None:
        reviewed = reviewed.filter(reviewed_at__lte=until)
    genuine = set(reviewed.values_list("order_id", flat=True))
    frame["label_fraud"] = frame["fraud_known_at"].notna().astype(float)
    frame["reviewed_genuine"] = frame["order_id"].isin(genuine)
    return frame.sort_values(["placed_at", "order_id"]).reset_index(drop=True)


def risk_settings_get() -> RiskSettings:
    found = cache.get(SETTINGS_CACHE_KEY)
    if found is None:
        found = RiskSettings.objects.order_by("pk").first() or RiskSettings()
        cache.set(SETTINGS_CACHE_KEY, found, 300)
    return found


def rules_active() -> list[tuple[RiskRule, CompiledRule]]:
    """Active rules in evaluation order: allow, then block, then review; by position."""
    found = cache.get(RULES_CACHE_KEY)
    if found is None:
        rank: dict[str, int] = {"allow": 0, "block": 1, "review": 2}
        rules = sorted(
            RiskRule.objects.filter(is_active=True),
            key=lambda r: (rank[r.action], r.position, r.pk),
        )
        found = []
        for rule in rules:
            try:
                found.append((rule, rule_compile(rule.expression, known_names=RULE_FIELDS)))
            except RuleSyntaxError:
                continue  # saved through admin validation; skip one that no longer parses
        cache.set(RULES_CACHE_KEY, found, 300)
    return found


def review_queue() -> Any:
    """Orders on hold for review, riskiest first."""
    return (
        RiskAssessment.objects.filter(
            action=RiskAssessment.Action.REVIEW,
            review_outcome=RiskAssessment.Outcome.PENDING,
            order__status=Order.Status.ON_HOLD,
        )
        .select_related("order")
        .order_by("-score", "created_at")
    )


def assessment_for_order(*, order_id: int) -> RiskAssessment | None:
    return RiskAssessment.objects.filter(order_id=order_id).first()


def monitoring_summary(*, days: int = 56, now: datetime | None = None) -> dict[str, Any]:
    """Weekly score distribution and decisions, and reviewer precision (share of reviewed
    orders confirmed as fraud) and chargebacks on approved orders, for the admin/API."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    rows = list(
        RiskAssessment.objects.filter(created_at__gte=since).values(
            "created_at", "score", "level", "action", "source", "review_outcome", "order_id"
        )
    )
    if not rows:
        return {"weeks": [], "total": 0}
    df = pd.DataFrame(rows)
    charged = set(
        Chargeback.objects.filter(order_id__in=df["order_id"].tolist()).values_list(
            "order_id", flat=True
        )
    )
    df["chargeback"] = df["order_id"].isin(charged)
    df["week"] = (
        pd.to_datetime(df["created_at"], utc=True)
        .dt.tz_localize(None)
        .dt.to_period("W")
        .astype(str)
    )
    weeks = []
    for week, g in df.groupby("week", sort=True):
        scores = g["score"].dropna().to_numpy(dtype=float)
        reviewed = g[g["review_outcome"] != ""]
        approved = g[g["action"] == "approve"]
        weeks.append(
            {
                "week": week,
                "orders": int(len(g)),
                "score_p50": float(np.quantile(scores, 0.5)) if scores.size else None,
                "score_p90": float(np.quantile(scores, 0.9)) if scores.size else None,
                "score_p99": float(np.quantile(scores, 0.99)) if scores.size else None,
                "levels": {k: int(v) for k, v in g["level"].value_counts().items()},
                "actions": {k: int(v) for k, v in g["action"].value_counts().items()},
                "rules_only": int((g["source"] == "rules_only").sum()),
                "reviewed": int(len(reviewed)),
                "review_precision": float((reviewed["review_outcome"] == "fraud").mean())
                if len(reviewed)
                else None,
                "chargebacks_on_approved": int(approved["chargeback"].sum()),
            }
        )
    return {"weeks": weeks, "total": int(len(df))}
