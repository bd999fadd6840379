import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tests.factories import ADDRESS, GOOD_CARD, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def checkout_payload(**overrides: object) -> dict[str, object]:
    return {
        "email": "ada@example.com",
        "shipping_address": ADDRESS,
        "card_number": GOOD_CARD,
        **overrides,
    }


def test_anonymous_shopper_adds_to_cart_and_checks_out(api_client: APIClient) -> None:
    product = ProductFactory(with_stock=3)
    response = api_client.post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 2}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["item_count"] == 2

    response = api_client.post(
        "/api/v1/checkout/", checkout_payload(), format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "confirmed"
    assert body["lines"][0]["quantity"] == 2
    # Retrying the same request returns the same order.
    again = api_client.post(
        "/api/v1/checkout/", checkout_payload(), format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert again.status_code == 201
    assert again.json()["number"] == body["number"]
    assert Order.objects.count() == 1
    # The guest can read their own order in this session.
    assert api_client.get(f"/api/v1/orders/{body['number']}/").status_code == 200


def test_checkout_without_idempotency_key_is_400(api_client: APIClient) -> None:
    product = ProductFactory()
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    response = api_client.post("/api/v1/checkout/", checkout_payload(), format="json")
    assert response.status_code == 400
    assert "idempotency_key" in response.json()


def test_checkout_bad_input_gives_field_messages(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/checkout/",
        {"email": "not-an-email", "shipping_address": {"city": "x"}, "card_number": ""},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 400
    body = response.json()
    assert "email" in body and "card_number" in body and "line1" in body["shipping_address"]


def test_sold_out_is_409_naming_the_product(api_client: APIClient) -> None:
    product = ProductFactory(name="Blue Vase", with_stock=0)
    response = api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    assert response.status_code == 409
    assert "Blue Vase is sold out" in response.json()["detail"]


def test_other_customers_order_is_404(api_client: APIClient) -> None:
    owner, other = CustomerFactory(), CustomerFactory()
    product = ProductFactory()
    api_client.force_authenticate(owner.user)
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    number = api_client.post(
        "/api/v1/checkout/", checkout_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k"
    ).json()["number"]
    assert api_client.get(f"/api/v1/orders/{number}/").status_code == 200
    api_client.force_authenticate(other.user)
    assert api_client.get(f"/api/v1/orders/{number}/").status_code == 404
    assert api_client.get("/api/v1/orders/").json()["count"] == 0
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/v1/orders/{number}/").status_code == 404
    assert api_client.get("/api/v1/orders/").status_code in (401, 403)


def _fill_cart(client: APIClient, n: int) -> None:
    for product in ProductFactory.create_batch(n):
        assert (
            client.post(
                "/api/v1/cart/lines/", {"product_id": product.pk}, format="json"
            ).status_code
            == 201
        )


def _count_queries(client: APIClient, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_cart_query_count_does_not_grow_with_lines(shopper_client: APIClient) -> None:
    _fill_cart(shopper_client, 1)
    one = _count_queries(shopper_client, "/api/v1/cart/")
    _fill_cart(shopper_client, 9)
    assert _count_queries(shopper_client, "/api/v1/cart/") == one


def test_order_list_query_count_does_not_grow(
    shopper_client: APIClient, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    def order_once(key: str, lines: int) -> None:
        _fill_cart(shopper_client, lines)
        assert (
            shopper_client.post(
                "/api/v1/checkout/", checkout_payload(), format="json", HTTP_IDEMPOTENCY_KEY=key
            ).status_code
            == 201
        )

    order_once("a", 1)
    one = _count_queries(shopper_client, "/api/v1/orders/")
    for i in range(4):
        order_once(f"b{i}", 3)
    assert _count_queries(shopper_client, "/api/v1/orders/") == one


def test_product_list_query_count_is_constant(
    api_client: APIClient, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    ProductFactory.create_batch(3)
    few = _count_queries(api_client, "/api/v1/products/")
    ProductFactory.create_batch(20)
    assert _count_queries(api_client, "/api/v1/products/") == few


def test_schema_and_docs_are_served(api_client: APIClient) -> None:
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200
