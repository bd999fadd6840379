"""A merchant's catalogue in a spreadsheet (Shopify's and Saleor's product CSV): create and
update products by SKU, all rows or none, each bad line named, prices through the price
history, stock through movements, and an export that imports back unchanged."""

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog import services
from catalog.models import Brand, Category, PriceHistory, Product, Stock, StockMovement
from storefront.api_errors import ServiceError
from tests.factories import CategoryFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal

NEW = """sku,name,category,price,list_price,cost,stock,brand,is_active,tax_class
TEA-1,Green tea,Kitchen > Tea,4.50,5.00,2.10,30,Leafy,yes,reduced
TEA-2,Black tea,Kitchen > Tea,3.95,,1.80,0,,no,
"""


def test_new_products_are_created_with_categories_brands_stock_and_price_history() -> None:
    report = services.products_import_csv(text=NEW)

    assert (report.created, report.updated, report.errors) == (2, 0, [])
    assert report.categories_created == ["Kitchen", "Kitchen > Tea"]
    assert report.brands_created == ["Leafy"]
    green = Product.objects.get(sku="TEA-1")
    assert green.category.name == "Tea" and green.category.parent.name == "Kitchen"
    assert (green.price, green.list_price, green.cost) == (D("4.50"), D("5.00"), D("2.10"))
    assert green.brand == Brand.objects.get(name="Leafy") and green.is_active
    assert green.tax_class is not None and green.tax_class.code == "reduced"
    assert Stock.objects.get(product=green).on_hand == 30
    assert StockMovement.objects.filter(product=green, reference="import").get().quantity == 30
    assert PriceHistory.objects.filter(product=green, source="import").count() == 1
    black = Product.objects.get(sku="TEA-2")
    assert black.list_price == D("3.95") and not black.is_active and black.brand is None


def test_a_price_list_changes_only_prices_through_the_price_history() -> None:
    mug = ProductFactory(sku="MUG-1", name="Mug", price=D("12.00"), list_price=D("15.00"))
    Stock.objects.filter(product=mug).update(on_hand=7)

    report = services.products_import_csv(text="sku,price\nMUG-1,9.99\n", user_id=None)

    mug.refresh_from_db()
    assert report.updated == 1 and mug.price == D("9.99") and mug.name == "Mug"
    assert Stock.objects.get(product=mug).on_hand == 7  # no stock column: untouched
    entry = PriceHistory.objects.filter(product=mug).latest("changed_at")
    assert (entry.price, entry.source) == (D("9.99"), "import")
    again = services.products_import_csv(text="sku,price\nMUG-1,9.99\n")
    assert (again.updated, again.unchanged) == (0, 1)


def test_a_price_rise_carries_the_list_price_of_a_product_not_on_sale() -> None:
    tea = ProductFactory(sku="TEA-1", price=D("5.00"), list_price=D("5.00"))
    sale = ProductFactory(sku="MUG-1", price=D("12.00"), list_price=D("15.00"))

    report = services.products_import_csv(text="sku,price\nTEA-1,6.00\nMUG-1,14.00\n")

    tea.refresh_from_db()
    sale.refresh_from_db()
    assert report.updated == 2
    assert (tea.price, tea.list_price) == (D("6.00"), D("6.00"))
    assert (sale.price, sale.list_price) == (D("14.00"), D("15.00"))  # still a sale
    refused = services.products_import_csv(text="sku,price\nMUG-1,16.00\n")
    assert "above list_price 15.00" in refused.errors[0]["errors"][0]  # type: ignore[index]


def test_one_bad_row_writes_nothing_and_every_bad_line_is_named() -> None:
    ProductFactory(sku="MUG-1", price=D("12.00"), list_price=D("15.00"))
    text = (
        "sku,name,category,price,list_price,cost,stock,tax_class\n"
        "NEW-1,Fine,Kitchen,5.00,,2.00,3,\n"  # line 2: fine
        "NEW-2,,Kitchen,-1,,,x,luxury\n"  # line 3
        "MUG-1,,,20.00,,,,\n"  # line 4: above its list price
        "NEW-1,Twice,Kitchen,5.00,,2.00,,\n"  # line 5: repeated SKU
        ",No sku,Kitchen,5.00,,2.00,,\n"  # line 6
    )

    report = services.products_import_csv(text=text)

    by_line = {e["row"]: " | ".join(e["errors"]) for e in report.errors}  # type: ignore[arg-type]
    assert sorted(by_line) == [3, 4, 5, 6]
    assert "name is needed" in by_line[3] and "price must be positive" in by_line[3]
    assert "cost is needed" in by_line[3]
    assert "stock 'x' is not a whole number" in by_line[3]
    assert "tax_class 'luxury' is not one of" in by_line[3]
    assert "price 20.00 is above list_price 15.00" in by_line[4]
    assert "also on line 2" in by_line[5]
    assert "sku is missing" in by_line[6]
    assert not Product.objects.filter(sku="NEW-1").exists()  # the good row was not applied
    assert not Category.objects.filter(name="Kitchen").exists()


def test_a_file_that_is_not_the_format_is_refused_with_the_columns_to_use() -> None:
    with pytest.raises(ServiceError) as unknown:
        services.products_import_csv(text="sku,colour\nA,red\n")
    with pytest.raises(ServiceError) as no_sku:
        services.products_import_csv(text="name,price\nA,1.00\n")

    assert "unknown columns colour" in unknown.value.message
    assert "no sku column" in no_sku.value.message and "tax_class" in no_sku.value.message


def test_stock_is_set_to_the_count_and_never_below_what_carts_reserve() -> None:
    mug = ProductFactory(sku="MUG-1", with_stock=10)
    Stock.objects.filter(product=mug).update(reserved=4)

    refused = services.products_import_csv(text="sku,stock\nMUG-1,3\n")
    counted = services.products_import_csv(text="sku,stock\nMUG-1,6\n")

    assert "reserved" in " ".join(refused.errors[0]["errors"])  # type: ignore[arg-type]
    assert counted.updated == 1 and Stock.objects.get(product=mug).on_hand == 6
    assert StockMovement.objects.filter(product=mug, reference="import").get().quantity == -4


def test_export_then_import_changes_nothing_even_with_formula_like_names() -> None:
    category = CategoryFactory(name="Tea", parent=CategoryFactory(name="Kitchen"))
    ProductFactory(sku="EQ-1", name="=1+1 tea", category=category, description="Line one\nTwo")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    exported = b"".join(client.get("/admin/catalog/product/export.csv").streaming_content)
    text = exported.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    report = services.products_import_csv(text=text)

    assert rows[0]["name"] == "'=1+1 tea" and rows[0]["category"] == "Kitchen > Tea"
    assert (report.updated, report.unchanged, report.errors) == (0, 1, [])
    assert Product.objects.get(sku="EQ-1").name == "=1+1 tea"


def test_admin_import_page_reports_the_result(tmp_path: Any) -> None:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get("/admin/catalog/product/import/")
    bad = client.post(
        "/admin/catalog/product/import/",
        {"file": SimpleUploadedFile("p.csv", b"sku,price\nNOPE,abc\n", "text/csv")},
    )
    good = client.post(
        "/admin/catalog/product/import/",
        {"file": SimpleUploadedFile("p.csv", NEW.encode(), "text/csv")},
    )
    listing = client.get("/admin/catalog/product/").content.decode()

    assert page.status_code == 200 and "tax_class" in page.content.decode()
    assert "Nothing imported" in bad.content.decode() and "abc" in bad.content.decode()
    assert "2 created" in good.content.decode()
    assert Product.objects.filter(sku__in=["TEA-1", "TEA-2"]).count() == 2
    assert 'data-testid="products-import"' in listing
    assert Client().get("/admin/catalog/product/import/").status_code == 302


def test_the_staff_api_imports_or_answers_400_with_the_bad_rows() -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(UserFactory(is_staff=True))
    url = "/api/v1/staff/products/import/"

    bad = api.post(url, {"file": SimpleUploadedFile("p.csv", b"sku,price\nX,0\n")})
    good = api.post(url, {"file": SimpleUploadedFile("p.csv", NEW.encode())})
    shopper = APIClient()
    shopper.force_authenticate(UserFactory())

    assert bad.status_code == 400 and bad.json()["rejected"][0]["row"] == 2
    assert good.status_code == 200 and good.json()["created"] == 2
    assert shopper.post(url, {"file": SimpleUploadedFile("p.csv", NEW.encode())}).status_code == 403
