"""Transactional e-mail of the orders domain: sent after commit through a Celery task
(eager in tests), never for a declined payment, never able to break a checkout."""

import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail

from fraud import services as fraud
from orders import services
from orders.models import Order
from tests.factories import ADDRESS, CartFactory, CartLineFactory, ProductFactory, UserFactory
from tests.fraud.factories import checkout

pytestmark = pytest.mark.django_db

DECLINED = services.DECLINED_TEST_CARD


def place(card: str = "4242424242424242") -> Order:
    cart = CartFactory()
    product = ProductFactory(name="Teapot", sku="TEA-1", price=Decimal("1234.50"), with_stock=5)
    CartLineFactory(cart=cart, product=product, quantity=2)
    return services.order_place(
        cart_id=cart.pk,
        idempotency_key="mail-1",
        email="ada@example.com",
        shipping_address=ADDRESS,
        card=services.CardInput(card),
    )


def test_paid_checkout_sends_one_confirmation_after_commit(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order = place()
        assert mail.outbox == []  # nothing leaves before the order is committed

    assert order.status == Order.Status.PAID
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@example.com"]
    assert sent.subject == f"Your order {order.number}"
    assert "£2,469.00" in sent.body  # total, in the store's money format
    assert "2 x Teapot (TEA-1)" in sent.body
    assert "1 High Street" in sent.body and "N1 1AA" in sent.body
    assert f"{settings.SITE_URL}/order/{order.number}/" in sent.body
    assert "&amp;" not in sent.body and "&#x27;" not in sent.body  # plain text, not escaped


def test_declined_card_sends_nothing(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        order = place(card=DECLINED)
    assert order.status == Order.Status.CANCELLED
    assert mail.outbox == []


def test_held_order_gets_a_neutral_note_and_the_confirmation_on_approval(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    fraud.risk_rule_create(name="all", expression="amount > 0", action="review")
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout()
    assert order.status == Order.Status.ON_HOLD
    assert len(mail.outbox) == 1
    held = mail.outbox[0]
    assert held.subject == f"We received your order {order.number}"
    text = (held.subject + held.body).lower()
    assert "fraud" not in text and "review" not in text and "risk" not in text

    reviewer = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        fraud.review_decide(order_id=order.pk, decision="approve", user_id=reviewer.pk)
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == f"Your order {order.number}"
    assert mail.outbox[1].to == ["shopper@example.com"]


def test_cancelled_after_review_gets_no_confirmation_only_a_neutral_cancellation(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    fraud.risk_rule_create(name="all", expression="amount > 0", action="review")
    order = checkout()
    reviewer = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        fraud.review_decide(order_id=order.pk, decision="cancel", user_id=reviewer.pk)
    # the "received" note promised a mail either way: it says nothing was charged
    assert [m.subject for m in mail.outbox] == [f"Your order {order.number} has been cancelled"]
    text = mail.outbox[0].body.lower()
    assert "you have not been charged" in text
    assert "fraud" not in text and "review" not in text and "risk" not in text


def test_failing_mail_server_leaves_the_order_placed_and_logs_without_the_address(
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise ConnectionRefusedError("smtp refused ada@example.com")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        order = place()

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert mail.outbox == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        f"order {order.number}: confirmed e-mail not sent (ConnectionRefusedError)"
    ]
    assert "ada@example.com" not in caplog.text


def test_demo_checkout_decisions_send_no_mail(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    fraud.risk_rule_create(name="big", expression="amount > 100", action="review")
    order = checkout(key="k-demo")
    order.status = Order.Status.PENDING
    order.save(update_fields=["status"])
    order.payments.update(status="authorized")
    from fraud.models import RiskAssessment

    RiskAssessment.objects.filter(order=order).delete()
    from demo.checkouts import demo_checkouts_decide

    with django_capture_on_commit_callbacks(execute=True):
        outcome = demo_checkouts_decide(first_order_id=order.pk)
    assert outcome["approved"] == 1
    assert mail.outbox == []
