"""SLA policies as a help desk promises them: a due time for the first public reply and for
the solve, per priority (business hours for normal and low), moved by a priority change and
stopped while the customer has the ball; agents see what falls due first, the merchant reads
how often the promises were kept, and shoppers never see any of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from support import facade, selectors, services
from support.models import Message, Priority, Queue, Ticket
from support.sla import clock_add, clock_seconds
from tests.support.factories import model_activate

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PARCEL = "My parcel has not arrived yet, where is it?"


def _at(*args: int) -> datetime:
    """A London wall-clock time, as the merchant reads it."""
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    """Set "now" for the services, selectors and admin (they all read timezone.now())."""
    moment: list[datetime] = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])

    def set_now(when: datetime) -> None:
        moment[0] = when.astimezone(UTC)

    yield set_now


def _ticket(*, priority: int, created_at: datetime, queue: str | None = None) -> Ticket:
    ticket = services.ticket_create(body=PARCEL, email="ann@ex.io", created_at=created_at)
    fields: dict[str, Any] = {"priority": priority}
    if queue:
        fields["queue"] = Queue.objects.get(slug=queue)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    return services.ticket_sla_refresh(ticket_id=ticket.pk)


# --- due times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "first", "resolution"),
    [
        # around the clock: Friday 16:00 + 1 h / + 8 h
        (Priority.URGENT, _at(2026, 11, 27, 17), _at(2026, 11, 28, 0)),
        # around the clock: + 4 h / + 24 h, through the weekend
        (Priority.HIGH, _at(2026, 11, 27, 20), _at(2026, 11, 28, 16)),
        # business hours: Friday 16-17 then Monday; 1 and 2 business days
        (Priority.NORMAL, _at(2026, 11, 30, 16), _at(2026, 12, 1, 16)),
        # business hours: 2 and 5 business days
        (Priority.LOW, _at(2026, 12, 1, 16), _at(2026, 12, 4, 16)),
    ],
)
def test_due_times_follow_the_priority_and_skip_the_weekend_in_business_hours(
    priority: int, first: datetime, resolution: datetime
) -> None:
    ticket = _ticket(priority=priority, created_at=_at(2026, 11, 27, 16))  # a Friday

    assert ticket.first_reply_due_at == first
    assert ticket.resolution_due_at == resolution


def test_business_hours_keep_09_to_17_local_across_the_clocks_going_back() -> None:
    # Europe/London leaves summer time on Sunday 25 October 2026
    friday = _at(2026, 10, 23, 16)  # 15:00 UTC
    ticket = _ticket(priority=Priority.NORMAL, created_at=friday)
    # 1 h on Friday, 7 h on Monday: 16:00 local, now GMT (16:00 UTC, not 15:00)
    assert ticket.first_reply_due_at == datetime(2026, 10, 26, 16, tzinfo=UTC)
    monday_open = _at(2026, 10, 26, 9)
    assert clock_seconds(friday, monday_open, business=True, zone=LONDON) == 3600
    # around the clock an hour is an hour: the 25-hour Sunday is not 24 h
    saturday = _at(2026, 10, 24, 12)
    assert clock_add(saturday, 24 * 3600, business=False, zone=LONDON) == _at(2026, 10, 25, 11)
    # and in spring (29 March 2026) a business day still opens at 09:00 summer time
    assert clock_add(_at(2026, 3, 27, 17), 3600, business=True, zone=LONDON) == _at(2026, 3, 30, 10)


def test_raising_the_priority_shortens_the_due_times_and_lowering_lengthens_them(
    admin_client,  # type: ignore[no-untyped-def]
) -> None:
    ticket = _ticket(priority=Priority.NORMAL, created_at=_at(2026, 11, 27, 16))
    assert ticket.first_reply_due_at == _at(2026, 11, 30, 16)

    # the agent raises it to urgent on the ticket page
    form = {
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": str(Priority.URGENT.value),
        "queue": str(ticket.queue_id or ""),
        "assignee": "",
        "intent": ticket.intent,
        "messages-TOTAL_FORMS": "1",
        "messages-INITIAL_FORMS": "1",
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
        "messages-0-id": str(ticket.messages.get().pk),
        "messages-0-ticket": str(ticket.pk),
    }
    r = admin_client.post(f"/admin/support/ticket/{ticket.pk}/change/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.first_reply_due_at == _at(2026, 11, 27, 17)
    assert ticket.resolution_due_at == _at(2026, 11, 28, 0)

    Ticket.objects.filter(pk=ticket.pk).update(priority=Priority.LOW)
    ticket = services.ticket_sla_refresh(ticket_id=ticket.pk)
    assert ticket.first_reply_due_at == _at(2026, 12, 1, 16)


def test_asking_for_a_person_raises_the_priority_and_brings_the_due_time_forward() -> None:
    ticket = _ticket(priority=Priority.LOW, created_at=_at(2026, 11, 27, 16))
    services.ticket_human_request(ticket_id=ticket.pk, customer_id=None)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    assert ticket.first_reply_due_at == _at(2026, 11, 27, 20)


# --- first reply -----------------------------------------------------------------------------


def test_a_public_agent_reply_meets_the_first_reply_target(clock) -> None:  # type: ignore[no-untyped-def]
    clock(_at(2026, 12, 2, 10))
    ticket = _ticket(priority=Priority.URGENT, created_at=_at(2026, 12, 2, 10))
    clock(_at(2026, 12, 2, 10, 40))
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="It is on its way.")
    ticket.refresh_from_db()

    assert ticket.first_replied_at == _at(2026, 12, 2, 10, 40)
    clock(_at(2026, 12, 2, 15))  # long after the target: still met, it was answered in time
    assert not ticket.first_reply_breached(timezone.now())
    assert not Ticket.objects.filter(selectors.first_reply_breached_q(now=timezone.now()))


def test_an_internal_note_is_not_a_first_reply(clock) -> None:  # type: ignore[no-untyped-def]
    # the automatic answer solved it; the shopper rates it bad: an internal note for the agents
    clock(_at(2026, 12, 2, 10))
    ticket = _ticket(priority=Priority.URGENT, created_at=_at(2026, 12, 2, 10))
    Ticket.objects.filter(pk=ticket.pk).update(auto_replied=True)
    services.ticket_solve(ticket_id=ticket.pk, notify=False)
    clock(_at(2026, 12, 2, 10, 20))
    services.ticket_satisfaction_rate(ticket_id=ticket.pk, score="bad", comment="Not helpful")
    ticket.refresh_from_db()
    assert ticket.messages.filter(author=Message.Author.NOTE).exists()
    assert ticket.status == Ticket.Status.TRIAGED  # back to the agents

    assert ticket.first_replied_at is None
    clock(_at(2026, 12, 2, 11, 5))
    assert ticket.first_reply_breached(timezone.now())  # nobody answered the shopper in 1 h


def test_an_automatic_answer_counts_only_when_it_was_sent(active_triager) -> None:  # type: ignore[no-untyped-def]
    active_triager.thresholds_ = dict.fromkeys(active_triager.thresholds_, 0.0)
    model_activate(active_triager)
    question = "I forgot my password, how do I reset my password?"

    mailed = services.ticket_create(body=question, email="a@b.io")
    imported = services.ticket_create(body=question, email="b@b.io", notify=False)

    assert mailed.auto_replied and imported.auto_replied
    assert mailed.first_replied_at is not None  # the shopper got the answer by e-mail
    assert imported.first_replied_at is None  # back-office import: nobody was told anything


# --- waiting for the customer ------------------------------------------------------------------


def test_waiting_for_the_customer_stops_the_resolution_clock(clock) -> None:  # type: ignore[no-untyped-def]
    clock(_at(2026, 12, 2, 10))  # a Wednesday
    ticket = _ticket(priority=Priority.HIGH, created_at=_at(2026, 12, 2, 10))
    assert ticket.resolution_due_at == _at(2026, 12, 3, 10)

    clock(_at(2026, 12, 2, 11))
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="Which address?")
    clock(_at(2026, 12, 3, 15))  # past the original due time, but the customer had the ball
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert not ticket.resolution_breached(timezone.now())

    services.ticket_customer_reply(ticket_id=ticket.pk, customer_id=None, body="12 High St")
    ticket.refresh_from_db()
    # 28 h waiting: the due time moves on by as much
    assert ticket.resolution_due_at == _at(2026, 12, 4, 14)
    assert ticket.sla_paused_at is None
    assert not ticket.resolution_breached(timezone.now())


# --- agents' list --------------------------------------------------------------------------


def test_the_list_shows_due_times_in_words_and_filters_breached_or_due_soon(
    clock,  # type: ignore[no-untyped-def]
    admin_client,  # type: ignore[no-untyped-def]
) -> None:
    now = _at(2026, 12, 2, 12)
    clock(now)
    late = _ticket(priority=Priority.URGENT, created_at=now - timedelta(minutes=95))
    soon = _ticket(priority=Priority.URGENT, created_at=now - timedelta(minutes=25))
    later = _ticket(priority=Priority.HIGH, created_at=now)

    html = admin_client.get("/admin/support/ticket/").content.decode()
    rows = html.split('id="result_list"', 1)[1].split("</tbody>", 1)[0]
    assert "overdue by 35 min" in rows and "in 35 min" in rows and "in 4 h" in rows
    assert 'class="sla-red"' in rows and 'class="sla-amber"' in rows
    # the next promise to break comes first
    order = [rows.index(f"/admin/support/ticket/{t.pk}/change/") for t in (late, soon, later)]
    assert order == sorted(order)

    def listed(query: str) -> set[int]:
        page = admin_client.get(f"/admin/support/ticket/?{query}").content.decode()
        body = page.split('id="result_list"', 1)[1].split("</tbody>", 1)[0]
        return {t.pk for t in (late, soon, later) if f"/ticket/{t.pk}/change/" in body}

    assert listed("sla=attention") == {late.pk, soon.pk}
    assert listed("sla=breached") == {late.pk}
    assert listed("sla=soon") == {soon.pk}

    page = admin_client.get(f"/admin/support/ticket/{late.pk}/change/").content.decode()
    assert "First reply due Wed 02 Dec 11:25: BREACHED, overdue by 35 min." in page
    assert "Resolution due Wed 02 Dec 18:25: in 6 h 25 min." in page
    assert "first reply within 1 h, solved within 8 h (around the clock)" in page
    assert facade.dashboard_panel()["items"]["Overdue now (SLA)"] == 1


# --- report --------------------------------------------------------------------------------


def _known_set(now: datetime, extra: int = 0) -> None:
    orders, shipping = "orders", "shipping"
    # urgent, replied after 30 min and solved after 5 h: both met
    a = _ticket(priority=Priority.URGENT, created_at=now - timedelta(hours=10), queue=orders)
    Ticket.objects.filter(pk=a.pk).update(
        first_replied_at=a.created_at + timedelta(minutes=30),
        status=Ticket.Status.SOLVED,
        solved_at=a.created_at + timedelta(hours=5),
        sla_paused_at=a.created_at + timedelta(hours=5),
    )
    # urgent, replied after 2 h and still open after 10 h: both missed
    b = _ticket(priority=Priority.URGENT, created_at=now - timedelta(hours=10), queue=orders)
    Ticket.objects.filter(pk=b.pk).update(first_replied_at=b.created_at + timedelta(hours=2))
    # high, replied after 1 h, resolution still running: first met, resolution not counted
    c = _ticket(priority=Priority.HIGH, created_at=now - timedelta(hours=2), queue=shipping)
    Ticket.objects.filter(pk=c.pk).update(first_replied_at=c.created_at + timedelta(hours=1))
    # created 40 days ago: outside the report
    _ticket(priority=Priority.URGENT, created_at=now - timedelta(days=40), queue=orders)
    for _ in range(extra):  # running targets: counted as tickets, neither met nor missed
        _ticket(priority=Priority.LOW, created_at=now, queue=shipping)


def test_report_gives_met_shares_by_priority_and_queue_and_the_median_first_reply(
    clock,  # type: ignore[no-untyped-def]
    admin_client,  # type: ignore[no-untyped-def]
) -> None:
    now = _at(2026, 12, 2, 20)
    clock(now)
    _known_set(now)

    report = selectors.sla_report(days=30)
    o = report["overall"]
    assert (o["tickets"], o["first_met"], o["first_missed"]) == (3, 2, 1)
    assert (o["resolution_met"], o["resolution_missed"]) == (1, 1)
    prio = {r["label"]: (r["first_pct"], r["resolution_pct"]) for r in report["by_priority"]}
    assert prio == {"urgent": (0.5, 0.5), "high": (1.0, None)}
    queues = {r["label"]: (r["first_pct"], r["resolution_pct"]) for r in report["by_queue"]}
    assert set(queues) == {"Orders", "Shipping"}
    assert queues["Orders"] == (0.5, 0.5) and queues["Shipping"] == (1.0, None)
    assert report["median_first_reply_seconds"] == 3600  # 30 min, 1 h, 2 h

    html = admin_client.get("/admin/support/slapolicy/").content.decode()
    assert "first reply 67% met" in html and "resolution 50% met" in html
    assert "median time to first reply 1 h 0 min" in html
    assert "2 business days" in html  # the normal policy's resolution target, in words
    assert (
        "/admin/support/slapolicy/"
        in admin_client.get("/admin/support/satisfactionrating/").content.decode()
    )


@pytest.mark.parametrize("extra", [0, 6])
def test_report_runs_a_fixed_number_of_queries(
    clock,  # type: ignore[no-untyped-def]
    django_assert_num_queries,  # type: ignore[no-untyped-def]
    extra: int,
) -> None:
    now = _at(2026, 12, 2, 20)
    clock(now)
    _known_set(now, extra=extra)
    # overall, by priority, by queue, the median's row, the policies
    with django_assert_num_queries(5):
        report = selectors.sla_report(days=30)
    assert report["overall"]["tickets"] == 3 + extra


# --- API -----------------------------------------------------------------------------------

SLA_KEYS = {
    "first_reply_due_at",
    "first_replied_at",
    "resolution_due_at",
    "sla_paused",
    "first_reply_breached",
    "resolution_breached",
}


def test_shoppers_never_see_the_sla_but_staff_do(shopper_client, staff_client) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/support/tickets/"
    created = shopper_client.post(url, {"body": PARCEL}, format="json")
    assert created.status_code == 201
    assert not SLA_KEYS & set(created.json())
    listed = shopper_client.get(url + "mine/").json()["results"][0]
    assert not SLA_KEYS & set(listed)
    human = shopper_client.post(f"{url}{created.json()['id']}/human/").json()
    assert not SLA_KEYS & set(human)

    r = staff_client.post(f"{url}{created.json()['id']}/triage/", {"queue": "orders"})
    assert r.status_code == 200
    staff = r.json()
    assert set(staff) >= SLA_KEYS
    ticket = Ticket.objects.get(pk=created.json()["id"])
    assert staff["first_reply_due_at"] is not None
    assert (
        datetime.fromisoformat(staff["first_reply_due_at"].replace("Z", "+00:00"))
        == ticket.first_reply_due_at
    )
    assert staff["first_reply_breached"] is False and staff["sla_paused"] is False


def test_an_upgraded_stores_tickets_get_due_times_from_the_backfill_migration(clock) -> None:  # type: ignore[no-untyped-def]
    from importlib import import_module

    from django.apps import apps

    backfill = import_module("support.migrations.0007_sla_backfill").backfill
    clock(_at(2026, 11, 30, 12))  # Monday noon
    waiting = _ticket(priority=Priority.NORMAL, created_at=_at(2026, 11, 27, 16))  # Friday 16:00
    replied = _ticket(priority=Priority.URGENT, created_at=_at(2026, 11, 30, 9))
    Message.objects.create(
        ticket=replied,
        author=Message.Author.AGENT,
        body="On its way",
        created_at=_at(2026, 11, 30, 9, 30),
    )
    Ticket.objects.filter(pk=waiting.pk).update(status=Ticket.Status.WAITING)
    blank = {"first_reply_due_at": None, "resolution_due_at": None, "first_replied_at": None}
    Ticket.objects.update(**blank, sla_paused_at=None)  # as tickets were before SLA policies
    backfill(apps, None)
    waiting.refresh_from_db()
    replied.refresh_from_db()
    # normal: 8 business hours from Friday 16:00 is Monday 16:00, 16 is Tuesday 16:00
    assert waiting.first_reply_due_at == _at(2026, 11, 30, 16)
    assert waiting.resolution_due_at == _at(2026, 12, 1, 16)
    assert waiting.sla_paused_at == _at(2026, 11, 30, 12)  # waits for the customer from now
    assert replied.first_reply_due_at == _at(2026, 11, 30, 10)
    assert replied.first_replied_at == _at(
        2026, 11, 30, 9, 30
    ) and not replied.first_reply_breached(timezone.now())
    assert not waiting.first_reply_breached(_at(2026, 11, 30, 15, 59))
    assert waiting.first_reply_breached(_at(2026, 11, 30, 16, 30))
