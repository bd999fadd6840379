"""E-mail preferences: a shopper turns offer e-mails on and off on the account page (the
account API's PATCH), and every price-drop e-mail carries a one-click unsubscribe link that
works without signing in."""

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import Product
from customers.models import Customer
from customers.services import marketing_unsubscribe_token
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/account/"


def client_for(customer: Customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def price_mails() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Price drop")]


def saved_then_dropped(customer: Customer, product: Product, price: str, capture: Any) -> None:
    client_for(customer).post("/api/v1/account/wishlist/", {"product": product.pk}, format="json")
    with capture(execute=True):
        catalog_services.product_price_set(product_id=product.pk, price=Decimal(price))


def unsubscribe_path(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/account/unsubscribe/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- the account API's PATCH -----------------------------------------------------------------


def test_a_shopper_turns_offer_emails_off_and_on_again() -> None:
    customer = CustomerFactory(marketing_consent=True)
    client = client_for(customer)

    off = client.patch(URL, {"marketing_consent": False}, format="json")
    assert off.status_code == 200, off.json()
    assert off.json()["marketing_consent"] is False
    assert client.get(URL).json()["marketing_consent"] is False
    customer.refresh_from_db()
    first_change = customer.consent_updated_at
    assert first_change is not None

    on = client.patch(URL, {"marketing_consent": True, "email": "x@example.com"}, format="json")
    assert on.status_code == 200, on.json()
    assert on.json()["marketing_consent"] is True
    assert on.json()["email"] == customer.user.email  # other fields are ignored
    customer.refresh_from_db()
    assert customer.marketing_consent is True
    assert customer.consent_updated_at is not None and customer.consent_updated_at > first_change


def test_a_value_that_is_not_yes_or_no_is_refused_on_the_field() -> None:
    customer = CustomerFactory(marketing_consent=True)
    client = client_for(customer)

    for body in ({"marketing_consent": "maybe"}, {}):
        response = client.patch(URL, body, format="json")
        assert response.status_code == 400
        assert response.json()["marketing_consent"]
    customer.refresh_from_db()
    assert customer.marketing_consent is True


def test_signed_out_visitors_cannot_change_consent() -> None:
    assert APIClient().patch(URL, {"marketing_consent": True}, format="json").status_code in (
        401,
        403,
    )


def test_a_session_patch_needs_the_csrf_token() -> None:
    customer = CustomerFactory(marketing_consent=True)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer.user)

    response = client.patch(URL, {"marketing_consent": False}, format="json")

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.marketing_consent is True


def test_the_account_page_shows_the_preference_ticked_or_not() -> None:
    client = Client()
    client.force_login(CustomerFactory(marketing_consent=True).user)
    html = client.get("/account/").content.decode()
    assert "E-mail preferences" in html
    assert re.search(r'name="marketing_consent" value="1" checked', html)

    other = Client()
    other.force_login(CustomerFactory(marketing_consent=False).user)
    assert not re.search(
        r'name="marketing_consent" value="1" checked', other.get("/account/").content.decode()
    )


# --- the unsubscribe link --------------------------------------------------------------------


def test_the_price_drop_email_carries_an_unsubscribe_link_and_header(
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = CustomerFactory(marketing_consent=True, user__email="ann@example.com")
    product = ProductFactory(price=Decimal("20.00"))

    saved_then_dropped(customer, product, "18.00", django_capture_on_commit_callbacks)

    [message] = price_mails()
    path = unsubscribe_path(message)
    assert path in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"].endswith(f"{path}>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(customer.public_id) not in path  # signed, not the bare id


def test_opening_the_link_changes_nothing_the_button_unsubscribes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = CustomerFactory(marketing_consent=True)
    product = ProductFactory(price=Decimal("20.00"))
    saved_then_dropped(customer, product, "18.00", django_capture_on_commit_callbacks)
    path = unsubscribe_path(price_mails()[0])
    visitor = Client(enforce_csrf_checks=True)  # not signed in, as from a mail client

    page = visitor.get(path)
    assert page.status_code == 200
    assert b'data-testid="unsubscribe"' in page.content
    assert page["Referrer-Policy"] == "no-referrer"
    customer.refresh_from_db()
    assert customer.marketing_consent is True  # a mail scanner following the link: no change

    done = visitor.post(path)
    assert done.status_code == 200
    assert b"won't get any more offers" in done.content
    customer.refresh_from_db()
    assert customer.marketing_consent is False

    mail.outbox.clear()
    other = ProductFactory(price=Decimal("30.00"))
    saved_then_dropped(customer, other, "20.00", django_capture_on_commit_callbacks)
    assert price_mails() == []


def test_a_forged_or_other_purpose_token_is_not_found() -> None:
    from django.core import signing

    customer = CustomerFactory(marketing_consent=True)
    good = marketing_unsubscribe_token(customer=customer)
    wrong_salt = signing.dumps(str(customer.public_id), salt="something-else")

    for token in (good[:-2] + "xx", wrong_salt, "nonsense"):
        assert Client().get(f"/account/unsubscribe/{token}/").status_code == 404
        assert Client().post(f"/account/unsubscribe/{token}/").status_code == 404
    customer.refresh_from_db()
    assert customer.marketing_consent is True
