"""A dead link lands on a page with a search box and a few popular products."""

import pytest
from django.test import Client

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_404_offers_search_and_popular_products() -> None:
    best = ProductFactory(name="Linen Tea Towel", popularity=50)
    ProductFactory(name="Sold Out Lamp", popularity=90, with_stock=0)
    res = Client().get("/no-such-page/")
    assert res.status_code == 404
    html = res.content.decode()
    assert 'data-testid="not-found-search"' in html and 'action="/search/"' in html
    assert 'data-testid="not-found-popular"' in html
    assert best.name in html
    assert "Sold Out Lamp" not in html  # popular means buyable now, as on the home page


def test_404_on_an_empty_store_still_renders_the_search_box() -> None:
    res = Client().get("/p/999999/")  # no products, no trained model
    assert res.status_code == 404
    html = res.content.decode()
    assert 'data-testid="not-found-search"' in html
    assert 'data-testid="not-found-popular"' not in html
