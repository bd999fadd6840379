"""The agent workspace as a help desk team uses it (Zendesk, Help Scout): macros that fill a
reply for this ticket and change its status, priority or queue on send; internal notes the
shopper never sees; a staff ticket API ordered by the next SLA breach; and SLA alerts mailed
once to whoever must act."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from support import facade, services
from support.macros import placeholders_fill, placeholders_unknown
from support.models import Macro, Message, Priority, Queue, SlaAlert, Ticket
from tests.admin_support import change_form_data
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import order_create

pytestmark = pytest.mark.django_db

STAFF = "/api/v1/staff/support/tickets/"
PARCEL = "My parcel has not arrived yet, where is it?"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    moment: list[datetime] = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: moment[0])

    def set_now(when: datetime) -> None:
        moment[0] = when.astimezone(UTC)

    yield set_now


@pytest.fixture
def agent() -> Any:
    return UserFactory(is_staff=True, is_superuser=True, first_name="Priya")


@pytest.fixture
def agent_client(agent: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(agent)
    return client


def _shopper_ticket(body: str = PARCEL) -> tuple[Ticket, Any]:
    customer = CustomerFactory(user__first_name="Ann", user__email="ann@example.com")
    order = order_create(customer=customer)
    ticket = services.ticket_create(
        body=body, customer_id=customer.pk, order_number=order.number, email="ann@example.com"
    )
    return ticket, customer


def _macro(**fields: Any) -> Macro:
    defaults: dict[str, Any] = {
        "name": "Parcel delayed",
        "body": "Hi {{customer_first_name}}, order {{order_number}} left our warehouse. "
        "{{agent_name}}",
    }
    macro = Macro(**{**defaults, **fields})
    macro.full_clean()
    macro.save()
    return macro


# --- placeholders -------------------------------------------------------------------------


def test_placeholders_fill_once_and_unknown_ones_are_named() -> None:
    text = "Hi {{ customer_first_name }}, ticket {{ticket_id}} {{order_total}}"
    # a value that looks like a placeholder is pasted as text, not filled again
    filled = placeholders_fill(text, {"customer_first_name": "{{ticket_id}}", "ticket_id": "7"})

    assert filled == "Hi {{ticket_id}}, ticket 7 {{order_total}}"
    assert placeholders_unknown(text) == ["order_total"]


def test_a_macro_with_an_unknown_placeholder_is_refused_on_save() -> None:
    with pytest.raises(ValidationError) as exc:
        _macro(body="Your total is {{order_total}} and {{ order_total }}")

    assert "{{order_total}}" in str(exc.value)
    assert "{{customer_first_name}}" in str(exc.value)  # says what may be used
    assert not Macro.objects.exists()


# --- macros on a reply ----------------------------------------------------------------------


def test_reply_with_a_macro_fills_it_for_the_ticket_and_applies_its_actions(
    agent_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, customer = _shopper_ticket()
    shipping = Queue.objects.get(slug="shipping")
    macro = _macro(
        set_status=Macro.SetStatus.SOLVED, set_priority=Priority.HIGH, set_queue=shipping
    )
    mail.outbox = []

    listed = agent_client.get(f"{STAFF}{ticket.pk}/macros/").json()
    with django_capture_on_commit_callbacks(execute=True):
        r = agent_client.post(f"{STAFF}{ticket.pk}/reply/", {"macro": macro.pk}, format="json")

    assert r.status_code == 201, r.content
    order_number = ticket.order.number
    text = f"Hi Ann, order {order_number} left our warehouse. Priya"
    assert [m["body"] for m in listed] == [text]  # the preview is what gets sent
    assert r.json()["messages"][-1]["body"] == text
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.queue) == ("solved", Priority.HIGH, shipping)
    assert text in mail.outbox[0].body and mail.outbox[0].to == ["ann@example.com"]
    macro.refresh_from_db()
    assert macro.usage_count == 1 and macro.last_used_at is not None


def test_a_queue_macro_is_refused_on_another_queues_ticket_and_nothing_is_sent(
    agent_client: APIClient,
) -> None:
    ticket, _ = _shopper_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(queue=Queue.objects.get(slug="orders"))
    macro = _macro(queue=Queue.objects.get(slug="returns"))
    off = _macro(name="Old", is_active=False)
    before = ticket.messages.count()

    wrong = agent_client.post(f"{STAFF}{ticket.pk}/reply/", {"macro": macro.pk}, format="json")
    inactive = agent_client.post(f"{STAFF}{ticket.pk}/reply/", {"macro": off.pk}, format="json")

    assert wrong.status_code == 400 and "Returns" in str(wrong.json()["macro"])
    assert inactive.status_code == 400 and "macro" in inactive.json()
    assert ticket.messages.count() == before
    assert agent_client.get(f"{STAFF}{ticket.pk}/macros/").json() == []


def test_a_shopper_without_a_first_name_is_greeted_as_there(agent_client: APIClient) -> None:
    ticket = services.ticket_create(body=PARCEL, email="guest@example.com")
    macro = _macro(body="Hi {{customer_first_name}}, about {{order_number}}.")

    r = agent_client.get(f"{STAFF}{ticket.pk}/macros/")

    assert r.json()[0]["body"] == "Hi there, about your order."
    assert macro.usage_count == 0  # a preview is not a use


# --- internal notes ---------------------------------------------------------------------------


def test_an_internal_note_reaches_agents_only(
    agent_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, customer = _shopper_ticket()
    status, due = ticket.status, ticket.first_reply_due_at
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = agent_client.post(
            f"{STAFF}{ticket.pk}/notes/", {"body": "Courier says Tuesday"}, format="json"
        )

    assert r.status_code == 201 and r.json()["internal"] is True
    staff_view = agent_client.get(f"{STAFF}{ticket.pk}/").json()
    assert [m["body"] for m in staff_view["messages"] if m["internal"]] == ["Courier says Tuesday"]
    shopper = APIClient()
    shopper.force_authenticate(customer.user)
    mine = shopper.get("/api/v1/support/tickets/mine/").json()
    assert "Courier says Tuesday" not in str(mine)
    assert mail.outbox == [] and callbacks == []  # never e-mailed, not even later
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_reply_due_at, ticket.first_replied_at) == (
        status,
        due,
        None,
    )  # a note is not a reply: the SLA clock runs on


def test_an_empty_note_is_a_400_and_stores_nothing(agent_client: APIClient) -> None:
    ticket, _ = _shopper_ticket()

    r = agent_client.post(f"{STAFF}{ticket.pk}/notes/", {"body": "   "}, format="json")

    assert r.status_code == 400 and "body" in r.json()
    assert not ticket.messages.filter(author=Message.Author.NOTE).exists()


# --- the staff ticket API ---------------------------------------------------------------------


def test_staff_list_puts_the_next_breach_first_and_filters(
    agent_client: APIClient, agent: Any, clock: Callable[[datetime], None]
) -> None:
    clock(datetime(2026, 11, 24, 10, tzinfo=UTC))  # a Tuesday
    normal = services.ticket_create(body=PARCEL, email="a@ex.io")
    urgent = services.ticket_create(body=PARCEL, email="b@ex.io")
    Ticket.objects.filter(pk=urgent.pk).update(priority=Priority.URGENT)
    services.ticket_sla_refresh(ticket_id=urgent.pk)
    services.ticket_assign(ticket_id=normal.pk, agent_id=agent.pk)
    clock(datetime(2026, 11, 24, 11, 30, tzinfo=UTC))  # urgent's 1 h first reply has passed

    rows = agent_client.get(STAFF).json()["results"]
    breached = agent_client.get(STAFF, {"sla": "breached"}).json()["results"]
    mine = agent_client.get(STAFF, {"assignee": "me"}).json()["results"]
    nobody = agent_client.get(STAFF, {"assignee": "none", "priority": "urgent"}).json()

    assert [r["id"] for r in rows] == [urgent.pk, normal.pk]
    assert rows[0]["sla_breached"] is True and rows[1]["sla_breached"] is False
    assert [r["id"] for r in breached] == [urgent.pk]
    assert [r["id"] for r in mine] == [normal.pk] and mine[0]["assignee_name"] == agent.username
    assert [r["id"] for r in nobody["results"]] == [urgent.pk]
    bad = agent_client.get(STAFF, {"assignee": "someone"})
    assert bad.status_code == 400 and "assignee" in bad.json()


def test_shoppers_cannot_use_the_staff_api(shopper_client: APIClient) -> None:
    ticket, _ = _shopper_ticket()

    assert shopper_client.get(STAFF).status_code == 403
    assert shopper_client.post(f"{STAFF}{ticket.pk}/notes/", {"body": "x"}).status_code == 403


def test_a_priority_change_moves_the_due_times_and_solving_asks_for_a_rating(
    agent_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, _ = _shopper_ticket()
    mail.outbox = []

    urgent = agent_client.patch(f"{STAFF}{ticket.pk}/", {"priority": "urgent"}, format="json")
    moved = agent_client.patch(f"{STAFF}{ticket.pk}/", {"queue": "shipping"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        solved = agent_client.patch(f"{STAFF}{ticket.pk}/", {"status": "solved"}, format="json")

    assert urgent.status_code == 200 and urgent.json()["priority"] == "urgent"
    due = datetime.fromisoformat(urgent.json()["first_reply_due_at"])
    assert due - ticket.created_at == timedelta(hours=1)  # the urgent promise
    assert moved.json()["queue"] == "shipping"
    assert solved.json()["status"] == "solved"
    assert len(mail.outbox) == 1 and "How did we do?" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "detail"), ({"status": "new"}, "status"), ({"priority": "asap"}, "priority")],
)
def test_a_bad_ticket_change_is_a_400_with_the_field(
    agent_client: APIClient, payload: dict[str, str], field: str
) -> None:
    ticket, _ = _shopper_ticket()

    r = agent_client.patch(f"{STAFF}{ticket.pk}/", payload, format="json")

    assert r.status_code == 400 and field in r.json()
    assert Ticket.objects.get(pk=ticket.pk).priority == ticket.priority


def test_assign_only_to_active_staff_and_unknown_tickets_are_404(
    agent_client: APIClient, agent: Any
) -> None:
    ticket, customer = _shopper_ticket()

    refused = agent_client.post(
        f"{STAFF}{ticket.pk}/assign/", {"assignee": customer.user.pk}, format="json"
    )
    done = agent_client.post(f"{STAFF}{ticket.pk}/assign/", {"assignee": agent.pk}, format="json")

    assert refused.status_code == 400 and "assignee" in refused.json()
    assert done.status_code == 200 and done.json()["assignee"] == agent.pk
    assert agent_client.get(f"{STAFF}999999/").status_code == 404
    assert agent_client.get(f"{STAFF}99999999999999999999/").status_code == 404


# --- SLA alerts -----------------------------------------------------------------------------


def test_sla_alerts_mail_the_assignee_or_the_queues_agents_once(
    agent: Any, clock: Callable[[datetime], None]
) -> None:
    clock(datetime(2026, 11, 24, 10, tzinfo=UTC))
    orders = Queue.objects.get(slug="orders")
    on_call = UserFactory(is_staff=True, email="oncall@example.com")
    shopper_user = UserFactory(email="not-staff@example.com")
    orders.agents.add(on_call, shopper_user)  # only staff are ever mailed
    mine = services.ticket_create(body=PARCEL, subject="Late parcel", email="a@ex.io")
    queued = services.ticket_create(body=PARCEL, subject="Late parcel", email="b@ex.io")
    Ticket.objects.filter(pk__in=[mine.pk, queued.pk]).update(
        priority=Priority.URGENT, queue=orders
    )
    for t in (mine, queued):
        services.ticket_sla_refresh(ticket_id=t.pk)
    services.ticket_assign(ticket_id=mine.pk, agent_id=agent.pk)
    mail.outbox = []

    clock(datetime(2026, 11, 24, 10, 20, tzinfo=UTC))  # 40 min to the urgent first reply
    assert services.sla_alerts_send() == 0
    clock(datetime(2026, 11, 24, 10, 45, tzinfo=UTC))  # 15 min to go
    assert services.sla_alerts_send() == 2
    assert services.sla_alerts_send() == 0  # the beat runs every 5 minutes: no repeats

    to = {m.to[0]: m.subject for m in mail.outbox}
    assert to == {
        agent.email: f"SLA due soon: first reply on ticket #{mine.pk}",
        "oncall@example.com": f"SLA due soon: first reply on ticket #{queued.pk}",
    }
    assert "Late parcel" in mail.outbox[0].body
    assert PARCEL not in mail.outbox[0].body  # the subject line only, no customer text
    assert "a@ex.io" not in mail.outbox[0].body
    panel = facade.dashboard_panel()["items"]["SLA alerts (24 h)"]
    assert f"#{mine.pk} first reply due soon" in panel


def test_no_alert_for_solved_tickets_or_a_backlog_older_than_a_day(
    clock: Callable[[datetime], None],
) -> None:
    clock(datetime(2026, 11, 20, 10, tzinfo=UTC))
    old = services.ticket_create(body=PARCEL, email="a@ex.io")
    solved = services.ticket_create(body=PARCEL, email="b@ex.io")
    Ticket.objects.filter(pk__in=[old.pk, solved.pk]).update(priority=Priority.URGENT)
    for t in (old, solved):
        services.ticket_sla_refresh(ticket_id=t.pk)
    services.ticket_solve(ticket_id=solved.pk, notify=False)
    clock(datetime(2026, 11, 24, 10, tzinfo=UTC))  # days after the breach (an upgrade, say)

    assert services.sla_alerts_send() == 0
    assert not SlaAlert.objects.exists()


# --- the admin ticket page --------------------------------------------------------------------


def test_admin_applies_a_macro_into_the_reply_box_and_adds_a_note(agent: Any) -> None:
    ticket, _ = _shopper_ticket()
    macro = _macro()
    client = Client()
    client.force_login(agent)
    url = f"/admin/support/ticket/{ticket.pk}/change/"

    page = client.get(url, {"macro": macro.pk}).content.decode()
    r = client.post(
        url, change_form_data(client, url, _add_note="1", _note_body="Called the courier")
    )

    assert f"Hi Ann, order {ticket.order.number} left our warehouse. Priya</textarea>" in page
    assert f'name="_macro_id" value="{macro.pk}"' in page
    assert r.status_code == 302
    note = ticket.messages.get(author=Message.Author.NOTE)
    assert note.body == "Called the courier" and note.agent_id == agent.pk
