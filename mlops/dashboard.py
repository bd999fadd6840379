"""The merchant's home dashboard: sales, funnel, top sellers and a panel per ML app.

Reads only; a fixed number of aggregate queries whatever the size of the store (pinned in
tests/mlops/test_dashboard.py). Chart specs are plain Plotly JSON (the JS comes from the
installed plotly wheel, served by the admin), each with the rows for its table view / CSV.

ML panels: each ML app's facade may expose ``dashboard_panel() -> dict`` with
``{"items": {label: value}, "trend": {"name": str, "points": [[iso_date, value], ...]},
"url": admin link}``. A missing app or function, or an error, shows "not available"; for
fraud and recommendations the dashboard falls back to figures it can read from the
commerce tables (orders on hold, recommendation click-through from events).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from catalog.money import q2
from customers.models import Event
from orders.models import Order, OrderLine

logger = logging.getLogger(__name__)

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}
DEFAULT_PERIOD = "30"
REVENUE_STATUSES = [Order.Status.PAID, Order.Status.FULFILLED]
FUNNEL = [
    ("Viewed a product", Event.Type.VIEW),
    ("Added to cart", Event.Type.ADD_TO_CART),
    ("Started checkout", Event.Type.CHECKOUT_START),
    ("Purchased", Event.Type.PURCHASE),
]
ML_PANELS = [
    ("fraud", "Fraud review queue"),
    ("pricing", "Price proposals"),
    ("forecasting", "Reorder alerts"),
    ("support", "Support queue"),
    ("recommendations", "Recommendations"),
    ("insights", "Customer intelligence"),
]
_ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))


@dataclass(frozen=True)
class Period:
    key: str
    start: datetime
    end: datetime
    previous_start: datetime

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days)


@dataclass(frozen=True)
class Table:
    """Rows behind a chart (its table view and CSV export)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Panel:
    app: str
    title: str
    available: bool
    items: dict[str, Any] = field(default_factory=dict)
    trend: dict[str, Any] | None = None
    url: str = ""
    source: str = ""  # "app" (its facade), "commerce" (dashboard fallback) or ""


@dataclass(frozen=True)
class Dashboard:
    period: Period
    revenue: Decimal
    orders: int
    aov: Decimal
    revenue_change: float | None  # vs the previous period of the same length
    orders_change: float | None
    conversion_rate: float | None  # purchasing sessions / viewing sessions
    tables: dict[str, Table]
    panels: list[Panel]


def period_for(key: str | None, *, now: datetime | None = None) -> Period:
    key = key if key in PERIODS else DEFAULT_PERIOD
    now = now or timezone.now()
    days = PERIODS[key]
    today = timezone.localdate(now)
    start = timezone.make_aware(
        datetime.combine(today - timedelta(days=days - 1), datetime.min.time())
    )
    return Period(key=key, start=start, end=now, previous_start=start - timedelta(days=days))


def _change(current: Decimal | int, previous: Decimal | int) -> float | None:
    if not previous:
        return None
    return float((Decimal(current) - Decimal(previous)) / Decimal(previous))


def _sales(period: Period) -> tuple[dict[str, Any], Table]:
    orders = Order.objects.filter(status__in=REVENUE_STATUSES)
    now_q = Q(placed_at__gte=period.start, placed_at__lte=period.end)
    prev_q = Q(placed_at__gte=period.previous_start, placed_at__lt=period.start)
    totals = orders.filter(
        placed_at__gte=period.previous_start, placed_at__lte=period.end
    ).aggregate(
        revenue=Coalesce(Sum("total", filter=now_q), _ZERO),
        orders=Count("pk", filter=now_q),
        prev_revenue=Coalesce(Sum("total", filter=prev_q), _ZERO),
        prev_orders=Count("pk", filter=prev_q),
    )
    daily = (
        orders.filter(now_q)
        .annotate(day=TruncDate("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(revenue=Sum("total"), n=Count("pk"))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in daily}
    rows = []
    first = timezone.localdate(period.start)
    for offset in range((timezone.localdate(period.end) - first).days + 1):
        day: date = first + timedelta(days=offset)
        row = by_day.get(day)
        revenue = q2(row["revenue"]) if row else Decimal("0.00")
        n = row["n"] if row else 0
        rows.append([day.isoformat(), revenue, n, q2(revenue / n) if n else Decimal("0.00")])
    table = Table("sales", "Revenue and orders per day", ["date", "revenue", "orders", "aov"], rows)
    return totals, table


def _funnel(period: Period) -> Table:
    counts = dict(
        Event.objects.filter(
            created_at__gte=period.start,
            created_at__lte=period.end,
            type__in=[step for _, step in FUNNEL],
        )
        .values("type")
        .annotate(n=Count("session_id", distinct=True))
        .values_list("type", "n")
    )
    rows = []
    top = counts.get(FUNNEL[0][1], 0)
    previous = None
    for label, step in FUNNEL:
        n = counts.get(step, 0)
        of_top = n / top if top else None
        of_prev = n / previous if previous else None
        rows.append([label, n, _pct(of_top), _pct(of_prev)])
        previous = n
    return Table(
        "funnel",
        "Conversion funnel (sessions)",
        ["step", "sessions", "of_viewers", "of_previous_step"],
        rows,
    )


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _top_products(period: Period, limit: int = 10) -> Table:
    rows = (
        OrderLine.objects.filter(
            order__status__in=REVENUE_STATUSES,
            order__placed_at__gte=period.start,
            order__placed_at__lte=period.end,
        )
        .values("product_id")
        .annotate(
            sku=Max("sku"), name=Max("name"), revenue=Sum("line_total"), units=Sum("quantity")
        )
        .order_by("-revenue", "product_id")[:limit]
    )
    return Table(
        "products",
        "Top products by revenue",
        ["sku", "product", "units", "revenue"],
        [[r["sku"], r["name"], r["units"], q2(r["revenue"])] for r in rows],
    )


def _top_categories(period: Period, limit: int = 10) -> Table:
    rows = (
        OrderLine.objects.filter(
            order__status__in=REVENUE_STATUSES,
            order__placed_at__gte=period.start,
            order__placed_at__lte=period.end,
        )
        .values("product__category__name")
        .annotate(revenue=Sum("line_total"), units=Sum("quantity"))
        .order_by("-revenue", "product__category__name")[:limit]
    )
    return Table(
        "categories",
        "Top categories by revenue",
        ["category", "units", "revenue"],
        [
            [r["product__category__name"] or "(deleted product)", r["units"], q2(r["revenue"])]
            for r in rows
        ],
    )


def _panel_from_app(app: str, title: str) -> Panel | None:
    try:
        facade = import_module(f"{app}.facade")
    except ImportError:  # the app has no facade yet
        return None
    try:
        panel_fn = getattr(facade, "dashboard_panel", None)
        if panel_fn is None:
            return None
        data = panel_fn() or {}
        return Panel(
            app=app,
            title=str(data.get("title", title)),
            available=True,
            items=dict(data.get("items", {})),
            trend=data.get("trend"),
            url=str(data.get("url", "")),
            source="app",
        )
    except Exception:  # a teammate's panel failing must not take the dashboard down
        logger.exception("dashboard panel for %s failed", app)
        return None


def _fraud_fallback(period: Period) -> Panel:
    counts = Order.objects.aggregate(
        queue=Count("pk", filter=Q(status=Order.Status.ON_HOLD)),
        held=Count("pk", filter=Q(status=Order.Status.ON_HOLD, placed_at__gte=period.start)),
    )
    return Panel(
        app="fraud",
        title="Fraud review queue",
        available=True,
        items={"Orders awaiting review": counts["queue"], "Held this period": counts["held"]},
        url="/admin/orders/order/?status__exact=on_hold",
        source="commerce",
    )


def _recs_fallback(period: Period) -> Panel:
    counts = Event.objects.filter(
        created_at__gte=period.start,
        type__in=[Event.Type.REC_IMPRESSION, Event.Type.REC_CLICK],
    ).aggregate(
        shown=Count("pk", filter=Q(type=Event.Type.REC_IMPRESSION)),
        clicked=Count("pk", filter=Q(type=Event.Type.REC_CLICK)),
    )
    ctr = counts["clicked"] / counts["shown"] if counts["shown"] else None
    return Panel(
        app="recommendations",
        title="Recommendations",
        available=True,
        items={
            "Impressions": counts["shown"],
            "Clicks": counts["clicked"],
            "CTR": _pct(ctr) or "no impressions yet",
        },
        source="commerce",
    )


def ml_panels(period: Period) -> list[Panel]:
    fallbacks = {"fraud": _fraud_fallback, "recommendations": _recs_fallback}
    panels = []
    installed = set(settings.INSTALLED_APPS)
    for app, title in ML_PANELS:
        panel = _panel_from_app(app, title) if app in installed else None
        if panel is None and app in fallbacks:
            try:
                panel = fallbacks[app](period)
            except Exception:
                logger.exception("dashboard fallback panel for %s failed", app)
        panels.append(panel or Panel(app=app, title=title, available=False))
    return panels


def dashboard_get(*, period_key: str | None = None, with_panels: bool = True) -> Dashboard:
    """Everything the home dashboard shows, for the selected period (7/30/90/365 days)."""
    period = period_for(period_key)
    totals, sales = _sales(period)
    funnel = _funnel(period)
    revenue = q2(totals["revenue"])
    n_orders = totals["orders"]
    viewers = funnel.rows[0][1]
    buyers = funnel.rows[-1][1]
    tables = {
        "sales": sales,
        "funnel": funnel,
        "products": _top_products(period),
        "categories": _top_categories(period),
    }
    return Dashboard(
        period=period,
        revenue=revenue,
        orders=n_orders,
        aov=q2(revenue / n_orders) if n_orders else Decimal("0.00"),
        revenue_change=_change(totals["revenue"], totals["prev_revenue"]),
        orders_change=_change(n_orders, totals["prev_orders"]),
        conversion_rate=buyers / viewers if viewers else None,
        tables=tables,
        panels=ml_panels(period) if with_panels else [],
    )


# Plotly specs (rendered client-side by plotly.js from the installed wheel)


def chart_specs(dashboard: Dashboard) -> dict[str, dict[str, Any]]:
    sales = dashboard.tables["sales"].rows
    funnel = dashboard.tables["funnel"].rows
    products = dashboard.tables["products"].rows
    categories = dashboard.tables["categories"].rows
    layout = {"margin": {"l": 50, "r": 20, "t": 30, "b": 40}, "height": 300}
    return {
        "sales": {
            "data": [
                {
                    "type": "bar",
                    "name": "Revenue",
                    "x": [r[0] for r in sales],
                    "y": [float(r[1]) for r in sales],
                },
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "Orders",
                    "yaxis": "y2",
                    "x": [r[0] for r in sales],
                    "y": [r[2] for r in sales],
                },
            ],
            "layout": {
                **layout,
                "yaxis": {"title": {"text": f"Revenue ({settings.STORE_CURRENCY})"}},
                "yaxis2": {"title": {"text": "Orders"}, "overlaying": "y", "side": "right"},
                "legend": {"orientation": "h"},
            },
        },
        "funnel": {
            "data": [{"type": "funnel", "y": [r[0] for r in funnel], "x": [r[1] for r in funnel]}],
            "layout": {**layout, "margin": {"l": 130, "r": 20, "t": 30, "b": 40}},
        },
        "products": {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [r[1] for r in reversed(products)],
                    "x": [float(r[3]) for r in reversed(products)],
                }
            ],
            "layout": {**layout, "margin": {"l": 180, "r": 20, "t": 30, "b": 40}},
        },
        "categories": {
            "data": [
                {
                    "type": "pie",
                    "hole": 0.4,
                    "labels": [r[0] for r in categories],
                    "values": [float(r[2]) for r in categories],
                }
            ],
            "layout": layout,
        },
    }


# Model operations: per-capability state, version history, retrain requests


@dataclass(frozen=True)
class CapabilityState:
    capability: str
    trainable: bool  # listed in settings.ML_CAPABILITIES (what capability_train accepts)
    active: Any  # ModelVersion | None
    versions: int
    last_run: Any  # TrainingRun | None
    open_alerts: int


def capabilities() -> list[str]:
    names = list(settings.ML_CAPABILITIES)
    if "insights" not in names and "insights" in settings.INSTALLED_APPS:
        names.append("insights")
    return names


def capability_states() -> list[CapabilityState]:
    """One row per capability (4 queries whatever the number of versions and runs)."""
    from mlops.models import Alert, ModelVersion, TrainingRun

    names = capabilities()
    active = {
        v.capability: v
        for v in ModelVersion.objects.filter(
            capability__in=names, status=ModelVersion.Status.ACTIVE
        )
    }
    counts = dict(
        ModelVersion.objects.filter(capability__in=names)
        .values("capability")
        .annotate(n=Count("pk"))
        .values_list("capability", "n")
    )
    alerts = dict(
        Alert.objects.filter(capability__in=names, resolved_at__isnull=True)
        .values("capability")
        .annotate(n=Count("pk"))
        .values_list("capability", "n")
    )
    latest_ids = (
        TrainingRun.objects.filter(capability__in=names)
        .values("capability")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    runs = {
        r.capability: r
        for r in TrainingRun.objects.filter(pk__in=list(latest_ids)).select_related("model_version")
    }
    return [
        CapabilityState(
            capability=name,
            trainable=name in settings.ML_CAPABILITIES,
            active=active.get(name),
            versions=counts.get(name, 0),
            last_run=runs.get(name),
            open_alerts=alerts.get(name, 0),
        )
        for name in names
    ]


def capability_versions(*, capability: str) -> list[Any]:
    from mlops.models import ModelVersion

    return list(
        ModelVersion.objects.filter(capability=capability)
        .select_related("activated_by")
        .order_by("-version")
    )


def capability_runs(*, capability: str, limit: int = 20) -> list[Any]:
    from mlops.models import TrainingRun

    return list(
        TrainingRun.objects.filter(capability=capability)
        .select_related("model_version", "triggered_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def metrics_history_spec(versions: list[Any]) -> tuple[dict[str, Any], Table]:
    """Every numeric offline metric per version over time: a line chart and its table."""
    ordered = sorted(versions, key=lambda v: v.version)
    names = sorted(
        {k for v in ordered for k, val in v.metrics.items() if isinstance(val, int | float)}
    )
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": [f"v{v.version}" for v in ordered if isinstance(v.metrics.get(name), int | float)],
            "y": [v.metrics[name] for v in ordered if isinstance(v.metrics.get(name), int | float)],
        }
        for name in names
    ]
    rows = [
        [
            f"v{v.version}",
            timezone.localtime(v.created_at).strftime("%Y-%m-%d %H:%M"),
            v.status,
            *[v.metrics.get(name, "") for name in names],
        ]
        for v in ordered
    ]
    spec = {
        "data": data,
        "layout": {
            "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
            "height": 300,
            "legend": {"orientation": "h"},
        },
    }
    return spec, Table(
        "metrics", "Offline metrics per version", ["version", "created", "status", *names], rows
    )


def training_run_request(
    *, capability: str, user_id: int | None = None, force: bool = False
) -> Any:
    """Queue a retrain ("retrain now"): a TrainingRun the admin polls, and the Celery task
    enqueued after commit. A run already queued or running for the capability is returned
    instead of starting a second one."""
    from django.db import transaction

    from mlops.models import TrainingRun
    from mlops.tasks import capability_train_task
    from storefront.api_errors import ServiceError

    if capability not in settings.ML_CAPABILITIES:
        raise ServiceError(
            f"{capability!r} is not in settings.ML_CAPABILITIES; it cannot be trained from here",
            field="capability",
        )
    with transaction.atomic():
        pending = (
            TrainingRun.objects.select_for_update()
            .filter(
                capability=capability,
                status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING],
                created_at__gte=timezone.now() - timedelta(hours=2),
            )
            .first()
        )
        if pending is not None:
            return pending
        run = TrainingRun.objects.create(
            capability=capability, status=TrainingRun.Status.QUEUED, triggered_by_id=user_id
        )
        run_id = run.pk
        transaction.on_commit(
            lambda: capability_train_task.delay(capability, run_id=run_id, force=force)
        )
    return run
