"""Pricing test data: sales histories with a planted elasticity, proposals, an active model."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import factory
import numpy as np
import pandas as pd
from django.utils import timezone

from catalog.models import PriceHistory, Product
from mlops import facade as mlops
from orders.models import Order, OrderLine
from pricing.ml.elasticity import ElasticityEstimator
from pricing.models import PriceProposal
from tests.factories import ProductFactory


def make_sales(
    product: Product,
    *,
    elasticity: float,
    days: int = 150,
    base: float = 12.0,
    now: datetime | None = None,
    seed: int = 0,
) -> None:
    """Backdated price changes (PriceHistory) and one order per day with Poisson units at
    base * (price / start price) ** elasticity. Leaves the product at the last price."""
    rng = np.random.default_rng(seed)
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    start -= timedelta(days=days)
    p0 = float(product.price)
    price = p0
    orders, lines, history = [], [], []
    for d in range(days):
        day = start + timedelta(days=d)
        if d == 0 or d % 10 == 0:
            price = round(p0 * float(np.exp(rng.uniform(-0.2, 0.2))), 2)
            history.append(
                PriceHistory(
                    product=product,
                    price=Decimal(f"{price:.2f}"),
                    changed_at=day - timedelta(hours=2),
                    source="demo",
                )
            )
        qty = int(rng.poisson(base * (price / p0) ** elasticity))
        if qty:
            unit = Decimal(f"{price:.2f}")
            order = Order(
                number=f"T{product.pk}-{d}",
                idempotency_key=f"k{product.pk}-{d}",
                status="paid",
                email="t@example.com",
                subtotal=unit * qty,
                total=unit * qty,
                placed_at=day + timedelta(hours=3),
            )
            orders.append(order)
            lines.append((order, unit, qty))
    PriceHistory.objects.bulk_create(history)
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=o,
            product=product,
            sku=product.sku,
            name=product.name,
            unit_price=u,
            quantity=q,
            line_total=u * q,
        )
        for o, u, q in lines
    )
    Product.objects.filter(pk=product.pk).update(price=Decimal(f"{price:.2f}"))
    product.refresh_from_db()


def activate_model(elasticities: dict[int, float]) -> None:
    """Register and activate a pricing model whose estimates are these elasticities (each
    product gets a short synthetic history with that response, so the fit recovers it)."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2025-01-01", periods=200, freq="D")
    frames = []
    for pid, e in elasticities.items():
        price = 10 * np.exp(rng.uniform(-0.3, 0.3, dates.size))
        q = rng.poisson(200 * (price / 10) ** e)
        frames.append(
            pd.DataFrame({"product_id": pid, "date": dates, "price": price, "quantity": q})
        )
    est = ElasticityEstimator().fit(pd.concat(frames))
    mlops.model_version_register_and_activate(
        force=True,
        capability="pricing",
        artifact=est,
        params={},
        metrics={"holdout_wape": 0.3},
        primary_metric="holdout_wape",
        higher_is_better=False,
    )


class PriceProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceProposal

    product = factory.SubFactory(ProductFactory)
    objective = "profit"
    current_price = factory.LazyAttribute(lambda o: o.product.price)
    proposed_price = factory.LazyAttribute(lambda o: o.product.price + Decimal("1.00"))
    cost = factory.LazyAttribute(lambda o: o.product.cost)
    allowed_min = Decimal("1.00")
    allowed_max = Decimal("100.00")
    elasticity = -2.0
    elasticity_low = -2.5
    elasticity_high = -1.5
    units_current = 10.0
    units_new = 9.0
    revenue_current = Decimal("200.00")
    revenue_new = Decimal("189.00")
    profit_current = Decimal("80.00")
    profit_new = Decimal("81.00")
    bound_by = "max_change"
