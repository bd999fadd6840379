import pytest

from fraud import services
from tests.fraud.factories import checkout

pytestmark = pytest.mark.django_db


def test_rule_validation_returns_400_with_the_reason(staff_client):
    bad = staff_client.post(
        "/api/v1/fraud/rules/validate/", {"expression": "open('/etc/passwd') == 1"}, format="json"
    )
    assert bad.status_code == 400
    assert "function calls are not allowed" in bad.json()["expression"][0]
    good = staff_client.post(
        "/api/v1/fraud/rules/validate/",
        {"expression": "amount > 1000 and ip_country != billing_country"},
        format="json",
    )
    assert good.status_code == 200
    assert good.json()["fields"] == ["amount", "billing_country", "ip_country"]
    missing = staff_client.post("/api/v1/fraud/rules/validate/", {}, format="json")
    assert missing.status_code == 400 and "expression" in missing.json()


def test_review_queue_and_decision(staff_client):
    services.risk_rule_create(name="big", expression="amount >= 100", action="review")
    small = checkout(price="20.00")
    held = checkout(price="120.00", key="k2")
    queue = staff_client.get("/api/v1/fraud/reviews/").json()
    assert queue["count"] == 1 and queue["next"] is None
    assert [row["order_id"] for row in queue["results"]] == [held.pk]
    row = queue["results"][0]
    assert row["rules_triggered"] == ["big"] and row["source"] == "rules_only"

    wrong = staff_client.post(
        f"/api/v1/fraud/reviews/{held.pk}/decision/", {"decision": "maybe"}, format="json"
    )
    assert wrong.status_code == 400 and "decision" in wrong.json()
    ok = staff_client.post(
        f"/api/v1/fraud/reviews/{held.pk}/decision/", {"decision": "approve"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["order_status"] == "paid" and ok.json()["review_outcome"] == "genuine"
    again = staff_client.post(
        f"/api/v1/fraud/reviews/{held.pk}/decision/", {"decision": "cancel"}, format="json"
    )
    assert again.status_code == 400 and "already reviewed" in again.json()["detail"]

    detail = staff_client.get(f"/api/v1/fraud/orders/{small.pk}/")
    assert detail.status_code == 200 and detail.json()["action"] == "approve"
    assert staff_client.get("/api/v1/fraud/orders/999999/").status_code == 404
    week = staff_client.get("/api/v1/fraud/monitoring/").json()["weeks"][-1]
    assert week["orders"] == 2 and week["review_precision"] == 0.0


def test_fraud_endpoints_are_staff_only(shopper_client):
    assert shopper_client.get("/api/v1/fraud/reviews/").status_code == 403
    assert shopper_client.get("/api/v1/fraud/monitoring/").status_code == 403
