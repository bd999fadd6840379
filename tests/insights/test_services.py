from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights import facade, selectors
from insights.ml.synthetic import planted_churn_store
from insights.models import CustomerScore
from insights.synthetic_load import synthetic_store_load
from mlops.models import FeatureSnapshot, ModelVersion
from orders.models import Cart, CartLine
from tests.factories import CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_store():  # type: ignore[no-untyped-def]
    products = [ProductFactory() for _ in range(5)]
    store = planted_churn_store(n_customers=160, days=240, now=timezone.now(), seed=5)
    return synthetic_store_load(store, product_ids=[p.pk for p in products])


def test_train_on_an_empty_store_is_skipped() -> None:
    assert "skipped" in facade.train()


def test_train_registers_a_version_with_baseline_and_scores_everyone(small_store) -> None:  # type: ignore[no-untyped-def]
    summary = facade.train()

    assert summary["activated"] is True
    version = ModelVersion.objects.get(capability="insights")
    assert version.status == "active" and version.primary_metric == "churn_auc"
    assert {"churn_auc", "churn_auc_rfm_baseline", "propensity_auc"} <= set(version.metrics)
    assert version.train_window_start is not None
    assert CustomerScore.objects.count() == len(small_store)
    assert not CustomerScore.objects.filter(source="fallback").exists()
    assert FeatureSnapshot.objects.filter(capability="insights", kind="reference").exists()
    insight = facade.customer_insight(customer_id=next(iter(small_store.values())))
    assert insight is not None and 0 <= insight.churn_risk <= 1 and insight.source == "model"


def test_marketing_export_lists_only_consenting_customers(staff_client) -> None:  # type: ignore[no-untyped-def]
    yes = CustomerFactory(user=UserFactory(email="yes@example.com"), marketing_consent=True)
    no = CustomerFactory(user=UserFactory(email="no@example.com"), marketing_consent=False)
    erased = CustomerFactory(
        user=UserFactory(email="gone@example.com"), marketing_consent=True, erased_at=timezone.now()
    )
    for c in (yes, no, erased):
        CustomerScore.objects.create(
            customer=c, segment="at_risk", recency_days=90, churn_risk=0.8, propensity_7d=0.1
        )

    response = staff_client.get("/api/v1/insights/exports/customers.csv?segment=at_risk")

    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "yes@example.com" in body
    assert "no@example.com" not in body and "gone@example.com" not in body
    assert (
        staff_client.get("/api/v1/insights/exports/customers.csv?segment=bogus").status_code == 400
    )


def test_insights_api_is_staff_only(shopper_client) -> None:  # type: ignore[no-untyped-def]
    assert shopper_client.get("/api/v1/insights/segments/").status_code == 403
    assert shopper_client.get("/api/v1/insights/exports/customers.csv").status_code == 403


def _abandoned(customer, product, qty=1, hours=5):  # type: ignore[no-untyped-def]
    cart = Cart.objects.create(customer=customer, session_id="s", status=Cart.Status.ABANDONED)
    CartLine.objects.create(cart=cart, product=product, quantity=qty)
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(hours=hours))
    return cart


def test_abandoned_carts_suggest_actions_within_the_margin_floor() -> None:
    cheap_margin = ProductFactory(price=Decimal("10.00"), cost=Decimal("9.00"))
    fat_margin = ProductFactory(price=Decimal("100.00"), cost=Decimal("40.00"))
    on_fence = CustomerFactory(marketing_consent=True)
    CustomerScore.objects.create(
        customer=on_fence, segment="loyal", recency_days=20, churn_risk=0.3, propensity_7d=0.3
    )
    keen = CustomerFactory(marketing_consent=True)
    CustomerScore.objects.create(
        customer=keen, segment="champions", recency_days=2, churn_risk=0.1, propensity_7d=0.9
    )
    c1 = _abandoned(on_fence, fat_margin, qty=2)
    c2 = _abandoned(keen, fat_margin)
    c3 = _abandoned(on_fence, cheap_margin)
    _abandoned(keen, fat_margin, hours=0)  # too recent

    rows = {s.cart_id: s for s in selectors.abandoned_carts()}

    assert set(rows) == {c1.pk, c2.pk, c3.pk}
    assert rows[c1.pk].action == "discount" and rows[c1.pk].discount_pct == 10
    assert rows[c1.pk].contactable is True
    assert rows[c2.pk].action == "reminder"
    assert rows[c3.pk].action == "recommend"  # 10% over cost: no room for a discount
    # ranked by expected recovered value: 100.00 x 0.9 before 200.00 x 0.3
    assert [s.cart_id for s in selectors.abandoned_carts()][:2] == [c2.pk, c1.pk]


def test_carts_of_customers_who_may_not_be_emailed_get_no_nudge(staff_client) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(price=Decimal("100.00"), cost=Decimal("40.00"))
    keen = {"segment": "champions", "recency_days": 2, "churn_risk": 0.1, "propensity_7d": 0.9}
    consenting, silent, erased = (
        CustomerFactory(marketing_consent=True),
        CustomerFactory(marketing_consent=False),
        CustomerFactory(marketing_consent=True, erased_at=timezone.now()),
    )
    for c in (consenting, silent, erased):
        CustomerScore.objects.create(customer=c, **keen)
    carts = {
        name: _abandoned(c, product).pk
        for name, c in [("ok", consenting), ("silent", silent), ("erased", erased)]
    }
    visitor = _abandoned(None, product).pk

    rows = {s.cart_id: s for s in selectors.abandoned_carts()}
    assert rows[carts["ok"]].action == "reminder"
    for pk in (carts["silent"], carts["erased"], visitor):
        assert rows[pk].action == "none" and rows[pk].contactable is False

    api = {r["cart_id"]: r for r in staff_client.get("/api/v1/insights/abandoned-carts/").json()}
    assert api[carts["ok"]]["action"] == "reminder"
    assert api[carts["silent"]]["action"] == "none" and api[visitor]["action"] == "none"
    summary = selectors.cart_recovery_summary(list(rows.values()))
    assert (summary.reachable, summary.reachable_value, summary.unreachable) == (
        1,
        Decimal("100.00"),
        3,
    )
