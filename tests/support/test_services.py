import logging

import pytest
from django.core.exceptions import ValidationError

from mlops import facade as mlops
from support import facade, selectors, services
from support.ml.thresholds import NEVER
from support.models import HelpArticle, Message, Ticket, TriageFeedback
from tests.support.factories import model_activate, order_create

pytestmark = pytest.mark.django_db

PII_TEXT = (
    "Hi, I forgot my password. Mail me at ann.smith@example.com or call +44 20 7946 0958, "
    "card 4111 1111 1111 1111, I live at 12 Baker Street"
)
PII_BITS = ["ann.smith@example.com", "7946", "4111", "Baker Street"]


def test_help_articles_cover_every_intent() -> None:
    from support.ml.triage import INTENTS

    assert set(HelpArticle.objects.values_list("intent", flat=True)) == set(INTENTS)


def test_without_model_ticket_is_routed_by_fallback_and_not_auto_answered() -> None:
    ticket = services.ticket_create(body="How do I reset my password? I forgot it", email="a@b.io")
    assert ticket.triage_source == "fallback"
    assert ticket.intent == "recover_password"
    assert ticket.queue.slug == "account"
    assert not ticket.auto_replied
    assert ticket.suggested_reply
    assert list(ticket.messages.values_list("author", flat=True)) == ["customer"]
    assert facade.ticket_triage(text="hello").source == "fallback"


def test_train_on_empty_store_uses_seed_data_and_activates() -> None:
    summary = facade.train()
    assert summary["n_store"] == 0 and summary["activated"]
    assert summary["validation_macro_f1"] > 0.8
    assert mlops.model_active_get(capability="support") is not None
    ticket = services.ticket_create(
        body="I forgot my password, how can I reset it?", email="a@b.io"
    )
    assert ticket.triage_source == "model"
    assert ticket.intent == "recover_password"


def test_confident_ticket_is_auto_answered_and_offers_a_person(active_triager) -> None:  # type: ignore[no-untyped-def]
    ticket = services.ticket_create(
        body="I forgot my password, how do I reset my password?", email="a@b.io"
    )
    assert ticket.auto_replied
    assert ticket.status == Ticket.Status.WAITING
    bot = ticket.messages.get(author=Message.Author.BOT)
    assert "agents will take over" in bot.body
    ticket = services.ticket_human_request(ticket_id=ticket.pk, customer_id=None)
    assert ticket.wants_human and ticket.status == Ticket.Status.TRIAGED


def test_low_confidence_never_auto_replies(active_triager) -> None:  # type: ignore[no-untyped-def]
    # the same confident text, but every intent now needs more confidence than it has
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, 0.999)
    model_activate(active_triager)
    for body in ["I forgot my password, how do I reset my password?", "qwxz blorp fnord"]:
        ticket = services.ticket_create(body=body, email="a@b.io")
        assert ticket.intent_confidence < 0.999
        assert not ticket.auto_replied
        assert not ticket.messages.filter(author=Message.Author.BOT).exists()


def test_asking_for_a_person_is_never_auto_answered(active_triager) -> None:  # type: ignore[no-untyped-def]
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, 0.0)
    model_activate(active_triager)
    ticket = services.ticket_create(
        body="reset my password, or let me talk to a human", email="a@b.io"
    )
    assert ticket.wants_human and not ticket.auto_replied


def test_negative_urgent_ticket_is_escalated(active_triager) -> None:  # type: ignore[no-untyped-def]
    ticket = services.ticket_create(
        body="URGENT!!! I was charged twice and the product arrived broken, terrible service",
        email="a@b.io",
    )
    assert ticket.priority <= 2
    assert not ticket.auto_replied


def test_order_reply_is_filled_with_the_customers_order_facts(active_triager, shopper) -> None:  # type: ignore[no-untyped-def]
    order = order_create(customer=shopper, status="paid")
    ticket = services.ticket_create(
        body=f"Where is my order {order.number}? It has not arrived", customer_id=shopper.pk
    )
    assert ticket.order_id == order.pk
    assert order.number in ticket.suggested_reply
    assert "paid" in ticket.suggested_reply


def test_someone_elses_order_is_not_linked(active_triager, shopper) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory

    order = order_create(customer=CustomerFactory())
    ticket = services.ticket_create(
        body=f"where is my order {order.number}", customer_id=shopper.pk
    )
    assert ticket.order_id is None
    assert order.number not in ticket.suggested_reply


def test_a_guest_proves_an_order_with_its_number_and_e_mail(active_triager) -> None:  # type: ignore[no-untyped-def]
    order = order_create(customer=None, status="paid")
    body = "Where is my parcel? It has not arrived yet"
    wrong = services.ticket_create(body=body, email="someone@else.io", order_number=order.number)
    assert wrong.order_id is None
    assert order.number not in wrong.suggested_reply
    ticket = services.ticket_create(
        body=body, email="Shopper@Example.com", order_number=order.number
    )
    assert ticket.order_id == order.pk
    assert order.number in ticket.suggested_reply and "paid" in ticket.suggested_reply


def test_a_reply_without_an_order_leaves_out_the_order_facts() -> None:
    template = (
        "Order {order_number} is {order_status}. Orders ship within 2 working days. "
        "For order {order_number} the refund state is: {refund_state}. Write back any time!"
    )
    assert services.reply_fill(template=template, order=None) == (
        "Orders ship within 2 working days. Write back any time!"
    )
    for article in HelpArticle.objects.all():
        filled = services.reply_fill(template=article.body, order=None)
        assert "{" not in filled and "your order is" not in filled.lower()
        assert filled.strip(), article.title


def test_pii_never_reaches_stored_features_training_data_or_logs(active_triager, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    ticket = services.ticket_create(body=PII_TEXT, email="ann.smith@example.com")
    services.ticket_reply_send(
        ticket_id=ticket.pk, agent_id=None, body="Done. We wrote to ann.smith@example.com"
    )
    services.ticket_triage_correct(ticket_id=ticket.pk, agent_id=None, intent="edit_account")
    ticket.refresh_from_db()
    stored = [ticket.ml_text, *TriageFeedback.objects.values_list("reply_text", flat=True)]
    training = [t for t, _ in selectors.labelled_tickets()]
    logs = [r.getMessage() for r in caplog.records]
    for bit in PII_BITS:
        for text in stored + training + logs:
            assert bit not in text
    summary = facade.train(force=True)
    assert summary["n_store"] == 1
    vocab = mlops.model_active_get(capability="support").artifact.intent_model_.word_.vocabulary_
    assert not any("ann" in w.split() or "smith" in w or "baker" in w for w in vocab)


@pytest.mark.parametrize(
    "body", ["", "   ", "x" * 1_000_000, "\x00\x01\x02garbage", "\ufffd" * 50 + "abc"]
)
def test_bad_bodies_are_refused_and_nothing_is_stored(body: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.ticket_create(body=body, email="a@b.io")
    assert "body" in exc.value.message_dict
    assert Ticket.objects.count() == 0 and Message.objects.count() == 0


def test_one_click_reply_and_corrections_are_feedback_for_training(active_triager) -> None:  # type: ignore[no-untyped-def]
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, NEVER)
    model_activate(active_triager)
    ticket = services.ticket_create(body="how long does delivery take to Spain?", email="a@b.io")
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body=None, solve=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.first_response_at
    assert ticket.feedback.get().kind == TriageFeedback.Kind.REPLY_ACCEPTED
    services.ticket_triage_correct(ticket_id=ticket.pk, agent_id=None, intent="delivery_options")
    assert selectors.labelled_tickets() == [(ticket.ml_text, "delivery_options")]
    metrics = selectors.support_metrics()
    assert metrics["tickets"] == 1 and metrics["median_first_response_seconds"] is not None


def test_import_is_all_or_nothing() -> None:
    good = "external_id,email,subject,body\n1,a@b.io,Password,I forgot my password\n2,c@d.io,,Where is my parcel?\n"
    assert services.tickets_import(content=good.encode(), fmt="csv") == {"created": 2, "skipped": 0}
    assert services.tickets_import(content=good.encode(), fmt="csv") == {"created": 0, "skipped": 2}
    bad = "external_id,email,body\n3,a@b.io,fine text\n4,a@b.io,\n"
    with pytest.raises(ValidationError) as exc:
        services.tickets_import(content=bad, fmt="csv")
    assert "row 2" in str(exc.value)
    assert Ticket.objects.count() == 2
    data = '[{"body": "cancel my order please", "email": "x@y.io", "created_at": "2026-01-02T10:00:00"}]'
    assert services.tickets_import(content=data, fmt="json")["created"] == 1
