"""Staff order management over the API: list with filters and pages, one order by number,
and fulfil, cancel, approve and refund as actions, refused (400 naming the field) when the
order's status does not allow them; shoppers and signed-out clients are refused."""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from rest_framework.test import APIClient

from catalog.models import Stock
from orders.models import Order
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import order_placed

pytestmark = pytest.mark.django_db

BASE = "/api/v1/staff/orders/"


@pytest.fixture
def clerk_client() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(username="clerk", is_staff=True))
    return client


def _placed_at(order: Order, when: datetime) -> None:
    Order.objects.filter(pk=order.pk).update(placed_at=when)


def _numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def test_the_list_is_a_page_of_orders_with_their_money_lines_and_history(
    clerk_client: APIClient,
) -> None:
    orders = [order_placed(key=f"k{i}", price="30.00") for i in range(3)]
    for i, order in enumerate(orders):
        _placed_at(order, datetime(2026, 5, 1 + i, 12, tzinfo=UTC))
    first = clerk_client.get(f"{BASE}?page_size=2").json()
    assert first["count"] == 3 and first["previous"] is None and first["next"]
    assert [row["number"] for row in first["results"]] == [orders[2].number, orders[1].number]
    second = clerk_client.get(first["next"]).json()
    assert [row["number"] for row in second["results"]] == [orders[0].number]
    assert second["next"] is None and second["previous"]
    row = second["results"][0]
    # money as strings, like every amount in the API; times with their offset
    assert (row["subtotal"], row["shipping"], row["total"]) == ("60.00", "0.00", "60.00")
    assert row["currency"] == "GBP" and row["placed_at"] == "2026-05-01T13:00:00+01:00"
    assert row["status"] == "paid" and row["customer_id"] is None
    assert row["lines"] == [
        {
            "product_id": row["lines"][0]["product_id"],
            "sku": "TEA-k0",
            "name": "Teapot",
            "unit_price": "30.00",
            "quantity": 2,
            "line_total": "60.00",
        }
    ]
    [payment] = row["payments"]
    assert payment["amount"] == "60.00" and payment["status"] == "captured"
    assert row["refunds"] == [] and row["fulfilments"] == []
    assert [h["status"] for h in row["history"]] == ["pending", "paid"]
    # no personal data beyond the customer id (as the other staff endpoints)
    assert not {"email", "shipping_address", "billing_address"} & set(row)
    assert not {"card_last4", "card_fingerprint", "ip_address"} & set(payment)
    beyond = clerk_client.get(f"{BASE}?page=9")
    assert beyond.status_code == 404 and beyond.json()["code"] == "not_found"


def test_the_list_takes_the_same_number_of_queries_for_more_orders(
    clerk_client: APIClient, django_assert_num_queries: Any
) -> None:
    order_placed(key="a")
    # count, page, then lines, payments, refunds, shipments and history once each
    with django_assert_num_queries(7):
        assert clerk_client.get(BASE).json()["count"] == 1
    more = [order_placed(key=f"more-{i}") for i in range(4)]
    # with refunds and shipments to show too
    clerk_client.post(f"{BASE}{more[0].number}/refund/", {"amount": "1.00"})
    clerk_client.post(f"{BASE}{more[1].number}/fulfil/", {"carrier": "DPD"})
    with django_assert_num_queries(7):
        rows = clerk_client.get(BASE).json()["results"]
    assert len(rows) == 5
    assert sum(len(r["refunds"]) for r in rows) == sum(len(r["fulfilments"]) for r in rows) == 1


def test_filters_by_status_placed_time_customer_and_search(clerk_client: APIClient) -> None:
    customer = CustomerFactory(user__email="Grace@Example.com")
    mine = order_placed(key="mine", customer_id=customer.pk, email="grace@example.com")
    guest = order_placed(key="guest", email="guest@example.com")
    held = order_placed(key="held", held=True)
    _placed_at(mine, datetime(2026, 7, 1, 9, 30, tzinfo=UTC))  # 10:30 in London (BST)
    _placed_at(guest, datetime(2026, 7, 2, 9, 30, tzinfo=UTC))
    _placed_at(held, datetime(2026, 7, 3, 9, 30, tzinfo=UTC))

    assert _numbers(clerk_client.get(f"{BASE}?status=on_hold")) == [held.number]
    both = clerk_client.get(f"{BASE}?status=on_hold&status=paid")
    assert _numbers(both) == [held.number, guest.number, mine.number]

    def placed(**params: str) -> list[str]:
        return _numbers(clerk_client.get(f"{BASE}?{urlencode(params)}"))

    # aware bounds: 10:00 at +01:00 is 09:00 UTC, so the 09:30 UTC order is in
    assert placed(placed_after="2026-07-01T10:00:00+01:00", placed_before="2026-07-02T00:00Z") == [
        mine.number
    ]
    assert placed(placed_after="2026-07-01T10:00:00Z", placed_before="2026-07-02T00:00Z") == []
    # without an offset the time is the store's (London, UTC+1 in July)
    assert placed(placed_after="2026-07-01T10:00", placed_before="2026-07-02") == [mine.number]
    assert placed(placed_after="2026-07-01T10:45", placed_before="2026-07-02") == []
    # before is exclusive: back-to-back ranges do not count an order twice
    assert placed(placed_before="2026-07-02T09:30:00Z") == [mine.number]
    # a "+" sent unencoded arrives as a space; it is still read as the offset
    raw = clerk_client.get(f"{BASE}?placed_after=2026-07-03T10:00:00+01:00")
    assert _numbers(raw) == [held.number]

    assert placed(customer=str(customer.pk)) == [mine.number]
    assert placed(search="GRACE@example.com") == [mine.number]  # the e-mail, any case
    assert placed(search="grace@") == []  # a whole address only, not a fragment
    assert placed(search=guest.number.lower()) == [guest.number]
    assert placed(search=held.number[:-1]) == [held.number]  # the start of a number

    oldest_first = _numbers(clerk_client.get(f"{BASE}?ordering=placed_at"))
    assert oldest_first == [mine.number, guest.number, held.number]


def test_bad_filter_values_are_400_naming_the_parameter(clerk_client: APIClient) -> None:
    for params, field in (
        ("status=shipped", "status"),
        ("placed_after=yesterday", "placed_after"),
        ("placed_before=2026-13-01T00:00Z", "placed_before"),
        ("placed_after=0001-01-01T00:00:00%2B14:00", "placed_after"),  # overflows UTC
        ("customer=abc", "customer"),
        ("ordering=email", "ordering"),
    ):
        response = clerk_client.get(f"{BASE}?{params}")
        assert response.status_code == 400, (params, response.content)
        body = response.json()
        assert body["code"] == "invalid" and field in body, (params, body)


def test_detail_by_number_and_404_for_an_unknown_one(clerk_client: APIClient) -> None:
    order = order_placed()
    detail = clerk_client.get(f"{BASE}{order.number}/")
    assert detail.status_code == 200
    assert detail.json()["number"] == order.number and detail.json()["total"] == "60.00"
    missing = clerk_client.get(f"{BASE}NO-SUCH/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found.", "code": "not_found"}
    for action, body in (
        ("fulfil", {}),
        ("cancel", {}),
        ("approve", {}),
        ("refund", {"amount": "1.00"}),
    ):
        answer = clerk_client.post(f"{BASE}NO-SUCH/{action}/", body, format="json")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", action


def test_fulfil_ships_the_order_and_mails_the_shopper_the_tracking_number(
    clerk_client: APIClient,
    django_capture_on_commit_callbacks: Any,
) -> None:
    order = order_placed()
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            f"{BASE}{order.number}/fulfil/",
            {"carrier": "Royal Mail", "tracking_number": "RM123456789GB"},
            format="json",
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "fulfilled"
    [shipment] = body["fulfilments"]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("Royal Mail", "RM123456789GB")
    assert body["history"][-1]["note"] == (
        "shipped with Royal Mail, tracking RM123456789GB by clerk"
    )
    [sent] = mail.outbox
    assert sent.to == ["ada@example.com"]
    assert sent.subject == f"Your order {order.number} is on its way"
    assert "Tracking number: RM123456789GB (Royal Mail)" in sent.body
    again = clerk_client.post(f"{BASE}{order.number}/fulfil/", {}, format="json")
    assert again.status_code == 400 and "already shipped" in again.json()["status"][0]


def test_fulfil_refuses_a_held_order_and_bad_tracking_numbers(
    clerk_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    paid = order_placed(key="paid")
    held = order_placed(key="held", held=True)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        refused = clerk_client.post(
            f"{BASE}{held.number}/fulfil/", {"carrier": "DPD"}, format="json"
        )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "invalid" and "on hold" in body["status"][0]
    assert body["detail"] == body["status"][0]
    held.refresh_from_db()
    assert held.status == Order.Status.ON_HOLD and not held.fulfilments.exists()
    assert mail.outbox == []
    for data, field in (
        ({"carrier": "DPD", "tracking_number": "AB#12"}, "tracking_number"),
        ({"tracking_number": "AB12"}, "carrier"),  # a tracking number needs its carrier
        ({"carrier": "x" * 51}, "carrier"),
    ):
        answer = clerk_client.post(f"{BASE}{paid.number}/fulfil/", data, format="json")
        assert answer.status_code == 400 and field in answer.json(), (data, answer.content)
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID


def test_cancel_refunds_and_restocks_a_paid_order_and_refuses_a_shipped_one(
    clerk_client: APIClient,
) -> None:
    order = order_placed(key="c")
    line = order.lines.get()
    on_hand = Stock.objects.get(product_id=line.product_id).on_hand
    response = clerk_client.post(
        f"{BASE}{order.number}/cancel/", {"note": "customer asked"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled"
    assert [r["amount"] for r in body["refunds"]] == ["60.00"]
    assert body["history"][-1]["note"] == "customer asked by clerk"
    assert Stock.objects.get(product_id=line.product_id).on_hand == on_hand + 2
    # cancelling again changes nothing (a retried request is harmless)
    again = clerk_client.post(f"{BASE}{order.number}/cancel/", {}, format="json")
    assert again.status_code == 200 and len(again.json()["refunds"]) == 1

    shipped = order_placed(key="s")
    clerk_client.post(f"{BASE}{shipped.number}/fulfil/", {}, format="json")
    refused = clerk_client.post(f"{BASE}{shipped.number}/cancel/", {}, format="json")
    assert refused.status_code == 400 and "refund it instead" in refused.json()["status"][0]
    shipped.refresh_from_db()
    assert shipped.status == Order.Status.FULFILLED


def test_approve_releases_a_held_order_and_refuses_one_not_on_hold(
    clerk_client: APIClient,
) -> None:
    paid = order_placed(key="p")
    held = order_placed(key="h", held=True)
    response = clerk_client.post(f"{BASE}{held.number}/approve/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "paid" and body["payments"][0]["status"] == "captured"
    assert body["history"][-1]["note"] == "approved by clerk"
    refused = clerk_client.post(f"{BASE}{paid.number}/approve/", {}, format="json")
    assert refused.status_code == 400 and "not on hold" in refused.json()["status"][0]


def test_refund_takes_part_then_the_rest_and_refuses_more_than_paid(
    clerk_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_placed(key="r")  # 60.00 paid
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        partial = clerk_client.post(
            f"{BASE}{order.number}/refund/",
            {"amount": "10.50", "reason": "dented lid"},
            format="json",
        )
    assert partial.status_code == 201, partial.content
    body = partial.json()
    assert body["status"] == "paid"
    assert [(r["amount"], r["reason"]) for r in body["refunds"]] == [("10.50", "dented lid")]
    assert len(mail.outbox) == 1 and "£10.50" in mail.outbox[0].body
    too_much = clerk_client.post(f"{BASE}{order.number}/refund/", {"amount": "49.51"})
    assert too_much.status_code == 400
    assert "49.50" in too_much.json()["amount"][0]  # says what is left to refund
    for amount in ("0", "-5", "abc", "1.234"):
        bad = clerk_client.post(f"{BASE}{order.number}/refund/", {"amount": amount})
        assert bad.status_code == 400 and "amount" in bad.json(), amount
    assert clerk_client.post(f"{BASE}{order.number}/refund/", {}).status_code == 400
    rest = clerk_client.post(f"{BASE}{order.number}/refund/", {"amount": "49.50"})
    assert rest.status_code == 201 and rest.json()["status"] == "refunded"
    assert [r["amount"] for r in rest.json()["refunds"]] == ["10.50", "49.50"]

    held = order_placed(key="never-charged", held=True)
    refused = clerk_client.post(f"{BASE}{held.number}/refund/", {"amount": "1.00"})
    assert refused.status_code == 400 and "status" in refused.json()


def test_a_retried_refund_with_its_idempotency_key_pays_out_once(
    clerk_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    order = order_placed(key="retry")  # 60.00 paid
    url = f"{BASE}{order.number}/refund/"
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        first = clerk_client.post(url, {"amount": "60.00"}, HTTP_IDEMPOTENCY_KEY="rf-1")
        again = clerk_client.post(url, {"amount": "60.00"}, HTTP_IDEMPOTENCY_KEY="rf-1")
    assert first.status_code == again.status_code == 201, again.content
    assert first.json() == again.json() and again.json()["status"] == "refunded"
    assert [r["amount"] for r in again.json()["refunds"]] == ["60.00"]
    assert len(mail.outbox) == 1  # one refund, one e-mail
    other = clerk_client.post(url, {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="rf-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert "idempotency_key" in other.json()
    second = order_placed(key="keys")
    long_key = clerk_client.post(
        f"{BASE}{second.number}/refund/", {"amount": "1.00"}, HTTP_IDEMPOTENCY_KEY="k" * 65
    )
    assert long_key.status_code == 400 and "idempotency_key" in long_key.json()
    # the key belongs to one order: another order's refund with it is its own
    reused = clerk_client.post(
        f"{BASE}{second.number}/refund/", {"amount": "1.00"}, HTTP_IDEMPOTENCY_KEY="rf-1"
    )
    assert reused.status_code == 201 and len(reused.json()["refunds"]) == 1


def test_shoppers_and_signed_out_clients_are_refused_and_change_nothing(
    shopper_client: APIClient, shopper: Any
) -> None:
    order = order_placed(key="own", customer_id=shopper.pk)  # even the shopper's own order
    urls = [BASE, f"{BASE}{order.number}/"]
    actions = [
        (f"{BASE}{order.number}/{action}/", body)
        for action, body in (
            ("fulfil", {}),
            ("cancel", {}),
            ("approve", {}),
            ("refund", {"amount": "1.00"}),
        )
    ]
    anonymous = APIClient()
    for url in urls:
        assert shopper_client.get(url).status_code == 403, url
        signed_out = anonymous.get(url)
        assert signed_out.status_code == 401 and signed_out.json()["code"] == "not_authenticated"
        assert signed_out.headers["WWW-Authenticate"].startswith("Token")
    for url, body in actions:
        denied = shopper_client.post(url, body, format="json")
        assert denied.status_code == 403 and denied.json()["code"] == "permission_denied", url
        assert anonymous.post(url, body, format="json").status_code == 401, url
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not order.refunds.exists()


def test_the_schema_documents_the_staff_order_endpoints(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    listed = paths["/api/v1/staff/orders/"]["get"]
    ok = listed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("PaginatedStaffOrderOutputList")
    names = {p["name"] for p in listed["parameters"]}
    assert names >= {"status", "placed_after", "placed_before", "customer", "search", "ordering"}
    assert {"401", "403"} <= set(listed["responses"])
    for action, created in (
        ("fulfil", "200"),
        ("cancel", "200"),
        ("approve", "200"),
        ("refund", "201"),
    ):
        post = paths[f"/api/v1/staff/orders/{{number}}/{action}/"]["post"]
        responses = post["responses"]
        assert responses[created]["content"]["application/json"]["schema"]["$ref"].endswith(
            "StaffOrderOutput"
        ), action
        assert {"400", "401", "403", "404"} <= set(responses), action
        error = responses["400"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/Error"), action
    refund = schema["components"]["schemas"]["StaffOrderRefundApiInputRequest"]
    assert refund["required"] == ["amount"]
    order = schema["components"]["schemas"]["StaffOrderOutput"]["properties"]
    assert order["total"]["type"] == "string" and "email" not in order
