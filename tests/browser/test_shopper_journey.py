"""A shopper's journey in headless Debian Chromium against a live server.

Browse a category, search with a typo, open a product, add to cart, log in (the cart
merges), check out, see the order in the account; a sold-out product says so. A screenshot
of every page lands in test-artifacts/screenshots/.
"""

from decimal import Decimal

import pytest

from customers.services import customer_register
from tests.browser_support import BROWSER_MARKS, SHOTS, shopper_login
from tests.factories import BrandFactory, CategoryFactory, ProductFactory

PASSWORD = "a-long-pass-phrase"

pytestmark = BROWSER_MARKS


@pytest.fixture
def store(transactional_db) -> dict[str, object]:  # type: ignore[no-untyped-def]
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor", position=0)
    jackets = CategoryFactory(name="Jackets", slug="jackets", parent=outdoor)
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", position=1)
    fjell = BrandFactory(name="Fjell")
    money = {"price": Decimal("79.00"), "list_price": Decimal("79.00")}
    rain = ProductFactory(
        name="Rain Jacket",
        slug="rain-jacket",
        category=jackets,
        brand=fjell,
        popularity=8,
        description="Taped seams and a hood that stays put.",
        **money,
    )
    ProductFactory(name="Down Jacket", slug="down-jacket", category=jackets, popularity=5, **money)
    sold_out = ProductFactory(
        name="Shell Jacket", slug="shell-jacket", category=jackets, with_stock=0, **money
    )
    ProductFactory(name="Stoneware Mug", slug="stoneware-mug", category=kitchen, popularity=9)
    customer_register(email="ada@example.com", password=PASSWORD, first_name="Ada")
    return {"outdoor": outdoor, "rain": rain, "sold_out": sold_out}


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays on top of the shot
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_shopper_finds_buys_and_sees_the_order(page, store) -> None:  # type: ignore[no-untyped-def]
    base = page.base
    page.goto(base + "/")
    assert page.get_by_role("heading", name="Trending this week").is_visible()
    shot(page, "01-home")

    # Browse a category from the menu.
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Outdoor").click()
    page.wait_for_url("**/c/*/outdoor/")
    assert page.get_by_test_id("result-count").inner_text() == "3 products"
    shot(page, "02-category")

    # Search with a typo: autocomplete suggests, results are corrected.
    search = page.get_by_role("combobox", name="Search products")
    search.fill("jackte")
    page.locator("#search-suggestions li").first.wait_for()
    shot(page, "03-autocomplete")
    search.press("Enter")
    page.wait_for_url("**/search/?q=jackte")
    assert "jacket" in page.get_by_test_id("corrected").inner_text()
    shot(page, "04-search")

    # Open the product and add it to the cart.
    page.get_by_role("link", name="Rain Jacket").first.click()
    page.wait_for_url("**/p/*/rain-jacket/?q=jackte")
    assert page.get_by_test_id("stock-status").inner_text().startswith("In stock")
    page.get_by_test_id("add-to-cart").click()
    page.locator("[data-cart-count]").filter(has_text="1").wait_for()
    page.locator("[data-widget=similar] .card").first.wait_for()  # popular fallback at least
    shot(page, "05-product")

    # A sold-out product says so and offers no buy button.
    page.goto(f"{base}/p/{store['sold_out'].pk}/shell-jacket/")
    assert "Sold out" in page.get_by_test_id("sold-out").inner_text()
    assert page.get_by_test_id("add-to-cart").count() == 0
    shot(page, "06-sold-out")

    page.goto(base + "/cart/")
    page.locator(".cart-line").first.wait_for()
    assert "Rain Jacket" in page.locator("[data-cart-lines]").inner_text()
    assert page.get_by_test_id("cart-vat").inner_text().startswith("£")  # prices include VAT
    shot(page, "07-cart")

    # Log in: the anonymous cart comes along.
    page.goto(base + "/account/login/?next=/cart/")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "08-login")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/cart/")
    page.locator(".cart-line").first.wait_for()
    assert "Rain Jacket" in page.locator("[data-cart-lines]").inner_text()
    assert page.locator("[data-cart-count]").inner_text() == "1"

    # Check out with an address and the simulated card.
    page.get_by_test_id("go-checkout").click()
    page.wait_for_url("**/checkout/")
    page.locator("[data-checkout-lines] li").first.wait_for()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address line 1").fill("1 High Street")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("N1 1AA")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVC").fill("123")
    shot(page, "09-checkout")
    page.get_by_test_id("place-order").click()
    page.wait_for_url("**/order/*/")
    outcome = page.get_by_test_id("order-outcome")
    assert outcome.get_attribute("data-outcome") in ("confirmed", "under_review")
    number = outcome.get_attribute("data-number")
    shot(page, "10-confirmation")
    if outcome.get_attribute("data-outcome") == "confirmed":  # paid: the VAT invoice is there
        page.get_by_test_id("order-invoices").get_by_role("link").first.click()
        page.wait_for_url(f"**/order/{number}/invoice/INV-*/")
        invoice = page.get_by_test_id("invoice")
        assert "Ada Lovelace" in invoice.inner_text()
        assert page.get_by_test_id("invoice-vat").inner_text().startswith("£")
        assert page.get_by_role("button", name="Print or save as PDF").is_visible()
        shot(page, "10b-invoice")

    page.goto(base + "/account/")
    assert number in page.get_by_test_id("orders").inner_text()
    shot(page, "11-account")


def test_help_form_suggests_answers_and_opens_a_ticket(page, store) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/help/")
    page.get_by_label("E-mail").fill("guest@example.com")
    page.get_by_label("Subject").fill("Late parcel")
    page.get_by_label("Your message").fill("Where is my order? It has not arrived yet")
    suggestions = page.locator("[data-help-suggestions]")
    suggestions.locator("li").first.wait_for()
    shot(page, "12-help")
    page.get_by_role("button", name="Send message").click()
    created = page.get_by_test_id("ticket-created")
    created.wait_for()
    assert "status:" in created.inner_text()
    shot(page, "13-help-sent")


def test_signed_in_shopper_sees_ticket_status_in_shopper_words(page, store) -> None:  # type: ignore[no-untyped-def]
    # The help desk's internal status ("triaged" once routed) is not a word for shoppers.
    shopper_login(page, email="ada@example.com", password=PASSWORD)
    page.goto(page.base + "/help/")
    page.get_by_label("Subject").fill("Refund please")
    page.get_by_label("Your message").fill("I would like my money back for the broken mug")
    page.get_by_role("button", name="Send message").click()
    created = page.get_by_test_id("ticket-created")
    created.wait_for()
    assert "status: received" in created.inner_text()
    tickets = page.locator("[data-tickets] li")
    tickets.first.wait_for()
    listed = tickets.first.inner_text()
    assert "Refund please" in listed and "received" in listed
    assert "triaged" not in page.locator("main").inner_text()
    shot(page, "14-help-signed-in")
