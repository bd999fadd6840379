from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

import pandas as pd
from django.core.cache import cache
from django.db.models import DecimalField, OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.models import (
    Cart,
    CartLine,
    Fulfilment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    OrderStatusHistory,
    Payment,
    Refund,
    ShippingMethod,
)
from storefront.spreadsheet import cell_text

# What a store with no delivery method configured charges (the fee and threshold it had
# before methods existed): day zero, or a test database flushed of the migration's rows.
STANDARD_FEE = Decimal("4.95")
STANDARD_FREE_FROM = Decimal("50.00")


def shipping_methods_available(*, country: str | None) -> list[ShippingMethod]:
    """Active methods that deliver to ``country`` (ISO-2; None: every active method), in
    ``position`` order. With no method in the table at all, an unsaved built-in Standard
    delivery (``pk`` None), so checkout still works; with methods that are all inactive or
    none for this country, an empty list (checkout refuses: nothing delivers there)."""
    methods = list(ShippingMethod.objects.filter(is_active=True).order_by("position", "pk"))
    if not methods and not ShippingMethod.objects.exists():
        return [
            ShippingMethod(
                name="Standard delivery",
                price=STANDARD_FEE,
                free_from=STANDARD_FREE_FROM,
                min_days=2,
                max_days=4,
            )
        ]
    if country:
        wanted = country.upper()
        methods = [
            m for m in methods if not m.countries or wanted in {c.upper() for c in m.countries}
        ]
    return methods


FREE_DELIVERY_CACHE_KEY = "orders:free-delivery-from:v1"


def free_delivery_from() -> Decimal | None:
    """The goods total from which delivery is free, as the shop's banners promise it: the
    lowest threshold of an active method that delivers everywhere (None: no such offer, and
    the banners say nothing). Cached for a minute; saving a method clears it."""
    cached = cache.get(FREE_DELIVERY_CACHE_KEY)
    if cached is not None:
        return None if cached == "" else Decimal(cached)
    thresholds = [
        m.free_from
        for m in shipping_methods_available(country=None)
        if m.free_from is not None and not m.countries
    ]
    value = min(thresholds) if thresholds else None
    cache.set(FREE_DELIVERY_CACHE_KEY, "" if value is None else str(value), 60)
    return value


def cart_with_lines(*, cart_id: int) -> Cart:
    return (
        Cart.objects.select_related("voucher")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=CartLine.objects.select_related("product", "product__stock").order_by(
                    "added_at", "pk"
                ),
            )
        )
        .get(pk=cart_id)
    )


def order_list_for_customer(*, customer_id: int) -> QuerySet[Order]:
    return (
        Order.objects.filter(customer_id=customer_id)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")), "invoices")
        .order_by("-placed_at", "-pk")
    )


def order_get_for_customer(*, customer_id: int, number: str) -> Order:
    """Raises Order.DoesNotExist for another customer's order (a 404, not a 403)."""
    return Order.objects.prefetch_related("lines", "history", "invoices").get(
        customer_id=customer_id, number=number
    )


def invoice_get(*, order_id: int, number: str) -> Invoice:
    """An invoice or credit note of that order, with its lines; Invoice.DoesNotExist else."""
    return (
        Invoice.objects.select_related("order", "credits")
        .prefetch_related("lines")
        .get(order_id=order_id, number=number)
    )


def invoice_for_order(*, order_id: int, number: str) -> Invoice | None:
    try:
        return invoice_get(order_id=order_id, number=number)
    except Invoice.DoesNotExist:
        return None


def order_lines_frame(*, since: datetime | None = None) -> pd.DataFrame:
    """Sold order lines for training: ids, quantities, prices, times; no personal data."""
    qs = OrderLine.objects.exclude(order__status=Order.Status.CANCELLED)
    if since is not None:
        qs = qs.filter(order__placed_at__gte=since)
    columns = [
        "order_id",
        "order__customer_id",
        "product_id",
        "quantity",
        "unit_price",
        "order__placed_at",
        "order__status",
    ]
    rows = qs.order_by("order__placed_at", "pk").values_list(*columns)
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=[
            "order_id",
            "customer_id",
            "product_id",
            "quantity",
            "unit_price",
            "placed_at",
            "status",
        ],
    )
    frame["unit_price"] = frame["unit_price"].astype(float)
    return frame


def open_cart_with_lines(*, customer_id: int | None, session_id: str) -> int | None:
    """The id of the shopper's open cart when it holds something, else None."""
    qs = Cart.objects.filter(status=Cart.Status.OPEN, lines__isnull=False)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    elif session_id:
        qs = qs.filter(session_id=session_id, customer__isnull=True)
    else:
        return None
    return qs.values_list("pk", flat=True).first()


def order_for_idempotency_key(
    *, key: str, customer_id: int | None, session_id: str, cart_token: str | None = None
) -> Order | None:
    """An order this shopper already placed with this key (a retried checkout request)."""
    if not key:
        return None
    qs = Order.objects.filter(idempotency_key=key)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    elif cart_token:
        qs = qs.filter(cart__token=cart_token, customer__isnull=True)
    else:
        qs = qs.filter(cart__session_id=session_id, customer__isnull=True)
    return qs.order_by("-pk").first()


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of an order's life as its shopper sees it (no merchant notes)."""

    kind: Literal["placed", "paid", "held", "shipped", "refunded", "cancelled", "declined"]
    at: datetime  # aware, UTC in the database; templates show it in the store's time zone
    carrier: str = ""
    tracking_number: str = ""
    amount: Decimal | None = None  # a refund's, in the order's currency


def order_timeline(*, order: Order) -> list[TimelineEntry]:
    """Placed, paid or held, shipped (carrier, tracking), refunded, cancelled: oldest first.

    Reads ``history``, ``fulfilments`` and ``refunds``: prefetch them. A refund is shown
    once, from its row (the "refunded in full" status change adds nothing); an order shipped
    before shipments were recorded (imported history) shows "shipped" without tracking.
    """
    history = list(order.history.all())
    entries = [TimelineEntry("placed", order.placed_at)]
    charged_or_held = False
    for row in history:
        if row.status == Order.Status.PAID:
            entries.append(TimelineEntry("paid", row.created_at))
            charged_or_held = True
        elif row.status == Order.Status.ON_HOLD:
            entries.append(TimelineEntry("held", row.created_at))
            charged_or_held = True
        elif row.status == Order.Status.CANCELLED:
            # never paid nor held: the card or the risk check refused it at checkout
            kind: Literal["cancelled", "declined"] = "cancelled" if charged_or_held else "declined"
            entries.append(TimelineEntry(kind, row.created_at))
    fulfilments = list(order.fulfilments.all())
    entries += [
        TimelineEntry("shipped", f.shipped_at, carrier=f.carrier, tracking_number=f.tracking_number)
        for f in fulfilments
    ]
    if not fulfilments:
        entries += [
            TimelineEntry("shipped", row.created_at)
            for row in history
            if row.status == Order.Status.FULFILLED
        ]
    entries += [
        TimelineEntry("refunded", r.created_at, amount=r.amount) for r in order.refunds.all()
    ]
    # placed first whatever the clocks say; then by time (sorted is stable for equal times)
    return entries[:1] + sorted(entries[1:], key=lambda e: e.at)


def _order_qs_for_staff() -> QuerySet[Order]:
    # one query per relation however many orders a page holds (pinned in the API tests)
    return Order.objects.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        Prefetch("payments", queryset=Payment.objects.order_by("created_at", "pk")),
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "pk")),
        Prefetch("fulfilments", queryset=Fulfilment.objects.order_by("shipped_at", "pk")),
        Prefetch("history", queryset=OrderStatusHistory.objects.order_by("created_at", "pk")),
    )


def order_list_for_staff() -> QuerySet[Order]:
    """Every order, newest first, with lines, payments, refunds, shipments and history."""
    return _order_qs_for_staff().order_by("-placed_at", "-pk")


def order_get_for_staff(*, number: str) -> Order:
    """Raises Order.DoesNotExist for an unknown number (the API's 404)."""
    return _order_qs_for_staff().get(number=number)


@dataclass(frozen=True, slots=True)
class VatReportRow:
    country: str
    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


def vat_report(*, invoices: QuerySet[Invoice]) -> list[VatReportRow]:
    """Net, VAT and gross of the lines of ``invoices`` (credit notes negative, so they net
    off) by delivery country and rate. One query."""
    rows = (
        InvoiceLine.objects.filter(invoice__in=invoices)
        .values("invoice__tax_country", "tax_rate")
        .annotate(net=Sum("net"), tax=Sum("tax"), gross=Sum("gross"))
        .order_by("invoice__tax_country", "-tax_rate")
    )
    return [
        VatReportRow(
            country=r["invoice__tax_country"] or "-",
            rate=r["tax_rate"],
            net=r["net"],
            tax=r["tax"],
            gross=r["gross"],
        )
        for r in rows
    ]


ORDER_EXPORT_COLUMNS = [
    "number",
    "placed_at",
    "status",
    "currency",
    "items",
    "subtotal",
    "discount",
    "voucher_code",
    "shipping",
    "shipping_method",
    "total",
    "total_net",
    "total_tax",
    "tax_country",
    "invoice",
    "refunded",
    "customer_id",
]


def order_export_rows(*, orders: QuerySet[Order]) -> Iterator[list[str]]:
    """``orders`` as CSV rows for the books (header first): money, VAT, the invoice number
    and what was refunded, placed_at in the store's time zone. No e-mail or address: an
    accounting export needs neither. Streams in chunks, so a year of orders fits in memory."""
    refunded = (
        Refund.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    items = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    invoice = Invoice.objects.filter(order=OuterRef("pk"), kind=Invoice.Kind.INVOICE).values(
        "number"
    )[:1]
    rows = (
        orders.order_by()
        .annotate(
            items_n=Subquery(items),
            refunded_sum=Coalesce(Subquery(refunded), Decimal("0.00"), output_field=DecimalField()),
            invoice_number=Subquery(invoice),
        )
        .values_list(
            "number",
            "placed_at",
            "status",
            "currency",
            "items_n",
            "subtotal",
            "discount",
            "voucher_code",
            "shipping",
            "shipping_method_name",
            "total",
            "total_net",
            "total_tax",
            "tax_country",
            "invoice_number",
            "refunded_sum",
            "customer_id",
        )
        .order_by("placed_at", "pk")
    )
    yield ORDER_EXPORT_COLUMNS
    for row in rows.iterator(chunk_size=2000):
        (number, placed, status, currency, n, sub, disc, code, ship, method, total) = row[:11]
        (net, tax, country, inv, refund, customer) = row[11:]
        yield [
            number,
            timezone.localtime(placed).isoformat(),
            status,
            currency,
            str(n or 0),
            f"{sub:.2f}",
            f"{disc:.2f}",
            cell_text(code),
            f"{ship:.2f}",
            cell_text(method),
            f"{total:.2f}",
            "" if net is None else f"{net:.2f}",
            "" if tax is None else f"{tax:.2f}",
            country,
            inv or "",
            f"{Decimal(refund):.2f}",
            "" if customer is None else str(customer),
        ]
