"""Cart recovery: which nudge to send and how much discount the guardrails allow (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

REMINDER_ABOVE = 0.5  # likely to come back anyway: a reminder, no discount
DISCOUNT_ABOVE = 0.15  # on the fence: a discount can tip it


def max_discount_pct(
    prices: Sequence[float], costs: Sequence[float], min_margin: float = 0.15, cap: float = 0.15
) -> float:
    """Largest uniform discount (whole percent, as a fraction) that keeps every line priced at
    least ``cost * (1 + min_margin)``, and never above ``cap``. 0 when any line is already at
    or below that floor."""
    allowed = cap
    for price, cost in zip(prices, costs, strict=True):
        if price <= 0:
            return 0.0
        floor = cost * (1 + min_margin)
        allowed = min(allowed, 1 - floor / price)
    if allowed <= 0:
        return 0.0
    return math.floor(allowed * 100 + 1e-9) / 100


def recovery_action(propensity: float | None, discount_allowed: float) -> tuple[str, float]:
    """("reminder" | "discount" | "recommend", discount fraction)."""
    p = 0.3 if propensity is None else propensity  # unknown visitor: treat as on the fence
    if p >= REMINDER_ABOVE:
        return "reminder", 0.0
    if p >= DISCOUNT_ABOVE and discount_allowed >= 0.05:
        return "discount", min(discount_allowed, 0.10)
    return "recommend", 0.0
