"""VAT as a European shopper and merchant see it (Saleor's taxes, Shopify's invoices): prices
include VAT at the delivery country's rate for the product's class, each order records the
VAT per line, a paid order gets one numbered invoice, each refund a credit note, and the
admin adds them up per country and rate."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from catalog.models import Product
from orders import services
from orders.models import Cart, Invoice, Order
from taxes.calc import split_proportionally, tax_in_gross
from taxes.models import TaxClass, TaxRate
from tests.factories import (
    ADDRESS,
    GOOD_CARD,
    CartFactory,
    CartLineFactory,
    CustomerFactory,
    ProductFactory,
    UserFactory,
)
from tests.orders.factories import order_placed

pytestmark = pytest.mark.django_db

D = Decimal


def _place(
    lines: list[tuple[str, int, str | None]],
    *,
    country: str = "GB",
    key: str = "k1",
    customer_id: int | None = None,
) -> Order:
    """Check out ``(price, quantity, tax class code)`` lines to an address in ``country``."""
    cart = CartFactory(customer_id=customer_id)
    for price, quantity, code in lines:
        product = ProductFactory(price=D(price), with_stock=50)
        if code is not None:
            Product.objects.filter(pk=product.pk).update(tax_class=TaxClass.objects.get(code=code))
        CartLineFactory(cart=cart, product=product, quantity=quantity)
    return _checkout(cart, key, country=country)


def _checkout(cart: Cart, key: str, *, country: str = "GB") -> Order:
    return services.order_place(
        cart_id=cart.pk,
        idempotency_key=key,
        email="ada@example.com",
        shipping_address={**ADDRESS, "country": country},
        card=services.CardInput(GOOD_CARD),
    )


def _serial(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


# --- arithmetic -------------------------------------------------------------------------------


def test_vat_is_the_share_of_a_tax_inclusive_price() -> None:
    assert tax_in_gross(D("12.00"), D("20.00")) == D("2.00")
    assert tax_in_gross(D("10.00"), D("5.50")) == D("0.52")  # 0.5213 rounds half up
    assert tax_in_gross(D("-12.00"), D("20.00")) == D("-2.00")
    assert tax_in_gross(D("9.99"), D("0")) == D("0.00")


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10**7),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
)
def test_a_discount_is_shared_to_the_cent_with_nothing_lost(
    amount: int, weights: list[int]
) -> None:
    cents = D(amount) / 100
    shares = split_proportionally(cents, [D(w) / 100 for w in weights])
    assert sum(shares) == cents
    assert all(s >= 0 for s in shares)


# --- checkout ---------------------------------------------------------------------------------


def test_checkout_records_vat_per_line_and_delivery_and_it_adds_up() -> None:
    order = _place([("30.00", 1, None), ("10.00", 1, "reduced")])  # GB: 20 % and 5 %

    lines = list(order.lines.order_by("pk"))
    assert [line.tax_rate for line in lines] == [D("20.00"), D("5.00")]
    assert [line.tax for line in lines] == [D("5.00"), D("0.48")]
    assert order.shipping == D("4.95") and order.shipping_tax == D("0.83")  # standard rate
    assert order.total_tax == D("6.31") and order.tax_country == "GB"
    assert order.total_net is not None and order.total_net + order.total_tax == order.total


def test_the_delivery_country_sets_the_rate_and_a_country_without_vat_pays_none() -> None:
    german = _place([("119.00", 1, None)], country="DE", key="de")
    american = _place([("119.00", 1, None)], country="US", key="us")

    assert german.lines.get().tax == D("19.00")  # 119.00 holds 19 % VAT of 100.00
    assert american.total_tax == D("0.00") and american.total_net == american.total


def test_a_category_class_applies_to_its_products_and_a_product_class_overrides_it() -> None:
    zero = TaxClass.objects.get(code="zero")
    order_default = _place([("12.00", 1, None)], key="a")
    category = order_default.lines.get().product.category
    category.tax_class = zero
    category.save()
    in_zero_category = ProductFactory(category=category, price=D("12.00"), with_stock=5)
    own_class = ProductFactory(category=category, price=D("12.00"), with_stock=5)
    Product.objects.filter(pk=own_class.pk).update(tax_class=TaxClass.objects.get(code="reduced"))
    cart = CartFactory()
    CartLineFactory(cart=cart, product=in_zero_category, quantity=1)
    CartLineFactory(cart=cart, product=own_class, quantity=1)

    order = _checkout(cart, "b")

    taxes = {line.product_id: line.tax for line in order.lines.all()}
    assert taxes == {in_zero_category.pk: D("0.00"), own_class.pk: D("0.57")}


def test_a_discount_lowers_the_vat_in_proportion_to_the_lines() -> None:
    from orders.models import Voucher

    Voucher.objects.create(code="HALF", kind=Voucher.Kind.PERCENTAGE, value=D("50"))
    cart = CartFactory()
    standard = ProductFactory(price=D("60.00"), with_stock=5)
    reduced = ProductFactory(price=D("42.00"), with_stock=5)
    Product.objects.filter(pk=reduced.pk).update(tax_class=TaxClass.objects.get(code="reduced"))
    CartLineFactory(cart=cart, product=standard, quantity=1)
    CartLineFactory(cart=cart, product=reduced, quantity=1)
    services.cart_voucher_apply(cart=cart, code="HALF")

    order = _checkout(cart, "k")

    lines = {line.product_id: line for line in order.lines.all()}
    assert lines[standard.pk].discount == D("30.00") and lines[standard.pk].tax == D("5.00")
    assert lines[reduced.pk].discount == D("21.00") and lines[reduced.pk].tax == D("1.00")
    assert order.total_net is not None and order.total_tax is not None
    assert order.total_net + order.total_tax == order.total


def test_a_rate_change_in_admin_applies_to_the_next_checkout_not_to_placed_orders() -> None:
    before = _place([("12.00", 1, None)], key="before")
    TaxRate.objects.filter(country="GB", tax_class__code="standard").update(rate=D("50.00"))

    after = _place([("12.00", 1, None)], key="after")

    assert before.lines.get().tax == D("2.00")
    assert after.lines.get().tax == D("4.00")
    before.refresh_from_db()
    assert before.total_tax == D("2.83")


# --- invoices and credit notes ----------------------------------------------------------------


def test_a_paid_order_gets_one_invoice_numbered_in_sequence() -> None:
    first = order_placed(key="a", price="20.00", quantity=1)  # below free delivery
    second = order_placed(key="b")

    invoice = first.invoices.get()
    assert invoice.kind == Invoice.Kind.INVOICE
    year = invoice.issued_at.year
    assert re.fullmatch(rf"INV-{year}-\d{{6}}", invoice.number)
    # the next paid order takes the next number (the counter may have started earlier)
    assert _serial(second.invoices.get().number) == _serial(invoice.number) + 1
    assert invoice.total_gross == first.total
    assert invoice.total_net + invoice.total_tax == invoice.total_gross
    lines = list(invoice.lines.all())
    assert [line.description for line in lines] == ["Teapot", "Delivery: Standard delivery"]
    assert sum(line.gross for line in lines) == first.total
    assert invoice.seller["vat_number"] and invoice.buyer["email"] == "ada@example.com"
    assert invoice.buyer["full_name"] == "Ada Shopper"
    assert services.invoice_issue(order=first) == invoice  # issued once


def test_a_held_order_is_invoiced_only_when_approved() -> None:
    held = order_placed(key="held", held=True)
    assert not held.invoices.exists()

    services.order_approve(order_id=held.pk, notify=False)

    assert held.invoices.get().total_gross == held.total


def test_refunds_issue_credit_notes_that_cancel_the_invoice_to_the_cent() -> None:
    order = _place([("33.33", 1, None), ("10.01", 1, "reduced")])  # 43.34 + 4.95 delivery
    invoice = order.invoices.get()

    partial = services.refund_create(order_id=order.pk, amount=D("10.00"), notify=False)
    rest = services.refund_create(order_id=order.pk, amount=order.total - D("10.00"), notify=False)

    notes = list(invoice.credit_notes.order_by("pk"))
    assert [n.refund_id for n in notes] == [partial.pk, rest.pk]
    assert notes[0].number.startswith("CN-") and notes[0].total_gross == D("-10.00")
    assert all(n.total_net + n.total_tax == n.total_gross for n in notes)
    assert invoice.total_gross + sum(n.total_gross for n in notes) == 0
    assert invoice.total_tax + sum(n.total_tax for n in notes) == 0  # no VAT cent left over
    by_rate = {line.tax_rate for n in notes for line in n.lines.all()}
    assert by_rate == {D("20.00"), D("5.00")}


# --- what the shopper sees --------------------------------------------------------------------


def test_the_shopper_sees_vat_and_opens_the_invoice_others_get_404() -> None:
    customer = CustomerFactory(user__email="ada@example.com")
    order = _place([("30.00", 2, None)], customer_id=customer.pk)
    invoice = order.invoices.get()
    api = APIClient()
    api.force_authenticate(customer.user)
    page = Client()
    page.force_login(customer.user)

    data = api.get(f"/api/v1/orders/{order.number}/").json()
    detail = api.get(f"/api/v1/orders/{order.number}/invoices/{invoice.number}/")
    html = page.get(f"/order/{order.number}/invoice/{invoice.number}/").content.decode()
    order_html = page.get(f"/order/{order.number}/").content.decode()

    assert data["total_tax"] == "10.00" and data["invoices"][0]["number"] == invoice.number
    assert data["lines"][0]["tax_rate"] == "20.00"
    assert detail.status_code == 200 and detail.json()["total_gross"] == "60.00"
    assert [line["gross"] for line in detail.json()["lines"]] == ["60.00"]  # free delivery
    assert invoice.number in html and "GB123456789" in html and "Ada Shopper" in html
    assert "£10.00" in html  # the VAT
    assert f"/order/{order.number}/invoice/{invoice.number}/" in order_html
    stranger = APIClient()
    stranger.force_authenticate(CustomerFactory().user)
    assert (
        stranger.get(f"/api/v1/orders/{order.number}/invoices/{invoice.number}/").status_code == 404
    )
    assert api.get(f"/api/v1/orders/{order.number}/invoices/INV-1-1/").status_code == 404


def test_the_cart_shows_the_vat_of_the_delivery_country() -> None:
    client = APIClient()
    product = ProductFactory(price=D("60.00"), with_stock=5)
    client.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 1}, format="json")

    home = client.get("/api/v1/cart/").json()
    germany = client.get("/api/v1/cart/?country=DE").json()

    assert (home["tax_country"], home["tax_included"]) == ("GB", "10.00")
    assert (germany["tax_country"], germany["tax_included"]) == ("DE", "9.58")


# --- the merchant -----------------------------------------------------------------------------


def test_admin_vat_report_nets_credit_notes_off_by_country_and_rate() -> None:
    gb = _place([("60.00", 1, None)], key="gb")
    _place([("119.00", 1, None)], country="DE", key="de")
    services.refund_create(order_id=gb.pk, amount=D("12.00"), notify=False)
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/admin/orders/invoice/")

    rows = {(r.country, r.rate): (r.net, r.tax) for r in page.context["vat_report"]}
    assert rows == {
        ("DE", D("19.00")): (D("100.00"), D("19.00")),
        ("GB", D("20.00")): (D("40.00"), D("8.00")),  # 50.00 + 10.00 less the 12.00 refund
    }
    assert 'data-testid="vat-report"' in page.content.decode()
    invoice = gb.invoices.filter(kind=Invoice.Kind.INVOICE).get()
    change = client.get(f"/admin/orders/invoice/{invoice.pk}/change/")
    assert change.status_code == 200 and invoice.number in change.content.decode()
    assert client.post(f"/admin/orders/invoice/{invoice.pk}/delete/").status_code == 403


def test_gdpr_export_lists_invoices_and_erasure_keeps_them() -> None:
    from customers import services as customers
    from customers.selectors import customer_data_export

    customer = CustomerFactory(user__email="ada@example.com")
    order = _place([("30.00", 1, None)], customer_id=customer.pk)

    exported = customer_data_export(customer_id=customer.pk)
    customers.customer_erase(customer=customer)

    invoice = order.invoices.get()
    assert exported["orders"][0]["invoices"][0]["number"] == invoice.number  # type: ignore[index]
    assert invoice.buyer["full_name"] == "Ada Shopper"  # kept for the tax records
    order.refresh_from_db()
    assert order.shipping_address == {}


def test_admin_refuses_a_rate_above_100_or_a_country_that_is_not_two_letters() -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    standard = TaxClass.objects.get(code="standard")

    r = client.post(
        "/admin/taxes/taxrate/add/", {"country": "G1", "tax_class": standard.pk, "rate": "120"}
    )

    errors = r.context["adminform"].form.errors
    assert "country" in errors and "rate" in errors
    assert not TaxRate.objects.filter(country="G1").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_paid_checkouts_get_consecutive_invoice_numbers() -> None:
    Invoice.objects.all().delete()  # earlier tests that commit may have left some
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    carts = []
    for i in range(8):
        cart = CartFactory()
        CartLineFactory(cart=cart, product=ProductFactory(price=D("20.00"), with_stock=5))
        carts.append((i, cart))

    def buy(item: tuple[int, Cart]) -> str:
        i, cart = item
        try:
            return _checkout(cart, f"k{i}").status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(buy, carts))

    assert statuses == ["paid"] * 8
    serials = sorted(_serial(n) for n in Invoice.objects.values_list("number", flat=True))
    assert serials == list(range(serials[0], serials[0] + 8))  # no gaps, no repeats


def test_admin_exports_the_filtered_orders_as_csv_for_the_books() -> None:
    import csv
    import io

    from orders.models import Voucher

    Voucher.objects.create(code="=HYPERLINK", kind=Voucher.Kind.FIXED, value=D("5"))
    paid = _place([("60.00", 1, None)], key="paid")
    services.refund_create(order_id=paid.pk, amount=D("12.00"), notify=False)
    cart = CartFactory()
    CartLineFactory(cart=cart, product=ProductFactory(price=D("20.00"), with_stock=5))
    services.cart_voucher_apply(cart=cart, code="=HYPERLINK")
    with_code = _checkout(cart, "v")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/orders/order/").content.decode()
    r = client.get("/admin/orders/order/export.csv", {"q": paid.number})
    every = client.get("/admin/orders/order/export.csv")

    assert 'data-testid="orders-export-csv"' in listing
    assert r["Content-Disposition"].startswith('attachment; filename="orders-')
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode())))
    assert len(rows) == 1  # the search went with the export
    row = rows[0]
    assert row["number"] == paid.number and row["total"] == "60.00"
    assert (row["total_tax"], row["total_net"], row["tax_country"]) == ("10.00", "50.00", "GB")
    assert row["invoice"] == paid.invoices.get(kind="invoice").number
    assert row["refunded"] == "12.00" and row["items"] == "1"
    text = b"".join(every.streaming_content).decode()
    assert "@example.com" not in text and "High Street" not in text  # no personal data
    coded = next(x for x in csv.DictReader(io.StringIO(text)) if x["number"] == with_code.number)
    assert coded["voucher_code"] == "'=HYPERLINK"  # not run as a formula by a spreadsheet
    assert Client().get("/admin/orders/order/export.csv").status_code == 302  # sign in first
