"""Saved items on the pages: the product page's "Save" heart (a sign-in prompt for visitors)
and the account's "Saved items" list with the price now against the price when saved."""

from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import Product
from customers.models import Customer
from customers.services import wishlist_item_add
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def signed_in(customer: Customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def test_visitors_are_asked_to_sign_in_to_save(client: Client) -> None:
    product = ProductFactory()
    html = client.get(f"/p/{product.pk}/").content.decode()
    assert 'data-testid="save-sign-in"' in html and "Sign in to save" in html
    assert f'href="/account/login/?next=/p/{product.pk}/"' in html
    assert "data-save-toggle" not in html


def test_the_heart_shows_whether_the_shopper_saved_the_product() -> None:
    shopper = CustomerFactory()
    saved, other = ProductFactory(), ProductFactory()
    wishlist_item_add(customer_id=shopper.pk, product_id=saved.pk)
    client = signed_in(shopper)

    html = client.get(f"/p/{saved.pk}/").content.decode()
    assert f'data-save-toggle="{saved.pk}" aria-pressed="true"' in html
    assert "<span data-save-label>Saved</span>" in html
    html = client.get(f"/p/{other.pk}/").content.decode()
    assert f'data-save-toggle="{other.pk}" aria-pressed="false"' in html
    assert "Sign in to save" not in html


def test_the_account_lists_saved_items_with_price_now_and_when_saved() -> None:
    shopper = CustomerFactory()
    mug = ProductFactory(name="Stoneware mug", price=Decimal("20.00"), with_stock=4)
    gone = ProductFactory(name="Chef knife", price=Decimal("30.00"), with_stock=0)
    for product in (mug, gone):
        wishlist_item_add(customer_id=shopper.pk, product_id=product.pk)
    Product.objects.filter(pk=mug.pk).update(price=Decimal("17.50"))

    html = signed_in(shopper).get("/account/").content.decode()

    assert 'id="saved-h">Saved items <span class="muted">(2)</span>' in html
    assert "£17.50" in html and "£20.00 when you saved it" in html and "£2.50 less" in html
    assert "Only 4 left" in html and "Sold out" in html
    assert f'data-add-to-cart="{mug.pk}"' in html
    assert f'data-add-to-cart="{gone.pk}"' not in html  # a sold-out item cannot be added
    assert (
        f'data-wishlist-remove="{mug.pk}"' in html and f'data-wishlist-remove="{gone.pk}"' in html
    )
    assert html.index("Chef knife") < html.index("Stoneware mug")  # newest first


def test_an_empty_list_explains_how_to_save() -> None:
    html = signed_in(CustomerFactory()).get("/account/").content.decode()
    assert "Nothing saved yet" in html and 'data-testid="saved-items"' not in html
