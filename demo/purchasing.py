"""The demo's purchase orders, read off the simulated restocks: the latest deliveries as
received orders (their restock movements reference them), the restocks still on their way
when the history ends as sent orders, one per supplier and order day, due after today
(forecasting counts them as incoming), and one draft
for a supplier whose products are running low."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone

from catalog.models import Product, PurchaseOrder, PurchaseOrderLine, StockMovement
from demo.models import DemoRange
from demo.simulate import US_PER_DAY, Simulator, World
from demo.writer import _range_q

RECEIVED_ORDERS = 4  # the latest deliveries, one order per supplier and day
DRAFT_LINES = 6


def _when(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1_000_000, tz=dt.UTC)


def _remember(model: type[Any], pks: list[int]) -> None:
    """Record the rows as demo data (contiguous runs), so a re-run removes them."""
    table = model._meta.db_table
    runs: list[list[int]] = []
    for pk in sorted(pks):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    DemoRange.objects.bulk_create(DemoRange(table=table, first_id=a, last_id=b) for a, b in runs)


def purchase_orders_write(*, sim: Simulator, world: World, base: dict[str, int]) -> int:
    """Write the demo's purchase orders after the products and movements; returns how many."""
    T = world.tables
    supplier_pk = np.asarray(T["products"]["supplier"])
    supplier_idx = sim.p["supplier"]
    cost = T["products"]["cost"]
    leads = [s[1] for s in world.suppliers]
    D = sim.cfg.days
    today = dt.date.fromisoformat(str(sim.dates[D - 1]))
    product_pk = lambda i: base["products"] + int(i)  # noqa: E731

    def unit_cost(i: int) -> Decimal:
        return Decimal(str(cost[i])).quantize(Decimal("0.01"))

    orders: list[PurchaseOrder] = []
    lines: list[list[tuple[int, int, int]]] = []  # per order: (product index, ordered, received)
    movement_ids: list[list[int]] = []  # per order: the restock movements it explains

    # 1) received: the latest restock deliveries, grouped by supplier and day
    rp, rd, rq = sim.restocks
    n_pre = int((sim.p["launch"] < 0).sum())
    moved_at = np.asarray(T["movements"]["created_at"])
    groups: dict[tuple[int, int], list[int]] = {}
    for k in range(len(rp)):
        groups.setdefault((int(rd[k]), int(supplier_idx[rp[k]])), []).append(k)
    for day, s in sorted(groups, reverse=True)[:RECEIVED_ORDERS]:
        ks = groups[(day, s)]
        received = _when(int(moved_at[n_pre + ks[0]]))
        sent = received - dt.timedelta(days=leads[s])
        orders.append(
            PurchaseOrder(
                supplier_id=int(supplier_pk[rp[ks[0]]]),
                status=PurchaseOrder.Status.RECEIVED,
                expected_date=(sent + dt.timedelta(days=leads[s])).date(),
                created_at=sent - dt.timedelta(hours=1),
                sent_at=sent,
                received_at=received,
            )
        )
        lines.append([(int(rp[k]), int(rq[k]), int(rq[k])) for k in ks])
        movement_ids.append([base["movements"] + n_pre + k for k in ks])

    # 2) sent: what the simulated store ordered that has not arrived yet, one order per
    # supplier and order day. The expected date is the simulated arrival (day D is the 24 h
    # after now), so always after the store's today: the supplier's nominal lead from the
    # order day is already past for a late delivery.
    now_local = timezone.localdate(_when(sim.anchor_us))
    pending_day, pending_qty, ordered_day = sim.pending
    on_way = np.flatnonzero(pending_day >= 0)
    batches: dict[tuple[int, int], list[int]] = {}
    for i in on_way.tolist():
        batches.setdefault((int(ordered_day[i]), int(supplier_idx[i])), []).append(int(i))
    for day, s in sorted(batches):
        idx = batches[(day, s)]
        sent = _when(int(sim.day_end_us[day]) - US_PER_DAY // 3)
        arrives = max(int(pending_day[i]) for i in idx)  # the order is in when all of it is
        orders.append(
            PurchaseOrder(
                supplier_id=int(supplier_pk[idx[0]]),
                status=PurchaseOrder.Status.SENT,
                expected_date=now_local + dt.timedelta(days=max(arrives - (D - 1), 1)),
                created_at=sent - dt.timedelta(hours=1),
                sent_at=sent,
            )
        )
        lines.append([(i, int(pending_qty[i]), 0) for i in idx])
        movement_ids.append([])

    # 3) a draft: the supplier with most products near their reorder point, nothing on order
    launched = sim.p["launch"] <= D - 1
    low = np.flatnonzero(
        launched & (pending_day < 0) & (sim.final_on_hand <= np.ceil(sim.rop * 1.5))
    )
    if len(low):
        counts = np.bincount(supplier_idx[low], minlength=len(leads))
        s = int(np.argmax(counts))
        idx = [int(i) for i in low if supplier_idx[i] == s][:DRAFT_LINES]
        made = _when(sim.anchor_us - 2 * 3_600_000_000)
        orders.append(
            PurchaseOrder(
                supplier_id=int(supplier_pk[idx[0]]),
                status=PurchaseOrder.Status.DRAFT,
                expected_date=today + dt.timedelta(days=leads[s]),
                created_at=made,
            )
        )
        lines.append([(i, int(sim.order_qty[i]), 0) for i in idx])
        movement_ids.append([])

    if not orders:
        return 0
    created = PurchaseOrder.objects.bulk_create(orders)
    po_lines = [
        PurchaseOrderLine(
            purchase_order=order,
            product_id=product_pk(i),
            quantity_ordered=ordered,
            quantity_received=got,
            unit_cost=unit_cost(i),
        )
        for order, rows in zip(created, lines, strict=True)
        for i, ordered, got in rows
    ]
    made_lines = PurchaseOrderLine.objects.bulk_create(po_lines)
    for order, ids in zip(created, movement_ids, strict=True):
        if ids:  # the deliveries name the order they came on
            StockMovement.objects.filter(pk__in=ids).update(reference=order.number)
    _remember(PurchaseOrder, [o.pk for o in created])
    _remember(PurchaseOrderLine, [li.pk for li in made_lines])
    return len(created)


def merchant_lines_detach() -> dict[int, str]:
    """Before the demo catalogue is replaced: the merchant's own purchase order lines on demo
    products (line id -> SKU), pointed away from those products so they can go.

    The line's product is PROTECTed, so left alone it would keep the old demo product and the
    new one with the same SKU could not be written. Foreign keys are checked at commit, by
    which time ``merchant_lines_attach`` has pointed every line at a product again."""
    ranges = {
        t: list(DemoRange.objects.filter(table=t).values_list("first_id", "last_id"))
        for t in (Product._meta.db_table, PurchaseOrderLine._meta.db_table)
    }
    demo_products = ranges[Product._meta.db_table]
    if not demo_products:
        return {}
    lines = PurchaseOrderLine.objects.filter(_range_q(demo_products, "product_id"))
    if ranges[PurchaseOrderLine._meta.db_table]:
        lines = lines.exclude(_range_q(ranges[PurchaseOrderLine._meta.db_table]))
    skus = dict(lines.values_list("pk", "product__sku"))
    for pk in skus:  # a dangling id, unique per line (the (order, product) pair stays unique)
        PurchaseOrderLine.objects.filter(pk=pk).update(product_id=-pk)
    return skus


def merchant_lines_attach(skus: dict[int, str]) -> int:
    """Point the detached lines at the new demo product with the same SKU; a line whose SKU
    the new demo does not have (another scale or seed) is removed. Returns lines removed."""
    if not skus:
        return 0
    by_sku = dict(Product.objects.filter(sku__in=set(skus.values())).values_list("sku", "pk"))
    gone = [pk for pk, sku in skus.items() if sku not in by_sku]
    PurchaseOrderLine.objects.filter(pk__in=gone).delete()
    for pk, sku in skus.items():
        if sku in by_sku:
            PurchaseOrderLine.objects.filter(pk=pk).update(product_id=by_sku[sku])
    return len(gone)
