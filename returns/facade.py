"""Returns as other apps see them: webhook facts (no personal data) and the customer's
export and erasure (``customers`` calls ``customer_data_export``/``customer_data_erase``)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from returns import selectors, services
from returns.models import ReturnRequest


@dataclass(frozen=True, slots=True)
class ReturnLineInfo:
    sku: str
    name: str
    quantity: int
    reason: str
    restocked: bool


@dataclass(frozen=True, slots=True)
class ReturnInfo:
    """A return as a webhook carries it: never the shopper's comments or e-mail. Money in
    ``currency``; ``refund_amount`` None until refunded."""

    id: int
    number: str
    status: str
    order_number: str
    currency: str
    refund_amount: Decimal | None
    include_shipping: bool
    created_at: datetime
    refunded_at: datetime | None
    lines: tuple[ReturnLineInfo, ...]


def return_event_info(*, return_id: int) -> ReturnInfo | None:
    """The return with its lines in 3 queries; None if it is gone."""
    r = (
        ReturnRequest.objects.select_related("order")
        .prefetch_related("lines__order_line")
        .filter(pk=return_id)
        .first()
    )
    if r is None:
        return None
    return ReturnInfo(
        id=r.pk,
        number=r.number,
        status=r.status,
        order_number=r.order.number,
        currency=r.order.currency,
        refund_amount=r.refund_amount,
        include_shipping=r.include_shipping,
        created_at=r.created_at,
        refunded_at=r.refunded_at,
        lines=tuple(
            ReturnLineInfo(
                sku=line.order_line.sku,
                name=line.order_line.name,
                quantity=line.quantity,
                reason=line.reason,
                restocked=line.restocked,
            )
            for line in r.lines.all()
        ),
    )


def customer_data_export(*, customer_id: int) -> list[dict[str, object]]:
    """The customer's return requests, with their comments (GDPR art. 15/20)."""
    return selectors.returns_export(customer_id=customer_id)


def customer_data_erase(*, customer_id: int) -> None:
    """Blank the comments the customer wrote on their returns (GDPR art. 17)."""
    services.returns_erase(customer_id=customer_id)
