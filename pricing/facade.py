"""What other apps may use from pricing: frozen dataclasses and typed functions.

Money is Decimal in the store currency; elasticities are dimensionless (% change in units per
% change in price, negative for normal goods).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from mlops.facade import BaselineGate
from pricing import selectors, services
from pricing.models import ElasticityEstimate

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PriceProposal:
    """The price the engine suggests for a product, and why.

    source="model": a proposal from the active model (status pending, applied or rejected).
    source="fallback": no proposal (no model yet, or the model says hold): the current price,
    no elasticity.
    """

    product_id: int
    current_price: Decimal
    proposed_price: Decimal
    status: str
    elasticity: float | None
    elasticity_low: float | None
    elasticity_high: float | None
    pooled: bool
    units_per_day_current: float | None
    units_per_day_new: float | None
    profit_per_day_current: Decimal | None
    profit_per_day_new: Decimal | None
    revenue_per_day_current: Decimal | None
    revenue_per_day_new: Decimal | None
    bound_by: tuple[str, ...]
    conflicts: tuple[str, ...]
    source: Literal["model", "fallback"]
    model_version: str | None


@dataclass(frozen=True, slots=True)
class ReferencePrice:
    """EU Omnibus prior price: show `reference_price` as the "was" price only if `show_was`.

    source="history": computed from the price history; "fallback": the history cannot tell
    (no record of when the current price started), so no "was" price may be shown.
    """

    product_id: int
    current_price: Decimal | None
    reference_price: Decimal | None
    show_was: bool
    current_since: datetime | None
    source: Literal["history", "fallback"]
    model_version: str | None = None


def price_proposal_for(*, product_id: int) -> PriceProposal:
    """The latest live proposal for a product, else the current price as a fallback."""
    from catalog import facade as catalog

    try:
        p = selectors.proposal_latest_for_product(product_id=product_id)
    except Exception:  # a read must never break the page that asked
        logger.exception("price proposal read failed for product %s", product_id)
        p = None
    if p is not None:
        return PriceProposal(
            product_id=product_id,
            current_price=p.current_price,
            proposed_price=p.proposed_price,
            status=p.status,
            elasticity=p.elasticity,
            elasticity_low=p.elasticity_low,
            elasticity_high=p.elasticity_high,
            pooled=p.pooled,
            units_per_day_current=p.units_current,
            units_per_day_new=p.units_new,
            profit_per_day_current=p.profit_current,
            profit_per_day_new=p.profit_new,
            revenue_per_day_current=p.revenue_current,
            revenue_per_day_new=p.revenue_new,
            bound_by=tuple(b for b in p.bound_by.split(",") if b),
            conflicts=tuple(c for c in p.conflicts.split(",") if c),
            source="model",
            model_version=p.model_version or None,
        )
    price = catalog.product_get(product_id).price
    return PriceProposal(
        product_id=product_id,
        current_price=price,
        proposed_price=price,
        status="none",
        elasticity=None,
        elasticity_low=None,
        elasticity_high=None,
        pooled=False,
        units_per_day_current=None,
        units_per_day_new=None,
        profit_per_day_current=None,
        profit_per_day_new=None,
        revenue_per_day_current=None,
        revenue_per_day_new=None,
        bound_by=(),
        conflicts=(),
        source="fallback",
        model_version=None,
    )


def reference_price(*, product_id: int) -> ReferencePrice:
    """Lowest price of the 30 days before the current price took effect (EU Omnibus).

    `show_was` is True only when that price is known and higher than the current price, i.e.
    the storefront may display it struck through as the "was" price; otherwise show no "was"
    price at all (never the list price)."""
    try:
        row = selectors.reference_price_get(product_id=product_id)
    except Exception:
        logger.exception("reference price read failed for product %s", product_id)
        return ReferencePrice(product_id, None, None, False, None, "fallback")
    if row.since is None:
        return ReferencePrice(product_id, row.current_price, None, False, None, "fallback")
    show = row.reference_price is not None and row.reference_price > row.current_price
    return ReferencePrice(
        product_id, row.current_price, row.reference_price, show, row.since, "history"
    )


@dataclass(frozen=True, slots=True)
class Elasticity:
    product_id: int
    elasticity: float
    low: float
    high: float
    pooled: bool
    source: Literal["model", "fallback"]
    model_version: str | None


def elasticity_for(*, product_id: int) -> Elasticity:
    """The active model's elasticity with its 95% interval; fallback -1.5 (wide) without one."""
    row = ElasticityEstimate.objects.filter(product_id=product_id).first()
    if row is None:
        return Elasticity(product_id, -1.5, -3.5, 0.5, True, "fallback", None)
    return Elasticity(
        product_id,
        row.elasticity,
        row.elasticity_low,
        row.elasticity_high,
        row.pooled,
        "model",
        row.model_version,
    )


def train(*, force: bool = False) -> dict[str, Any]:
    """Fit elasticities on the store's sales, activate if better, propose prices.
    Returns metrics and counts, or {"skipped": reason} on an empty store."""
    return services.pricing_model_train(force=force)


def activation_gate() -> BaselineGate:
    """The registry's check before new elasticities drive proposals (mlops.gates): their
    held-out WAPE on units sold must not be clearly above that of assuming price has no
    effect (what the store does with no model: keep prices)."""
    return BaselineGate(
        metric="holdout_wape",
        baseline="holdout_wape_no_price_effect",
        higher_is_better=False,
        subject="pricing",
        fallback="proposing no price changes",
        baseline_label="a no-price-effect baseline",
    )


def dashboard_panel() -> dict[str, Any]:
    """Figures for the store dashboard's price-proposals panel."""
    from pricing import selectors

    counts = selectors.proposal_status_counts()
    return {
        "title": "Price proposals",
        "items": {
            "Awaiting approval": counts["pending"],
            "Applied so far": counts["applied"],
        },
        "url": "/admin/pricing/priceproposal/?status__exact=pending",
    }
