"""Fraud test data: checkout through the real service, and a seeded labelled order history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone

from customers.models import Customer
from fraud.models import RiskRule
from fraud.rules import rule_compile
from fraud.selectors import RULE_FIELDS
from orders import services as orders
from orders.models import Chargeback, Order, Payment
from tests.factories import ADDRESS, GOOD_CARD, CartFactory, CartLineFactory, ProductFactory


def checkout(
    *,
    customer: Customer | None = None,
    price: str = "20.00",
    quantity: int = 1,
    card: str = GOOD_CARD,
    ip_country: str = "GB",
    device_id: str = "dev-1",
    ip_address: str = "10.0.0.1",
    shipping: dict[str, Any] | None = None,
    billing: dict[str, Any] | None = None,
    key: str = "k1",
) -> Order:
    cart = CartFactory(customer=customer)
    CartLineFactory(
        cart=cart, product=ProductFactory(price=Decimal(price), with_stock=50), quantity=quantity
    )
    return orders.order_place(
        cart_id=cart.pk,
        idempotency_key=key,
        email="shopper@example.com",
        shipping_address=shipping or ADDRESS,
        billing_address=billing,
        card=orders.CardInput(card),
        context=orders.PaymentContext(
            ip_address=ip_address, ip_country=ip_country, device_id=device_id
        ),
    )


def rule(name: str, expression: str, action: str, position: int = 100) -> tuple[RiskRule, Any]:
    """An unsaved rule with its compiled expression, as `selectors.rules_active` returns."""
    obj = RiskRule(name=name, expression=expression, action=action, position=position)
    return obj, rule_compile(expression, known_names=RULE_FIELDS)


def store_history(
    *, customers: int = 80, days: int = 120, seed: int = 0, fraud_signal: bool = True
) -> dict[str, int]:
    """Bulk-create a labelled order history: regular shoppers, plus stolen cards used from
    fraud devices shared across accounts, abroad, for big baskets, charged back 3 weeks later.
    With `fraud_signal=False` the charged-back orders look like every other order (labels
    independent of the features): no model can do better than chance on such a store.
    """
    rng = np.random.default_rng(seed)
    now = timezone.now()
    start = now - timedelta(days=days)
    custs = Customer.objects.bulk_create(
        [
            Customer(created_at=start - timedelta(days=int(rng.integers(1, 400))))
            for _ in range(customers)
        ]
    )
    order_rows: list[Order] = []
    pay_rows: list[dict[str, Any]] = []
    fraud_idx: list[int] = []
    n = 0
    for c in custs:
        card = f"card-{c.pk}"
        device = f"dev-{c.pk}"
        for _ in range(int(rng.integers(3, 9))):
            placed = start + timedelta(days=float(rng.uniform(0, days)))
            charged_back = rng.random() < 0.12
            fraud = charged_back and fraud_signal
            amount = Decimal(str(round(float(rng.gamma(2, 25)) * (6 if fraud else 1), 2)))
            order_rows.append(
                Order(
                    number=f"T{n:06d}",
                    customer=c,
                    idempotency_key=f"h{n}",
                    status=Order.Status.PAID,
                    email="x@example.com",
                    subtotal=amount,
                    total=amount,
                    shipping_address={
                        **ADDRESS,
                        "line1": f"{n} Fraud Road" if fraud else "1 High Street",
                    },
                    billing_address=ADDRESS,
                    placed_at=placed,
                )
            )
            pay_rows.append(
                {
                    "amount": amount,
                    "card_fingerprint": f"stolen-{rng.integers(0, 30)}" if fraud else card,
                    "device_id": f"fraud-dev-{rng.integers(0, 3)}" if fraud else device,
                    "ip_address": f"10.9.9.{rng.integers(0, 3)}"
                    if fraud
                    else f"10.1.{c.pk % 250}.1",
                    "ip_country": "NG" if fraud else "GB",
                    "bin_country": "US" if fraud else "GB",
                    "created_at": placed,
                }
            )
            if charged_back:
                fraud_idx.append(n)
            n += 1
    created = Order.objects.bulk_create(order_rows)
    Payment.objects.bulk_create(
        [
            Payment(
                order=o, status=Payment.Status.CAPTURED, card_last4="4242", card_brand="visa", **p
            )
            for o, p in zip(created, pay_rows, strict=True)
        ]
    )
    cbs = [
        Chargeback(
            order=created[i],
            amount=created[i].total,
            received_at=created[i].placed_at + timedelta(days=21),
        )
        for i in fraud_idx
        if created[i].placed_at + timedelta(days=21) < now
    ]
    Chargeback.objects.bulk_create(cbs)
    return {"orders": len(created), "chargebacks": len(cbs)}


GOOD_CARD_2 = "5555555555554444"
__all__ = ["ADDRESS", "GOOD_CARD", "GOOD_CARD_2", "checkout", "rule", "store_history"]
