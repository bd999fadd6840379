"""The demo's latest checkouts, decided by the store's own checkout risk step.

The simulator writes its latest orders undecided (pending, card authorised). Each one goes
through `orders.facade.order_risk_decide`, the step `order_place` runs at checkout: fraud
scoring with the active model when there is one, the merchant's rules alone when not. It
captures the order, holds it for review or declines it. So the review queue a merchant opens
after `make demo` was filled by the real decision, with its reasons, not written by hand.

Like Stripe Radar's suggested rules, the demo store starts with two review rules, so the
queue fills before any model is trained (rules-only) and after (model score plus rules).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Literal

from demo.models import DemoRange
from fraud import facade as fraud
from fraud.models import RiskRule
from orders import facade as orders
from orders.models import Order


@dataclass(frozen=True, slots=True)
class DemoRule:
    name: str
    expression: str
    action: Literal["allow", "block", "review"]


DEMO_RISK_RULES = [
    DemoRule(
        name="Shopper abroad: IP country differs from billing country",
        expression="ip_country != billing_country",
        action="review",
    ),
    DemoRule(
        name="Big basket to a new shipping address",
        expression="amount > 150 and new_ship_address == 1",
        action="review",
    ),
]


def demo_risk_rules_install() -> int:
    """Add the demo's merchant rules (a rule already there by name is kept as it is); new
    ones are recorded as demo rows, so the next `populate_demo` replaces them."""
    created = 0
    for rule in DEMO_RISK_RULES:
        pk = fraud.risk_rule_ensure(name=rule.name, expression=rule.expression, action=rule.action)
        if pk is not None:
            DemoRange.objects.create(table=RiskRule._meta.db_table, first_id=pk, last_id=pk)
            created += 1
    return created


def demo_checkouts_decide(*, first_order_id: int) -> dict[str, int]:
    """Decide the pending orders from `first_order_id` on (this run's), oldest first.

    Returns how many were decided, held for review, declined and approved. A few ms per
    order (two indexed reads, the model if active, the rules).
    """
    ids = list(
        Order.objects.filter(pk__gte=first_order_id, status=Order.Status.PENDING)
        .order_by("pk")  # ids follow placement time
        .values_list("pk", flat=True)
    )
    # simulated shoppers: no e-mail (thousands of files in var/mail otherwise)
    outcome = Counter(orders.order_risk_decide(pk, notify=False) for pk in ids)
    return {
        "decided": len(ids),
        "held": outcome[Order.Status.ON_HOLD],
        "declined": outcome[Order.Status.CANCELLED],
        "approved": outcome[Order.Status.PAID],
    }
