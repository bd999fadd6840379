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


def test_abandoned_carts_offer_nudges_only_to_customers_who_may_be_emailed(admin_client) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(price=Decimal("100.00"), cost=Decimal("40.00"))
    keen = {"segment": "champions", "recency_days": 2, "churn_risk": 0.1, "propensity_7d": 0.9}
    ok = CustomerFactory(marketing_consent=True)
    silent = CustomerFactory(marketing_consent=False)
    for c in (ok, silent):
        CustomerScore.objects.create(customer=c, **keen)
    _abandoned(ok, product)
    _abandoned(silent, product, qty=3)  # the more valuable cart, yet nobody to write to

    page = admin_client.get("/admin/insights/customerscore/abandoned-carts/").content.decode()

    headline = page.split('data-testid="carts-headline">', 1)[1].split("</p>", 1)[0]
    assert "1 cart can be sent a recovery e-mail (£100.00)" in headline
    assert "1 other can't be contacted" in headline
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr")[1:]
    assert 'data-contactable="yes"' in rows[0] and "Reminder e-mail" in rows[0]
    assert 'data-contactable="no"' in rows[1] and "Reminder e-mail" not in rows[1]
    assert "Can't be contacted: no marketing consent" in rows[1]


def test_customer_ids_link_to_the_customer_admin_page(admin_client) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(marketing_consent=True)
    CustomerScore.objects.create(
        customer=customer,
        segment="at_risk",
        recency_days=90,
        frequency=3,
        churn_risk=0.8,
        propensity_7d=0.2,
    )
    _abandoned(customer, ProductFactory())
    href = f'<a href="/admin/customers/customer/{customer.pk}/change/">#{customer.pk}</a>'
    name = f'<span class="mls-muted">{customer.user.username}</span>'

    carts = admin_client.get("/admin/insights/customerscore/abandoned-carts/").content.decode()
    overview = admin_client.get("/admin/insights/customerscore/overview/").content.decode()

    assert f"{href} {name}" in carts
    assert overview.count(f"{href} {name}") == 2  # churn risk and propensity tables
