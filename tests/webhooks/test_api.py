"""Staff manage webhooks over /api/v1/staff/webhooks/; shoppers and anonymous are refused."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver
from webhooks import services
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

URL = "/api/v1/staff/webhooks/"


def test_staff_add_a_webhook_and_get_its_secret_once(staff_client: APIClient) -> None:
    response = staff_client.post(
        URL,
        {
            "name": "ERP",
            "target_url": "https://erp.example.com/hooks/mlstore",
            "events": ["order.paid", "order.created", "order.paid"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    webhook = Webhook.objects.get()
    assert body["secret"] == webhook.secret and body["secret"].startswith("whsec_")
    assert body["events"] == ["order.created", "order.paid"]  # each once, catalogue order
    assert body["is_active"] is True

    listed = staff_client.get(URL).json()
    assert listed["count"] == 1
    assert "secret" not in listed["results"][0]
    assert "secret" not in staff_client.get(f"{URL}{webhook.pk}/").json()


def test_a_bad_url_or_an_unknown_event_is_a_400_with_field_messages(
    staff_client: APIClient,
) -> None:
    response = staff_client.post(
        URL, {"target_url": "http://erp.example.com/h", "events": ["order.shipped"]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["target_url"] == ["the URL must start with https://"]
    assert "order.shipped" in body["events"][0] and "order.fulfilled" in body["events"][0]

    response = staff_client.post(URL, {"target_url": "erp", "events": []}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "code", "target_url", "events"}
    assert not Webhook.objects.exists()


def test_staff_change_and_delete_a_webhook(staff_client: APIClient) -> None:
    webhook = services.webhook_create(target_url="https://a.example.com/h", events=["order.paid"])
    response = staff_client.patch(
        f"{URL}{webhook.pk}/", {"events": ["order.refunded"], "is_active": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    webhook.refresh_from_db()
    assert (webhook.events, webhook.is_active) == (["order.refunded"], False)
    assert webhook.target_url == "https://a.example.com/h"  # untouched

    bad = staff_client.patch(f"{URL}{webhook.pk}/", {"target_url": "https://10.1.2.3/"})
    assert bad.status_code == 400 and "target_url" in bad.json()

    assert staff_client.delete(f"{URL}{webhook.pk}/").status_code == 204
    assert not Webhook.objects.exists()
    assert staff_client.get(f"{URL}{webhook.pk}/").status_code == 404
    assert staff_client.get(f"{URL}{2**62}/").status_code == 404


def test_staff_read_a_webhooks_deliveries_and_ping_it(
    staff_client: APIClient, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhook = services.webhook_create(target_url=receiver.url, events=["order.created"])
    receiver.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        order_placed()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{URL}{webhook.pk}/ping/")
    assert response.status_code == 202
    assert response.json()["event"] == "ping"
    assert receiver.requests[-1].headers["X-Mlstore-Event"] == "ping"

    deliveries = staff_client.get(f"{URL}{webhook.pk}/deliveries/").json()
    assert [d["event"] for d in deliveries["results"]] == ["ping", "order.created"]
    assert deliveries["results"][0]["status"] == "succeeded"
    failed = deliveries["results"][1]
    assert (failed["status"], failed["last_response_code"], failed["attempts"]) == (
        "pending",
        500,
        1,
    )
    assert "payload" not in failed  # the shopper's e-mail stays in the admin
    pending = staff_client.get(f"{URL}{webhook.pk}/deliveries/?status=pending").json()
    assert [d["event"] for d in pending["results"]] == ["order.created"]
    assert staff_client.get(f"{URL}{webhook.pk}/deliveries/?status=lost").status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        retried = staff_client.post(f"{URL}{webhook.pk}/deliveries/{failed['id']}/retry/")
    assert retried.status_code == 202
    assert len(receiver.requests) == 3
    again = staff_client.post(f"{URL}{webhook.pk}/deliveries/{failed['id']}/retry/")
    assert again.status_code == 400 and "status" in again.json()
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2

    assert staff_client.get(f"{URL}{webhook.pk + 1}/deliveries/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "shopper"])
def test_shoppers_and_anonymous_are_refused(
    who: str, api_client: APIClient, shopper_client: APIClient
) -> None:
    client = api_client if who == "anonymous" else shopper_client
    webhook = services.webhook_create(target_url="https://a.example.com/h", events=["order.paid"])
    expected = {401, 403} if who == "anonymous" else {403}
    calls = [
        client.get(URL),
        client.post(URL, {"target_url": "https://b.example.com/", "events": ["order.paid"]}),
        client.get(f"{URL}{webhook.pk}/"),
        client.patch(f"{URL}{webhook.pk}/", {"is_active": False}),
        client.delete(f"{URL}{webhook.pk}/"),
        client.get(f"{URL}{webhook.pk}/deliveries/"),
        client.post(f"{URL}{webhook.pk}/ping/"),
    ]
    assert [r.status_code in expected for r in calls] == [True] * len(calls)
    webhook.refresh_from_db()
    assert webhook.is_active and Webhook.objects.count() == 1
    assert not WebhookDelivery.objects.exists()


def test_the_webhook_list_query_count_does_not_grow(
    staff_client: APIClient, django_assert_num_queries: Any
) -> None:
    for n in range(5):
        services.webhook_create(target_url=f"https://{n}.example.com/h", events=["order.paid"])
    with django_assert_num_queries(2):  # the count and the page, none per webhook
        assert staff_client.get(URL).status_code == 200
