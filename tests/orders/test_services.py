"""Order life after payment: shipping a paid order, and what the shopper is told by e-mail
when it ships, is cancelled or is refunded (plain text with an HTML alternative)."""

import logging
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from orders import services
from orders.models import Fulfilment, Order, Payment
from storefront.api_errors import ServiceError
from tests.factories import UserFactory
from tests.orders.factories import order_placed

pytestmark = pytest.mark.django_db


def _html(message: mail.EmailMessage) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    parts = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(parts) == 1, "one HTML alternative"
    return str(parts[0])


def test_fulfil_ships_a_paid_order_and_mails_carrier_and_tracking(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed()
    assert order.status == Order.Status.PAID
    mail.outbox = []
    clerk = UserFactory(username="clerk", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_fulfil(
            order_id=order.pk,
            carrier="Royal Mail",
            tracking_number="RM123456789GB",
            user_id=clerk.pk,
        )
        assert mail.outbox == []  # nothing leaves before the shipment is committed

    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED
    shipment = Fulfilment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number) == ("Royal Mail", "RM123456789GB")
    assert shipment.shipped_by == clerk and shipment.shipped_at.tzinfo is not None
    history = order.history.last()
    assert history is not None and history.status == Order.Status.FULFILLED
    assert history.note == "shipped with Royal Mail, tracking RM123456789GB by clerk"

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@example.com"]
    assert sent.subject == f"Your order {order.number} is on its way"
    assert "Tracking number: RM123456789GB (Royal Mail)" in sent.body
    assert "2 x Teapot" in sent.body and "N1 1AA" in sent.body
    assert f"{settings.SITE_URL}/order/{order.number}/" in sent.body
    html = _html(sent)
    assert "RM123456789GB" in html and "Royal Mail" in html and "<html" in html


def test_fulfil_refuses_held_cancelled_and_already_shipped_orders() -> None:
    cancelled = order_placed(key="cancelled")
    services.order_cancel(order_id=cancelled.pk)
    with pytest.raises(ServiceError, match="cannot ship: it is cancelled"):
        services.order_fulfil(order_id=cancelled.pk)

    shipped = order_placed(key="shipped")
    services.order_fulfil(order_id=shipped.pk, carrier="DHL", tracking_number="JD0001")
    with pytest.raises(ServiceError, match="cannot ship: it has already shipped"):
        services.order_fulfil(order_id=shipped.pk, carrier="DHL", tracking_number="JD0002")

    held = order_placed(key="held", held=True)  # the review rule holds orders from here on
    assert held.status == Order.Status.ON_HOLD
    with pytest.raises(ServiceError) as refused:
        services.order_fulfil(order_id=held.pk, carrier="DHL", tracking_number="1")
    assert refused.value.field == "status"
    assert refused.value.message == (
        f"order {held.number} cannot ship: it is on hold for review; approve it before shipping"
    )
    held.refresh_from_db()
    assert held.status == Order.Status.ON_HOLD
    # nothing was recorded for any refused attempt
    assert list(Fulfilment.objects.values_list("tracking_number", flat=True)) == ["JD0001"]


def test_fulfil_checks_carrier_and_tracking_number_fields() -> None:
    order = order_placed()
    with pytest.raises(ServiceError) as no_carrier:
        services.order_fulfil(order_id=order.pk, tracking_number="RM1")
    assert no_carrier.value.field == "carrier"
    with pytest.raises(ServiceError) as bad_tracking:
        services.order_fulfil(order_id=order.pk, carrier="DHL", tracking_number="<script>")
    assert bad_tracking.value.field == "tracking_number"
    with pytest.raises(ServiceError) as long_tracking:
        services.order_fulfil(order_id=order.pk, carrier="DHL", tracking_number="9" * 65)
    assert long_tracking.value.field == "tracking_number"
    with pytest.raises(ServiceError) as missing:
        services.order_fulfil(order_id=order.pk + 1000)
    assert missing.value.status == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and not order.fulfilments.exists()


def test_cancelling_a_paid_order_refunds_it_and_says_so(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed()  # 2 x 30.00, free shipping: 60.00 charged
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(order_id=order.pk, note="out of stock at the warehouse")
    assert order.payments.get().status == Payment.Status.REFUNDED
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == f"Your order {order.number} has been cancelled"
    assert "we have refunded £60.00 to your card ending 4242" in sent.body
    assert "not been charged" not in sent.body
    assert "warehouse" not in sent.body  # the merchant's note is not the shopper's business
    assert "£60.00" in _html(sent)

    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(order_id=order.pk)  # a second cancel changes nothing
    assert len(mail.outbox) == 1


def test_cancelling_a_held_order_says_the_card_was_not_charged(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed(held=True)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        services.order_cancel(order_id=order.pk, note="cancelled as fraud after review")
    assert order.payments.get().status == Payment.Status.VOIDED
    [sent] = mail.outbox
    assert "You have not been charged" in sent.body and "refunded" not in sent.body
    assert "fraud" not in (sent.body + _html(sent)).lower()
    assert "You have not been charged" in _html(sent)


def test_a_shipped_order_cannot_be_cancelled_only_refunded() -> None:
    order = order_placed()
    services.order_fulfil(order_id=order.pk, carrier="DHL", tracking_number="JD1")
    with pytest.raises(ServiceError, match="has shipped; refund it instead"):
        services.order_cancel(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED


def test_refund_mails_the_amount_as_money_and_what_is_left(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed(price="617.25", quantity=2)  # 1,234.50
    services.order_fulfil(order_id=order.pk, carrier="DHL", tracking_number="JD1")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(order_id=order.pk, amount=Decimal("34.5"), reason="dented lid")
    [partial] = mail.outbox
    assert partial.subject == f"Refund for your order {order.number}"
    assert "We have refunded £34.50 for your order" in partial.body
    assert "Refunded so far: £34.50 of £1,234.50." in partial.body
    assert "£34.50" in _html(partial)

    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(order_id=order.pk, amount=Decimal("1200.00"))
    assert len(mail.outbox) == 2
    assert "We have refunded £1,200.00" in mail.outbox[1].body
    assert "This refunds your order in full (£1,234.50)." in mail.outbox[1].body
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


def test_an_order_never_charged_cannot_be_refunded() -> None:
    order = order_placed(held=True)
    with pytest.raises(ServiceError, match="only a paid or shipped order can be refunded"):
        services.refund_create(order_id=order.pk, amount=Decimal("1.00"))
    assert not order.refunds.exists()


def test_cancelling_after_a_partial_refund_pays_back_only_the_rest() -> None:
    order = order_placed()  # 60.00
    services.refund_create(order_id=order.pk, amount=Decimal("10.00"))
    services.order_cancel(order_id=order.pk)
    assert sorted(order.refunds.values_list("amount", flat=True)) == [
        Decimal("10.00"),
        Decimal("50.00"),
    ]


def test_every_order_mail_has_an_html_alternative_and_support_mail_stays_plain(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        held = order_placed(key="held", held=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_approve(order_id=held.pk)
    kinds = [m.subject for m in mail.outbox]
    assert kinds == [f"We received your order {held.number}", f"Your order {held.number}"]
    for message in mail.outbox:
        assert held.number in _html(message)
        assert "&lt;" not in message.body  # the text part is not HTML-escaped

    from storefront.emails import email_send

    mail.outbox = []
    assert email_send(
        subject="Re: x",
        template="support/email/ticket_reply.txt",
        context={"body": "Ann & co", "ticket": None, "help_url": "/help/", "store_name": "S"},
        to="ann@example.com",
        what="ticket 1: reply",
    )
    assert getattr(mail.outbox[0], "alternatives", []) == []


def test_shipping_mail_failure_is_logged_without_the_address(
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed()

    def refuse(*args: object, **kwargs: object) -> int:
        raise ConnectionRefusedError("smtp refused ada@example.com")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        services.order_fulfil(order_id=order.pk, carrier="DHL", tracking_number="JD1")
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED  # a mail failure never undoes the shipment
    assert f"order {order.number}: shipped e-mail not sent (ConnectionRefusedError)" in caplog.text
    assert "ada@example.com" not in caplog.text and "Ada Shopper" not in caplog.text


def test_html_part_escapes_the_shoppers_name_and_the_text_part_keeps_it(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    order = order_placed()
    Order.objects.filter(pk=order.pk).update(
        shipping_address={**order.shipping_address, "full_name": "Ann <b>O'Neil</b> & co"}
    )
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        services.order_fulfil(order_id=order.pk, carrier="DHL", tracking_number="JD1")
    [sent] = mail.outbox
    assert "Hello Ann <b>O'Neil</b> & co," in sent.body
    html = _html(sent)
    assert "Ann &lt;b&gt;O&#x27;Neil&lt;/b&gt; &amp; co" in html and "<b>O'Neil" not in html
