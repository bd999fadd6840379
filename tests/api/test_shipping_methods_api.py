"""The cart API lists the delivery methods priced for this cart with the dates they would
arrive; the shopper chooses one, and checkout charges it and returns it on the order."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from orders import services
from orders.models import Cart, Order, ShippingMethod, Voucher
from tests.factories import ADDRESS, GOOD_CARD, ProductFactory

pytestmark = pytest.mark.django_db

CART = "/api/v1/cart/"
CHOOSE = "/api/v1/cart/shipping-method/"
CHECKOUT = "/api/v1/checkout/"


def method(name: str) -> ShippingMethod:
    return ShippingMethod.objects.get(name=name)


def shopper_with(price: str, quantity: int = 1) -> APIClient:
    client = APIClient()
    product = ProductFactory(price=Decimal(price), with_stock=20)
    added = client.post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": quantity}, format="json"
    )
    assert added.status_code == 201, added.content
    return client


def by_name(cart: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in cart["shipping_methods"]}


def checkout(client: APIClient, key: str = "k1", **fields: Any) -> Any:
    body = {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD}
    return client.post(CHECKOUT, {**body, **fields}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_cart_lists_each_method_priced_for_this_cart_with_its_dates() -> None:
    cart = shopper_with("30.00").get(CART).json()
    methods = by_name(cart)
    assert list(methods) == ["Standard delivery", "Express delivery"]  # merchant's order
    assert (methods["Standard delivery"]["price"], methods["Express delivery"]["price"]) == (
        "4.95",
        "9.95",
    )
    assert methods["Express delivery"]["free_from"] is None
    assert cart["shipping_method"]["name"] == "Standard delivery"  # the cheapest by default
    assert (cart["shipping"], cart["total"]) == ("4.95", "34.95")
    express = methods["Express delivery"]
    earliest, latest = (
        date.fromisoformat(express[k]) for k in ("delivery_earliest", "delivery_latest")
    )
    assert (earliest, latest) == services.delivery_window(min_days=1, max_days=2)
    assert earliest.weekday() < 5 and latest.weekday() < 5
    assert express["delivery_window"].endswith(f"{latest:%a} {latest.day} {latest:%b}")

    rich = by_name(shopper_with("60.00").get(CART).json())
    assert (rich["Standard delivery"]["price"], rich["Express delivery"]["price"]) == (
        "0.00",
        "9.95",
    )


def test_standard_is_free_only_when_the_goods_after_the_code_reach_50() -> None:
    Voucher.objects.create(code="TEN", kind=Voucher.Kind.PERCENTAGE, value=Decimal("10"))
    client = shopper_with("55.00")
    assert by_name(client.get(CART).json())["Standard delivery"]["price"] == "0.00"
    cart = client.post("/api/v1/cart/voucher/", {"voucher_code": "TEN"}, format="json").json()
    assert by_name(cart)["Standard delivery"]["price"] == "4.95"  # 49.50 after 10 % off
    assert (cart["shipping"], cart["total"], cart["free_shipping_missing"]) == (
        "4.95",
        "54.45",
        "0.56",
    )


@pytest.mark.parametrize("verb", ["put", "post"])
def test_choosing_express_charges_it_and_drops_the_free_delivery_hint(verb: str) -> None:
    client = shopper_with("30.00")
    express = method("Express delivery").pk
    answer = getattr(client, verb)(CHOOSE, {"shipping_method": express}, format="json")
    assert answer.status_code == 200, answer.content
    cart = answer.json()
    assert cart["shipping_method"]["id"] == express
    assert (cart["shipping"], cart["total"]) == ("9.95", "39.95")
    assert (cart["free_shipping_from"], cart["free_shipping_missing"]) == (None, None)
    assert client.get(CART).json()["shipping_method"]["id"] == express  # kept on the cart


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: {"shipping_method": 987654}, "No such delivery method"),
        (
            lambda: {
                "shipping_method": ShippingMethod.objects.create(
                    name="Sleigh", price=Decimal("1"), is_active=False
                ).pk
            },
            "Sleigh is not available at the moment",
        ),
        (
            lambda: {
                "shipping_method": ShippingMethod.objects.create(
                    name="Dublin courier", price=Decimal("1"), countries=["IE"]
                ).pk,
                "country": "GB",
            },
            "Dublin courier does not deliver to GB",
        ),
    ],
)
def test_a_method_not_on_offer_is_a_400_on_shipping_method(make: Any, message: str) -> None:
    client = shopper_with("30.00")
    answer = client.put(CHOOSE, make(), format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert {"detail", "code", "shipping_method"} <= set(body)
    assert body["shipping_method"][0].lower() == message.lower()
    assert Cart.objects.get().shipping_method_id is None
    assert client.get(CART).json()["shipping"] == "4.95"


def test_the_country_narrows_the_methods_to_those_delivering_there() -> None:
    ShippingMethod.objects.create(name="Dublin courier", price=Decimal("3.00"), countries=["IE"])
    client = shopper_with("30.00")
    anywhere = client.get(CART).json()
    assert "Dublin courier" in by_name(anywhere)  # no country: all of them...
    # ...but the one-country courier is not preselected for a shopper who may live elsewhere
    assert anywhere["shipping_method"]["name"] == "Standard delivery"
    gb = client.get(CART, {"country": "GB"}).json()
    assert gb["shipping_country"] == "GB" and "Dublin courier" not in by_name(gb)
    ie = client.get(CART, {"country": "IE"}).json()
    assert ie["shipping_method"]["name"] == "Dublin courier"  # cheapest there
    assert (ie["shipping"], ie["total"]) == ("3.00", "33.00")
    bad = client.get(CART, {"country": "Ireland"})
    assert bad.status_code == 400 and "country" in bad.json()


def test_checkout_charges_the_chosen_method_and_returns_it_on_the_order() -> None:
    client = shopper_with("30.00")
    express = method("Express delivery").pk
    placed = checkout(client, shipping_method=express)
    assert placed.status_code == 201, placed.content
    order = placed.json()
    assert (order["shipping"], order["total"]) == ("9.95", "39.95")
    assert order["shipping_method"] == "Express delivery"
    assert [order["delivery_earliest"], order["delivery_latest"]] == [
        d.isoformat() for d in services.delivery_window(min_days=1, max_days=2)
    ]
    # a retried request with the same key answers with the same order
    again = checkout(client, shipping_method=express)
    assert again.status_code == 201 and again.json()["number"] == order["number"]
    assert Order.objects.count() == 1
    assert client.get(f"/api/v1/orders/{order['number']}/").json()["shipping_method"] == (
        "Express delivery"
    )


def test_checkout_without_a_method_uses_the_carts_choice() -> None:
    client = shopper_with("30.00")
    client.put(CHOOSE, {"shipping_method": method("Express delivery").pk}, format="json")
    placed = checkout(client)
    assert placed.status_code == 201
    assert (placed.json()["shipping_method"], placed.json()["shipping"]) == (
        "Express delivery",
        "9.95",
    )


def test_checkout_refuses_a_method_that_does_not_deliver_to_the_address() -> None:
    dublin = ShippingMethod.objects.create(
        name="Dublin courier", price=Decimal("1.00"), countries=["IE"]
    )
    client = shopper_with("30.00")
    refused = checkout(client, shipping_method=dublin.pk)  # ADDRESS is in GB
    assert refused.status_code == 400
    assert refused.json()["shipping_method"] == ["Dublin courier does not deliver to GB"]
    assert not Order.objects.exists()
    assert Cart.objects.get().status == Cart.Status.OPEN
    ireland = {**ADDRESS, "country": "IE"}
    placed = checkout(client, "k2", shipping_method=dublin.pk, shipping_address=ireland)
    assert placed.status_code == 201 and placed.json()["shipping"] == "1.00"


def test_staff_see_the_method_on_the_order(staff_client: APIClient) -> None:
    client = shopper_with("30.00")
    number = checkout(client, shipping_method=method("Express delivery").pk).json()["number"]
    row = staff_client.get(f"/api/v1/staff/orders/{number}/").json()
    assert row["shipping_method_name"] == "Express delivery"
