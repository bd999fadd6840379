"""Carts, checkout and order actions: every write of the orders domain goes through here."""

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog import facade as catalog
from catalog.models import Product, Stock, StockMovement
from catalog.money import q2
from catalog.selectors import stock_qs_locked
from customers.services import event_record_on_commit
from orders import selectors
from orders.models import (
    Cart,
    CartLine,
    Chargeback,
    Fulfilment,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    Order,
    OrderLine,
    OrderStatusHistory,
    Payment,
    Refund,
    ShippingMethod,
    Voucher,
    VoucherRedemption,
)
from storefront.api_errors import ServiceError, id_in_range
from storefront.emails import email_send
from taxes import facade as taxes
from taxes.calc import split_proportionally, tax_in_gross
from webhooks import facade as webhooks

logger = logging.getLogger(__name__)

# Standard delivery's fee and threshold: what ``totals_compute`` charges without a method,
# and what the store charges when no shipping method is configured
FREE_SHIPPING_FROM = selectors.STANDARD_FREE_FROM
SHIPPING_FEE = selectors.STANDARD_FEE


# --- carts -----------------------------------------------------------------------------------


def cart_get_or_create(*, customer_id: int | None, session_id: str) -> Cart:
    """The shopper's open cart: by customer when logged in, else by session."""
    qs = Cart.objects.filter(status=Cart.Status.OPEN)
    cart = (
        qs.filter(customer_id=customer_id).first()
        if customer_id
        else qs.filter(session_id=session_id, customer__isnull=True).first()
    )
    if cart is None:
        cart = Cart.objects.create(customer_id=customer_id, session_id=session_id)
    return cart


def _available(product_id: int) -> int:
    stock = Stock.objects.filter(product_id=product_id).values_list("on_hand", "reserved").first()
    return stock[0] - stock[1] if stock else 0


def _active_product(product_id: int) -> Product:
    try:
        return Product.objects.get(pk=product_id, is_active=True)
    except Product.DoesNotExist:
        raise ServiceError("no such product", field="product_id") from None


@transaction.atomic
def cart_line_set(
    *, cart: Cart, product_id: int, quantity: int, add: bool = False
) -> CartLine | None:
    """Set (or with ``add``, increase) a line's quantity; 0 removes the line."""
    if cart.status != Cart.Status.OPEN:
        raise ServiceError("this cart is closed", field="cart")
    if not id_in_range(product_id):  # no row has it, and the database's integer would overflow
        raise ServiceError("no such product", field="product_id")
    if quantity <= 0 and not add:
        # removing never needs the product to be on sale: a discontinued line must not trap
        # the shopper's cart
        line = CartLine.objects.select_for_update().filter(cart=cart, product_id=product_id).first()
        if line is None:
            _active_product(product_id)  # an unknown product still gets its field message
            return None
        line.delete()
        event_record_on_commit(
            type="remove_from_cart",
            session_id=cart.session_id,
            customer_id=cart.customer_id,
            product_id=product_id,
        )
        return None
    product = _active_product(product_id)
    line = CartLine.objects.select_for_update().filter(cart=cart, product=product).first()
    new_quantity = (line.quantity if line and add else 0) + quantity
    if new_quantity <= 0:
        if line:
            line.delete()
            event_record_on_commit(
                type="remove_from_cart",
                session_id=cart.session_id,
                customer_id=cart.customer_id,
                product_id=product.pk,
            )
        return None
    if new_quantity > settings.MAX_LINE_QTY:
        raise ServiceError(
            f"at most {settings.MAX_LINE_QTY} of one product per order", field="quantity"
        )
    available = _available(product.pk)
    if new_quantity > available:
        message = (
            f"{product.name} is sold out"
            if available <= 0
            else f"only {available} of {product.name} left in stock"
        )
        raise ServiceError(message, field="quantity", status=409, code="out_of_stock")
    if line is None:
        line = CartLine.objects.create(cart=cart, product=product, quantity=new_quantity)
    else:
        line.quantity = new_quantity
        line.save(update_fields=["quantity"])
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    if add:
        event_record_on_commit(
            type="add_to_cart",
            session_id=cart.session_id,
            customer_id=cart.customer_id,
            product_id=product.pk,
            metadata={"quantity": quantity},
        )
    return line


@transaction.atomic
def cart_merge(*, session_id: str, customer_id: int) -> Cart:
    """On login, move the anonymous session cart's lines into the customer's cart."""
    target = cart_get_or_create(customer_id=customer_id, session_id=session_id)
    anonymous = (
        Cart.objects.select_for_update()
        .filter(session_id=session_id, customer__isnull=True, status=Cart.Status.OPEN)
        .exclude(pk=target.pk)
        .first()
    )
    if anonymous is None:
        return target
    existing = {line.product_id: line for line in target.lines.select_for_update()}
    for line in anonymous.lines.all():
        if line.product_id in existing:
            kept = existing[line.product_id]
            kept.quantity = min(kept.quantity + line.quantity, settings.MAX_LINE_QTY)
            kept.save(update_fields=["quantity"])
        else:
            CartLine.objects.create(cart=target, product_id=line.product_id, quantity=line.quantity)
    anonymous.status = Cart.Status.MERGED
    anonymous.save(update_fields=["status"])
    # the code typed before logging in stays, unless the customer's cart already had one
    voucher_id = target.voucher_id or anonymous.voucher_id
    shipping_method_id = target.shipping_method_id or anonymous.shipping_method_id  # likewise
    Cart.objects.filter(pk=target.pk).update(
        updated_at=timezone.now(),
        session_id=session_id,
        voucher_id=voucher_id,
        shipping_method_id=shipping_method_id,
    )
    target.refresh_from_db()
    return target


def carts_abandoned_mark(*, older_than_hours: int = 24) -> int:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    return (
        Cart.objects.filter(status=Cart.Status.OPEN, updated_at__lt=cutoff, lines__isnull=False)
        .distinct()
        .update(status=Cart.Status.ABANDONED)
    )


# --- vouchers and totals ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totals:
    """A cart's or order's money, in the store currency: total = subtotal - discount + shipping.

    The discount comes off the goods only, never shipping (as Shopify's amount-off-order
    codes). Free delivery is judged on the goods after the discount (as Shopify's price-based
    shipping rates): a code that takes a 55.00 cart to 49.50 brings the delivery fee back.
    """

    subtotal: Decimal
    discount: Decimal
    shipping: Decimal
    total: Decimal


def totals_compute(
    *, subtotal: Decimal, discount: Decimal = Decimal("0"), method: ShippingMethod | None = None
) -> Totals:
    """Totals with delivery by ``method`` (None: Standard delivery's fee and threshold)."""
    subtotal = q2(subtotal)
    discount = min(max(q2(discount), Decimal("0.00")), subtotal)  # never below 0 nor the goods
    goods = subtotal - discount
    price, free_from = (
        (SHIPPING_FEE, FREE_SHIPPING_FROM) if method is None else (method.price, method.free_from)
    )
    # an empty cart ships nothing; a fully discounted one still pays for its parcel
    free = not subtotal or (free_from is not None and goods >= free_from)
    shipping = Decimal("0.00") if free else q2(price)
    return Totals(subtotal, discount, shipping, goods + shipping)


# --- shipping methods -------------------------------------------------------------------------


def _working_days_after(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``; 0 is ``start`` itself, or
    the Monday after when it falls on a weekend."""
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    for _ in range(days):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def delivery_window(
    *, min_days: int, max_days: int, now: datetime | None = None
) -> tuple[date, date]:
    """Earliest and latest delivery dates for a parcel sent ``now``: ``min_days`` and
    ``max_days`` working days after the store's local date (TIME_ZONE), weekends skipped."""
    today = timezone.localdate(now or timezone.now())
    return _working_days_after(today, min_days), _working_days_after(today, max_days)


@dataclass(frozen=True, slots=True)
class ShippingQuote:
    """A delivery method priced for one cart, in the store currency."""

    method: ShippingMethod  # unsaved (pk None) for the built-in Standard delivery
    price: Decimal  # for this cart: 0.00 when its free_from is reached after the discount
    earliest: date
    latest: date


def shipping_quotes(
    *,
    subtotal: Decimal,
    discount: Decimal,
    country: str | None,
    now: datetime | None = None,
) -> list[ShippingQuote]:
    """The methods that deliver to ``country`` (None: all), priced for these goods, in
    ``position`` order."""
    now = now or timezone.now()
    quotes = []
    for method in selectors.shipping_methods_available(country=country):
        earliest, latest = delivery_window(
            min_days=method.min_days, max_days=method.max_days, now=now
        )
        totals = totals_compute(subtotal=subtotal, discount=discount, method=method)
        quotes.append(ShippingQuote(method, totals.shipping, earliest, latest))
    return quotes


def shipping_quote_chosen(
    quotes: list[ShippingQuote], *, method_id: int | None, country: str | None
) -> ShippingQuote | None:
    """The quote for ``method_id`` when it is on offer, else the cheapest (ties: the first
    by position); None when nothing delivers. With no ``country`` (``quotes`` lists every
    method), the cheapest that delivers everywhere, so a one-country courier is not
    preselected for a shopper who may live elsewhere."""
    for quote in quotes:
        if method_id is not None and quote.method.pk == method_id:
            return quote
    if not country:
        quotes = [q for q in quotes if not q.method.countries] or quotes
    return min(quotes, key=lambda q: q.price) if quotes else None  # min keeps the first tie


def _shipping_method_refusal(*, method_id: int, country: str | None) -> str:
    method = ShippingMethod.objects.filter(pk=method_id).first() if id_in_range(method_id) else None
    if method is None:
        return "no such delivery method"
    if not method.is_active:
        return f"{method.name} is not available at the moment"
    return f"{method.name} does not deliver to {country}"


@transaction.atomic
def cart_shipping_method_set(*, cart: Cart, method_id: int, country: str | None = None) -> None:
    """Choose the open cart's delivery method; refuses (on ``shipping_method``) an unknown or
    inactive method, or one that does not deliver to ``country`` (when given)."""
    if cart.status != Cart.Status.OPEN:
        raise ServiceError("this cart is closed", field="cart")
    available = selectors.shipping_methods_available(country=country)
    if not any(m.pk == method_id for m in available if m.pk is not None):
        raise ServiceError(
            _shipping_method_refusal(method_id=method_id, country=country),
            field="shipping_method",
        )
    Cart.objects.filter(pk=cart.pk).update(shipping_method_id=method_id, updated_at=timezone.now())
    cart.shipping_method_id = method_id


def voucher_discount(*, voucher: Voucher, subtotal: Decimal) -> Decimal:
    """What ``voucher`` takes off a goods ``subtotal``: percent rounded half up to the cent,
    or the fixed amount, and at most the subtotal (a 10.00 code on an 8.00 cart gives 8.00)."""
    if voucher.kind == Voucher.Kind.PERCENTAGE:
        amount = q2(subtotal * voucher.value / Decimal(100))
    else:
        amount = q2(voucher.value)
    return min(amount, q2(subtotal))


def free_shipping_missing(
    *,
    subtotal: Decimal,
    voucher: Voucher | None,
    customer_id: int | None = None,
    free_from: Decimal | None = FREE_SHIPPING_FROM,
) -> Decimal | None:
    """How much more goods (before the discount) the cart needs for free delivery, judged
    exactly as ``totals_compute`` and checkout judge it: on the goods after ``voucher``'s
    discount, at the subtotal the cart would then have. With 10 % off, 45.00 of goods count
    40.50, and adding 9.50 is not enough (54.50 counts 49.05): the answer is 10.56. Zero
    when delivery is free already; None when no amount can make it free (a 100 % code keeps
    the goods at 0.00) or the method is never free (``free_from`` None)."""
    if free_from is None:
        return None
    threshold = q2(free_from)
    subtotal = q2(subtotal)

    def counted(amount: Decimal) -> Decimal:
        if voucher is None or voucher_refusal(
            voucher=voucher, subtotal=amount, customer_id=customer_id
        ):
            return amount
        return amount - voucher_discount(voucher=voucher, subtotal=amount)

    if subtotal and counted(subtotal) >= threshold:
        return Decimal("0.00")
    # without the code (or below its minimum) the goods count in full
    target = max(subtotal, threshold)
    if counted(target) >= threshold:
        return target - subtotal
    if voucher is None:  # counted() is the identity then; never reached
        return target - subtotal
    if voucher.kind == Voucher.Kind.PERCENTAGE:
        kept = 1 - voucher.value / Decimal(100)
        if kept <= 0:
            return None
        start = max(target, q2(threshold / kept) - Decimal("0.02"))
    else:
        start = max(target, threshold + q2(voucher.value) - Decimal("0.02"))
    amount = start
    # the goods counted rise by 0 or 1 cent per cent added: a few steps reach the threshold
    while counted(amount) < threshold and amount - start < Decimal("1.00"):
        amount += Decimal("0.01")
    return amount - subtotal


def voucher_refusal(
    *,
    voucher: Voucher,
    subtotal: Decimal,
    customer_id: int | None,
    email: str = "",
    now: datetime | None = None,
) -> str | None:
    """Why ``voucher`` cannot discount this cart now, in the shopper's words; None if it can.

    The usage count is only exact while the caller holds the voucher's row lock (checkout).
    """
    now = now or timezone.now()
    if not voucher.is_active:
        return "this discount code is not active"
    if voucher.starts_at is not None and now < voucher.starts_at:
        return "this discount code is not valid yet"
    if voucher.ends_at is not None and now >= voucher.ends_at:
        return "this discount code has expired"
    if voucher.min_subtotal is not None and q2(subtotal) < voucher.min_subtotal:
        return (
            f"this discount code needs a subtotal of at least "
            f"{voucher.min_subtotal:.2f} {settings.STORE_CURRENCY}"
        )
    redemptions = VoucherRedemption.objects.filter(voucher=voucher)
    if voucher.usage_limit is not None and redemptions.count() >= voucher.usage_limit:
        return "this discount code has been used up"
    if voucher.once_per_customer:
        mine = Q(order__customer_id=customer_id) if customer_id else Q()
        if email:
            mine |= Q(order__email__iexact=email)
        if mine and redemptions.filter(mine).exists():
            return "you have already used this discount code"
    return None


def lines_subtotal(lines: Iterable[CartLine]) -> Decimal:
    """The goods of cart ``lines`` (products loaded) at today's prices, to the cent."""
    return q2(sum((line.product.price * line.quantity for line in lines), Decimal("0")))


@transaction.atomic
def cart_voucher_apply(*, cart: Cart, code: str) -> Voucher:
    """Put discount code ``code`` (any case) on the open cart, replacing any other; refuses
    an unknown, inactive, expired, not yet started, used up or already used code, or a cart
    below its minimum subtotal, with a message on ``voucher_code``."""
    if cart.status != Cart.Status.OPEN:
        raise ServiceError("this cart is closed", field="cart")
    code = code.strip()
    voucher = Voucher.objects.filter(code__iexact=code).first() if code else None
    if voucher is None:
        raise ServiceError("this discount code does not exist", field="voucher_code")
    refusal = voucher_refusal(
        voucher=voucher,
        subtotal=lines_subtotal(cart.lines.select_related("product")),
        customer_id=cart.customer_id,
    )
    if refusal:
        raise ServiceError(refusal, field="voucher_code")
    Cart.objects.filter(pk=cart.pk).update(voucher=voucher, updated_at=timezone.now())
    cart.voucher = voucher
    return voucher


@transaction.atomic
def cart_voucher_remove(*, cart: Cart) -> None:
    if cart.status != Cart.Status.OPEN:
        raise ServiceError("this cart is closed", field="cart")
    Cart.objects.filter(pk=cart.pk).update(voucher=None, updated_at=timezone.now())
    cart.voucher = None


# --- simulated payment gateway ---------------------------------------------------------------


@dataclass(frozen=True)
class CardInput:
    number: str
    expiry: str = "12/30"
    cvc: str = "123"


@dataclass(frozen=True)
class PaymentContext:
    """What the shopper's browser tells us; fraud scoring uses it, it is not personal data
    beyond the IP address, which stays on the payment row."""

    ip_address: str | None = None
    ip_country: str = ""
    device_id: str = ""
    session_id: str = ""


_BIN_COUNTRIES = {"4": "GB", "5": "DE", "3": "US", "6": "FR"}
DECLINED_TEST_CARD = "4000000000000002"


def _card_brand(number: str) -> str:
    return {"4": "visa", "5": "mastercard", "3": "amex", "6": "discover"}.get(number[:1], "card")


def card_fingerprint(number: str) -> str:
    # A keyed hash: the same card is recognisable across orders, the number is not stored.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{number}".encode()).hexdigest()[:32]


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    return checksum % 10 == 0


def card_validate(card: CardInput) -> str:
    number = card.number.replace(" ", "").replace("-", "")
    if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_ok(number):
        raise ServiceError("card number is not valid", field="card_number")
    return number


# --- checkout --------------------------------------------------------------------------------


def _order_number() -> str:
    return f"{timezone.now():%y%m}-{secrets.token_hex(4).upper()}"


def order_place(
    *,
    cart_id: int,
    idempotency_key: str,
    email: str,
    shipping_address: dict[str, Any],
    billing_address: dict[str, Any] | None = None,
    card: CardInput,
    context: PaymentContext | None = None,
    shipping_method_id: int | None = None,
) -> Order:
    """Turn a cart into a paid (or held, or declined) order, atomically and idempotently.

    Locks stock rows in primary-key order, decrements or rejects the whole order naming the
    sold-out product, records the payment and the fraud decision in the same transaction.
    The same ``idempotency_key`` for the same cart returns the first order.

    The cart's discount code is checked again under its row lock (a 400 on ``voucher_code``
    writes nothing) and its discount stored on the order; the payment is the discounted total.

    Delivery is by ``shipping_method_id``, else the cart's chosen method, else the cheapest
    for this cart, among the methods delivering to the shipping address's country; a method
    that does not (unknown, inactive, another country) is a 400 on ``shipping_method`` that
    writes nothing. The order keeps the method's name, its price and the delivery dates.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise ServiceError(
            "Idempotency-Key header (1-64 chars) is required", field="idempotency_key"
        )
    existing = Order.objects.filter(cart_id=cart_id, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    number = card_validate(card)
    context = context or PaymentContext()
    try:
        return _order_place_atomic(
            cart_id=cart_id,
            idempotency_key=idempotency_key,
            email=email,
            shipping_address=shipping_address,
            billing_address=billing_address or shipping_address,
            card_number=number,
            context=context,
            shipping_method_id=shipping_method_id,
        )
    except IntegrityError:
        # A racing retry with the same key won; answer with its order.
        existing = Order.objects.filter(cart_id=cart_id, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        # Otherwise the stock CHECK constraint fired: someone bought the last unit first.
        raise ServiceError(
            "an item in your cart sold out while you were checking out",
            field="lines",
            status=409,
            code="out_of_stock",
        ) from None


@transaction.atomic
def _order_place_atomic(
    *,
    cart_id: int,
    idempotency_key: str,
    email: str,
    shipping_address: dict[str, Any],
    billing_address: dict[str, Any],
    card_number: str,
    context: PaymentContext,
    shipping_method_id: int | None = None,
) -> Order:
    cart = Cart.objects.select_for_update().filter(pk=cart_id).first()
    if cart is None:
        raise ServiceError("no such cart", field="cart", status=404, code="not_found")
    existing = Order.objects.filter(cart_id=cart_id, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if cart.status != Cart.Status.OPEN:
        raise ServiceError(
            "this cart has already been checked out", field="cart", status=409, code="cart_closed"
        )
    lines = list(cart.lines.select_related("product").order_by("product_id"))
    if not lines:
        raise ServiceError("your cart is empty", field="lines")
    stocks = {s.product_id: s for s in stock_qs_locked(line.product_id for line in lines)}
    for line in lines:
        stock = stocks.get(line.product_id)
        available = stock.available if stock else 0
        if not line.product.is_active or available < line.quantity:
            message = (
                f"{line.product.name} is sold out"
                if available <= 0 or not line.product.is_active
                else f"only {available} of {line.product.name} left in stock"
            )
            raise ServiceError(message, field="lines", status=409, code="out_of_stock")

    now = timezone.now()
    subtotal = lines_subtotal(lines)
    voucher = None
    discount = Decimal("0.00")
    if cart.voucher_id is not None:
        # The row lock makes racing checkouts count redemptions one at a time: with one use
        # left, the second waits here, then sees the first's redemption and is refused.
        voucher = Voucher.objects.select_for_update().get(pk=cart.voucher_id)
        refusal = voucher_refusal(
            voucher=voucher,
            subtotal=subtotal,
            customer_id=cart.customer_id,
            email=email,
            now=now,
        )
        if refusal:
            raise ServiceError(
                f"{refusal}; remove it from your cart to check out without it",
                field="voucher_code",
            )
        discount = voucher_discount(voucher=voucher, subtotal=subtotal)
    country = str(shipping_address.get("country") or "").upper() or None
    quotes = shipping_quotes(subtotal=subtotal, discount=discount, country=country, now=now)
    if shipping_method_id is not None:
        quote = next(
            (q for q in quotes if q.method.pk is not None and q.method.pk == shipping_method_id),
            None,
        )
        if quote is None:
            raise ServiceError(
                _shipping_method_refusal(method_id=shipping_method_id, country=country),
                field="shipping_method",
            )
    else:
        quote = shipping_quote_chosen(quotes, method_id=cart.shipping_method_id, country=country)
        if quote is None:
            where = f"to {country}" if country else "at the moment"
            raise ServiceError(f"we do not deliver {where}", field="shipping_method")
    totals = totals_compute(subtotal=subtotal, discount=discount, method=quote.method)
    line_totals = [q2(line.product.price * line.quantity) for line in lines]
    vat = taxes.order_taxes(
        country=country,
        lines=[
            taxes.TaxableLine(amount=amount, product_id=line.product_id)
            for line, amount in zip(lines, line_totals, strict=True)
        ],
        discount=totals.discount,
        shipping=totals.shipping,
    )
    order = Order.objects.create(
        number=_order_number(),
        customer_id=cart.customer_id,
        cart=cart,
        idempotency_key=idempotency_key,
        status=Order.Status.PENDING,
        email=email,
        currency=settings.STORE_CURRENCY,
        subtotal=totals.subtotal,
        discount=totals.discount,
        voucher_code=voucher.code if voucher else "",
        shipping=totals.shipping,
        shipping_method_id=quote.method.pk,
        shipping_method_name=quote.method.name,
        delivery_earliest=quote.earliest,
        delivery_latest=quote.latest,
        total=totals.total,
        tax_country=vat.country,
        total_net=vat.total_net,
        total_tax=vat.total_tax,
        shipping_tax_rate=vat.shipping.rate,
        shipping_net=vat.shipping.net,
        shipping_tax=vat.shipping.tax,
        shipping_address=shipping_address,
        billing_address=billing_address,
        placed_at=now,
    )
    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=line.product,
                sku=line.product.sku,
                name=line.product.name,
                unit_price=line.product.price,
                quantity=line.quantity,
                line_total=amount,
                discount=taxed.discount,
                tax_rate=taxed.rate,
                net=taxed.net,
                tax=taxed.tax,
            )
            for line, amount, taxed in zip(lines, line_totals, vat.lines, strict=True)
        ]
    )
    for line in lines:
        Stock.objects.filter(pk=stocks[line.product_id].pk).update(
            on_hand=F("on_hand") - line.quantity
        )
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                product_id=line.product_id,
                quantity=-line.quantity,
                reason=StockMovement.Reason.SALE,
                reference=order.number,
            )
            for line in lines
        ]
    )
    declined = card_number == DECLINED_TEST_CARD
    payment = Payment.objects.create(
        order=order,
        amount=order.total,
        status=Payment.Status.DECLINED if declined else Payment.Status.AUTHORIZED,
        card_fingerprint=card_fingerprint(card_number),
        card_last4=card_number[-4:],
        card_brand=_card_brand(card_number),
        bin_country=_BIN_COUNTRIES.get(card_number[:1], "GB"),
        ip_address=context.ip_address,
        ip_country=context.ip_country,
        device_id=context.device_id,
    )
    OrderStatusHistory.objects.create(order=order, status=Order.Status.PENDING, note="placed")
    cart.status = Cart.Status.ORDERED
    cart.save(update_fields=["status"])

    if declined:
        _order_cancel_locked(order, note="payment declined by the card issuer", restock=True)
    else:
        _apply_risk_decision(order, payment, lines=order_lines)
    if order.status == Order.Status.CANCELLED:
        # A declined payment is one attempt (kept for fraud features), not the end of the
        # cart: the shopper tries another card with the same lines, under a new key.
        cart.status = Cart.Status.OPEN
        cart.save(update_fields=["status"])
        return order  # a refused attempt uses no voucher: the code stays on the cart
    if voucher is not None:
        # kept if the order is cancelled later (as a used code in Shopify): staff can raise
        # the voucher's limit
        VoucherRedemption.objects.create(voucher=voucher, order=order, amount=totals.discount)
    event_record_on_commit(
        type="purchase",
        session_id=context.session_id or cart.session_id,
        customer_id=cart.customer_id,
        order_id=order.pk,
        metadata={"total": str(order.total), "lines": len(lines)},
    )
    return order


def _apply_risk_decision(
    order: Order, payment: Payment, *, notify: bool = True, lines: list[OrderLine] | None = None
) -> None:
    from fraud import facade as fraud  # the checkout hook; fraud owns the decision

    decision = fraud.order_assess(order_id=order.pk)
    if decision.action == "decline":
        # no e-mail: the shopper sees the error on the checkout page
        _order_cancel_locked(order, note="declined by risk checks", restock=True)
    elif decision.action == "review":
        _order_status_set(order, Order.Status.ON_HOLD, "held for fraud review")
        if notify:
            order_email_on_commit(order_id=order.pk, kind="received")
        # created once kept: a declined attempt is no order to the merchant's systems
        webhooks.event_emit(event="order.created", order_id=order.pk)
    else:
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CAPTURED)
        _order_status_set(order, Order.Status.PAID, "payment captured")
        invoice_issue(order=order, lines=lines)
        if notify:
            order_email_on_commit(order_id=order.pk, kind="confirmed")
        webhooks.event_emit(event="order.created", order_id=order.pk)
        webhooks.event_emit(event="order.paid", order_id=order.pk)


@transaction.atomic
def order_risk_decide(*, order_id: int, notify: bool = True) -> Order:
    """Checkout's risk step for an order placed without it: capture the payment, hold the
    order for fraud review or decline it, exactly as `order_place` does at checkout.

    For orders written in bulk rather than through checkout (the demo's latest orders are
    left pending, card authorised). Only a pending order with an authorised payment and no
    risk assessment is decided; any other order is returned unchanged, so a second run is
    harmless. ``notify=False`` sends the shopper no e-mail (the demo's simulated history).
    """
    from fraud import facade as fraud

    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != Order.Status.PENDING:
        return order
    payment = order.payments.order_by("-pk").first()
    if payment is None or payment.status != Payment.Status.AUTHORIZED:
        return order
    if fraud.order_risk(order_id=order.pk) is not None:
        return order
    _apply_risk_decision(order, payment, notify=notify)
    return order


# --- order e-mails ---------------------------------------------------------------------------

OrderEmailKind = Literal["confirmed", "received", "shipped", "cancelled", "refunded"]

_EMAIL_SUBJECTS: dict[str, str] = {
    "confirmed": "Your order {number}",
    # neutral on purpose: a held order's shopper is never told about the fraud review
    "received": "We received your order {number}",
    "shipped": "Your order {number} is on its way",
    "cancelled": "Your order {number} has been cancelled",
    "refunded": "Refund for your order {number}",
}

# What the order must still be when its mail goes out: a later change wins (an order
# approved before its "received" note was sent only gets the confirmation).
_EMAIL_STATUSES: dict[str, tuple[str, ...]] = {
    "confirmed": (Order.Status.PAID, Order.Status.FULFILLED),
    "received": (Order.Status.ON_HOLD,),
    "shipped": (Order.Status.FULFILLED, Order.Status.REFUNDED),  # the parcel left either way
    "cancelled": (Order.Status.CANCELLED,),
    "refunded": (Order.Status.PAID, Order.Status.FULFILLED, Order.Status.REFUNDED),
}


def order_email_on_commit(
    *, order_id: int, kind: OrderEmailKind, refund_id: int | None = None
) -> None:
    """Queue the shopper's e-mail once the order's transaction commits.

    ``robust``: a broker that is down is logged by Django and never undoes a placed order.
    """
    from orders.tasks import order_email_send_task

    transaction.on_commit(
        lambda: order_email_send_task.delay(order_id=order_id, kind=kind, refund_id=refund_id),
        robust=True,
    )


def order_email_send(*, order_id: int, kind: OrderEmailKind, refund_id: int | None = None) -> bool:
    """E-mail the shopper about their order, as plain text with an HTML alternative. True
    when a mail was handed to the mail backend.

    ``confirmed``: paid, with lines, totals in the store currency and the shipping address.
    ``received``: the neutral note for an order held for review. ``shipped``: carrier and
    tracking number. ``cancelled``: says whether the card was charged and refunded or only
    authorised and released. ``refunded``: the amount of refund ``refund_id``.

    Re-checks the order's status at send time (see ``_EMAIL_STATUSES``). A failure is logged
    by order number and exception type only (an SMTP error's text can name the recipient)
    and not raised.
    """
    order = (
        Order.objects.prefetch_related("lines", "fulfilments", "refunds", "payments")
        .filter(pk=order_id)
        .first()
    )
    if order is None or not order.email or order.status not in _EMAIL_STATUSES[kind]:
        return False
    refunds = list(order.refunds.all())
    refunded_total = q2(sum((r.amount for r in refunds), Decimal("0")))
    refund = next((r for r in refunds if r.pk == refund_id), None)
    if kind == "refunded" and refund is None:
        return False
    fulfilments = list(order.fulfilments.all())
    payment = next(iter(order.payments.all()), None)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "fulfilment": fulfilments[-1] if fulfilments else None,
        "refund": refund,
        "refunded_total": refunded_total,
        "fully_refunded": refunded_total >= order.total,
        "card_last4": payment.card_last4 if payment else "",
        "store_name": settings.STORE_NAME,
        "order_url": f"{settings.SITE_URL}/order/{order.number}/",
        "help_url": f"{settings.SITE_URL}/help/?order={order.number}",
    }
    return email_send(
        subject=_EMAIL_SUBJECTS[kind].format(number=order.number),
        template=f"orders/email/order_{kind}.txt",
        context=context,
        to=order.email,
        what=f"order {order.number}: {kind}",
    )


# --- order actions ---------------------------------------------------------------------------


def _order_status_set(order: Order, status: str, note: str) -> None:
    order.status = status
    order.save(update_fields=["status", "updated_at"])
    OrderStatusHistory.objects.create(order=order, status=status, note=note[:300])


def _restock(order: Order) -> None:
    lines = [
        (line.product_id, line.quantity)
        for line in order.lines.order_by("product_id")
        if line.product_id is not None
    ]
    # one stock write path: it locks in pk order and wakes shoppers waiting for a sold-out item
    catalog.stock_add_many(
        lines=lines, reason=StockMovement.Reason.CANCELLATION, reference=order.number
    )


def _order_cancel_locked(order: Order, *, note: str, restock: bool) -> None:
    if restock:
        _restock(order)
    order.payments.filter(status=Payment.Status.AUTHORIZED).update(status=Payment.Status.VOIDED)
    _order_status_set(order, Order.Status.CANCELLED, note)


@transaction.atomic
def order_approve(
    *, order_id: int, note: str = "approved after review", notify: bool = True
) -> Order:
    """Release an order held for review: capture the payment and e-mail the confirmation."""
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != Order.Status.ON_HOLD:
        raise ServiceError(f"order {order.number} is {order.status}, not on hold", field="status")
    order.payments.filter(status=Payment.Status.AUTHORIZED).update(status=Payment.Status.CAPTURED)
    _order_status_set(order, Order.Status.PAID, note)
    invoice_issue(order=order)
    if notify:
        order_email_on_commit(order_id=order.pk, kind="confirmed")
    webhooks.event_emit(event="order.paid", order_id=order.pk)
    return order


@transaction.atomic
def order_cancel(*, order_id: int, note: str = "cancelled", notify: bool = True) -> Order:
    """Cancel an order that has not shipped: restock it, refund a captured payment in full or
    release an authorised one, and e-mail the shopper which of the two happened.

    A shipped order is refused (refund it instead: its goods are not back on the shelf).
    Cancelling a cancelled or refunded order again is a no-op and sends nothing.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status in (Order.Status.CANCELLED, Order.Status.REFUNDED):
        return order  # cancelling twice is a no-op, not an error
    if order.status == Order.Status.FULFILLED:
        raise ServiceError(
            f"order {order.number} has shipped; refund it instead of cancelling", field="status"
        )
    if order.status == Order.Status.PAID:
        captured = order.payments.filter(status=Payment.Status.CAPTURED).first()
        # what a partial refund already returned is not paid back twice
        refunded = sum((r.amount for r in order.refunds.all()), Decimal("0"))
        if order.total - refunded > 0:
            Refund.objects.create(
                order=order, payment=captured, amount=order.total - refunded, reason=note[:200]
            )
        order.payments.filter(status=Payment.Status.CAPTURED).update(status=Payment.Status.REFUNDED)
    restock = order.status in (Order.Status.PAID, Order.Status.ON_HOLD, Order.Status.PENDING)
    _order_cancel_locked(order, note=note, restock=restock)
    if notify:
        order_email_on_commit(order_id=order.pk, kind="cancelled")
    webhooks.event_emit(event="order.cancelled", order_id=order.pk)
    return order


@transaction.atomic
def order_hold_for_review(*, order_id: int, note: str = "held for review") -> Order:
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status in (Order.Status.PENDING, Order.Status.PAID):
        _order_status_set(order, Order.Status.ON_HOLD, note)
    return order


@transaction.atomic
def refund_create(
    *,
    order_id: int,
    amount: Decimal,
    reason: str = "",
    notify: bool = True,
    idempotency_key: str = "",
) -> Refund:
    """Refund part or all of a paid or shipped order's captured payment (store currency) and
    e-mail the shopper the amount. The last refund that reaches the total marks the order
    refunded; an order never charged (held, pending, cancelled) cannot be refunded.

    With an ``idempotency_key``, a retry returns the refund that key already made (no second
    payout, no second mail); the key with another amount is refused (422)."""
    if len(idempotency_key) > 64:
        raise ServiceError("Idempotency-Key: at most 64 characters", field="idempotency_key")
    order = Order.objects.select_for_update().get(pk=order_id)
    if idempotency_key and (
        earlier := order.refunds.filter(idempotency_key=idempotency_key).first()
    ):
        if earlier.amount != q2(amount):
            raise ServiceError(
                f"this Idempotency-Key already refunded {earlier.amount}; "
                "send a new key for a new refund",
                field="idempotency_key",
                status=422,
                code="idempotency_key_reused",
            )
        return earlier  # the order row lock makes a racing retry wait, then land here
    if order.status not in (Order.Status.PAID, Order.Status.FULFILLED):
        raise ServiceError(
            f"order {order.number} is {order.status}; only a paid or shipped order can be refunded",
            field="status",
        )
    amount = q2(amount)
    refunded = sum((r.amount for r in order.refunds.all()), Decimal("0"))
    if amount <= 0 or refunded + amount > order.total:
        raise ServiceError(
            f"refund must be between 0.01 and {order.total - refunded}", field="amount"
        )
    refund = Refund.objects.create(
        order=order,
        payment=order.payments.first(),
        amount=amount,
        reason=reason[:200],
        idempotency_key=idempotency_key,
    )
    credit_note_issue(order=order, refund=refund)
    if refunded + amount == order.total:
        _order_status_set(order, Order.Status.REFUNDED, "refunded in full")
    if notify:
        order_email_on_commit(order_id=order.pk, kind="refunded", refund_id=refund.pk)
    webhooks.event_emit(event="order.refunded", order_id=order.pk, refund_id=refund.pk)
    return refund


CARRIER_MAX_LENGTH = 50
TRACKING_MAX_LENGTH = 64
_TRACKING_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")


def _fulfil_input_clean(*, carrier: str, tracking_number: str) -> tuple[str, str]:
    carrier = " ".join(carrier.split())
    tracking_number = " ".join(tracking_number.split())
    if len(carrier) > CARRIER_MAX_LENGTH:
        raise ServiceError(f"carrier: at most {CARRIER_MAX_LENGTH} characters", field="carrier")
    if len(tracking_number) > TRACKING_MAX_LENGTH:
        raise ServiceError(
            f"tracking number: at most {TRACKING_MAX_LENGTH} characters", field="tracking_number"
        )
    if tracking_number and not _TRACKING_NUMBER.fullmatch(tracking_number):
        raise ServiceError(
            "tracking number: letters, digits, spaces and dashes only", field="tracking_number"
        )
    if tracking_number and not carrier:
        # the shopper cannot look a tracking number up without knowing whose it is
        raise ServiceError("name the carrier of this tracking number", field="carrier")
    return carrier, tracking_number


@transaction.atomic
def order_fulfil(
    *,
    order_id: int,
    carrier: str = "",
    tracking_number: str = "",
    user_id: int | None = None,
    notify: bool = True,
) -> Order:
    """Mark a paid order as shipped (the whole order, one parcel) and e-mail the shopper the
    carrier and tracking number after commit.

    Only a paid order ships: one held for review must be approved first; a pending, cancelled,
    refunded or already shipped one is refused with a ``ServiceError`` on ``status``.
    """
    carrier, tracking_number = _fulfil_input_clean(carrier=carrier, tracking_number=tracking_number)
    if not id_in_range(order_id):
        raise ServiceError("no such order", field="order_id", status=404, code="not_found")
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise ServiceError("no such order", field="order_id", status=404, code="not_found")
    refusals: dict[str, str] = {
        Order.Status.PENDING: "its payment is not taken yet",
        Order.Status.ON_HOLD: "it is on hold for review; approve it before shipping",
        Order.Status.CANCELLED: "it is cancelled",
        Order.Status.REFUNDED: "it is refunded",
        Order.Status.FULFILLED: "it has already shipped",
    }
    if order.status != Order.Status.PAID:
        reason = refusals.get(order.status, f"it is {order.status}")
        raise ServiceError(f"order {order.number} cannot ship: {reason}", field="status")
    Fulfilment.objects.create(
        order=order, carrier=carrier, tracking_number=tracking_number, shipped_by_id=user_id
    )
    note = "shipped" + (f" with {carrier}" if carrier else "")
    note += f", tracking {tracking_number}" if tracking_number else ", no tracking"
    if user_id is not None:
        username = (
            get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()
        )
        note += f" by {username}" if username else ""
    _order_status_set(order, Order.Status.FULFILLED, note)
    if notify:
        order_email_on_commit(order_id=order.pk, kind="shipped")
    webhooks.event_emit(event="order.fulfilled", order_id=order.pk)
    return order


@transaction.atomic
def chargeback_record(
    *, order_id: int, amount: Decimal | None = None, reason_code: str = "fraud"
) -> Chargeback:
    order = Order.objects.get(pk=order_id)
    return Chargeback.objects.create(
        order=order,
        payment=order.payments.first(),
        amount=q2(amount or order.total),
        reason_code=reason_code,
    )


# --- VAT invoices and credit notes -------------------------------------------------------------


def _invoice_number(*, kind: str, when: datetime) -> str:
    """The next number of the kind's series in the store's year: INV-2026-000001. The
    counter row is locked in the caller's transaction (by the UPDATE), so numbers have no
    gaps and no repeats even when payments are captured at the same moment (a rolled-back
    checkout gives its number back). One query once the year's counter exists."""
    series = "CN" if kind == Invoice.Kind.CREDIT_NOTE else "INV"
    year = timezone.localtime(when).year
    table = InvoiceCounter._meta.db_table
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 (our table)
                "WHERE series = %s AND year = %s RETURNING last_number",
                [series, year],
            )
            row = cursor.fetchone()
        if row is not None:
            return f"{series}-{year}-{row[0]:06d}"
        InvoiceCounter.objects.get_or_create(series=series, year=year)  # the year's first
    raise RuntimeError(f"invoice counter {series}-{year} could not be created")


def _invoice_seller() -> dict[str, str]:
    return {
        "name": settings.INVOICE_SELLER_NAME,
        "address": settings.INVOICE_SELLER_ADDRESS,
        "vat_number": settings.INVOICE_SELLER_VAT_NUMBER,
    }


def _order_taxes_record(order: Order) -> None:
    """Work out and store the VAT of an order placed before taxes were recorded (or written
    in bulk, as the demo's), by today's rates for its delivery country."""
    lines = list(order.lines.order_by("pk"))
    vat = taxes.order_taxes(
        country=str(order.shipping_address.get("country") or ""),
        lines=[
            taxes.TaxableLine(amount=line.line_total, product_id=line.product_id) for line in lines
        ],
        discount=order.discount,
        shipping=order.shipping,
    )
    for line, taxed in zip(lines, vat.lines, strict=True):
        line.discount, line.tax_rate, line.net, line.tax = (
            taxed.discount,
            taxed.rate,
            taxed.net,
            taxed.tax,
        )
    OrderLine.objects.bulk_update(lines, ["discount", "tax_rate", "net", "tax"])
    order.tax_country = vat.country
    order.total_net, order.total_tax = vat.total_net, vat.total_tax
    order.shipping_tax_rate = vat.shipping.rate
    order.shipping_net, order.shipping_tax = vat.shipping.net, vat.shipping.tax
    order.save(
        update_fields=[
            "tax_country",
            "total_net",
            "total_tax",
            "shipping_tax_rate",
            "shipping_net",
            "shipping_tax",
        ]
    )


def invoice_issue(*, order: Order, lines: list[OrderLine] | None = None) -> Invoice:
    """The VAT invoice of a paid order, issued once when its payment is captured (a second
    call returns it). Seller and buyer (the billing address and e-mail) are copied as they
    are now; its lines are the order's goods after their share of the discount, and
    delivery, each with its rate, net and tax, adding up to the amount paid. Call inside the
    transaction that captures the payment."""
    existing = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if existing is not None:
        return existing
    if order.total_tax is None:
        _order_taxes_record(order)
        lines = None
    if lines is None:
        lines = list(order.lines.order_by("pk"))
    assert order.total_net is not None and order.total_tax is not None
    now = timezone.now()
    invoice = Invoice.objects.create(
        number=_invoice_number(kind=Invoice.Kind.INVOICE, when=now),
        kind=Invoice.Kind.INVOICE,
        order=order,
        issued_at=now,
        currency=order.currency,
        seller=_invoice_seller(),
        buyer={**(order.billing_address or order.shipping_address), "email": order.email},
        tax_country=order.tax_country,
        total_net=order.total_net,
        total_tax=order.total_tax,
        total_gross=order.total,
    )
    rows = [
        InvoiceLine(
            invoice=invoice,
            description=line.name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount or Decimal("0.00"),
            tax_rate=line.tax_rate or Decimal("0.00"),
            net=line.net or Decimal("0.00"),
            tax=line.tax or Decimal("0.00"),
            gross=line.line_total - (line.discount or Decimal("0.00")),
        )
        for line in lines
    ]
    if order.shipping:
        rows.append(
            InvoiceLine(
                invoice=invoice,
                description=f"Delivery: {order.shipping_method_name or 'Standard delivery'}",
                quantity=1,
                unit_price=order.shipping,
                tax_rate=order.shipping_tax_rate or Decimal("0.00"),
                net=order.shipping_net or Decimal("0.00"),
                tax=order.shipping_tax or Decimal("0.00"),
                gross=order.shipping,
            )
        )
    InvoiceLine.objects.bulk_create(rows)
    logger.debug("order %s: invoice %s issued", order.number, invoice.number)
    return invoice


def credit_note_issue(*, order: Order, refund: Refund) -> Invoice | None:
    """A credit note for ``refund`` against the order's invoice: negative amounts, one line
    per VAT rate, the refund shared across the rates in proportion to what is still
    uncredited at each. The refund that completes the order's total credits exactly what is
    left, so the invoice and its credit notes sum to zero to the cent. None for an order
    without an invoice (paid before invoices were issued)."""
    invoice = order.invoices.filter(kind=Invoice.Kind.INVOICE).first()
    if invoice is None:
        return None
    left_gross: dict[Decimal, Decimal] = {}
    left_tax: dict[Decimal, Decimal] = {}
    credited = InvoiceLine.objects.filter(invoice__credits=invoice)
    for line in [*invoice.lines.all(), *credited]:
        left_gross[line.tax_rate] = left_gross.get(line.tax_rate, Decimal("0.00")) + line.gross
        left_tax[line.tax_rate] = left_tax.get(line.tax_rate, Decimal("0.00")) + line.tax
    rates = sorted(rate for rate, gross in left_gross.items() if gross > 0)
    remaining = sum((left_gross[r] for r in rates), Decimal("0.00"))
    amount = min(refund.amount, remaining)
    final = amount == remaining
    shares = split_proportionally(amount, [left_gross[r] for r in rates])
    now = timezone.now()
    note = Invoice.objects.create(
        number=_invoice_number(kind=Invoice.Kind.CREDIT_NOTE, when=now),
        kind=Invoice.Kind.CREDIT_NOTE,
        order=order,
        credits=invoice,
        refund=refund,
        issued_at=now,
        currency=invoice.currency,
        seller=invoice.seller,
        buyer=invoice.buyer,
        tax_country=invoice.tax_country,
        total_net=Decimal("0.00"),
        total_tax=Decimal("0.00"),
        total_gross=Decimal("0.00"),
    )
    rows = []
    for rate, share in zip(rates, shares, strict=True):
        if not share:
            continue
        tax = left_tax[rate] if final else tax_in_gross(share, rate)
        label = refund.reason or "goods and delivery"
        rows.append(
            InvoiceLine(
                invoice=note,
                description=f"Refund ({label}) at {rate} % VAT",
                quantity=1,
                unit_price=-share,
                tax_rate=rate,
                net=-(share - tax),
                tax=-tax,
                gross=-share,
            )
        )
    InvoiceLine.objects.bulk_create(rows)
    note.total_gross = sum((r.gross for r in rows), Decimal("0.00"))
    note.total_tax = sum((r.tax for r in rows), Decimal("0.00"))
    note.total_net = note.total_gross - note.total_tax
    note.save(update_fields=["total_gross", "total_tax", "total_net"])
    logger.debug("order %s: credit note %s issued", order.number, note.number)
    return note
