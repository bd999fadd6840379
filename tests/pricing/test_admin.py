"""The price proposal queue as a merchant reads it."""

from decimal import Decimal

import pytest

from tests.factories import ProductFactory
from tests.pricing.factories import PriceProposalFactory

pytestmark = pytest.mark.django_db


def test_proposal_queue_shows_prices_and_profit_as_money_and_guardrails_in_words(
    admin_client,
) -> None:  # type: ignore[no-untyped-def]
    PriceProposalFactory(
        product=ProductFactory(price=Decimal("1027.99")),
        current_price=Decimal("1027.99"),
        proposed_price=Decimal("1130.78"),
        profit_current=Decimal("1.08"),
        profit_new=Decimal("1.10"),
        bound_by="max_change,min_margin",
    )
    page = admin_client.get("/admin/pricing/priceproposal/").content.decode()
    assert "£1,027.99 → £1,130.78 (+10.0%)" in page
    assert "£1.08 → £1.10" in page
    assert "maximum change, minimum margin" in page
    assert "max_change" not in page.split('id="result_list"')[1]
    # one column per question, not eleven bare decimals
    assert "Profit current" not in page and "Proposed price" not in page
