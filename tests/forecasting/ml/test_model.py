import numpy as np
import pandas as pd
import pytest

from forecasting.ml.censor import impute_stockouts
from forecasting.ml.ets import ets_forecast
from forecasting.ml.model import DemandForecaster
from forecasting.ml.panel import Panel, panel_from_frame
from forecasting.ml.shard import forecast_sharded
from forecasting.ml.synthetic import make_synthetic, to_weekly
from mlops.metrics.forecast import coverage, mase, relative_bias

SMALL = {"n_estimators": 60, "max_train_rows": 30_000, "n_jobs": 1}


def _panel(y: np.ndarray, **kw: object) -> Panel:
    dates = pd.date_range("2024-01-01", periods=y.shape[1], freq="D")
    return Panel(np.arange(len(y)), dates, y.astype(float), "D", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def synthetic():  # type: ignore[no-untyped-def]
    return make_synthetic(n_series=60, n_days=420, seed=3, start="2023-03-06")


@pytest.fixture(scope="module")
def fitted(synthetic):  # type: ignore[no-untyped-def]
    train = synthetic.panel.truncate(420 - 28)
    model = DemandForecaster(horizon=28, holidays=synthetic.holidays, **SMALL).fit(train)
    return model, train


def test_one_point_and_all_zero_series_get_sane_forecasts():
    y = np.full((3, 60), np.nan)
    y[0, -1] = 5.0  # launched yesterday, sold 5
    y[1, :] = 0.0  # never sold
    y[2, :] = np.tile([2.0, 3.0, 2.0, 4.0, 3.0, 6.0, 1.0], 9)[:60]
    result = DemandForecaster(horizon=14, **SMALL).fit(_panel(y)).predict(_panel(y))
    assert np.all(np.isfinite(result.mean)) and np.all(result.mean >= 0)
    assert result.mean[0] == pytest.approx(np.full(14, 5.0))  # best guess: what it sold
    assert np.all(result.mean[1] == 0) and np.all(result.upper[0.95][1] == 0)
    assert 1.0 < result.mean[2].mean() < 6.0
    for level in (0.8, 0.95):
        assert np.all(result.lower[level] <= result.mean)
        assert np.all(result.upper[level] >= result.mean)
    assert np.all(result.upper[0.95] >= result.upper[0.8])


def test_no_history_to_train_on_still_forecasts():
    y = np.array([[np.nan, np.nan, 3.0, 1.0]])
    result = DemandForecaster(horizon=7, **SMALL).fit(_panel(y)).predict(_panel(y))
    assert result.mean.shape == (1, 7)
    assert np.all(np.isfinite(result.mean)) and 0 < result.mean[0, 0] <= 3


def test_sharded_forecast_equals_in_process(fitted):  # type: ignore[no-untyped-def]
    model, train = fitted
    whole = model.predict(train)
    sharded = forecast_sharded(model, train, n_shards=4)
    assert list(sharded.series_ids) == list(whole.series_ids)
    np.testing.assert_array_equal(sharded.mean, whole.mean)
    np.testing.assert_array_equal(sharded.upper[0.95], whole.upper[0.95])
    assert list(sharded.method) == list(whole.method)


def test_beats_seasonal_naive_and_intervals_cover(synthetic, fitted):  # type: ignore[no-untyped-def]
    model, train = fitted
    result = model.predict(train)
    actual = synthetic.panel.y[:, -28:].copy()
    actual[synthetic.panel.stockout[:, -28:]] = np.nan
    from forecasting.ml.baselines import seasonal_naive

    ours = mase(actual, result.mean, train.y, 7)
    naive = mase(actual, seasonal_naive(train.y, 28, 7), train.y, 7)
    assert ours < 0.9 * naive
    assert 0.7 <= coverage(actual, result.lower[0.8], result.upper[0.8]) <= 0.9
    assert 0.88 <= coverage(actual, result.lower[0.95], result.upper[0.95]) <= 0.99
    dates = pd.DatetimeIndex(result.dates[0])
    assert dates[0] == train.dates[-1] + pd.Timedelta(days=1) and len(dates) == 28


def test_forecasts_after_stockouts_are_not_biased_low():
    data = make_synthetic(n_series=80, n_days=420, seed=5, stockout_rate=1 / 30)
    panel = data.panel
    # plant a stockout over the last 10 days of history for half the products
    stockout = panel.stockout.copy()
    y = panel.y.copy()
    hit = np.arange(0, 80, 2)
    stockout[hit, -10:] = True
    y[hit, -10:] = 0.0
    censored = Panel(panel.series_ids, panel.dates, y, "D", panel.price, panel.promo, stockout)
    zeros = Panel(panel.series_ids, panel.dates, y, "D", panel.price, panel.promo, None)
    horizon = 14
    truth = make_synthetic(n_series=80, n_days=420 + horizon, seed=5, stockout_rate=1 / 30)
    expected = truth.expected[hit, 420 : 420 + horizon]
    aware = DemandForecaster(horizon=horizon, holidays=data.holidays, **SMALL).fit(censored)
    naive = DemandForecaster(horizon=horizon, holidays=data.holidays, **SMALL).fit(zeros)
    bias_aware = relative_bias(expected, aware.predict(censored).expected[hit])
    bias_zeros = relative_bias(expected, naive.predict(zeros).expected[hit])
    assert -0.15 < bias_aware < 0.3  # not biased low (nor wildly high)
    assert bias_zeros < bias_aware - 0.2  # treating stockouts as zero demand runs low


def test_weekly_panel_forecasts():
    data = make_synthetic(n_series=40, n_days=7 * 110, seed=7)
    weekly, _ = to_weekly(data.panel)
    train = weekly.truncate(weekly.n_periods - 8)
    result = DemandForecaster(horizon=8, holidays=data.holidays, **SMALL).fit(train).predict(train)
    actual = weekly.y[:, -8:].copy()
    actual[weekly.stockout[:, -8:]] = np.nan
    from forecasting.ml.baselines import naive

    assert mase(actual, result.mean, train.y, 52) < mase(actual, naive(train.y, 8), train.y, 52)
    assert pd.DatetimeIndex(result.dates[0])[0] == train.dates[-1] + pd.Timedelta(days=7)


def test_impute_stockouts_uses_same_weekday_and_never_lowers_sales():
    week = np.array([10.0, 10, 10, 10, 10, 30, 30])
    y = np.tile(week, 6)[None, :]
    stock = np.zeros_like(y, dtype=bool)
    y[0, 19] = 0.0  # a Saturday (index 5 of the week) sold out
    y[0, 20] = 12.0  # a Sunday partially sold out, above nothing
    stock[0, [19, 20]] = True
    out = impute_stockouts(y, stock, 7)
    assert out[0, 19] == pytest.approx(30.0)
    assert out[0, 20] == pytest.approx(30.0)
    assert np.array_equal(out[0, ~stock[0]], y[0, ~stock[0]])


def test_ets_recovers_a_seasonal_pattern():
    week = np.array([1.0, 2, 3, 4, 5, 6, 7])
    y = np.tile(week, 10)[None, :] + 10
    fc = ets_forecast(y, np.array([69]), 7, 7)
    np.testing.assert_allclose(fc[0], week + 10, atol=0.5)


def test_panel_from_frame_fills_zero_days_and_ends_per_series():
    frame = pd.DataFrame(
        {
            "series_id": ["a", "a", "b"],
            "date": ["2024-01-01", "2024-01-04", "2024-01-02"],
            "quantity": [1, 2, 5],
        }
    )
    panel = panel_from_frame(frame, "D")
    assert panel.y.shape == (2, 4)
    np.testing.assert_array_equal(panel.y[0], [1, 0, 0, 2])
    assert np.isnan(panel.y[1, 0]) and panel.y[1, 1] == 5 and np.isnan(panel.y[1, 3])
    aligned = panel_from_frame(frame, "D", align_end=True)
    np.testing.assert_array_equal(aligned.y[1, 1:], [5, 0, 0])


def _erratic_season_panel(n_days: int, seed: int = 0) -> tuple[Panel, np.ndarray]:
    """Steady sellers whose sales turn erratic (gamma-mixed bursts) in the same 28-day
    stretch every year; the last 28 days (returned separately) are that stretch again."""
    rng = np.random.default_rng(seed)
    n = 60
    level = rng.uniform(3.0, 12.0, n)[:, None]
    mu = np.repeat(level, n_days + 28, axis=1)
    day = np.arange(n_days + 28)
    erratic = (day % 364) >= (n_days + 28 - 28) % 364
    erratic &= (day % 364) < ((n_days + 28 - 28) % 364) + 28
    mu = mu * np.where(erratic, rng.gamma(0.8, 1 / 0.8, mu.shape), 1.0)
    y = rng.poisson(mu).astype(float)
    return _panel(y[:, :n_days]), y[:, n_days:]


def test_seasonal_calibration_widens_intervals_for_a_season_that_was_erratic_last_year():
    train, future = _erratic_season_panel(700)
    on = DemandForecaster(horizon=28, **SMALL).fit(train)
    off = DemandForecaster(horizon=28, seasonal_calibration=0.0, **SMALL).fit(train)
    r_on, r_off = on.predict(train), off.predict(train)
    np.testing.assert_array_equal(r_on.mean, r_off.mean)  # point forecasts untouched
    width_on = np.mean(r_on.upper[0.8] - r_on.lower[0.8])
    width_off = np.mean(r_off.upper[0.8] - r_off.lower[0.8])
    assert width_on > 1.3 * width_off
    cov_on = coverage(future, r_on.lower[0.8], r_on.upper[0.8])
    cov_off = coverage(future, r_off.lower[0.8], r_off.upper[0.8])
    assert cov_off < 0.7  # calibrated on the calm weeks only: too narrow
    assert 0.72 <= cov_on <= 0.92


def test_seasonal_calibration_needs_last_year():
    train, _ = _erratic_season_panel(300)  # under a year of history: nothing to compare
    on = DemandForecaster(horizon=28, **SMALL).fit(train).predict(train)
    off = DemandForecaster(horizon=28, seasonal_calibration=0.0, **SMALL).fit(train).predict(train)
    np.testing.assert_array_equal(on.upper[0.95], off.upper[0.95])
    np.testing.assert_array_equal(on.lower[0.8], off.lower[0.8])


def test_opt_in_per_series_selection_still_gives_valid_forecasts(fitted):  # type: ignore[no-untyped-def]
    _, train = fitted
    model = DemandForecaster(horizon=28, select=True, **SMALL).fit(train)
    result = model.predict(train)
    assert set(result.method) <= {"global", "seasonal_naive", "ets", "recent_mean", "short", "zero"}
    assert np.all(np.isfinite(result.mean)) and np.all(result.mean >= 0)
    for level in (0.8, 0.95):
        assert np.all(result.lower[level] <= result.mean)
        assert np.all(result.upper[level] >= result.mean)


def test_christmas_closure_last_year_carries_over_and_shards_agree():
    # the generator closes the store on 25 Dec (sales x 0.1) and sells more on the days
    # before; the trees never see a closure with last-year features, the pooled day
    # effect carries it over
    data = make_synthetic(n_series=40, n_days=730, seed=5, start="2023-01-02")
    train = data.panel.truncate(730 - 28)  # history to 3 Dec 2024, forecast 4-31 Dec
    model = DemandForecaster(horizon=28, holidays=data.holidays, **SMALL).fit(train)
    assert model.day_effects_ is not None
    assert model.day_effects_[np.datetime64("2024-12-25")] < 0.5
    assert model.day_effects_[np.datetime64("2024-12-24")] > 1.1
    whole = model.predict(train)
    day = {pd.Timestamp(d).strftime("%m-%d"): k for k, d in enumerate(whole.dates[0])}
    total = whole.mean.sum(axis=0)
    normal = np.mean([total[day[d]] for d in ("12-17", "12-18", "12-19", "12-20")])
    off = DemandForecaster(horizon=28, holidays=data.holidays, holiday_effects=False, **SMALL)
    off.fit(train)
    assert off.day_effects_ == {}
    total_off = off.predict(train).mean.sum(axis=0)
    normal_off = np.mean([total_off[day[d]] for d in ("12-17", "12-18", "12-19", "12-20")])
    # true demand on 25 Dec is about 0.15 of those days'
    assert total[day["12-25"]] / normal < 0.6 * total_off[day["12-25"]] / normal_off
    sharded = forecast_sharded(model, train, n_shards=3)
    np.testing.assert_array_equal(sharded.mean, whole.mean)
    np.testing.assert_array_equal(sharded.upper[0.8], whole.upper[0.8])


def test_holiday_day_effects_need_last_year(fitted):  # type: ignore[no-untyped-def]
    model, train = fitted  # history from March 2023: Christmas 2023 has no counterpart
    assert model.day_effects_ is not None
    assert np.datetime64("2023-12-25") not in model.day_effects_
    assert all(day >= np.datetime64(train.dates[0].date()) + 364 for day in model.day_effects_)
