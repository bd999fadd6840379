"""Layout and script behaviour a shopper sees on a desktop (1280x900) and a phone (390x844):
rows without orphans, nothing wider than the phone, recommendation rows that do not repeat
each other, and checkout and sign-up errors that say what to fix."""

import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from customers.services import customer_register
from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page, shopper_login
from tests.factories import CategoryFactory, ProductFactory

PASSWORD = "a-long-pass-phrase"

pytestmark = BROWSER_MARKS


@pytest.fixture
def store(transactional_db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    cats = [CategoryFactory(name=f"Aisle {n}", slug=f"aisle-{n}", position=n) for n in range(8)]
    products = [
        ProductFactory(
            name=f"Stoneware Mug {n}",
            category=cats[n % 8],
            popularity=100 - n,
            price=Decimal("12.00"),
            list_price=Decimal("12.00"),
        )
        for n in range(20)
    ]
    customer_register(email="ada@example.com", password=PASSWORD, first_name="Ada")
    return {"products": products}


@pytest.fixture
def phone(live_server) -> Any:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=390, height=844, timeout_ms=10_000) as pg:
        yield pg


def _per_row(page: Any, selector: str) -> list[int]:
    """How many boxes sit on each row (boxes grouped by their top edge)."""
    tops = page.eval_on_selector_all(
        selector, "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    return [n for _, n in sorted(Counter(tops).items())]


def test_home_rows_are_full_on_desktop(page, store) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/")
    # eight trending cards and eight category tiles: two full rows each, no row of three
    assert _per_row(page, "[data-testid=trending] .card") == [4, 4]
    assert _per_row(page, ".cat-tiles li") == [4, 4]
    page.screenshot(path=str(SHOTS / "layout-home-desktop.png"), full_page=True)


def test_home_on_a_phone_shows_products_sooner(phone, store) -> None:  # type: ignore[no-untyped-def]
    phone.goto(phone.base + "/")
    # on a phone the categories sit two by two instead of eight screen-wide tiles
    assert set(_per_row(phone, ".cat-tiles li")) == {2}
    assert set(_per_row(phone, "[data-testid=trending] .card")) == {2}
    # the header scrolls away, and its links share the logo's row: three rows stood fixed
    # over a quarter of the screen (205 px)
    header = phone.locator(".site-header").bounding_box()
    assert header["height"] < 160
    logo, links = (
        phone.locator(".logo").bounding_box(),
        phone.locator(".header-actions").bounding_box(),
    )
    assert abs(logo["y"] - links["y"]) < logo["height"]

    # a category listing is two across too (its tablet rule of three once won on phones)
    phone.goto(f"{phone.base}/c/{store['products'][0].category_id}/")
    assert set(_per_row(phone, "[data-testid=product-grid] .card")) <= {1, 2}
    assert _per_row(phone, "[data-testid=product-grid] .card")[0] == 2
    assert phone.eval_on_selector(".site-header", "e => getComputedStyle(e).position") == "static"


def test_account_page_fits_a_phone_screen(phone, store) -> None:  # type: ignore[no-untyped-def]
    shopper_login(phone, email="ada@example.com", password=PASSWORD)
    phone.request.post(
        phone.base + "/api/v1/cart/lines/",
        data=json.dumps({"product_id": store["products"][0].pk}),
        headers={"Content-Type": "application/json", "X-CSRFToken": _csrf(phone)},
    )
    response = phone.request.post(
        phone.base + "/api/v1/checkout/",
        data=json.dumps(
            {
                "email": "ada@example.com",
                "shipping_address": {
                    "full_name": "Ada",
                    "line1": "1 High Street",
                    "city": "London",
                    "postal_code": "N1 1AA",
                    "country": "GB",
                },
                "card_number": "4242424242424242",
            }
        ),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": _csrf(phone),
            "Idempotency-Key": "phone-1",
        },
    )
    assert response.status == 201
    phone.goto(phone.base + "/account/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways page
    total = phone.get_by_test_id("orders").locator("td.num").first.bounding_box()
    assert total["x"] + total["width"] <= 390  # the order total is on screen
    number = phone.get_by_test_id("orders").locator("a.order-no").first.bounding_box()
    assert number["height"] < 30  # the order number on one line, not broken at its dash
    phone.screenshot(path=str(SHOTS / "layout-account-phone.png"), full_page=True)


def _csrf(page: Any) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_similar_items_leave_out_what_bought_together_shows(page, store) -> None:  # type: ignore[no-untyped-def]
    products = store["products"]
    product = products[0]
    together = [p.pk for p in products[1:5]]
    similar = [p.pk for p in products[2:10]]  # shares three products with the row above

    def answer(ids: list[int]):  # type: ignore[no-untyped-def]
        items = [{"product_id": pk, "source": "item_knn"} for pk in ids]
        return lambda route: route.fulfill(
            json={"slot": "x", "variant": "", "items": items}, status=200
        )

    page.route(f"**/api/v1/recommendations/bought-together/{product.pk}/", answer(together))
    page.route(f"**/api/v1/recommendations/similar/{product.pk}/", answer(similar))
    page.goto(f"{page.base}/p/{product.pk}/")
    page.locator("[data-widget=similar] .card").first.wait_for()
    ids = "els => els.map(e => Number(e.dataset.recProduct))"
    shown_together = page.eval_on_selector_all(
        "[data-widget=bought-together] a[data-rec-product]", ids
    )
    shown_similar = page.eval_on_selector_all("[data-widget=similar] a[data-rec-product]", ids)
    assert shown_together == together
    assert not set(shown_similar) & set(shown_together)
    assert shown_similar == [pk for pk in similar if pk not in together][:4]


def test_checkout_marks_every_missing_field_and_says_what_to_fix(page, store) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{page.base}/p/{store['products'][0].pk}/")
    page.get_by_test_id("add-to-cart").click()
    page.locator("[data-cart-count]").filter(has_text="1").wait_for()
    page.goto(page.base + "/checkout/")
    page.locator("[data-checkout-lines] li").first.wait_for()

    page.get_by_test_id("place-order").click()
    for label in ("E-mail", "Full name", "Address line 1", "Town or city", "Postcode",
                  "Card number", "Expiry (MM/YY)", "CVC"):  # fmt: skip
        field = page.get_by_label(label, exact=True)
        assert field.get_attribute("aria-invalid") == "true", label
        message = page.locator("#" + field.get_attribute("aria-describedby").split()[-1])
        assert message.is_visible() and message.inner_text().startswith(("Enter", "Choose"))
    assert page.get_by_label("Address line 2").get_attribute("aria-invalid") is None
    assert page.evaluate("document.activeElement.name") == "email"  # first one focused
    assert "8 fields" in page.locator("[data-form-error]").inner_text()
    page.screenshot(path=str(SHOTS / "layout-checkout-errors.png"), full_page=True)

    # typing a valid value clears that field's message
    page.get_by_label("E-mail", exact=True).fill("ada@example.com")
    assert page.get_by_label("E-mail", exact=True).get_attribute("aria-invalid") is None

    # a field the server refuses is marked too, in words, not "Invalid input."
    page.route(
        "**/api/v1/checkout/",
        lambda route: route.fulfill(
            status=400,
            json={
                "detail": "Invalid input.",
                "code": "invalid",
                "card_expiry": ["This value does not match the required pattern."],
            },
        ),
    )
    for label, value in (("Full name", "Ada"), ("Address line 1", "1 High St"),
                         ("Town or city", "London"), ("Postcode", "N1 1AA"),
                         ("Card number", "4242 4242 4242 4242"), ("Expiry (MM/YY)", "12/30"),
                         ("CVC", "123")):  # fmt: skip
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_test_id("place-order").click()
    expiry = page.get_by_label("Expiry (MM/YY)")
    page.wait_for_function("document.querySelector('[name=card_expiry]').ariaInvalid === 'true'")
    assert "MM/YY" in page.locator("#err-card_expiry").inner_text()
    assert expiry.evaluate("e => e === document.activeElement")
    assert "Invalid input" not in page.locator("main").inner_text()


def test_sign_up_error_names_the_problem_not_invalid_input(page, store) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/account/register/")
    form = page.locator("form[data-auth-form]")
    form.get_by_label("E-mail").fill("ada@localdomain")  # the browser lets it through
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    error = form.locator(".form-error")
    error.wait_for()
    assert "valid email" in error.inner_text().lower()
    assert "Invalid input" not in error.inner_text()

    page.goto(page.base + "/account/login/")
    page.locator("form[data-auth-form] input[name=email]").fill("ada@example.com")
    page.locator("form[data-auth-form] input[name=password]").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    error = page.locator("form[data-auth-form] .form-error")
    error.wait_for()
    assert error.inner_text().startswith("E-mail or password")  # a sentence, capitalised


def test_cart_lines_are_tidy_on_a_small_phone(live_server, store) -> None:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=375, height=812, timeout_ms=10_000) as small:
        small.goto(small.base + "/")
        long = ProductFactory(
            name="Kinross Brushed Cotton Duvet Cover with Extra-Long Name, Super King, Forest",
            price=Decimal("149.00"),
        )
        for product in (store["products"][0], long):
            small.request.post(
                small.base + "/api/v1/cart/lines/",
                data=json.dumps({"product_id": product.pk, "quantity": 2}),
                headers={"Content-Type": "application/json", "X-CSRFToken": _csrf(small)},
            )
        small.goto(small.base + "/cart/")
        small.locator(".cart-line").nth(1).wait_for()
        assert small.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways page
        for line in small.locator(".cart-line").all():
            box = line.bounding_box()
            name = line.locator(".cart-line-info a").bounding_box()
            remove = line.locator("[data-remove]").bounding_box()
            price = line.locator(".price").bounding_box()
            qty = line.locator(".qty input").bounding_box()
            # Remove sits on the name's row at the line's right edge, not on a row of its own
            assert abs(remove["y"] - name["y"]) < name["height"]
            assert remove["x"] + remove["width"] <= box["x"] + box["width"]
            assert box["x"] + box["width"] - (remove["x"] + remove["width"]) < 24
            # the line price shares the quantity's row, right-aligned with Remove
            assert abs((price["y"] + price["height"] / 2) - (qty["y"] + qty["height"] / 2)) < 8
            assert abs((price["x"] + price["width"]) - (remove["x"] + remove["width"])) < 2
        small.screenshot(path=str(SHOTS / "layout-cart-phone-375.png"), full_page=True)
