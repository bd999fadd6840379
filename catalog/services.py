import csv
import io
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from catalog import selectors
from catalog.models import (
    PriceHistory,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Stock,
    StockAlert,
    StockMovement,
    Supplier,
)
from catalog.money import q2
from storefront.api_errors import ServiceError
from storefront.emails import email_send
from storefront.spreadsheet import cell_untext
from webhooks import facade as webhooks

logger = logging.getLogger(__name__)


@transaction.atomic
def product_price_set(
    *,
    product_id: int,
    price: Decimal,
    source: str = "manual",
    reason: str = "",
    user_id: int | None = None,
) -> Product:
    """Change a product's selling price and record it in the price history. A lower price
    e-mails the shoppers who saved the product after commit (customers' wishlist alerts)."""
    price = q2(price)
    if price <= 0:
        raise ServiceError("price must be positive", field="price")
    product = Product.objects.select_for_update().get(pk=product_id)
    if price < product.price:
        from customers import facade as customers  # lazy: customers imports catalog.facade

        customers.wishlist_price_lowered(product_id=product_id)
    if product.price != price:
        webhooks.event_emit(
            event="product.price_changed",
            product_id=product.pk,
            context={
                "old_price": f"{product.price:.2f}",
                "new_price": f"{price:.2f}",
                "source": source,
                "reason": reason[:200],
                "set_by": "staff" if user_id else "automatic",  # never who: staff stay unnamed
            },
        )
        product.price = price
        product.save(update_fields=["price", "updated_at"])
        PriceHistory.objects.create(
            product=product,
            price=price,
            source=source,
            reason=reason[:200],
            changed_at=timezone.now(),
            changed_by_id=user_id,
        )
    return product


@transaction.atomic
def stock_adjust(
    *,
    product_id: int,
    quantity: int,
    reason: str = StockMovement.Reason.ADJUSTMENT,
    reference: str = "",
) -> Stock:
    """Add (or, negative, remove) on-hand units; refuses to go below zero."""
    stock, _ = Stock.objects.select_for_update().get_or_create(product_id=product_id)
    if stock.on_hand + quantity < stock.reserved:
        raise ServiceError(
            f"only {stock.on_hand - stock.reserved} unreserved units of product {product_id}",
            field="quantity",
        )
    available_before = stock.available
    Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    StockMovement.objects.create(
        product_id=product_id, quantity=quantity, reason=reason, reference=reference
    )
    stock.refresh_from_db()
    if available_before <= 0 < stock.available:
        stock_alerts_on_commit(product_ids=[product_id])
    return stock


@transaction.atomic
def stock_add_many(*, lines: Sequence[tuple[int, int]], reason: str, reference: str = "") -> None:
    """Put units back on the shelf, one movement per (product id, units) line: an order's
    cancellation restock. Products without a stock row are left alone; stock locks are taken
    in pk order, as checkout takes them."""
    ids = sorted({pid for pid, _ in lines})
    before = {s.product_id: s.available for s in selectors.stock_qs_locked(ids)}
    added: dict[int, int] = {}
    for product_id, quantity in lines:
        Stock.objects.filter(product_id=product_id).update(on_hand=F("on_hand") + quantity)
        added[product_id] = added.get(product_id, 0) + quantity
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                product_id=product_id, quantity=quantity, reason=reason, reference=reference
            )
            for product_id, quantity in lines
        ]
    )
    # reserved does not move here, so what is available now is before + added (no re-read)
    stock_alerts_on_commit(
        product_ids=[pid for pid, was in before.items() if was <= 0 < was + added.get(pid, 0)]
    )


@dataclass(frozen=True, slots=True)
class PurchaseOrdersCreated:
    """What purchase_orders_create_from_suggestions did: the drafts it wrote or added to (one
    per supplier) and, per product id, why a suggested product was left out."""

    purchase_orders: list[PurchaseOrder]
    skipped: dict[int, str] = field(default_factory=dict)
    lines_added: dict[int, list[PurchaseOrderLine]] = field(default_factory=dict)  # by PO id


def _expected_date(supplier: Supplier) -> date:
    return timezone.localdate() + timedelta(days=supplier.lead_time_days)


@transaction.atomic
def purchase_orders_create_from_suggestions(
    *, product_ids: Iterable[int] | None = None, user_id: int | None = None
) -> PurchaseOrdersCreated:
    """Draft purchase orders from the forecast's reorder suggestions, one per supplier.

    ``product_ids`` picks the suggestions; without them, every suggestion at or below its
    reorder point with units to order. Each line orders the suggestion's order_quantity at
    the product's cost (store currency). A product already on an open purchase order is
    left out (its open units are incoming), so is one without a supplier; lines go onto the
    supplier's existing draft if there is one. No suggestions (no model yet) -> nothing.
    """
    from forecasting import facade as forecasting  # the ML app only suggests; we order

    wanted = None if product_ids is None else sorted({int(p) for p in product_ids})
    suggestions = forecasting.reorder_suggestions(product_ids=wanted)
    skipped: dict[int, str] = {}
    if wanted is not None:
        known = {s.product_id for s in suggestions}
        skipped.update({p: "no reorder suggestion" for p in wanted if p not in known})
    else:  # stock plus what is already coming in at or below the point, something to order
        suggestions = [
            s
            for s in suggestions
            if s.on_hand + s.incoming <= s.reorder_point and s.order_quantity > 0
        ]
    quantity = {}
    for s in suggestions:
        if s.order_quantity > 0:
            quantity[s.product_id] = s.order_quantity
        else:
            skipped[s.product_id] = "nothing to order"
    # Lock the products (pk order) so two merchants ordering at once cannot both put the
    # same product on an open order; the open-order check below runs under those locks.
    products = list(
        Product.objects.filter(pk__in=list(quantity))
        .select_related("supplier")
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    on_order = selectors.purchase_order_open_by_product(product_ids=quantity)
    by_supplier: dict[int, list[Product]] = {}
    for product in products:
        if product.pk in on_order:
            skipped[product.pk] = f"already on open {on_order[product.pk]}"
        elif product.supplier is None:
            skipped[product.pk] = "no supplier"
        else:
            by_supplier.setdefault(product.supplier.pk, []).append(product)
    orders: list[PurchaseOrder] = []
    added: dict[int, list[PurchaseOrderLine]] = {}
    for supplier_id in sorted(by_supplier):
        lines = by_supplier[supplier_id]
        supplier = lines[0].supplier
        assert supplier is not None
        order = (
            PurchaseOrder.objects.select_for_update()
            .filter(supplier=supplier, status=PurchaseOrder.Status.DRAFT)
            .order_by("-created_at", "-pk")
            .first()
        )
        if order is None:
            order = PurchaseOrder.objects.create(
                supplier=supplier, expected_date=_expected_date(supplier), created_by_id=user_id
            )
        new_lines = PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                purchase_order=order,
                product=p,
                quantity_ordered=quantity[p.pk],
                unit_cost=p.cost,
            )
            for p in lines
        )
        orders.append(order)
        added[order.pk] = new_lines
    return PurchaseOrdersCreated(
        purchase_orders=orders, skipped=dict(sorted(skipped.items())), lines_added=added
    )


def purchase_order_line_refusal(
    *, order: PurchaseOrder, product: Product, quantity: int | None = None
) -> tuple[str, str] | None:
    """Why ``product`` cannot go on ``order`` by hand, as (field, message), or None.

    A line must be a product of the order's supplier (the supplier would not ship anything
    else), ordered in whole positive units, and only a draft takes new lines."""
    if order.pk and order.status != PurchaseOrder.Status.DRAFT:
        return "status", (
            f"{order.number} is {order.get_status_display()}: only a draft's lines can change"
        )
    if product.supplier_id != order.supplier_id:
        sold_by = product.supplier.name if product.supplier else "no supplier"
        return "product", (
            f"{product.sku} is not supplied by {order.supplier.name} (its supplier: {sold_by})"
        )
    if quantity is not None and quantity < 1:
        return "quantity_ordered", "order at least 1 unit"
    return None


@transaction.atomic
def purchase_order_line_add(
    *,
    purchase_order_id: int,
    product_id: int,
    quantity: int,
    unit_cost: Decimal | None = None,
) -> PurchaseOrderLine:
    """Add a line to a draft by hand: a product of the order's supplier, not already on an
    open order, at ``unit_cost`` (default: the product's cost)."""
    order = _locked_order(purchase_order_id)
    product = (
        Product.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise ServiceError(f"no product {product_id}", field="product_id")
    refusal = purchase_order_line_refusal(order=order, product=product, quantity=quantity)
    if refusal is not None:
        name, message = refusal
        raise ServiceError(message, field="product_id" if name == "product" else name)
    on_order = selectors.purchase_order_open_by_product(product_ids=[product.pk])
    if product.pk in on_order:
        raise ServiceError(f"already on open {on_order[product.pk]}", field="product_id")
    if unit_cost is not None and unit_cost < 0:
        raise ServiceError("unit cost cannot be negative", field="unit_cost")
    return PurchaseOrderLine.objects.create(
        purchase_order=order,
        product=product,
        quantity_ordered=quantity,
        unit_cost=product.cost if unit_cost is None else unit_cost,
    )


def _locked_order(purchase_order_id: int) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .get(pk=purchase_order_id)
    )


@transaction.atomic
def purchase_order_send(*, purchase_order_id: int) -> PurchaseOrder:
    """Mark a draft as sent to the supplier; the expected date restarts from today."""
    order = _locked_order(purchase_order_id)
    if order.status != PurchaseOrder.Status.DRAFT:
        raise ServiceError(
            f"{order.number} is {order.get_status_display()}: only a draft can be sent",
            field="status",
        )
    if not order.lines.exists():
        raise ServiceError(f"{order.number} has no lines", field="lines")
    order.status = PurchaseOrder.Status.SENT
    order.sent_at = timezone.now()
    order.expected_date = _expected_date(order.supplier)
    order.save(update_fields=["status", "sent_at", "expected_date", "updated_at"])
    return order


@transaction.atomic
def purchase_order_cancel(*, purchase_order_id: int) -> PurchaseOrder:
    """Cancel an open order; units already received stay in stock, the rest stop counting
    as incoming."""
    order = _locked_order(purchase_order_id)
    if order.status not in PurchaseOrder.OPEN_STATUSES:
        raise ServiceError(
            f"{order.number} is {order.get_status_display()}: it cannot be cancelled",
            field="status",
        )
    order.status = PurchaseOrder.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancelled_at", "updated_at"])
    return order


@transaction.atomic
def purchase_order_receive(
    *, purchase_order_id: int, quantities: Mapping[int, int] | None = None
) -> PurchaseOrder:
    """Receive units of a sent order: ``quantities`` maps line id -> units arrived (None:
    everything outstanding). Each line adds to the product's on-hand stock with a restock
    movement referencing the order. All or nothing: an unknown line, a negative quantity or
    more than a line's outstanding units refuses the whole receipt (ServiceError on
    ``lines``); a draft, received or cancelled order refuses it on ``status``."""
    order = _locked_order(purchase_order_id)
    if order.status not in (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED):
        raise ServiceError(
            f"{order.number} is {order.get_status_display()}: only a sent order can be received",
            field="status",
        )
    lines = {line.pk: line for line in order.lines.select_related("product").order_by("pk")}
    if quantities is None:
        quantities = {pk: line.outstanding for pk, line in lines.items() if line.outstanding}
    for line_id, units in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise ServiceError(f"line {line_id} is not on {order.number}", field="lines")
        if units < 0:
            raise ServiceError(f"line {line_id}: quantity cannot be negative", field="lines")
        if units > line.outstanding:
            raise ServiceError(
                f"line {line_id} ({line.product.sku}): {units} received but only "
                f"{line.outstanding} outstanding",
                field="lines",
            )
    arrived = {pk: units for pk, units in quantities.items() if units > 0}
    if not arrived:
        raise ServiceError("nothing to receive", field="lines")
    product_ids = [lines[pk].product_id for pk in arrived]
    for pid in product_ids:
        Stock.objects.get_or_create(product_id=pid)
    list(selectors.stock_qs_locked(product_ids))  # locked in pk order, as checkout does
    now = timezone.now()
    for pk in sorted(arrived):
        line, units = lines[pk], arrived[pk]
        stock_adjust(
            product_id=line.product_id,
            quantity=units,
            reason=StockMovement.Reason.RESTOCK,
            reference=order.number,
        )
        line.quantity_received += units
        line.save(update_fields=["quantity_received"])
    if all(line.outstanding == 0 for line in lines.values()):
        order.status = PurchaseOrder.Status.RECEIVED
        order.received_at = now
    else:
        order.status = PurchaseOrder.Status.PARTIALLY_RECEIVED
    order.save(update_fields=["status", "received_at", "updated_at"])
    return order


# --- stock alerts ("e-mail me when it's back") ------------------------------------------------


def stock_alerts_on_commit(*, product_ids: Iterable[int]) -> None:
    """Products whose available stock just went from none to some: once the transaction
    commits, e-mail the shoppers waiting for them. Nothing is queued for a product nobody
    waits for; a rolled-back receipt queues nothing."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    for product_id in ids:
        webhooks.event_emit(event="product.back_in_stock", product_id=product_id)
    waiting = (
        StockAlert.objects.filter(product_id__in=ids, status=StockAlert.Status.WAITING)
        .values_list("product_id", flat=True)
        .distinct()
    )
    for product_id in sorted(set(waiting)):
        _stock_alerts_send_on_commit(product_id)


def _stock_alerts_send_on_commit(product_id: int) -> None:
    from catalog.tasks import stock_alerts_send_task

    # robust: a broker that is down is logged by Django and never undoes a receipt
    transaction.on_commit(lambda: stock_alerts_send_task.delay(product_id=product_id), robust=True)


def _email_normalised(email: str) -> str:
    return email.strip().lower()


def _available(product: Product) -> int:
    stock = getattr(product, "stock", None)
    return stock.available if stock else 0


@dataclass(frozen=True, slots=True)
class StockAlertSubscribed:
    alert: StockAlert
    created: bool  # False: the shopper was already waiting (a repeated click, a second tab)


@transaction.atomic
def stock_alert_subscribe(
    *, product_id: int, customer_id: int | None = None, email: str = ""
) -> StockAlertSubscribed:
    """Wait for a sold-out product: a signed-in shopper (``customer_id``; ``email`` is
    ignored, the account's address is used when the mail goes) or a visitor (``email``).
    Subscribing twice returns the waiting alert (idempotent). An inactive or unknown product
    raises Product.DoesNotExist; one in stock refuses on ``product``."""
    product = Product.objects.select_related("stock").get(pk=product_id, is_active=True)
    if _available(product) > 0:
        raise ServiceError(
            "this product is in stock: you can order it now", field="product", code="in_stock"
        )
    email = "" if customer_id is not None else _email_normalised(email)
    if customer_id is None and not email:
        raise ServiceError(
            "enter your e-mail address so we can tell you", field="email", code="required"
        )
    who = Q(customer_id=customer_id) if customer_id is not None else Q(email=email)
    waiting = StockAlert.objects.filter(who, product=product, status=StockAlert.Status.WAITING)
    if alert := waiting.first():
        return StockAlertSubscribed(alert=alert, created=False)
    try:
        with transaction.atomic():  # a racing twin request hits the unique constraint
            alert = StockAlert.objects.create(product=product, customer_id=customer_id, email=email)
    except IntegrityError:
        return StockAlertSubscribed(alert=waiting.get(), created=False)
    return StockAlertSubscribed(alert=alert, created=True)


def _cancel(queryset: QuerySet[StockAlert]) -> int:
    return queryset.filter(status=StockAlert.Status.WAITING).update(
        status=StockAlert.Status.CANCELLED, cancelled_at=timezone.now()
    )


@transaction.atomic
def stock_alert_unsubscribe(*, token: str) -> int:
    """The unsubscribe link: cancel the link's alert and every other alert still waiting for
    the same person (the link arrives once an alert was sent: "no more of these e-mails").
    Clicking twice is fine (0 the second time); an unknown token raises
    StockAlert.DoesNotExist. The count of alerts cancelled."""
    alert = StockAlert.objects.get(token=token)
    same_person = Q(pk=alert.pk)
    if alert.customer_id is not None:
        same_person |= Q(customer_id=alert.customer_id)
    if alert.email:
        same_person |= Q(email=alert.email)
    return _cancel(StockAlert.objects.filter(same_person))


@transaction.atomic
def stock_alert_cancel_for_customer(*, product_id: int, customer_id: int) -> int:
    """A signed-in shopper stops waiting for a product; how many alerts were cancelled."""
    return _cancel(StockAlert.objects.filter(product_id=product_id, customer_id=customer_id))


@transaction.atomic
def stock_alerts_erase(*, customer_id: int, emails: Iterable[str] = ()) -> int:
    """GDPR erasure: cancel the person's waiting alerts and cut every alert of theirs (as a
    customer, or as a visitor with one of ``emails``) loose from them. The rows stay, so
    demand counts for sent alerts keep their history; the count of alerts touched."""
    addresses = [_email_normalised(e) for e in emails if e and e.strip()]
    mine = StockAlert.objects.filter(Q(customer_id=customer_id) | Q(email__in=addresses))
    _cancel(mine)
    return mine.update(customer=None, email="")


def _stock_alert_send_one(*, alert_id: int, product: Product) -> bool:
    with transaction.atomic():
        # the row lock makes a twin task wait here, then see the alert sent and skip it
        alert = (
            StockAlert.objects.select_for_update(of=("self",))
            .select_related("customer__user")
            .filter(pk=alert_id, status=StockAlert.Status.WAITING)
            .first()
        )
        if alert is None:
            return False
        user = alert.customer.user if alert.customer else None
        to = alert.email or (user.email if user else "")
        if not to:  # an account deleted since: nobody to write to
            _cancel(StockAlert.objects.filter(pk=alert.pk))
            return False
        site = settings.SITE_URL
        context = {
            "product": product,
            "first_name": user.first_name if user else "",
            "product_url": f"{site}/p/{product.pk}/{product.slug}/",
            "unsubscribe_url": f"{site}/stock-alerts/{alert.token}/unsubscribe/",
            "store_name": settings.STORE_NAME,
        }
        if not email_send(
            subject=f"Back in stock: {product.name}",
            template="catalog/email/stock_alert.txt",
            context=context,
            to=to,
            what=f"stock alert {alert.pk}",  # the id, never the address
        ):
            return False  # stays waiting: the next restock (or a rerun) tries again
        alert.status = StockAlert.Status.SENT
        alert.sent_at = timezone.now()
        alert.save(update_fields=["status", "sent_at"])
    return True


def stock_alerts_send(*, product_id: int) -> int:
    """E-mail everyone waiting for a product, oldest alert first, and mark each alert sent;
    the number sent. Nothing goes out unless the product is active and still in stock when
    this runs (it may have sold out again since the restock). Safe to run twice: an alert is
    locked, re-checked and marked in the transaction that sends it. A failed send is logged
    by alert id and stays waiting."""
    product = Product.objects.select_related("stock").filter(pk=product_id, is_active=True).first()
    if product is None or _available(product) <= 0:
        return 0
    alert_ids = list(
        StockAlert.objects.filter(product_id=product_id, status=StockAlert.Status.WAITING)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    sent = sum(_stock_alert_send_one(alert_id=pk, product=product) for pk in alert_ids)
    logger.info("stock alerts for product %s: %s of %s sent", product_id, sent, len(alert_ids))
    return sent


# --- product catalogue import (CSV) --------------------------------------------------------------

PRODUCT_COLUMNS = [
    "sku",
    "name",
    "category",
    "price",
    "list_price",
    "cost",
    "stock",
    "brand",
    "description",
    "is_active",
    "is_consumable",
    "tax_class",
]
MAX_IMPORT_ROWS = 50_000
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


@dataclass(slots=True)
class ProductImportReport:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    categories_created: list[str] = field(default_factory=list)
    brands_created: list[str] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)  # {"row": n, "errors": [..]}


@dataclass(slots=True)
class _ProductRow:
    number: int
    sku: str
    values: dict[str, object]  # only the columns the file has, parsed
    product: Product | None


def _money_cell(raw: str, column: str, errors: list[str], *, positive: bool) -> Decimal | None:
    try:
        value = Decimal(raw)
        if not value.is_finite():
            raise ArithmeticError
    except (ArithmeticError, ValueError):
        errors.append(f"{column} {raw!r} is not an amount")
        return None
    if value != value.quantize(Decimal("0.01")):
        errors.append(f"{column} {raw!r} has more than 2 decimals")
    elif positive and value <= 0:
        errors.append(f"{column} must be positive")
    elif value < 0:
        errors.append(f"{column} must not be negative")
    elif value >= Decimal("1e10"):
        errors.append(f"{column} is too large")
    else:
        return value
    return None


def _product_row_parse(
    row: Mapping[str, str], columns: set[str], existing: Product | None, tax_codes: list[str]
) -> tuple[dict[str, object], list[str]]:
    errors: list[str] = []
    values: dict[str, object] = {}
    cell = {k: (row.get(k) or "").strip() for k in columns}
    if existing is None:
        for required in ("name", "category", "price", "cost"):  # cost: pricing's margins
            if not cell.get(required):
                errors.append(f"{required} is needed for a new product")
    if cell.get("name"):
        if len(cell["name"]) > 200:
            errors.append("name is longer than 200 characters")
        values["name"] = cell["name"]
    if cell.get("category"):
        path = [part.strip() for part in cell["category"].split(">")]
        if any(not part or len(part) > 120 for part in path):
            errors.append(f"category {cell['category']!r}: write it as Parent > Child")
        else:
            values["category"] = path
    for column, positive in (("price", True), ("list_price", True), ("cost", False)):
        if cell.get(column):
            value = _money_cell(cell[column], column, errors, positive=positive)
            if value is not None:
                values[column] = value
    if cell.get("stock"):
        try:
            stock = int(cell["stock"])
            if stock < 0:
                errors.append("stock must not be negative")
            else:
                values["stock"] = stock
        except ValueError:
            errors.append(f"stock {cell['stock']!r} is not a whole number")
    if "brand" in cell:
        if len(cell["brand"]) > 120:
            errors.append("brand is longer than 120 characters")
        values["brand"] = cell["brand"]  # empty: no brand
    if "description" in columns:
        values["description"] = (row.get("description") or "").strip()
    for column in ("is_active", "is_consumable"):
        if cell.get(column):
            flag = cell[column].lower()
            if flag in _TRUE | _FALSE:
                values[column] = flag in _TRUE
            else:
                errors.append(f"{column} {cell[column]!r}: write yes or no")
    if "tax_class" in cell:
        code = cell["tax_class"]
        if code and code not in tax_codes:
            codes = ", ".join(tax_codes)
            errors.append(f"tax_class {code!r} is not one of {codes} (empty: the category's)")
        values["tax_class"] = code
    price = values.get("price", existing.price if existing else None)
    if (
        existing is not None
        and "list_price" not in columns
        and isinstance(price, Decimal)
        and existing.price >= existing.list_price
        and price > existing.list_price
    ):
        # Not on sale: a price list that raises the price raises the list price with it.
        values["list_price"] = price
    list_price = values.get("list_price", existing.list_price if existing else price)
    if (
        isinstance(price, Decimal)
        and isinstance(list_price, Decimal)
        and list_price < price
        and ("price" in values or "list_price" in values)
    ):
        errors.append(f"price {price} is above list_price {list_price}")
    return values, errors


def _category_for_path(path: list[str], created: list[str], seen: dict[str, Any]) -> Any:
    from django.utils.text import slugify

    from catalog.models import Category

    key = "category:" + " > ".join(path).lower()
    if key in seen:  # one lookup per category per import, not per row
        return seen[key]
    parent = None
    for depth, name in enumerate(path):
        category = Category.objects.filter(parent=parent, name__iexact=name).first()
        if category is None:
            base = slugify(name) or "category"
            slug, n = base, 2
            while Category.objects.filter(slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            category = Category.objects.create(name=name, slug=slug, parent=parent)
            created.append(" > ".join(path[: depth + 1]))
        parent = category
    seen[key] = parent
    return parent


def _brand_for_name(name: str, created: list[str], seen: dict[str, Any]) -> Any:
    from django.utils.text import slugify

    from catalog.models import Brand

    if not name:
        return None
    key = "brand:" + name.lower()
    if key in seen:
        return seen[key]
    brand = Brand.objects.filter(name__iexact=name).first()
    if brand is None:
        base = slugify(name) or "brand"
        slug, n = base, 2
        while Brand.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        brand = Brand.objects.create(name=name, slug=slug)
        created.append(name)
    seen[key] = brand
    return brand


def _product_slug(name: str) -> str:
    from django.utils.text import slugify

    base = (slugify(name) or "product")[:200]
    slug, n = base, 2
    while Product.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def products_import_csv(*, text: str, user_id: int | None = None) -> ProductImportReport:
    """Create and update products from a CSV keyed by ``sku`` (the columns of
    PRODUCT_COLUMNS; only those in the header change, so ``sku,price`` is a price list).

    All or nothing: every row is checked first and any bad row (unknown tax class, a price
    that is not a positive amount, a list price below the price, a stock below what open
    carts reserve, a new product without name, category, price or cost, a repeated SKU) makes the
    import write nothing and report each bad row by its line. Categories (``Parent > Child``)
    and brands that do not exist are created. A price change goes through
    ``product_price_set`` (price history for the Omnibus "was" price, wishlist alerts,
    webhooks), a stock change through ``stock_adjust`` (a movement; back-in-stock e-mails)."""
    from taxes.models import TaxClass  # taxes reads the catalogue: imported late

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
        rows = list(reader)
    except csv.Error as exc:
        raise ServiceError(f"not a readable CSV file: {exc}", field="file") from exc
    unknown = [h for h in header if h not in PRODUCT_COLUMNS]
    if "sku" not in header or unknown:
        problem = f"unknown columns {', '.join(unknown)}; " if unknown else "no sku column; "
        raise ServiceError(
            f"{problem}the header may have: {', '.join(PRODUCT_COLUMNS)}", field="file"
        )
    if len(rows) > MAX_IMPORT_ROWS:
        raise ServiceError(f"at most {MAX_IMPORT_ROWS} rows per file", field="file")
    # what our export wrote as text ('=...) reads back as it was
    reader_rows = [
        {k.strip(): cell_untext(v or "") for k, v in row.items() if k is not None} for row in rows
    ]
    columns = set(header) - {"sku"}
    report = ProductImportReport(received=len(rows))
    skus = [str(row.get("sku") or "").strip() for row in reader_rows]
    existing = {p.sku: p for p in Product.objects.filter(sku__in=skus).select_related("stock")}
    tax_codes = list(TaxClass.objects.values_list("code", flat=True))
    parsed: list[_ProductRow] = []
    seen: dict[str, int] = {}
    for number, (sku, row) in enumerate(zip(skus, reader_rows, strict=True), start=2):
        errors: list[str] = []
        if not sku:
            errors.append("sku is missing")
        elif len(sku) > 40:
            errors.append("sku is longer than 40 characters")
        elif sku in seen:
            errors.append(f"sku {sku!r} is also on line {seen[sku]}")
        seen.setdefault(sku, number)
        product = existing.get(sku)
        values, cell_errors = _product_row_parse(row, columns, product, tax_codes)
        errors += cell_errors
        stock_row = getattr(product, "stock", None) if product else None
        stock = values.get("stock")
        if isinstance(stock, int) and stock_row is not None and stock < stock_row.reserved:
            errors.append(f"stock below the {stock_row.reserved} units reserved in carts")
        if errors:
            report.errors.append({"row": number, "sku": sku, "errors": errors})
        parsed.append(_ProductRow(number=number, sku=sku, values=values, product=product))
    if report.errors:
        return report
    made: dict[str, Any] = {}  # categories and brands looked up or created so far
    with transaction.atomic():
        for item in parsed:
            _product_row_apply(item, report, user_id=user_id, seen=made)
    logger.info(
        "product import: %s created, %s updated, %s unchanged",
        report.created,
        report.updated,
        report.unchanged,
    )
    return report


def _product_row_apply(
    item: _ProductRow, report: ProductImportReport, *, user_id: int | None, seen: dict[str, Any]
) -> None:
    from taxes.models import TaxClass

    values = dict(item.values)
    product = item.product
    fields: dict[str, object] = {}
    if "category" in values:
        fields["category"] = _category_for_path(
            list(values.pop("category")),  # type: ignore[call-overload]
            report.categories_created,
            seen,
        )
    if "brand" in values:
        fields["brand"] = _brand_for_name(str(values.pop("brand")), report.brands_created, seen)
    if "tax_class" in values:
        code = str(values.pop("tax_class"))
        fields["tax_class"] = TaxClass.objects.get(code=code) if code else None
    price = values.pop("price", None)
    stock = values.pop("stock", None)
    fields.update(values)
    if product is None:
        assert isinstance(price, Decimal)
        list_price = fields.pop("list_price", price)
        assert isinstance(list_price, Decimal)
        product = Product.objects.create(
            sku=item.sku,
            slug=_product_slug(str(fields["name"])),
            price=price,
            list_price=list_price,
            **fields,
        )
        PriceHistory.objects.create(
            product=product, price=price, source="import", changed_by_id=user_id
        )
        Stock.objects.create(product=product, on_hand=0)
        if stock:
            stock_adjust(product_id=product.pk, quantity=int(str(stock)), reference="import")
        report.created += 1
        return
    changed = [name for name, value in fields.items() if getattr(product, name) != value]
    for name in changed:
        setattr(product, name, fields[name])
    if changed:
        product.save(update_fields=[*changed, "updated_at"])
    if price is not None and price != product.price:
        product_price_set(
            product_id=product.pk,
            price=Decimal(str(price)),
            source="import",
            reason="CSV import",
            user_id=user_id,
        )
        changed.append("price")
    if stock is not None:
        on_hand = Stock.objects.filter(product=product).values_list("on_hand", flat=True).first()
        delta = int(str(stock)) - (on_hand or 0)
        if delta:
            stock_adjust(product_id=product.pk, quantity=delta, reference="import")
            changed.append("stock")
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1
