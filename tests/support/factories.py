"""Support test helpers: orders as direct rows, a trained triage model made active."""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from typing import Any

from django.utils import timezone

from orders.models import Order

_numbers = count(1)


def order_create(*, customer: Any, status: str = Order.Status.PAID, total: str = "40.00") -> Order:
    n = next(_numbers)
    return Order.objects.create(
        number=f"2611-AB{n:06d}",
        customer=customer,
        idempotency_key=f"support-{n}",
        status=status,
        email="shopper@example.com",
        subtotal=Decimal(total),
        total=Decimal(total),
        placed_at=timezone.now(),
    )


def model_activate(triager: Any) -> None:
    from mlops import facade as mlops

    mlops.model_version_register_and_activate(
        capability="support",
        artifact=triager,
        params={},
        metrics={"validation_macro_f1": 1.0},
        primary_metric="validation_macro_f1",
        force=True,
    )
