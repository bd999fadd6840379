"""The cart's free-delivery hint says exactly what checkout will need with a discount code."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from orders import services
from orders.models import Voucher
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def guest_with(price: str) -> APIClient:
    client = APIClient()
    product = ProductFactory(price=Decimal(price), with_stock=50)
    res = client.post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 1}, format="json"
    )
    assert res.status_code == 201
    return client


def test_percentage_code_near_the_threshold_hints_what_checkout_needs() -> None:
    Voucher.objects.create(code="TEN", kind=Voucher.Kind.PERCENTAGE, value=Decimal("10"))
    client = guest_with("45.00")  # 40.50 after 10 % off; free delivery from 50.00
    assert (
        client.post("/api/v1/cart/voucher/", {"voucher_code": "ten"}, format="json").status_code
        == 200
    )
    cart = client.get("/api/v1/cart/").json()
    assert cart["shipping"] == "4.95"
    # 9.50 more (the old hint) makes 54.50, which checkout counts as 49.05: still a fee
    assert cart["free_shipping_missing"] == "10.56"
    ten = Voucher.objects.get(code="TEN")
    for added, fee in (("10.55", Decimal("4.95")), ("10.56", Decimal("0.00"))):
        subtotal = Decimal("45.00") + Decimal(added)
        discount = services.voucher_discount(voucher=ten, subtotal=subtotal)
        assert services.totals_compute(subtotal=subtotal, discount=discount).shipping == fee


@pytest.mark.parametrize(
    ("kind", "value", "subtotal", "min_subtotal"),
    [
        ("percentage", "20", "12.34", None),
        ("percentage", "15", "49.99", None),
        ("percentage", "33", "1.00", None),
        ("fixed", "5", "47.00", None),
        ("percentage", "10", "30.00", "52.00"),  # below the code's minimum the goods count in full
    ],
)
def test_the_hint_is_the_least_that_makes_checkout_deliver_free(
    kind, value, subtotal, min_subtotal
) -> None:  # type: ignore[no-untyped-def]
    code = Voucher.objects.create(
        code="C",
        kind=kind,
        value=Decimal(value),
        min_subtotal=Decimal(min_subtotal) if min_subtotal else None,
    )
    start = Decimal(subtotal)
    missing = services.free_shipping_missing(subtotal=start, voucher=code)
    assert missing is not None and missing > 0

    def fee(goods: Decimal) -> Decimal:
        applies = services.voucher_refusal(voucher=code, subtotal=goods, customer_id=None) is None
        discount = (
            services.voucher_discount(voucher=code, subtotal=goods) if applies else Decimal(0)
        )
        return services.totals_compute(subtotal=goods, discount=discount).shipping

    assert fee(start + missing) == 0
    assert fee(start + missing - Decimal("0.01")) > 0


def test_a_whole_price_code_gives_no_free_delivery_hint() -> None:
    code = Voucher.objects.create(code="ALL", kind=Voucher.Kind.PERCENTAGE, value=Decimal("100"))
    assert services.free_shipping_missing(subtotal=Decimal("20.00"), voucher=code) is None


def test_the_shops_free_delivery_banners_follow_the_merchants_delivery_methods(
    admin_client, client
) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from orders.models import ShippingMethod
    from tests.admin_support import change_form_data

    product = ProductFactory(with_stock=5)
    standard = ShippingMethod.objects.get(name="Standard delivery")
    assert "Free delivery on orders over £50.00" in client.get("/").content.decode()
    # the merchant raises the threshold in the admin: every banner says so at once
    url = f"/admin/orders/shippingmethod/{standard.pk}/change/"
    data = change_form_data(admin_client, url, free_from="75.00")
    assert admin_client.post(url, data).status_code == 302
    home = client.get("/").content.decode()
    page = client.get(f"/p/{product.pk}/").content.decode()
    assert "Free delivery on orders over £75.00" in home and "£50.00" not in home
    assert "Free delivery over £75.00" in page
    # no method delivers free everywhere any more: no banner promises it
    ShippingMethod.objects.filter(free_from__isnull=False).update(is_active=False)
    cache.clear()
    assert "Free delivery" not in client.get("/").content.decode()
