"""A signed-in shopper saves a product from its card on a category page with the heart, sees
it still filled after a reload, and un-saves it again; a visitor's heart goes to sign in."""

from typing import Any

from customers.models import WishlistItem
from customers.services import customer_register
from tests.browser_support import BROWSER_MARKS, shopper_login
from tests.factories import CategoryFactory, ProductFactory

pytestmark = BROWSER_MARKS

PASSWORD = "a-long-pass-phrase"


def _pressed(page: Any, pk: int, value: str) -> None:
    page.wait_for_function(
        f"document.querySelector('[data-save-toggle=\"{pk}\"]').getAttribute('aria-pressed')"
        f" === '{value}'"
    )


def test_shopper_saves_and_unsaves_from_a_product_card(page, transactional_db) -> None:  # type: ignore[no-untyped-def]
    customer = customer_register(email="ada@example.com", password=PASSWORD, first_name="Ada")
    category = CategoryFactory(name="Mugs", slug="mugs")
    mug = ProductFactory(category=category, name="Blue mug")
    ProductFactory(category=category, name="Red mug")

    page.goto(f"{page.base}/c/{category.pk}/mugs/")
    page.get_by_role("link", name="Sign in to save Blue mug").click()
    page.wait_for_url("**/account/login/**")
    assert f"next=/c/{category.pk}/mugs/" in page.url

    shopper_login(page, email="ada@example.com", password=PASSWORD)
    page.goto(f"{page.base}/c/{category.pk}/mugs/")
    page.get_by_role("button", name="Save Blue mug").click()
    _pressed(page, mug.pk, "true")
    assert list(WishlistItem.objects.values_list("customer_id", "product_id")) == [
        (customer.pk, mug.pk)
    ]

    page.reload()
    heart = page.get_by_role("button", name="Save Blue mug")
    assert heart.get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="Save Red mug").get_attribute("aria-pressed") == "false"
    heart.click()
    _pressed(page, mug.pk, "false")
    assert not WishlistItem.objects.exists()
