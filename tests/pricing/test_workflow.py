"""Merchant workflow end to end: admin bulk decisions, the per-category auto-approve threshold,
an all-or-nothing write of a competitor feed's valid rows, and the Omnibus "was" price after
an approved cut."""

from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import DatabaseError
from django.utils import timezone

from catalog.models import PriceHistory, Product
from pricing import facade, services
from pricing.models import CompetitorPrice, PriceProposal, PricingPolicy
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.pricing.factories import PriceProposalFactory, activate_model

pytestmark = pytest.mark.django_db


def test_admin_bulk_reject_keeps_every_price(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    a, b = PriceProposalFactory(), PriceProposalFactory()
    res = client.post(
        "/admin/pricing/priceproposal/",
        {"action": "reject_selected", "_selected_action": [a.pk, b.pk]},
        follow=True,
    )
    assert res.status_code == 200 and "2 proposal(s) rejected" in res.content.decode()
    for p in (a, b):
        p.refresh_from_db()
        assert p.status == "rejected"
        assert Product.objects.get(pk=p.product_id).price == p.current_price
    assert not PriceHistory.objects.filter(source="pricing").exists()


def test_admin_bulk_approve_reports_what_it_refused(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    ok, stale = PriceProposalFactory(), PriceProposalFactory()
    Product.objects.filter(pk=stale.product_id).update(price=stale.current_price + 3)
    res = client.post(
        "/admin/pricing/priceproposal/",
        {"action": "approve_selected", "_selected_action": [ok.pk, stale.pk]},
        follow=True,
    )
    page = res.content.decode()
    assert "1 proposal(s) applied" in page and f"#{stale.pk}" in page
    assert Product.objects.get(pk=ok.product_id).price == ok.proposed_price
    assert Product.objects.get(pk=stale.product_id).price == stale.current_price + 3
    stale.refresh_from_db()
    assert stale.status == "superseded"


def test_a_change_above_the_category_threshold_waits_for_the_merchant():
    cat = CategoryFactory()
    PricingPolicy.objects.create(category=cat, auto_approve_below_pct=Decimal("5"))
    product = ProductFactory(
        category=cat, price=Decimal("20.00"), cost=Decimal("8.00"), with_stock=10_000
    )
    activate_model({product.pk: -2.5})  # the model wants the full -10% a cycle allows
    assert services.price_proposals_generate() == {"proposals": 1, "auto_applied": 0}
    assert Product.objects.get(pk=product.pk).price == Decimal("20.00")
    prop = PriceProposal.objects.get(product=product)
    assert prop.status == "pending" and prop.proposed_price == Decimal("18.00")


def test_a_failed_write_stores_none_of_the_valid_competitor_rows(monkeypatch):
    ProductFactory(sku="A-1")
    ProductFactory(sku="B-2")
    real = CompetitorPrice.objects.bulk_create

    def fail_after_first(objs, **kw):  # type: ignore[no-untyped-def]
        real(objs[:1], **kw)  # the first row reaches the table, then the database fails
        raise DatabaseError("disk full")

    monkeypatch.setattr(CompetitorPrice.objects, "bulk_create", fail_after_first)
    with pytest.raises(DatabaseError):
        services.competitor_prices_import(
            rows=[
                {"sku": "A-1", "competitor": "ACME", "price": "10.00"},
                {"sku": "B-2", "competitor": "ACME", "price": "12.00"},
            ]
        )
    assert CompetitorPrice.objects.count() == 0


def test_an_approved_cut_shows_the_lowest_price_of_the_prior_30_days_not_the_last_one():
    product = ProductFactory(price=Decimal("22.00"), cost=Decimal("5.00"))
    now = timezone.now()
    for days_ago, price in ((60, "20.00"), (10, "22.00")):  # 20.00 still applied 30 days ago
        PriceHistory.objects.create(
            product=product, price=Decimal(price), changed_at=now - timedelta(days=days_ago)
        )
    proposal = PriceProposalFactory(product=product, proposed_price=Decimal("19.80"))
    services.price_proposal_apply(proposal_id=proposal.pk)
    ref = facade.reference_price(product_id=product.pk)
    assert ref.current_price == Decimal("19.80")
    assert ref.show_was and ref.reference_price == Decimal("20.00")
    # a rise is never advertised with a "was" price
    product.refresh_from_db()
    raise_ = PriceProposalFactory(product=product, proposed_price=Decimal("21.00"))
    services.price_proposal_apply(proposal_id=raise_.pk)
    assert not facade.reference_price(product_id=product.pk).show_was


def test_training_history_marks_the_days_a_product_ended_sold_out():
    from catalog.models import StockMovement
    from pricing import selectors

    product = ProductFactory(price=Decimal("10.00"), with_stock=5)
    now = timezone.now()
    noon = timezone.localtime(now).replace(hour=12, minute=0, second=0, microsecond=0)
    PriceHistory.objects.create(
        product=product, price=Decimal("10.00"), changed_at=noon - timedelta(days=10)
    )
    for days_ago, qty in ((8, 5), (6, -5), (3, 5)):  # stocked, sold out, restocked
        StockMovement.objects.create(
            product=product,
            quantity=qty,
            reason="adjustment",
            created_at=noon - timedelta(days_ago),
        )
    hist = selectors.sales_history_frame(now=now)
    days_ago = [(noon.date() - d.date()).days for d in hist["date"]]
    flag = dict(zip(days_ago, hist["stockout"], strict=True))
    assert [flag[d] for d in (8, 7, 6, 5, 4, 3, 2, 1)] == [0, 0, 1, 1, 1, 0, 0, 0]
    # before the first stock record nobody knows: left blank for the model to infer
    assert np.isnan(flag[10]) and np.isnan(flag[9])
