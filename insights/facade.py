"""Customer intelligence as other apps use it: segments, churn risk, purchase propensity.

``train`` is the capability entry point (mlops ``capability_train``, beat, ``train_all``).
Reads never need a trained model: before the first training, scores are RFM-rule fallbacks,
and a customer never scored gets ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from insights.models import CustomerScore
from mlops.facade import BaselineGate


@dataclass(frozen=True, slots=True)
class CustomerInsight:
    customer_id: int
    segment: str
    churn_risk: float  # probability 0-1 of no order within the churn horizon
    propensity_7d: float  # probability 0-1 of an order in the next 7 days
    source: Literal["model", "fallback"]
    model_version: str | None


def train(*, force: bool = False) -> dict[str, Any]:
    """Fit churn + propensity, evaluate vs the RFM rule, register/activate, rescore all."""
    from insights.services import insights_train

    return insights_train(force=force)


def activation_gate() -> BaselineGate:
    """The registry's check before a new churn model scores customers (mlops.gates): its
    churn ROC AUC on a later snapshot must not be clearly below the RFM rule's."""
    return BaselineGate(
        metric="churn_auc",
        baseline="churn_auc_rfm_baseline",
        higher_is_better=True,
        subject="customer insights",
        fallback="serving no scores",
        baseline_label="the RFM rule",
    )


def customer_insight(*, customer_id: int) -> CustomerInsight | None:
    score = CustomerScore.objects.filter(customer_id=customer_id).first()
    if score is None:
        return None
    return CustomerInsight(
        customer_id=customer_id,
        segment=score.segment,
        churn_risk=score.churn_risk,
        propensity_7d=score.propensity_7d,
        source="model" if score.source == "model" else "fallback",
        model_version=score.model_version or None,
    )


def propensity_for(*, customer_ids: list[int]) -> dict[int, float]:
    """7-day purchase propensity per customer (missing ids: not scored yet)."""
    return dict(
        CustomerScore.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "propensity_7d"
        )
    )


def visitor_propensity(*, session_ids: list[str]) -> dict[str, float]:
    """7-day purchase propensity for anonymous sessions (empty without a trained model)."""
    from insights import selectors

    return selectors.visitor_propensity(session_ids=session_ids)


def dashboard_panel() -> dict[str, Any]:
    """Figures for the store dashboard's customer-intelligence panel."""
    from django.db.models import Count, Q

    counts = CustomerScore.objects.aggregate(
        scored=Count("pk"),
        at_risk=Count("pk", filter=Q(frequency__gt=0, churn_risk__gte=0.7)),
        likely=Count("pk", filter=Q(propensity_7d__gte=0.5)),
    )
    return {
        "title": "Customer intelligence",
        "items": {
            "Customers scored": counts["scored"],
            "Buyers at high churn risk (>= 70%)": counts["at_risk"],
            "Likely to buy this week (>= 50%)": counts["likely"],
        },
        "url": "/admin/insights/customerscore/overview/",
    }
