from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def q2(value: Decimal | int | str) -> Decimal:
    """Round a money amount to cents, half up (how shoppers expect prices to round)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
