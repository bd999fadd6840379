import numpy as np
import pytest

from mlops.metrics.drift import histogram_categorical, histogram_numeric, psi, psi_level


def test_psi_known_value() -> None:
    # hand computed: sum((a-e)*ln(a/e)) over shares
    expected = [0.25, 0.25, 0.25, 0.25]
    actual = [0.10, 0.20, 0.30, 0.40]
    manual = sum((a - e) * np.log(a / e) for a, e in zip(actual, expected, strict=True))
    assert psi(expected, actual) == pytest.approx(manual)
    assert psi(expected, expected) == 0.0


def test_same_distribution_is_stable_and_a_shift_is_major() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(50, 10, 5000)
    ref_hist = histogram_numeric(reference, bins=10)
    edges = np.array(ref_hist.edges)
    same = histogram_numeric(rng.normal(50, 10, 5000), edges=edges)
    shifted = histogram_numeric(rng.normal(62, 10, 5000), edges=edges)
    assert psi_level(psi(ref_hist.counts, same.counts)) == "stable"
    assert psi_level(psi(ref_hist.counts, shifted.counts)) == "major"


def test_live_values_outside_the_reference_range_land_in_outer_bins() -> None:
    ref = histogram_numeric(np.arange(100.0), bins=4)
    live = histogram_numeric(np.array([-1000.0, 1000.0]), edges=np.array(ref.edges))
    assert live.counts[0] == 1 and live.counts[-1] == 1 and sum(live.counts) == 2


def test_unseen_categories_go_to_other() -> None:
    ref = histogram_categorical(["a", "a", "b"])
    live = histogram_categorical(["a", "z"], labels=ref.labels)
    assert dict(zip(live.labels, live.counts, strict=True)) == {"a": 1, "b": 0, "__other__": 1}


def test_empty_sample_is_nan() -> None:
    assert np.isnan(psi([0, 0], [1, 2]))
