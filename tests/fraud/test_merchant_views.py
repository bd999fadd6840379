"""What the merchant reads about fraud: the admin's wording for the review queue, the store
dashboard's fraud panel, and checkout's risk step for orders placed in bulk."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fraud import facade, services
from fraud.models import RiskAssessment, RiskRule
from orders import facade as orders
from orders.models import Order, OrderStatusHistory, Payment
from tests.factories import ADDRESS, ProductFactory
from tests.fraud.factories import checkout
from tests.mlops.factories import order_create

pytestmark = pytest.mark.django_db


def _box(html: str, app: str) -> str:
    return html.split(f'data-testid="panel-{app}"', 1)[1].split('<div class="mls-box"', 1)[0]


def test_admin_calls_the_queue_orders_awaiting_review(admin_client) -> None:  # type: ignore[no-untyped-def]
    # it read "Review queue" on the index and "0 review queue" under an empty list
    index = admin_client.get("/admin/").content.decode()
    assert "Orders awaiting review" in index and "Review queue" not in index
    empty = admin_client.get("/admin/fraud/reviewqueueitem/").content.decode()
    assert "0 orders awaiting review" in empty and "review queue" not in empty.lower()
    assert "<h1>Orders awaiting review</h1>" in empty

    services.risk_rule_create(name="big", expression="amount >= 100", action="review")
    checkout(price="150.00")
    checkout(price="120.00", key="k2")
    page = admin_client.get("/admin/fraud/reviewqueueitem/").content.decode()
    assert "2 orders awaiting review" in page


def test_review_queue_shows_the_order_total_as_money(admin_client) -> None:  # type: ignore[no-untyped-def]
    services.risk_rule_create(name="big", expression="amount >= 1000", action="review")
    order = checkout(price="1250.00")
    page = admin_client.get("/admin/fraud/reviewqueueitem/").content.decode()
    total = Order.objects.get(pk=order.pk).total
    assert f"(£{total:,.2f})" in page and f"{total} GBP" not in page


def test_dashboard_fraud_panel_counts_the_queue_and_this_weeks_decisions(admin_client) -> None:  # type: ignore[no-untyped-def]
    services.risk_rule_create(name="big", expression="amount >= 100", action="review")
    services.risk_rule_create(name="huge", expression="amount >= 1000", action="block")
    held = checkout(price="150.00")
    checkout(price="120.00", key="k2")
    checkout(price="1500.00", key="k3")  # declined
    checkout(price="20.00", key="k4")  # approved
    services.review_decide(order_id=held.pk, decision="approve", user_id=None)
    old = checkout(price="130.00", key="k5")  # held 10 days ago: queued, not "this week"
    RiskAssessment.objects.filter(order=old).update(created_at=timezone.now() - timedelta(days=10))

    html = admin_client.get("/admin/mlops/modelversion/dashboard/").content.decode()
    box = _box(html, "fraud")
    assert "Not available." not in box and "From store data" not in box
    assert '<th scope="row">Orders awaiting review</th><td>2</td>' in box
    assert '<th scope="row">Held for review, last 7 days</th><td>2</td>' in box
    assert '<th scope="row">Declined, last 7 days</th><td>1</td>' in box
    assert '<th scope="row">Deciding</th><td>rules only (no model)</td>' in box
    assert 'href="/admin/fraud/reviewqueueitem/"' in box


def test_dashboard_fraud_panel_names_the_active_model() -> None:
    from mlops.models import ModelVersion

    for version, status in ((2, ModelVersion.Status.RETIRED), (3, ModelVersion.Status.ACTIVE)):
        ModelVersion.objects.create(
            capability="fraud",
            version=version,
            status=status,
            artifact=f"ml-artifacts/fraud-v{version}.joblib",
            sha256="0" * 64,
        )
    ModelVersion.objects.create(
        capability="pricing", version=7, status=ModelVersion.Status.ACTIVE, sha256="0" * 64
    )
    assert facade.dashboard_panel()["items"]["Deciding"] == "fraud-v3"


def _pending_order(*, ip_country: str) -> Order:
    """An order written in bulk, as the demo writes its latest ones: placed, card authorised,
    not yet through the risk step."""
    order = order_create(
        customer=None,
        products=[(ProductFactory(price=Decimal("40.00"), with_stock=5), 1)],
        placed_at=timezone.now() - timedelta(minutes=5),
        status=Order.Status.PENDING,
    )
    Order.objects.filter(pk=order.pk).update(shipping_address=ADDRESS, billing_address=ADDRESS)
    Payment.objects.create(
        order=order,
        amount=order.total,
        status=Payment.Status.AUTHORIZED,
        card_fingerprint="f" * 32,
        card_last4="4242",
        card_brand="visa",
        bin_country="GB",
        ip_address="10.0.0.9",
        ip_country=ip_country,
        device_id="dev-9",
    )
    return order


def test_risk_step_on_a_bulk_placed_order_decides_like_checkout_once() -> None:
    facade.risk_rule_ensure(
        name="abroad", expression="ip_country != billing_country", action="review"
    )
    abroad, home = _pending_order(ip_country="FR"), _pending_order(ip_country="GB")
    assert orders.order_risk_decide(abroad.pk) == Order.Status.ON_HOLD
    assert orders.order_risk_decide(home.pk) == Order.Status.PAID
    a = RiskAssessment.objects.get(order=abroad)
    assert (a.action, a.rules_triggered, a.source) == ("review", ["abroad"], "rules_only")
    assert home.payments.get().status == Payment.Status.CAPTURED
    assert abroad.payments.get().status == Payment.Status.AUTHORIZED
    history = OrderStatusHistory.objects.filter(order=abroad).values_list("note", flat=True)
    assert list(history) == ["held for fraud review"]
    # a second run neither re-scores nor moves the orders
    assert orders.order_risk_decide(abroad.pk) == Order.Status.ON_HOLD
    assert orders.order_risk_decide(home.pk) == Order.Status.PAID
    assert RiskAssessment.objects.count() == 2


def test_risk_rule_ensure_keeps_the_merchants_version() -> None:
    first = facade.risk_rule_ensure(name="abroad", expression="amount > 1", action="review")
    assert first is not None
    RiskRule.objects.filter(pk=first).update(is_active=False, expression="amount > 500")
    again = facade.risk_rule_ensure(name="abroad", expression="amount > 1", action="review")
    assert again is None
    rule = RiskRule.objects.get()
    assert (rule.is_active, rule.expression) == (False, "amount > 500")
