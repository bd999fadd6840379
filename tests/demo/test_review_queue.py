"""After populate_demo the merchant finds a fraud review queue to work, filled by the store's
own checkout risk decision (rules only here: no model is trained in these tests)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from demo.checkouts import DEMO_RISK_RULES, demo_checkouts_decide
from demo.models import DemoRun, GroundTruth
from demo.services import demo_populate
from demo.simulate import UNDECIDED_CHECKOUTS
from demo.writer import demo_rows_remove
from fraud import selectors
from fraud.models import RiskAssessment, RiskRule
from orders.models import Order, OrderStatusHistory, Payment
from tests.factories import UserFactory

ANCHOR = dt.datetime(2026, 3, 14, 15, 30, tzinfo=dt.UTC)
SEED = 0


@pytest.fixture(scope="module")
def demo_store(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        mail.outbox = []
        # outside a test transaction on_commit runs at once: a mail would land in the outbox
        result = demo_populate(seed=SEED, scale="small", anchor=ANCHOR)
        yield {**result, "mails_sent": len(mail.outbox)}
        with transaction.atomic():
            demo_rows_remove()
            GroundTruth.objects.all().delete()
            DemoRun.objects.all().delete()
        # nothing the checkout step made outlives the demo rows it belongs to
        assert not RiskRule.objects.exists()
        assert not RiskAssessment.objects.exists()
        assert not OrderStatusHistory.objects.exists()


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_populate_sends_no_mail_for_its_simulated_orders(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    assert demo_store["checkouts"]["approved"] > 0 and demo_store["checkouts"]["held"] > 0
    assert demo_store["mails_sent"] == 0


def test_the_review_queue_holds_a_handful_of_orders_with_reasons(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    queue = list(selectors.review_queue())
    assert 5 <= len(queue) <= 20
    assert demo_store["checkouts"]["held"] == len(queue)
    assert demo_store["checkouts"]["decided"] == UNDECIDED_CHECKOUTS
    rule_names = {r.name for r in DEMO_RISK_RULES}
    for assessment in queue:
        assert assessment.order.status == Order.Status.ON_HOLD
        assert assessment.action == RiskAssessment.Action.REVIEW
        assert assessment.source == RiskAssessment.Source.RULES_ONLY
        # the decision came from the scoring code: its features and the rule that fired
        assert assessment.rules_triggered and set(assessment.rules_triggered) <= rule_names
        assert assessment.features["amount"] == pytest.approx(float(assessment.order.total))
        if "abroad" in assessment.rules_triggered[0]:
            payment = assessment.order.payments.get()
            assert payment.ip_country != assessment.order.billing_address["country"]
        # held, not charged: the card stays authorised until a reviewer approves
        assert assessment.order.payments.get().status == Payment.Status.AUTHORIZED
    # every undecided order was decided; the others were captured as at checkout
    assert not Order.objects.filter(status=Order.Status.PENDING).exists()
    assessed = RiskAssessment.objects.values_list("order_id", flat=True)
    approved = Order.objects.filter(pk__in=assessed, status=Order.Status.PAID)
    assert approved.count() == demo_store["checkouts"]["approved"] > 200
    assert not approved.exclude(payments__status=Payment.Status.CAPTURED).exists()


def test_merchant_approves_a_held_order_from_the_admin_queue(db, demo_store, admin_client) -> None:  # type: ignore[no-untyped-def]
    queue = list(selectors.review_queue())
    page = admin_client.get("/admin/fraud/reviewqueueitem/").content.decode()
    assert f"{len(queue)} orders awaiting review" in page
    assert queue[0].order.number in page and f"rule: {queue[0].rules_triggered[0]}" in page

    held = queue[0]
    response = admin_client.post(
        "/admin/fraud/reviewqueueitem/",
        {"action": "approve_orders", "_selected_action": [held.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "1 order(s) approved." in response.content.decode()
    held.refresh_from_db()
    held.order.refresh_from_db()
    assert held.order.status == Order.Status.PAID
    assert held.review_outcome == RiskAssessment.Outcome.GENUINE
    assert held.order.payments.get().status == Payment.Status.CAPTURED
    assert selectors.review_queue().count() == len(queue) - 1


def test_deciding_again_changes_nothing(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    before = list(RiskAssessment.objects.order_by("pk").values_list("order_id", "action"))
    statuses = list(Order.objects.order_by("pk").values_list("status", flat=True))
    again = demo_checkouts_decide(first_order_id=0)
    assert again == {"decided": 0, "held": 0, "declined": 0, "approved": 0}
    assert list(RiskAssessment.objects.order_by("pk").values_list("order_id", "action")) == before
    assert list(Order.objects.order_by("pk").values_list("status", flat=True)) == statuses
