"""A visitor on a phone (375 px) asks to be e-mailed when a sold-out product is back: the form
fits the screen, a bad address is flagged at the field, and a good one puts them on the list."""

from typing import Any

import pytest

from catalog.models import StockAlert
from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page
from tests.factories import ProductFactory

pytestmark = BROWSER_MARKS


@pytest.fixture
def phone(live_server) -> Any:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=375, height=812, timeout_ms=10_000) as pg:
        yield pg


def test_visitor_subscribes_to_a_sold_out_product_on_a_phone(phone, transactional_db) -> None:  # type: ignore[no-untyped-def]
    product = ProductFactory(name="Stoneware Mug with a rather long name", with_stock=0)
    phone.goto(f"{phone.base}/p/{product.pk}/{product.slug}/")

    form = phone.locator("[data-stock-alert-form]")
    assert phone.get_by_test_id("add-to-cart").count() == 0
    # nothing wider than the phone: no sideways scrolling, field and button on screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    for part in (form.locator("input[name=email]"), phone.get_by_test_id("stock-alert-submit")):
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        assert box["height"] >= 36  # a thumb-sized target

    form.screenshot(path=str(SHOTS / "stock-alert-phone-form.png"))
    form.locator("input[name=email]").fill("ann@example")
    phone.get_by_test_id("stock-alert-submit").click()
    error = phone.locator("#err-email")
    error.wait_for()
    assert "valid e-mail address" in error.inner_text()
    assert not StockAlert.objects.exists()

    form.locator("input[name=email]").fill("ann@example.com")
    phone.get_by_test_id("stock-alert-submit").click()
    done = phone.get_by_test_id("stock-alert-done")
    done.wait_for()
    assert "You're on the list" in done.inner_text()
    assert form.is_hidden()
    assert StockAlert.objects.get().email == "ann@example.com"
    phone.screenshot(path=str(SHOTS / "stock-alert-phone.png"), full_page=True)
