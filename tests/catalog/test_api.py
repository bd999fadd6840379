"""Staff purchasing over the API: draft purchase orders from reorder suggestions, send them,
receive the goods into stock; refusals are 400s naming the field."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import PurchaseOrder, Stock, StockMovement
from tests.catalog.factories import suggest
from tests.factories import ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/staff/purchase-orders/"


def _draft(staff_client: APIClient, *products: Any) -> dict[str, Any]:
    response = staff_client.post(
        f"{BASE}from-suggestions/", {"product_ids": [p.pk for p in products]}, format="json"
    )
    assert response.status_code == 201, response.content
    order: dict[str, Any] = response.json()["purchase_orders"][0]
    return order


def test_from_suggestions_drafts_one_order_per_supplier_and_names_what_it_skipped(
    staff_client: APIClient,
) -> None:
    acme, bolt = SupplierFactory(name="Acme", lead_time_days=4), SupplierFactory(name="Bolt")
    mug, cup, lamp = (ProductFactory(supplier=s) for s in (acme, acme, bolt))
    loose = ProductFactory(supplier=None)
    for product, units in ((mug, 30), (cup, 5), (lamp, 7), (loose, 2)):
        suggest(product, order=units)

    response = staff_client.post(f"{BASE}from-suggestions/", {}, format="json")

    assert response.status_code == 201
    body = response.json()
    orders = {o["supplier"]: o for o in body["purchase_orders"]}
    assert set(orders) == {"Acme", "Bolt"}
    assert orders["Acme"]["status"] == "draft" and orders["Acme"]["currency"]
    assert {(li["sku"], li["quantity_ordered"]) for li in orders["Acme"]["lines"]} == {
        (mug.sku, 30),
        (cup.sku, 5),
    }
    assert orders["Acme"]["lines"][0]["unit_cost"] == "12.00"
    assert body["skipped"] == [{"product_id": loose.pk, "reason": "no supplier"}]

    again = staff_client.post(f"{BASE}from-suggestions/", {"product_ids": [mug.pk]}, format="json")
    assert again.json() == {
        "purchase_orders": [],
        "skipped": [
            {"product_id": mug.pk, "reason": f"already on open {orders['Acme']['number']}"}
        ],
    }


def test_send_then_receive_part_then_the_rest(staff_client: APIClient) -> None:
    supplier = SupplierFactory()
    mug, cup = ProductFactory(supplier=supplier, with_stock=1), ProductFactory(supplier=supplier)
    suggest(mug, order=10)
    suggest(cup, order=4)
    order = _draft(staff_client, mug, cup)
    lines = {li["product_id"]: li["id"] for li in order["lines"]}

    sent = staff_client.post(f"{BASE}{order['id']}/send/")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    part = staff_client.post(
        f"{BASE}{order['id']}/receive/",
        {"lines": [{"line_id": lines[mug.pk], "quantity": 6}]},
        format="json",
    )
    assert part.status_code == 200, part.content
    assert part.json()["status"] == "partially_received"
    assert Stock.objects.get(product=mug).on_hand == 7
    rest = staff_client.post(f"{BASE}{order['id']}/receive/", {}, format="json")
    assert rest.json()["status"] == "received"
    assert [li["outstanding"] for li in rest.json()["lines"]] == [0, 0]
    assert Stock.objects.get(product=mug).on_hand == 11
    assert Stock.objects.get(product=cup).on_hand == 14
    assert staff_client.get(f"{BASE}{order['id']}/").json() == rest.json()


def test_over_receipt_is_a_400_on_lines_and_changes_nothing(staff_client: APIClient) -> None:
    supplier = SupplierFactory()
    mug, cup = ProductFactory(supplier=supplier, with_stock=1), ProductFactory(supplier=supplier)
    suggest(mug, order=10)
    suggest(cup, order=4)
    order = _draft(staff_client, mug, cup)
    staff_client.post(f"{BASE}{order['id']}/send/")
    lines = {li["product_id"]: li["id"] for li in order["lines"]}

    response = staff_client.post(
        f"{BASE}{order['id']}/receive/",
        {
            "lines": [
                {"line_id": lines[mug.pk], "quantity": 10},
                {"line_id": lines[cup.pk], "quantity": 5},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "only 4 outstanding" in body["lines"][0]
    assert Stock.objects.get(product=mug).on_hand == 1
    assert not StockMovement.objects.filter(reference=order["number"]).exists()


def test_refusals_and_bad_input_are_400s_naming_the_field(staff_client: APIClient) -> None:
    supplier = SupplierFactory()
    mug = ProductFactory(supplier=supplier)
    suggest(mug, order=3)
    order = _draft(staff_client, mug)
    url = f"{BASE}{order['id']}/receive/"

    draft = staff_client.post(url, {}, format="json")
    assert draft.status_code == 400 and "only a sent order" in draft.json()["status"][0]
    for bad, field in (
        ({"lines": [{"line_id": order["lines"][0]["id"], "quantity": -1}]}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": [{"line_id": 1, "quantity": 1}, {"line_id": 1, "quantity": 2}]}, "lines"),
    ):
        answer = staff_client.post(url, bad, format="json")
        assert answer.status_code == 400 and field in answer.json(), (bad, answer.content)
    ids = staff_client.post(f"{BASE}from-suggestions/", {"product_ids": ["x"]}, format="json")
    assert ids.status_code == 400 and "product_ids" in ids.json()
    staff_client.post(f"{BASE}{order['id']}/cancel/")
    again = staff_client.post(f"{BASE}{order['id']}/send/")
    assert again.status_code == 400 and "cancelled" in again.json()["status"][0]


def test_unknown_or_huge_ids_are_404(staff_client: APIClient) -> None:
    for url in (f"{BASE}999999/", f"{BASE}{10**30}/"):
        assert staff_client.get(url).status_code == 404
    for action in ("send", "cancel", "receive"):
        assert staff_client.post(f"{BASE}{10**30}/{action}/", {}, format="json").status_code == 404
        assert staff_client.post(f"{BASE}999999/{action}/", {}, format="json").status_code == 404


def test_shoppers_and_anonymous_users_are_refused(
    api_client: APIClient, shopper_client: APIClient
) -> None:
    assert api_client.get(BASE).status_code in (401, 403)
    assert shopper_client.get(BASE).status_code == 403
    refused = shopper_client.post(f"{BASE}from-suggestions/", {}, format="json")
    assert refused.status_code == 403
    assert not PurchaseOrder.objects.exists()


def test_list_filters_by_status_and_its_queries_do_not_grow(
    staff_client: APIClient,
    django_assert_num_queries: Any,
) -> None:
    def orders(n: int) -> None:
        for _ in range(n):
            supplier = SupplierFactory()
            for _ in range(2):
                suggest(ProductFactory(supplier=supplier), order=3)
        staff_client.post(f"{BASE}from-suggestions/", {}, format="json")

    orders(2)
    first = PurchaseOrder.objects.order_by("pk").first()
    assert first is not None
    staff_client.post(f"{BASE}{first.pk}/send/")
    sent = staff_client.get(f"{BASE}?status=sent").json()
    assert sent["count"] == 1 and sent["results"][0]["id"] == first.pk
    assert staff_client.get(f"{BASE}?status=bogus").status_code == 400
    orders(10)
    # count, the page with supplier and creator, the lines with their products
    with django_assert_num_queries(3):
        page = staff_client.get(BASE)
    assert page.status_code == 200 and page.json()["count"] == 12
