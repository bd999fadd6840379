"""One automatic-answer rule: what ticket intake did and what the agent's explanation says
always agree, for every reason that keeps a ticket from the machine."""

from __future__ import annotations

from typing import Any

import pytest

from support import selectors, services
from support.ml.auto_answer import auto_answer_decision
from support.ml.thresholds import NEVER
from support.models import Message, Ticket
from tests.support.factories import model_activate

pytestmark = pytest.mark.django_db

PASSWORD = "I forgot my password, how do I reset my password?"


def _thresholds(triager: Any, value: float, **per_intent: float) -> None:
    triager.thresholds_ = {**dict.fromkeys(triager.thresholds_, value), **per_intent}
    model_activate(triager)


def _agree(ticket: Ticket) -> tuple[str, ...]:
    """Intake's decision, re-derived from the stored ticket, is what happened and what the
    explanation prints; returns its reasons."""
    active = selectors.triager_active()
    threshold = None
    if active is not None and ticket.triage_source == "model":
        threshold = active[0].thresholds_.get(ticket.intent, NEVER)
    decision = selectors.ticket_auto_answer_decision(ticket=ticket, threshold=threshold)
    assert decision.answer == ticket.auto_replied
    assert ticket.messages.filter(author=Message.Author.BOT).exists() == ticket.auto_replied
    last = selectors.ticket_triage_explanation(ticket=ticket)[-1]
    if ticket.auto_replied:
        assert last.startswith("Answered automatically")
    else:
        assert last.startswith("Not answered automatically")
        assert decision.reasons, "a ticket kept from the machine says why"
        for reason in decision.reasons:
            assert reason in last
    return decision.reasons


def test_without_a_model_the_explanation_says_so() -> None:
    ticket = services.ticket_create(body=PASSWORD, email="a@b.io")
    assert "no trained model" in _agree(ticket)


def test_answered_ticket_and_its_explanation_agree(active_triager) -> None:  # type: ignore[no-untyped-def]
    _thresholds(active_triager, 0.0)
    ticket = services.ticket_create(body=PASSWORD, email="a@b.io")
    assert ticket.auto_replied
    assert _agree(ticket) == ()


@pytest.mark.parametrize(
    ("body", "thresholds", "reason"),
    [
        ("reset my password, or let me talk to a human", 0.0, "the customer asked for a person"),
        (
            "URGENT!!! I was charged twice and the product arrived broken, terrible service, "
            "I am furious",
            0.0,
            "negative and urgent",
        ),
        ("please delete my account and all my data", 0.0, "is always answered by a person"),
        ("where is my order? when will it arrive", 0.0, "order question without a linked order"),
        (
            "Ich habe mein Passwort vergessen. Wie kann ich mein Passwort zurücksetzen?",
            0.0,
            "the article is in en, the customer wrote in de",
        ),
        (PASSWORD, 0.999, "confidence below the 100% needed for recover_password"),
        (PASSWORD, NEVER, "recover_password is never answered automatically"),
    ],
)
def test_every_blocking_reason_is_what_intake_acted_on(  # type: ignore[no-untyped-def]
    active_triager, body: str, thresholds: float, reason: str
) -> None:
    _thresholds(active_triager, thresholds)
    ticket = services.ticket_create(body=body, email="a@b.io")
    assert not ticket.auto_replied
    assert any(reason in r for r in _agree(ticket))


def test_explanation_after_a_new_model_still_agrees_without_guessing_a_threshold(  # type: ignore[no-untyped-def]
    active_triager,
) -> None:
    _thresholds(active_triager, 0.999)
    ticket = services.ticket_create(body=PASSWORD, email="a@b.io")
    _thresholds(active_triager, 0.0)  # a newer version is active: its thresholds don't apply
    last = selectors.ticket_triage_explanation(ticket=ticket)[-1]
    assert last == "Not answered automatically."
    assert "needed for" not in last


def test_triage_and_intake_use_the_same_rule() -> None:
    base: dict[str, Any] = {
        "intent": "recover_password",
        "intent_confidence": 0.9,
        "threshold": 0.8,
        "wants_human": False,
        "escalated": False,
    }
    assert auto_answer_decision(**base).answer  # unknown store facts do not block
    assert not auto_answer_decision(**base, has_reply=False).answer
    assert auto_answer_decision(**{**base, "intent": "track_order"}, order_linked=True).answer
    blocked = auto_answer_decision(
        **{**base, "intent": "track_order", "intent_confidence": 0.5}, order_linked=False
    )
    assert blocked.reasons == (
        "order question without a linked order",
        "confidence below the 80% needed for track_order",
    )
