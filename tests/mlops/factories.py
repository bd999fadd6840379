"""Orders, lines and events for dashboard and insights tests (direct rows, no checkout)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count

from catalog.models import Product
from customers.models import Customer, Event
from orders.models import Order, OrderLine

_numbers = count(1)


def order_create(
    *,
    customer: Customer | None,
    products: list[tuple[Product, int]],
    placed_at: datetime,
    status: str = Order.Status.PAID,
) -> Order:
    n = next(_numbers)
    subtotal = sum((p.price * q for p, q in products), Decimal("0"))
    order = Order.objects.create(
        number=f"T{n:08d}",
        customer=customer,
        idempotency_key=f"key-{n}",
        status=status,
        email="shopper@example.com",
        subtotal=subtotal,
        total=subtotal,
        placed_at=placed_at,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=p,
                sku=p.sku,
                name=p.name,
                unit_price=p.price,
                quantity=q,
                line_total=p.price * q,
            )
            for p, q in products
        ]
    )
    return order


def events_create(
    *,
    session_id: str,
    types: list[str],
    at: datetime,
    customer: Customer | None = None,
    product: Product | None = None,
) -> None:
    Event.objects.bulk_create(
        [
            Event(type=t, session_id=session_id, customer=customer, product=product, created_at=at)
            for t in types
        ]
    )
