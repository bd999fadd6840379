"""The merchant acts on reorder suggestions from the admin: drafts purchase orders per
supplier from the suggestion list, then sends, receives and cancels them from the order list."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from catalog import services
from catalog.models import PurchaseOrder, PurchaseOrderLine, Stock
from tests.admin_support import change_form_data
from tests.catalog.factories import suggest
from tests.factories import ProductFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

SUGGESTIONS = "/admin/forecasting/reordersuggestion/"
ORDERS = "/admin/catalog/purchaseorder/"


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="buyer", is_staff=True, is_superuser=True))
    return client


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_create_purchase_orders_action_reports_one_draft_per_supplier(merchant: Client) -> None:
    ProductFactory.create_batch(3)  # so suggestion ids differ from product ids
    acme, bolt = SupplierFactory(name="Acme"), SupplierFactory(name="Bolt")
    mug, cup = ProductFactory(supplier=acme), ProductFactory(supplier=acme)
    lamp, loose = ProductFactory(supplier=bolt), ProductFactory(supplier=None, sku="LOOSE-1")
    rows = {p.pk: suggest(p, order=n).pk for p, n in ((mug, 30), (cup, 5), (lamp, 7), (loose, 3))}

    page = merchant.get(SUGGESTIONS)
    assert b"Create purchase orders" in page.content
    response = merchant.post(
        SUGGESTIONS,
        {
            "action": "create_purchase_orders",
            "_selected_action": list(rows.values()),
        },
        follow=True,
    )

    acme_po = PurchaseOrder.objects.get(supplier=acme)
    bolt_po = PurchaseOrder.objects.get(supplier=bolt)
    assert sorted(_messages(response)) == sorted(
        [
            f"Acme: {acme_po.number} (draft), 2 line(s) added, 35 units",
            f"Bolt: {bolt_po.number} (draft), 1 line(s) added, 7 units",
            "LOOSE-1: not ordered, no supplier",
        ]
    )
    assert acme_po.created_by.username == "buyer"  # type: ignore[union-attr]

    again = merchant.post(
        SUGGESTIONS,
        {"action": "create_purchase_orders", "_selected_action": [rows[mug.pk]]},
        follow=True,
    )
    assert _messages(again) == [
        f"{mug.sku}: not ordered, already on open {acme_po.number}",
        "No purchase order created",
    ]
    assert PurchaseOrderLine.objects.filter(product=mug).count() == 1


def test_send_receive_and_cancel_from_the_purchase_order_list(merchant: Client) -> None:
    supplier = SupplierFactory()
    mug, lamp = ProductFactory(supplier=supplier, with_stock=2), ProductFactory(supplier=supplier)
    suggest(mug, order=12)
    order = services.purchase_orders_create_from_suggestions(product_ids=[mug.pk]).purchase_orders[
        0
    ]
    assert merchant.get(f"{ORDERS}{order.pk}/change/").status_code == 200

    early = merchant.post(
        ORDERS, {"action": "receive_outstanding", "_selected_action": [order.pk]}, follow=True
    )
    assert f"{order.number}: {order.number} is draft: only a sent order can be received" in (
        _messages(early)
    )
    assert Stock.objects.get(product=mug).on_hand == 2

    merchant.post(ORDERS, {"action": "send_orders", "_selected_action": [order.pk]})
    merchant.post(ORDERS, {"action": "receive_outstanding", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert Stock.objects.get(product=mug).on_hand == 14

    suggest(lamp, order=4)
    other = services.purchase_orders_create_from_suggestions(product_ids=[lamp.pk])
    pending = other.purchase_orders[0]
    done = merchant.post(
        ORDERS, {"action": "cancel_orders", "_selected_action": [order.pk, pending.pk]}, follow=True
    )
    assert f"{order.number}: {order.number} is received: it cannot be cancelled" in _messages(done)
    pending.refresh_from_db()
    assert pending.status == PurchaseOrder.Status.CANCELLED


def test_a_draft_cannot_take_a_product_already_on_another_open_order(merchant: Client) -> None:
    supplier = SupplierFactory()
    mug, cup = ProductFactory(supplier=supplier), ProductFactory(supplier=supplier)
    suggest(mug, order=3)
    first = services.purchase_orders_create_from_suggestions(product_ids=[mug.pk])
    services.purchase_order_send(purchase_order_id=first.purchase_orders[0].pk)
    suggest(cup, order=3)
    draft = services.purchase_orders_create_from_suggestions(product_ids=[cup.pk]).purchase_orders[
        0
    ]
    url = f"{ORDERS}{draft.pk}/change/"
    data = change_form_data(merchant, url)
    data.update(
        {
            "lines-TOTAL_FORMS": "2",
            "lines-1-product": str(mug.pk),
            "lines-1-quantity_ordered": "5",
            "lines-1-unit_cost": "3.00",
            "lines-1-purchase_order": str(draft.pk),
        }
    )
    response = merchant.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert f"already on open {first.purchase_orders[0].number}" in response.content.decode()
    assert not PurchaseOrderLine.objects.filter(purchase_order=draft, product=mug).exists()


def test_a_sent_orders_lines_are_read_only(merchant: Client) -> None:
    supplier = SupplierFactory()
    mug = ProductFactory(supplier=supplier)
    suggest(mug, order=3)
    order = services.purchase_orders_create_from_suggestions().purchase_orders[0]
    services.purchase_order_send(purchase_order_id=order.pk)
    page = merchant.get(f"{ORDERS}{order.pk}/change/")
    formset = page.context["inline_admin_formsets"][0]
    assert not formset.has_change_permission and not formset.has_add_permission


def test_the_order_page_receives_part_of_a_delivery(merchant: Client) -> None:
    supplier = SupplierFactory()
    mug, cup = ProductFactory(supplier=supplier, with_stock=2), ProductFactory(supplier=supplier)
    suggest(mug, order=12)
    suggest(cup, order=5)
    order = services.purchase_orders_create_from_suggestions().purchase_orders[0]
    url = f"{ORDERS}{order.pk}/change/"
    assert "Receive goods" not in merchant.get(url).content.decode()  # a draft: not yet
    services.purchase_order_send(purchase_order_id=order.pk)
    lines = {line.product_id: line.pk for line in order.lines.all()}
    page = merchant.get(url).content.decode()
    assert "Receive goods" in page and f'name="_receive_{lines[mug.pk]}"' in page

    over = change_form_data(merchant, url, _receive="1", **{f"_receive_{lines[mug.pk]}": "13"})
    refused = merchant.post(url, over, follow=True)
    assert any("only 12 outstanding" in m for m in _messages(refused))
    assert Stock.objects.get(product=mug).on_hand == 2

    data = change_form_data(
        merchant,
        url,
        _receive="1",
        **{f"_receive_{lines[mug.pk]}": "7", f"_receive_{lines[cup.pk]}": "0"},
    )
    response = merchant.post(url, data, follow=True)
    assert f"{order.number}: 7 units received into stock" in _messages(response)
    assert Stock.objects.get(product=mug).on_hand == 9
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert 'name="_receive_' in response.content.decode()  # still open: the form stays
