"""A/B experiments as other apps use them (recommendations, pricing).

```python
from mlops import experiments
variant = experiments.variant_for("rec-ranker-v2", session_id)   # "control" / "treatment"
experiments.exposure_log("rec-ranker-v2", session_id)             # when the variant is shown
experiments.conversion_log("rec-ranker-v2", session_id)           # when the unit buys
experiments.experiment_results("rec-ranker-v2")                   # lift, CI, p, guidance
```

Assignment is a hash of (experiment key, unit id): the same unit always sees the same variant,
in every process, with no stored assignment. Unit ids are customer public ids or session ids
(never e-mails). An unknown or stopped experiment serves its first variant ("control").
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from mlops.metrics.experiments import (
    rate_ci,
    sample_size_per_arm,
    stopping_guidance,
    two_proportion_test,
)
from mlops.models import Experiment, ExperimentEvent

logger = logging.getLogger(__name__)

CONTROL = "control"


@dataclass(frozen=True)
class VariantResult:
    variant: str
    exposures: int
    conversions: int
    rate: float
    rate_ci: tuple[float, float]
    lift: float | None = None  # relative to control
    lift_ci: tuple[float, float] | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class ExperimentResults:
    key: str
    name: str
    status: str
    control: str
    planned_per_arm: int
    variants: list[VariantResult] = field(default_factory=list)
    guidance: str = ""


def bucket(experiment_key: str, unit_id: str) -> float:
    """A stable number in [0, 1) for (experiment, unit): independent across experiments."""
    digest = hashlib.sha256(f"{experiment_key}:{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment_key: str, unit_id: str, variants: list[str], weights: list[float]) -> str:
    if not variants:
        return CONTROL
    if not weights or len(weights) != len(variants) or sum(weights) <= 0:
        weights = [1.0] * len(variants)
    total = float(sum(weights))
    point = bucket(experiment_key, unit_id) * total
    cumulative = 0.0
    for variant, weight in zip(variants, weights, strict=True):
        cumulative += weight
        if point < cumulative:
            return variant
    return variants[-1]


def _experiment(key: str) -> Experiment | None:
    return Experiment.objects.filter(key=key).first()


# Assignment reads the experiment from the cache: storefront hot paths (every recommendation
# list) ask for a variant. Starting or stopping through this module shows at once; an edit in
# the admin within this many seconds.
ASSIGNMENT_TTL = 60


def _assignment_key(key: str) -> str:
    return f"experiments:assignment:{key}"


def _assignment(key: str) -> tuple[str, list[str], list[float]] | None:
    cached = cache.get(_assignment_key(key))
    if cached is None:
        row = (
            Experiment.objects.filter(key=key).values_list("status", "variants", "weights").first()
        )
        cached = (str(row[0]), list(row[1] or []), list(row[2] or [])) if row else ()
        cache.set(_assignment_key(key), cached, ASSIGNMENT_TTL)
    return tuple(cached) if cached else None  # type: ignore[return-value]


def _assignment_forget(key: str) -> None:
    transaction.on_commit(lambda: cache.delete(_assignment_key(key)))


def variant_for(experiment_key: str, unit_id: str) -> str:
    """The unit's variant; the first variant (control) when the experiment is not running."""
    spec = _assignment(experiment_key)
    if spec is None or not spec[1]:
        return CONTROL
    status, variants, weights = spec
    if status != Experiment.Status.RUNNING:
        return str(variants[0])
    return assign(experiment_key, str(unit_id), variants, weights)


def _log(experiment_key: str, unit_id: str, kind: str) -> bool:
    exp = _experiment(experiment_key)
    if exp is None or exp.status != Experiment.Status.RUNNING:
        return False
    variant = assign(exp.key, str(unit_id), list(exp.variants), list(exp.weights))
    try:
        with transaction.atomic():
            ExperimentEvent.objects.create(
                experiment=exp, unit_id=str(unit_id)[:64], variant=variant, kind=kind
            )
    except IntegrityError:
        return False  # already logged for this unit: units count once
    return True


def exposure_log(experiment_key: str, unit_id: str) -> bool:
    """Record that the unit saw its variant. Returns False if already logged or not running."""
    return _log(experiment_key, unit_id, ExperimentEvent.Kind.EXPOSURE)


def conversion_log(experiment_key: str, unit_id: str) -> bool:
    """Record that the unit converted (counted only if it was exposed)."""
    return _log(experiment_key, unit_id, ExperimentEvent.Kind.CONVERSION)


@transaction.atomic
def experiment_create(
    *,
    key: str,
    name: str = "",
    variants: list[str] | None = None,
    weights: list[float] | None = None,
    capability: str = "",
    baseline_rate: float = 0.05,
    min_detectable_lift: float = 0.1,
) -> Experiment:
    exp, _ = Experiment.objects.update_or_create(
        key=key,
        defaults={
            "name": name or key,
            "variants": variants or [CONTROL, "treatment"],
            "weights": weights or [],
            "capability": capability,
            "baseline_rate": baseline_rate,
            "min_detectable_lift": min_detectable_lift,
            "status": Experiment.Status.RUNNING,
            "started_at": timezone.now(),
        },
    )
    _assignment_forget(key)
    return exp


@transaction.atomic
def experiment_stop(*, key: str) -> None:
    Experiment.objects.filter(key=key).update(
        status=Experiment.Status.STOPPED, stopped_at=timezone.now()
    )
    _assignment_forget(key)


def _clean(value: float) -> float:
    return value if math.isfinite(value) else float("nan")


def experiment_results(key: str) -> ExperimentResults | None:
    """Per-variant conversion (units converted after exposure / units exposed), lift of each
    variant over control with a 95% CI, p-value, and stopping guidance. Two queries."""
    exp = _experiment(key)
    if exp is None:
        return None
    variants = [str(v) for v in exp.variants] or [CONTROL]
    control = variants[0]
    events = ExperimentEvent.objects.filter(experiment=exp)
    exposed_units = events.filter(kind=ExperimentEvent.Kind.EXPOSURE).values("unit_id")
    exposures = dict(
        events.filter(kind=ExperimentEvent.Kind.EXPOSURE)
        .values_list("variant")
        .annotate(n=Count("pk"))
        .values_list("variant", "n")
    )
    conversions = dict(
        events.filter(kind=ExperimentEvent.Kind.CONVERSION, unit_id__in=exposed_units)
        .values_list("variant")
        .annotate(n=Count("pk"))
        .values_list("variant", "n")
    )
    planned = sample_size_per_arm(exp.baseline_rate, exp.min_detectable_lift)
    n_c, x_c = exposures.get(control, 0), conversions.get(control, 0)
    rows: list[VariantResult] = []
    guidance = ""
    for variant in variants:
        n, x = exposures.get(variant, 0), conversions.get(variant, 0)
        rate = x / n if n else float("nan")
        if variant == control:
            rows.append(VariantResult(variant, n, x, rate, rate_ci(x, n)))
            continue
        test = two_proportion_test(x_c, n_c, x, n)
        rows.append(
            VariantResult(
                variant,
                n,
                x,
                rate,
                rate_ci(x, n),
                lift=_clean(test.lift),
                lift_ci=(_clean(test.lift_ci[0]), _clean(test.lift_ci[1])),
                p_value=_clean(test.p_value),
            )
        )
        if not guidance:
            guidance = stopping_guidance(test, n_c, n, planned)
    return ExperimentResults(
        key=exp.key,
        name=exp.name,
        status=exp.status,
        control=control,
        planned_per_arm=planned,
        variants=rows,
        guidance=guidance or "Add a second variant to compare.",
    )


def experiments_list() -> list[Experiment]:
    return list(Experiment.objects.order_by("-created_at", "-pk"))
