"""The merchant ships orders from the admin: in bulk from the order list, or one at a time
with a carrier and tracking number from the order's page."""

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client

from orders.models import Order
from tests.admin_support import change_form_data
from tests.factories import UserFactory
from tests.orders.factories import order_placed

pytestmark = pytest.mark.django_db

LIST = "/admin/orders/order/"


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    return client


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _change_form_data(client: Client, order: Order, **changes: Any) -> dict[str, Any]:
    return change_form_data(client, f"{LIST}{order.pk}/change/", **changes)


def test_list_action_ships_paid_orders_and_names_the_ones_it_refused(
    merchant: Client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    paid = order_placed(key="paid")
    cancelled = order_placed(key="cancelled")
    merchant.post(
        LIST, {"action": "cancel_orders", "_selected_action": [cancelled.pk]}, follow=True
    )
    held = order_placed(key="held", held=True)
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        response = merchant.post(
            LIST,
            {"action": "fulfil_orders", "_selected_action": [paid.pk, held.pk, cancelled.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert sorted(_messages(response)) == sorted(
        [
            f"{held.number}: order {held.number} cannot ship: it is on hold for review; "
            "approve it before shipping",
            f"{cancelled.number}: order {cancelled.number} cannot ship: it is cancelled",
            "1 order(s) updated",
        ]
    )
    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses == {
        paid.number: Order.Status.FULFILLED,
        held.number: Order.Status.ON_HOLD,
        cancelled.number: Order.Status.CANCELLED,
    }
    assert [m.subject for m in mail.outbox] == [f"Your order {paid.number} is on its way"]
    assert paid.history.last().note == "shipped, no tracking by merchant"  # type: ignore[union-attr]
    assert "Mark as fulfilled (shipped)" in merchant.get(LIST).content.decode()


def test_order_page_ships_with_carrier_and_tracking_number(
    merchant: Client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed()
    page = merchant.get(f"{LIST}{order.pk}/change/").content.decode()
    assert 'name="_tracking_number"' in page and "Ship this order" in page
    mail.outbox = []
    data = _change_form_data(
        merchant, order, _carrier="DPD", _tracking_number="15501234567890", _fulfil="1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant.post(f"{LIST}{order.pk}/change/", data, follow=True)
    assert f"{order.number}: marked as shipped; the shopper is e-mailed." in _messages(response)
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED
    assert order.fulfilments.get().tracking_number == "15501234567890"
    [sent] = mail.outbox
    assert "Tracking number: 15501234567890 (DPD)" in sent.body
    html = response.content.decode()
    assert "15501234567890" in html  # the shipment is listed on the page
    assert "Ship this order" not in html  # and the form is gone once shipped
    assert LogEntry.objects.filter(object_id=str(order.pk), change_message__contains="shipped")


def test_order_page_reports_a_bad_tracking_number_and_ships_nothing(merchant: Client) -> None:
    order = order_placed()
    data = _change_form_data(merchant, order, _carrier="DPD", _tracking_number="a/b", _fulfil="1")
    response = merchant.post(f"{LIST}{order.pk}/change/", data, follow=True)
    assert f"{order.number}: tracking number: letters, digits, spaces and dashes only" in _messages(
        response
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not order.fulfilments.exists()


def test_order_pages_read_as_money_addresses_and_lines_not_json_and_object_ids(
    merchant: Client,
) -> None:
    # The order page showed the addresses as raw JSON in text boxes and its lines as
    # "OrderLine object (6603)"; the list showed bare decimals.
    order = order_placed(price="30.00", quantity=2)
    page = merchant.get(f"{LIST}{order.pk}/change/").content.decode()
    assert "1 High Street<br>N1 1AA London<br>United Kingdom" in page
    assert '"line1"' not in page and "&quot;line1&quot;" not in page
    assert "OrderLine object" not in page and f"2 × {order.lines.get().name}" in page
    listing = merchant.get(LIST).content.decode()
    assert f"£{order.total:,.2f}" in listing
