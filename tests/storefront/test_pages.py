from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from customers.models import Event
from orders.models import Order
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
    outdoor = CategoryFactory(name="Outdoor", slug="outdoor")
    jackets = CategoryFactory(name="Jackets", slug="jackets", parent=outdoor)
    brand = BrandFactory(name="Fjell")
    rain = ProductFactory(name="Rain Jacket", category=jackets, brand=brand, popularity=3)
    gone = ProductFactory(name="Shell Jacket", category=jackets, with_stock=0)
    return {"outdoor": outdoor, "jackets": jackets, "brand": brand, "rain": rain, "gone": gone}


def test_home_shows_categories_and_popular_products(client: Client, shop: dict) -> None:
    html = client.get("/").content.decode()
    assert "Outdoor" in html and "Rain Jacket" in html
    assert "Popular right now" in html  # no recommender yet: the fallback says what it is


def test_home_trending_leaves_out_sold_out_products(client: Client, shop: dict) -> None:
    # The sold-out jacket is the most viewed this week, but its card could not be added to
    # the cart: "Trending this week" shows only what a shopper can buy.
    for _ in range(5):
        Event.objects.create(type=Event.Type.VIEW, session_id="s", product=shop["gone"])
    Event.objects.create(type=Event.Type.VIEW, session_id="s", product=shop["rain"])
    html = client.get("/").content.decode()
    trending = html.split('data-testid="trending"')[1].split("</section>")[0]
    assert "Rain Jacket" in trending
    assert "Shell Jacket" not in trending and "Sold out" not in trending


def _heading(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}">')[1].split("</h2>")[0]


def _section(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</section>")[0]


def test_home_second_row_repeats_nothing_from_trending_and_says_when_it_is_personal(
    client: Client, shop: dict
) -> None:
    # A stranger's "for you" list from a trained model is its popular products: the row was
    # titled "Picked for you" and showed six of the eight trending products again.
    from recommendations import facade as recs

    mugs = ProductFactory.create_batch(20, category=shop["jackets"])
    for product in mugs[:8]:
        Event.objects.create(type=Event.Type.VIEW, session_id="s", product=product)
    trending = {p.pk for p in mugs[:8]}

    def for_you(source: str):  # type: ignore[no-untyped-def]
        def serve(*, customer_id, session_id="", limit=12, exclude_product_ids=()):  # type: ignore[no-untyped-def]
            ranked = [p.pk for p in mugs if p.pk not in set(exclude_product_ids)]
            items = [recs.Recommendation(pk, 1.0, source, "v1") for pk in ranked[:limit]]
            return recs.RecommendationSet(items, "blend")

        return serve

    with mock.patch.object(recs, "for_you_set", for_you("popular")):
        html = client.get("/").content.decode()
    picks = _section(html, "picks")
    assert _heading(html, "picks-h") == "Popular right now"
    assert not any(f'href="/p/{pk}/' in picks for pk in trending)
    assert sum(f'href="/p/{p.pk}/' in picks for p in mugs[8:]) == 8

    with mock.patch.object(recs, "for_you_set", for_you("session")):
        html = client.get("/").content.decode()
    assert _heading(html, "picks-h") == "Picked for you"


def test_home_picks_are_logged_as_for_you_impressions_with_clickable_sources(
    client: Client, shop: dict
) -> None:
    # The home row was rendered on the server without the impression the API logs, so the
    # for-you A/B test and click-through had no traffic from the page that shows it most.
    from recommendations import facade as recs

    products = ProductFactory.create_batch(4, category=shop["jackets"])
    answer = recs.RecommendationSet(
        [recs.Recommendation(p.pk, 1.0, "als", "v1") for p in products], "blend"
    )
    with mock.patch.object(recs, "for_you_set", return_value=answer):
        html = client.get("/").content.decode()
    shown = Event.objects.get(type="rec_impression")
    assert shown.session_id == client.session.session_key
    assert shown.metadata["slot"] == "for_you" and shown.metadata["variant"] == "blend"
    assert shown.metadata["items"] == [p.pk for p in products]
    assert shown.metadata["sources"] == ["als"] * 4
    first = products[0]
    assert (
        f'data-rec-slot="for-you" data-rec-source="recommendations" data-rec-item-source="als" '
        f'data-rec-variant="blend" data-rec-position="1" data-rec-product="{first.pk}"'
    ) in _section(html, "picks")
    # without a recommender answer (popular fallback) nothing is logged or tracked
    Event.objects.all().delete()
    with mock.patch.object(recs, "for_you_set", side_effect=RuntimeError("model down")):
        html = client.get("/").content.decode()
    assert not Event.objects.filter(type="rec_impression").exists()
    assert "data-rec-slot" not in _section(html, "picks")


def test_category_page_includes_subcategories_facets_and_sold_out_badge(
    client: Client, shop: dict
) -> None:
    response = client.get(f"/c/{shop['outdoor'].pk}/outdoor/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rain Jacket" in html and "Shell Jacket" in html and "Sold out" in html
    assert "Fjell" in html  # brand facet
    only = client.get(f"/c/{shop['outdoor'].pk}/", {"in_stock": "1"}).content.decode()
    assert "Rain Jacket" in only and "Shell Jacket" not in only
    cheap = client.get(f"/c/{shop['outdoor'].pk}/", {"max_price": "5"}).content.decode()
    assert "Nothing matches these filters" in cheap
    assert client.get("/c/999999/").status_code == 404


def test_category_page_query_count_is_constant(client: Client, shop: dict) -> None:
    def count(page_size: int) -> int:
        client.get(f"/c/{shop['outdoor'].pk}/", {"page_size": page_size})
        with CaptureQueriesContext(connection) as ctx:
            assert (
                client.get(f"/c/{shop['outdoor'].pk}/", {"page_size": page_size}).status_code == 200
            )
        return len(ctx.captured_queries)

    small = count(12)
    ProductFactory.create_batch(40, category=shop["jackets"], brand=BrandFactory())
    assert count(48) == small


def test_search_page_tolerates_typos_and_links_results_with_the_query(
    client: Client, shop: dict
) -> None:
    html = client.get("/search/", {"q": "jackte"}).content.decode()
    assert "Showing results for" in html and "jacket" in html
    assert "Rain Jacket" in html and "?q=jackte" in html
    assert "couldn’t find anything" in client.get("/search/", {"q": "zzzqqq"}).content.decode()


def test_search_box_promises_only_what_the_store_has_and_brands_and_categories_find_it(
    client: Client, shop: dict
) -> None:
    # The placeholder named "jackets, mugs, lamps": the demo store sells no jackets (the small
    # one no mugs or lamps either), so a newcomer's first search found nothing. It now names
    # what search really matches.
    html = client.get("/").content.decode()
    assert 'placeholder="Search products, brands, categories…"' in html
    assert "jackets, mugs, lamps" not in html
    for query in ("Fjell", "Jackets"):  # a brand, a category
        assert "Rain Jacket" in client.get("/search/", {"q": query}).content.decode(), query


def test_product_page_records_the_search_click_and_shows_stock(client: Client, shop: dict) -> None:
    response = client.get(f"/p/{shop['rain'].pk}/rain-jacket/", {"q": "jackte"})
    html = response.content.decode()
    assert "Add to cart" in html and "In stock" in html
    assert Event.objects.filter(type="view", product=shop["rain"], query="jackte").exists()


def test_sold_out_product_says_so_and_has_no_buy_button(client: Client, shop: dict) -> None:
    html = client.get(f"/p/{shop['gone'].pk}/").content.decode()
    assert 'data-testid="sold-out"' in html and "out of stock right now" in html
    assert 'data-testid="add-to-cart"' not in html
    assert client.get("/p/999999/").status_code == 404


def test_order_page_is_private_and_explains_the_outcome(shop: dict) -> None:
    owner = CustomerFactory()
    client = Client()
    client.force_login(owner.user)
    client.post(
        "/api/v1/cart/lines/", {"product_id": shop["rain"].pk}, content_type="application/json"
    )
    response = client.post(
        "/api/v1/checkout/",
        {"email": "a@example.com", "shipping_address": ADDRESS, "card_number": "4000000000000002"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    number = response.json()["number"]
    html = client.get(f"/order/{number}/").content.decode()
    assert "We could not accept this order" in html and "try another card" in html
    stranger = Client()
    stranger.force_login(CustomerFactory().user)
    assert stranger.get(f"/order/{number}/").status_code == 404
    assert Client().get(f"/order/{number}/").status_code == 404


def test_account_page_needs_login_and_lists_orders(shop: dict) -> None:
    assert Client().get("/account/").url.startswith("/account/login/")
    customer = CustomerFactory()
    client = Client()
    client.force_login(customer.user)
    client.post(
        "/api/v1/cart/lines/", {"product_id": shop["rain"].pk}, content_type="application/json"
    )
    client.post(
        "/api/v1/checkout/",
        {"email": "a@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    html = client.get("/account/").content.decode()
    number = Order.objects.get(customer=customer).number
    assert number in html and "Buy it again" in html and "Rain Jacket" in html
    assert "Download my data" in html and "Delete my account" in html


@pytest.mark.parametrize(
    "url", ["/cart/", "/checkout/", "/help/", "/account/login/", "/account/register/"]
)
def test_static_pages_render(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert b"<main" in response.content and b"shop.css" in response.content
