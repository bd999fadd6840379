"""The registry's activation gate: every capability's new version goes live only if it is not
clearly worse than that capability's own fallback (or `force`); a refusal stays a candidate
with its reason on the model-ops pages and one open alert per reason."""

from typing import Any

import pytest

from mlops import facade as mlops
from mlops import gates, services
from mlops.models import Alert, ModelVersion

pytestmark = pytest.mark.django_db

# per capability: the primary metric, its direction, metrics of a clearly useless version
# (worse than the fallback it would replace) and of a good one, and a phrase of the reason
CASES: dict[str, dict[str, Any]] = {
    "recommendations": {
        "primary": ("ndcg@10", True),
        "useless": {"ndcg@10": 0.08, "popularity_ndcg@10": 0.18},
        "good": {"ndcg@10": 0.32, "popularity_ndcg@10": 0.18},
        "says": "popular-products fallback",
    },
    "pricing": {
        "primary": ("holdout_wape", False),
        "useless": {"holdout_wape": 0.9, "holdout_wape_no_price_effect": 0.6},
        "good": {"holdout_wape": 0.46, "holdout_wape_no_price_effect": 0.6},
        "says": "no-price-effect baseline",
    },
    "forecasting": {
        "primary": ("mase", False),
        "useless": {"mase": 2.1, "seasonal_naive_mase": 1.4},
        "good": {"mase": 1.0, "seasonal_naive_mase": 1.4},
        "says": "seasonal-naive forecast",
    },
    "support": {
        "primary": ("validation_macro_f1", True),
        "useless": {
            "validation_macro_f1": 0.05,
            "validation_accuracy": 0.1,
            "validation_majority_accuracy": 0.3,
        },
        "good": {
            "validation_macro_f1": 0.96,
            "validation_accuracy": 0.97,
            "validation_majority_accuracy": 0.3,
        },
        "says": "most common intent",
    },
    "insights": {
        "primary": ("churn_auc", True),
        "useless": {"churn_auc": 0.5, "churn_auc_rfm_baseline": 0.81},
        "good": {"churn_auc": 0.84, "churn_auc_rfm_baseline": 0.81},
        "says": "RFM rule",
    },
    "fraud": {
        "primary": ("average_precision", True),
        "useless": {
            "holdout_fraud": 14,
            "average_precision": 0.03,
            "roc_auc": 0.55,
            "roc_auc_lower": 0.4,
        },
        "good": {
            "holdout_fraud": 14,
            "average_precision": 0.52,
            "roc_auc": 0.98,
            "roc_auc_lower": 0.95,
        },
        "says": "no better than chance",
    },
}


def register(capability: str, metrics: dict[str, Any], **kwargs: Any) -> mlops.ModelVersionInfo:
    metric, higher = CASES[capability]["primary"]
    return mlops.model_version_register_and_activate(
        capability=capability,
        artifact={"metrics": metrics},
        metrics=metrics,
        primary_metric=metric,
        higher_is_better=higher,
        **kwargs,
    )


def _admin(django_user_model):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(
        django_user_model.objects.create(username="ops", is_staff=True, is_superuser=True)
    )
    return client


@pytest.mark.parametrize("capability", list(CASES))
def test_clearly_useless_version_stays_a_candidate_with_the_reason(capability: str) -> None:
    info = register(capability, CASES[capability]["useless"])
    assert not info.activated
    assert CASES[capability]["says"] in info.reason and "keeps" in info.reason
    version = ModelVersion.objects.get(pk=info.id)
    assert version.status == ModelVersion.Status.CANDIDATE
    assert CASES[capability]["says"] in version.note
    assert version.gate["passed"] is False and version.gate["metric"]
    assert mlops.model_active_get(capability=capability) is None  # the fallback serves
    alert = Alert.objects.get(capability=capability)
    assert f"{capability}-v1" in alert.message and alert.key.startswith("gate:")


@pytest.mark.parametrize("capability", list(CASES))
def test_good_version_passes_the_gate_and_is_activated(capability: str) -> None:
    info = register(capability, CASES[capability]["good"])
    assert info.activated, info.reason
    version = ModelVersion.objects.get(pk=info.id)
    assert version.gate["passed"] is True and version.gate["code"] == "ok"
    assert not Alert.objects.filter(capability=capability).exists()


@pytest.mark.parametrize("capability", list(CASES))
def test_force_activates_a_version_the_gate_refuses(capability: str) -> None:
    info = register(capability, CASES[capability]["useless"], force=True)
    assert info.activated
    version = ModelVersion.objects.get(pk=info.id)
    assert version.status == ModelVersion.Status.ACTIVE
    assert version.gate["passed"] is False  # what was overruled stays on record
    # a refused candidate can be forced later from the model-ops page as well
    later = register(capability, CASES[capability]["useless"])
    assert not later.activated
    assert services.model_version_activate(version_id=later.id, force=True).activated
    assert ModelVersion.objects.get(pk=later.id).note.startswith("forced past: not activated")


def test_useless_retrain_keeps_the_previous_version_active() -> None:
    first = register("forecasting", CASES["forecasting"]["good"])
    second = register("forecasting", CASES["forecasting"]["useless"])
    assert first.activated and not second.activated
    assert "forecasting keeps forecasting-v1" in second.reason
    assert mlops.model_active_version(capability="forecasting") == 1


def test_replace_skips_only_the_comparison_not_the_gate() -> None:
    # support passes `replace` (scores of different runs are not comparable): a sane model
    # replaces a better-scoring active one, a useless one still does not
    assert register("support", CASES["support"]["good"]).activated
    sane = {**CASES["support"]["good"], "validation_macro_f1": 0.7, "validation_accuracy": 0.8}
    assert not register("support", sane).activated  # lower macro F1: not better
    assert register("support", sane, replace=True).activated
    assert not register("support", CASES["support"]["useless"], replace=True).activated


def test_unmeasured_or_hand_registered_versions_are_not_gated() -> None:
    info = register("pricing", {"holdout_wape": 0.3})  # no baseline recorded
    assert info.activated
    assert ModelVersion.objects.get(pk=info.id).gate["code"] == "unmeasured"
    # a capability with no app behind it declares no gate
    assert gates.gate_check(capability="nope", metrics={}).code == "not_gated"


def test_baseline_gate_refuses_only_clearly_worse_scores() -> None:
    gate = gates.BaselineGate(metric="m", baseline="b", higher_is_better=True, tolerance=0.05)
    assert gate.check({"m": 0.97, "b": 1.0}).passed  # a tie within noise
    assert not gate.check({"m": 0.9, "b": 1.0}).passed
    lower = gates.BaselineGate(metric="m", baseline="b", higher_is_better=False)
    assert lower.check({"m": 1.04, "b": 1.0}).passed
    assert not lower.check({"m": 1.2, "b": 1.0}).passed
    assert lower.check({"m": float("nan"), "b": 1.0}).code == "unmeasured"


# alert de-duplication


def test_nightly_repeat_of_the_same_refusal_updates_one_open_alert() -> None:
    for _night in range(3):
        register("recommendations", CASES["recommendations"]["useless"])
    alert = Alert.objects.get(capability="recommendations")
    assert alert.count == 3 and alert.last_seen_at >= alert.created_at
    assert alert.message.startswith("recommendations-v3 ")  # the latest refused version


def test_a_different_reason_or_a_resolved_alert_gets_a_new_alert() -> None:
    from mlops import monitoring

    register("fraud", CASES["fraud"]["useless"])  # below chance
    register("fraud", {"holdout_fraud": 2, "average_precision": 0.1})  # could not measure
    assert Alert.objects.filter(capability="fraud", resolved_at__isnull=True).count() == 2
    monitoring.alerts_resolve(alert_ids=Alert.objects.values_list("pk", flat=True))
    register("fraud", CASES["fraud"]["useless"])
    new = Alert.objects.get(capability="fraud", resolved_at__isnull=True)
    assert new.count == 1 and "fraud-v3" in new.message
    assert Alert.objects.count() == 3


def test_repeat_of_an_identical_keyless_alert_bumps_its_count() -> None:
    services.alert_raise(capability="pricing", message="drift on price")
    services.alert_raise(capability="pricing", message="drift on price")
    services.alert_raise(capability="pricing", message="something else")
    assert Alert.objects.get(message="drift on price").count == 2
    assert Alert.objects.count() == 2


# the model-ops pages


def test_ops_pages_show_why_the_latest_candidate_was_not_activated(django_user_model) -> None:  # type: ignore[no-untyped-def]
    register("pricing", CASES["pricing"]["good"])
    refused = register("pricing", CASES["pricing"]["useless"])
    client = _admin(django_user_model)
    overview = client.get("/admin/mlops/modelversion/ops/").content.decode()
    assert "Latest candidate not activated" in overview
    assert "no-price-effect baseline" in overview and "pricing keeps pricing-v1" in overview
    page = client.get("/admin/mlops/modelversion/ops/pricing/").content.decode()
    assert 'data-testid="refused"' in page and "Latest candidate v2 was not activated" in page
    assert "holdout_wape_no_price_effect" in page
    # once forced, the overview no longer lists it as refused
    services.model_version_activate(version_id=refused.id, force=True)
    overview = client.get("/admin/mlops/modelversion/ops/").content.decode()
    assert "pricing keeps pricing-v1" not in overview


def test_support_training_records_the_majority_class_baseline() -> None:
    from support import facade

    summary = facade.train()
    assert summary["activated"], summary
    version = ModelVersion.objects.get(capability="support")
    assert (
        0 < version.metrics["validation_majority_accuracy"] < version.metrics["validation_accuracy"]
    )
    assert version.gate["code"] == "ok"
