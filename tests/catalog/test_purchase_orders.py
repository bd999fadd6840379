"""The merchant turns reorder suggestions into purchase orders, sends them and receives the
goods into stock."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import facade, services
from catalog.models import PurchaseOrder, PurchaseOrderLine, Stock, StockMovement
from storefront.api_errors import ServiceError
from tests.catalog.factories import suggest
from tests.factories import ProductFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

Status = PurchaseOrder.Status


def _sent_order(**stock: int) -> tuple[PurchaseOrder, list[PurchaseOrderLine]]:
    """A sent order from one supplier: a line of 10 units of each new product."""
    supplier = SupplierFactory(lead_time_days=5)
    products = [ProductFactory(supplier=supplier, with_stock=stock.get("on_hand", 3)) for _ in "ab"]
    for p in products:
        suggest(p, order=10)
    created = services.purchase_orders_create_from_suggestions(product_ids=[p.pk for p in products])
    order = services.purchase_order_send(purchase_order_id=created.purchase_orders[0].pk)
    return order, list(order.lines.order_by("pk"))


def test_suggestions_become_one_draft_per_supplier_with_the_suggested_quantities() -> None:
    near, far = SupplierFactory(lead_time_days=3), SupplierFactory(lead_time_days=20)
    mugs = ProductFactory(supplier=near, cost=Decimal("4.35"))
    cups = ProductFactory(supplier=near)
    lamp = ProductFactory(supplier=far)
    fine = ProductFactory(supplier=far)  # above its reorder point: not ordered
    orphan = ProductFactory(supplier=None)
    suggest(mugs, order=40)
    suggest(cups, order=12)
    suggest(lamp, order=5)
    suggest(fine, order=0, on_hand=50, reorder_point=10)
    suggest(orphan, order=8)
    user = UserFactory()

    result = services.purchase_orders_create_from_suggestions(user_id=user.pk)

    assert {po.supplier_id for po in result.purchase_orders} == {near.pk, far.pk}
    assert PurchaseOrder.objects.count() == 2
    by_supplier = {po.supplier_id: po for po in PurchaseOrder.objects.all()}
    near_po = by_supplier[near.pk]
    assert near_po.status == Status.DRAFT and near_po.created_by == user
    assert near_po.expected_date == timezone.localdate() + timedelta(days=3)
    assert by_supplier[far.pk].expected_date == timezone.localdate() + timedelta(days=20)
    lines = {line.product_id: line for line in PurchaseOrderLine.objects.all()}
    assert {pid: line.quantity_ordered for pid, line in lines.items()} == {
        mugs.pk: 40,
        cups.pk: 12,
        lamp.pk: 5,
    }
    assert lines[mugs.pk].unit_cost == Decimal("4.35")
    assert lines[mugs.pk].purchase_order == near_po
    assert result.skipped == {orphan.pk: "no supplier"}


def test_a_product_on_an_open_order_is_not_ordered_again_and_counts_as_incoming() -> None:
    supplier = SupplierFactory()
    mugs, cups = ProductFactory(supplier=supplier), ProductFactory(supplier=supplier)
    suggest(mugs, order=40)
    first = services.purchase_orders_create_from_suggestions(product_ids=[mugs.pk])
    services.purchase_order_send(purchase_order_id=first.purchase_orders[0].pk)
    suggest(cups, order=6)

    again = services.purchase_orders_create_from_suggestions()

    number = first.purchase_orders[0].number
    assert again.skipped == {mugs.pk: f"already on open {number}"}
    assert PurchaseOrderLine.objects.filter(product=mugs).count() == 1
    assert PurchaseOrderLine.objects.get(product=cups).purchase_order != first.purchase_orders[0]
    assert facade.incoming_quantities([mugs.pk, cups.pk]) == {mugs.pk: 40, cups.pk: 6}


def test_new_lines_join_the_suppliers_existing_draft() -> None:
    supplier = SupplierFactory()
    mugs, cups = ProductFactory(supplier=supplier), ProductFactory(supplier=supplier)
    suggest(mugs, order=4)
    suggest(cups, order=9)
    first = services.purchase_orders_create_from_suggestions(product_ids=[mugs.pk])
    second = services.purchase_orders_create_from_suggestions(product_ids=[cups.pk])
    assert second.purchase_orders == first.purchase_orders
    assert first.purchase_orders[0].lines.count() == 2


def test_a_cancelled_or_received_order_no_longer_blocks_or_counts() -> None:
    order, lines = _sent_order()
    services.purchase_order_cancel(purchase_order_id=order.pk)
    assert facade.incoming_quantities([lines[0].product_id]) == {}
    again = services.purchase_orders_create_from_suggestions(product_ids=[lines[0].product_id])
    assert len(again.purchase_orders) == 1 and again.purchase_orders[0] != order


def test_named_products_without_a_suggestion_or_anything_to_order_are_reported() -> None:
    product, calm = ProductFactory(supplier=SupplierFactory()), ProductFactory()
    suggest(calm, order=0, on_hand=40)
    result = services.purchase_orders_create_from_suggestions(product_ids=[product.pk, calm.pk])
    assert result.purchase_orders == []
    assert result.skipped == {product.pk: "no reorder suggestion", calm.pk: "nothing to order"}
    assert not PurchaseOrder.objects.exists()


def test_sending_restarts_the_expected_date_and_only_drafts_can_be_sent() -> None:
    order, _ = _sent_order()
    assert order.status == Status.SENT and order.sent_at is not None
    assert order.expected_date == timezone.localdate() + timedelta(days=5)
    with pytest.raises(ServiceError) as refused:
        services.purchase_order_send(purchase_order_id=order.pk)
    assert refused.value.field == "status"


def test_receiving_adds_stock_with_a_restock_movement_per_line() -> None:
    order, (mugs, cups) = _sent_order(on_hand=3)

    partly = services.purchase_order_receive(
        purchase_order_id=order.pk, quantities={mugs.pk: 4, cups.pk: 10}
    )

    assert partly.status == Status.PARTIALLY_RECEIVED
    assert Stock.objects.get(product_id=mugs.product_id).on_hand == 7
    assert Stock.objects.get(product_id=cups.product_id).on_hand == 13
    moves = StockMovement.objects.filter(reference=order.number).order_by("pk")
    assert [(m.product_id, m.quantity, m.reason) for m in moves] == [
        (mugs.product_id, 4, "restock"),
        (cups.product_id, 10, "restock"),
    ]
    assert facade.incoming_quantities([mugs.product_id]) == {mugs.product_id: 6}

    done = services.purchase_order_receive(purchase_order_id=order.pk)  # the rest

    assert done.status == Status.RECEIVED and done.received_at is not None
    assert Stock.objects.get(product_id=mugs.product_id).on_hand == 13
    assert StockMovement.objects.filter(reference=order.number).count() == 3
    assert facade.incoming_quantities([mugs.product_id, cups.product_id]) == {}


def test_receiving_a_product_without_a_stock_row_creates_it() -> None:
    order, (mugs, _) = _sent_order()
    Stock.objects.filter(product_id=mugs.product_id).delete()
    services.purchase_order_receive(purchase_order_id=order.pk, quantities={mugs.pk: 2})
    assert Stock.objects.get(product_id=mugs.product_id).on_hand == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (11, "11 received but only 10 outstanding"),
        (-1, "quantity cannot be negative"),
    ],
)
def test_a_bad_line_refuses_the_whole_receipt(bad: int, message: str) -> None:
    order, (mugs, cups) = _sent_order(on_hand=3)
    with pytest.raises(ServiceError) as refused:
        services.purchase_order_receive(
            purchase_order_id=order.pk, quantities={mugs.pk: 5, cups.pk: bad}
        )
    assert refused.value.field == "lines" and message in refused.value.message
    assert Stock.objects.get(product_id=mugs.product_id).on_hand == 3  # the good line too
    assert not StockMovement.objects.filter(reference=order.number).exists()
    order.refresh_from_db()
    mugs.refresh_from_db()
    assert order.status == Status.SENT and mugs.quantity_received == 0


def test_a_line_of_another_order_is_refused() -> None:
    order, _ = _sent_order()
    _, (other, _) = _sent_order()
    with pytest.raises(ServiceError) as refused:
        services.purchase_order_receive(purchase_order_id=order.pk, quantities={other.pk: 1})
    assert refused.value.field == "lines"
    assert f"line {other.pk} is not on {order.number}" == refused.value.message


def test_over_receipt_after_a_partial_receipt_is_refused() -> None:
    order, (mugs, _) = _sent_order()
    services.purchase_order_receive(purchase_order_id=order.pk, quantities={mugs.pk: 8})
    with pytest.raises(ServiceError, match="3 received but only 2 outstanding"):
        services.purchase_order_receive(purchase_order_id=order.pk, quantities={mugs.pk: 3})


def test_the_database_refuses_an_over_receipt_too() -> None:
    _, (mugs, _) = _sent_order()
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseOrderLine.objects.filter(pk=mugs.pk).update(quantity_received=11)


def test_draft_cancelled_and_received_orders_cannot_be_received() -> None:
    supplier = SupplierFactory()
    product = ProductFactory(supplier=supplier)
    suggest(product, order=3)
    draft = services.purchase_orders_create_from_suggestions().purchase_orders[0]
    sent, _ = _sent_order()
    cancelled = services.purchase_order_cancel(purchase_order_id=sent.pk)
    received, _ = _sent_order()
    services.purchase_order_receive(purchase_order_id=received.pk)
    for order, status in ((draft, "draft"), (cancelled, "cancelled"), (received, "received")):
        with pytest.raises(ServiceError) as refused:
            services.purchase_order_receive(purchase_order_id=order.pk)
        assert refused.value.field == "status" and status in refused.value.message
    assert Stock.objects.get(product=product).on_hand == 10  # the draft's stock untouched


def test_only_open_orders_can_be_cancelled() -> None:
    order, _ = _sent_order()
    services.purchase_order_receive(purchase_order_id=order.pk)
    with pytest.raises(ServiceError) as refused:
        services.purchase_order_cancel(purchase_order_id=order.pk)
    assert refused.value.field == "status"


def test_ordering_everything_leaves_out_suggestions_already_covered_by_incoming_units() -> None:
    supplier = SupplierFactory()
    covered, short = ProductFactory(supplier=supplier), ProductFactory(supplier=supplier)
    row = suggest(covered, order=0, on_hand=2, reorder_point=10)
    row.incoming = 20  # as the forecast writes it once an order is open
    row.save()
    suggest(short, order=9)
    result = services.purchase_orders_create_from_suggestions()
    assert [line.product_id for line in result.purchase_orders[0].lines.all()] == [short.pk]
    assert result.skipped == {}


def test_the_reorder_alert_counts_stock_on_open_orders() -> None:
    from forecasting import facade as forecasting

    low, ordered = ProductFactory(), ProductFactory()
    suggest(low, order=9)
    row = suggest(ordered, order=0)
    row.incoming = 30
    row.save()
    items = forecasting.dashboard_panel()["items"]
    assert items["Products at or below their reorder point"] == 1
