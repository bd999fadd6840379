"""VAT as other apps see it: the tax contained in tax-inclusive prices, per line and for
delivery, by the delivery country's rates. Money is Decimal in the store currency."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from taxes import selectors
from taxes.calc import ZERO, split_proportionally, tax_in_gross
from taxes.models import TaxClass


@dataclass(frozen=True, slots=True)
class TaxedAmount:
    """One taxed charge: ``gross`` is what the shopper pays for it (after its share of the
    discount), ``net + tax == gross``; ``rate`` in percent (20.00)."""

    gross: Decimal
    discount: Decimal  # the share of the order's discount taken off this line
    rate: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class OrderTaxes:
    country: str
    lines: tuple[TaxedAmount, ...]  # in the order of the goods passed in
    shipping: TaxedAmount
    total_net: Decimal
    total_tax: Decimal


@dataclass(frozen=True, slots=True)
class TaxableLine:
    amount: Decimal  # the line's gross before the discount (unit price x quantity)
    product_id: int | None  # None: a product since deleted, taxed at the standard rate


def _taxed(gross: Decimal, discount: Decimal, rate: Decimal) -> TaxedAmount:
    tax = tax_in_gross(gross, rate)
    return TaxedAmount(gross=gross, discount=discount, rate=rate, net=gross - tax, tax=tax)


def order_taxes(
    *,
    country: str | None,
    lines: Sequence[TaxableLine],
    discount: Decimal = ZERO,
    shipping: Decimal = ZERO,
) -> OrderTaxes:
    """The VAT in an order whose prices include it (as Saleor's "prices entered with tax").

    Each line is taxed at its product's class rate (its own class, else its category's,
    else standard) in ``country``; a country or class without a rate is 0 %. The
    ``discount`` (off the goods) is shared across the lines in proportion to their amounts,
    to the cent, so each line's taxable gross is what was really paid for it. Delivery is
    taxed at the standard rate. Tax per line = gross x rate / (1 + rate), half up to the
    cent; the totals add the lines, so the invoice's lines and summary always agree. Two
    queries; nothing is written.
    """
    country = (country or "").upper()
    rates = selectors.tax_rates_for_country(country)
    product_ids = [line.product_id for line in lines if line.product_id is not None]
    classes = selectors.tax_class_codes_for_products(product_ids) if product_ids else {}
    standard_rate = rates.get(TaxClass.STANDARD, ZERO)

    def rate_of(product_id: int | None) -> Decimal:
        code = classes.get(product_id) if product_id is not None else None
        return rates.get(code or TaxClass.STANDARD, ZERO)

    amounts = [line.amount for line in lines]
    shares = split_proportionally(min(discount, sum(amounts, ZERO)), amounts)
    taxed = tuple(
        _taxed(line.amount - share, share, rate_of(line.product_id))
        for line, share in zip(lines, shares, strict=True)
    )
    delivery = _taxed(shipping, ZERO, standard_rate)
    total_tax = sum((t.tax for t in taxed), ZERO) + delivery.tax
    total_net = sum((t.net for t in taxed), ZERO) + delivery.net
    return OrderTaxes(
        country=country,
        lines=taxed,
        shipping=delivery,
        total_net=total_net,
        total_tax=total_tax,
    )
