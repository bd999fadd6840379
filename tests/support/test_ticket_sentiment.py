"""Ticket sentiment through the public path: a shopper's calm question is stored as neutral
and stays low priority, an upset one is negative and raised; the agent is told why."""

from __future__ import annotations

import pytest
from django.test import Client

from support import selectors
from support.models import Priority, Ticket
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/support/tickets/"


def _post(api_client, body: str) -> Ticket:  # type: ignore[no-untyped-def]
    r = api_client.post(URL, {"body": body, "email": "a@b.io"}, format="json")
    assert r.status_code == 201
    return Ticket.objects.get(pk=r.json()["id"])


@pytest.mark.parametrize(
    "body",
    [
        "can I still add a second mug to my order",
        "Hello, do you deliver to Austria on Saturdays?",
        "I would like to swap the blue mug for the green one please",
    ],
)
def test_a_calm_question_is_stored_neutral_and_not_bumped(api_client, active_triager, body) -> None:  # type: ignore[no-untyped-def]
    ticket = _post(api_client, body)
    assert ticket.triage_source == "model"
    assert ticket.sentiment == "neutral"
    assert ticket.priority == Priority.LOW and not ticket.escalated
    lines = selectors.ticket_triage_explanation(ticket=ticket)
    assert "Sentiment neutral: a plain question or request with no opinion or upset words." in lines


def test_an_upset_customer_is_negative_raised_and_the_agent_sees_why(  # type: ignore[no-untyped-def]
    api_client, active_triager
) -> None:
    ticket = _post(api_client, "this is the third time you've sent me a broken mug, I'm furious")
    assert ticket.sentiment == "negative" and ticket.sentiment_confidence >= 0.5
    assert ticket.priority < Priority.LOW  # negative wording raises it
    agent = Client()
    agent.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = agent.get(f"/admin/support/ticket/{ticket.pk}/change/").content.decode()
    assert "Sentiment negative: the classifier, from " in html
    assert "&#x27;furious&#x27;" in html and "negative wording raises the priority" in html


def test_a_thank_you_is_positive(api_client, active_triager) -> None:  # type: ignore[no-untyped-def]
    ticket = _post(api_client, "Thank you so much, the mug arrived today and it is lovely!")
    assert ticket.sentiment == "positive"
    lines = selectors.ticket_triage_explanation(ticket=ticket)
    assert any(line.startswith("Sentiment positive: the classifier, from ") for line in lines)


def test_without_a_model_the_explanation_does_not_invent_an_opinion(api_client) -> None:  # type: ignore[no-untyped-def]
    ticket = _post(api_client, "can I still add a second mug to my order")
    assert ticket.triage_source == "fallback" and ticket.sentiment == "neutral"
    lines = selectors.ticket_triage_explanation(ticket=ticket)
    assert "Sentiment neutral: no trained model reads opinions." in lines
