"""The merchant adds a webhook in the admin, sends it a test event, reads the delivery log
and retries a failed delivery."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.factories import UserFactory
from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver
from webhooks import services
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

WEBHOOKS = "/admin/webhooks/webhook/"
DELIVERIES = "/admin/webhooks/webhookdelivery/"


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    return client


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_merchant_adds_a_webhook_and_sees_its_secret(merchant: Client) -> None:
    refused = merchant.post(
        f"{WEBHOOKS}add/",
        {"name": "ERP", "target_url": "http://erp.example.com/h", "events": ["order.paid"]},
    )
    assert refused.status_code == 200
    assert "the URL must start with https://" in refused.content.decode()
    assert not Webhook.objects.exists()

    response = merchant.post(
        f"{WEBHOOKS}add/",
        {
            "name": "ERP",
            "target_url": "https://erp.example.com/h",
            "events": ["order.paid", "order.refunded"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    webhook = Webhook.objects.get()
    assert webhook.events == ["order.paid", "order.refunded"]
    page = merchant.get(f"{WEBHOOKS}{webhook.pk}/change/").content.decode()
    assert webhook.secret in page
    assert "Order refunded" in merchant.get(WEBHOOKS).content.decode()


def test_send_test_event_and_retry_now(
    merchant: Client, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = services.webhook_create(target_url=receiver.url, events=["order.created"])
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        order_placed()

    with django_capture_on_commit_callbacks(execute=True):
        response = merchant.post(
            WEBHOOKS, {"action": "send_test_event", "_selected_action": [webhook.pk]}
        )
    assert response.status_code == 302
    assert receiver.requests[-1].headers["X-Mlstore-Event"] == "ping"

    log = merchant.get(f"{DELIVERIES}?status__exact=pending").content.decode()
    assert "HTTP 500" in log and "order.created" in log
    failed = WebhookDelivery.objects.get(event="order.created")
    assert merchant.get(f"{DELIVERIES}{failed.pk}/change/").status_code == 200  # read-only view
    assert merchant.get(f"{DELIVERIES}add/").status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = merchant.post(
            DELIVERIES, {"action": "retry_now", "_selected_action": [failed.pk]}
        )
    assert "1 delivery(ies) sent again" in _messages(response)
    failed.refresh_from_db()
    assert failed.status == WebhookDelivery.Status.SUCCEEDED
