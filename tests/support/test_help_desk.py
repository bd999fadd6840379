"""The help desk as agents and shoppers use it: the agent queue in admin (open tickets first,
filters, first-response age, why a ticket was triaged so), replying and correcting from the
ticket page, and a shopper's follow-ups (reply, ask for a person, also as a guest)."""

import re
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from support import selectors, services
from support.admin import duration_words
from support.models import HelpArticle, Message, Priority, Ticket, TriageFeedback
from tests.admin_support import change_form_data
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import model_activate

pytestmark = pytest.mark.django_db
LIST = "/admin/support/ticket/"
API = "/api/v1/support/tickets/"


@pytest.fixture
def agent() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _change_form_data(client: Client, ticket: Ticket, **changes: Any) -> dict[str, Any]:
    return change_form_data(client, f"{LIST}{ticket.pk}/change/", **changes)


def _ticket(body: str = "How do I reset my password? I forgot it", **kw: Any) -> Ticket:
    return services.ticket_create(body=body, email="a@b.io", **kw)


def test_agent_queue_opens_on_open_tickets_not_every_solved_one(agent) -> None:  # type: ignore[no-untyped-def]
    open_ticket = _ticket(subject="Still open")
    solved = _ticket(subject="Long solved")
    services.ticket_solve(ticket_id=solved.pk)
    html = agent.get(LIST).content.decode()
    assert "Still open" in html and "Long solved" not in html
    assert "Open (not solved)" in html
    assert "Long solved" in agent.get(LIST, {"state": "all"}).content.decode()
    solved_only = agent.get(LIST, {"state": "solved"}).content.decode()
    assert "Long solved" in solved_only and "Still open" not in solved_only
    assert open_ticket.pk  # the dashboard's "Open tickets" link lands on this same list


def test_agent_filters_by_sentiment_and_asking_for_a_person(agent) -> None:  # type: ignore[no-untyped-def]
    calm = _ticket(subject="Calm one")
    human = _ticket(subject="Wants a person")
    services.ticket_human_request(ticket_id=human.pk, customer_id=None)
    html = agent.get(LIST, {"wants_human__exact": "1"}).content.decode()
    assert "Wants a person" in html and "Calm one" not in html
    Ticket.objects.filter(pk=calm.pk).update(sentiment="negative")
    html = agent.get(LIST, {"sentiment": "negative"}).content.decode()
    assert "Calm one" in html and "Wants a person" not in html


def test_agent_queue_shows_how_long_a_ticket_waits_for_a_first_response(agent) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(subject="Waiting one")
    html = agent.get(LIST).content.decode()
    assert re.search(r"waiting \d+ s", html)
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="Here you go.")
    assert "after " in agent.get(LIST).content.decode()


def test_durations_read_as_a_help_desk_says_them() -> None:
    assert duration_words(None) == "n/a"
    assert duration_words(42) == "42 s"
    assert duration_words(25_581) == "7 h 6 min"
    assert duration_words(3 * 86_400 + 7200) == "3 d 2 h"


def test_agent_writes_an_own_reply_and_solves_from_the_ticket_page(agent) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket()
    page = agent.get(f"{LIST}{ticket.pk}/change/").content.decode()
    assert 'name="_reply_body"' in page and ticket.suggested_reply in page  # pre-filled
    data = _change_form_data(
        agent,
        ticket,
        _reply_body="Hi Ann, I have sent you a fresh reset link just now.",
        _send_reply_solve="1",
    )
    r = agent.post(f"{LIST}{ticket.pk}/change/", data)
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.solved_at and ticket.first_response_at
    reply = ticket.messages.get(author=Message.Author.AGENT)
    assert reply.body.startswith("Hi Ann") and reply.agent_id is not None
    assert ticket.feedback.get().kind == TriageFeedback.Kind.REPLY_REJECTED
    follow = agent.get(r["Location"]).content.decode()
    assert "Reply sent and the ticket marked solved." in follow


def test_sending_the_prefilled_suggestion_counts_as_accepted(agent) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket()
    data = _change_form_data(agent, ticket, _reply_body=ticket.suggested_reply, _send_reply="1")
    assert agent.post(f"{LIST}{ticket.pk}/change/", data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.feedback.get().kind == TriageFeedback.Kind.REPLY_ACCEPTED


def test_intent_correction_in_admin_is_a_pick_list_a_label_and_moves_the_suggestion(agent) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(body="Please close my account and remove my data, I forgot the password")
    wrong = ticket.intent
    page = agent.get(f"{LIST}{ticket.pk}/change/").content.decode()
    assert '<select name="intent"' in page
    new = "delete_account" if wrong != "delete_account" else "recover_password"
    r = agent.post(f"{LIST}{ticket.pk}/change/", _change_form_data(agent, ticket, intent=new))
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.intent == new
    fb = ticket.feedback.get(kind=TriageFeedback.Kind.INTENT)
    assert (fb.old_value, fb.new_value) == (wrong, new)
    assert (ticket.ml_text, new) in selectors.labelled_tickets()  # next training run's label
    assert ticket.suggested_article is not None and ticket.suggested_article.intent == new
    assert ticket.suggested_reply == HelpArticle.objects.get(pk=ticket.suggested_article.pk).body


def test_status_solved_from_the_form_stamps_the_solved_time(agent) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket()
    data = _change_form_data(agent, ticket, status=Ticket.Status.SOLVED)
    assert agent.post(f"{LIST}{ticket.pk}/change/", data).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.solved_at is not None


def test_solving_from_the_form_mails_the_shopper_the_rating_links(
    agent, mailoutbox, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket()
    data = _change_form_data(agent, ticket, status=Ticket.Status.SOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        assert agent.post(f"{LIST}{ticket.pk}/change/", data).status_code == 302
    solved = [m for m in mailoutbox if m.to == ["a@b.io"] and "/help/rate/" in m.body]
    assert len(solved) == 1, [m.subject for m in mailoutbox]


def test_bulk_actions_say_what_they_did_and_leave_solved_tickets_alone(agent) -> None:  # type: ignore[no-untyped-def]
    a, b = _ticket(), _ticket()
    services.ticket_solve(ticket_id=b.pk)
    r = agent.post(
        LIST + "?state=all",
        {"action": "send_suggested_reply", "_selected_action": [a.pk, b.pk]},
        follow=True,
    )
    assert "Sent 1 suggested replies (1 skipped: solved or without a suggestion)." in (
        r.content.decode()
    )
    b.refresh_from_db()
    assert b.status == Ticket.Status.SOLVED and not b.messages.filter(author="agent").exists()
    r = agent.post(LIST, {"action": "mark_solved", "_selected_action": [a.pk]}, follow=True)
    assert "Marked 1 tickets solved." in r.content.decode()


def test_ticket_page_explains_the_triage(agent, active_triager) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(body="URGENT my card was stolen and someone charged me twice!! Furious")
    html = agent.get(f"{LIST}{ticket.pk}/change/").content.decode()
    assert f"Intent {ticket.intent}: " in html and "% confident (model " in html
    assert "&#x27;stolen&#x27;" in html  # the wording that made it urgent
    if ticket.escalated:
        assert "escalated: negative and urgent wording" in html
    assert "Not answered automatically: " in html


def test_explanation_names_the_threshold_a_confident_enough_intent_missed(active_triager) -> None:  # type: ignore[no-untyped-def]
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, 0.999)
    model_activate(active_triager)
    ticket = _ticket(body="I forgot my password, how do I reset my password?")
    lines = selectors.ticket_triage_explanation(ticket=ticket)
    assert lines[-1].startswith("Not answered automatically")
    assert "confidence below the 100% needed for recover_password" in lines[-1]


def test_no_english_automatic_answer_to_a_question_in_another_language(active_triager) -> None:  # type: ignore[no-untyped-def]
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, 0.0)
    model_activate(active_triager)
    english = _ticket(body="I forgot my password, how do I reset my password?")
    assert english.auto_replied
    german = _ticket(
        body="Ich habe mein Passwort vergessen. Wie kann ich mein Passwort zurücksetzen?"
    )
    assert german.language == "de" and german.suggested_article.language == "en"
    assert not german.auto_replied and german.status == Ticket.Status.TRIAGED
    assert not german.messages.filter(author=Message.Author.BOT).exists()
    assert "the article is in en, the customer wrote in de" in " ".join(
        selectors.ticket_triage_explanation(ticket=german)
    )


# --- shopper follow-ups ---------------------------------------------------------------------


def test_a_guest_can_ask_for_a_person_on_the_ticket_they_just_opened() -> None:
    guest = APIClient()
    created = guest.post(API, {"body": "where is my parcel", "email": "g@x.io"}, format="json")
    ticket_id = created.json()["id"]
    r = guest.post(f"{API}{ticket_id}/human/")
    assert r.status_code == 200 and r.json()["wants_human"]
    stranger = APIClient()
    assert stranger.post(f"{API}{ticket_id}/human/").status_code == 404


def test_a_customer_replies_on_their_ticket_and_it_goes_back_to_the_agents(  # type: ignore[no-untyped-def]
    shopper_client, shopper
) -> None:
    ticket_id = shopper_client.post(API, {"body": "Can I add a mug to my order?"}).json()["id"]
    services.ticket_reply_send(ticket_id=ticket_id, agent_id=None, body="Which colour?", solve=True)
    r = shopper_client.post(f"{API}{ticket_id}/messages/", {"body": "Blue, please."})
    assert r.status_code == 201 and r.json()["author"] == "customer"
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.status == Ticket.Status.TRIAGED  # reopened: back in the agents' open list
    mine = shopper_client.get(API + "mine/").json()["results"][0]
    assert [m["author"] for m in mine["messages"]] == ["customer", "agent", "customer"]
    assert shopper_client.post(f"{API}{ticket_id}/messages/", {"body": ""}).status_code == 400
    other = APIClient()
    other.force_authenticate(CustomerFactory().user)
    assert other.post(f"{API}{ticket_id}/messages/", {"body": "hi"}).status_code == 404
    assert APIClient().post(f"{API}{ticket_id}/messages/", {"body": "hi"}).status_code == 404


def test_dashboard_panel_shows_who_waits_for_a_first_reply_and_what_triages() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from support import facade

    waiting = _ticket()
    Ticket.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(hours=5))
    answered = _ticket()
    services.ticket_reply_send(ticket_id=answered.pk, agent_id=None, body="Done.")
    items = facade.dashboard_panel()["items"]
    assert items["Open tickets"] == 2 and items["Waiting for a first reply"] == 1
    assert items["Longest wait for a first reply"].startswith("5 h")
    assert items["Triage"].startswith("fallback")


def test_untriaged_tickets_can_be_triaged_again_from_the_list(agent) -> None:  # type: ignore[no-untyped-def]
    # the demo's open tickets (and raw imports) arrive as "new", with no intent and no queue
    raw = Ticket.objects.create(
        subject="Password", ml_text="I forgot my password, how can I reset it?"
    )
    moved = _ticket()
    services.ticket_triage_correct(ticket_id=moved.pk, agent_id=None, queue_slug="general")
    r = agent.post(
        LIST, {"action": "triage_again", "_selected_action": [raw.pk, moved.pk]}, follow=True
    )
    assert "Triaged 2 open tickets again." in r.content.decode()
    raw.refresh_from_db()
    assert raw.status == Ticket.Status.TRIAGED and raw.intent == "recover_password"
    assert raw.queue is not None and raw.queue.slug == "account" and raw.suggested_reply
    assert not raw.messages.exists()  # never an automatic answer from a re-triage
    moved.refresh_from_db()
    assert moved.queue.slug == "general"  # the agent's correction stands


def test_unsure_sentiment_says_so_in_the_queue(agent) -> None:  # type: ignore[no-untyped-def]
    ticket = _ticket(subject="Unsure one")
    Ticket.objects.filter(pk=ticket.pk).update(sentiment="negative", sentiment_confidence=0.38)
    assert "negative (38% unsure)" in agent.get(LIST).content.decode()


def test_agents_take_tickets_and_see_their_own(agent) -> None:  # type: ignore[no-untyped-def]
    mine, other = _ticket(subject="For me"), _ticket(subject="For nobody")
    r = agent.post(LIST, {"action": "assign_to_me", "_selected_action": [mine.pk]}, follow=True)
    assert "Assigned 1 tickets to you." in r.content.decode()
    html = agent.get(LIST, {"assigned": "me"}).content.decode()
    assert "For me" in html and "For nobody" not in html
    html = agent.get(LIST, {"assigned": "none"}).content.decode()
    assert "For nobody" in html and "For me" not in html
    shopper_user = CustomerFactory().user
    page = agent.get(f"{LIST}{other.pk}/change/")
    choices = page.context["adminform"].form.fields["assignee"].queryset
    assert shopper_user not in choices and choices.filter(is_staff=True).count() == choices.count()


def test_the_first_agent_to_reply_takes_the_ticket() -> None:
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)
    ticket = _ticket()
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=first.pk, body="On it.")
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=second.pk, body="Done.")
    ticket.refresh_from_db()
    assert ticket.assignee == first


def test_asking_for_a_person_in_the_first_message_ranks_as_high_as_the_button() -> None:
    asked = _ticket(body="Please let me talk to a real person about my account")
    assert asked.wants_human and asked.priority <= Priority.HIGH
    later = _ticket(body="Please tell me about my account")
    later = services.ticket_human_request(ticket_id=later.pk, customer_id=None)
    assert later.priority <= Priority.HIGH
