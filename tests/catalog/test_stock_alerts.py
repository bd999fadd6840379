"""'E-mail me when it's back': a shopper waits for a sold-out product and gets one e-mail when
the merchant restocks it (a purchase order received, a stock adjustment, a cancelled order)."""

import logging
import re
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from catalog import facade, services
from catalog.models import Product, PurchaseOrder, StockAlert
from customers.selectors import customer_data_export
from customers.services import customer_erase
from orders import services as order_services
from orders.models import Order
from tests.catalog.factories import suggest
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    CartFactory,
    CartLineFactory,
    CustomerFactory,
    ProductFactory,
    SupplierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = StockAlert.Status


def alert_url(product: Product) -> str:
    return f"/api/v1/products/{product.pk}/stock-alert/"


def sold_out(**fields: Any) -> Product:
    return ProductFactory(supplier=SupplierFactory(), with_stock=0, **fields)


def subscribe(product: Product, email: str = "ann@example.com", client: Any = None) -> Any:
    client = client or APIClient()
    return client.post(alert_url(product), {"email": email}, format="json")


def sent_order(product: Product, units: int = 10) -> PurchaseOrder:
    suggest(product, order=units, on_hand=0)
    created = services.purchase_orders_create_from_suggestions(product_ids=[product.pk])
    return services.purchase_order_send(purchase_order_id=created.purchase_orders[0].pk)


def receive(order: PurchaseOrder, units: int, capture: Any) -> None:
    line = order.lines.get()
    with capture(execute=True):
        services.purchase_order_receive(purchase_order_id=order.pk, quantities={line.pk: units})


def back_in_stock_mails() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Back in stock")]


def unsubscribe_path(message: Any) -> str:
    match = re.search(r"https?://[^/\s]+(/stock-alerts/[\w-]+/unsubscribe/)", message.body)
    assert match, message.body
    return match.group(1)


# --- the whole journey ------------------------------------------------------------------------


def test_visitor_is_emailed_once_when_a_purchase_order_brings_the_product_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = sold_out(name="Stoneware mug")
    order = sent_order(product)

    response = subscribe(product, "Ann@Example.com ")
    assert response.status_code == 201, response.json()
    assert response.json() == {"product_id": product.pk, "status": "waiting", "created": True}
    assert mail.outbox == []  # nothing until the goods arrive

    receive(order, 4, django_capture_on_commit_callbacks)

    [message] = back_in_stock_mails()
    assert message.to == ["ann@example.com"]
    assert message.subject == "Back in stock: Stoneware mug"
    product_link = f"/p/{product.pk}/{product.slug}/"
    assert product_link in message.body
    html = message.alternatives[0][0]
    assert product_link in html and "Unsubscribe" in html
    alert = StockAlert.objects.get()
    assert unsubscribe_path(message) == f"/stock-alerts/{alert.token}/unsubscribe/"
    assert alert.token in html
    assert alert.status == Status.SENT and alert.sent_at is not None

    receive(order, 6, django_capture_on_commit_callbacks)  # the rest of the order: no new mail
    assert len(back_in_stock_mails()) == 1


def test_every_waiting_shopper_is_emailed_oldest_first(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = sold_out()
    shopper = CustomerFactory(user__email="bo@example.com", user__first_name="Bo")
    signed_in = APIClient()
    signed_in.force_authenticate(shopper.user)
    assert subscribe(product, "first@example.com").status_code == 201
    assert signed_in.post(alert_url(product), {}, format="json").status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(product_id=product.pk, quantity=3)

    assert [m.to for m in back_in_stock_mails()] == [["first@example.com"], ["bo@example.com"]]
    assert back_in_stock_mails()[1].body.startswith("Hello Bo,")
    assert set(StockAlert.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_cancelled_order_putting_the_last_unit_back_emails_the_waiting_shopper(
    django_capture_on_commit_callbacks: Any,
) -> None:
    product = ProductFactory(with_stock=1)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=product, quantity=1)
    order = order_services.order_place(
        cart_id=cart.pk,
        idempotency_key="k1",
        email="buyer@example.com",
        shipping_address=ADDRESS,
        card=order_services.CardInput(GOOD_CARD),
    )
    assert subscribe(product).status_code == 201  # the last unit was just sold

    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_cancel(order_id=order.pk)

    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert [m.to for m in back_in_stock_mails()] == [["ann@example.com"]]


def test_a_rolled_back_receipt_emails_nobody(django_capture_on_commit_callbacks: Any) -> None:
    product = sold_out()
    order = sent_order(product)
    subscribe(product)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.purchase_order_receive(purchase_order_id=order.pk)
        raise RuntimeError("the receipt's transaction fails after the stock moved")

    assert back_in_stock_mails() == []
    assert StockAlert.objects.get().status == Status.WAITING


def test_nothing_is_sent_when_it_sold_out_again_before_the_task_ran() -> None:
    product = sold_out()
    subscribe(product)

    assert services.stock_alerts_send(product_id=product.pk) == 0  # stock still 0

    assert back_in_stock_mails() == []
    assert StockAlert.objects.get().status == Status.WAITING


def test_a_failed_send_stays_waiting_and_the_log_names_no_address(
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    product = sold_out()
    subscribe(product, "private.person@example.com")

    caplog.set_level(logging.INFO)
    failing = mock.patch(
        "django.core.mail.EmailMultiAlternatives.send",
        side_effect=OSError("550 private.person@example.com unknown"),
    )
    with failing, django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(product_id=product.pk, quantity=2)

    assert StockAlert.objects.get().status == Status.WAITING
    assert "e-mail not sent" in caplog.text
    assert "private.person" not in caplog.text

    services.stock_alerts_send(product_id=product.pk)  # a retry once the mail server is back
    assert [m.to for m in back_in_stock_mails()] == [["private.person@example.com"]]


# --- subscribing: the API ----------------------------------------------------------------------


def test_subscribing_to_a_product_in_stock_is_refused() -> None:
    product = ProductFactory(with_stock=5)

    response = subscribe(product)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "in_stock" and body["product"]
    assert not StockAlert.objects.exists()


def test_subscribing_twice_is_idempotent() -> None:
    product = sold_out()
    assert subscribe(product, "ann@example.com").status_code == 201

    again = subscribe(product, "ANN@example.com")

    assert again.status_code == 200
    assert again.json() == {"product_id": product.pk, "status": "waiting", "created": False}
    assert StockAlert.objects.count() == 1


def test_a_visitor_must_give_a_valid_email() -> None:
    product = sold_out()

    missing = APIClient().post(alert_url(product), {}, format="json")
    invalid = subscribe(product, "not-an-address")

    assert missing.status_code == 400 and missing.json()["email"]
    assert invalid.status_code == 400
    assert invalid.json()["email"] == ["Enter a valid e-mail address, like name@example.com."]
    assert not StockAlert.objects.exists()


def test_unknown_or_inactive_product_is_404() -> None:
    hidden = sold_out(is_active=False)

    assert subscribe(hidden).status_code == 404
    assert APIClient().post("/api/v1/products/999999/stock-alert/", {}).status_code == 404


def test_signed_in_shopper_needs_no_email_and_can_stop_waiting(
    shopper_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    product = sold_out()
    assert shopper_client.post(alert_url(product), {}, format="json").status_code == 201

    assert shopper_client.delete(alert_url(product)).status_code == 204
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(product_id=product.pk, quantity=2)

    assert back_in_stock_mails() == []
    assert StockAlert.objects.get().status == Status.CANCELLED
    assert APIClient().delete(alert_url(product)).status_code in (401, 403)


def test_the_unsubscribe_link_stops_this_persons_other_alerts(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mug, lamp = sold_out(), sold_out()
    subscribe(mug)
    subscribe(lamp)
    subscribe(lamp, "someone.else@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(product_id=mug.pk, quantity=1)
    [message] = back_in_stock_mails()
    path = unsubscribe_path(message)

    page = Client().get(path)
    assert page.status_code == 200 and b"data-stock-alert-unsubscribe" in page.content
    token = path.split("/")[2]
    response = APIClient().delete(f"/api/v1/stock-alerts/{token}/")
    assert response.status_code == 200 and response.json() == {"cancelled": 1}
    assert APIClient().delete(f"/api/v1/stock-alerts/{token}/").json() == {"cancelled": 0}
    assert APIClient().delete("/api/v1/stock-alerts/made-up-token/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(product_id=lamp.pk, quantity=1)
    assert [m.to for m in back_in_stock_mails()][1:] == [["someone.else@example.com"]]


def test_a_flood_of_subscriptions_gets_429(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "stock_alerts": "3/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    product = sold_out()
    flooder = APIClient(REMOTE_ADDR="203.0.113.7")

    statuses = [subscribe(product, f"u{i}@example.com", flooder).status_code for i in range(5)]

    assert statuses == [201, 201, 201, 429, 429]
    assert (
        subscribe(product, "x@example.com", APIClient(REMOTE_ADDR="198.51.100.9")).status_code
        == 201
    )


# --- GDPR -------------------------------------------------------------------------------------


def test_erasure_cancels_the_persons_alerts_and_forgets_the_address(
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = CustomerFactory(user__email="eve@example.com")
    signed_in = APIClient()
    signed_in.force_authenticate(customer.user)
    mug, lamp = sold_out(), sold_out()
    signed_in.post(alert_url(mug), {}, format="json")
    subscribe(lamp, "eve@example.com")  # before she signed up
    subscribe(lamp, "other@example.com")

    exported = customer_data_export(customer_id=customer.pk)["stock_alerts"]
    assert {(a["product_id"], a["status"]) for a in exported} == {
        (mug.pk, "waiting"),
        (lamp.pk, "waiting"),
    }

    customer_erase(customer=customer)

    assert not StockAlert.objects.filter(email="eve@example.com").exists()
    assert not StockAlert.objects.filter(customer=customer).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(product_id=mug.pk, quantity=1)
        services.stock_adjust(product_id=lamp.pk, quantity=1)
    assert [m.to for m in back_in_stock_mails()] == [["other@example.com"]]


# --- the merchant sees the demand ---------------------------------------------------------------


@pytest.fixture
def merchant() -> Client:
    client = Client()
    client.force_login(UserFactory(username="buyer", is_staff=True, is_superuser=True))
    return client


def test_admin_lists_show_how_many_shoppers_wait(merchant: Client) -> None:
    product = sold_out(sku="MUG-BLUE")
    for i in range(12):
        subscribe(product, f"s{i}@example.com")
    order = sent_order(product)
    assert facade.stock_alerts_waiting_counts([product.pk]) == {product.pk: 12}

    products = merchant.get("/admin/catalog/product/").content.decode()
    assert "12 shoppers waiting" in products
    suggestions = merchant.get("/admin/forecasting/reordersuggestion/").content.decode()
    assert "Shoppers waiting" in suggestions
    assert re.search(r'class="field-shoppers_waiting">12<', suggestions)
    orders = merchant.get("/admin/catalog/purchaseorder/").content.decode()
    assert re.search(r'class="field-shoppers_waiting">12<', orders)
    form = merchant.get(f"/admin/catalog/purchaseorder/{order.pk}/change/").content.decode()
    assert "12 shoppers waiting" in form
    alerts = merchant.get(
        f"/admin/catalog/stockalert/?product__id__exact={product.pk}&status__exact=waiting"
    ).content.decode()
    assert "12 stock alerts" in alerts and "s0@example.com" not in alerts


# --- the product page ------------------------------------------------------------------------


def test_sold_out_page_offers_the_alert_form_instead_of_add_to_cart() -> None:
    product = sold_out()
    in_stock = ProductFactory(with_stock=3)

    page = Client().get(f"/p/{product.pk}/{product.slug}/").content.decode()
    assert "data-stock-alert-form" in page and 'name="email"' in page
    assert 'data-testid="add-to-cart"' not in page
    assert "data-stock-alert-form" not in Client().get(f"/p/{in_stock.pk}/").content.decode()


def test_signed_in_shopper_sees_no_email_field_and_then_that_they_wait() -> None:
    product = sold_out()
    customer = CustomerFactory()
    client = Client()
    client.force_login(customer.user)

    page = client.get(f"/p/{product.pk}/").content.decode()
    assert "data-stock-alert-form" in page and 'name="email"' not in page

    services.stock_alert_subscribe(product_id=product.pk, customer_id=customer.pk)
    page = client.get(f"/p/{product.pk}/").content.decode()
    assert re.search(r"data-stock-alert-form[^>]* hidden>", page)
    assert re.search(r'data-testid="stock-alert-done">You\'re on the list', page)
