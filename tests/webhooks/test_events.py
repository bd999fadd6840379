"""Events beyond orders reach the merchant's webhooks: a fraud review's verdict, support
tickets opened and solved, products back in stock and repriced. Each carries the documented
fields and no personal data, only when subscribed, and only once the change commits."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from catalog import services as catalog
from fraud import services as fraud
from support import services as support
from tests.factories import ProductFactory, UserFactory
from tests.orders.factories import order_placed
from tests.webhooks.conftest import Receiver
from webhooks import facade, selectors, services
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db

SHOPPER_WORDS = "My name is Ada Lovelace and I live at 12 Crescent Road; where is my parcel?"
SHOPPER_SUBJECT = "Parcel for Ada Lovelace"
SHOPPER_EMAIL = "ada.lovelace@example.com"


def _webhook(url: str, events: list[str]) -> Webhook:
    return services.webhook_create(target_url=url, events=events)


def _sent(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests]


def _reviewer() -> Any:
    return UserFactory(
        username="rita", first_name="Rita", last_name="Reviewer", email="rita.r@example.com"
    )


def test_a_review_decision_is_sent_without_the_reviewer(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, ["fraud.review_decided"])
    with django_capture_on_commit_callbacks(execute=True):
        approved = order_placed(key="a", held=True)
        rejected = order_placed(key="b", held=True)
    assert receiver.requests == []  # holding an order is no review decision
    reviewer = _reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        fraud.review_decide(order_id=approved.pk, decision="approve", user_id=reviewer.pk)
    with django_capture_on_commit_callbacks(execute=True):
        fraud.review_decide(order_id=rejected.pk, decision="cancel", user_id=reviewer.pk)

    first, second = _sent(receiver)
    assert receiver.requests[0].headers["X-Mlstore-Event"] == "fraud.review_decided"
    assert first["data"]["order"] == {"number": approved.number, "status": "paid"}
    review = first["data"]["review"]
    assert set(review) == {"decision", "reviewer", "decided_at", "risk_level", "risk_score"}
    assert (review["decision"], review["reviewer"]) == ("approve", "staff")
    assert review["risk_level"] in {"normal", "elevated", "highest"}
    assert isinstance(review["risk_score"], float)
    assert second["data"]["order"] == {"number": rejected.number, "status": "cancelled"}
    assert second["data"]["review"]["decision"] == "reject"
    for raw in (r.body.decode() for r in receiver.requests):
        assert "Rita" not in raw and "rita" not in raw and "Reviewer" not in raw
        assert "ada@example.com" not in raw  # the shopper's e-mail is in order.* events only


def test_a_ticket_opened_and_solved_is_sent_without_what_the_shopper_wrote(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, ["ticket.created", "ticket.solved"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = support.ticket_create(
            body=SHOPPER_WORDS, subject=SHOPPER_SUBJECT, email=SHOPPER_EMAIL
        )
    with django_capture_on_commit_callbacks(execute=True):
        support.ticket_solve(ticket_id=ticket.pk, notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        support.ticket_solve(ticket_id=ticket.pk, notify=False)  # solved already: no event

    created, solved = _sent(receiver)
    assert [r.headers["X-Mlstore-Event"] for r in receiver.requests] == [
        "ticket.created",
        "ticket.solved",
    ]
    ticket.refresh_from_db()
    fields = {
        "id",
        "status",
        "channel",
        "queue",
        "intent",
        "priority",
        "language",
        "created_at",
        "solved_at",
    }
    assert set(created["data"]["ticket"]) == fields
    assert created["data"]["ticket"]["id"] == ticket.pk
    assert created["data"]["ticket"]["intent"] == ticket.intent
    assert created["data"]["ticket"]["language"] == ticket.language
    assert created["data"]["ticket"]["priority"] in {"urgent", "high", "normal", "low"}
    assert created["data"]["ticket"]["solved_at"] is None
    assert created["data"]["ticket"]["queue"] == (ticket.queue.slug if ticket.queue else None)
    assert solved["data"]["ticket"]["status"] == "solved"
    assert solved["data"]["ticket"]["solved_at"] is not None
    for raw in (r.body.decode() for r in receiver.requests):
        assert "Lovelace" not in raw and "Crescent" not in raw and "ada.lovelace" not in raw


def test_an_agent_reply_that_solves_the_ticket_is_sent_as_solved(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = support.ticket_create(body=SHOPPER_WORDS, email=SHOPPER_EMAIL, allow_auto=False)
    _webhook(receiver.url, ["ticket.solved"])
    with django_capture_on_commit_callbacks(execute=True):
        support.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="Thanks, Ada.")
    assert receiver.requests == []  # a reply alone does not solve it
    with django_capture_on_commit_callbacks(execute=True):
        support.ticket_reply_send(
            ticket_id=ticket.pk, agent_id=None, body="On its way, Ada.", solve=True
        )
    (solved,) = _sent(receiver)
    assert solved["event"] == "ticket.solved"
    assert solved["data"]["ticket"]["status"] == "solved"
    assert "Ada" not in receiver.requests[0].body.decode()


def test_a_product_back_in_stock_is_sent_once(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory(sku="KETTLE-1", name="Kettle", price=Decimal("24.50"), with_stock=0)
    _webhook(receiver.url, ["product.back_in_stock"])
    with django_capture_on_commit_callbacks(execute=True):
        catalog.stock_adjust(product_id=product.pk, quantity=5)
    with django_capture_on_commit_callbacks(execute=True):
        catalog.stock_adjust(product_id=product.pk, quantity=3)  # was in stock already

    (sent,) = _sent(receiver)
    assert sent["event"] == "product.back_in_stock"
    assert sent["data"] == {
        "product": {
            "id": product.pk,
            "sku": "KETTLE-1",
            "name": "Kettle",
            "slug": product.slug,
            "currency": "GBP",
            "price": "24.50",
            "list_price": "20.00",
            "available": 5,
            "is_active": True,
        }
    }


def test_a_price_change_is_sent_with_old_and_new_price_and_no_staff_name(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    _webhook(receiver.url, ["product.price_changed"])
    staff = _reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_price_set(
            product_id=product.pk, price=Decimal("17.5"), reason="winter sale", user_id=staff.pk
        )
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_price_set(product_id=product.pk, price=Decimal("17.50"))  # no change
    with django_capture_on_commit_callbacks(execute=True):
        catalog.product_price_set(product_id=product.pk, price=Decimal("19.00"), source="pricing")

    manual, automatic = _sent(receiver)
    assert manual["data"]["product"]["price"] == "17.50"
    assert manual["data"]["price_change"] == {
        "old_price": "20.00",
        "new_price": "17.50",
        "source": "manual",
        "reason": "winter sale",
        "set_by": "staff",
    }
    assert automatic["data"]["price_change"]["old_price"] == "17.50"
    assert automatic["data"]["price_change"]["new_price"] == "19.00"
    assert (
        automatic["data"]["price_change"]["source"],
        automatic["data"]["price_change"]["set_by"],
    ) == ("pricing", "automatic")
    assert "rita" not in receiver.requests[0].body.decode().lower()


def test_unsubscribed_events_send_nothing(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(receiver.url, ["order.fulfilled"])
    product = ProductFactory(with_stock=0)
    with django_capture_on_commit_callbacks(execute=True):
        held = order_placed(held=True)
        fraud.review_decide(order_id=held.pk, decision="approve", user_id=None)
        ticket = support.ticket_create(body=SHOPPER_WORDS, email=SHOPPER_EMAIL)
        support.ticket_solve(ticket_id=ticket.pk, notify=False)
        catalog.stock_adjust(product_id=product.pk, quantity=2)
        catalog.product_price_set(product_id=product.pk, price=Decimal("9.99"))
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_change_sends_nothing(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    _webhook(
        receiver.url,
        ["ticket.created", "product.back_in_stock", "product.price_changed"],
    )
    product = ProductFactory(price=Decimal("20.00"), with_stock=0)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        support.ticket_create(body=SHOPPER_WORDS, email=SHOPPER_EMAIL)
        catalog.stock_adjust(product_id=product.pk, quantity=5)
        catalog.product_price_set(product_id=product.pk, price=Decimal("15.00"))
        raise RuntimeError("a later step of the same transaction fails")
    assert callbacks == []
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_rolled_back_review_sends_nothing(
    receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    held = order_placed(held=True)
    _webhook(receiver.url, ["fraud.review_decided"])
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        fraud.review_decide(order_id=held.pk, decision="approve", user_id=None)
        raise RuntimeError("rolled back")
    assert receiver.requests == []


def test_with_no_subscriber_a_new_event_costs_one_cached_query_at_most(
    django_assert_max_num_queries: Any, django_assert_num_queries: Any
) -> None:
    product = ProductFactory()
    with django_assert_max_num_queries(1):
        assert services.event_dispatch(event="product.price_changed", subject_id=product.pk) == []
    with django_assert_num_queries(0):
        assert services.event_dispatch(event="product.price_changed", subject_id=product.pk) == []
        assert services.event_dispatch(event="ticket.created", subject_id=1) == []


def test_an_event_without_its_subject_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="ticket_id"):
        facade.event_emit(event="ticket.created", order_id=1)


def test_the_new_events_are_in_the_catalogue_the_admin_and_api_offer(
    staff_client: Any,
) -> None:
    response = staff_client.post(
        "/api/v1/staff/webhooks/",
        {
            "target_url": "https://helpdesk.example.com/hooks",
            "events": ["ticket.solved", "ticket.created", "fraud.review_decided"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["events"] == ["fraud.review_decided", "ticket.created", "ticket.solved"]
    webhook_id = response.json()["id"]
    assert selectors.webhook_ids_subscribed(event="ticket.solved") == [webhook_id]
