"""Customer satisfaction: a solved ticket's e-mail asks "How did we do?" in the ticket's
language; the link opens a page (nothing recorded) and sending it records the rating; a bad
rating of an automatic answer puts the ticket back in front of a person; the merchant reads
CSAT in the admin and the shopper can rate over the API."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from support import facade, selectors, services
from support.models import Message, Queue, SatisfactionRating, Ticket
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

RATE_URL = re.compile(re.escape(settings.SITE_URL) + r"(/help/rate/[^/\s]+/)\?score=(good|bad)")


def _ticket(*, language: str = "en", **fields: Any) -> Ticket:
    ticket = services.ticket_create(
        body="My parcel has not arrived yet, where is it?", subject="Parcel", email="ann@ex.io"
    )
    Ticket.objects.filter(pk=ticket.pk).update(language=language, **fields)
    ticket.refresh_from_db()
    return ticket


def _links(body: str) -> dict[str, str]:
    return {score: path for path, score in RATE_URL.findall(body)}


def _solved_by_agent(ticket: Ticket, captured: Any, agent_id: int | None = None) -> str:
    with captured(execute=True):
        services.ticket_reply_send(
            ticket_id=ticket.pk, agent_id=agent_id, body="It arrives tomorrow.", solve=True
        )
    return mail.outbox[-1].body


def test_french_solved_mail_asks_in_french_and_the_link_shows_a_form_that_records_nothing(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    ticket = _ticket(language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="Nous vérifions.")
    assert _links(mail.outbox[-1].body) == {}  # a reply that does not solve asks nothing

    body = _solved_by_agent(ticket, django_capture_on_commit_callbacks)
    assert "Comment avons-nous fait ?" in body and "How did we do?" not in body
    links = _links(body)
    assert set(links) == {"good", "bad"}

    page = Client().get(links["bad"] + "?score=bad")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Évaluez notre aide" in html and "Mal, je ne suis pas satisfait" in html
    assert 'value="bad" checked' in html and 'value="good" required>' in html
    assert SatisfactionRating.objects.count() == 0  # a mail scanner's GET records nothing

    sent = Client().post(links["bad"], {"score": "good", "comment": "Rapide, merci"})
    assert sent.status_code == 200
    assert "Merci, votre évaluation a été enregistrée." in sent.content.decode()
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment, rating.automatic) == ("good", "Rapide, merci", False)


def test_marking_solved_mails_the_rating_links_once_in_english_for_other_languages(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    ticket = _ticket(language="ja")  # not one of the store's languages: English
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_solve(ticket_id=ticket.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@ex.io"]
    assert 'Your request "Parcel" is now solved.' in mail.outbox[0].body
    assert "How did we do?" in mail.outbox[0].body and set(_links(mail.outbox[0].body)) == {
        "good",
        "bad",
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_solve(ticket_id=ticket.pk)  # already solved: no second mail
    assert len(mail.outbox) == 1


def test_rating_again_within_seven_days_overwrites_later_it_is_refused(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    ticket = _ticket()
    link = _links(_solved_by_agent(ticket, django_capture_on_commit_callbacks))["good"]
    client = Client()
    assert client.post(link, {"score": "good"}).status_code == 200
    assert client.post(link, {"score": "bad", "comment": "Still no parcel"}).status_code == 200
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.comment) == ("bad", "Still no parcel")
    assert 'value="bad" checked' in client.get(link).content.decode()  # the rating so far

    SatisfactionRating.objects.update(created_at=timezone.now() - timedelta(days=8))
    refused = client.post(link, {"score": "good"})
    assert refused.status_code == 410
    assert "can no longer be changed" in refused.content.decode()
    assert SatisfactionRating.objects.get().score == "bad"
    assert "can no longer be changed" in client.get(link + "?score=good").content.decode()


def test_a_forged_or_garbled_link_or_an_unsolved_ticket_is_a_404(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    solved = _ticket()
    link = _links(_solved_by_agent(solved, django_capture_on_commit_callbacks))["good"]
    open_ticket = _ticket()
    token = selectors.satisfaction_token(ticket_id=open_ticket.pk)
    forged = link.replace(f"/rate/{solved.pk}:", f"/rate/{open_ticket.pk}:")
    client = Client()
    for url in (forged, "/help/rate/garbage/", f"/help/rate/{token}/", link[:-4] + "xyz/"):
        assert client.get(url + "?score=good").status_code == 404, url
        assert client.post(url, {"score": "good"}).status_code == 404, url
    assert SatisfactionRating.objects.count() == 0


def test_bad_rating_of_an_automatic_answer_reopens_it_for_a_person_with_the_comment_as_note(
    active_triager,
    admin_client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            body="I forgot my password, how do I reset my password?", customer_id=customer.pk
        )
    assert ticket.auto_replied
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_solve(ticket_id=ticket.pk)  # the automatic answer closed it
    link = _links(mail.outbox[-1].body)["bad"]

    page = Client().post(link, {"score": "bad", "comment": "The reset link never came"})
    assert "a person from our team will look at your request" in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.TRIAGED and ticket.wants_human
    assert ticket.queue == Queue.objects.get(slug="escalations")
    note = ticket.messages.get(author=Message.Author.NOTE)
    assert "The reset link never came" in note.body
    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert rating.automatic and rating.queue is not None and rating.queue.slug == "account"
    assert facade.auto_answer_satisfaction() == facade.AutoAnswerSatisfaction(
        days=30, good=0, bad=1, csat=0.0
    )
    # the shopper never sees the agents' note
    shopper = Client()
    shopper.force_login(customer.user)
    mine = shopper.get("/api/v1/support/tickets/mine/").json()["results"][0]
    assert [m["author"] for m in mine["messages"]] == ["customer", "bot"]
    assert mine["rating"] == "bad"
    assert "never came" not in str(mine)
    # the agent sees the rating and the note on the ticket page
    page_html = admin_client.get(f"/admin/support/ticket/{ticket.pk}/change/").content.decode()
    assert "Bad for the automatic answer" in page_html and "Internal note" in page_html


def _rated(queue: Queue, *, automatic: bool, score: str | None, agent: Any = None) -> Ticket:
    ticket = Ticket.objects.create(
        subject="q",
        status=Ticket.Status.SOLVED,
        queue=queue,
        intent="track_order",
        auto_replied=automatic,
        solved_at=timezone.now() - timedelta(days=1),
        assignee=agent,
    )
    Message.objects.create(ticket=ticket, author=Message.Author.CUSTOMER, body="where?")
    if not automatic:
        Message.objects.create(ticket=ticket, author=Message.Author.AGENT, agent=agent, body="ok")
    if score is not None:
        services.ticket_satisfaction_rate(ticket_id=ticket.pk, score=score, comment=f"{score}!")
    return ticket


def test_report_gives_csat_and_response_rate_by_queue_and_automatic_or_agent(
    admin_client,  # type: ignore[no-untyped-def]
) -> None:
    orders, shipping = Queue.objects.get(slug="orders"), Queue.objects.get(slug="shipping")
    agent = UserFactory(is_staff=True, username="maria")
    _rated(orders, automatic=False, score="good", agent=agent)
    bad = _rated(orders, automatic=False, score="bad", agent=agent)
    _rated(orders, automatic=False, score=None)
    _rated(shipping, automatic=True, score="good")
    _rated(shipping, automatic=True, score=None)
    _rated(shipping, automatic=False, score="good")
    old = _rated(orders, automatic=False, score="bad")  # solved 40 days ago: not in the report
    Ticket.objects.filter(pk=old.pk).update(solved_at=timezone.now() - timedelta(days=40))

    report = selectors.satisfaction_report(days=30)
    o = report["overall"]
    assert (o["good"], o["bad"], o["solved"]) == (3, 1, 6)
    assert o["csat"] == 0.75 and o["response_rate"] == pytest.approx(4 / 6)
    queues = {r["label"]: (r["good"], r["bad"], r["solved"], r["csat"]) for r in report["by_queue"]}
    assert queues == {"Orders": (1, 1, 3, 0.5), "Shipping": (2, 0, 3, 1.0)}
    how = {r["label"]: (r["ratings"], r["solved"], r["csat"]) for r in report["by_how"]}
    assert how == {"Agent": (3, 4, pytest.approx(2 / 3)), "Automatic answer": (1, 2, 1.0)}
    assert [r.ticket_id for r in report["bad"]] == [old.pk, bad.pk]  # rated in the last 30 days

    html = admin_client.get("/admin/support/satisfactionrating/").content.decode()
    assert "75% good" in html and "4 of 6 solved tickets rated (67% response rate)" in html
    assert f'href="/admin/support/ticket/{bad.pk}/change/"' in html and "bad!" in html
    assert "maria" in html
    queue_list = admin_client.get("/admin/support/ticket/").content.decode()
    assert "Customer satisfaction: 75% good of 4 ratings" in queue_list


@pytest.mark.parametrize("tickets", [4, 12])
def test_report_runs_the_same_aggregate_queries_however_many_tickets(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
    tickets: int,
) -> None:
    orders = Queue.objects.get(slug="orders")
    for n in range(tickets):
        _rated(orders, automatic=n % 2 == 0, score=("good", "bad", None, "good")[n % 4])
    # overall, automatic/agent, queue, intent: ratings and solved tickets each; bad list
    with django_assert_num_queries(9):
        report = selectors.satisfaction_report(days=30)
    assert report["overall"]["ratings"] == tickets * 3 // 4


def test_api_rates_own_solved_ticket_with_field_messages_and_404_for_others(
    shopper, shopper_client, api_client
) -> None:  # type: ignore[no-untyped-def]
    mine = _ticket(customer_id=shopper.pk)
    other = _ticket(customer_id=CustomerFactory().pk, status=Ticket.Status.SOLVED)
    url = f"/api/v1/support/tickets/{mine.pk}/rating/"

    not_solved = shopper_client.post(url, {"score": "good"}, format="json")
    assert not_solved.status_code == 400 and "not solved yet" in not_solved.json()["score"][0]
    services.ticket_solve(ticket_id=mine.pk)

    wrong = shopper_client.post(url, {"score": "meh", "comment": "x" * 2001}, format="json")
    assert wrong.status_code == 400
    body = wrong.json()
    assert body["code"] == "invalid" and body["detail"]
    assert body["score"] == ['Choose "good" or "bad".'] and "2000" in body["comment"][0]
    assert shopper_client.post(url, {}, format="json").json()["score"]

    first = shopper_client.post(url, {"score": "good"}, format="json")
    assert first.status_code == 201 and first.json()["score"] == "good"
    again = shopper_client.post(url, {"score": "bad", "comment": "slow"}, format="json")
    assert again.status_code == 200 and again.json()["comment"] == "slow"
    assert SatisfactionRating.objects.get(ticket=mine).score == "bad"

    Ticket.objects.filter(pk=other.pk).update(solved_at=timezone.now())
    theirs = shopper_client.post(
        f"/api/v1/support/tickets/{other.pk}/rating/", {"score": "bad"}, format="json"
    )
    assert theirs.status_code == 404
    assert api_client.post(url, {"score": "good"}, format="json").status_code in (401, 403)
    assert not SatisfactionRating.objects.filter(ticket=other).exists()
