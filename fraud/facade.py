"""Fraud scoring as other apps see it (checkout hook, training entry point, order risk).

`order_assess` is called by `orders.services.order_place` inside the checkout transaction,
after the order and payment rows exist. It stores a `RiskAssessment` in that same
transaction and returns a `RiskDecision`. Without an active model (or if the model fails)
the merchant's rules alone decide and the decision says `source="rules_only"`; if even the
rules cannot be evaluated, the order is approved with `source="fallback"` so checkout never
breaks because of fraud scoring.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.utils import timezone

from mlops.facade import AucAboveChanceGate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskDecision:
    action: Literal["approve", "review", "decline"]
    score: float
    level: Literal["normal", "elevated", "highest"]
    reasons: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    source: Literal["model", "rules_only", "fallback"] = "fallback"
    model_version: str | None = None


def _reason_text(reason: dict[str, Any]) -> str:
    return f"{reason['feature']}={reason['value']}"


def order_assess(*, order_id: int) -> RiskDecision:
    """Score the order, apply merchant rules and risk thresholds, store the assessment.

    `score` is the calibrated fraud probability (0 when no model); `reasons` the features
    that pushed the score up most (LightGBM contributions); `rules` the rules that fired.
    """
    from fraud import services

    try:
        with transaction.atomic():  # savepoint: a failure here leaves the order intact
            a = services.order_risk_assess(order_id=order_id)
    except Exception:
        logger.exception("fraud scoring failed for order %s; approving as fallback", order_id)
        return RiskDecision(action="approve", score=0.0, level="normal", source="fallback")
    return RiskDecision(
        action=a.action,  # type: ignore[arg-type]
        score=a.score if a.score is not None else 0.0,
        level=a.level,  # type: ignore[arg-type]
        reasons=[_reason_text(r) for r in a.reasons],
        rules=list(a.rules_triggered),
        source=a.source,  # type: ignore[arg-type]
        model_version=a.model_version or None,
    )


def order_risk(*, order_id: int) -> RiskDecision | None:
    """The stored decision for an order, or None if it was never assessed."""
    from fraud import selectors

    a = selectors.assessment_for_order(order_id=order_id)
    if a is None:
        return None
    return RiskDecision(
        action=a.action,  # type: ignore[arg-type]
        score=a.score if a.score is not None else 0.0,
        level=a.level,  # type: ignore[arg-type]
        reasons=[_reason_text(r) for r in a.reasons],
        rules=list(a.rules_triggered),
        source=a.source,  # type: ignore[arg-type]
        model_version=a.model_version or None,
    )


@dataclass(frozen=True)
class RiskReview:
    """A reviewer's verdict on a held order, without the reviewer (staff, not named)."""

    decision: Literal["approve", "reject"]
    reviewed_at: datetime
    score: float
    level: Literal["normal", "elevated", "highest"]


def order_review(*, order_id: int) -> RiskReview | None:
    """The review decision stored for an order, or None if it was not reviewed."""
    from fraud import selectors
    from fraud.models import RiskAssessment

    a = selectors.assessment_for_order(order_id=order_id)
    if a is None or not a.review_outcome or a.reviewed_at is None:
        return None
    return RiskReview(
        decision="approve" if a.review_outcome == RiskAssessment.Outcome.GENUINE else "reject",
        reviewed_at=a.reviewed_at,
        score=a.score if a.score is not None else 0.0,
        level=a.level,  # type: ignore[arg-type]
    )


def risk_rule_ensure(
    *, name: str, expression: str, action: Literal["allow", "block", "review"], position: int = 100
) -> int | None:
    """Add a merchant rule unless one with this name exists; the new rule's id, or None when
    an existing rule (possibly edited or switched off by the merchant) was kept as it is.
    Raises `fraud.rules.RuleSyntaxError` for an expression the rule parser rejects."""
    from fraud import services

    rule, created = services.risk_rule_ensure(
        name=name, expression=expression, action=action, position=position
    )
    return rule.pk if created else None


def train(*, force: bool = False) -> dict[str, object]:
    """Fit and register the checkout fraud model; `{"skipped": reason}` on a store without
    enough labelled orders (fewer than 100 labelled or 10 frauds). A model no better than
    chance on the held-back recent orders is registered but not activated (unless `force`):
    the summary's `reason` says why, and checkout keeps the previous model or rules only."""
    from fraud import services

    return services.fraud_model_train(force=force)


def activation_gate() -> AucAboveChanceGate:
    """The registry's check before a fraud model decides at checkout (mlops.gates): held-out
    ROC AUC of at least MIN_HOLDOUT_AUC with a 95% interval above chance, measured on at least
    MIN_HOLDOUT_FRAUD held-back frauds. Without a model the merchant's rules decide."""
    from fraud.services import MIN_HOLDOUT_AUC, MIN_HOLDOUT_FRAUD

    return AucAboveChanceGate(
        auc="roc_auc",
        auc_lower="roc_auc_lower",
        positives="holdout_fraud",
        min_auc=MIN_HOLDOUT_AUC,
        min_positives=MIN_HOLDOUT_FRAUD,
        holdout="the held-back recent orders",
        positive_label="fraud",
        subject="checkout",
        fallback="deciding on rules only",
    )


def dashboard_panel() -> dict[str, Any]:
    """Figures for the store dashboard's fraud panel: the review queue now, orders held or
    declined at checkout in the last 7 days, and what decides (the active model's version,
    or "rules only" before one is trained). Two queries whatever the store's size."""
    from fraud import selectors
    from fraud.services import CAPABILITY

    counts = selectors.review_counts(since=timezone.now() - timedelta(days=7))
    version = selectors.active_model_version(capability=CAPABILITY)
    return {
        "title": "Fraud review queue",
        "items": {
            "Orders awaiting review": counts["queue"],
            "Held for review, last 7 days": counts["held"],
            "Declined, last 7 days": counts["declined"],
            "Deciding": f"{CAPABILITY}-v{version}" if version else "rules only (no model)",
        },
        "url": "/admin/fraud/reviewqueueitem/",
    }
