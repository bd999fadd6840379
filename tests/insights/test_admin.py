"""Customer intelligence pages as a merchant reads them."""

from decimal import Decimal

import pytest

from insights.models import CustomerScore
from tests.factories import CustomerFactory, ProductFactory
from tests.insights.test_services import _abandoned

pytestmark = pytest.mark.django_db


def test_segments_read_as_words_with_revenue_as_money(admin_client) -> None:  # type: ignore[no-untyped-def]
    CustomerScore.objects.create(
        customer=CustomerFactory(),
        segment="potential_loyalist",
        recency_days=20,
        churn_risk=0.3,
        propensity_7d=0.3,
    )
    page = admin_client.get("/admin/insights/customerscore/overview/").content.decode()
    row = page.split("<td>Potential loyalist</td>", 1)[1].split("</tr>", 1)[0]
    assert "<td>£0.00</td>" in row  # not a bare 0.00 beside the risk scores


def test_abandoned_cart_value_reads_as_money(admin_client) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(marketing_consent=True)
    _abandoned(customer, ProductFactory(price=Decimal("600.00"), cost=Decimal("300.00")), qty=2)
    page = admin_client.get("/admin/insights/customerscore/abandoned-carts/").content.decode()
    assert "<td>£1,200.00</td>" in page and "<td>1200.00</td>" not in page
