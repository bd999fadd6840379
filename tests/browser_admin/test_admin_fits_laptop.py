"""The merchant's main admin lists and the ML pages fit a 1280 x 800 laptop screen: nothing
runs off to the right of the page (the reorder and ticket lists did, inside their table box)."""

from collections.abc import Iterator
from datetime import date

import pytest
from django.utils import timezone

from forecasting.models import ReorderSuggestion
from support import services as support
from support.models import Queue, Ticket
from tests.browser_admin.test_merchant_admin import PASSWORD, store  # noqa: F401  (fixture)
from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page
from tests.factories import ProductFactory
from tests.pricing.factories import PriceProposalFactory

pytestmark = BROWSER_MARKS

LISTS = [
    "/admin/catalog/product/",
    "/admin/orders/order/",
    "/admin/forecasting/reordersuggestion/",
    "/admin/support/ticket/?state=all",
    "/admin/pricing/priceproposal/",
    "/admin/fraud/reviewqueueitem/",
]
ML_PAGES = [
    "/admin/mlops/modelversion/dashboard/",
    "/admin/mlops/modelversion/ops/",
    "/admin/mlops/modelversion/monitoring/",
    "/admin/mlops/modelversion/experiments/",
    "/admin/insights/customerscore/overview/",
    "/admin/insights/customerscore/abandoned-carts/",
    "/admin/recommendations/recommendationlist/",
]
# lists whose own table box must not scroll sideways either (fixed in their admin)
WHOLE_TABLE_VISIBLE = {
    "/admin/forecasting/reordersuggestion/",
    "/admin/support/ticket/?state=all",
    "/admin/pricing/priceproposal/",
}


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=1280, height=800, timeout_ms=30_000) as pg:
        yield pg


@pytest.fixture
def wide_rows(store):  # type: ignore[no-untyped-def]  # noqa: F811
    """Rows with the long values that used to push the lists wide."""
    product = ProductFactory(name="Juniper Lane Heritage Organic Grow Bag, extra large, 2 bags")
    ReorderSuggestion.objects.create(
        product=product,
        on_hand=0,
        lead_time_days=14,
        service_level=0.95,
        lead_time_demand=8.12,
        safety_stock=3.2,
        reorder_point=11.3,
        order_quantity=16,
        stockout_risk=1.0,
        projected_stockout_date=date(2026, 12, 5),
        model_version="forecasting-v1",
    )
    for n in range(3):
        PriceProposalFactory(
            product=ProductFactory(
                name=f"Zephyr Hydrating Moisturiser with Rosehip, 100 ml, set {n}"
            ),
            bound_by="max_change,min_margin",
        )
    queue = Queue.objects.get_or_create(slug="returns", defaults={"name": "Returns & refunds"})[0]
    for n in range(3):
        ticket = support.ticket_create(
            body=f"Het product was kapot, ik wil mijn geld terug voor 2512-F97{n}",
            email="a@b.io",
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            queue=queue,
            intent="change_shipping_address",
            intent_confidence=0.87,
            sentiment="negative",
            sentiment_confidence=0.41,
            language="nl",
            escalated=True,
            wants_human=True,
            auto_replied=True,
            assignee=store,
            first_response_at=timezone.now(),
        )
    return store


def test_admin_lists_and_ml_pages_fit_a_1280_px_screen(page, wide_rows) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base}/admin/login/")
    page.fill("#id_username", "merchant")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#mlstore-home")

    too_wide = {}
    for path in LISTS + ML_PAGES:
        response = page.goto(f"{page.base}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        doc = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if doc[0] > doc[1]:
            too_wide[path] = f"page {doc[0]} px in {doc[1]} px"
        if path in WHOLE_TABLE_VISIBLE:
            box = page.evaluate(
                "(() => { const r = document.querySelector('#changelist .results');"
                " return [r.scrollWidth, r.clientWidth]; })()"
            )
            if box[0] > box[1]:
                too_wide[path] = f"table {box[0]} px in {box[1]} px"
            name = path.strip("/").split("/")[1]
            page.screenshot(path=str(SHOTS / f"admin-1280-{name}.png"))
    assert too_wide == {}
