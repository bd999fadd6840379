"""What the store itself writes to a customer (the automatic answer's footer, the reply mail's
own lines, "an agent will take over") is in the ticket's language, English otherwise."""

from typing import Any

import pytest
from django.core import mail

from support import selectors, services
from support.models import HelpArticle, Message, Ticket
from tests.support.factories import model_activate

pytestmark = pytest.mark.django_db

EN_FOOTER = 'If this does not answer your question, just reply or press "Talk to a person"'
FR_FOOTER = "Si cela ne répond pas à votre question"
FR_REPLY = (
    "Pour réinitialiser votre mot de passe, ouvrez la page de connexion et cliquez sur "
    "« Mot de passe oublié ». Vous recevrez un lien par e-mail."
)


def _french_past_reply_only(triager: Any) -> None:
    """The password intent answered from a solved French ticket, not from an English article."""
    triager.thresholds_ = dict.fromkeys(triager.thresholds_, 0.0)
    model_activate(triager)
    HelpArticle.objects.filter(intent="recover_password").update(is_published=False)
    solved = services.ticket_create(
        body="J'ai oublié mon mot de passe, comment le réinitialiser ?", allow_auto=False
    )
    services.ticket_reply_send(ticket_id=solved.pk, agent_id=None, body=FR_REPLY, solve=True)
    selectors.answer_index_clear()


def test_a_french_ticket_answered_automatically_gets_french_fixed_text(
    active_triager,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _french_past_reply_only(active_triager)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            body="Bonjour, j'ai oublié mon mot de passe. Comment puis-je le réinitialiser ?",
            email="claire@example.com",
        )
    assert (ticket.language, ticket.intent, ticket.auto_replied) == ("fr", "recover_password", True)
    bot = ticket.messages.get(author=Message.Author.BOT)
    assert bot.body.startswith(FR_REPLY)
    assert FR_FOOTER in bot.body and "« Talk to a person »" in bot.body
    assert EN_FOOTER not in bot.body

    body = mail.outbox[-1].body
    assert "Bonjour," in body and "Voici une réponse à votre demande" in body
    assert "Pour répondre, rendez-vous sur notre page d'aide" in body
    for english in ("Hello,", "Here is an answer", "To answer, reply", "customer service"):
        assert english not in body

    ticket = services.ticket_human_request(ticket_id=ticket.pk, customer_id=None)
    last = ticket.messages.filter(author=Message.Author.BOT).order_by("-pk").first()
    assert last is not None and last.body.startswith("Merci, un conseiller prend le relais")


def test_an_english_ticket_keeps_the_english_fixed_text(
    active_triager,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            body="I forgot my password, how do I reset my password?", email="a@b.io"
        )
    assert ticket.language == "en" and ticket.auto_replied
    bot = ticket.messages.get(author=Message.Author.BOT)
    assert bot.body.endswith(
        'If this does not answer your question, just reply or press "Talk to a person" '
        "and one of our agents will take over."
    )
    assert FR_FOOTER not in bot.body
    body = mail.outbox[-1].body
    assert body.startswith("Hello,") and "Here is an answer to your request" in body


@pytest.mark.parametrize("language", ["", "und", "pl"])
def test_a_language_the_store_has_no_text_for_gets_english(language: str) -> None:
    ticket = Ticket.objects.create(subject="x", language=language, contact_email="a@b.io")
    message = Message.objects.create(ticket=ticket, author=Message.Author.BOT, body="Answer.")
    mail.outbox = []
    assert services.ticket_reply_email_send(message_id=message.pk)
    assert mail.outbox[0].body.startswith("Hello,")
    assert "Here is an answer to your request" in mail.outbox[0].body
