"""Delivery methods on a small phone (375 px) in headless Chromium: the cart lists them as
radios with price and arrival dates, choosing Express updates the total, checkout lists the
methods for the address's country, and the order page names the method and the window."""

from decimal import Decimal
from typing import Any

import pytest

from orders.models import ShippingMethod
from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page
from tests.factories import ProductFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def teapot(transactional_db) -> Any:  # type: ignore[no-untyped-def]
    ShippingMethod.objects.all().delete()  # the migration's rows, if a flush left them
    ShippingMethod.objects.create(
        name="Standard delivery",
        price=Decimal("4.95"),
        free_from=Decimal("50.00"),
        min_days=2,
        max_days=4,
        position=0,
    )
    ShippingMethod.objects.create(
        name="Express delivery", price=Decimal("9.95"), min_days=1, max_days=2, position=1
    )
    ShippingMethod.objects.create(
        name="Dublin courier", price=Decimal("3.00"), countries=["IE"], position=2
    )
    return ProductFactory(name="Teapot", price=Decimal("30.00"), with_stock=10)


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px phone"


def test_shopper_chooses_a_delivery_method_on_a_phone(live_server, teapot) -> None:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=375, height=812, timeout_ms=10_000) as page:
        base = page.base
        page.goto(base + "/")
        added = page.request.post(
            base + "/api/v1/cart/lines/", data={"product_id": teapot.pk, "quantity": 1}
        )
        assert added.status == 201
        page.goto(base + "/cart/")
        summary = page.locator("[data-cart-summary]")
        summary.locator("[data-total]").filter(has_text="34.95").wait_for()
        methods = summary.get_by_test_id("shipping-methods")
        standard = methods.get_by_label("Standard delivery")
        assert standard.is_checked()
        express_row = methods.locator("label", has_text="Express delivery")
        assert "£9.95" in express_row.inner_text()
        assert "Arrives " in express_row.inner_text()
        _fits(page)
        page.screenshot(path=str(SHOTS / "cart-shipping-methods-375.png"), full_page=True)

        methods.get_by_label("Express delivery").check()
        summary.locator("[data-total]").filter(has_text="39.95").wait_for()
        assert "9.95" in summary.locator("[data-shipping]").inner_text()
        assert summary.locator("[data-free-hint]").inner_text() == ""  # never free

        page.goto(base + "/checkout/")
        form = page.locator("[data-checkout-form]")
        choice = form.get_by_test_id("shipping-methods")
        choice.get_by_label("Express delivery").wait_for()
        assert choice.get_by_label("Express delivery").is_checked()  # the cart's choice
        assert choice.locator("label", has_text="Dublin courier").count() == 0  # GB address
        _fits(page)
        choice.get_by_label("Standard delivery").check()
        page.locator("aside [data-total]").filter(has_text="34.95").wait_for()
        page.screenshot(path=str(SHOTS / "checkout-shipping-methods-375.png"), full_page=True)

        form.get_by_label("E-mail").fill("ada@example.com")
        form.get_by_label("Full name").fill("Ada Shopper")
        form.get_by_label("Address line 1").fill("1 High Street")
        form.get_by_label("Town or city").fill("London")
        form.get_by_label("Postcode").fill("N1 1AA")
        form.get_by_label("Card number").fill("4242 4242 4242 4242")
        form.get_by_label("Expiry (MM/YY)").fill("12/30")
        form.get_by_label("CVC").fill("123")
        page.get_by_test_id("place-order").click()
        page.wait_for_url("**/order/**")
        assert "Standard delivery" in page.get_by_test_id("order-shipping-method").inner_text()
        window = page.get_by_test_id("order-delivery-window").inner_text()
        assert window.startswith("Expected delivery: ")
        _fits(page)
