"""The Save heart on product cards (category, search, home): filled for what the signed-in
shopper saved, read in one query for the whole page; for visitors a link to sign in that
comes back to the same listing."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.services import wishlist_item_add
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def signed_in(customer: Customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def _heart(pk: int, pressed: bool) -> str:
    return f'data-save-toggle="{pk}" aria-pressed="{"true" if pressed else "false"}"'


def test_category_cards_show_which_products_the_shopper_saved() -> None:
    shopper = CustomerFactory()
    category = CategoryFactory(name="Mugs", slug="mugs")
    saved, other = ProductFactory(category=category), ProductFactory(category=category)
    wishlist_item_add(customer_id=shopper.pk, product_id=saved.pk)

    html = signed_in(shopper).get(f"/c/{category.pk}/mugs/").content.decode()

    assert _heart(saved.pk, True) in html and _heart(other.pk, False) in html
    assert f'aria-label="Save {saved.name}"' in html
    assert "card-save-sign-in" not in html


def test_search_and_home_cards_carry_the_heart_too(monkeypatch: Any) -> None:
    shopper = CustomerFactory()
    saved = ProductFactory(name="Blue enamel kettle")
    wishlist_item_add(customer_id=shopper.pk, product_id=saved.pk)
    client = signed_in(shopper)

    assert _heart(saved.pk, True) in client.get("/search/", {"q": "kettle"}).content.decode()

    from storefront import views

    monkeypatch.setattr(views, "_trending_ids", lambda limit: [saved.pk])
    assert _heart(saved.pk, True) in client.get("/").content.decode()


def test_visitors_get_a_heart_that_signs_in_and_comes_back(client: Client) -> None:
    category = CategoryFactory(name="Mugs", slug="mugs")
    product = ProductFactory(category=category)

    html = client.get(f"/c/{category.pk}/mugs/", {"sort": "price", "page": "1"}).content.decode()

    assert "data-save-toggle" not in html
    assert 'data-testid="card-save-sign-in"' in html
    assert f'aria-label="Sign in to save {product.name}"' in html
    assert f"/account/login/?next=/c/{category.pk}/mugs/%3Fsort%3Dprice%26page%3D1" in html


def test_the_hearts_cost_one_query_whatever_the_number_of_cards() -> None:
    shopper = CustomerFactory()
    category = CategoryFactory(name="Mugs", slug="mugs")
    client = signed_in(shopper)

    def queries() -> int:
        client.get(f"/c/{category.pk}/mugs/", {"page_size": 48})  # warm the menu caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/c/{category.pk}/mugs/", {"page_size": 48}).status_code == 200
        return len(ctx.captured_queries)

    first = ProductFactory(category=category)
    wishlist_item_add(customer_id=shopper.pk, product_id=first.pk)
    few = queries()
    for product in ProductFactory.create_batch(30, category=category):
        wishlist_item_add(customer_id=shopper.pk, product_id=product.pk)
    html = client.get(f"/c/{category.pk}/mugs/", {"page_size": 48}).content.decode()
    assert html.count('aria-pressed="true"') == 31
    assert queries() == few
