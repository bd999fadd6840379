"""Saved items: a signed-in shopper saves products, sees the price now against the price when
saved, and (with marketing consent) gets one e-mail when a saved product gets cheaper."""

import json
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import PriceHistory, Product
from customers.models import Customer, Event, WishlistItem
from customers.selectors import customer_data_export
from customers.services import customer_erase, wishlist_price_alerts_send
from pricing.services import price_proposal_apply
from tests.factories import CustomerFactory, ProductFactory
from tests.pricing.factories import PriceProposalFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/account/wishlist/"


def client_for(customer: Customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def save(client: APIClient, product: Product) -> Any:
    return client.post(URL, {"product": product.pk}, format="json")


def saver(*, consent: bool = True, email: str = "ann@example.com") -> Customer:
    return CustomerFactory(marketing_consent=consent, user__email=email, user__first_name="Ann")


def price_mails() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Price drop")]


def set_price(price: str, product: Product, capture: Any) -> None:
    with capture(execute=True):
        catalog_services.product_price_set(product_id=product.pk, price=Decimal(price))


# --- saving and removing: the API --------------------------------------------------------------


def test_a_shopper_saves_sees_and_removes_a_product(shopper_client: APIClient) -> None:
    product = ProductFactory(name="Linen apron", price=Decimal("24.00"), with_stock=3)

    response = save(shopper_client, product)
    assert response.status_code == 201, response.json()
    assert response.json()["price_when_added"] == "24.00"

    page = shopper_client.get(URL).json()
    assert page["count"] == 1 and page["next"] is None
    [row] = page["results"]
    assert row["name"] == "Linen apron" and row["available"] == 3 and row["is_active"] is True
    assert row["url"] == f"/p/{product.pk}/{product.slug}/"

    assert shopper_client.delete(f"{URL}{product.pk}/").status_code == 204
    assert shopper_client.get(URL).json()["count"] == 0
    assert shopper_client.delete(f"{URL}{product.pk}/").status_code == 204  # already gone: fine


def test_saving_twice_keeps_one_item_and_the_first_price(shopper_client: APIClient) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    assert save(shopper_client, product).status_code == 201
    Product.objects.filter(pk=product.pk).update(price=Decimal("25.00"))

    again = save(shopper_client, product)

    assert again.status_code == 200
    assert again.json()["price_when_added"] == "20.00" and again.json()["price"] == "25.00"
    assert WishlistItem.objects.count() == 1


def test_unknown_or_inactive_products_are_refused_on_the_product_field(
    shopper_client: APIClient,
) -> None:
    retired = ProductFactory(is_active=False)
    for product_id in (retired.pk, 999_999):
        response = shopper_client.post(URL, {"product": product_id}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["product"] == ["this product does not exist or is no longer sold"]
    missing = shopper_client.post(URL, {}, format="json")
    assert missing.status_code == 400 and "product" in missing.json()
    assert WishlistItem.objects.count() == 0


def test_visitors_are_asked_to_sign_in() -> None:
    product = ProductFactory()
    visitor = APIClient()
    assert visitor.get(URL).status_code == 401
    assert visitor.post(URL, {"product": product.pk}, format="json").status_code == 401
    assert visitor.delete(f"{URL}{product.pk}/").status_code == 401


def test_the_list_is_paginated_newest_first(shopper: Customer, shopper_client: APIClient) -> None:
    products = ProductFactory.create_batch(3)
    for product in products:
        save(shopper_client, product)

    page = shopper_client.get(URL, {"page_size": 2}).json()

    assert page["count"] == 3 and page["next"] is not None
    assert [r["product_id"] for r in page["results"]] == [products[2].pk, products[1].pk]


def test_the_list_query_count_does_not_grow_with_items(
    shopper: Customer, shopper_client: APIClient, django_assert_max_num_queries: Any
) -> None:
    for product in ProductFactory.create_batch(12):
        save(shopper_client, product)
    with django_assert_max_num_queries(6):
        assert shopper_client.get(URL).status_code == 200


def test_saving_records_a_wishlist_event(
    shopper: Customer, shopper_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory()
    with django_capture_on_commit_callbacks(execute=True):
        save(shopper_client, product)
        save(shopper_client, product)  # idempotent: no second event

    [event] = Event.objects.filter(type=Event.Type.WISHLIST)
    assert event.customer_id == shopper.pk and event.product_id == product.pk


# --- price-drop e-mails ------------------------------------------------------------------------


def test_a_10_percent_drop_emails_consenting_savers_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(name="Stoneware mug", price=Decimal("20.00"))
    ann, bo = saver(), saver(consent=False, email="bo@example.com")
    for customer in (ann, bo):
        save(client_for(customer), product)

    set_price("18.00", product, django_capture_on_commit_callbacks)

    [message] = price_mails()
    assert message.to == ["ann@example.com"]
    assert message.subject == "Price drop: Stoneware mug"
    assert "£18.00" in message.body and f"/p/{product.pk}/{product.slug}/" in message.body
    assert "£18.00" in message.alternatives[0][0]

    set_price("17.00", product, django_capture_on_commit_callbacks)  # within 30 days: no mail
    assert len(price_mails()) == 1


def test_a_second_drop_after_30_days_emails_again(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    save(client_for(saver()), product)
    set_price("18.00", product, django_capture_on_commit_callbacks)

    later = timezone.now() + timedelta(days=31)
    with mock.patch("django.utils.timezone.now", return_value=later):
        set_price("16.00", product, django_capture_on_commit_callbacks)

    assert len(price_mails()) == 2


def test_a_3_percent_drop_or_a_rise_emails_nobody(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    save(client_for(saver()), product)

    set_price("19.40", product, django_capture_on_commit_callbacks)
    set_price("30.00", product, django_capture_on_commit_callbacks)

    assert price_mails() == []


def test_the_drop_is_measured_from_the_price_when_saved(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    save(client_for(saver()), product)

    set_price("19.40", product, django_capture_on_commit_callbacks)  # 3 %: nothing yet
    set_price("18.90", product, django_capture_on_commit_callbacks)  # 5.5 % below 20.00

    assert len(price_mails()) == 1


def test_a_rolled_back_price_change_emails_nobody(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    save(client_for(saver()), product)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        catalog_services.product_price_set(product_id=product.pk, price=Decimal("15.00"))
        raise RuntimeError("the admin's save fails after the price changed")

    assert price_mails() == []
    assert Product.objects.get(pk=product.pk).price == Decimal("20.00")


def test_the_mail_shows_a_was_price_only_where_the_product_page_does(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # A product with 40 days at 20.00 in its history: the page shows "was £20.00" at 18.00.
    with_history = ProductFactory(price=Decimal("20.00"))
    PriceHistory.objects.create(
        product=with_history, price=Decimal("20.00"), changed_at=timezone.now() - timedelta(40)
    )
    no_history = ProductFactory(price=Decimal("20.00"))  # the page can prove no "was" price
    save(client_for(saver()), with_history)
    save(client_for(saver(email="bo@example.com")), no_history)

    set_price("18.00", with_history, django_capture_on_commit_callbacks)
    set_price("18.00", no_history, django_capture_on_commit_callbacks)

    page = APIClient().get(f"/api/v1/products/{no_history.pk}/").json()
    assert page["reference_price"] is None
    proven, unproven = price_mails()
    assert "was £20.00" in proven.body and "<s>£20.00</s>" in proven.alternatives[0][0]
    assert "was" not in unproven.body.lower().replace("saved", "")
    assert "£20.00" not in unproven.body and "£20.00" not in unproven.alternatives[0][0]


def test_an_approved_pricing_proposal_emails_savers(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(price=Decimal("20.00"), cost=Decimal("5.00"))
    save(client_for(saver()), product)
    proposal = PriceProposalFactory(product=product, proposed_price=Decimal("17.00"))

    with django_capture_on_commit_callbacks(execute=True):
        price_proposal_apply(proposal_id=proposal.pk)

    assert [m.to for m in price_mails()] == [["ann@example.com"]]


def test_a_failed_send_is_retried_and_the_log_names_no_address(
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    product = ProductFactory(price=Decimal("20.00"))
    save(client_for(saver(email="private.person@example.com")), product)
    caplog.set_level(logging.DEBUG)
    failing = mock.patch(
        "django.core.mail.EmailMultiAlternatives.send",
        side_effect=OSError("550 private.person@example.com unknown"),
    )
    with failing:
        set_price("18.00", product, django_capture_on_commit_callbacks)

    assert price_mails() == [] and "e-mail not sent" in caplog.text
    assert "private.person" not in caplog.text

    assert wishlist_price_alerts_send(product_id=product.pk) == 1  # the mail server is back
    assert wishlist_price_alerts_send(product_id=product.pk) == 0  # twice: still one mail
    assert len(price_mails()) == 1


# --- GDPR --------------------------------------------------------------------------------------


def test_export_lists_saved_items_and_erasure_deletes_them(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(name="Tea towel", price=Decimal("20.00"))
    ann = saver()
    save(client_for(ann), product)
    set_price("18.00", product, django_capture_on_commit_callbacks)

    exported = json.loads(json.dumps(customer_data_export(customer_id=ann.pk), default=str))
    [item] = exported["wishlist"]
    assert item["product"] == "Tea towel" and item["price_when_added"] == "20.00"
    assert [a["price"] for a in exported["wishlist_price_alerts"]] == ["18.00"]

    customer_erase(customer=ann)

    assert not WishlistItem.objects.filter(customer=ann).exists()
    assert customer_data_export(customer_id=ann.pk)["wishlist"] == []


# --- the merchant's view -----------------------------------------------------------------------


def test_the_product_admin_list_says_how_many_shoppers_saved_each_product(
    admin_client: Any,
) -> None:
    popular, ignored = ProductFactory(name="Popular"), ProductFactory(name="Ignored")
    for email in ("a@example.com", "b@example.com"):
        save(client_for(saver(email=email)), popular)

    html = admin_client.get("/admin/catalog/product/", {"o": "-10"}).content.decode()

    assert "saved by" in html.lower()
    assert f'?product__id__exact={popular.pk}">2 shoppers</a>' in html
    assert f'?product__id__exact={ignored.pk}"' not in html
    listed = admin_client.get("/admin/customers/wishlistitem/", {"product__id__exact": popular.pk})
    assert listed.status_code == 200 and "2 saved items" in listed.content.decode()
