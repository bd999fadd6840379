from decimal import Decimal

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

CLASSES = [("standard", "Standard rate", 0), ("reduced", "Reduced rate", 1), ("zero", "Zero rate", 2)]

# Rates (percent) in the countries checkout delivers to (storefront's COUNTRY_NAMES; the
# delivery methods deliver everywhere), as of 2026. Reduced: the rate most common for
# retail goods (FR 5.5 books and food; IE 13.5; DE 7; NL 9; ES and IT 10; GB 5). The US has
# no VAT and gets no row (0 %): the store does not collect US sales tax.
RATES = {
    "GB": {"standard": "20.00", "reduced": "5.00", "zero": "0.00"},
    "IE": {"standard": "23.00", "reduced": "13.50", "zero": "0.00"},
    "FR": {"standard": "20.00", "reduced": "5.50", "zero": "0.00"},
    "DE": {"standard": "19.00", "reduced": "7.00", "zero": "0.00"},
    "NL": {"standard": "21.00", "reduced": "9.00", "zero": "0.00"},
    "ES": {"standard": "21.00", "reduced": "10.00", "zero": "0.00"},
    "IT": {"standard": "22.00", "reduced": "10.00", "zero": "0.00"},
}


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    TaxClass = apps.get_model("taxes", "TaxClass")
    TaxRate = apps.get_model("taxes", "TaxRate")
    classes = {}
    for code, name, position in CLASSES:
        classes[code], _ = TaxClass.objects.get_or_create(
            code=code, defaults={"name": name, "position": position}
        )
    for country, rates in RATES.items():
        for code, rate in rates.items():
            TaxRate.objects.get_or_create(
                country=country, tax_class=classes[code], defaults={"rate": Decimal(rate)}
            )


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("taxes", "TaxClass").objects.filter(code__in=[c[0] for c in CLASSES]).delete()


class Migration(migrations.Migration):
    dependencies = [("taxes", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
