"""Reads of the tax tables: the classes of products and the rates of a country."""

from collections.abc import Iterable
from decimal import Decimal

from taxes.models import TaxClass, TaxRate


def tax_class_standard_id() -> int | None:
    """The ``standard`` class (delivery's, and the default); None if the merchant removed it."""
    return TaxClass.objects.filter(code=TaxClass.STANDARD).values_list("pk", flat=True).first()


def tax_class_ids_for_products(product_ids: Iterable[int]) -> dict[int, int | None]:
    """Each product's tax class: its own, else its category's, else None (the caller's
    standard). One query."""
    from catalog.models import Product  # the catalog points at us, not the other way round

    rows = Product.objects.filter(pk__in=list(product_ids)).values_list(
        "pk", "tax_class_id", "category__tax_class_id"
    )
    return {pk: own or category for pk, own, category in rows}


def tax_rates_for_country(country: str | None) -> dict[int, Decimal]:
    """Percent rate by tax class id in ``country`` (ISO-2); classes without a row are 0 %."""
    if not country:
        return {}
    return dict(TaxRate.objects.filter(country=country.upper()).values_list("tax_class_id", "rate"))


def tax_class_names() -> dict[int, str]:
    return dict(TaxClass.objects.values_list("pk", "name"))
