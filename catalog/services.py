from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog import selectors
from catalog.models import (
    PriceHistory,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Stock,
    StockMovement,
    Supplier,
)
from catalog.money import q2
from storefront.api_errors import ServiceError


@transaction.atomic
def product_price_set(
    *,
    product_id: int,
    price: Decimal,
    source: str = "manual",
    reason: str = "",
    user_id: int | None = None,
) -> Product:
    """Change a product's selling price and record it in the price history."""
    price = q2(price)
    if price <= 0:
        raise ServiceError("price must be positive", field="price")
    product = Product.objects.select_for_update().get(pk=product_id)
    if product.price != price:
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
    Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    StockMovement.objects.create(
        product_id=product_id, quantity=quantity, reason=reason, reference=reference
    )
    stock.refresh_from_db()
    return stock


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
