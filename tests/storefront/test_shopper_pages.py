"""What a shopper sees on the server-rendered pages where a good store does not leave them
stuck: an empty checkout, a search that finds nothing, a sold-out product, folded filters."""

import pytest
from django.test import Client

from customers.services import address_remember
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    BrandFactory,
    CategoryFactory,
    CustomerFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> dict[str, object]:
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    brand = BrandFactory(name="Cobalt")
    jug = ProductFactory(name="Measuring Jug", category=kitchen, brand=brand, popularity=5)
    gone = ProductFactory(name="Chef Knife", category=kitchen, with_stock=0)
    return {"kitchen": kitchen, "brand": brand, "jug": jug, "gone": gone}


def test_checkout_with_an_empty_cart_offers_the_shop_not_a_form(client: Client, shop) -> None:
    html = client.get("/checkout/").content.decode()
    assert 'data-testid="checkout-empty"' in html and "Your cart is empty" in html
    assert "data-checkout-form" not in html and "Place order" not in html

    client.post(
        "/api/v1/cart/lines/", {"product_id": shop["jug"].pk}, content_type="application/json"
    )
    html = client.get("/checkout/").content.decode()
    assert "data-checkout-form" in html and 'data-testid="checkout-empty"' not in html


def test_search_without_results_shows_popular_products(client: Client, shop) -> None:
    html = client.get("/search/?q=xylophone").content.decode()
    assert "We couldn’t find anything for “xylophone”" in html
    popular = html.split('data-testid="no-results-popular"')[1]
    assert "Popular right now" in popular and "Measuring Jug" in popular

    found = client.get("/search/?q=jug").content.decode()
    assert "Measuring Jug" in found and "no-results-popular" not in found


def test_sold_out_product_leads_to_similar_items_not_bought_together(client: Client, shop) -> None:
    gone = client.get(f"/p/{shop['gone'].pk}/").content.decode()
    assert 'data-widget="similar"' in gone and 'href="#sim-h"' in gone
    assert 'data-widget="bought-together"' not in gone  # nothing to buy it together with

    jug = client.get(f"/p/{shop['jug'].pk}/").content.decode()
    # in stock: both rows, bought-together first (the script drops its items from similar)
    assert jug.index('data-widget="bought-together"') < jug.index('data-widget="similar"')


def test_folded_filters_say_how_many_are_applied(client: Client, shop) -> None:
    url = f"/c/{shop['kitchen'].pk}/kitchen/"
    assert 'data-testid="active-filters"' not in client.get(url).content.decode()
    html = client.get(f"{url}?in_stock=1&min_price=2&brand={shop['brand'].pk}&sort=price")
    summary = html.content.decode().split("<summary>")[1].split("</summary>")[0]
    assert 'data-testid="active-filters">3<' in summary and "applied" in summary


def test_order_page_names_the_delivery_country(shop) -> None:
    client = Client()
    client.force_login(CustomerFactory().user)
    client.post(
        "/api/v1/cart/lines/", {"product_id": shop["jug"].pk}, content_type="application/json"
    )
    order = client.post(
        "/api/v1/checkout/",
        {"email": "a@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    ).json()
    address = client.get(f"/order/{order['number']}/").content.decode().split("<address>")[1]
    assert "United Kingdom</address>" in address and "GB</address>" not in address


def test_checkout_starts_from_the_saved_address_country(shop) -> None:
    customer = CustomerFactory()
    address_remember(customer_id=customer.pk, address={**ADDRESS, "country": "FR"})
    client = Client()
    client.force_login(customer.user)
    client.post(
        "/api/v1/cart/lines/", {"product_id": shop["jug"].pk}, content_type="application/json"
    )
    html = client.get("/checkout/").content.decode()
    # the form kept the street and town but always said United Kingdom
    assert '<option value="FR" selected>France</option>' in html
    assert '<option value="GB">United Kingdom</option>' in html

    guest = Client()
    guest.post(
        "/api/v1/cart/lines/", {"product_id": shop["jug"].pk}, content_type="application/json"
    )
    assert (
        '<option value="GB" selected>United Kingdom</option>'
        in guest.get("/checkout/").content.decode()
    )
