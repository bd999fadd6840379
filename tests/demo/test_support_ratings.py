"""The demo store's help desk has satisfaction ratings from the start: about a quarter of the
solved tickets rated, mostly good, some with a comment; seeded."""

import datetime as dt

import pytest
from django.db import transaction

from demo.models import DemoRun, GroundTruth
from demo.services import demo_populate
from demo.writer import demo_rows_remove

ANCHOR = dt.datetime(2026, 3, 14, 15, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_store(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        yield demo_populate(seed=11, scale="small", anchor=ANCHOR)
        with transaction.atomic():
            demo_rows_remove()
            GroundTruth.objects.all().delete()
            DemoRun.objects.all().delete()


def test_a_realistic_share_of_solved_demo_tickets_is_rated(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from support import selectors
    from support.models import SatisfactionRating, Ticket

    solved = Ticket.objects.filter(status=Ticket.Status.SOLVED)
    ratings = SatisfactionRating.objects.select_related("ticket")
    assert 0.15 <= ratings.count() / solved.count() <= 0.35
    assert all(r.ticket.status == Ticket.Status.SOLVED for r in ratings)
    assert all(r.queue_id == r.ticket.queue_id and r.intent == r.ticket.intent for r in ratings)
    assert all(r.ticket.solved_at <= r.created_at == r.updated_at for r in ratings)
    good = ratings.filter(score="good").count() / ratings.count()
    assert 0.7 <= good <= 0.97
    assert ratings.exclude(comment="").exists()

    # the merchant's report has figures (the demo's "now" is its anchor)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=ANCHOR):
        report = selectors.satisfaction_report(days=30)
    assert report["overall"]["ratings"] > 0 and report["overall"]["csat"] is not None
    assert len(report["by_queue"]) >= 3


def test_demo_tickets_keep_sla_due_times_with_some_breaches(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from unittest import mock

    from support import selectors
    from support.models import Ticket

    tickets = Ticket.objects.all()
    assert tickets.filter(first_reply_due_at__isnull=True).count() == 0
    assert tickets.values("priority").distinct().count() == 4  # urgent to low
    solved = tickets.filter(status=Ticket.Status.SOLVED)
    assert all(t.first_replied_at == t.first_response_at for t in solved)
    assert all(t.first_reply_due_at <= t.resolution_due_at for t in tickets)

    with mock.patch("django.utils.timezone.now", return_value=ANCHOR):
        report = selectors.sla_report(days=30)
    o = report["overall"]
    # figures, not 0% or 100%: replies and solves in time and late (the small demo's last
    # days also hold its open backlog, not answered yet)
    assert o["first_met"] > 0 and o["first_missed"] > 0
    assert o["resolution_met"] > 0 and o["resolution_missed"] > 0
    assert report["median_first_reply_seconds"] is not None
    assert len(report["by_priority"]) == 4
