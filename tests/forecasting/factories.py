"""Forecasting test data: backdated daily sales with a weekly pattern, stock movements
consistent with current stock, and planted stockouts."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.utils import timezone

from catalog.models import Product, Stock, StockMovement
from orders.models import Order, OrderLine
from tests.factories import ProductFactory, SupplierFactory

WEEKLY = np.array([1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 0.6])


def make_store(
    *,
    rates: list[float],
    days: int = 120,
    stockout_last_days: dict[int, int] | None = None,
    on_hand: dict[int, int] | None = None,
    lead_time_days: int = 7,
    seed: int = 0,
    now: datetime | None = None,
) -> list[Product]:
    """One product per daily rate. ``stockout_last_days={i: k}``: product i sold out k days
    before today and has not been restocked (its sales those days are 0, its stock 0).
    ``on_hand={i: n}`` sets the units left now for other products."""
    rng = np.random.default_rng(seed)
    now = now or timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days)
    supplier = SupplierFactory(lead_time_days=lead_time_days)
    stockout_last_days = stockout_last_days or {}
    on_hand = on_hand or {}
    products = []
    orders, lines, moves = [], [], []
    for i, rate in enumerate(rates):
        product = ProductFactory(supplier=supplier, with_stock=0)
        Product.objects.filter(pk=product.pk).update(created_at=start - timedelta(days=1))
        dow = np.array([(start + timedelta(days=d)).weekday() for d in range(days)])
        sales = rng.poisson(rate * WEEKLY[dow]).astype(int)
        out = stockout_last_days.get(i, 0)
        if out:
            sales[days - out :] = 0
        for d in np.flatnonzero(sales):
            at = start + timedelta(days=int(d), hours=12)
            order = Order(
                number=f"F{product.pk}-{d}",
                idempotency_key=f"f{product.pk}-{d}",
                status="paid",
                email="t@example.com",
                subtotal=product.price * int(sales[d]),
                total=product.price * int(sales[d]),
                placed_at=at,
            )
            orders.append(order)
            lines.append((order, product, int(sales[d])))
            moves.append(
                StockMovement(
                    product=product, quantity=-int(sales[d]), reason="sale", created_at=at
                )
            )
        left = 0 if out else on_hand.get(i, int(sales.sum() // 3) + 20)
        opening = int(sales.sum()) + left
        moves.append(
            StockMovement(
                product=product,
                quantity=opening,
                reason="adjustment",
                created_at=start - timedelta(hours=1),
            )
        )
        Stock.objects.filter(product=product).update(on_hand=left)
        products.append(product)
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=o,
            product=p,
            sku=p.sku,
            name=p.name,
            unit_price=p.price,
            quantity=q,
            line_total=p.price * q,
        )
        for o, p, q in lines
    )
    StockMovement.objects.bulk_create(moves)
    return products


def price(value: str) -> Decimal:
    return Decimal(value)
