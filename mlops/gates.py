"""Activation gates: the one quality check a trained version passes before it goes live.

Each ML app's facade declares ``activation_gate() -> Gate`` (one of the gates below, built
from metrics its trainer records on held-back data; a function so the facade can read its
thresholds from its services lazily). ``model_version_activate`` finds it by name through
``import_module(f"{capability}.facade")``, as ``capability_train`` finds ``train``, so mlops
imports no ML app. A gate refuses only a clearly useless version (worse than what the store
serves without it); "does it beat the active version" stays the registry's separate check.
A capability without a gate, or a version whose metrics lack the gate's inputs, is not gated
and the verdict says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import import_module
from typing import Any, Protocol


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    code: str  # stable across nights ("below_baseline"): the alert de-duplication key
    reason: str  # merchant words, with the figures
    metric: str = ""
    value: float | None = None
    baseline_metric: str = ""
    baseline: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Gate(Protocol):
    subject: str  # who keeps the old version or the fallback ("checkout")
    fallback: str  # what the store does without a model ("deciding on rules only")

    def check(self, metrics: Mapping[str, Any]) -> GateVerdict: ...


def _number(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class BaselineGate:
    """Refuse a version whose ``metric`` is clearly worse than ``baseline`` (the fallback's
    score on the same held-back data, recorded by the trainer next to the model's).

    ``tolerance`` is relative slack: on a few hundred held-back rows a model a percent behind
    its fallback is a tie, not a useless model, and refusing ties would park good retrains.
    """

    metric: str
    baseline: str
    higher_is_better: bool = True
    tolerance: float = 0.05
    subject: str = ""
    fallback: str = "serving its fallback"
    baseline_label: str = "the fallback"

    def check(self, metrics: Mapping[str, Any]) -> GateVerdict:
        value, base = _number(metrics, self.metric), _number(metrics, self.baseline)

        def verdict(passed: bool, code: str, reason: str) -> GateVerdict:
            return GateVerdict(passed, code, reason, self.metric, value, self.baseline, base)

        if value is None or base is None:
            return verdict(
                True,
                "unmeasured",
                f"not gated: {self.metric} or {self.baseline} was not measured "
                "(too little held-back data)",
            )
        if self.higher_is_better:
            worse = value < base * (1 - self.tolerance)
        else:
            worse = value > base * (1 + self.tolerance)
        direction = "higher" if self.higher_is_better else "lower"
        if worse:
            return verdict(
                False,
                "below_baseline",
                f"{self.metric} {value:.4f} is worse than {self.baseline_label} "
                f"({self.baseline} {base:.4f}; {direction} is better)",
            )
        return verdict(True, "ok", f"{self.metric} {value:.4f} vs {self.baseline_label} {base:.4f}")


@dataclass(frozen=True)
class AucAboveChanceGate:
    """Refuse a classifier whose held-out ROC AUC is below ``min_auc`` or whose ~95% interval
    (``auc_lower``) does not clear chance (0.50), and one that could not be measured because
    the held-back slice holds fewer than ``min_positives`` positives.

    Versions whose metrics carry no ``positives`` count come from no trainer that measured
    a held-back slice (hand-registered artifacts): not gated."""

    auc: str = "roc_auc"
    auc_lower: str = "roc_auc_lower"
    positives: str = "holdout_positives"
    min_auc: float = 0.6
    min_positives: int = 5
    holdout: str = "the held-back rows"
    positive_label: str = "positive"
    subject: str = ""
    fallback: str = "serving its fallback"

    def check(self, metrics: Mapping[str, Any]) -> GateVerdict:
        if self.positives not in metrics:
            return GateVerdict(True, "not_gated", f"not gated: no {self.positives} recorded")
        n = metrics[self.positives]
        if self.auc not in metrics:
            return GateVerdict(
                False,
                "unmeasured",
                f"{self.holdout} hold {n} {self.positive_label} labels (need "
                f"{self.min_positives}), so the model cannot be shown to beat chance",
                metric=self.auc,
            )
        auc, low = float(metrics[self.auc]), float(metrics[self.auc_lower])
        if auc < self.min_auc or low <= 0.5:
            return GateVerdict(
                False,
                "below_chance",
                f"held-out ROC AUC {auc:.2f} (95% interval down to {low:.2f} on "
                f"{n} {self.positive_label}s) is no better than chance (0.50; needs at least "
                f"{self.min_auc:.2f} and an interval above 0.50)",
                self.auc,
                auc,
                "chance",
                0.5,
            )
        return GateVerdict(
            True,
            "ok",
            f"held-out ROC AUC {auc:.2f} (95% interval down to {low:.2f})",
            self.auc,
            auc,
            "chance",
            0.5,
        )


def gate_for(capability: str) -> Gate | None:
    """The gate ``<capability>.facade.activation_gate()`` declares, or None."""
    try:
        facade = import_module(f"{capability}.facade")
    except ImportError:  # a capability name with no app behind it (tests, retired apps)
        return None
    declare = getattr(facade, "activation_gate", None)
    return declare() if declare is not None else None


def gate_check(*, capability: str, metrics: Mapping[str, Any]) -> GateVerdict:
    gate = gate_for(capability)
    if gate is None:
        return GateVerdict(True, "not_gated", f"not gated: {capability} declares no gate")
    return gate.check(metrics)


def refusal_text(
    *, capability: str, verdict: GateVerdict, keeps_version: int | None, gate: Gate | None
) -> str:
    """ "not activated: <why>; <subject> keeps <active version or fallback>"."""
    subject = (gate.subject if gate else "") or capability
    fallback = gate.fallback if gate else "serving its fallback"
    keeps = f"{capability}-v{keeps_version}" if keeps_version else fallback
    return f"not activated: {verdict.reason}; {subject} keeps {keeps}"
