"""``demo_populate``: simulate a store's history and write it, replacing earlier demo data."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from catalog.models import (
    Brand,
    Category,
    PriceHistory,
    Product,
    Review,
    Stock,
    StockMovement,
    Supplier,
)
from customers.models import Address, Customer, Event
from demo import checkouts, purchasing, recfeedback, simulate
from demo.models import DemoRange, DemoRun, GroundTruth
from demo.writer import demo_rows_remove, insert, next_id, sequences_reset
from mlops.models import Experiment, ExperimentEvent
from orders.models import (
    Cart,
    CartLine,
    Chargeback,
    Order,
    OrderLine,
    OrderStatusHistory,
    Payment,
    Refund,
)

Progress = Callable[[str], None]
FEEDBACK_DAYS = 28  # four whole weeks, inside the reports' 30-day window

TABLE_MODELS: dict[str, type] = {
    "products": Product,
    "price_history": PriceHistory,
    "stock": Stock,
    "movements": StockMovement,
    "users": get_user_model(),
    "customers": Customer,
    "addresses": Address,
    "carts": Cart,
    "cartlines": CartLine,
    "orders": Order,
    "orderlines": OrderLine,
    "payments": Payment,
    "refunds": Refund,
    "chargebacks": Chargeback,
    "history": OrderStatusHistory,
    "events": Event,
    "reviews": Review,
    "truth": GroundTruth,
}


def _noop(_: str) -> None:
    return None


def _reuse_or_create(
    model: type[models.Model], lookup: str, rows: list[dict[str, Any]]
) -> list[int]:
    """Small reference tables: reuse a row with the same natural key (kept from an earlier
    run because a user's data points at it), else create it and remember it as demo data."""
    existing = dict(
        model._default_manager.filter(**{f"{lookup}__in": [r[lookup] for r in rows]}).values_list(
            lookup, "pk"
        )
    )
    ids: list[int] = []
    for row in rows:
        pk = existing.get(row[lookup])
        if pk is None:
            obj = model._default_manager.create(**row)
            pk = obj.pk
            DemoRange.objects.create(table=model._meta.db_table, first_id=pk, last_id=pk)
        ids.append(pk)
    return ids


@transaction.atomic
def demo_populate(
    *,
    seed: int = 0,
    scale: str = "small",
    anchor: dt.datetime | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Replace the demo data with a freshly simulated history ending at ``anchor`` (now)."""
    say = progress or _noop
    started, cpu_started = time.perf_counter(), time.process_time()
    anchor = anchor or timezone.now()
    if timezone.is_naive(anchor):
        anchor = timezone.make_aware(anchor, dt.UTC)
    sim = simulate.Simulator(seed=seed, scale=scale, anchor=anchor)
    cfg = sim.cfg
    say(
        f"simulating {cfg.days} days: {cfg.products:,} products, {cfg.customers:,} customers (seed {seed})"
    )
    world = simulate.World(anchor_us=sim.anchor_us, days=cfg.days)
    stages = [
        ("calendar", lambda: sim._calendar()),
        ("catalogue", lambda: sim._catalog(world)),
        ("prices", lambda: sim._prices(world)),
        ("demand and stock", lambda: sim._demand(world)),
        ("customers", lambda: sim._customers(world)),
        ("orders", lambda: sim._orders(world)),
        ("fraud", lambda: sim._fraud(world)),
        ("payments", lambda: sim._order_tables(world)),
        ("stock", lambda: sim._stock_tables(world)),
        ("sessions", lambda: sim._events(world)),
        ("reviews", lambda: sim._reviews(world)),
    ]
    for i, (name, fn) in enumerate(stages, 1):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        say(
            f"  [{i:2d}/{len(stages)}] {name} ({time.perf_counter() - t0:.1f} s,"
            f" cpu {time.process_time() - c0:.1f} s)"
        )

    t0, c0 = time.perf_counter(), time.process_time()
    merchant_lines = purchasing.merchant_lines_detach()
    removed = demo_rows_remove(progress=None)
    GroundTruth.objects.all().delete()
    if removed:
        say(
            f"removed {sum(removed.values()):,} rows of the previous demo"
            f" ({time.perf_counter() - t0:.1f} s, cpu {time.process_time() - c0:.1f} s)"
        )

    cat_ids: list[int] = []
    for c in world.categories:
        parent = cat_ids[c["parent"]] if c["parent"] is not None else None
        cat_ids += _reuse_or_create(
            Category,
            "slug",
            [
                {
                    "name": c["name"],
                    "slug": c["slug"],
                    "parent_id": parent,
                    "description": c["description"],
                    "position": c["position"],
                }
            ],
        )
    brand_ids = _reuse_or_create(
        Brand, "name", [{"name": b, "slug": simulate.slugify(b)} for b in world.brands]
    )
    supplier_ids = _reuse_or_create(
        Supplier,
        "name",
        [{"name": n, "lead_time_days": lt, "min_order_qty": moq} for n, lt, moq in world.suppliers],
    )
    T = world.tables
    prod = T["products"]
    prod["category"] = np.array(cat_ids)[prod["category"]]
    prod["brand"] = np.array(brand_ids)[prod["brand"]]
    prod["supplier"] = np.array(supplier_ids)[prod["supplier"]]

    base = {name: next_id(model) for name, model in TABLE_MODELS.items()}
    fk = lambda target, idx: ("fk", target, idx)  # noqa: E731
    users = T["users"]
    n_users = len(users["username"])
    users["password"] = ["!demo-account-no-login"] * n_users
    users["is_active"] = np.ones(n_users, bool)
    cust = T["customers"]
    cust["user"] = fk("users", cust["user"])
    T["addresses"]["customer"] = fk("customers", np.asarray(T["addresses"]["customer"]))
    T["stock"]["product"] = fk("products", T["stock"]["product"])
    T["price_history"]["product"] = fk("products", T["price_history"]["product"])
    T["price_history"]["source"] = ["demo"] * len(T["price_history"]["price"])
    T["movements"]["product"] = fk("products", T["movements"]["product"])
    T["carts"]["customer"] = fk("customers", T["carts"]["customer"])
    T["cartlines"]["cart"] = fk("carts", T["cartlines"]["cart"])
    T["cartlines"]["product"] = fk("products", T["cartlines"]["product"])
    o = T["orders"]
    o["customer"] = fk("customers", o["customer"])
    o["cart"] = fk("carts", o["cart"])
    T["orderlines"]["order"] = fk("orders", T["orderlines"]["order"])
    T["orderlines"]["product"] = fk("products", T["orderlines"]["product"])
    T["payments"]["order"] = fk("orders", T["payments"]["order"])
    for t in ("refunds", "chargebacks"):
        T[t]["order"] = fk("orders", T[t]["order"])
        T[t]["payment"] = fk("payments", T[t]["payment"])
    T["history"]["order"] = fk("orders", T["history"]["order"])
    T["reviews"]["product"] = fk("products", T["reviews"]["product"])
    T["reviews"]["customer"] = fk("customers", T["reviews"]["customer"])
    t0, c0 = time.perf_counter(), time.process_time()
    rec_meta, rec_counts = _recommendation_feedback(sim, T, base, anchor)
    say(
        f"  recommendation feedback: {rec_counts['impressions']:,} lists shown,"
        f" {rec_counts['clicks']:,} clicks ({time.perf_counter() - t0:.1f} s,"
        f" cpu {time.process_time() - c0:.1f} s)"
    )
    ev = T["events"]
    n_ev = len(ev["type"])
    ev["customer"] = fk("customers", ev["customer"])
    ev["product"] = fk("products", ev["product"])
    order_pk = np.where(ev["order"] >= 0, ev["order"] + base["orders"], -1)
    ev["order_id"] = [None if x < 0 else x for x in order_pk.tolist()]
    del ev["order"]
    meta = np.full(n_ev, "{}", dtype=object)
    purchase = np.flatnonzero(ev["type"] == "purchase")
    if len(purchase):
        oi = order_pk[purchase] - base["orders"]
        n_lines = np.bincount(sim.l_order, minlength=len(o["number"]))
        meta[purchase] = [
            json.dumps({"total": f"{t:.2f}", "lines": int(n)})
            for t, n in zip(sim.total[oi].tolist(), n_lines[oi].tolist(), strict=True)
        ]
    views = np.flatnonzero(ev["type"] == "view")
    sources = np.array(
        [
            '{"source": "search"}',
            '{"source": "category"}',
            '{"source": "home"}',
            '{"source": "product"}',
        ],
        dtype=object,
    )
    meta[views] = sources[np.random.default_rng(seed).integers(0, 4, len(views))]
    shown = np.flatnonzero(rec_meta != None)  # noqa: E711 - elementwise on an object array
    meta[shown] = rec_meta[shown]
    ev["metadata"] = meta

    order_ids = [
        "users",
        "customers",
        "addresses",
        "products",
        "stock",
        "price_history",
        "movements",
        "carts",
        "cartlines",
        "orders",
        "orderlines",
        "payments",
        "refunds",
        "chargebacks",
        "history",
        "reviews",
        "events",
    ]
    counts: dict[str, int] = {}
    for name in order_ids:
        t0, c0 = time.perf_counter(), time.process_time()
        counts[name] = insert(TABLE_MODELS[name], T[name], id_base=base, key=name, progress=say)
        dt_ = time.perf_counter() - t0
        say(
            f"  wrote {counts[name]:>9,} {name} ({dt_:.1f} s, cpu {time.process_time() - c0:.1f} s,"
            f" {counts[name] / max(dt_, 1e-6):,.0f} rows/s)"
        )

    # ground truth, keyed by SKU, order number or customer id
    kinds, keys, values = [], [], []
    seen: set[tuple[str, str]] = set()
    for kind, (ref, val), value in world.truth:
        if ref == "sku":
            key = str(val)
        elif ref == "order":
            key = o["number"][val]
        else:
            key = str(base["customers"] + int(val))
        if (kind, key) in seen:
            continue
        seen.add((kind, key))
        kinds.append(kind)
        keys.append(key)
        values.append(json.dumps(value))
    counts["ground_truth"] = insert(
        GroundTruth, {"kind": kinds, "key": keys, "value": values}, id_base=base, key="truth"
    )
    counts["experiment_events"] = _experiment_events_write(base, rec_counts)
    tickets = _tickets(sim, base, say)
    if tickets is not None:
        counts["tickets"] = tickets
    sequences_reset(TABLE_MODELS.values())
    t0 = time.perf_counter()
    counts["purchase_orders"] = purchasing.purchase_orders_write(sim=sim, world=world, base=base)
    say(f"  wrote {counts['purchase_orders']} purchase orders ({time.perf_counter() - t0:.2f} s)")
    dropped = purchasing.merchant_lines_attach(merchant_lines)
    if merchant_lines:
        say(
            f"  your purchase orders: {len(merchant_lines) - dropped} lines moved to the new demo"
            f" products, {dropped} removed (their SKU is not in this demo)"
        )
    t0 = time.perf_counter()
    checkouts.demo_risk_rules_install()
    decided = checkouts.demo_checkouts_decide(first_order_id=base["orders"])
    say(
        f"  checkout risk step on the latest {decided['decided']} orders: {decided['held']} held"
        f" for review, {decided['declined']} declined ({time.perf_counter() - t0:.1f} s)"
    )
    counts["stock_alerts"] = _stock_alerts_leave()
    seconds = round(time.perf_counter() - started, 2)
    cpu = round(time.process_time() - cpu_started, 2)
    DemoRun.objects.create(seed=seed, scale=scale, anchor=anchor, seconds=seconds, counts=counts)
    say(f"demo store ready: {sum(counts.values()):,} rows in {seconds:.1f} s (cpu {cpu:.1f} s)")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "counts": counts,
        "anchor": anchor,
        "checkouts": decided,
    }


def _stock_alerts_leave(products: int = 6) -> int:
    """A few visitors waiting for sold-out products ("e-mail me when it's back"), so the
    admin shows demand and receiving a purchase order sends the e-mails (to the mail folder).
    Deterministic: the lowest product ids that are sold out, one to three visitors each."""
    from catalog import facade as catalog

    sold_out = sorted(pid for pid, units in catalog.stock_levels().items() if units <= 0)
    active = catalog.products_get(sold_out)
    chosen = [pid for pid in sold_out if pid in active and active[pid].is_active][:products]
    made = 0
    for i, product_id in enumerate(chosen):
        for k in range(1 + i % 3):
            email = f"waiting-{i}-{k}@example.org"
            made += catalog.stock_alert_subscribe(product_id=product_id, email=email)
    return made


def _tickets(sim: simulate.Simulator, base: dict[str, int], say: Progress) -> int | None:
    """Support tickets, if the support app provides models for them."""
    try:
        from demo import tickets
    except ImportError:
        return None
    return tickets.tickets_write(sim=sim, base=base, progress=say)


def _strategy_experiment(started_at: dt.datetime) -> Experiment:
    """The store's A/B test of recommendation strategies: the merchant's own if there is one,
    else one started with the window (every strategy, equal shares) and kept as demo data."""
    from mlops import experiments
    from recommendations.facade import EXPERIMENT_KEY, STRATEGIES

    exp = Experiment.objects.filter(key=EXPERIMENT_KEY).first()
    if exp is None:
        exp = experiments.experiment_create(
            key=EXPERIMENT_KEY,
            name="For you: personal blend vs popular products",
            variants=list(STRATEGIES),
            capability="recommendations",
        )
        Experiment.objects.filter(pk=exp.pk).update(started_at=started_at)
        DemoRange.objects.create(table=Experiment._meta.db_table, first_id=exp.pk, last_id=exp.pk)
    return exp


def _recommendation_feedback(
    sim: simulate.Simulator, T: dict[str, dict[str, Any]], base: dict[str, int], anchor: dt.datetime
) -> tuple[np.ndarray, dict[str, Any]]:
    """Add the last ``FEEDBACK_DAYS`` days of recommendation impressions and clicks to the
    events table (kept in time order); returns their metadata per event row (None for the
    other events) and what the experiment's exposures need."""
    from mlops.experiments import assign
    from recommendations.facade import STRATEGIES

    exp = _strategy_experiment(anchor - dt.timedelta(days=FEEDBACK_DAYS))
    variants, weights = [str(v) for v in exp.variants], [float(w) for w in exp.weights]
    running = exp.status == Experiment.Status.RUNNING

    def variant_of(unit: str) -> str:
        # as recommendations.facade.strategy_for serves it
        if not variants:
            return "blend"
        v = assign(exp.key, unit, variants, weights) if running else variants[0]
        return v if v in STRATEGIES else "blend"

    raw = T["events"]
    fb = recfeedback.feedback_simulate(
        seed=sim.seed,
        anchor_us=sim.anchor_us,
        days=FEEDBACK_DAYS,
        events=raw,
        line_order=sim.l_order,
        line_prod=sim.l_prod,
        order_customer=sim.o_cust,
        order_placed=sim.placed,
        order_ok=~sim.declined,
        order_session=list(sim.o_session),
        prod_leaf=sim.p["leaf"],
        prod_consumable=sim.p["consumable"],
        product_pk=lambda p: base["products"] + p,
        unit_of=lambda c, s: f"c{base['customers'] + c}" if c >= 0 else s,
        variant_of=variant_of,
    )
    n_old, n_new = len(raw["type"]), len(fb.type)
    added = {
        "type": np.array(fb.type),
        "session_id": np.array(fb.session),
        "customer": np.array(fb.customer, dtype=np.int64),
        "product": np.array(fb.product, dtype=np.int64),
        "order": np.full(n_new, -1, dtype=np.int64),
        "query": np.full(n_new, "", dtype=object),
        "created_at": np.array(fb.t, dtype=np.int64),
    }
    merged = {k: np.concatenate([np.asarray(raw[k]), added[k]]) for k in added}
    order = np.argsort(merged["created_at"], kind="stable")  # the old events keep their order
    T["events"] = {k: v[order] for k, v in merged.items()}
    rec_meta = np.concatenate([np.full(n_old, None, dtype=object), np.array(fb.metadata, object)])
    return rec_meta[order], {
        "impressions": fb.type.count("rec_impression"),
        "clicks": fb.type.count("rec_click"),
        "experiment": exp.pk if running else None,
        "units": fb.units,
    }


def _experiment_events_write(base: dict[str, int], rec: dict[str, Any]) -> int:
    """Exposures (a for-you list shown) and conversions (a click on one) of the experiment's
    units, as the storefront logs them; units a real shopper logged already are left out."""
    if rec["experiment"] is None:
        return 0
    logged = set(
        ExperimentEvent.objects.filter(experiment_id=rec["experiment"]).values_list(
            "unit_id", flat=True
        )
    )
    rows = [
        (unit, variant, kind, t)
        for unit, (variant, shown_at, clicked_at) in sorted(rec["units"].items())
        if unit not in logged
        for kind, t in (("exposure", shown_at), ("conversion", clicked_at))
        if t >= 0
    ]
    base.setdefault("experiment_events", next_id(ExperimentEvent))
    n = insert(
        ExperimentEvent,
        {
            "experiment": [rec["experiment"]] * len(rows),
            "unit_id": [u for u, _, _, _ in rows],
            "variant": [v for _, v, _, _ in rows],
            "kind": [k for _, _, k, _ in rows],
            "created_at": np.array([t for _, _, _, t in rows], dtype=np.int64),
        },
        id_base=base,
        key="experiment_events",
    )
    sequences_reset([ExperimentEvent])
    return n
