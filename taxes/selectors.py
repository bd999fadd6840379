"""Reads of the tax tables: the classes of products and the rates of a country."""

from collections.abc import Iterable
from decimal import Decimal

from taxes.models import TaxRate


def tax_class_codes_for_products(product_ids: Iterable[int]) -> dict[int, str | None]:
    """Each product's tax class code: its own, else its category's, else None (standard).
    One query."""
    from catalog.models import Product  # the catalog points at us, not the other way round

    rows = Product.objects.filter(pk__in=list(product_ids)).values_list(
        "pk", "tax_class__code", "category__tax_class__code"
    )
    return {pk: own or category for pk, own, category in rows}


def tax_rates_for_country(country: str | None) -> dict[str, Decimal]:
    """Percent rate by tax class code in ``country`` (ISO-2); classes without a row are 0 %.
    One query."""
    if not country:
        return {}
    return dict(
        TaxRate.objects.filter(country=country.upper())
        .order_by()
        .values_list("tax_class__code", "rate")
    )
