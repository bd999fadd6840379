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

from celery import shared_task
from django.conf import settings
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from catalog.money import q2
from customers.models import Event
from orders.models import Order, OrderLine
from storefront.background import run_in_background

logger = logging.getLogger(__name__)

PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}
# Top lists kept per period at refresh. Exact for the top 10 shown: an item outside the closed
# days' top 50 that sells nothing today cannot overtake the 10th, and today's sales are added.
TOP_PRECOMPUTED = 50
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

    @property
    def trend_spec(self) -> dict[str, Any] | None:
        """The trend as a small line chart (a row of numbers in a sentence was unreadable)."""
        if not self.trend or not self.trend.get("points"):
            return None
        points = self.trend["points"]
        return {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": self.trend.get("name", ""),
                    "x": [p[0] for p in points],
                    "y": [p[1] for p in points],
                }
            ],
            "layout": {
                "height": 150,
                "margin": {"l": 40, "r": 10, "t": 10, "b": 30},
                "xaxis": {"tickformat": "%b %d"},
                "yaxis": {"rangemode": "tozero"},
            },
        }


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
    rollups_through: date | None = None  # closed days pre-aggregated up to this day


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


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# Per-day aggregates from the commerce tables over [start, end): used to build the rollups
# for closed days and, live, for the days the rollups do not cover yet (usually just today).


def _utc_offsets(start: datetime, end: datetime) -> list[tuple[datetime | None, int]]:
    """The current time zone's UTC offset (seconds) over [start, end), as (until, offset)
    segments; the last has until=None. Found per day, then to the second at each change."""
    tz = timezone.get_current_timezone()

    def offset(t: datetime) -> int:
        delta = t.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    segments: list[tuple[datetime | None, int]] = []
    t, current = start, offset(start)
    while t < end:
        step = min(t + timedelta(days=1), end)
        if offset(step) != current:
            lo, hi = t, step  # offset(lo) == current != offset(hi)
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == current else (lo, mid)
            segments.append((hi, current))
            current = offset(hi)
        t = step
    segments.append((None, current))
    return segments


def _day(field_name: str, start: datetime, end: datetime) -> Any:
    """The local calendar day of a datetime column, for rows in [start, end).

    On SQLite Django's TruncDate calls a Python function per row (1.3 s of the 3.9 s rollup
    refresh went to ~97k such calls); there the day is SQLite's own date() of the UTC text
    shifted by the offset in force, which changes only at DST transitions. Fractional
    seconds are cut first: date() rounds them to milliseconds (23:59:59.9996 -> next day)."""
    from django.db import connection
    from django.db.models import DateField, F, Func, Value, When
    from django.db.models.expressions import Case
    from django.db.models.functions import Substr

    if connection.vendor != "sqlite":
        return TruncDate(field_name, tzinfo=timezone.get_current_timezone())

    def shifted(seconds: int) -> Func:
        return Func(
            Substr(F(field_name), 1, 19),
            Value(f"{seconds:+d} seconds"),
            function="date",
            output_field=DateField(),
        )

    *changes, (_, last) = _utc_offsets(start, end)
    if not changes:
        return shifted(last)
    return Case(
        *[When(**{f"{field_name}__lt": until}, then=shifted(off)) for until, off in changes],
        default=shifted(last),
        output_field=DateField(),
    )


def _src_sales(start: datetime, end: datetime) -> dict[date, tuple[Decimal, int]]:
    rows = (
        Order.objects.filter(status__in=REVENUE_STATUSES, placed_at__gte=start, placed_at__lt=end)
        .annotate(day=_day("placed_at", start, end))
        .values("day")
        .annotate(revenue=Sum("total"), n=Count("pk"))
        .values_list("day", "revenue", "n")
    )
    return {day: (revenue, n) for day, revenue, n in rows}


def _src_funnel(start: datetime, end: datetime) -> dict[tuple[date, str], int]:
    rows = (
        Event.objects.filter(
            created_at__gte=start, created_at__lt=end, type__in=[step for _, step in FUNNEL]
        )
        .annotate(day=_day("created_at", start, end))
        .values("day", "type")
        .annotate(n=Count("session_id", distinct=True))
        .values_list("day", "type", "n")
    )
    return {(day, step): n for day, step, n in rows}


def _src_lines(
    start: datetime, end: datetime, key: str
) -> dict[tuple[date, str], tuple[Decimal, int]]:
    rows = (
        OrderLine.objects.filter(
            order__status__in=REVENUE_STATUSES,
            order__placed_at__gte=start,
            order__placed_at__lt=end,
        )
        .annotate(day=_day("order__placed_at", start, end))
        .values("day", key)
        .annotate(revenue=Sum("line_total"), units=Sum("quantity"))
        .values_list("day", key, "revenue", "units")
    )
    return {
        (day, str(k) if k is not None else ""): (revenue, units) for day, k, revenue, units in rows
    }


@dataclass
class _Totals:
    """Sums for one dashboard period, from rollups and/or live queries."""

    sales: dict[date, list[Any]] = field(default_factory=dict)  # day -> [revenue, orders]
    funnel: dict[str, int] = field(default_factory=dict)
    products: dict[str, list[Any]] = field(default_factory=dict)  # id -> [revenue, units]
    categories: dict[str, list[Any]] = field(default_factory=dict)

    def add_sales(self, day: date, revenue: Decimal, n: int) -> None:
        row = self.sales.setdefault(day, [Decimal("0"), 0])
        row[0] += revenue or 0
        row[1] += n

    @staticmethod
    def add(target: dict[str, list[Any]], key: str, revenue: Decimal, units: int) -> None:
        row = target.setdefault(key, [Decimal("0"), 0])
        row[0] += revenue or 0
        row[1] += units or 0


def _rollup_state() -> Any:
    from mlops.models import RollupState

    return RollupState.objects.order_by("pk").first()


def _collect(period: Period, state: Any) -> _Totals:
    """Closed days from rollups (4 queries), the rest live (4 queries)."""
    from mlops.models import DailyRollup

    totals = _Totals()
    first_day = timezone.localdate(period.start)
    live_from = period.previous_start
    if state is not None:
        through = state.through_day
        prev_day = timezone.localdate(period.previous_start)
        rollups = DailyRollup.objects.filter(day__lte=through)
        for day, amount, count in rollups.filter(metric="sales", day__gte=prev_day).values_list(
            "day", "amount", "count"
        ):
            totals.add_sales(day, amount, count)
        in_period = rollups.filter(day__gte=first_day)
        yesterday = timezone.localdate(period.end) - timedelta(days=1)
        # fresh rollups: per-period top lists precomputed at refresh (a year of daily product
        # rows is ~90k rows to sum; the precomputed list is 50)
        precomputed = through == yesterday and period.key in PERIODS
        for key, n in (
            in_period.filter(metric="funnel")
            .values("key")
            .annotate(n=Sum("count"))
            .values_list("key", "n")
        ):
            totals.funnel[key] = totals.funnel.get(key, 0) + n
        for metric, target in (("product", totals.products), ("category", totals.categories)):
            if precomputed:
                rows = (
                    DailyRollup.objects.filter(metric=f"{metric}@{period.key}")
                    .order_by("-amount", "key")
                    .values_list("key", "amount", "count")[:TOP_PRECOMPUTED]
                )
            else:
                rows = (
                    in_period.filter(metric=metric)
                    .values("key")
                    .annotate(a=Sum("amount"), c=Sum("count"))
                    .values_list("key", "a", "c")
                )
            for key, amount, count in rows:
                _Totals.add(target, key, amount, count)
        live_from = max(period.previous_start, _midnight(through + timedelta(days=1)))
    end = period.end + timedelta(microseconds=1)
    for day, (revenue, n) in _src_sales(live_from, end).items():
        totals.add_sales(day, revenue, n)
    live_in_period = max(live_from, period.start)
    for (_day, step), n in _src_funnel(live_in_period, end).items():
        totals.funnel[step] = totals.funnel.get(step, 0) + n
    for (_day, key), (revenue, units) in _src_lines(live_in_period, end, "product_id").items():
        _Totals.add(totals.products, key, revenue, units)
    for (_day, key), (revenue, units) in _src_lines(
        live_in_period, end, "product__category__name"
    ).items():
        _Totals.add(totals.categories, key, revenue, units)
    return totals


def _tables(period: Period, totals: _Totals, limit: int = 10) -> dict[str, Table]:
    from catalog.models import Product

    first = timezone.localdate(period.start)
    sales_rows = []
    for offset in range((timezone.localdate(period.end) - first).days + 1):
        day = first + timedelta(days=offset)
        revenue, n = totals.sales.get(day, [Decimal("0"), 0])
        sales_rows.append(
            [day.isoformat(), q2(revenue), n, q2(revenue / n) if n else Decimal("0.00")]
        )

    funnel_rows = []
    top = totals.funnel.get(FUNNEL[0][1], 0)
    previous = None
    for label, step in FUNNEL:
        n = totals.funnel.get(step, 0)
        funnel_rows.append(
            [label, n, _pct(n / top if top else None), _pct(n / previous if previous else None)]
        )
        previous = n

    best = sorted(totals.products.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    ids = [int(k) for k, _ in best if k]
    names = {p.pk: (p.sku, p.name) for p in Product.objects.filter(pk__in=ids).only("sku", "name")}
    product_rows = [
        [*names.get(int(k) if k else 0, ("", "(deleted product)")), units, q2(revenue)]
        for k, (revenue, units) in best
    ]
    cats = sorted(totals.categories.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    category_rows = [[k or "(deleted product)", units, q2(revenue)] for k, (revenue, units) in cats]
    return {
        "sales": Table(
            "sales", "Revenue and orders per day", ["date", "revenue", "orders", "aov"], sales_rows
        ),
        "funnel": Table(
            "funnel",
            "Conversion funnel (sessions)",
            ["step", "sessions", "of_viewers", "of_previous_step"],
            funnel_rows,
        ),
        "products": Table(
            "products",
            "Top products by revenue",
            ["sku", "product", "units", "revenue"],
            product_rows,
        ),
        "categories": Table(
            "categories",
            "Top categories by revenue",
            ["category", "units", "revenue"],
            category_rows,
        ),
    }


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


def dashboard_get(
    *, period_key: str | None = None, with_panels: bool = True, use_rollups: bool = True
) -> Dashboard:
    """Everything the home dashboard shows, for the selected period (7/30/90/365 days).

    Closed days come from ``DailyRollup`` (see ``dashboard_rollups_refresh``), days after the
    rollups from live queries: a constant 10 queries (plus ML panels) whatever the store size.
    """
    period = period_for(period_key)
    state = _rollup_state() if use_rollups else None
    totals = _collect(period, state)
    tables = _tables(period, totals)
    first = timezone.localdate(period.start)
    revenue = q2(sum((r for d, (r, _n) in totals.sales.items() if d >= first), Decimal("0")))
    n_orders = sum(n for d, (_r, n) in totals.sales.items() if d >= first)
    prev_revenue = sum((r for d, (r, _n) in totals.sales.items() if d < first), Decimal("0"))
    prev_orders = sum(n for d, (_r, n) in totals.sales.items() if d < first)
    viewers = tables["funnel"].rows[0][1]
    buyers = tables["funnel"].rows[-1][1]
    return Dashboard(
        period=period,
        revenue=revenue,
        orders=n_orders,
        aov=q2(revenue / n_orders) if n_orders else Decimal("0.00"),
        revenue_change=_change(revenue, prev_revenue),
        orders_change=_change(n_orders, prev_orders),
        conversion_rate=buyers / viewers if viewers else None,
        tables=tables,
        panels=ml_panels(period) if with_panels else [],
        rollups_through=state.through_day if state is not None else None,
    )


def dashboard_rollups_refresh(*, full: bool = False, overlap_days: int = 35) -> dict[str, Any]:
    """Recompute the closed-day rollups: everything on the first run (or ``full``), later the
    last ``overlap_days`` (orders change status for a while: refunds, fraud reviews)."""
    from django.db import transaction
    from django.db.models import Min

    from mlops.models import DailyRollup, RollupState

    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    state = RollupState.objects.order_by("pk").first()
    if state is None or full:
        earliest = [
            Order.objects.aggregate(m=Min("placed_at"))["m"],
            Event.objects.aggregate(m=Min("created_at"))["m"],
        ]
        known = [timezone.localdate(t) for t in earliest if t is not None]
        start_day = min(known) if known else yesterday
    else:
        start_day = max(
            state.first_day,
            min(state.through_day + timedelta(days=1), yesterday - timedelta(days=overlap_days)),
        )
    start, end = _midnight(start_day), _midnight(today)
    rows = [
        DailyRollup(metric="sales", day=day, key="", amount=revenue, count=n)
        for day, (revenue, n) in _src_sales(start, end).items()
    ]
    rows += [
        DailyRollup(metric="funnel", day=day, key=step, count=n)
        for (day, step), n in _src_funnel(start, end).items()
    ]
    for metric, key in (("product", "product_id"), ("category", "product__category__name")):
        rows += [
            DailyRollup(metric=metric, day=day, key=k[:200], amount=revenue, count=units)
            for (day, k), (revenue, units) in _src_lines(start, end, key).items()
        ]
    with transaction.atomic():
        DailyRollup.objects.filter(day__gte=start_day, day__lte=yesterday).delete()
        DailyRollup.objects.filter(metric__contains="@").delete()
        DailyRollup.objects.bulk_create(rows, batch_size=2000)
        for key, days in PERIODS.items():
            since = today - timedelta(days=days)  # the period's closed days: since..yesterday
            for metric in ("product", "category"):
                sums = (
                    DailyRollup.objects.filter(metric=metric, day__gt=since, day__lte=yesterday)
                    .values("key")
                    .annotate(a=Sum("amount"), c=Sum("count"))
                    .order_by("-a", "key")
                    .values_list("key", "a", "c")[:TOP_PRECOMPUTED]
                )
                DailyRollup.objects.bulk_create(
                    [
                        DailyRollup(
                            metric=f"{metric}@{key}", day=yesterday, key=k, amount=a, count=c
                        )
                        for k, a, c in sums
                    ]
                )
        RollupState.objects.all().delete()
        RollupState.objects.create(
            first_day=min(start_day, state.first_day) if state and not full else start_day,
            through_day=yesterday,
        )
    return {"from": start_day.isoformat(), "through": yesterday.isoformat(), "rows": len(rows)}


@shared_task(acks_late=True)
def dashboard_rollups_refresh_task(full: bool = False) -> dict[str, Any]:
    return dashboard_rollups_refresh(full=full)


REFRESH_PENDING_KEY = "mlops:dashboard:rollups-refresh-pending"
REFRESH_PENDING_SECONDS = 300  # a refresh that died frees the slot after this long


def dashboard_rollups_refresh_request() -> bool:
    """Ask for a rollup refresh without making the caller wait for it (the page that asks
    reads the days the rollups miss live, so its figures stay exact meanwhile).

    With a broker this queues the task; without one (the embedded demo, eager Celery) it runs
    in a thread of this process: inline, the first dashboard visit of the day took seconds.
    Returns False when a refresh is already pending, so visits do not pile up refreshes."""
    from django.core.cache import cache

    if not cache.add(REFRESH_PENDING_KEY, 1, REFRESH_PENDING_SECONDS):
        return False

    def refresh() -> None:
        try:
            dashboard_rollups_refresh()
        finally:
            cache.delete(REFRESH_PENDING_KEY)

    def queue() -> None:
        try:
            dashboard_rollups_refresh_task.delay()
        finally:
            cache.delete(REFRESH_PENDING_KEY)  # queued (or failed): the worker's run guards

    # a refresh that fails in the thread is logged; the page keeps working on live queries
    run_in_background("dashboard-rollups", work=refresh, queue=queue)
    return True


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
                # room for the right-hand axis's ticks and title
                "margin": {"l": 60, "r": 60, "t": 30, "b": 40},
                "xaxis": {
                    "tickformat": "%b %d"
                },  # no year line under the dates for the legend to cover
                "yaxis": {
                    "title": {"text": f"Revenue ({settings.STORE_CURRENCY})"},
                    "rangemode": "tozero",
                },
                "yaxis2": {
                    "title": {"text": "Orders"},
                    "overlaying": "y",
                    "side": "right",
                    "rangemode": "tozero",
                    "tickformat": ",d",  # order counts are whole numbers
                },
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
            # automargin: the left margin grows to the longest product name instead of
            # cutting names off at a fixed 180 px
            "layout": {
                **layout,
                "margin": {"l": 20, "r": 20, "t": 30, "b": 40},
                "yaxis": {"automargin": True, "ticksuffix": " "},
            },
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
    refused: Any = None  # the newest version, when it is a candidate the registry turned down


def version_refused(latest: Any) -> Any:
    """The newest version if it stayed a candidate with a recorded reason, else None."""
    if latest is None or latest.status != "candidate" or not latest.note:
        return None
    return latest


def capabilities() -> list[str]:
    names = list(settings.ML_CAPABILITIES)
    if "insights" not in names and "insights" in settings.INSTALLED_APPS:
        names.append("insights")
    return names


def capability_states() -> list[CapabilityState]:
    """One row per capability (5 queries whatever the number of versions and runs)."""
    from mlops.models import Alert, ModelVersion, TrainingRun

    names = capabilities()
    active = {
        v.capability: v
        for v in ModelVersion.objects.filter(
            capability__in=names, status=ModelVersion.Status.ACTIVE
        )
    }
    per_capability = (
        ModelVersion.objects.filter(capability__in=names)
        .values("capability")
        .annotate(n=Count("pk"), newest=Max("pk"))
        .values_list("capability", "n", "newest")
    )
    counts = {name: n for name, n, _ in per_capability}
    latest = {
        v.capability: v
        for v in ModelVersion.objects.filter(pk__in=[pk for _, _, pk in per_capability]).only(
            "capability", "version", "status", "note", "created_at"
        )
    }
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
            refused=version_refused(latest.get(name)),
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
    # chart scores and rates (|value| <= 1) plus the primary metric; counts stay in the table
    primary = {v.primary_metric for v in ordered if v.primary_metric}
    charted = [
        n
        for n in names
        if n in primary
        or all(abs(v.metrics[n]) <= 1 for v in ordered if isinstance(v.metrics.get(n), int | float))
    ]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": [f"v{v.version}" for v in ordered if isinstance(v.metrics.get(name), int | float)],
            "y": [v.metrics[name] for v in ordered if isinstance(v.metrics.get(name), int | float)],
        }
        for name in charted
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
        transaction.on_commit(lambda: _training_dispatch(capability, run_id=run_id, force=force))
    return run


def _training_dispatch(capability: str, *, run_id: int, force: bool) -> None:
    """Hand the run to a worker, or to a thread without a broker (``run_in_background``); a
    failed training is marked on the run by the service."""
    from mlops.tasks import capability_train_task

    run_in_background(
        f"train-{capability}-{run_id}",
        work=lambda: capability_train_task.apply(
            args=(capability,), kwargs={"run_id": run_id, "force": force}
        ),
        queue=lambda: capability_train_task.delay(capability, run_id=run_id, force=force),
    )
