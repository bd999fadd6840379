"""Order events reach the merchant's webhooks: signed, only after commit, only when
subscribed, retried with backoff when the receiver fails."""

import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from orders import services as orders
from orders.models import Order
from storefront.api_errors import ServiceError
from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver
from webhooks import selectors, services
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "order.created",
    "order.paid",
    "order.fulfilled",
    "order.cancelled",
    "order.refunded",
]


def _webhook(url: str, events: list[str] = ALL_EVENTS, **kwargs: Any) -> Webhook:
    return services.webhook_create(target_url=url, events=events, **kwargs)


def _verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(
        secret.encode(), headers["X-Mlstore-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(headers["X-Mlstore-Signature"], f"sha256={expected}")


def _at(moment: datetime) -> Any:
    """The clock of the services at ``moment`` (a retry whose wait is over)."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_placed_order_reaches_the_webhook_signed_with_its_secret(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = _webhook(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_placed(price="19.99", quantity=3, email="ada@example.com")

    assert order.status == Order.Status.PAID
    events = [r.headers["X-Mlstore-Event"] for r in receiver.requests]
    assert events == ["order.created", "order.paid"]
    sent = receiver.requests[0]
    assert sent.path == "/hooks/mlstore"
    assert sent.headers["Content-Type"] == "application/json"
    assert _verified(webhook.secret, sent.headers, sent.body)
    assert not _verified("whsec_someone-else", sent.headers, sent.body)
    payload = json.loads(sent.body)
    assert payload["id"] == sent.headers["X-Mlstore-Delivery"]
    assert payload["event"] == "order.created"
    data = payload["data"]["order"]
    assert data["number"] == order.number
    assert data["status"] == "paid"
    assert (data["subtotal"], data["total"], data["currency"]) == ("59.97", "59.97", "GBP")
    assert data["lines"] == [
        {
            "sku": order.lines.get().sku,
            "name": "Teapot",
            "quantity": 3,
            "unit_price": "19.99",
            "line_total": "59.97",
        }
    ]
    assert data["email"] == "ada@example.com"  # the merchant's own system
    placed = datetime.fromisoformat(data["placed_at"])
    assert placed.utcoffset() is not None and placed == order.placed_at
    delivery = WebhookDelivery.objects.get(event_id=payload["id"])
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.last_response_code) == (1, 200)


def test_the_shoppers_email_is_never_logged(
    receiver: Receiver, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    _webhook(receiver.url)
    caplog.set_level("DEBUG")
    with django_capture_on_commit_callbacks(execute=True):
        order_placed(email="grace.hopper@example.com")
    assert len(receiver.requests) == 2
    assert "webhook delivery" in caplog.text
    assert "grace.hopper" not in caplog.text


def test_nothing_is_sent_when_the_order_transaction_rolls_back(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        order_placed()
        raise RuntimeError("a later step of the same transaction fails")
    assert not Order.objects.exists()
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()
    assert callbacks == []


def test_a_failing_receiver_is_retried_with_backoff_then_delivered(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, events=["order.created"])
    receiver.statuses = [500]
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        order_placed()
    after = timezone.now()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert (delivery.attempts, delivery.last_response_code) == (1, 500)
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at is not None
    assert before + timedelta(minutes=1) <= delivery.next_attempt_at <= after + timedelta(minutes=1)

    # the sweep before the wait is over sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert services.webhook_deliveries_retry_due() == 0
    assert len(receiver.requests) == 1

    with _at(delivery.next_attempt_at), django_capture_on_commit_callbacks(execute=True):
        assert services.webhook_deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.last_response_code, delivery.last_error) == (2, 200, "")
    assert delivery.next_attempt_at is None
    first, second = receiver.requests
    # the receiver can drop the duplicate by its id
    assert first.headers["X-Mlstore-Delivery"] == second.headers["X-Mlstore-Delivery"]


def test_a_receiver_that_keeps_failing_is_given_up_after_six_attempts(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, events=["order.created"])
    receiver.statuses = [503] * 10
    with django_capture_on_commit_callbacks(execute=True):
        order_placed()
    delivery = WebhookDelivery.objects.get()
    waits = []
    while delivery.status == WebhookDelivery.Status.PENDING:
        assert delivery.next_attempt_at is not None
        waits.append(delivery.next_attempt_at - delivery.updated_at)
        with _at(delivery.next_attempt_at), django_capture_on_commit_callbacks(execute=True):
            services.webhook_deliveries_retry_due()
        delivery.refresh_from_db()
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 30, 120, 720]
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert (delivery.attempts, delivery.next_attempt_at) == (6, None)
    assert len(receiver.requests) == 6

    # "retry now" gives a given-up delivery one more attempt
    receiver.statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_retry(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.SUCCEEDED, 7)
    with pytest.raises(ServiceError):
        services.webhook_delivery_retry(delivery_id=delivery.pk)


@pytest.mark.django_db(transaction=True)  # the delivery thread has its own connection
def test_without_a_broker_checkout_does_not_wait_for_the_merchants_server(
    receiver: Receiver, settings: Any
) -> None:
    settings.TRAIN_IN_BACKGROUND_WHEN_EAGER = True  # as `make demo`: eager Celery, threads
    receiver.gate = threading.Event()
    _webhook(receiver.url, events=["order.created"])

    order = order_placed()  # commits: the event goes out
    assert order.status == Order.Status.PAID
    delivery = WebhookDelivery.objects.get()
    # checkout is back while the receiver has not answered yet
    assert delivery.status == WebhookDelivery.Status.PENDING
    workers = [t for t in threading.enumerate() if t.name == f"webhook-deliveries-{delivery.pk}"]
    assert len(workers) == 1
    receiver.gate.set()
    workers[0].join(timeout=60)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED


def test_an_unreachable_receiver_is_a_short_error_and_a_retry(
    django_capture_on_commit_callbacks: Any,
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _webhook(f"http://127.0.0.1:{port}/hook", events=["order.created"])
    with django_capture_on_commit_callbacks(execute=True):
        order = order_placed()
    assert order.status == Order.Status.PAID  # checkout never fails for a webhook
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert (delivery.last_response_code, delivery.last_error) == (None, "could not connect")


def test_an_unsubscribed_event_sends_nothing(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, events=["order.fulfilled"])
    _webhook(receiver.url, events=ALL_EVENTS, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_placed()
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        orders.order_fulfil(order_id=order.pk, carrier="Royal Mail", tracking_number="RM1")
    (sent,) = receiver.requests
    assert sent.headers["X-Mlstore-Event"] == "order.fulfilled"
    payload = json.loads(sent.body)["data"]["order"]
    assert payload["status"] == "fulfilled"
    assert payload["fulfilments"][0]["tracking_number"] == "RM1"


def test_refunds_and_cancellations_are_sent(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, events=["order.refunded", "order.cancelled"])
    order = order_placed(price="30.00", quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        orders.refund_create(order_id=order.pk, amount=Decimal("10.00"), reason="dented")
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_cancel(order_id=order.pk)
    refunded, cancelled = (json.loads(r.body) for r in receiver.requests)
    assert refunded["event"] == "order.refunded"
    assert refunded["data"]["refund"]["amount"] == "10.00"
    assert refunded["data"]["order"]["refunded"] == "10.00"
    assert cancelled["event"] == "order.cancelled"
    assert cancelled["data"]["order"]["status"] == "cancelled"
    assert cancelled["data"]["order"]["refunded"] == "60.00"  # the rest went back at cancel


def test_an_order_released_after_review_is_sent_as_paid(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, events=["order.created", "order.paid"])
    with django_capture_on_commit_callbacks(execute=True):
        order = order_placed(held=True)
    assert [r.headers["X-Mlstore-Event"] for r in receiver.requests] == ["order.created"]
    assert json.loads(receiver.requests[0].body)["data"]["order"]["status"] == "on_hold"
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_approve(order_id=order.pk)
    assert receiver.requests[1].headers["X-Mlstore-Event"] == "order.paid"


def test_a_declined_card_is_no_order_to_the_webhook(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from orders.services import DECLINED_TEST_CARD, CardInput
    from tests.factories import ADDRESS, CartFactory, CartLineFactory, ProductFactory

    _webhook(receiver.url)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=ProductFactory(with_stock=5), quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        order = orders.order_place(
            cart_id=cart.pk,
            idempotency_key="declined",
            email="ada@example.com",
            shipping_address=ADDRESS,
            card=CardInput(DECLINED_TEST_CARD),
        )
    assert order.status == Order.Status.CANCELLED
    assert receiver.requests == []


def test_with_no_subscriber_an_event_costs_one_cached_query_at_most(
    django_assert_max_num_queries: Any, django_assert_num_queries: Any
) -> None:
    order = order_placed()
    with django_assert_max_num_queries(1):  # a cold cache: the table of active webhooks
        assert services.event_dispatch(event="order.paid", order_id=order.pk) == []
    with django_assert_num_queries(0):
        assert services.event_dispatch(event="order.paid", order_id=order.pk) == []


def test_a_new_webhook_is_seen_by_the_next_event(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    assert selectors.webhook_ids_subscribed(event="order.created") == []  # cached: none
    with django_capture_on_commit_callbacks(execute=True):
        webhook = _webhook(receiver.url, events=["order.created"])
    assert selectors.webhook_ids_subscribed(event="order.created") == [webhook.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_update(webhook_id=webhook.pk, is_active=False)
    assert selectors.webhook_ids_subscribed(event="order.created") == []


def test_ping_is_sent_on_request(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = _webhook(receiver.url, events=["order.created"], is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_ping(webhook_id=webhook.pk)
    (sent,) = receiver.requests
    assert sent.headers["X-Mlstore-Event"] == "ping"
    assert _verified(webhook.secret, sent.headers, sent.body)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "ftp://example.com/hook",
        "not a url",
        "https://10.0.0.5/hook",  # the store's own network
        "https://169.254.169.254/latest/meta-data",
        "https://user:pass@example.com/hook",
    ],
)
def test_urls_events_cannot_go_to_are_refused(url: str) -> None:
    with pytest.raises(ServiceError) as error:
        services.webhook_create(target_url=url, events=["order.created"])
    assert error.value.field == "target_url"


def test_local_http_is_refused_outside_debug(settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = False
    with pytest.raises(ServiceError, match="https"):
        services.webhook_create(target_url="http://127.0.0.1:8000/hook", events=["order.paid"])
    assert services.webhook_create(target_url="https://shop.example.com/h", events=["order.paid"])


def test_unknown_events_are_refused() -> None:
    with pytest.raises(ServiceError) as error:
        services.webhook_create(target_url="https://example.com/h", events=["order.exploded"])
    assert error.value.field == "events"
    assert "order.exploded" in error.value.message
