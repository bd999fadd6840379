"""Orders as other apps see them (fraud review, ML training, support facts)."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pandas as pd

from orders import selectors, services
from orders.models import Order


@dataclass(frozen=True, slots=True)
class OrderInfo:
    id: int
    number: str
    customer_id: int | None
    status: str
    total: Decimal
    currency: str
    placed_at: datetime
    item_count: int
    refunded: Decimal
    has_chargeback: bool
    # to check a guest's "order number + e-mail"; kept out of reprs, so out of logs
    email: str = field(default="", repr=False)


def order_get(order_id: int) -> OrderInfo:
    order = Order.objects.prefetch_related("lines", "refunds", "chargebacks").get(pk=order_id)
    return _info(order)


def order_get_by_number(number: str) -> OrderInfo | None:
    order = (
        Order.objects.prefetch_related("lines", "refunds", "chargebacks")
        .filter(number=number)
        .first()
    )
    return _info(order) if order else None


def _info(order: Order) -> OrderInfo:
    return OrderInfo(
        id=order.pk,
        number=order.number,
        customer_id=order.customer_id,
        status=order.status,
        total=order.total,
        currency=order.currency,
        placed_at=order.placed_at,
        item_count=sum(line.quantity for line in order.lines.all()),
        refunded=sum((r.amount for r in order.refunds.all()), Decimal("0")),
        has_chargeback=bool(order.chargebacks.all()),
        email=order.email,
    )


@dataclass(frozen=True, slots=True)
class OrderLineSnapshot:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True, slots=True)
class RefundSnapshot:
    id: int
    amount: Decimal
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FulfilmentSnapshot:
    carrier: str
    tracking_number: str
    shipped_at: datetime


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """An order as the merchant's own systems receive it (webhooks): money in ``currency``."""

    id: int
    number: str
    status: str
    currency: str
    subtotal: Decimal
    discount: Decimal
    voucher_code: str
    shipping: Decimal
    total: Decimal
    placed_at: datetime
    updated_at: datetime
    lines: tuple[OrderLineSnapshot, ...]
    refunds: tuple[RefundSnapshot, ...]
    fulfilments: tuple[FulfilmentSnapshot, ...]
    shipping_method: str = ""  # the delivery method's name at checkout; '' on older orders
    email: str = field(default="", repr=False)  # kept out of reprs, so out of logs


def order_snapshot(order_id: int) -> OrderSnapshot | None:
    """The order with its lines, refunds and parcels in 4 queries; None if there is none."""
    order = (
        Order.objects.prefetch_related("lines", "refunds", "fulfilments")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return None
    return OrderSnapshot(
        id=order.pk,
        number=order.number,
        status=order.status,
        currency=order.currency,
        subtotal=order.subtotal,
        discount=order.discount,
        voucher_code=order.voucher_code,
        shipping=order.shipping,
        shipping_method=order.shipping_method_name,
        total=order.total,
        placed_at=order.placed_at,
        updated_at=order.updated_at,
        lines=tuple(
            OrderLineSnapshot(
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
            for line in order.lines.all()
        ),
        refunds=tuple(
            RefundSnapshot(id=r.pk, amount=r.amount, reason=r.reason, created_at=r.created_at)
            for r in order.refunds.all()
        ),
        fulfilments=tuple(
            FulfilmentSnapshot(
                carrier=f.carrier, tracking_number=f.tracking_number, shipped_at=f.shipped_at
            )
            for f in order.fulfilments.all()
        ),
        email=order.email,
    )


def free_delivery_from() -> Decimal | None:
    """The goods total from which the shop delivers free (its banners' promise), or None."""
    return selectors.free_delivery_from()


def order_lines_frame(since: datetime | None = None) -> pd.DataFrame:
    return selectors.order_lines_frame(since=since)


def order_hold_for_review(order_id: int, note: str = "held for review") -> None:
    services.order_hold_for_review(order_id=order_id, note=note)


def order_risk_decide(order_id: int, *, notify: bool = True) -> str:
    """Run checkout's risk decision on a pending order placed in bulk; its status after.
    ``notify=False``: no e-mail to the shopper (simulated orders)."""
    return services.order_risk_decide(order_id=order_id, notify=notify).status


def order_approve(order_id: int, note: str = "approved after review") -> None:
    services.order_approve(order_id=order_id, note=note)


def order_cancel(order_id: int, note: str = "cancelled") -> None:
    services.order_cancel(order_id=order_id, note=note)


def card_fingerprint(number: str) -> str:
    """The keyed fingerprint checkout stores for a card number (digits only); the number
    itself is never stored (fraud's card block lists accept a number and keep this)."""
    return services.card_fingerprint(number)
