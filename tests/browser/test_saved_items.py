"""A shopper on a phone (375 px) saves a product with the heart, finds it under "Saved items"
in their account (price now and when saved, add to cart, remove), all without sideways
scrolling."""

from decimal import Decimal
from typing import Any

import pytest

from customers.models import WishlistItem
from customers.services import customer_register
from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page, shopper_login
from tests.factories import ProductFactory

pytestmark = BROWSER_MARKS

PASSWORD = "a-long-pass-phrase"


@pytest.fixture
def phone(live_server) -> Any:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=375, height=812, timeout_ms=10_000) as pg:
        yield pg


def fits(page: Any, locator: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert box["height"] >= 36  # a thumb-sized target


def test_shopper_saves_then_removes_a_product_on_a_phone(phone, transactional_db) -> None:  # type: ignore[no-untyped-def]
    customer_register(email="ada@example.com", password=PASSWORD, first_name="Ada")
    product = ProductFactory(
        name="Stoneware Mug with a rather long name", price=Decimal("20.00"), with_stock=3
    )
    shopper_login(phone, email="ada@example.com", password=PASSWORD)

    phone.goto(f"{phone.base}/p/{product.pk}/{product.slug}/")
    heart = phone.get_by_test_id("save-toggle")
    fits(phone, heart)
    assert heart.get_attribute("aria-pressed") == "false"
    heart.click()
    phone.wait_for_function(
        "document.querySelector('[data-save-toggle]').getAttribute('aria-pressed') === 'true'"
    )
    assert "Saved" in heart.inner_text()
    assert WishlistItem.objects.get().price_when_added == Decimal("20.00")

    phone.goto(f"{phone.base}/account/")
    saved = phone.get_by_test_id("saved-items")
    assert "£20.00 when you saved it" in saved.inner_text() and "Only 3 left" in saved.inner_text()
    for button in (
        saved.get_by_role("button", name="Add"),
        saved.get_by_role("button", name="Remove"),
    ):
        fits(phone, button)
    saved.screenshot(path=str(SHOTS / "saved-items-phone.png"))

    saved.get_by_role("button", name="Remove").click()
    phone.locator("[data-saved-empty]").wait_for()
    assert phone.get_by_test_id("saved-items").count() == 0
    assert not WishlistItem.objects.exists()
