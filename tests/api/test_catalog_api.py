from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.models import Review
from customers.models import Event
from tests.factories import BrandFactory, CategoryFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> dict[str, object]:
    outdoor = CategoryFactory(name="Outdoor")
    jackets = CategoryFactory(name="Jackets", parent=outdoor)
    kitchen = CategoryFactory(name="Kitchen")
    acme = BrandFactory(name="Acme")
    items = {
        "rain": ProductFactory(
            name="Rain Jacket",
            category=jackets,
            brand=acme,
            price=Decimal("80.00"),
            list_price=Decimal("80.00"),
            popularity=5,
        ),
        "down": ProductFactory(
            name="Down Jacket",
            category=jackets,
            price=Decimal("150.00"),
            list_price=Decimal("150.00"),
            popularity=9,
        ),
        "shell": ProductFactory(
            name="Shell Jacket",
            category=jackets,
            with_stock=0,
            price=Decimal("60.00"),
            list_price=Decimal("60.00"),
        ),
        "mug": ProductFactory(
            name="Stoneware Mug",
            category=kitchen,
            price=Decimal("12.00"),
            list_price=Decimal("12.00"),
            popularity=20,
            description="A sturdy mug for tea and coffee",
        ),
    }
    return {"outdoor": outdoor, "jackets": jackets, "kitchen": kitchen, "acme": acme, **items}


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [p["name"] for p in response.json()["results"]]


def test_product_list_filters_by_parent_category_brand_price_and_stock(
    api_client: APIClient, catalog: dict
) -> None:
    url = "/api/v1/products/"
    assert set(names(api_client.get(url, {"category": catalog["outdoor"].pk}))) == {
        "Rain Jacket",
        "Down Jacket",
        "Shell Jacket",
    }
    assert names(api_client.get(url, {"brand": catalog["acme"].pk})) == ["Rain Jacket"]
    got = names(api_client.get(url, {"min_price": 50, "max_price": 100, "ordering": "price"}))
    assert got == ["Shell Jacket", "Rain Jacket"]
    in_stock = names(api_client.get(url, {"category": catalog["jackets"].pk, "in_stock": "true"}))
    assert "Shell Jacket" not in in_stock and len(in_stock) == 2
    ids = f"{catalog['mug'].pk},{catalog['rain'].pk}"
    assert set(names(api_client.get(url, {"ids": ids}))) == {"Stoneware Mug", "Rain Jacket"}


def test_product_list_sorts_and_paginates(api_client: APIClient, catalog: dict) -> None:
    response = api_client.get("/api/v1/products/", {"ordering": "-price", "page_size": 2})
    body = response.json()
    assert body["count"] == 4 and len(body["results"]) == 2
    assert [p["name"] for p in body["results"]] == ["Down Jacket", "Rain Jacket"]
    second = api_client.get("/api/v1/products/", {"ordering": "-price", "page_size": 2, "page": 2})
    assert [p["name"] for p in second.json()["results"]] == ["Shell Jacket", "Stoneware Mug"]


def test_product_list_rejects_bad_filter_values(api_client: APIClient, catalog: dict) -> None:
    response = api_client.get("/api/v1/products/", {"min_price": "cheap"})
    assert response.status_code == 400
    assert "min_price" in response.json()


def test_product_detail_shows_stock_rating_and_no_was_price_without_proof(
    api_client: APIClient, catalog: dict
) -> None:
    product = catalog["rain"]
    Review.objects.create(product=product, rating=4, title="Dry", body="Kept me dry")
    Review.objects.create(product=product, rating=5)
    body = api_client.get(f"/api/v1/products/{product.pk}/").json()
    assert body["name"] == "Rain Jacket" and body["available"] == 10
    assert body["rating"] == 4.5 and body["review_count"] == 2
    assert body["reference_price"] is None


def test_product_detail_of_unknown_or_inactive_product_is_404(
    api_client: APIClient, catalog: dict
) -> None:
    catalog["mug"].is_active = False
    catalog["mug"].save()
    assert api_client.get(f"/api/v1/products/{catalog['mug'].pk}/").status_code == 404
    assert api_client.get("/api/v1/products/999999/").status_code == 404


def test_product_detail_cache_is_invalidated_by_a_price_change(
    api_client: APIClient, catalog: dict
) -> None:
    from catalog.services import product_price_set

    product = catalog["down"]
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["price"] == "150.00"
    product_price_set(product_id=product.pk, price=Decimal("120.00"))
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["price"] == "120.00"


def test_categories_list_the_tree(api_client: APIClient, catalog: dict) -> None:
    body = api_client.get("/api/v1/categories/").json()
    by_name = {c["name"]: c for c in body}
    assert by_name["Jackets"]["parent_id"] == catalog["outdoor"].pk


def test_search_finds_jackets_despite_a_typo(api_client: APIClient, catalog: dict) -> None:
    body = api_client.get("/api/v1/search/", {"q": "jackte"}).json()
    assert body["corrected"] == "jacket"
    assert {p["name"] for p in body["results"]} == {"Rain Jacket", "Down Jacket", "Shell Jacket"}
    assert Event.objects.filter(type="search", query="jackte").exists()


def test_search_matches_description_and_requires_q(api_client: APIClient, catalog: dict) -> None:
    assert names(api_client.get("/api/v1/search/", {"q": "coffee"})) == ["Stoneware Mug"]
    response = api_client.get("/api/v1/search/")
    assert response.status_code == 400 and "q" in response.json()


def test_search_learns_from_clicks_after_the_same_query(
    api_client: APIClient, catalog: dict
) -> None:
    before = names(api_client.get("/api/v1/search/", {"q": "jacket"}))
    assert before[0] == "Down Jacket"  # most popular wins on equal text match
    for i in range(30):
        Event.objects.create(
            type="view", session_id=f"s{i}", product=catalog["rain"], query="jacket"
        )
        Event.objects.create(type="purchase", session_id=f"s{i}")
    from django.core.cache import cache

    cache.clear()
    after = names(api_client.get("/api/v1/search/", {"q": "jacket"}))
    assert after[0] == "Rain Jacket"


def test_search_ranks_sold_out_matches_after_those_in_stock(
    api_client: APIClient, catalog: dict
) -> None:
    from django.core.cache import cache

    from catalog.models import Stock

    # the shell jacket is sold out: found, but after both jackets in stock
    assert names(api_client.get("/api/v1/search/", {"q": "jacket"}))[-1] == "Shell Jacket"
    # the most popular jacket sells out: it drops below the others
    Stock.objects.filter(product=catalog["down"]).update(on_hand=0)
    cache.clear()
    assert names(api_client.get("/api/v1/search/", {"q": "jacket"})) == [
        "Rain Jacket",
        "Down Jacket",
        "Shell Jacket",
    ]


def test_autocomplete_suggests_products_and_categories(
    api_client: APIClient, catalog: dict
) -> None:
    body = api_client.get("/api/v1/search/autocomplete/", {"q": "jac"}).json()
    labels = [s["label"] for s in body]
    assert "Jackets" in labels
    assert any(s["kind"] == "product" and "Jacket" in s["label"] for s in body)
    assert all(s["url"].startswith(("/p/", "/c/")) for s in body)


def test_reviews_list_and_create_need_login_and_valid_rating(catalog: dict) -> None:
    product = catalog["mug"]
    anonymous = APIClient()
    assert anonymous.get(f"/api/v1/products/{product.pk}/reviews/").json()["count"] == 0
    assert anonymous.post(f"/api/v1/products/{product.pk}/reviews/", {"rating": 5}).status_code in (
        401,
        403,
    )
    shopper = CustomerFactory(user__first_name="Ada")
    client = APIClient()
    client.force_authenticate(shopper.user)
    bad = client.post(f"/api/v1/products/{product.pk}/reviews/", {"rating": 9}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()
    ok = client.post(
        f"/api/v1/products/{product.pk}/reviews/",
        {"rating": 5, "title": "Lovely", "body": "Holds a lot"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["author"] == "Ada"
    # A second review replaces the first: one shopper, one vote.
    client.post(f"/api/v1/products/{product.pk}/reviews/", {"rating": 3}, format="json")
    listed = anonymous.get(f"/api/v1/products/{product.pk}/reviews/").json()
    assert listed["count"] == 1 and listed["results"][0]["rating"] == 3
    assert client.post("/api/v1/products/999999/reviews/", {"rating": 4}).status_code == 404


def _queries(client: APIClient, url: str, params: dict | None = None) -> int:
    client.get(url, params or {})  # warm: the search index and behaviour signals are cached
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_listing_and_search_query_counts_do_not_grow_with_page_size(
    api_client: APIClient,
) -> None:
    category = CategoryFactory(name="Lamps")
    ProductFactory.create_batch(3, category=category, name="Desk Lamp")
    small = _queries(api_client, "/api/v1/products/", {"page_size": 2})
    search_small = _queries(api_client, "/api/v1/search/", {"q": "lamp", "page_size": 2})
    ProductFactory.create_batch(30, category=category, name="Floor Lamp")
    assert _queries(api_client, "/api/v1/products/", {"page_size": 30}) == small
    assert _queries(api_client, "/api/v1/search/", {"q": "lamp", "page_size": 30}) == search_small


def test_product_detail_is_a_few_queries_then_served_from_cache(
    api_client: APIClient, django_assert_max_num_queries, django_assert_num_queries
) -> None:
    product = ProductFactory()
    with django_assert_max_num_queries(4):  # stamp+stock, product+rating, price history (2)
        api_client.get(f"/api/v1/products/{product.pk}/")
    with django_assert_num_queries(1):  # cached; only the stamp and stock are read fresh
        api_client.get(f"/api/v1/products/{product.pk}/")


def test_cached_product_detail_never_shows_stale_stock(api_client: APIClient) -> None:
    from catalog.services import stock_adjust

    product = ProductFactory(with_stock=1)
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["available"] == 1
    stock_adjust(product_id=product.pk, quantity=-1)  # a queryset update: no signal fires
    assert api_client.get(f"/api/v1/products/{product.pk}/").json()["available"] == 0


def test_id_filters_document_the_bounds_they_enforce(api_client: APIClient) -> None:
    # category had no upper bound in the schema (brand was a "number"), yet both 400 beyond ID_MAX
    from storefront.api_errors import ID_MAX
    from tests.api.test_contract_findings import _error

    schema = api_client.get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"]}
    bounded = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
    assert parameters["category"]["schema"] == bounded
    assert parameters["brand"]["schema"] == bounded
    assert parameters["ids"]["schema"] == {"type": "array", "items": bounded}
    category = CategoryFactory()
    ProductFactory(category=category)
    for name in ("category", "brand", "ids"):
        for bad in (0, ID_MAX + 1):
            body = _error(api_client.get("/api/v1/products/", {name: bad}), 400, "invalid")
            assert list(body) == ["detail", "code", name], (name, body)
    response = api_client.get("/api/v1/products/", {"category": category.pk})
    assert response.status_code == 200 and response.json()["count"] == 1
    assert api_client.get("/api/v1/products/", {"category": ID_MAX}).json()["count"] == 0
