from collections import Counter

import pytest

from mlops import experiments
from mlops.experiments import assign

pytestmark = pytest.mark.django_db


def test_assignment_is_deterministic_and_balanced() -> None:
    units = [f"session-{i}" for i in range(4000)]
    first = [assign("exp-a", u, ["control", "treatment"], []) for u in units]
    again = [assign("exp-a", u, ["control", "treatment"], []) for u in units]
    assert first == again
    share = Counter(first)["treatment"] / len(units)
    assert 0.46 < share < 0.54
    # another experiment reshuffles units independently
    other = [assign("exp-b", u, ["control", "treatment"], []) for u in units]
    agreement = sum(a == b for a, b in zip(first, other, strict=True)) / len(units)
    assert 0.45 < agreement < 0.55


def test_weights_are_respected() -> None:
    units = [str(i) for i in range(5000)]
    counts = Counter(assign("w", u, ["a", "b"], [9, 1]) for u in units)
    assert 0.87 < counts["a"] / 5000 < 0.93


def test_unknown_or_stopped_experiment_serves_control() -> None:
    assert experiments.variant_for("nope", "u1") == "control"
    experiments.experiment_create(key="stopme", variants=["control", "treatment"])
    experiments.experiment_stop(key="stopme")
    assert {experiments.variant_for("stopme", f"u{i}") for i in range(50)} == {"control"}
    assert experiments.exposure_log("stopme", "u1") is False


def test_results_count_units_once_and_only_exposed_conversions() -> None:
    experiments.experiment_create(key="rec-v2", variants=["control", "treatment"])
    units = [f"s{i}" for i in range(400)]
    for u in units:
        assert experiments.exposure_log("rec-v2", u)
        assert experiments.exposure_log("rec-v2", u) is False  # repeat exposure ignored
    by_variant = {u: experiments.variant_for("rec-v2", u) for u in units}
    converted = [u for u in units if (by_variant[u] == "treatment") or u.endswith("0")]
    for u in converted:
        experiments.conversion_log("rec-v2", u)
    experiments.conversion_log("rec-v2", "never-exposed")  # not counted

    res = experiments.experiment_results("rec-v2")
    assert res is not None
    rows = {v.variant: v for v in res.variants}
    n_treat = sum(1 for v in by_variant.values() if v == "treatment")
    assert rows["treatment"].exposures == n_treat
    assert rows["treatment"].conversions == n_treat
    assert rows["control"].exposures + rows["treatment"].exposures == 400
    assert rows["treatment"].lift is not None and rows["treatment"].lift > 1
    assert rows["treatment"].p_value is not None and rows["treatment"].p_value < 0.001
    assert res.guidance.startswith("Keep running")  # planned size not reached yet
