"""Writes of the returns app: a shopper's request, and the merchant's approve, reject,
receive (restock) and refund. Each step is one transaction; e-mails and webhooks go out
after it commits, and nothing at all when it rolls back."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import facade as catalog
from catalog.money import q2
from orders.models import Order
from returns import selectors
from returns.models import ReturnLine, ReturnRequest
from storefront.api_errors import ServiceError
from storefront.emails import email_send
from webhooks import facade as webhooks

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 1000
NOTE_MAX_LENGTH = 500
STOCK_REASON_RETURN = "return"  # catalog's StockMovement.Reason.RETURN

ReturnEmailKind = Literal["requested", "approved", "rejected", "refunded"]


@dataclass(frozen=True, slots=True)
class ReturnLineInput:
    order_line_id: int
    quantity: int
    reason: str
    comment: str = ""


def _lines_clean(lines: Sequence[ReturnLineInput]) -> list[ReturnLineInput]:
    if not lines:
        raise ServiceError("choose at least one item to return", field="lines")
    seen: set[int] = set()
    cleaned = []
    for line in lines:
        if line.order_line_id in seen:
            raise ServiceError("each item once: add up its units instead", field="lines")
        seen.add(line.order_line_id)
        if line.reason not in ReturnLine.Reason.values:
            raise ServiceError(f"unknown reason {line.reason!r}", field="lines")
        comment = line.comment.strip()
        if len(comment) > COMMENT_MAX_LENGTH:
            raise ServiceError(f"comment: at most {COMMENT_MAX_LENGTH} characters", field="lines")
        if line.reason == ReturnLine.Reason.OTHER and not comment:
            raise ServiceError("tell us the reason in the comment", field="lines")
        if line.quantity < 1:
            raise ServiceError("return at least 1 unit of each chosen item", field="lines")
        cleaned.append(
            ReturnLineInput(
                order_line_id=line.order_line_id,
                quantity=line.quantity,
                reason=line.reason,
                comment=comment,
            )
        )
    return cleaned


def _return_number(order: Order) -> str:
    count = ReturnRequest.objects.filter(order=order).count()  # under the order's lock
    return f"{order.number}-R{count + 1}"


@transaction.atomic
def return_request_create(*, order_id: int, lines: Sequence[ReturnLineInput]) -> ReturnRequest:
    """Ask to return units of a shipped order's lines, within the return window. Never more
    units of a line than bought minus those already in a return that was not rejected.

    Refused with a ``ServiceError`` (400; ``lines`` or ``order``); then nothing is written.
    After commit: the shopper is e-mailed the return instructions, ``return.requested``.
    """
    cleaned = _lines_clean(lines)
    # the order's lock makes two tabs asking at once queue, so they cannot both take the
    # last returnable unit
    order = Order.objects.select_for_update().get(pk=order_id)
    returnability = selectors.order_returnability(order=order)
    if not returnability.eligible:
        raise ServiceError(returnability.refusal, field="order")
    by_id = {line.order_line_id: line for line in returnability.lines}
    for line in cleaned:
        known = by_id.get(line.order_line_id)
        if known is None:
            raise ServiceError("that item is not in this order", field="lines")
        if line.quantity > known.returnable:
            left = (
                f"only {known.returnable} more can be returned"
                if known.returnable
                else "it is already in a return"
            )
            raise ServiceError(f"{known.name}: {left}", field="lines")
    return_request = ReturnRequest.objects.create(number=_return_number(order), order=order)
    ReturnLine.objects.bulk_create(
        ReturnLine(
            return_request=return_request,
            order_line_id=line.order_line_id,
            quantity=line.quantity,
            reason=line.reason,
            comment=line.comment,
        )
        for line in cleaned
    )
    return_email_on_commit(return_id=return_request.pk, kind="requested")
    webhooks.event_emit(event="return.requested", return_id=return_request.pk)
    return return_request


def _locked(return_id: int) -> tuple[Order, ReturnRequest]:
    """The return and its order, locked order first (as refunds and requests lock it)."""
    order_id = ReturnRequest.objects.filter(pk=return_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise ServiceError("no such return", field="return", status=404, code="not_found")
    order = Order.objects.select_for_update().get(pk=order_id)
    return order, ReturnRequest.objects.select_for_update().get(pk=return_id)


def _refuse_unless(return_request: ReturnRequest, *statuses: str, doing: str) -> None:
    if return_request.status not in statuses:
        raise ServiceError(
            f"return {return_request.number} is {return_request.status}; cannot {doing}",
            field="status",
        )


def _decide(*, return_id: int, note: str, status: str, doing: str) -> ReturnRequest:
    note = " ".join(note.split())
    if len(note) > NOTE_MAX_LENGTH:
        raise ServiceError(f"note: at most {NOTE_MAX_LENGTH} characters", field="note")
    _, return_request = _locked(return_id)
    _refuse_unless(return_request, ReturnRequest.Status.REQUESTED, doing=doing)
    return_request.status = status
    return_request.merchant_note = note
    return_request.decided_at = timezone.now()
    return_request.save(update_fields=["status", "merchant_note", "decided_at", "updated_at"])
    kind: ReturnEmailKind = "approved" if status == ReturnRequest.Status.APPROVED else "rejected"
    return_email_on_commit(return_id=return_request.pk, kind=kind)
    return return_request


@transaction.atomic
def return_approve(*, return_id: int, note: str = "") -> ReturnRequest:
    """Accept a requested return; the shopper is e-mailed the note and to send the parcel."""
    return _decide(
        return_id=return_id, note=note, status=ReturnRequest.Status.APPROVED, doing="approve"
    )


@transaction.atomic
def return_reject(*, return_id: int, note: str = "") -> ReturnRequest:
    """Refuse a requested return; the shopper is e-mailed the note (say why). Its units can
    be asked for again."""
    return _decide(
        return_id=return_id, note=note, status=ReturnRequest.Status.REJECTED, doing="reject"
    )


def refund_parts(
    *, order: Order, return_request: ReturnRequest, include_shipping: bool
) -> tuple[Decimal, Decimal]:
    """(goods, delivery) the shopper paid for the returned units, in the order's currency:
    each unit at its price less its share of the order's discount; the delivery only if
    asked and no other return of the order paid it back already. Not capped here."""
    goods = sum(
        (line.order_line.unit_price * line.quantity for line in return_request.lines.all()),
        Decimal("0"),
    )
    if order.discount and order.subtotal:
        goods = goods * (order.subtotal - order.discount) / order.subtotal
    shipping_paid_back = (
        ReturnRequest.objects.filter(order=order, include_shipping=True, refund__isnull=False)
        .exclude(pk=return_request.pk)
        .exists()
    )
    shipping = order.shipping if include_shipping and not shipping_paid_back else Decimal("0")
    return q2(goods), q2(shipping)


def _refund_locked(order: Order, return_request: ReturnRequest, *, include_shipping: bool) -> None:
    from orders.services import refund_create  # the one refund path: payout, status, webhook

    refunded = sum((r.amount for r in order.refunds.all()), Decimal("0"))
    remaining = order.total - refunded
    if remaining <= 0:
        raise ServiceError(f"order {order.number} has nothing left to refund", field="refund")
    goods, shipping = refund_parts(
        order=order, return_request=return_request, include_shipping=include_shipping
    )
    # a refund made by hand before can leave less than the units cost: never pay out more
    # than the order has left
    amount = min(goods + shipping, remaining)
    refund = refund_create(
        order_id=order.pk,
        amount=amount,
        reason=f"return {return_request.number}",
        notify=False,  # the return's own mail says what was refunded, and for which items
        idempotency_key=f"return:{return_request.pk}",
    )
    return_request.refund = refund
    return_request.refund_amount = refund.amount
    return_request.include_shipping = shipping > 0
    return_request.status = ReturnRequest.Status.REFUNDED
    return_request.refunded_at = timezone.now()
    return_request.save(
        update_fields=[
            "refund",
            "refund_amount",
            "include_shipping",
            "status",
            "refunded_at",
            "updated_at",
        ]
    )
    return_email_on_commit(return_id=return_request.pk, kind="refunded")
    webhooks.event_emit(event="return.refunded", return_id=return_request.pk)


@transaction.atomic
def return_receive(
    *,
    return_id: int,
    restock_line_ids: Iterable[int] = (),
    refund: bool = True,
    include_shipping: bool = False,
) -> ReturnRequest:
    """The parcel of an approved return arrived: put the chosen lines (``ReturnLine`` ids)
    back on sale through the catalog's stock service, and with ``refund`` pay the units
    back (see ``return_refund``). All of it or nothing."""
    order, return_request = _locked(return_id)
    _refuse_unless(return_request, ReturnRequest.Status.APPROVED, doing="mark it received")
    lines = list(return_request.lines.select_related("order_line").order_by("pk"))
    wanted = set(restock_line_ids)
    unknown = wanted - {line.pk for line in lines}
    if unknown:
        raise ServiceError("restock only lines of this return", field="restock")
    restock = [line for line in lines if line.pk in wanted]
    for line in restock:
        line.restocked = True
    ReturnLine.objects.bulk_update(restock, ["restocked"])
    stock_lines = sorted(
        (line.order_line.product_id, line.quantity)
        for line in restock
        if line.order_line.product_id is not None
    )
    if stock_lines:
        # one stock write path: locks in pk order and wakes shoppers waiting for the item
        catalog.stock_add_many(
            lines=stock_lines, reason=STOCK_REASON_RETURN, reference=return_request.number
        )
    return_request.status = ReturnRequest.Status.RECEIVED
    return_request.received_at = timezone.now()
    return_request.save(update_fields=["status", "received_at", "updated_at"])
    if refund:
        _refund_locked(order, return_request, include_shipping=include_shipping)
    return return_request


@transaction.atomic
def return_refund(*, return_id: int, include_shipping: bool = False) -> ReturnRequest:
    """Refund a received return once, through the orders refund service: the paid price of
    its units (and the delivery with ``include_shipping``), at most what the order has left
    to refund. A refunded return is refused, so a retry never pays twice."""
    order, return_request = _locked(return_id)
    _refuse_unless(return_request, ReturnRequest.Status.RECEIVED, doing="refund it")
    _refund_locked(order, return_request, include_shipping=include_shipping)
    return return_request


# --- e-mail ----------------------------------------------------------------------------------

_EMAIL_SUBJECTS: dict[ReturnEmailKind, str] = {
    "requested": "Your return {number}: how to send it back",
    "approved": "Your return {number} is approved",
    "rejected": "About your return {number}",
    "refunded": "Your return {number} is refunded",
}
_EMAIL_STATUSES: dict[ReturnEmailKind, tuple[str, ...]] = {
    "requested": tuple(ReturnRequest.Status.values),
    "approved": (
        ReturnRequest.Status.APPROVED,
        ReturnRequest.Status.RECEIVED,
        ReturnRequest.Status.REFUNDED,
    ),
    "rejected": (ReturnRequest.Status.REJECTED,),
    "refunded": (ReturnRequest.Status.REFUNDED,),
}


def return_email_on_commit(*, return_id: int, kind: ReturnEmailKind) -> None:
    """Queue the shopper's e-mail once the transaction commits (``robust``: a broker that is
    down never undoes the return)."""
    from returns.tasks import return_email_send_task

    transaction.on_commit(
        lambda: return_email_send_task.delay(return_id=return_id, kind=kind), robust=True
    )


def return_email_send(*, return_id: int, kind: ReturnEmailKind) -> bool:
    """E-mail the shopper about their return; True when handed to the mail backend. Checked
    against the return's status at send time; failures are logged, not raised."""
    return_request = (
        ReturnRequest.objects.select_related("order")
        .prefetch_related("lines__order_line")
        .filter(pk=return_id)
        .first()
    )
    if return_request is None or return_request.status not in _EMAIL_STATUSES[kind]:
        return False
    order = return_request.order
    if not order.email:
        return False
    context = {
        "return": return_request,
        "order": order,
        "lines": list(return_request.lines.all()),
        "instructions": selectors.return_settings_get().instructions,
        "store_name": settings.STORE_NAME,
        "order_url": f"{settings.SITE_URL}/order/{order.number}/",
        "help_url": f"{settings.SITE_URL}/help/?order={order.number}",
    }
    return email_send(
        subject=_EMAIL_SUBJECTS[kind].format(number=return_request.number),
        template=f"returns/email/return_{kind}.txt",
        context=context,
        to=order.email,
        what=f"return {return_request.number}: {kind}",
    )


# --- personal data ---------------------------------------------------------------------------


@transaction.atomic
def returns_erase(*, customer_id: int) -> int:
    """GDPR erasure: the shopper's own words go; the returns stay for the books."""
    return (
        ReturnLine.objects.filter(return_request__order__customer_id=customer_id)
        .exclude(comment="")
        .update(comment="")
    )
