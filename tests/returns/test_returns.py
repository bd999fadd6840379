"""Returns (RMA): shoppers ask to return units of a shipped order within the window; the
merchant approves or rejects, receives (restocking through the catalog) and refunds once."""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Stock, StockMovement
from customers.selectors import customer_data_export
from customers.services import customer_erase
from orders import services as orders
from orders.models import Fulfilment, Order, Refund
from returns import services
from returns.models import ReturnLine, ReturnRequest, ReturnSettings
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver
from webhooks import services as webhooks

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(shopper: Any) -> Order:
    order = order_placed(key="ret", customer_id=shopper.pk, quantity=3, price="20.00")
    orders.order_fulfil(order_id=order.pk, carrier="Royal Mail", notify=False)
    return Order.objects.get(pk=order.pk)


def _url(order: Order) -> str:
    return f"/api/v1/orders/{order.number}/returns/"


def _line_id(order: Order) -> int:
    return order.lines.get().pk


def _post(client: APIClient, order: Order, quantity: int, **extra: Any) -> Any:
    line = {"order_line_id": _line_id(order), "quantity": quantity, "reason": "damaged", **extra}
    return client.post(_url(order), {"lines": [line]}, format="json")


def _request(order: Order, quantity: int = 1, comment: str = "") -> ReturnRequest:
    return services.return_request_create(
        order_id=order.pk,
        lines=[services.ReturnLineInput(_line_id(order), quantity, "damaged", comment)],
    )


def _on_hand(order: Order) -> int:
    return Stock.objects.get(product_id=order.lines.get().product_id).on_hand


# --- the shopper's request -------------------------------------------------------------------


def test_shopper_returns_some_units_and_gets_instructions(
    shipped: Order, shopper_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(shopper_client, shipped, 2, comment="the lid is cracked")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["returns"][0]["status"] == "requested"
    assert body["lines"][0]["returnable"] == 1
    (sent,) = mail.outbox
    assert sent.to == ["ada@example.com"]
    assert "How to send them back" in sent.body and body["returns"][0]["number"] in sent.body


def test_never_more_units_than_bought_minus_already_requested(
    shipped: Order, shopper_client: APIClient
) -> None:
    assert _post(shopper_client, shipped, 4).status_code == 400  # bought 3
    assert _post(shopper_client, shipped, 2).status_code == 201
    refused = _post(shopper_client, shipped, 2)
    assert refused.status_code == 400
    assert "only 1 more" in refused.json()["lines"][0]
    assert _post(shopper_client, shipped, 1).status_code == 201
    assert "already in a return" in _post(shopper_client, shipped, 1).json()["order"][0]


def test_rejected_units_can_be_asked_for_again(shipped: Order, shopper_client: APIClient) -> None:
    first = _request(shipped, 3)
    services.return_reject(return_id=first.pk, note="worn")
    assert _post(shopper_client, shipped, 3).status_code == 201


def test_return_window_is_enforced_and_the_merchant_sets_it(
    shipped: Order, shopper_client: APIClient
) -> None:
    Fulfilment.objects.filter(order=shipped).update(shipped_at=timezone.now() - timedelta(days=31))
    refused = _post(shopper_client, shipped, 1)
    assert refused.status_code == 400
    assert "30-day return window" in refused.json()["order"][0]
    ReturnSettings.objects.create(window_days=60)
    assert _post(shopper_client, shipped, 1).status_code == 201


def test_an_order_not_shipped_cannot_be_returned(shopper: Any, shopper_client: APIClient) -> None:
    order = order_placed(key="paid", customer_id=shopper.pk)
    response = _post(shopper_client, order, 1)
    assert response.status_code == 400
    assert "once the order has shipped" in response.json()["order"][0]


def test_a_fully_refunded_order_cannot_be_returned(
    shipped: Order, shopper_client: APIClient
) -> None:
    orders.refund_create(order_id=shipped.pk, amount=shipped.total, notify=False)
    assert "refunded in full" in _post(shopper_client, shipped, 1).json()["order"][0]


def test_only_the_owner_sees_or_returns_an_order(shipped: Order) -> None:
    stranger = APIClient()
    stranger.force_authenticate(CustomerFactory().user)
    assert stranger.get(_url(shipped)).status_code == 404
    assert _post(stranger, shipped, 1).status_code == 404
    assert _post(APIClient(), shipped, 1).status_code == 404
    assert not ReturnRequest.objects.exists()


def test_bad_input_is_a_400_with_field_messages_and_writes_nothing(
    shipped: Order, shopper_client: APIClient
) -> None:
    other = _post(shopper_client, shipped, 1, reason="other")
    assert other.status_code == 400
    assert "comment" in other.json()["lines"]["0"]  # the first line's field
    wrong = shopper_client.post(
        _url(shipped),
        {"lines": [{"order_line_id": _line_id(shipped), "quantity": 0, "reason": "bored"}]},
        format="json",
    )
    assert set(wrong.json()["lines"]["0"]) == {"quantity", "reason"}
    assert shopper_client.post(_url(shipped), {"lines": []}, format="json").status_code == 400
    assert not ReturnRequest.objects.exists() and not ReturnLine.objects.exists()


def test_one_bad_line_writes_nothing_of_the_request(
    shopper: Any, shopper_client: APIClient
) -> None:
    order = order_placed(key="two", customer_id=shopper.pk)
    orders.order_fulfil(order_id=order.pk, notify=False)
    foreign = order_placed(key="foreign")  # a line of someone else's order
    lines = [
        {"order_line_id": order.lines.get().pk, "quantity": 1, "reason": "damaged"},
        {"order_line_id": foreign.lines.get().pk, "quantity": 1, "reason": "damaged"},
    ]
    mail.outbox.clear()
    response = shopper_client.post(_url(order), {"lines": lines}, format="json")
    assert response.status_code == 400
    assert "not in this order" in response.json()["lines"][0]
    assert not ReturnRequest.objects.exists() and not ReturnLine.objects.exists()
    assert mail.outbox == []


# --- the merchant's workflow -----------------------------------------------------------------


def test_approve_receive_restocks_and_refunds_exactly_once(
    shipped: Order, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        r = _request(shipped, 2)
    on_hand = _on_hand(shipped)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(return_id=r.pk, note="Send it back with the box")
    assert "Send it back with the box" in mail.outbox[-1].body
    line = r.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.return_receive(return_id=r.pk, restock_line_ids=[line.pk])
    r.refresh_from_db()
    assert r.status == ReturnRequest.Status.REFUNDED
    assert r.refund_amount == Decimal("40.00")  # 2 × 20.00
    assert _on_hand(shipped) == on_hand + 2
    assert StockMovement.objects.filter(reason="return", reference=r.number).count() == 1
    assert "£40.00" in mail.outbox[-1].body
    with pytest.raises(services.ServiceError):
        services.return_refund(return_id=r.pk)
    with pytest.raises(services.ServiceError):
        services.return_receive(return_id=r.pk, restock_line_ids=[line.pk])
    assert Refund.objects.filter(order=shipped).count() == 1
    assert _on_hand(shipped) == on_hand + 2


def test_lines_not_ticked_are_not_restocked(shipped: Order) -> None:
    r = _request(shipped, 1)
    services.return_approve(return_id=r.pk)
    on_hand = _on_hand(shipped)
    services.return_receive(return_id=r.pk, restock_line_ids=[], refund=False)
    r.refresh_from_db()
    assert r.status == ReturnRequest.Status.RECEIVED and r.refund is None
    assert _on_hand(shipped) == on_hand


def test_refund_includes_delivery_only_when_ticked(shopper: Any) -> None:
    order = order_placed(key="ship", customer_id=shopper.pk, quantity=2, price="10.00")
    assert order.shipping > 0  # under the free-delivery threshold
    orders.order_fulfil(order_id=order.pk, notify=False)
    first, second = _request(order, 1), None
    services.return_approve(return_id=first.pk)
    services.return_receive(return_id=first.pk, include_shipping=True)
    first.refresh_from_db()
    assert first.refund_amount == Decimal("10.00") + order.shipping
    second = _request(order, 1)
    services.return_approve(return_id=second.pk)
    services.return_receive(return_id=second.pk, include_shipping=True)  # paid back already
    second.refresh_from_db()
    assert second.refund_amount == Decimal("10.00") and not second.include_shipping


def test_refund_never_exceeds_what_is_left_to_refund(shipped: Order) -> None:
    orders.refund_create(order_id=shipped.pk, amount=Decimal("50.00"), notify=False)  # of 60
    r = _request(shipped, 3)
    services.return_approve(return_id=r.pk)
    services.return_receive(return_id=r.pk)
    r.refresh_from_db()
    assert r.refund_amount == Decimal("10.00")
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.REFUNDED


def test_a_failed_refund_rolls_the_receipt_and_restock_back(shipped: Order) -> None:
    orders.refund_create(order_id=shipped.pk, amount=Decimal("1.00"), notify=False)
    r = _request(shipped, 1)
    services.return_approve(return_id=r.pk)
    # the rest refunded by hand meanwhile: nothing left to pay back
    orders.refund_create(order_id=shipped.pk, amount=shipped.total - 1, notify=False)
    on_hand = _on_hand(shipped)
    with pytest.raises(services.ServiceError):
        services.return_receive(return_id=r.pk, restock_line_ids=[r.lines.get().pk])
    r.refresh_from_db()
    assert r.status == ReturnRequest.Status.APPROVED
    assert _on_hand(shipped) == on_hand


def test_rejection_mails_the_note(shipped: Order, django_capture_on_commit_callbacks: Any) -> None:
    r = _request(shipped)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.return_reject(return_id=r.pk, note="Worn items cannot be returned.")
    (sent,) = mail.outbox
    assert "Worn items cannot be returned." in sent.body


# --- webhooks --------------------------------------------------------------------------------


def test_webhooks_deliver_requested_and_refunded_without_personal_data(
    shipped: Order, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    webhooks.webhook_create(target_url=receiver.url, events=["return.requested", "return.refunded"])
    with django_capture_on_commit_callbacks(execute=True):
        r = _request(shipped, 1, comment="secret words about my flat")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(return_id=r.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_receive(return_id=r.pk)
    payloads = [json.loads(req.body) for req in receiver.requests]
    assert [p["event"] for p in payloads] == ["return.requested", "return.refunded"]
    assert payloads[1]["data"]["return"]["refund_amount"] == "20.00"
    raw = b"".join(req.body for req in receiver.requests)
    assert b"secret words" not in raw and b"ada@example.com" not in raw


# --- staff API -------------------------------------------------------------------------------


def test_staff_api_lists_filters_and_works_a_return(shipped: Order) -> None:
    r = _request(shipped, 1)
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))
    listed = staff.get("/api/v1/staff/returns/", {"status": "requested"}).json()
    assert [row["number"] for row in listed["results"]] == [r.number]
    assert staff.get("/api/v1/staff/returns/", {"status": "refunded"}).json()["count"] == 0
    assert staff.post(f"/api/v1/staff/returns/{r.pk}/approve/", {"note": "ok"}).status_code == 200
    line_id = staff.get(f"/api/v1/staff/returns/{r.pk}/").json()["lines"][0]["id"]
    done = staff.post(
        f"/api/v1/staff/returns/{r.pk}/receive/", {"restock": [line_id]}, format="json"
    )
    assert done.status_code == 200 and done.json()["status"] == "refunded"
    again = staff.post(f"/api/v1/staff/returns/{r.pk}/reject/", {})
    assert again.status_code == 400 and "status" in again.json()
    shopper_api = APIClient()
    shopper_api.force_authenticate(UserFactory())
    assert shopper_api.get("/api/v1/staff/returns/").status_code == 403


# --- admin -----------------------------------------------------------------------------------


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="merchant", is_staff=True, is_superuser=True))
    return client


def test_admin_bulk_actions_approve_then_receive_and_refund(
    shipped: Order, merchant: Client
) -> None:
    r = _request(shipped, 1)
    url = "/admin/returns/returnrequest/"
    merchant.post(url, {"action": "approve_returns", "_selected_action": [r.pk]})
    r.refresh_from_db()
    assert r.status == ReturnRequest.Status.APPROVED
    response = merchant.post(url, {"action": "receive_returns", "_selected_action": [r.pk]})
    r.refresh_from_db()
    assert r.status == ReturnRequest.Status.REFUNDED and r.lines.get().restocked
    response = merchant.post(url, {"action": "refund_returns", "_selected_action": [r.pk]})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("is refunded; cannot refund it" in m for m in messages)
    assert Refund.objects.filter(order=shipped).count() == 1
    assert merchant.get(url, {"status__exact": "refunded"}).status_code == 200


def test_admin_change_page_rejects_with_a_note(shipped: Order, merchant: Client) -> None:
    r = _request(shipped, 1)
    page = f"/admin/returns/returnrequest/{r.pk}/change/"
    assert b"Reject return" in merchant.get(page).content
    merchant.post(
        page,
        {
            "_reject": "1",
            "_note": "Out of policy",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000",
            "lines-0-id": r.lines.get().pk,
            "lines-0-return_request": r.pk,
        },
    )
    r.refresh_from_db()
    assert r.status == ReturnRequest.Status.REJECTED and r.merchant_note == "Out of policy"


# --- storefront and personal data ------------------------------------------------------------


def test_order_page_shows_the_return_form_for_an_eligible_order(
    shipped: Order, shopper: Any
) -> None:
    client = Client()
    client.force_login(shopper.user)
    page = client.get(f"/order/{shipped.number}/").content.decode()
    assert 'data-testid="return-form"' in page and "Return items" in page
    assert f"/api/v1/orders/{shipped.number}/returns/" in page


def test_order_page_shows_no_form_for_an_order_not_shipped(shopper: Any) -> None:
    order = order_placed(key="unshipped", customer_id=shopper.pk)
    client = Client()
    client.force_login(shopper.user)
    assert b'data-testid="return-form"' not in client.get(f"/order/{order.number}/").content


def test_export_and_erasure_cover_return_comments(shipped: Order, shopper: Any) -> None:
    _request(shipped, 1, comment="my neighbour broke it")
    exported = customer_data_export(customer_id=shopper.pk)["returns"]
    assert exported[0]["lines"][0]["comment"] == "my neighbour broke it"  # type: ignore[index]
    customer_erase(customer=shopper)
    assert ReturnLine.objects.get().comment == ""
