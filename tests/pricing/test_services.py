from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import PriceHistory, Product
from pricing import facade, services
from pricing.models import CompetitorPrice, ElasticityEstimate, PriceProposal, PricingPolicy
from storefront.api_errors import ServiceError
from tests.factories import CategoryFactory, ProductFactory
from tests.pricing.factories import PriceProposalFactory, activate_model, make_sales

pytestmark = pytest.mark.django_db


def test_training_on_an_empty_store_is_skipped():
    assert "skipped" in facade.train()


def test_without_a_model_the_proposal_is_the_current_price():
    product = ProductFactory(price=Decimal("19.99"))
    p = facade.price_proposal_for(product_id=product.pk)
    assert p.source == "fallback" and p.proposed_price == Decimal("19.99")
    assert services.price_proposals_generate() == {"skipped": "no active pricing model"}


def test_training_recovers_elasticity_and_proposes_explained_prices():
    cat = CategoryFactory()
    products = [
        ProductFactory(
            category=cat,
            price=Decimal("20.00"),
            list_price=Decimal("25.00"),
            cost=Decimal("8.00"),
            with_stock=10_000,
        )
        for _ in range(3)
    ]
    for i, p in enumerate(products):
        make_sales(p, elasticity=-2.5, seed=i)
    summary = facade.train()
    assert summary["activated"] and summary["own_estimates"] == 3
    assert "holdout_wape" in summary
    est = ElasticityEstimate.objects.get(product=products[0])
    assert est.elasticity_low <= -2.5 <= est.elasticity_high or abs(est.elasticity + 2.5) < 0.4
    assert not est.pooled
    proposals = PriceProposal.objects.filter(status="pending")
    assert proposals.count() >= 1
    prop = proposals.first()
    # optimum is cost * 2.5 / 1.5 = 13.33; max change 10% per cycle binds the move down
    assert prop.proposed_price < prop.current_price
    assert "max_change" in prop.bound_by
    assert prop.profit_new > prop.profit_current
    assert facade.price_proposal_for(product_id=prop.product_id).source == "model"


def test_scarce_stock_raises_the_price_instead():
    products = [ProductFactory(price=Decimal("20.00"), cost=Decimal("8.00"), with_stock=3)]
    make_sales(products[0], elasticity=-2.5)
    facade.train()
    prop = PriceProposal.objects.get(product=products[0], status="pending")
    assert prop.proposed_price > prop.current_price


def test_approving_applies_the_price_and_writes_history():
    proposal = PriceProposalFactory()
    services.price_proposal_apply(proposal_id=proposal.pk, user_id=None)
    product = Product.objects.get(pk=proposal.product_id)
    assert product.price == proposal.proposed_price
    entry = PriceHistory.objects.filter(product=product).first()
    assert entry.source == "pricing" and entry.price == proposal.proposed_price
    proposal.refresh_from_db()
    assert proposal.status == "applied"
    with pytest.raises(ServiceError):
        services.price_proposal_apply(proposal_id=proposal.pk)


def test_a_stale_proposal_is_withdrawn_not_applied():
    proposal = PriceProposalFactory()
    Product.objects.filter(pk=proposal.product_id).update(price=Decimal("33.00"))
    with pytest.raises(ServiceError) as err:
        services.price_proposal_apply(proposal_id=proposal.pk)
    assert err.value.status == 409
    proposal.refresh_from_db()
    assert proposal.status == "superseded"
    assert Product.objects.get(pk=proposal.product_id).price == Decimal("33.00")


def test_a_cost_rise_after_the_proposal_blocks_it():
    proposal = PriceProposalFactory()  # 21.00 proposed
    Product.objects.filter(pk=proposal.product_id).update(cost=Decimal("20.00"))
    with pytest.raises(ServiceError, match="minimum-margin"):
        services.price_proposal_apply(proposal_id=proposal.pk)
    assert Product.objects.get(pk=proposal.product_id).price == proposal.current_price


def test_bulk_reject_and_approve_report_refusals():
    a, b = PriceProposalFactory(), PriceProposalFactory()
    services.price_proposal_reject(proposal_id=a.pk, note="no")
    result = services.price_proposals_decide(proposal_ids=[a.pk, b.pk], approve=True)
    assert result["done"] == 1 and result["refused"][0]["id"] == a.pk


def test_small_changes_are_auto_applied_where_the_category_allows():
    auto_cat, manual_cat = CategoryFactory(), CategoryFactory()
    PricingPolicy.objects.create(category=auto_cat, auto_approve_below_pct=Decimal("20"))
    auto = ProductFactory(
        category=auto_cat, price=Decimal("20.00"), cost=Decimal("8.00"), with_stock=10_000
    )
    manual = ProductFactory(
        category=manual_cat, price=Decimal("20.00"), cost=Decimal("8.00"), with_stock=10_000
    )
    activate_model({auto.pk: -2.5, manual.pk: -2.5})
    result = services.price_proposals_generate()
    assert result == {"proposals": 2, "auto_applied": 1}
    assert Product.objects.get(pk=auto.pk).price == Decimal("18.00")  # -10%: max change
    assert Product.objects.get(pk=manual.pk).price == Decimal("20.00")
    assert PriceProposal.objects.get(product=manual).status == "pending"


def test_competitor_cap_and_weekly_change_limit_win_over_the_model():
    PricingPolicy.objects.create(competitor_cap_pct=Decimal("0"), max_changes_per_week=1)
    capped, far, busy = (
        ProductFactory(price=Decimal("20.00"), cost=Decimal("5.00"), with_stock=10_000)
        for _ in range(3)
    )
    CompetitorPrice.objects.create(product=capped, competitor="ACME", price=Decimal("19.00"))
    CompetitorPrice.objects.create(product=far, competitor="ACME", price=Decimal("12.00"))
    PriceHistory.objects.create(
        product=busy,
        price=Decimal("20.00"),
        source="pricing",
        changed_at=timezone.now() - timedelta(days=2),
    )
    activate_model({capped.pk: -0.8, far.pk: -0.8, busy.pk: -0.8})  # the model wants +10%
    services.price_proposals_generate()
    prop = PriceProposal.objects.get(product=capped)
    assert prop.proposed_price == Decimal("19.00")
    assert "competitor_cap" in prop.bound_by and not prop.conflicts
    # 12.00 is more than the 10% a cycle allows: as close as allowed, flagged for review
    prop = PriceProposal.objects.get(product=far)
    assert prop.proposed_price == Decimal("18.00") and prop.conflicts == "competitor_cap"
    assert not PriceProposal.objects.filter(product=busy).exists()


def test_competitor_feed_rejects_bad_rows_and_keeps_good_ones():
    product = ProductFactory(sku="ABC-1")
    report = services.competitor_prices_import(
        rows=[
            {"sku": "ABC-1", "competitor": "ACME", "price": "18.50"},
            {"sku": "NOPE", "competitor": "ACME", "price": "10"},
            {"sku": "ABC-1", "competitor": "ACME", "price": "-3"},
            {"sku": "ABC-1", "competitor": "", "price": "abc", "observed_at": "yesterday"},
        ]
    )
    assert (report.received, report.accepted) == (4, 1)
    assert [r["row"] for r in report.rejected] == [2, 3, 4]
    assert "unknown sku 'NOPE'" in report.rejected[0]["errors"]
    assert len(report.rejected[2]["errors"]) == 3
    assert list(CompetitorPrice.objects.values_list("product_id", "price")) == [
        (product.pk, Decimal("18.50"))
    ]


def test_competitor_csv_without_price_column_is_refused_whole():
    with pytest.raises(ServiceError, match="price"):
        services.competitor_prices_import_csv(text="sku,competitor\nA,B\n")


def _history(product, entries):
    now = timezone.now()
    for days_ago, price in entries:
        PriceHistory.objects.create(
            product=product, price=Decimal(price), changed_at=now - timedelta(days=days_ago)
        )
    Product.objects.filter(pk=product.pk).update(price=Decimal(entries[-1][1]))


def test_was_price_is_the_lowest_of_the_30_days_before_the_reduction():
    product = ProductFactory()
    _history(product, [(90, "25.00"), (60, "20.00"), (10, "15.00")])
    ref = facade.reference_price(product_id=product.pk)
    assert ref.source == "history" and ref.show_was
    assert ref.reference_price == Decimal("20.00")


def test_no_was_price_after_a_short_lower_price_in_the_window():
    product = ProductFactory()
    # 12.00 for a week inside the 30 days before today's 15.00: 15.00 is no reduction
    _history(product, [(90, "20.00"), (25, "12.00"), (18, "20.00"), (3, "15.00")])
    ref = facade.reference_price(product_id=product.pk)
    assert ref.reference_price == Decimal("12.00") and not ref.show_was


def test_no_was_price_when_history_cannot_tell():
    product = ProductFactory(price=Decimal("9.00"), list_price=Decimal("19.00"))
    ref = facade.reference_price(product_id=product.pk)
    assert ref.source == "fallback" and not ref.show_was and ref.reference_price is None


def test_products_without_price_history_get_a_test_price_where_allowed():
    from datetime import datetime

    PricingPolicy.objects.create(explore_pct=Decimal("5"))
    flat = ProductFactory(price=Decimal("20.00"), cost=Decimal("11.00"), with_stock=10_000)
    activate_model({1_000_000: -2.0, 1_000_001: -2.5})  # other products: flat one is pooled
    even_week = timezone.make_aware(datetime(2026, 1, 7, 12))  # ISO week 2
    services.price_proposals_generate(now=even_week)
    up = PriceProposal.objects.get(product=flat, status="pending")
    assert up.is_experiment and up.pooled and "experiment" in up.note
    services.price_proposals_generate(now=even_week + timedelta(days=7))
    down = PriceProposal.objects.get(product=flat, status="pending")
    assert down.is_experiment
    # +5% one week, -5% the next, around the model's price and within the 10% max change
    assert float(up.proposed_price / down.proposed_price) == pytest.approx(1.05 / 0.95, abs=0.01)
    assert Decimal("18.00") <= down.proposed_price < up.proposed_price <= Decimal("22.00")
