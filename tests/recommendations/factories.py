"""Order history for recommendation tests (written directly: checkout is not under test)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from catalog.models import Product
from customers.models import Customer
from orders.models import Order, OrderLine

_numbers = itertools.count(1)


def purchase(
    *, customer: Customer | None, products: list[Product], when: datetime | None = None
) -> Order:
    n = next(_numbers)
    total = sum((p.price for p in products), Decimal("0"))
    order = Order.objects.create(
        number=f"T{n:07d}",
        customer=customer,
        idempotency_key=f"key-{n}",
        status=Order.Status.PAID,
        email="shopper@example.com",
        subtotal=total,
        total=total,
        placed_at=when or timezone.now(),
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=p,
                sku=p.sku,
                name=p.name,
                unit_price=p.price,
                quantity=1,
                line_total=p.price,
            )
            for p in products
        ]
    )
    return order


def history(*, customers: list[Customer], groups: list[list[Product]], weeks: int = 6) -> None:
    """Customer k re-buys the first three products of group k % len(groups) every week and
    one more product of the group in rotation, so the store has taste groups, re-buys and
    baskets that go together."""
    now = timezone.now()
    for k, customer in enumerate(customers):
        group = groups[k % len(groups)]
        for week in range(weeks):
            extra = group[3 + (k + week) % max(1, len(group) - 3)] if len(group) > 3 else group[0]
            purchase(
                customer=customer,
                products=[*group[:3], extra],
                when=now - timedelta(days=7 * (weeks - week) - k % 3),
            )
