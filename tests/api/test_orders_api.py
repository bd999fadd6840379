import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import ADDRESS, GOOD_CARD, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

PAYLOAD = {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD}


def test_cart_add_change_remove_and_totals(api_client: APIClient) -> None:
    product = ProductFactory(price="20.00", list_price="20.00", with_stock=5)
    added = api_client.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 2})
    assert added.status_code == 201
    body = added.json()
    assert body["subtotal"] == "40.00" and body["shipping"] == "4.95" and body["total"] == "44.95"
    changed = api_client.patch(f"/api/v1/cart/lines/{product.pk}/", {"quantity": 3}, format="json")
    assert changed.json()["shipping"] == "0.00" and changed.json()["total"] == "60.00"
    too_many = api_client.patch(f"/api/v1/cart/lines/{product.pk}/", {"quantity": 6}, format="json")
    assert too_many.status_code == 409 and "only 5" in too_many.json()["detail"]
    bad = api_client.patch(f"/api/v1/cart/lines/{product.pk}/", {"quantity": -1}, format="json")
    assert bad.status_code == 400 and "quantity" in bad.json()
    removed = api_client.delete(f"/api/v1/cart/lines/{product.pk}/")
    assert removed.json()["item_count"] == 0


def test_checkout_is_idempotent_and_product_detail_shows_the_sale(api_client: APIClient) -> None:
    product = ProductFactory(with_stock=2)
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["available"] == 2
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 2})
    first = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="x")
    again = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert first.status_code == again.status_code == 201
    assert first.json()["number"] == again.json()["number"]
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["available"] == 0


def test_declined_card_gives_declined_outcome(api_client: APIClient) -> None:
    product = ProductFactory()
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk})
    response = api_client.post(
        "/api/v1/checkout/",
        {**PAYLOAD, "card_number": "4000000000000002"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="d",
    )
    assert response.status_code == 201 and response.json()["outcome"] == "declined"


def test_a_declined_card_keeps_the_cart_for_another_try(api_client: APIClient) -> None:
    from customers.models import Event

    product = ProductFactory(with_stock=3)
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 2})
    declined = api_client.post(
        "/api/v1/checkout/",
        {**PAYLOAD, "card_number": "4000000000000002"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="first",
    )
    assert declined.json()["outcome"] == "declined"
    assert not Event.objects.filter(type="purchase").exists()  # an attempt, not a sale
    cart = api_client.get("/api/v1/cart/").json()
    assert cart["item_count"] == 2 and cart["lines"][0]["product_id"] == product.pk
    # the same key still answers with the same attempt; a new key pays with another card
    again = api_client.post(
        "/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="first"
    )
    assert again.json()["number"] == declined.json()["number"]
    paid = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="next")
    assert paid.status_code == 201 and paid.json()["outcome"] == "confirmed"
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["available"] == 1
    assert api_client.get("/api/v1/cart/").json()["item_count"] == 0


def test_a_discontinued_product_can_be_taken_out_of_the_cart(api_client: APIClient) -> None:
    gone, kept = ProductFactory(), ProductFactory()
    for p in (gone, kept):
        api_client.post("/api/v1/cart/lines/", {"product_id": p.pk})
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    blocked = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert blocked.status_code == 409 and gone.name in blocked.json()["detail"]
    removed = api_client.delete(f"/api/v1/cart/lines/{gone.pk}/")
    assert removed.status_code == 200 and removed.json()["item_count"] == 1
    ok = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert ok.status_code == 201


def test_an_old_idempotency_key_on_a_new_cart_is_refused_not_answered_with_the_old_order(
    api_client: APIClient,
) -> None:
    first_item, second_item = ProductFactory(), ProductFactory()
    api_client.post("/api/v1/cart/lines/", {"product_id": first_item.pk})
    first = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k")
    # a retry of the same request after the cart closed still answers with the first order
    retry = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert retry.status_code == 201 and retry.json()["number"] == first.json()["number"]
    api_client.post("/api/v1/cart/lines/", {"product_id": second_item.pk})
    reused = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert reused.status_code == 422
    assert first.json()["number"] in reused.json()["idempotency_key"][0]
    fresh = api_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert fresh.status_code == 201
    assert [line["product_id"] for line in fresh.json()["lines"]] == [second_item.pk]


def test_orders_are_private_to_their_customer() -> None:
    owner, other = CustomerFactory(), CustomerFactory()
    owner_client, other_client = APIClient(), APIClient()
    owner_client.force_authenticate(owner.user)
    other_client.force_authenticate(other.user)
    product = ProductFactory()
    owner_client.post("/api/v1/cart/lines/", {"product_id": product.pk})
    number = owner_client.post(
        "/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="o"
    ).json()["number"]
    assert [o["number"] for o in owner_client.get("/api/v1/orders/").json()["results"]] == [number]
    assert other_client.get("/api/v1/orders/").json()["results"] == []
    assert other_client.get(f"/api/v1/orders/{number}/").status_code == 404
    assert APIClient().get(f"/api/v1/orders/{number}/").status_code == 404
    assert APIClient().get("/api/v1/orders/").status_code in (401, 403)


def test_cart_query_count_is_independent_of_lines(shopper_client: APIClient) -> None:
    first = ProductFactory()
    shopper_client.post("/api/v1/cart/lines/", {"product_id": first.pk})
    with CaptureQueriesContext(connection) as one:
        shopper_client.get("/api/v1/cart/")
    for product in ProductFactory.create_batch(8):
        shopper_client.post("/api/v1/cart/lines/", {"product_id": product.pk})
    with CaptureQueriesContext(connection) as nine:
        shopper_client.get("/api/v1/cart/")
    assert len(nine.captured_queries) == len(one.captured_queries)


def test_checkout_remembers_the_address_for_next_time(shopper_client: APIClient, shopper) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    for key in ("a", "b"):  # the same address twice is kept once
        shopper_client.post("/api/v1/cart/lines/", {"product_id": ProductFactory().pk})
        shopper_client.post("/api/v1/checkout/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert shopper.addresses.count() == 1
    # the next checkout (with something in the cart: an empty cart's checkout has no form)
    shopper_client.post("/api/v1/cart/lines/", {"product_id": ProductFactory().pk})
    page = Client()
    page.force_login(shopper.user)
    assert ADDRESS["line1"] in page.get("/checkout/").content.decode()
