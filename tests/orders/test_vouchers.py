"""Discount codes: a shopper applies one to the cart (REST), sees the discount line, and
checkout charges the discounted total and records the use under the voucher's lock."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from catalog.models import Stock
from orders import services
from orders.models import Cart, Order, Payment, Voucher, VoucherRedemption
from storefront.api_errors import ServiceError
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    CartFactory,
    CartLineFactory,
    CustomerFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

VOUCHER = "/api/v1/cart/voucher/"


def voucher(code: str = "SAVE10", **fields: Any) -> Voucher:
    fields.setdefault("kind", Voucher.Kind.PERCENTAGE)
    fields.setdefault("value", Decimal("10"))
    return Voucher.objects.create(code=code, **fields)


def cart_with(price: str, quantity: int = 1, *, customer_id: int | None = None) -> Cart:
    cart = CartFactory(customer_id=customer_id)
    product = ProductFactory(price=Decimal(price), with_stock=50)
    CartLineFactory(cart=cart, product=product, quantity=quantity)
    return cart


def place(cart: Cart, key: str = "k1", *, email: str = "ada@example.com", card: str = GOOD_CARD):  # type: ignore[no-untyped-def]
    return services.order_place(
        cart_id=cart.pk,
        idempotency_key=key,
        email=email,
        shipping_address=ADDRESS,
        card=services.CardInput(card),
    )


def shop_client(price: str, quantity: int = 1) -> APIClient:
    """A guest with a session cart holding one product."""
    client = APIClient()
    product = ProductFactory(price=Decimal(price), with_stock=50)
    assert (
        client.post(
            "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": quantity}, format="json"
        ).status_code
        == 201
    )
    return client


# --- money ----------------------------------------------------------------------------------


def test_percentage_discount_rounds_half_up_to_the_cent() -> None:
    voucher("HALF", value=Decimal("10"))
    client = shop_client("12.25")  # 10% is 1.225: half up gives 1.23 (half even would give 1.22)
    response = client.post(VOUCHER, {"voucher_code": "HALF"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["subtotal"], body["discount"], body["shipping"], body["total"]) == (
        "12.25",
        "1.23",
        "4.95",
        "15.97",
    )
    assert body["voucher_code"] == "HALF"
    assert body["voucher_problem"] is None


def test_fixed_discount_never_exceeds_the_goods_and_shipping_is_still_paid() -> None:
    voucher("TENOFF", kind=Voucher.Kind.FIXED, value=Decimal("10.00"))
    cart = cart_with("8.00")
    services.cart_voucher_apply(cart=cart, code="TENOFF")
    order = place(cart)
    assert order.discount == Decimal("8.00")
    assert order.shipping == Decimal("4.95")  # shipping is never discounted
    assert order.total == Decimal("4.95")
    assert order.payments.get().amount == Decimal("4.95")


@given(
    subtotal=st.decimals(min_value=0, max_value=10**6, places=2),
    percent=st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    fixed=st.decimals(min_value=Decimal("0.01"), max_value=10**6, places=2),
)
def test_discounts_stay_between_zero_and_the_subtotal_in_cents(
    subtotal: Decimal, percent: Decimal, fixed: Decimal
) -> None:
    for kind, value in ((Voucher.Kind.PERCENTAGE, percent), (Voucher.Kind.FIXED, fixed)):
        discount = services.voucher_discount(
            voucher=Voucher(code="X", kind=kind, value=value), subtotal=subtotal
        )
        assert Decimal("0") <= discount <= subtotal
        assert discount == discount.quantize(Decimal("0.01"))
        totals = services.totals_compute(subtotal=subtotal, discount=discount)
        assert totals.total == subtotal - discount + totals.shipping


def test_a_discount_below_the_free_delivery_threshold_brings_the_fee_back() -> None:
    voucher("TEN", value=Decimal("10"))
    cart = cart_with("55.00")  # free delivery from 50.00; 10% off makes the goods 49.50
    services.cart_voucher_apply(cart=cart, code="ten")
    order = place(cart)
    assert (order.subtotal, order.discount, order.shipping, order.total) == (
        Decimal("55.00"),
        Decimal("5.50"),
        Decimal("4.95"),
        Decimal("54.45"),
    )


def test_order_stores_the_discount_and_records_the_redemption(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    code = voucher("SPRING", value=Decimal("20"))
    client = shop_client("30.00", quantity=2)
    client.post(VOUCHER, {"voucher_code": "spring"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/checkout/",
            {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-spring",
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["subtotal"], body["discount"], body["shipping"], body["total"]) == (
        "60.00",
        "12.00",
        "4.95",  # 48.00 of goods after the discount is below free delivery
        "52.95",
    )
    assert body["voucher_code"] == "SPRING"
    order = Order.objects.get(number=body["number"])
    assert order.status == Order.Status.PAID
    assert order.payments.get().amount == Decimal("52.95")
    redemption = VoucherRedemption.objects.get()
    assert (redemption.voucher, redemption.order, redemption.amount) == (
        code,
        order,
        Decimal("12.00"),
    )
    # the confirmation and the order page show the discount line, so the sums add up
    (confirmation,) = mail.outbox
    assert "Discount: -£12.00 (SPRING)" in confirmation.body
    assert "Discount (SPRING)" in client.get(f"/order/{order.number}/").content.decode()


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"is_active": False}, "not active"),
        ({"ends_at": timezone.now() - timedelta(minutes=1)}, "expired"),
        ({"starts_at": timezone.now() + timedelta(days=1)}, "not valid yet"),
        ({"min_subtotal": Decimal("40.00")}, "at least 40.00 GBP"),
    ],
)
def test_a_code_that_does_not_apply_is_a_400_naming_the_field(
    fields: dict[str, Any], message: str
) -> None:
    voucher("NOPE", **fields)
    client = shop_client("20.00")
    response = client.post(VOUCHER, {"voucher_code": "NOPE"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert message in body["voucher_code"][0]
    assert body["detail"] == body["voucher_code"][0]
    assert client.get("/api/v1/cart/").json()["voucher_code"] is None


def test_an_unknown_code_is_a_400_naming_the_field() -> None:
    client = shop_client("20.00")
    response = client.post(VOUCHER, {"voucher_code": "WHATEVER"}, format="json")
    assert response.status_code == 400
    assert response.json()["voucher_code"] == ["this discount code does not exist"]
    assert client.post(VOUCHER, {}, format="json").json()["voucher_code"]  # missing: DRF's 400


def test_minimum_subtotal_applies_once_the_cart_reaches_it() -> None:
    voucher("BIG", min_subtotal=Decimal("40.00"))
    cart = cart_with("20.00")
    with pytest.raises(ServiceError, match="at least 40.00"):
        services.cart_voucher_apply(cart=cart, code="BIG")
    services.cart_line_set(cart=cart, product_id=cart.lines.get().product_id, quantity=2)
    services.cart_voucher_apply(cart=cart, code="BIG")
    assert place(cart).discount == Decimal("4.00")


def test_removing_lines_below_the_minimum_shows_why_and_checkout_refuses_it() -> None:
    voucher("BIG", min_subtotal=Decimal("40.00"))
    client = shop_client("20.00", quantity=2)
    assert client.post(VOUCHER, {"voucher_code": "BIG"}, format="json").json()["discount"] == "4.00"
    product_id = client.get("/api/v1/cart/").json()["lines"][0]["product_id"]
    body = client.patch(f"/api/v1/cart/lines/{product_id}/", {"quantity": 1}, format="json").json()
    assert body["discount"] == "0.00"
    assert "at least 40.00" in body["voucher_problem"]
    assert body["total"] == "24.95"
    response = client.post(
        "/api/v1/checkout/",
        {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-big",
    )
    assert response.status_code == 400
    assert "remove it from your cart" in response.json()["voucher_code"][0]
    assert not Order.objects.exists()
    # removing the code lets the shopper check out at full price
    body = client.delete(VOUCHER).json()
    assert (body["voucher_code"], body["discount"], body["voucher_problem"]) == (None, "0.00", None)


def test_codes_ignore_case_and_are_unique_ignoring_case() -> None:
    voucher("SAVE10")
    cart = cart_with("20.00")
    services.cart_voucher_apply(cart=cart, code="  save10 ")
    assert Cart.objects.get(pk=cart.pk).voucher is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        voucher("save10")


def test_once_per_customer_refuses_the_second_order_by_account_or_email() -> None:
    voucher("WELCOME", once_per_customer=True)
    customer = CustomerFactory()
    first = cart_with("20.00", customer_id=customer.pk)
    services.cart_voucher_apply(cart=first, code="WELCOME")
    place(first, email="ada@example.com")
    again = cart_with("20.00", customer_id=customer.pk)
    with pytest.raises(ServiceError, match="already used") as refused:
        services.cart_voucher_apply(cart=again, code="WELCOME")
    assert refused.value.field == "voucher_code"
    # a guest cart can hold it, but checkout with the same e-mail (any case) is refused
    guest = cart_with("20.00")
    services.cart_voucher_apply(cart=guest, code="WELCOME")
    stock_before = Stock.objects.get(product_id=guest.lines.get().product_id).on_hand
    with pytest.raises(ServiceError, match="already used") as refused:
        place(guest, key="k2", email="ADA@example.com")
    assert refused.value.field == "voucher_code"
    assert Order.objects.count() == 1
    assert Stock.objects.get(product_id=guest.lines.get().product_id).on_hand == stock_before
    assert place(guest, key="k3", email="bob@example.com").discount == Decimal("2.00")


def test_usage_limit_refuses_the_checkout_after_the_last_use_and_writes_nothing() -> None:
    voucher("LAST", usage_limit=1)
    first, second = cart_with("20.00"), cart_with("20.00")
    services.cart_voucher_apply(cart=first, code="LAST")
    services.cart_voucher_apply(cart=second, code="LAST")
    place(first, key="a")
    with pytest.raises(ServiceError, match="used up") as refused:
        place(second, key="b")
    assert (refused.value.field, refused.value.status) == ("voucher_code", 400)
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert VoucherRedemption.objects.count() == 1
    assert Cart.objects.get(pk=second.pk).status == Cart.Status.OPEN
    with pytest.raises(ServiceError, match="used up"):
        services.cart_voucher_apply(cart=cart_with("20.00"), code="LAST")


def test_a_declined_card_does_not_use_up_the_code() -> None:
    voucher("LAST", usage_limit=1)
    cart = cart_with("20.00")
    services.cart_voucher_apply(cart=cart, code="LAST")
    declined = place(cart, key="a", card=services.DECLINED_TEST_CARD)
    assert declined.status == Order.Status.CANCELLED
    assert not VoucherRedemption.objects.exists()
    paid = place(cart, key="b")  # the reopened cart still has the code
    assert (paid.status, paid.discount) == (Order.Status.PAID, Decimal("2.00"))


def test_logging_in_keeps_the_code_typed_as_a_guest() -> None:
    voucher("SAVE10")
    guest = cart_with("20.00")
    services.cart_voucher_apply(cart=guest, code="SAVE10")
    customer = CustomerFactory()
    merged = services.cart_merge(session_id=guest.session_id, customer_id=customer.pk)
    assert merged.voucher is not None and merged.voucher.code == "SAVE10"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_checkouts_for_the_last_use_one_wins_the_others_get_a_400() -> None:
    from concurrent.futures import ThreadPoolExecutor

    voucher("LAST", usage_limit=1)
    carts = [cart_with("20.00") for _ in range(6)]
    for cart in carts:
        services.cart_voucher_apply(cart=cart, code="LAST")

    def buy(cart: Cart) -> str:
        try:
            place(cart, key=f"k-{cart.pk}")
            return "ok"
        except ServiceError as exc:
            return f"{exc.status} {exc.field}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(buy, carts))

    assert results.count("ok") == 1
    assert results.count("400 voucher_code") == 5
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert VoucherRedemption.objects.count() == 1


# --- pages and admin ------------------------------------------------------------------------


def test_cart_page_has_the_discount_code_field() -> None:
    html = Client().get("/cart/").content.decode()
    assert "data-voucher-form" in html
    assert 'name="voucher_code"' in html
    assert "Discount code" in html
    assert "data-discount" in html  # the summary's discount line, filled in by shop.js


def test_admin_lists_vouchers_with_their_use_count_and_orders_show_the_discount() -> None:
    voucher("SAVE10", usage_limit=5)
    cart = cart_with("20.00")
    services.cart_voucher_apply(cart=cart, code="SAVE10")
    order = place(cart)
    client = Client()
    client.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    listing = client.get("/admin/orders/voucher/")
    assert listing.status_code == 200
    row = listing.content.decode().split("SAVE10", 1)[1].split("</tr>", 1)[0]
    assert 'class="field-times_used">1<' in row
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Discount" in page and "2.00" in page and "SAVE10" in page


def test_admin_refuses_a_second_code_that_differs_only_in_case() -> None:
    voucher("SAVE10")
    client = Client()
    client.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    form = {
        "code": "save10",
        "kind": "fixed",
        "value": "5.00",
        "is_active": "on",
        "created_at_0": "2026-12-01",
        "created_at_1": "10:00:00",
        "redemptions-TOTAL_FORMS": "0",
        "redemptions-INITIAL_FORMS": "0",
    }
    response = client.post("/admin/orders/voucher/add/", form)
    assert response.status_code == 200  # the form again, with the message
    assert "A voucher with this code exists (codes ignore case)." in response.content.decode()
    assert Voucher.objects.count() == 1
    form["code"] = "WINTER5"
    assert client.post("/admin/orders/voucher/add/", form).status_code == 302
    assert Voucher.objects.get(code="WINTER5").value == Decimal("5.00")
