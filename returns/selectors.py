"""Reads of the returns app: the policy, what an order may still return, return lists."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from orders.models import Order, OrderLine
from returns.models import ReturnLine, ReturnRequest, ReturnSettings


def return_settings_get() -> ReturnSettings:
    """The merchant's policy row, or an unsaved one with the defaults (day zero)."""
    return ReturnSettings.objects.order_by("pk").first() or ReturnSettings()


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    order_line_id: int
    product_id: int | None
    sku: str
    name: str
    unit_price: Decimal
    quantity: int  # bought
    requested: int  # in returns not rejected
    returnable: int  # bought minus requested


@dataclass(frozen=True, slots=True)
class Returnability:
    """Whether the shopper can ask to return items of an order now, and which."""

    eligible: bool
    refusal: str  # why not, for the shopper ('' when eligible)
    window_ends_at: datetime | None
    lines: tuple[ReturnableLine, ...]


def units_requested(*, order_id: int) -> dict[int, int]:
    """Units of each order line already in a return that was not rejected, by line id."""
    rows = (
        ReturnLine.objects.filter(order_line__order_id=order_id)
        .exclude(return_request__status=ReturnRequest.Status.REJECTED)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    return defaultdict(int, {r["order_line_id"]: int(r["units"]) for r in rows})


def order_returnability(*, order: Order, now: datetime | None = None) -> Returnability:
    """What ``order`` may still return at ``now``: only a shipped order (not refunded in
    full), within the policy's days from its shipping, and per line what was bought minus
    what is already asked back (rejected requests do not count)."""
    now = now or timezone.now()
    policy = return_settings_get()
    shipped = order.fulfilments.order_by("shipped_at", "pk").values_list("shipped_at", flat=True)
    shipped_at = shipped.first()
    window_ends_at = shipped_at + timedelta(days=policy.window_days) if shipped_at else None
    requested = units_requested(order_id=order.pk)
    lines = tuple(
        ReturnableLine(
            order_line_id=line.pk,
            product_id=line.product_id,
            sku=line.sku,
            name=line.name,
            unit_price=line.unit_price,
            quantity=line.quantity,
            requested=requested[line.pk],
            returnable=max(line.quantity - requested[line.pk], 0),
        )
        for line in OrderLine.objects.filter(order_id=order.pk).order_by("pk")
    )
    refusal = ""
    if order.status == Order.Status.REFUNDED:
        refusal = "This order has been refunded in full."
    elif order.status != Order.Status.FULFILLED or window_ends_at is None:
        refusal = "Items can be returned once the order has shipped."
    elif now > window_ends_at:
        refusal = f"The {policy.window_days}-day return window for this order has closed."
    elif not any(line.returnable for line in lines):
        refusal = "Every item of this order is already in a return."
    return Returnability(
        eligible=not refusal, refusal=refusal, window_ends_at=window_ends_at, lines=lines
    )


def _with_lines(qs: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    return qs.select_related("order").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").order_by("pk"))
    )


def return_list_for_order(*, order_id: int) -> QuerySet[ReturnRequest]:
    return _with_lines(ReturnRequest.objects.filter(order_id=order_id)).order_by("created_at", "pk")


def return_list_for_staff() -> QuerySet[ReturnRequest]:
    return _with_lines(ReturnRequest.objects.all()).order_by("-created_at", "-pk")


def return_get_for_staff(*, return_id: int) -> ReturnRequest:
    return _with_lines(ReturnRequest.objects.all()).get(pk=return_id)


def order_for_shopper(
    *, number: str, customer_id: int | None, guest_numbers: list[str]
) -> Order | None:
    """The shopper's own order: a customer's by account, a guest's if this session placed
    it. Someone else's order is None, exactly like a missing one."""
    if customer_id is not None:
        return Order.objects.filter(number=number, customer_id=customer_id).first()
    if number in guest_numbers:
        return Order.objects.filter(number=number, customer__isnull=True).first()
    return None


def returns_export(*, customer_id: int) -> list[dict[str, object]]:
    """A customer's return requests with their own comments (GDPR export)."""
    qs = _with_lines(ReturnRequest.objects.filter(order__customer_id=customer_id))
    return [
        {
            "number": r.number,
            "order": r.order.number,
            "status": r.status,
            "created_at": r.created_at.isoformat(),
            "lines": [
                {
                    "sku": line.order_line.sku,
                    "quantity": line.quantity,
                    "reason": line.reason,
                    "comment": line.comment,
                }
                for line in r.lines.all()
            ],
        }
        for r in qs.order_by("created_at", "pk")
    ]
