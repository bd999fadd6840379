"""The shopper's order page tells the order's story: placed, paid or held, shipped with the
carrier and tracking number, refunded or cancelled, each at a time in the store's zone."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from orders import services
from orders.models import Fulfilment, Order
from tests.factories import CustomerFactory
from tests.orders.factories import order_placed

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper_page() -> Client:
    return Client()


def _kinds(html: str) -> list[str]:
    return re.findall(r'data-kind="([a-z]+)"', html)


def _own_order(client: Client, **kwargs: object) -> Order:
    customer = CustomerFactory()
    client.force_login(customer.user)
    return order_placed(customer_id=customer.pk, **kwargs)  # type: ignore[arg-type]


def test_shipped_order_shows_carrier_tracking_and_local_times(shopper_page: Client) -> None:
    order = _own_order(shopper_page)
    services.order_fulfil(order_id=order.pk, carrier="Royal Mail", tracking_number="RM1234GB")
    # a summer morning in UTC reads as British Summer Time on the page
    Fulfilment.objects.filter(order=order).update(
        shipped_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    )
    Order.objects.filter(pk=order.pk).update(placed_at=datetime(2026, 6, 30, 23, 15, tzinfo=UTC))
    order.history.update(created_at=datetime(2026, 6, 30, 23, 16, tzinfo=UTC))
    html = shopper_page.get(f"/order/{order.number}/").content.decode()

    assert "Your order is on its way" in html
    assert _kinds(html) == ["placed", "paid", "shipped"]
    assert "Shipped with Royal Mail" in html
    assert 'data-testid="tracking-number">RM1234GB<' in html
    assert 'datetime="2026-07-01T10:30:00+01:00"' in html and "1 Jul 2026, 10:30 BST" in html
    assert "1 Jul 2026, 00:15 BST" in html  # placed just after midnight, London time
    assert "Try again" not in html


def test_held_order_shows_review_then_confirmation(shopper_page: Client) -> None:
    order = _own_order(shopper_page, held=True)
    html = shopper_page.get(f"/order/{order.number}/").content.decode()
    assert _kinds(html) == ["placed", "held"]
    assert "your card is authorised, not charged" in html
    services.order_approve(order_id=order.pk)
    html = shopper_page.get(f"/order/{order.number}/").content.decode()
    assert _kinds(html) == ["placed", "held", "paid"]


def test_refunds_and_a_cancellation_after_payment_appear_with_amounts(
    shopper_page: Client,
) -> None:
    order = _own_order(shopper_page, price="617.25")  # 1,234.50
    services.refund_create(order_id=order.pk, amount=Decimal("34.50"))
    services.order_cancel(order_id=order.pk)
    html = shopper_page.get(f"/order/{order.number}/").content.decode()
    assert _kinds(html) == ["placed", "paid", "refunded", "refunded", "cancelled"]
    assert "Refunded £34.50 to your card" in html and "Refunded £1,200.00 to your card" in html
    assert "This order was cancelled" in html and "We have refunded your payment" in html
    # cancelled by the store after payment: not the checkout decline, no "try another card"
    assert "Try again" not in html and "try another card" not in html


def test_cancelled_held_order_says_nothing_was_charged(shopper_page: Client) -> None:
    order = _own_order(shopper_page, held=True)
    services.order_cancel(order_id=order.pk)
    html = shopper_page.get(f"/order/{order.number}/").content.decode()
    assert _kinds(html) == ["placed", "held", "cancelled"]
    assert "nothing has been charged to your card" in html
    assert "refunded" not in html.lower()
