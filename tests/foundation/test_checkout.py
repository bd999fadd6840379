from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Stock, StockMovement
from orders import services
from orders.models import Cart, Order, Payment
from storefront.api_errors import ServiceError
from tests.factories import ADDRESS, GOOD_CARD, CartFactory, CartLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def place(cart: Cart, key: str = "key-1", card: str = GOOD_CARD) -> Order:
    return services.order_place(
        cart_id=cart.pk,
        idempotency_key=key,
        email="ada@example.com",
        shipping_address=ADDRESS,
        card=services.CardInput(card),
    )


def test_checkout_creates_paid_order_with_price_snapshot_and_decrements_stock() -> None:
    product = ProductFactory(price=Decimal("19.99"), with_stock=5)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=product, quantity=3)

    order = place(cart)

    assert order.status == Order.Status.PAID
    assert order.subtotal == Decimal("59.97")
    assert order.total == Decimal("59.97")  # free shipping from 50
    line = order.lines.get()
    assert (line.unit_price, line.quantity, line.sku) == (Decimal("19.99"), 3, product.sku)
    assert Stock.objects.get(product=product).on_hand == 2
    assert order.payments.get().status == Payment.Status.CAPTURED
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.ORDERED
    # A later price change does not rewrite the order.
    product.price = Decimal("5.00")
    product.save()
    assert order.lines.get().unit_price == Decimal("19.99")


def test_small_order_pays_shipping() -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, product=ProductFactory(price=Decimal("10.00")), quantity=1)
    order = place(cart)
    assert order.total == Decimal("14.95")


def test_sold_out_line_names_the_product_and_nothing_is_written() -> None:
    plenty = ProductFactory(name="Teapot", with_stock=10)
    scarce = ProductFactory(name="Rare Mug", with_stock=1)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=plenty, quantity=2)
    CartLineFactory(cart=cart, product=scarce, quantity=2)

    with pytest.raises(ServiceError) as error:
        place(cart)

    assert "Rare Mug" in error.value.message
    assert error.value.code == "out_of_stock"
    assert Order.objects.count() == 0
    assert Stock.objects.get(product=plenty).on_hand == 10
    assert StockMovement.objects.count() == 0
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.OPEN


def test_same_idempotency_key_returns_the_same_order() -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=1)
    first = place(cart, key="abc")
    second = place(cart, key="abc")
    assert first.pk == second.pk
    assert Order.objects.count() == 1


def test_checked_out_cart_cannot_be_ordered_again_with_new_key() -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=1)
    place(cart, key="one")
    with pytest.raises(ServiceError, match="already been checked out"):
        place(cart, key="two")


def test_declined_card_cancels_order_and_restocks() -> None:
    product = ProductFactory(with_stock=3)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=product, quantity=2)
    order = place(cart, card=services.DECLINED_TEST_CARD)
    assert order.status == Order.Status.CANCELLED
    assert order.payments.get().status == Payment.Status.DECLINED
    assert Stock.objects.get(product=product).on_hand == 3


def test_invalid_card_number_is_rejected_before_anything_is_written() -> None:
    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=1)
    with pytest.raises(ServiceError) as error:
        place(cart, card="1234567812345678")
    assert error.value.field == "card_number"
    assert Order.objects.count() == 0


def test_cancel_restocks_and_refunds_paid_order() -> None:
    product = ProductFactory(with_stock=4)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=product, quantity=4)
    order = place(cart)
    assert Stock.objects.get(product=product).on_hand == 0
    services.order_cancel(order_id=order.pk, note="customer changed mind")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.refunds.get().amount == order.total
    assert Stock.objects.get(product=product).on_hand == 4
    services.order_cancel(order_id=order.pk)  # twice is harmless
    assert Stock.objects.get(product=product).on_hand == 4


def test_cart_merge_on_login_adds_quantities(shopper) -> None:  # type: ignore[no-untyped-def]
    a, b = ProductFactory(), ProductFactory()
    anonymous = services.cart_get_or_create(customer_id=None, session_id="s1")
    services.cart_line_set(cart=anonymous, product_id=a.pk, quantity=2, add=True)
    services.cart_line_set(cart=anonymous, product_id=b.pk, quantity=1, add=True)
    mine = services.cart_get_or_create(customer_id=shopper.pk, session_id="other")
    services.cart_line_set(cart=mine, product_id=a.pk, quantity=1, add=True)

    merged = services.cart_merge(session_id="s1", customer_id=shopper.pk)

    assert merged.pk == mine.pk
    assert {line.product_id: line.quantity for line in merged.lines.all()} == {a.pk: 3, b.pk: 1}
    assert Cart.objects.get(pk=anonymous.pk).status == Cart.Status.MERGED


def test_adding_more_than_in_stock_is_refused_with_count() -> None:
    product = ProductFactory(name="Lamp", with_stock=2)
    cart = CartFactory()
    with pytest.raises(ServiceError, match="only 2 of Lamp left"):
        services.cart_line_set(cart=cart, product_id=product.pk, quantity=3, add=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_buyers_for_ten_units_sell_exactly_ten() -> None:
    from concurrent.futures import ThreadPoolExecutor

    product = ProductFactory(with_stock=10)
    carts = [CartFactory() for _ in range(50)]
    for cart in carts:
        CartLineFactory(cart=cart, product=product, quantity=1)

    def buy(cart: Cart) -> str:
        try:
            place(cart, key=f"k-{cart.pk}")
            return "ok"
        except ServiceError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(buy, carts))

    assert results.count("ok") == 10
    assert results.count("out_of_stock") == 40
    assert Order.objects.filter(status=Order.Status.PAID).count() == 10
    assert Stock.objects.get(product=product).on_hand == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_same_key_create_one_order() -> None:
    from concurrent.futures import ThreadPoolExecutor

    cart = CartFactory()
    CartLineFactory(cart=cart, quantity=1)

    def buy(_: int) -> int:
        try:
            return place(cart, key="same").pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(buy, range(8)))

    assert len(ids) == 1
    assert Order.objects.count() == 1
