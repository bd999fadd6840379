from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.models import PriceHistory, Product
from pricing.models import CompetitorPrice
from tests.factories import ProductFactory
from tests.pricing.factories import PriceProposalFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/pricing"


def test_reference_price_is_public_and_says_when_a_was_price_is_legit(api_client):
    product = ProductFactory()
    now = timezone.now()
    PriceHistory.objects.create(
        product=product, price=Decimal("30.00"), changed_at=now - timedelta(days=60)
    )
    PriceHistory.objects.create(
        product=product, price=Decimal("24.00"), changed_at=now - timedelta(days=5)
    )
    Product.objects.filter(pk=product.pk).update(price=Decimal("24.00"))
    body = api_client.get(f"{BASE}/products/{product.pk}/reference-price/").json()
    assert body["show_was"] is True and body["reference_price"] == "30.00"
    assert body["current_price"] == "24.00" and body["source"] == "history"


def test_unknown_product_is_a_404(api_client, staff_client):
    assert api_client.get(f"{BASE}/products/999999/reference-price/").status_code == 404
    assert staff_client.get(f"{BASE}/products/999999/proposal/").status_code == 404


def test_proposal_queue_is_staff_only(api_client, shopper_client):
    assert api_client.get(f"{BASE}/proposals/").status_code in (401, 403)
    assert shopper_client.get(f"{BASE}/proposals/").status_code == 403


def test_proposal_queue_lists_pending_with_explanations(staff_client, django_assert_num_queries):
    PriceProposalFactory.create_batch(5)
    with django_assert_num_queries(2):  # count, page (product joined)
        res = staff_client.get(f"{BASE}/proposals/")
    assert res.status_code == 200
    row = res.json()["results"][0]
    assert {"elasticity_low", "elasticity_high", "profit_new", "bound_by", "change_pct"} <= set(row)


def test_decide_approves_and_reports_refusals(staff_client):
    a, b = PriceProposalFactory(), PriceProposalFactory()
    Product.objects.filter(pk=b.product_id).update(price=Decimal("1.23"))  # b went stale
    res = staff_client.post(
        f"{BASE}/proposals/decide/", {"ids": [a.pk, b.pk], "action": "approve"}, format="json"
    )
    assert res.status_code == 200
    assert res.json()["done"] == 1 and res.json()["refused"][0]["id"] == b.pk
    assert Product.objects.get(pk=a.product_id).price == a.proposed_price


def test_decide_bad_input_gets_field_messages(staff_client):
    res = staff_client.post(
        f"{BASE}/proposals/decide/", {"ids": [], "action": "maybe"}, format="json"
    )
    assert res.status_code == 400
    assert "ids" in res.json() and "action" in res.json()


def test_competitor_feed_json_partial_success(staff_client):
    ProductFactory(sku="SKU-A")
    rows = [
        {"sku": "SKU-A", "competitor": "ACME", "price": "9.99"},
        {"sku": "SKU-X", "competitor": "ACME", "price": "-1"},
    ]
    res = staff_client.post(f"{BASE}/competitor-prices/", {"rows": rows}, format="json")
    assert res.status_code == 201
    body = res.json()
    assert body["accepted"] == 1 and body["rejected"][0]["row"] == 2
    assert len(body["rejected"][0]["errors"]) == 2
    assert CompetitorPrice.objects.count() == 1


def test_competitor_feed_with_no_valid_row_is_a_400_and_stores_nothing(staff_client):
    res = staff_client.post(
        f"{BASE}/competitor-prices/",
        {"rows": [{"sku": "NOPE", "competitor": "A", "price": "1"}]},
        format="json",
    )
    assert res.status_code == 400 and res.json()["rejected"][0]["errors"] == ["unknown sku 'NOPE'"]
    assert CompetitorPrice.objects.count() == 0


def test_competitor_feed_csv_upload(staff_client):
    ProductFactory(sku="SKU-B")
    csv = b"sku,competitor,price,observed_at\nSKU-B,ACME,12.50,2025-06-01T10:00:00Z\nSKU-B,ACME,abc,\n"
    res = staff_client.post(
        f"{BASE}/competitor-prices/",
        {"file": SimpleUploadedFile("feed.csv", csv, "text/csv")},
        format="multipart",
    )
    assert res.status_code == 201
    assert res.json()["accepted"] == 1 and res.json()["rejected"][0]["row"] == 3


def test_competitor_feed_needs_rows_or_file(staff_client):
    res = staff_client.post(f"{BASE}/competitor-prices/", {}, format="json")
    assert res.status_code == 400 and "rows" in res.json()


def test_product_proposal_falls_back_without_a_model(staff_client):
    product = ProductFactory(price=Decimal("12.00"))
    body = staff_client.get(f"{BASE}/products/{product.pk}/proposal/").json()
    assert body["source"] == "fallback" and body["proposed_price"] == "12.00"


def test_elasticity_table_is_empty_without_a_model(staff_client):
    res = staff_client.get(f"{BASE}/elasticities/")
    assert res.status_code == 200 and res.json()["count"] == 0


def test_admin_queue_bulk_approve_and_elasticity_chart(client):
    from pricing.models import ElasticityEstimate
    from tests.factories import UserFactory
    from tests.pricing.factories import make_sales

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    proposal = PriceProposalFactory()
    res = client.get("/admin/pricing/priceproposal/")
    assert res.status_code == 200 and proposal.product.sku in res.content.decode()
    res = client.post(
        "/admin/pricing/priceproposal/",
        {"action": "approve_selected", "_selected_action": [proposal.pk]},
    )
    assert res.status_code == 302
    assert Product.objects.get(pk=proposal.product_id).price == proposal.proposed_price
    product = ProductFactory()
    make_sales(product, elasticity=-2.0, days=40)
    est = ElasticityEstimate.objects.create(
        product=product,
        elasticity=-2.0,
        elasticity_low=-2.5,
        elasticity_high=-1.5,
        pooled=False,
        source="own+global",
        model_version="pricing-v1",
    )
    res = client.get(f"/admin/pricing/elasticityestimate/{est.pk}/change/")
    assert res.status_code == 200 and "<svg" in res.content.decode()


def test_proposal_change_pct_is_a_number_rounded_to_a_tenth(staff_client):
    # 21.99 -> 22.99 is +4.547521600727603...%: the queue showed all those digits
    product = ProductFactory(price=Decimal("21.99"))
    PriceProposalFactory(product=product, proposed_price=Decimal("22.99"))
    down = ProductFactory(price=Decimal("30.00"))
    PriceProposalFactory(product=down, proposed_price=Decimal("28.55"))  # -4.8333...%
    rows = {r["product_id"]: r for r in staff_client.get(f"{BASE}/proposals/").json()["results"]}
    assert rows[product.pk]["change_pct"] == 4.5
    assert rows[down.pk]["change_pct"] == -4.8


def test_schema_documents_change_pct_as_a_number(staff_client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    field = schema["components"]["schemas"]["ProposalOutput"]["properties"]["change_pct"]
    assert field["type"] == "number" and "0.1" in field["description"]
