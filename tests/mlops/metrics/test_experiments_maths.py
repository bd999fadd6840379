"""A/B maths checked against statsmodels on known inputs."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

from mlops.metrics.experiments import (
    rate_ci,
    sample_size_per_arm,
    stopping_guidance,
    two_proportion_test,
)

CASES = [
    (120, 2400, 150, 2400),  # +25% lift, significant-ish
    (50, 1000, 52, 1000),  # no real difference
    (300, 10000, 240, 10000),  # treatment worse
    (3, 40, 9, 45),  # small samples
]


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
def test_z_and_p_value_match_statsmodels(xc: int, nc: int, xt: int, nt: int) -> None:
    ours = two_proportion_test(xc, nc, xt, nt)
    z, p = proportions_ztest([xt, xc], [nt, nc])
    assert ours.z == pytest.approx(z, rel=1e-9)
    assert ours.p_value == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
def test_difference_ci_matches_statsmodels_wald(xc: int, nc: int, xt: int, nt: int) -> None:
    ours = two_proportion_test(xc, nc, xt, nt)
    low, high = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff")
    assert ours.diff_ci == pytest.approx((low, high), rel=1e-9)


@pytest.mark.parametrize(("xc", "nc", "xt", "nt"), CASES)
def test_lift_ci_matches_statsmodels_log_ratio(xc: int, nc: int, xt: int, nt: int) -> None:
    ours = two_proportion_test(xc, nc, xt, nt)
    low, high = confint_proportions_2indep(xt, nt, xc, nc, method="log", compare="ratio")
    assert ours.lift == pytest.approx((xt / nt) / (xc / nc) - 1)
    assert ours.lift_ci == pytest.approx((low - 1, high - 1), rel=1e-9)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (5, 10), (37, 1000), (999, 1000)])
def test_rate_ci_matches_statsmodels_normal(x: int, n: int) -> None:
    assert rate_ci(x, n) == pytest.approx(proportion_confint(x, n, method="normal"), abs=1e-12)


@pytest.mark.parametrize(("base", "lift"), [(0.05, 0.1), (0.2, 0.05), (0.01, 0.5)])
def test_sample_size_matches_statsmodels_power(base: float, lift: float) -> None:
    h = proportion_effectsize(base * (1 + lift), base)
    expected = NormalIndPower().solve_power(effect_size=abs(h), alpha=0.05, power=0.8, ratio=1)
    assert abs(sample_size_per_arm(base, lift) - math.ceil(expected)) <= 1  # float rounding


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5000),
    st.integers(1, 5000),
    st.floats(0.01, 0.99),
    st.floats(0.01, 0.99),
)
def test_p_value_agrees_with_statsmodels_on_random_inputs(
    nc: int, nt: int, pc: float, pt: float
) -> None:
    xc, xt = round(nc * pc), round(nt * pt)
    if xc + xt == 0 or xc + xt == nc + nt:
        return  # statsmodels divides by zero on a pooled rate of 0 or 1
    ours = two_proportion_test(xc, nc, xt, nt)
    _, p = proportions_ztest([xt, xc], [nt, nc])
    assert ours.p_value == pytest.approx(p, rel=1e-7, abs=1e-12)


def test_guidance_waits_for_the_planned_sample() -> None:
    test = two_proportion_test(10, 100, 30, 100)  # significant already, but too early
    assert stopping_guidance(test, 100, 100, planned_per_arm=1000).startswith("Keep running")
    assert "treatment wins" in stopping_guidance(test, 1000, 1000, planned_per_arm=1000)
    flat = two_proportion_test(100, 1000, 101, 1000)
    assert "no significant difference" in stopping_guidance(flat, 1000, 1000, 1000)


def test_empty_arm_gives_nan_not_an_error() -> None:
    result = two_proportion_test(0, 0, 5, 10)
    assert np.isnan(result.p_value)
