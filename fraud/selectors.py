"""Reads for fraud scoring: the order being placed, its entity history, labels, rules.

Orders and payments are read directly and read-only (indexed by customer, card fingerprint,
device and IP); fraud never writes to them except through `orders.facade`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from customers.models import Customer
from fraud.lists import BUILT_IN_FIELDS, FIELD_ITEM_TYPES
from fraud.ml.checkout import CHECKOUT_FEATURES, INPUT_COLUMNS
from fraud.models import RiskAssessment, RiskList, RiskListItem, RiskRule, RiskSettings
from fraud.rules import CompiledRule, RuleSyntaxError, rule_compile
from orders.models import Chargeback, Order, OrderLine, Payment

# Fields a merchant rule may use: every model feature plus raw checkout attributes.
RULE_TEXT_FIELDS = [
    "ip_country",
    "billing_country",
    "shipping_country",
    "card_country",
    "card_brand",
]
# Who is paying: for list lookups (`email in @blocked_emails`) and rules only. Personal
# data: never model features (see RiskAssessment.features), never logged.
RULE_IDENTITY_FIELDS = ["email", "email_domain", "card_fingerprint", "ip_address", "customer_id"]
RULE_FIELDS: list[str] = [*CHECKOUT_FEATURES, "score", *RULE_TEXT_FIELDS, *RULE_IDENTITY_FIELDS]
HISTORY_CAP = 300  # latest rows per entity; a card used more often is suspicious anyway
RULES_CACHE_KEY = "fraud:rules:v2"  # v2: compiled rules may look values up in lists
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
    rows: list[dict[str, Any]]  # INPUT_COLUMNS records: history, then the order (last)
    raw: dict[str, Any]  # text attributes rules may use
    # RULE_IDENTITY_FIELDS, normalised as list values are: rules and lists only, not ML
    identity: dict[str, str | None] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        """The same rows as a DataFrame (for `checkout_features`; checkout itself uses
        `checkout_features_last(rows)`)."""
        return _records_frame(self.rows)


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


def _record(r: dict[str, Any], fraud_known_at: datetime | None) -> dict[str, Any]:
    ship = r.get("order__shipping_address") or {}
    bill = r.get("order__billing_address") or {}
    return {
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
        "fraud_known_at": fraud_known_at,
    }


def _records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    # object columns: pandas' default arrow strings cost more than they save on ~100 rows
    frame = pd.DataFrame(
        {c: pd.Series([r[c] for r in records], dtype=object) for c in INPUT_COLUMNS}
    )
    for col in ("placed_at", "account_created_at", "fraud_known_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def _rows_to_frame(rows: list[dict[str, Any]], labels: dict[int, datetime]) -> pd.DataFrame:
    return _records_frame([_record(r, labels.get(r["order_id"])) for r in rows])


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


def _when(value: Any) -> datetime | None:
    """A datetime from a raw query: SQLite gives text (UTC), PostgreSQL aware datetimes."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


@lru_cache(maxsize=4)
def _checkout_sql(vendor: str, branches: tuple[str, ...]) -> tuple[str, str]:
    """(current order, history) statements; one UNION ALL over the entity branches."""
    qn = connection.ops.quote_name
    p, o = qn(Payment._meta.db_table), qn(Order._meta.db_table)
    cu, li = qn(Customer._meta.db_table), qn(OrderLine._meta.db_table)
    cb, ra = qn(Chargeback._meta.db_table), qn(RiskAssessment._meta.db_table)
    current = (
        f"SELECT p.id, p.order_id, o.placed_at, o.customer_id, o.total, p.card_fingerprint, "
        f"p.device_id, p.ip_address, p.status, c.created_at, o.shipping_address, "
        f"o.billing_address, p.ip_country, p.bin_country, p.card_brand, "
        f"(SELECT SUM(l.quantity) FROM {li} l WHERE l.order_id = o.id), o.email "
        f"FROM {p} p INNER JOIN {o} o ON o.id = p.order_id "
        f"LEFT OUTER JOIN {cu} c ON c.id = o.customer_id "
        f"WHERE p.order_id = %s ORDER BY p.id DESC LIMIT 1"
    )
    codes = ", ".join(["%s"] * len(FRAUD_REASON_CODES))
    column = {"card": "p.card_fingerprint", "customer": "o.customer_id"}
    column.update(device="p.device_id", ip="p.ip_address")
    parts = [
        f"SELECT * FROM (SELECT p.id, p.order_id, o.placed_at, o.customer_id, o.total, "
        f"p.card_fingerprint, p.device_id, p.ip_address, p.status, o.shipping_address, "
        f"(SELECT MIN(cb.received_at) FROM {cb} cb WHERE cb.order_id = p.order_id "
        f"AND cb.reason_code IN ({codes})) AS cb_at, "
        f"(SELECT ra.reviewed_at FROM {ra} ra WHERE ra.order_id = p.order_id "
        f"AND ra.review_outcome = %s) AS rv_at "
        f"FROM {p} p INNER JOIN {o} o ON o.id = p.order_id "
        f"WHERE {column[b]} = %s AND o.placed_at <= %s AND p.order_id <> %s "
        f"ORDER BY o.placed_at DESC LIMIT {HISTORY_CAP}) b{i}"
        for i, b in enumerate(branches)
    ]
    return current, " UNION ALL ".join(parts)


def checkout_context(*, order_id: int) -> CheckoutContext:
    """The order being placed plus the latest payments sharing its customer, card, device
    or IP (up to HISTORY_CAP each), with the time each became known as fraud.

    Two raw statements (the order; one UNION ALL over the entities with the label times as
    correlated subqueries): the ORM spent more time building five querysets than the
    database spent answering them.
    """
    with connection.cursor() as cursor:
        cursor.execute(_checkout_sql(connection.vendor, ())[0], [order_id])
        row = cursor.fetchone()
        if row is None:
            raise Payment.DoesNotExist(f"order {order_id} has no payment")
        (pk, _, placed, customer_id, total, card, device, ip, status, created, ship_raw) = row[:11]
        bill_raw, ip_country, bin_country, card_brand, n_items, email = row[11:]
        placed = _when(placed)
        ship, bill = _json(ship_raw), _json(bill_raw)
        current = {
            "order_id": order_id,
            "order__placed_at": placed,
            "order__customer_id": customer_id,
            "order__total": total,
            "card_fingerprint": card,
            "device_id": device,
            "ip_address": str(ip) if ip is not None else None,
            "status": status,
            "order__customer__created_at": _when(created),
            "order__shipping_address": ship,
            "order__billing_address": bill,
            "ip_country": ip_country,
            "bin_country": bin_country,
            "n_items": n_items,
        }
        branches: list[tuple[str, Any]] = [("card", card)]
        if customer_id:
            branches.append(("customer", customer_id))
        if device:
            branches.append(("device", device))
        if ip:
            branches.append(("ip", current["ip_address"]))
        sql = _checkout_sql(connection.vendor, tuple(b for b, _ in branches))[1]
        at = connection.ops.adapt_datetimefield_value(placed)
        params: list[Any] = []
        for _, value in branches:
            params += [*FRAUD_REASON_CODES, RiskAssessment.Outcome.FRAUD, value, at, order_id]
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    cust_key = _customer_key(customer_id, card)
    records: dict[int, dict[str, Any]] = {}
    for pk_, oid, at_, cid, tot, crd, dev, ip_, st, ship_h, cb_at, rv_at in fetched:
        if pk_ in records:
            continue
        times = [t for t in (_when(cb_at), _when(rv_at)) if t is not None]
        key = _customer_key(cid, crd)
        records[pk_] = {
            "order_id": oid,
            "placed_at": _when(at_),
            "customer_key": key,
            "card": crd,
            "device": dev or "",
            "ip": str(ip_) if ip_ else "",
            "amount": float(tot),
            "n_items": 0.0,
            "account_created_at": None,
            # only "shipped to this address before?" uses other rows' addresses
            "ship_key": address_key(_json(ship_h)) if key == cust_key else "",
            "ship_country": "",
            "bill_country": "",
            "ip_country": "",
            "bin_country": "",
            "declined": 1.0 if st == Payment.Status.DECLINED else 0.0,
            "fraud_known_at": min(times) if times else None,
        }
    history = sorted(records.values(), key=lambda r: r["order_id"])
    raw = {
        "ip_country": (ip_country or "").upper() or None,
        "billing_country": str(bill.get("country", "")).upper() or None,
        "shipping_country": str(ship.get("country", "")).upper() or None,
        "card_country": (bin_country or "").upper() or None,
        "card_brand": card_brand or None,
    }
    return CheckoutContext(
        order_id=order_id,
        rows=[*history, _record(current, None)],
        raw=raw,
        identity=_identity(
            email=email, card=card, ip=current["ip_address"], customer_id=customer_id
        ),
    )


def _identity(
    *, email: str | None, card: str | None, ip: str | None, customer_id: int | None
) -> dict[str, str | None]:
    from fraud.lists import CUSTOMER_ID, EMAIL, IP_ADDRESS, value_normalise

    def norm(item_type: str, value: Any) -> str | None:
        try:
            return value_normalise(item_type, value) if value else None
        except ValueError:  # a value no list can hold (a malformed e-mail): nothing to match
            return None

    address = norm(EMAIL, email)
    return {
        "email": address,
        "email_domain": address.rsplit("@", 1)[1] if address else None,
        "card_fingerprint": (card or "").lower() or None,
        "ip_address": norm(IP_ADDRESS, ip),
        "customer_id": norm(CUSTOMER_ID, customer_id),
    }


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


def risk_list_types() -> dict[str, str]:
    """Every list's alias and item type, for checking rules (one query)."""
    return dict(RiskList.objects.values_list("alias", "item_type"))


def rule_compile_checked(text: str, *, known_lists: dict[str, str] | None = None) -> CompiledRule:
    """`text` compiled against the rule fields and the lists that exist now."""
    return rule_compile(
        text,
        known_names=RULE_FIELDS,
        known_lists=risk_list_types() if known_lists is None else known_lists,
        field_types=FIELD_ITEM_TYPES,
    )


@dataclass(frozen=True)
class ListHits:
    """The checkout's values found on lists (unexpired), loaded once per decision.

    `entries` holds (alias, value) pairs; `blocked`/`allowed` the names of block/allow lists
    that act without a rule (their item type maps to one checkout field, see
    `fraud.lists.BUILT_IN_FIELDS`).
    """

    entries: frozenset[tuple[str, str]] = frozenset()
    blocked: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()

    def contains(self, alias: str, value: Any) -> bool:
        return (alias, str(value).strip().lower()) in self._folded

    @cached_property
    def _folded(self) -> frozenset[tuple[str, str]]:
        # countries are stored upper case, everything else lower: compare case-folded
        return frozenset((a, v.lower()) for a, v in self.entries)


def risk_list_hits(*, values: dict[str, Any], now: datetime | None = None) -> ListHits:
    """Which lists hold this checkout's e-mail, domain, card, IP, customer or countries.

    At most two queries whatever the number of lists: whether any list holds anything,
    then only the rows matching the checkout's own values (lists may hold millions).
    Expired items are ignored.
    """
    now = now or timezone.now()
    wanted: dict[str, set[str]] = {}
    for name, item_type in FIELD_ITEM_TYPES.items():
        value = values.get(name)
        if value is not None and value == value and str(value).strip():  # not None/NaN/""
            text = str(value).strip()
            wanted.setdefault(item_type, set()).add(
                text.upper() if item_type == "country" else text
            )
    # most stores keep their lists empty: a bare EXISTS is ten times cheaper than the lookup
    if not wanted or not RiskListItem.objects.exists():
        return ListHits()
    # one IN over every value, the item type checked below: a simpler query to build than
    # an OR per type, and a value of one type is never another type's
    everything = sorted(set().union(*wanted.values()))
    rows = (
        RiskListItem.objects.filter(value__in=everything)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list(
            "risk_list__alias",
            "risk_list__name",
            "risk_list__kind",
            "risk_list__item_type",
            "value",
        )
        .order_by("risk_list__alias")
    )
    entries: set[tuple[str, str]] = set()
    blocked: list[str] = []
    allowed: list[str] = []
    for alias, name, kind, item_type, value in rows:
        if value not in wanted.get(item_type, ()):
            continue
        entries.add((alias, value))
        field_name = BUILT_IN_FIELDS.get(item_type)
        if field_name is None or values.get(field_name) != value:
            continue
        target = blocked if kind == RiskList.Kind.BLOCK else allowed if kind == "allow" else None
        if target is not None and name not in target:
            target.append(name)
    return ListHits(entries=frozenset(entries), blocked=tuple(blocked), allowed=tuple(allowed))


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
        lists = risk_list_types() if rules else {}
        for rule in rules:
            try:
                found.append((rule, rule_compile_checked(rule.expression, known_lists=lists)))
            except RuleSyntaxError:
                continue  # saved through admin validation; skip one that no longer parses
        cache.set(RULES_CACHE_KEY, found, 300)
    return found


def review_queue() -> QuerySet[RiskAssessment]:
    """Orders on hold for review, riskiest first."""
    return (
        RiskAssessment.objects.filter(
            action=RiskAssessment.Action.REVIEW,
            review_outcome=RiskAssessment.Outcome.PENDING,
            order__status=Order.Status.ON_HOLD,
        )
        .select_related("order")
        .order_by("-score", "created_at", "pk")  # pk: a stable order across pages
    )


def review_counts(*, since: datetime) -> dict[str, int]:
    """Orders waiting in the review queue now, and checkout decisions since `since` that
    held an order for review or declined it (one query)."""
    action = RiskAssessment.Action
    return RiskAssessment.objects.aggregate(
        queue=Count(
            "pk",
            filter=Q(
                action=action.REVIEW,
                review_outcome=RiskAssessment.Outcome.PENDING,
                order__status=Order.Status.ON_HOLD,
            ),
        ),
        held=Count("pk", filter=Q(action=action.REVIEW, created_at__gte=since)),
        declined=Count("pk", filter=Q(action=action.DECLINE, created_at__gte=since)),
    )


def active_model_version(*, capability: str) -> int | None:
    """The active model's version number, or None before one is trained. One uncached read
    of the registry (no artifact load): the dashboard's query count stays fixed."""
    from mlops import facade as mlops

    return mlops.model_active_version(capability=capability)


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


@dataclass(frozen=True)
class OrderIdentity:
    number: str
    email: str
    card_fingerprint: str  # of the latest payment; "" without one


def order_identity(*, order_id: int) -> OrderIdentity:
    """What a reviewer's "reject and block" puts on the lists (one query)."""
    row = (
        Order.objects.filter(pk=order_id)
        .annotate(
            card=Subquery(
                Payment.objects.filter(order_id=OuterRef("pk"))
                .order_by("-pk")
                .values("card_fingerprint")[:1]
            )
        )
        .values_list("number", "email", "card")
        .first()
    )
    if row is None:
        raise Order.DoesNotExist(order_id)
    number, email, card = row
    return OrderIdentity(number=number, email=email or "", card_fingerprint=card or "")


def risk_lists_with_counts() -> QuerySet[RiskList]:
    """Every list with `item_count` (all items) and `active_count` (not expired)."""
    now = timezone.now()
    return RiskList.objects.annotate(
        item_count=Count("items"),
        active_count=Count(
            "items", filter=Q(items__expires_at__isnull=True) | Q(items__expires_at__gt=now)
        ),
    ).order_by("alias")


def rules_using_list(*, alias: str) -> list[str]:
    """Names of the rules whose expression looks values up in @alias."""
    pattern = re.compile(rf"@{re.escape(alias)}\b")
    return [
        r.name
        for r in RiskRule.objects.filter(expression__contains=f"@{alias}").only(
            "name", "expression"
        )
        if pattern.search(r.expression)
    ]


def risk_list_get(*, alias: str) -> RiskList | None:
    return RiskList.objects.filter(alias=alias).first()


def risk_list_items(*, risk_list: RiskList, search: str = "") -> QuerySet[RiskListItem]:
    qs = RiskListItem.objects.filter(risk_list=risk_list).select_related("added_by")
    if search.strip():
        qs = qs.filter(value__icontains=search.strip())
    return qs.order_by("-created_at", "-pk")
