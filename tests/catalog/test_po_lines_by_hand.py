"""Lines a merchant adds to a purchase order by hand: only the order's supplier's products,
whole positive units, and never on an order that is received or cancelled."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from catalog import services
from catalog.models import PurchaseOrder, PurchaseOrderLine
from tests.admin_support import change_form_data
from tests.catalog.factories import suggest
from tests.factories import ProductFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/admin/catalog/purchaseorder/"
BASE = "/api/v1/staff/purchase-orders/"


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="buyer", is_staff=True, is_superuser=True))
    return client


def _draft_of(supplier: object) -> PurchaseOrder:
    first = ProductFactory(supplier=supplier)
    suggest(first, order=4)
    created = services.purchase_orders_create_from_suggestions(product_ids=[first.pk])
    return created.purchase_orders[0]


def _add_line(merchant: Client, order: PurchaseOrder, product_id: int, quantity: str) -> str:
    url = f"{ORDERS}{order.pk}/change/"
    data = change_form_data(merchant, url)
    data.update(
        {
            "lines-TOTAL_FORMS": "2",
            "lines-1-product": str(product_id),
            "lines-1-quantity_ordered": quantity,
            "lines-1-unit_cost": "3.00",
            "lines-1-purchase_order": str(order.pk),
        }
    )
    response = merchant.post(url, data)
    return response.content.decode() if response.status_code == 200 else ""


def test_admin_refuses_a_product_of_another_supplier_on_the_line(merchant: Client) -> None:
    acme, bolt = SupplierFactory(name="Acme"), SupplierFactory(name="Bolt")
    order = _draft_of(acme)
    lamp = ProductFactory(supplier=bolt, sku="LAMP-1")

    page = _add_line(merchant, order, lamp.pk, "5")

    assert "LAMP-1 is not supplied by Acme (its supplier: Bolt)" in page
    assert not PurchaseOrderLine.objects.filter(product=lamp).exists()


def test_admin_takes_a_product_of_the_orders_supplier(merchant: Client) -> None:
    acme = SupplierFactory(name="Acme")
    order = _draft_of(acme)
    cup = ProductFactory(supplier=acme)

    assert _add_line(merchant, order, cup.pk, "5") == ""  # saved: a redirect, no form again

    assert order.lines.get(product=cup).quantity_ordered == 5


def test_admin_refuses_changing_the_supplier_under_existing_lines(merchant: Client) -> None:
    acme, bolt = SupplierFactory(name="Acme"), SupplierFactory(name="Bolt")
    order = _draft_of(acme)
    url = f"{ORDERS}{order.pk}/change/"

    response = merchant.post(url, change_form_data(merchant, url, supplier=str(bolt.pk)))

    assert response.status_code == 200
    assert "is not supplied by Bolt (its supplier: Acme)" in response.content.decode()
    order.refresh_from_db()
    assert order.supplier == acme


def test_admin_refuses_a_zero_quantity(merchant: Client) -> None:
    acme = SupplierFactory()
    order = _draft_of(acme)
    cup = ProductFactory(supplier=acme)

    page = _add_line(merchant, order, cup.pk, "0")

    assert "greater than or equal to 1" in page
    assert not order.lines.filter(product=cup).exists()


@pytest.mark.parametrize("final", ["receive", "cancel"])
def test_a_received_or_cancelled_order_is_view_only_in_admin(merchant: Client, final: str) -> None:
    acme = SupplierFactory()
    order = _draft_of(acme)
    services.purchase_order_send(purchase_order_id=order.pk)
    getattr(services, f"purchase_order_{final}")(purchase_order_id=order.pk)
    url = f"{ORDERS}{order.pk}/change/"

    page = merchant.get(url)
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    before = order.expected_date
    response = merchant.post(url, {"expected_date": "2030-01-01"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.expected_date == before


def test_api_adds_a_line_of_the_orders_supplier(staff_client: APIClient) -> None:
    acme = SupplierFactory()
    order = _draft_of(acme)
    cup = ProductFactory(supplier=acme, cost=Decimal("2.40"))

    response = staff_client.post(
        f"{BASE}{order.pk}/lines/", {"product_id": cup.pk, "quantity_ordered": 6}, format="json"
    )

    assert response.status_code == 201, response.content
    line = next(li for li in response.json()["lines"] if li["product_id"] == cup.pk)
    assert line["quantity_ordered"] == 6 and line["unit_cost"] == "2.40"


def test_api_refuses_another_suppliers_product_with_a_field_message(
    staff_client: APIClient,
) -> None:
    acme, bolt = SupplierFactory(name="Acme"), SupplierFactory(name="Bolt")
    order = _draft_of(acme)
    lamp = ProductFactory(supplier=bolt, sku="LAMP-1")

    response = staff_client.post(
        f"{BASE}{order.pk}/lines/", {"product_id": lamp.pk, "quantity_ordered": 2}, format="json"
    )

    assert response.status_code == 400
    assert "LAMP-1 is not supplied by Acme" in str(response.json()["product_id"])
    assert not PurchaseOrderLine.objects.filter(product=lamp).exists()


@pytest.mark.parametrize("quantity", [0, -3])
def test_api_refuses_a_quantity_below_one(staff_client: APIClient, quantity: int) -> None:
    acme = SupplierFactory()
    order = _draft_of(acme)
    cup = ProductFactory(supplier=acme)

    response = staff_client.post(
        f"{BASE}{order.pk}/lines/",
        {"product_id": cup.pk, "quantity_ordered": quantity},
        format="json",
    )

    assert response.status_code == 400
    assert "quantity_ordered" in response.json()


def test_api_refuses_lines_on_a_received_order(staff_client: APIClient) -> None:
    acme = SupplierFactory()
    order = _draft_of(acme)
    services.purchase_order_send(purchase_order_id=order.pk)
    services.purchase_order_receive(purchase_order_id=order.pk)
    cup = ProductFactory(supplier=acme)

    response = staff_client.post(
        f"{BASE}{order.pk}/lines/", {"product_id": cup.pk, "quantity_ordered": 2}, format="json"
    )

    assert response.status_code == 400
    assert "only a draft's lines can change" in str(response.json()["status"])
    assert not order.lines.filter(product=cup).exists()


def test_api_refuses_a_product_already_on_another_open_order(staff_client: APIClient) -> None:
    acme = SupplierFactory()
    order = _draft_of(acme)
    mug = order.lines.get().product
    services.purchase_order_send(purchase_order_id=order.pk)
    second = PurchaseOrder.objects.create(supplier=acme, expected_date=order.expected_date)

    response = staff_client.post(
        f"{BASE}{second.pk}/lines/", {"product_id": mug.pk, "quantity_ordered": 2}, format="json"
    )

    assert response.status_code == 400
    assert f"already on open {order.number}" in str(response.json()["product_id"])


def test_product_list_shows_money_with_the_currency_symbol(merchant: Client) -> None:
    ProductFactory(
        sku="MUG-9", price=Decimal("1234.50"), list_price=Decimal("1500.00"), cost=Decimal("7.05")
    )

    page = merchant.get("/admin/catalog/product/").content.decode()

    assert "£1,234.50" in page and "£1,500.00" in page and "£7.05" in page


def test_the_order_downloads_as_a_csv_for_the_supplier(merchant: Client) -> None:
    acme = SupplierFactory(name="Acme")
    mug = ProductFactory(supplier=acme, sku="MUG-1", name="Mug", cost=Decimal("2.50"))
    suggest(mug, order=4)
    order = services.purchase_orders_create_from_suggestions(product_ids=[mug.pk])
    po = order.purchase_orders[0]

    page = merchant.get(f"{ORDERS}{po.pk}/change/").content.decode()
    assert f"{ORDERS}{po.pk}/csv/" in page
    response = merchant.get(f"{ORDERS}{po.pk}/csv/")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = response.content.decode().splitlines()
    assert rows[0] == f"purchase order,{po.number},supplier,Acme"
    assert "MUG-1,Mug,4,2.50,10.00" in rows
    assert rows[-1] == ",total,,,10.00"
    assert merchant.get(f"{ORDERS}999999/csv/").status_code == 404


def test_the_order_list_shows_each_orders_total_in_pounds(merchant: Client) -> None:
    acme = SupplierFactory()
    mug = ProductFactory(supplier=acme, cost=Decimal("1250.00"))
    suggest(mug, order=2)
    services.purchase_orders_create_from_suggestions(product_ids=[mug.pk])

    assert "£2,500.00" in merchant.get(ORDERS).content.decode()
