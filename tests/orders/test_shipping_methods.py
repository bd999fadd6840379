"""Delivery methods: checkout charges the method the shopper chose (Standard by default, at
the fee and free-delivery threshold the store always had), refuses one that does not
deliver to the address, and the order, its e-mail, the admin and webhooks name it."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import timezone

from catalog.models import Stock
from orders import facade, services
from orders.models import Cart, Order, OrderStatusHistory, Payment, ShippingMethod, Voucher
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
from webhooks.services import _order_data

pytestmark = pytest.mark.django_db


def standard() -> ShippingMethod:
    return ShippingMethod.objects.get(name="Standard delivery")


def express() -> ShippingMethod:
    return ShippingMethod.objects.get(name="Express delivery")


def cart_with(price: str, quantity: int = 1) -> Cart:
    cart = CartFactory()
    product = ProductFactory(price=Decimal(price), with_stock=10)
    CartLineFactory(cart=cart, product=product, quantity=quantity)
    return cart


def place(cart: Cart, *, key: str = "k1", method_id: int | None = None, **address: Any) -> Order:
    return services.order_place(
        cart_id=cart.pk,
        idempotency_key=key,
        email="ada@example.com",
        shipping_address={**ADDRESS, **address},
        card=services.CardInput(GOOD_CARD),
        shipping_method_id=method_id,
    )


# --- the default keeps today's totals ---------------------------------------------------------


def test_the_migration_offers_standard_at_the_old_fee_and_express_never_free() -> None:
    assert (standard().price, standard().free_from) == (Decimal("4.95"), Decimal("50.00"))
    assert (express().price, express().free_from) == (Decimal("9.95"), None)
    assert standard().is_active and express().is_active


@pytest.mark.parametrize(
    ("price", "quantity", "shipping", "total"),
    [("10.00", 1, "4.95", "14.95"), ("19.99", 3, "0.00", "59.97"), ("50.00", 1, "0.00", "50.00")],
)
def test_without_a_choice_checkout_charges_standard_as_before(
    price: str, quantity: int, shipping: str, total: str
) -> None:
    order = place(cart_with(price, quantity))
    assert (order.shipping, order.total) == (Decimal(shipping), Decimal(total))
    assert order.shipping_method_name == "Standard delivery"
    assert order.shipping_method == standard()
    assert order.payments.get().amount == Decimal(total)


def test_express_is_charged_and_never_free() -> None:
    order = place(cart_with("80.00"), method_id=express().pk)
    assert (order.shipping, order.total) == (Decimal("9.95"), Decimal("89.95"))
    assert order.shipping_method_name == "Express delivery"
    assert order.payments.get().amount == Decimal("89.95")
    assert (
        services.free_shipping_missing(subtotal=Decimal("80.00"), voucher=None, free_from=None)
        is None
    )


def test_free_delivery_is_judged_on_the_goods_after_the_voucher() -> None:
    Voucher.objects.create(code="TEN", kind=Voucher.Kind.PERCENTAGE, value=Decimal("10"))
    ShippingMethod.objects.create(
        name="Courier", price=Decimal("6.00"), free_from=Decimal("45.00"), position=5
    )
    with_code = cart_with("55.00")
    services.cart_voucher_apply(cart=with_code, code="ten")
    # 55.00 - 5.50 = 49.50: below Standard's 50.00, above the courier's 45.00
    order = place(with_code)
    assert (order.discount, order.shipping, order.total) == (
        Decimal("5.50"),
        Decimal("0.00"),
        Decimal("49.50"),
    )
    assert order.shipping_method_name == "Courier"  # free beats 4.95: the cheapest by default
    again = cart_with("55.00")
    services.cart_voucher_apply(cart=again, code="TEN")
    standard_order = place(again, key="k2", method_id=standard().pk)
    assert (standard_order.shipping, standard_order.total) == (Decimal("4.95"), Decimal("54.45"))


def test_a_tie_goes_to_the_method_listed_first() -> None:
    ShippingMethod.objects.create(
        name="Same price, listed later", price=Decimal("4.95"), position=9
    )
    ShippingMethod.objects.create(
        name="Same price, listed first", price=Decimal("4.95"), position=0
    )
    standard_row = standard()
    standard_row.position = 3
    standard_row.save()
    assert place(cart_with("10.00")).shipping_method_name == "Same price, listed first"


# --- refusals write nothing -------------------------------------------------------------------


def _inactive() -> int:
    return ShippingMethod.objects.create(name="Sleigh", price=Decimal("1.00"), is_active=False).pk


def _elsewhere() -> int:
    return ShippingMethod.objects.create(
        name="Dublin courier", price=Decimal("1.00"), countries=["IE"]
    ).pk


@pytest.mark.parametrize(
    ("method", "message"),
    [
        (lambda: 987654, "no such delivery method"),
        (_inactive, "Sleigh is not available at the moment"),
        (_elsewhere, "Dublin courier does not deliver to GB"),
    ],
)
def test_a_method_not_on_offer_for_the_address_is_refused_and_nothing_is_written(
    method: Any, message: str
) -> None:
    cart = cart_with("20.00", 2)
    product_id = cart.lines.get().product_id
    with pytest.raises(ServiceError) as refused:
        place(cart, method_id=method())
    assert (refused.value.field, refused.value.message) == ("shipping_method", message)
    assert refused.value.status == 400
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert not OrderStatusHistory.objects.exists()
    assert Stock.objects.get(product_id=product_id).on_hand == 10
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.OPEN


def test_a_country_only_method_is_used_for_its_country() -> None:
    dublin = _elsewhere()
    order = place(cart_with("20.00"), method_id=dublin, country="IE")
    assert (order.shipping_method_name, order.shipping) == ("Dublin courier", Decimal("1.00"))


def test_nothing_delivering_to_the_country_is_refused() -> None:
    ShippingMethod.objects.update(countries=["GB"])
    with pytest.raises(ServiceError) as refused:
        place(cart_with("20.00"), country="US")
    assert refused.value.field == "shipping_method"
    assert refused.value.message == "we do not deliver to US"
    assert not Order.objects.exists()


def test_a_store_without_any_method_ships_standard_at_the_old_fee() -> None:
    ShippingMethod.objects.all().delete()
    order = place(cart_with("10.00"))
    assert (order.shipping, order.shipping_method_name) == (Decimal("4.95"), "Standard delivery")
    assert order.shipping_method is None and order.delivery_latest is not None


# --- the cart's choice and retries ------------------------------------------------------------


def test_the_carts_choice_is_charged_and_a_retry_returns_the_same_order() -> None:
    cart = cart_with("30.00")
    services.cart_shipping_method_set(cart=cart, method_id=express().pk, country="GB")
    first = place(cart, key="same")
    # the retry finds the first order, whatever the methods are now
    ShippingMethod.objects.filter(pk=express().pk).update(is_active=False)
    second = place(cart, key="same")
    assert first.pk == second.pk and Order.objects.count() == 1
    assert (second.shipping, second.shipping_method_name) == (Decimal("9.95"), "Express delivery")


def test_the_choice_made_before_logging_in_is_kept() -> None:
    guest_cart = cart_with("30.00")
    services.cart_shipping_method_set(cart=guest_cart, method_id=express().pk)
    customer = CustomerFactory()
    merged = services.cart_merge(session_id=guest_cart.session_id, customer_id=customer.pk)
    assert merged.shipping_method_id == express().pk


def test_choosing_an_inactive_method_for_the_cart_is_refused() -> None:
    cart = cart_with("30.00")
    with pytest.raises(ServiceError) as refused:
        services.cart_shipping_method_set(cart=cart, method_id=_inactive())
    assert refused.value.field == "shipping_method"
    assert Cart.objects.get(pk=cart.pk).shipping_method_id is None


# --- delivery window --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "days", "window"),
    [
        # Friday 4 Dec 2026: the weekend is skipped
        (datetime(2026, 12, 4, 10, tzinfo=UTC), (1, 2), (date(2026, 12, 7), date(2026, 12, 8))),
        (datetime(2026, 12, 4, 10, tzinfo=UTC), (2, 4), (date(2026, 12, 8), date(2026, 12, 10))),
        # Thursday: Friday, then Monday
        (datetime(2026, 12, 3, 10, tzinfo=UTC), (1, 2), (date(2026, 12, 4), date(2026, 12, 7))),
        # Saturday: counted from Monday
        (datetime(2026, 12, 5, 10, tzinfo=UTC), (1, 2), (date(2026, 12, 8), date(2026, 12, 9))),
        # same day collection on a Sunday is Monday
        (datetime(2026, 12, 6, 10, tzinfo=UTC), (0, 0), (date(2026, 12, 7), date(2026, 12, 7))),
    ],
)
def test_the_delivery_window_counts_working_days(
    now: datetime, days: tuple[int, int], window: tuple[date, date]
) -> None:
    assert services.delivery_window(min_days=days[0], max_days=days[1], now=now) == window
    assert all(day.weekday() < 5 for day in window)


def test_the_delivery_window_starts_from_the_stores_local_date() -> None:
    friday_noon_utc = datetime(2026, 12, 4, 12, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        assert services.delivery_window(min_days=1, max_days=1, now=friday_noon_utc) == (
            date(2026, 12, 7),
            date(2026, 12, 7),
        )
    with timezone.override(ZoneInfo("Pacific/Auckland")):  # already Saturday 01:00 there
        assert services.delivery_window(min_days=1, max_days=1, now=friday_noon_utc) == (
            date(2026, 12, 8),
            date(2026, 12, 8),
        )


def test_the_order_keeps_the_window_worked_out_when_it_was_placed() -> None:
    order = place(cart_with("30.00"), method_id=express().pk)
    expected = services.delivery_window(min_days=1, max_days=2, now=order.placed_at)
    assert (order.delivery_earliest, order.delivery_latest) == expected
    assert order.delivery_window.startswith(f"{expected[0]:%a} {expected[0].day}")


@pytest.mark.parametrize(
    ("earliest", "latest", "text"),
    [
        (date(2026, 12, 8), date(2026, 12, 9), "Tue 8 – Wed 9 Dec"),
        (date(2026, 11, 30), date(2026, 12, 1), "Mon 30 Nov – Tue 1 Dec"),
        (date(2026, 12, 8), date(2026, 12, 8), "Tue 8 Dec"),
    ],
)
def test_the_window_reads_as_a_shopper_would_say_it(
    earliest: date, latest: date, text: str
) -> None:
    order = Order(delivery_earliest=earliest, delivery_latest=latest)
    assert order.delivery_window == text
    assert Order().delivery_window == ""  # an order from before delivery methods


# --- what the shopper and the merchant see ----------------------------------------------------


def test_the_confirmation_e_mail_names_the_method_and_the_window(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        order = place(cart_with("30.00"), method_id=express().pk)
    [sent] = mail.outbox
    assert "Shipping: Express delivery, £9.95" in sent.body
    assert f"Expected delivery: {order.delivery_window}" in sent.body
    assert isinstance(sent, EmailMultiAlternatives)
    html = str(sent.alternatives[0][0])
    assert "Shipping (Express delivery)" in html and order.delivery_window in html


def test_webhooks_and_the_snapshot_carry_the_method_name() -> None:
    order = place(cart_with("30.00"), method_id=express().pk)
    snapshot = facade.order_snapshot(order.pk)
    assert snapshot is not None and snapshot.shipping_method == "Express delivery"
    assert _order_data(snapshot)["shipping_method"] == "Express delivery"


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    return client


def test_the_merchant_edits_prices_and_countries_in_the_admin(merchant: Client) -> None:
    changelist = merchant.get("/admin/orders/shippingmethod/")
    assert changelist.status_code == 200
    assert "Express delivery" in changelist.content.decode()
    assert set(changelist.context["cl"].list_editable) == {"price", "is_active", "position"}
    page = f"/admin/orders/shippingmethod/{express().pk}/change/"
    form = {
        "name": "Express delivery",
        "price": "11.50",
        "free_from": "",
        "min_days": "1",
        "max_days": "2",
        "countries": "gb, ie, GB",
        "is_active": "on",
        "position": "1",
    }
    assert merchant.post(page, form).status_code == 302
    row = express()
    assert (row.price, row.countries) == (Decimal("11.50"), ["GB", "IE"])
    refused = merchant.post(page, {**form, "countries": "Britain"})
    assert refused.status_code == 200 and "two-letter country code" in refused.content.decode()


def test_the_order_admin_shows_the_method(merchant: Client) -> None:
    order = place(cart_with("30.00"), method_id=express().pk)
    assert "Express delivery" in merchant.get("/admin/orders/order/").content.decode()
    detail = merchant.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Express delivery" in detail and order.delivery_window in detail
