"""The shopper hears about replies by e-mail: an agent's reply (service and admin reply box)
and an automatic answer go to the ticket's own address with a link to the help page."""

import logging
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from support import services
from support.ml.thresholds import NEVER
from support.models import Message
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import model_activate
from tests.support.test_help_desk import LIST, _change_form_data

pytestmark = pytest.mark.django_db


def _quiet(triager: Any) -> None:
    triager.thresholds_ = dict.fromkeys(triager.thresholds_, NEVER)  # no automatic answer
    model_activate(triager)


def test_agent_reply_is_mailed_to_the_ticket_address(
    active_triager,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _quiet(active_triager)
    ticket = services.ticket_create(
        body="how long does delivery take to Spain?", subject="Delivery", email="ann@example.com"
    )
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_send(
            ticket_id=ticket.pk, agent_id=None, body="Three to five days, Ann & co."
        )
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ann@example.com"]
    assert sent.subject == f"Re: Delivery [#{ticket.pk}]"
    assert "Three to five days, Ann & co." in sent.body  # plain text, not HTML-escaped
    assert f"{settings.SITE_URL}/help/" in sent.body


def test_admin_reply_box_mails_the_customer_account_address(
    active_triager,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _quiet(active_triager)
    customer = CustomerFactory()
    ticket = services.ticket_create(
        body="How do I reset my password? I forgot it", customer_id=customer.pk
    )
    agent = Client()
    agent.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = _change_form_data(
        agent, ticket, _reply_body="I have sent you a fresh reset link.", _send_reply="1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert agent.post(f"{LIST}{ticket.pk}/change/", data).status_code == 302
    assert [m.to for m in mail.outbox] == [[customer.user.email]]
    assert "I have sent you a fresh reset link." in mail.outbox[0].body


def test_automatic_answer_is_mailed_but_not_for_an_import(
    active_triager,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            body="I forgot my password, how do I reset my password?", email="a@b.io"
        )
    assert ticket.auto_replied
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@b.io"]
    bot = ticket.messages.get(author=Message.Author.BOT)
    assert bot.body.strip()[:40] in mail.outbox[0].body

    csv = "external_id,email,body\n9,old@b.io,I forgot my password, how do I reset my password?\n"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tickets_import(content=csv.encode(), fmt="csv")["created"] == 1
    assert len(mail.outbox) == 1  # a back-office import mails nobody


def test_failing_mail_server_keeps_the_reply_and_logs_without_the_address(
    active_triager,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _quiet(active_triager)
    ticket = services.ticket_create(body="where is my parcel?", email="ann@example.com")

    def refuse(*args: object, **kwargs: object) -> int:
        raise ConnectionRefusedError("refused ann@example.com")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="On its way.")
    assert ticket.messages.filter(author=Message.Author.AGENT).exists()
    assert f"ticket {ticket.pk}: reply e-mail not sent (ConnectionRefusedError)" in caplog.text
    assert "ann@example.com" not in caplog.text
