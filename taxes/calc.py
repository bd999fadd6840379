"""VAT arithmetic on tax-inclusive (gross) prices: pure Decimal, no Django."""

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def tax_in_gross(gross: Decimal, rate_percent: Decimal) -> Decimal:
    """The VAT contained in ``gross`` at ``rate_percent`` (20.00 for 20 %): gross x rate /
    (1 + rate), rounded half up to the cent. 12.00 at 20 % holds 2.00; a negative gross (a
    credit note) holds the negative of what its positive would."""
    if not gross or not rate_percent:
        return ZERO
    if gross < 0:
        return -tax_in_gross(-gross, rate_percent)
    return (gross * rate_percent / (Decimal(100) + rate_percent)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def split_proportionally(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` (cents, not negative) shared out in proportion to ``weights``, in cents
    that add up to exactly ``amount``: each share is rounded down, then the cents left over
    go to the largest remainders (ties: the earlier weight). All-zero weights put it all on
    the first share, so no cent is lost."""
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    if not total:
        return [amount] + [ZERO] * (len(weights) - 1)
    exact = [amount * w / total for w in weights]
    shares = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((amount - sum(shares, Decimal(0))) / CENT)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += CENT
    return shares
