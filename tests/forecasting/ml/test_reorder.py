import math

import numpy as np
import pytest
from scipy.stats import norm

from forecasting.ml.reorder import reorder_plan, sigma_from_interval, z_value


def test_z_value_matches_tables():
    assert z_value(0.95) == pytest.approx(1.6449, abs=1e-4)
    assert z_value(0.5) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_reorder_plan_against_hand_computation():
    # 10 units/day, sigma 2/day, lead time 4 days, 95 % service, 30 on hand, weekly review
    plan = reorder_plan(np.full(28, 10.0), np.full(28, 2.0), on_hand=30, lead_time_days=4)
    z = 1.644854
    assert plan.lead_time_demand == pytest.approx(40.0)
    assert plan.safety_stock == pytest.approx(z * 4.0, rel=1e-5)  # z * sqrt(4 * 2^2)
    assert plan.reorder_point == pytest.approx(40 + z * 4.0, rel=1e-5)
    up_to = 110 + z * math.sqrt(11 * 4)  # (4 + 7) days of demand + safety over 11 days
    assert plan.order_up_to == pytest.approx(up_to, rel=1e-5)
    assert plan.order_quantity == math.ceil(up_to - 30)  # 91
    assert plan.days_until_stockout == 4  # 30 units last exactly three days
    assert plan.stockout_risk == pytest.approx(1 - norm.cdf((30 - 40) / 4), rel=1e-6)


def test_no_order_above_reorder_point_and_pack_rounding():
    well_stocked = reorder_plan(np.full(28, 10.0), np.full(28, 2.0), on_hand=100, lead_time_days=4)
    assert well_stocked.order_quantity == 0
    assert well_stocked.days_until_stockout == 11  # 100 units last exactly ten days
    assert well_stocked.stockout_risk < 1e-6
    packed = reorder_plan(
        np.full(28, 10.0), np.full(28, 2.0), on_hand=30, lead_time_days=4, pack_size=12
    )
    assert packed.order_quantity == 96  # 91 rounded up to 8 packs of 12
    moq = reorder_plan(
        np.full(28, 1.0), np.zeros(28), on_hand=0, lead_time_days=2, min_order_qty=50
    )
    assert moq.order_quantity == 50


def test_on_order_counts_towards_position_but_not_stockout_date():
    plan = reorder_plan(
        np.full(28, 10.0), np.full(28, 2.0), on_hand=30, on_order=100, lead_time_days=4
    )
    assert plan.order_quantity == 0
    assert plan.days_until_stockout == 4


def test_lead_time_beyond_horizon_extends_last_week():
    plan = reorder_plan(np.ones(7), np.zeros(7), on_hand=100, lead_time_days=10)
    assert plan.lead_time_demand == pytest.approx(10.0)
    assert plan.days_until_stockout is None
    assert plan.stockout_risk == 0.0


def test_sigma_from_interval():
    sigma = sigma_from_interval(np.array([8.0]), np.array([12.0]), 0.8)
    assert sigma[0] == pytest.approx(2 / 1.28155, rel=1e-4)
