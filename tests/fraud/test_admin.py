import pytest

from fraud import services
from fraud.models import RiskAssessment, RiskRule
from orders.models import Order
from tests.fraud.factories import checkout

pytestmark = pytest.mark.django_db


def test_review_queue_lists_held_orders_riskiest_first_and_cancels_them(admin_client):
    services.risk_rule_create(name="big", expression="amount >= 100", action="review")
    held = checkout(price="150.00")
    checkout(price="20.00", key="k2")
    page = admin_client.get("/admin/fraud/reviewqueueitem/")
    assert page.status_code == 200
    assert held.number in page.content.decode() and "rule: big" in page.content.decode()
    a = RiskAssessment.objects.get(order=held)
    response = admin_client.post(
        "/admin/fraud/reviewqueueitem/",
        {"action": "cancel_orders", "_selected_action": [a.pk]},
        follow=True,
    )
    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == Order.Status.CANCELLED
    assert RiskAssessment.objects.get(order=held).review_outcome == "fraud"


def test_rule_form_rejects_unsafe_expressions_with_the_parser_message(admin_client):
    response = admin_client.post(
        "/admin/fraud/riskrule/add/",
        {
            "name": "x",
            "expression": "__import__('os')",
            "action": "block",
            "position": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "function calls are not allowed" in response.content.decode()
    assert not RiskRule.objects.exists()
    ok = admin_client.post(
        "/admin/fraud/riskrule/add/",
        {
            "name": "abroad",
            "expression": "ip_country != billing_country",
            "action": "review",
            "position": 1,
            "is_active": "on",
        },
    )
    assert ok.status_code == 302 and RiskRule.objects.get().name == "abroad"
