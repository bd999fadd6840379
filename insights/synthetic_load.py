"""Write a ``insights.ml.synthetic`` store into the database (tests and bench/dashboard.py).

Bulk inserts for speed: customers without accounts, one product per order line, events as
generated. Not used by the running store.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import transaction

from insights.ml.synthetic import SyntheticStore


@transaction.atomic
def synthetic_store_load(
    store: SyntheticStore, *, product_ids: list[int], seed: int = 0, batch: int = 5000
) -> dict[int, int]:
    """Insert customers, paid orders (+ lines) and events; returns synthetic -> real customer id."""
    from catalog.models import Product
    from customers.models import Customer, Event
    from orders.models import Order, OrderLine

    rng = np.random.default_rng(seed)
    products = {p.pk: p for p in Product.objects.filter(pk__in=product_ids)}
    customers = Customer.objects.bulk_create(
        [Customer(created_at=ts.to_pydatetime()) for ts in store.customers["created_at"]],
        batch_size=batch,
    )
    id_map = {
        int(cid): c.pk for cid, c in zip(store.customers["customer_id"], customers, strict=True)
    }
    chosen = rng.choice(list(products), size=len(store.orders))
    order_rows = []
    for row in store.orders.itertuples(index=False):
        total = Decimal(str(row.total)).quantize(Decimal("0.01"))
        order_rows.append(
            Order(
                number=f"S{row.order_id:09d}",
                customer_id=id_map[int(row.customer_id)],
                idempotency_key=f"syn-{row.order_id}",
                status=Order.Status.PAID,
                email="synthetic@example.invalid",
                subtotal=total,
                total=total,
                placed_at=row.placed_at.to_pydatetime(),
            )
        )
    created = Order.objects.bulk_create(order_rows, batch_size=batch)
    lines = []
    for order, pid in zip(created, chosen, strict=True):
        product = products[int(pid)]
        lines.append(
            OrderLine(
                order=order,
                product=product,
                sku=product.sku,
                name=product.name,
                unit_price=order.total,
                quantity=1,
                line_total=order.total,
            )
        )
    OrderLine.objects.bulk_create(lines, batch_size=batch)
    ev = store.events
    ev_products = rng.choice(list(products), size=len(ev))
    cust = ev["customer_id"].to_numpy()
    Event.objects.bulk_create(
        (
            Event(
                type=t,
                session_id=s,
                customer_id=None if pd.isna(c) else id_map[int(c)],
                product_id=int(p),
                created_at=ts.to_pydatetime(),
            )
            for t, s, c, p, ts in zip(
                ev["type"], ev["session_id"], cust, ev_products, ev["created_at"], strict=True
            )
        ),
        batch_size=batch,
    )
    return id_map
