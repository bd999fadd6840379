"""A/B test maths for conversion rates (pure numpy/scipy; checked against statsmodels in tests).

Two-sided two-proportion z-test with a pooled standard error (statsmodels
``proportions_ztest``), Wald confidence intervals for each rate and for the difference,
relative lift with a delta-method interval, and the sample size per arm needed to detect a
given relative lift (used for stopping guidance: stop only at the planned size, since peeking
at p-values inflates false positives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class ProportionTest:
    control_rate: float
    treatment_rate: float
    diff: float
    diff_ci: tuple[float, float]
    lift: float  # relative: treatment / control - 1
    lift_ci: tuple[float, float]
    z: float
    p_value: float


def rate_ci(successes: int, trials: int, alpha: float = 0.05) -> tuple[float, float]:
    """Normal (Wald) interval for one proportion, as statsmodels ``proportion_confint``."""
    if trials <= 0:
        return (float("nan"), float("nan"))
    p = successes / trials
    half = norm.ppf(1 - alpha / 2) * math.sqrt(p * (1 - p) / trials)
    return (max(0.0, p - half), min(1.0, p + half))


def two_proportion_test(
    control_successes: int,
    control_trials: int,
    treatment_successes: int,
    treatment_trials: int,
    alpha: float = 0.05,
) -> ProportionTest:
    """Treatment vs control conversion. NaN fields when an arm has no trials."""
    nan = float("nan")
    if control_trials <= 0 or treatment_trials <= 0:
        return ProportionTest(nan, nan, nan, (nan, nan), nan, (nan, nan), nan, nan)
    p1 = control_successes / control_trials
    p2 = treatment_successes / treatment_trials
    pooled = (control_successes + treatment_successes) / (control_trials + treatment_trials)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / control_trials + 1 / treatment_trials))
    diff = p2 - p1
    if se_pooled > 0:
        z = diff / se_pooled
        p_value = float(2 * norm.sf(abs(z)))
    else:
        z, p_value = 0.0, 1.0
    zc = float(norm.ppf(1 - alpha / 2))
    se_unpooled = math.sqrt(p1 * (1 - p1) / control_trials + p2 * (1 - p2) / treatment_trials)
    diff_ci = (diff - zc * se_unpooled, diff + zc * se_unpooled)
    if p1 > 0:
        lift = p2 / p1 - 1
        # delta method on log(p2/p1)
        var_log = (1 - p1) / (p1 * control_trials) + (
            (1 - p2) / (p2 * treatment_trials) if p2 > 0 else 0.0
        )
        log_ratio = math.log(p2 / p1) if p2 > 0 else float("-inf")
        if p2 > 0:
            lift_ci = (
                math.exp(log_ratio - zc * math.sqrt(var_log)) - 1,
                math.exp(log_ratio + zc * math.sqrt(var_log)) - 1,
            )
        else:
            lift_ci = (-1.0, -1.0)
    else:
        lift, lift_ci = nan, (nan, nan)
    return ProportionTest(p1, p2, diff, diff_ci, lift, lift_ci, float(z), p_value)


def sample_size_per_arm(
    baseline_rate: float, relative_lift: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Units per arm to detect ``relative_lift`` on ``baseline_rate`` (two-sided test,
    Cohen's effect size h with the arcsine transform, as statsmodels ``NormalIndPower``)."""
    p1 = baseline_rate
    p2 = min(max(baseline_rate * (1 + relative_lift), 1e-9), 1 - 1e-9)
    if not 0 < p1 < 1 or p1 == p2:
        return 0
    h = abs(2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1)))
    # Var(2 asin sqrt(p_hat)) = 1/n per arm, so the difference has variance 2/n
    n = 2 * ((norm.ppf(1 - alpha / 2) + norm.ppf(power)) / h) ** 2
    return int(math.ceil(n))


def stopping_guidance(
    test: ProportionTest,
    control_trials: int,
    treatment_trials: int,
    planned_per_arm: int,
    alpha: float = 0.05,
) -> str:
    """One sentence for the merchant: keep running, or what the result means."""
    smallest = min(control_trials, treatment_trials)
    if smallest < planned_per_arm:
        return (
            f"Keep running: {smallest} of {planned_per_arm} units per arm collected; "
            "deciding early inflates false positives."
        )
    if math.isnan(test.p_value):
        return "No data yet."
    if test.p_value < alpha:
        better = "treatment" if test.diff > 0 else "control"
        return f"Stop: {better} wins (p={test.p_value:.3f}); roll it out."
    return (
        f"Stop: no significant difference at the planned size (p={test.p_value:.3f}); "
        "keep the control."
    )
