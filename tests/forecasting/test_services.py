import numpy as np
import pytest

from forecasting import facade, selectors, services
from forecasting.models import Forecast, ForecastAccuracy, ReorderSuggestion
from mlops import facade as mlops
from tests.factories import ProductFactory
from tests.forecasting.factories import make_store

pytestmark = pytest.mark.django_db

FAST = {
    "FORECASTING_N_ESTIMATORS": 60,
    "FORECASTING_MAX_TRAIN_ROWS": 20_000,
    "FORECASTING_N_JOBS": 1,
}


@pytest.fixture
def fast(settings):  # type: ignore[no-untyped-def]
    for key, value in FAST.items():
        setattr(settings, key, value)


def _rows() -> list[tuple]:
    return list(
        Forecast.objects.order_by("product_id", "date").values_list(
            "product_id", "date", "forecast", "expected", "lo80", "hi80", "lo95", "hi95", "method"
        )
    )


def test_empty_store_is_skipped_and_reads_fall_back(fast):  # type: ignore[no-untyped-def]
    assert "skipped" in facade.train()
    product = ProductFactory()
    assert "skipped" in facade.train()
    fc = facade.product_forecast(product_id=product.pk)
    assert fc.source == "fallback" and fc.model_version is None
    assert len(fc.forecast) == 28 and all(p.forecast == 0 for p in fc.forecast)
    assert facade.reorder_suggestions() == []


def test_nightly_refresh_writes_forecasts_reorders_and_accuracy(fast):  # type: ignore[no-untyped-def]
    products = make_store(rates=[0.3, 2.0, 6.0, 12.0, 1.0, 4.0], on_hand={3: 5})
    summary = facade.train(force=True)
    assert summary["activated"] and summary["forecasts"]["products"] == 6
    assert Forecast.objects.count() == 6 * 28
    assert ReorderSuggestion.objects.count() == 6
    acc = ForecastAccuracy.objects.get()
    assert acc.mase is not None and acc.n_series == 6
    assert mlops.model_active_get(capability="forecasting") is not None
    fast_seller = facade.product_forecast(product_id=products[3].pk)
    assert fast_seller.source == "model" and len(fast_seller.forecast) == 28
    mean = np.mean([p.forecast for p in fast_seller.forecast])
    assert 6 < mean < 20  # sells about 12 a day
    assert all(p.lo95 <= p.lo80 <= p.forecast <= p.hi80 <= p.hi95 for p in fast_seller.forecast)
    # 5 units left of a product selling 12 a day: first on the reorder list, order placed
    top = facade.reorder_suggestions()[0]
    assert top.product_id == products[3].pk
    assert top.order_quantity > 0 and top.stockout_risk > 0.9
    assert top.projected_stockout_date is not None


def test_fan_out_over_shards_equals_in_process(fast):  # type: ignore[no-untyped-def]
    make_store(rates=[0.5, 3.0, 8.0, 1.5, 5.0], seed=1)
    services.forecast_model_train(force=True)
    in_process = services.forecasts_generate(n_shards=1, fan_out=False)
    single = _rows()
    fanned = services.forecasts_generate(n_shards=3, fan_out=True)  # Celery chord (eager here)
    assert in_process["shards"] == 1 and fanned["shards"] == 3
    assert fanned["products"] == 5
    assert _rows() == single


def test_forecast_after_a_planted_stockout_is_not_biased_low(fast):  # type: ignore[no-untyped-def]
    rates = [6.0, 6.0, 3.0, 2.0, 8.0, 4.0]
    products = make_store(rates=rates, stockout_last_days={0: 10}, seed=2)
    end = selectors.history_end()
    history = selectors.sales_history(product_id=products[0].pk, end=end, days=30)
    assert history["stockout"].tail(10).all()  # rebuilt from stock movements
    assert not history["stockout"].head(15).any()
    facade.train(force=True)
    out = Forecast.objects.filter(product_id=products[0].pk).order_by("date")
    expected = np.mean([r.expected for r in out])
    assert expected > 0.85 * 6.0  # ten days of zero sales were censored demand, not zero demand
    reorder = ReorderSuggestion.objects.get(product_id=products[0].pk)
    assert reorder.on_hand == 0 and reorder.order_quantity > 0


def test_units_on_an_open_purchase_order_lower_the_next_suggestion(fast):  # type: ignore[no-untyped-def]
    from catalog import services as catalog_services

    products = make_store(rates=[12.0, 2.0], on_hand={0: 5})
    facade.train(force=True)
    before = ReorderSuggestion.objects.get(product=products[0])
    assert before.order_quantity > 0 and before.incoming == 0
    created = catalog_services.purchase_orders_create_from_suggestions()
    assert [line.product_id for line in created.purchase_orders[0].lines.all()] == [products[0].pk]

    services.forecasts_generate(n_shards=1, fan_out=False)

    after = ReorderSuggestion.objects.get(product=products[0])
    assert after.incoming == before.order_quantity
    assert after.order_quantity == 0  # the open order covers the lead time and review period
    assert after.stockout_risk < before.stockout_risk
    assert ReorderSuggestion.objects.get(product=products[1]).incoming == 0
