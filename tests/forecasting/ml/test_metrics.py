import numpy as np
import pytest

from mlops.metrics.forecast import coverage, mase, mase_scale, relative_bias, wape


def test_mase_hand_computation():
    history = np.array([[1.0, 3.0, 1.0, 3.0, 2.0]])  # lag-2 diffs: 0, 0, 1 -> scale 1/3
    actual = np.array([[2.0, 4.0]])
    forecast = np.array([[1.0, 4.0]])  # MAE 0.5
    assert mase_scale(history, 2)[0] == pytest.approx(1 / 3)
    assert mase(actual, forecast, history, 2) == pytest.approx(1.5)


def test_mase_skips_constant_series_and_missing_cells():
    history = np.array([[5.0, 5.0, 5.0], [1.0, 2.0, np.nan]])
    actual = np.array([[5.0, 5.0], [np.nan, 3.0]])
    forecast = np.array([[4.0, 4.0], [100.0, 2.0]])
    assert mase(actual, forecast, history, 7) == pytest.approx(1.0)  # only series 2, lag 1


def test_wape_bias_and_coverage():
    actual = np.array([[10.0, 0.0, np.nan]])
    forecast = np.array([[8.0, 1.0, 50.0]])
    assert wape(actual, forecast) == pytest.approx(0.3)
    assert relative_bias(actual, forecast) == pytest.approx(-0.1)
    assert coverage(actual, forecast - 1, forecast + 1) == pytest.approx(0.5)
