"""The cart page's discount code field in headless Chromium: a wrong code says why, a good
one adds the discount line and brings back the delivery fee below the free-delivery
threshold, and Remove takes it off again."""

from decimal import Decimal

import pytest

from orders.models import Voucher
from tests.browser_support import BROWSER_MARKS, SHOTS
from tests.factories import ProductFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def lamp(transactional_db) -> object:  # type: ignore[no-untyped-def]
    Voucher.objects.create(code="TEN", kind=Voucher.Kind.PERCENTAGE, value=Decimal("10"))
    return ProductFactory(name="Desk Lamp", price=Decimal("55.00"), list_price=Decimal("55.00"))


def test_shopper_applies_and_removes_a_discount_code(page, lamp) -> None:  # type: ignore[no-untyped-def]
    base = page.base
    page.goto(base + "/")
    added = page.request.post(
        base + "/api/v1/cart/lines/", data={"product_id": lamp.pk, "quantity": 1}
    )
    assert added.status == 201
    page.goto(base + "/cart/")
    summary = page.locator("[data-cart-summary]")
    summary.locator("[data-total]").filter(has_text="55.00").wait_for()
    assert summary.locator("[data-shipping]").inner_text() == "Free"

    field = page.get_by_label("Discount code")
    field.fill("NOSUCH")
    page.get_by_test_id("voucher-apply").click()
    error = page.locator("[data-voucher-error]")
    error.wait_for()
    assert "does not exist" in error.inner_text()
    assert field.get_attribute("aria-invalid") == "true"

    field.fill("ten")
    page.get_by_test_id("voucher-apply").click()
    summary.locator("[data-discount]").wait_for()
    assert error.is_hidden()
    assert "TEN" in summary.locator("[data-discount-row]").inner_text()
    assert "5.50" in summary.locator("[data-discount]").inner_text()
    assert "4.95" in summary.locator("[data-shipping]").inner_text()  # goods now 49.50
    assert "54.45" in summary.locator("[data-total]").inner_text()
    # 0.50 more would make 55.50, which 10 % off counts as 49.95: checkout needs 0.56
    assert "0.56 more for free delivery" in summary.locator("[data-free-hint]").inner_text()
    page.screenshot(path=str(SHOTS / "cart-voucher.png"), full_page=True)

    page.locator("[data-voucher-remove]").click()
    summary.locator("[data-total]").filter(has_text="55.00").wait_for()
    assert summary.locator("[data-discount]").is_hidden()
    assert page.locator("[data-voucher-applied]").is_hidden()
