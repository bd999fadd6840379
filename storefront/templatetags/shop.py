"""Template helpers for the shop pages: money in the store currency, stars, stock wording."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings

register = template.Library()

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """An amount as the shop writes it (£1,234.50), in ``currency`` (an order's own) or the
    store's."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    currency = currency or settings.STORE_CURRENCY
    symbol = SYMBOLS.get(currency, currency + " ")
    if amount < 0:  # credit notes: −£5.00, not £-5.00
        return f"\u2212{symbol}{-amount:,.2f}"
    return f"{symbol}{amount:,.2f}"


@register.filter
def stock_label(available: Any) -> str:
    available = int(available or 0)
    if available <= 0:
        return "Sold out"
    if available <= 5:
        return f"Only {available} left"
    return "In stock"


@register.filter
def stock_class(available: Any) -> str:
    available = int(available or 0)
    return "out" if available <= 0 else "low" if available <= 5 else "in"


@register.filter
def percent_off(price: Any, reference: Any) -> int:
    try:
        price, reference = Decimal(str(price)), Decimal(str(reference))
    except (InvalidOperation, TypeError, ValueError):
        return 0
    if reference <= 0 or price >= reference:
        return 0
    return int(round((1 - price / reference) * 100))


@register.simple_tag
def currency_symbol() -> str:
    return SYMBOLS.get(settings.STORE_CURRENCY, settings.STORE_CURRENCY)


@register.filter
def available_of(product: Any) -> int:
    stock = getattr(product, "stock", None)
    return max(stock.available, 0) if stock else 0


@register.filter
def attribute_label(key: Any) -> str:
    """ "material_or_style" -> "Material or style"."""
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


# the countries checkout delivers to (its country list); orders store the ISO code
COUNTRY_NAMES = {
    "GB": "United Kingdom",
    "IE": "Ireland",
    "FR": "France",
    "DE": "Germany",
    "NL": "Netherlands",
    "ES": "Spain",
    "IT": "Italy",
    "US": "United States",
}


@register.filter
def country_name(code: Any) -> str:
    """ "GB" -> "United Kingdom"; a code outside the list stays as it is."""
    text = str(code or "")
    return COUNTRY_NAMES.get(text.upper(), text)
