"""The merchant rotates a webhook's signing secret without a moment of refused events: for
24 hours deliveries carry both signatures. Old deliveries leave the log after 30 days
(delivered) or 90 days (given up)."""

import hashlib
import hmac
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.webhooks.conftest import Receiver
from webhooks import services
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def _signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def test_after_a_rotation_deliveries_carry_both_signatures_for_a_day(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = services.webhook_create(target_url=receiver.url, events=["order.paid"])
    old = webhook.secret
    rotated = services.webhook_secret_rotate(webhook_id=webhook.pk)
    new = rotated.secret
    assert new != old and new.startswith("whsec_")

    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_ping(webhook_id=webhook.pk)
    sent = receiver.requests[-1]
    stamp = sent.headers["X-Mlstore-Timestamp"]
    assert sent.headers["X-Mlstore-Signature"] == (
        f"{_signature(new, stamp, sent.body)},{_signature(old, stamp, sent.body)}"
    )

    a_day_later = timezone.now() + timedelta(hours=24, seconds=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=a_day_later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.webhook_ping(webhook_id=webhook.pk)
    sent = receiver.requests[-1]
    stamp = sent.headers["X-Mlstore-Timestamp"]
    assert sent.headers["X-Mlstore-Signature"] == _signature(new, stamp, sent.body)


def test_rotating_twice_retires_the_oldest_secret_at_once(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = services.webhook_create(target_url=receiver.url, events=["order.paid"])
    first = webhook.secret
    second = services.webhook_secret_rotate(webhook_id=webhook.pk).secret
    third = services.webhook_secret_rotate(webhook_id=webhook.pk).secret
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_ping(webhook_id=webhook.pk)
    sent = receiver.requests[-1]
    stamp = sent.headers["X-Mlstore-Timestamp"]
    header = sent.headers["X-Mlstore-Signature"]
    assert header == f"{_signature(third, stamp, sent.body)},{_signature(second, stamp, sent.body)}"
    assert _signature(first, stamp, sent.body) not in header


def test_staff_rotate_a_secret_over_the_api_and_see_it_once(
    staff_client: APIClient, api_client: APIClient
) -> None:
    webhook = services.webhook_create(target_url="https://erp.example.com/h", events=["order.paid"])
    old = webhook.secret
    url = f"/api/v1/staff/webhooks/{webhook.pk}/rotate-secret/"

    response = staff_client.post(url)
    assert response.status_code == 200, response.json()
    body = response.json()
    webhook.refresh_from_db()
    assert body["secret"] == webhook.secret != old
    assert webhook.previous_secret == old
    expires = body["previous_secret_expires_at"]
    assert expires is not None
    assert "secret" not in staff_client.get(f"/api/v1/staff/webhooks/{webhook.pk}/").json()

    assert staff_client.post("/api/v1/staff/webhooks/999999/rotate-secret/").status_code == 404
    assert api_client.post(url).status_code in (401, 403)
    shopper = APIClient()
    shopper.force_authenticate(UserFactory(username="shopper"))
    assert shopper.post(url).status_code == 403
    webhook.refresh_from_db()
    assert webhook.previous_secret == old  # the refused calls changed nothing


def test_the_merchant_rotates_a_secret_in_the_admin() -> None:
    webhook = services.webhook_create(target_url="https://erp.example.com/h", events=["order.paid"])
    old = webhook.secret
    merchant = Client()
    merchant.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    response = merchant.post(
        "/admin/webhooks/webhook/",
        {"action": "rotate_secret", "_selected_action": [webhook.pk]},
        follow=True,
    )
    assert response.status_code == 200
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.previous_secret == old
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert webhook.secret in shown and "24 hours" in shown
    page = merchant.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").content.decode()
    assert webhook.secret in page
    assert "previous secret also signs deliveries" in page


def test_old_deliveries_are_pruned_by_how_they_ended(receiver: Receiver) -> None:
    webhook = services.webhook_create(target_url=receiver.url, events=["order.paid"])
    now = timezone.now()
    Status = WebhookDelivery.Status

    def delivery(status: str, days: int) -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            webhook=webhook,
            event="order.paid",
            payload={},
            status=status,
            created_at=now - timedelta(days=days),
        )

    kept = [
        delivery(Status.SUCCEEDED, 29),
        delivery(Status.FAILED, 89),
        delivery(Status.FAILED, 31),
        delivery(Status.PENDING, 200),  # still being tried: never pruned
    ]
    delivery(Status.SUCCEEDED, 31)
    delivery(Status.FAILED, 91)

    assert services.webhook_deliveries_prune(now=now) == {"succeeded": 1, "failed": 1}
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {d.pk for d in kept}
    assert Webhook.objects.filter(pk=webhook.pk).exists()


def test_the_prune_task_runs_the_service() -> None:
    from webhooks.tasks import webhook_deliveries_prune_task

    assert webhook_deliveries_prune_task.delay().get() == {"succeeded": 0, "failed": 0}


def test_pruning_runs_daily_and_model_ops_names_it_in_merchant_words() -> None:
    from django.conf import settings

    from mlops.admin import BEAT_LABELS

    entry = settings.CELERY_BEAT_SCHEDULE["webhook-deliveries-prune"]
    assert entry["task"] == "webhooks.tasks.webhook_deliveries_prune_task"
    assert "webhook deliveries" in BEAT_LABELS["webhook-deliveries-prune"]
