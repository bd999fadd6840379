from decimal import Decimal

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

# Standard keeps the fee and threshold the store charged before it had methods (then the
# constants SHIPPING_FEE and FREE_SHIPPING_FROM in orders/services.py), so totals stay the same.
METHODS = [
    {
        "name": "Standard delivery",
        "price": Decimal("4.95"),
        "free_from": Decimal("50.00"),
        "min_days": 2,
        "max_days": 4,
        "position": 0,
    },
    {
        "name": "Express delivery",
        "price": Decimal("9.95"),
        "free_from": None,
        "min_days": 1,
        "max_days": 2,
        "position": 1,
    },
]


def create_methods(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ShippingMethod = apps.get_model("orders", "ShippingMethod")
    for values in METHODS:
        ShippingMethod.objects.get_or_create(name=values["name"], defaults=values)


def remove_methods(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    ShippingMethod = apps.get_model("orders", "ShippingMethod")
    ShippingMethod.objects.filter(name__in=[m["name"] for m in METHODS]).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_shipping_methods")]

    operations = [migrations.RunPython(create_methods, remove_methods)]
