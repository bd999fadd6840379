import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from catalog.models import Review
from customers.models import Customer
from orders.models import Order
from tests.factories import ADDRESS, GOOD_CARD, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def register(client: APIClient, email: str = "ada@example.com", **extra: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/account/register/",
        {"email": email, "password": "a-long-pass-phrase", "first_name": "Ada", **extra},
        format="json",
    )


def checkout(client: APIClient, key: str = "k1"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/checkout/",
        {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_register_logs_in_and_returns_a_working_token() -> None:
    client = APIClient()
    response = register(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"]["email"] == "ada@example.com" and body["token"]
    assert client.get("/api/v1/account/").status_code == 200  # session
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert token_client.get("/api/v1/account/").json()["first_name"] == "Ada"


def test_register_validation_errors_name_the_field() -> None:
    client = APIClient()
    bad = client.post(
        "/api/v1/account/register/", {"email": "nope", "password": "x"}, format="json"
    )
    assert bad.status_code == 400 and {"email", "password"} <= set(bad.json())
    weak = client.post(
        "/api/v1/account/register/",
        {"email": "b@example.com", "password": "password"},
        format="json",
    )
    assert weak.status_code == 400 and "password" in weak.json()
    register(client, "dup@example.com")
    again = register(APIClient(), "DUP@example.com")
    assert again.status_code == 400 and "email" in again.json()


def test_login_with_wrong_password_is_400_and_is_throttled(settings) -> None:  # type: ignore[no-untyped-def]
    register(APIClient())
    client = APIClient()
    wrong = client.post("/api/v1/account/login/", {"email": "ada@example.com", "password": "no"})
    assert wrong.status_code == 400 and "password" in wrong.json()
    statuses = {
        client.post(
            "/api/v1/account/login/", {"email": "x@example.com", "password": "no"}
        ).status_code
        for _ in range(25)
    }
    assert 429 in statuses


def test_login_merges_the_anonymous_cart_and_logout_ends_the_session() -> None:
    register(APIClient(), "cart@example.com")
    a, b = ProductFactory(), ProductFactory()
    client = APIClient()
    client.post("/api/v1/cart/lines/", {"product_id": a.pk, "quantity": 2}, format="json")
    client.post("/api/v1/cart/lines/", {"product_id": b.pk}, format="json")
    response = client.post(
        "/api/v1/account/login/", {"email": "cart@example.com", "password": "a-long-pass-phrase"}
    )
    assert response.status_code == 200 and response.json()["cart_items"] == 3
    cart = client.get("/api/v1/cart/").json()
    assert {line["product_id"]: line["quantity"] for line in cart["lines"]} == {a.pk: 2, b.pk: 1}
    assert client.post("/api/v1/account/logout/").status_code == 204
    assert client.get("/api/v1/account/").status_code in (401, 403)


def test_cart_merge_by_token_for_api_clients(shopper_client: APIClient) -> None:
    product = ProductFactory()
    anonymous = APIClient()
    token = anonymous.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json").json()[
        "token"
    ]
    merged = shopper_client.post("/api/v1/cart/merge/", {"cart_token": token}, format="json")
    assert merged.status_code == 200 and merged.json()["item_count"] == 1
    again = shopper_client.post("/api/v1/cart/merge/", {"cart_token": token}, format="json")
    assert again.status_code == 404
    assert shopper_client.post("/api/v1/cart/merge/", {"cart_token": "x"}).status_code == 400
    assert APIClient().post("/api/v1/cart/merge/", {"cart_token": token}).status_code in (401, 403)


def test_account_endpoints_need_login() -> None:
    client = APIClient()
    for url in ("/api/v1/account/", "/api/v1/account/export/", "/api/v1/account/rebuy/"):
        assert client.get(url).status_code in (401, 403), url
    assert client.post("/api/v1/account/erase/", {}).status_code in (401, 403)


def test_export_is_a_json_download_of_my_data_only() -> None:
    client = APIClient()
    register(client, "me@example.com")
    product = ProductFactory(name="Teapot")
    client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    assert checkout(client).status_code == 201
    other = CustomerFactory()
    Review.objects.create(product=product, customer=other, rating=1, body="someone else")
    response = client.get("/api/v1/account/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "me@example.com"
    assert data["orders"][0]["lines"][0]["name"] == "Teapot"
    assert data["reviews"] == []


def test_erasure_removes_the_person_but_keeps_order_totals() -> None:
    client = APIClient()
    register(client, "gone@example.com")
    product = ProductFactory()
    client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    number = checkout(client).json()["number"]
    refused = client.post("/api/v1/account/erase/", {"password": "wrong", "confirm": True})
    assert refused.status_code == 400 and "password" in refused.json()
    unconfirmed = client.post(
        "/api/v1/account/erase/", {"password": "a-long-pass-phrase", "confirm": False}
    )
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.json()
    done = client.post(
        "/api/v1/account/erase/", {"password": "a-long-pass-phrase", "confirm": True}
    )
    assert done.status_code == 204
    order = Order.objects.get(number=number)
    assert order.total > 0 and "gone@example.com" not in order.email
    assert order.shipping_address == {}
    assert not get_user_model().objects.filter(email="gone@example.com").exists()
    assert Customer.objects.get(pk=order.customer_id).erased_at is not None
    login = APIClient().post(
        "/api/v1/account/login/", {"email": "gone@example.com", "password": "a-long-pass-phrase"}
    )
    assert login.status_code == 400


def test_rebuy_lists_what_i_bought_consumables_first() -> None:
    client = APIClient()
    register(client, "rebuy@example.com")
    coffee = ProductFactory(name="Coffee Beans", is_consumable=True)
    kettle = ProductFactory(name="Kettle")
    for product, key in ((kettle, "a"), (coffee, "b")):
        client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
        assert checkout(client, key).status_code == 201
    rows = client.get("/api/v1/account/rebuy/").json()
    assert [r["name"] for r in rows] == ["Coffee Beans", "Kettle"]


def test_signed_out_calls_are_challenged_with_401_and_a_bad_token_too() -> None:
    anonymous = APIClient()
    response = anonymous.get("/api/v1/account/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    bad = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert bad.get("/api/v1/account/").status_code == 401
