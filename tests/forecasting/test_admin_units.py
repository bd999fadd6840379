"""Reorder suggestions as a buyer reads them: stock levels in whole units, not 0.493."""

from datetime import date

import pytest

from forecasting.models import ReorderSuggestion
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def suggestion():  # type: ignore[no-untyped-def]
    return ReorderSuggestion.objects.create(
        product=ProductFactory(),
        on_hand=0,
        lead_time_days=14,
        service_level=0.95,
        lead_time_demand=8.1234,
        safety_stock=3.21,
        reorder_point=0.493,
        order_quantity=2,
        stockout_risk=0.874,
        projected_stockout_date=date(2026, 12, 5),
        model_version="forecasting-v1",
    )


def test_reorder_list_shows_whole_units_and_a_short_date(admin_client, suggestion) -> None:  # type: ignore[no-untyped-def]
    html = admin_client.get("/admin/forecasting/reordersuggestion/").content.decode()
    row = html.split('id="result_list"', 1)[1].split("</tbody>", 1)[0]
    assert '<td class="field-reorder_at">1</td>' in row  # 0.493 rounded up to a unit
    assert "0.493" not in row
    assert '<td class="field-risk">87%</td>' in row
    assert '<td class="field-stockout_date">2026-12-05</td>' in row


def test_reorder_view_page_rounds_stock_levels_and_shows_rates(admin_client, suggestion) -> None:  # type: ignore[no-untyped-def]
    url = f"/admin/forecasting/reordersuggestion/{suggestion.pk}/change/"
    html = admin_client.get(url).content.decode()
    for raw in ("0.493", "3.21", "8.1234", "0.95"):
        assert raw not in html
    assert '<div class="readonly">4</div>' in html  # safety stock 3.21 -> 4 units
    assert '<div class="readonly">8.1</div>' in html  # expected sales: 1 decimal
    assert '<div class="readonly">95%</div>' in html


def test_backtest_list_shows_scores_and_coverage_as_a_merchant_reads_them(admin_client) -> None:  # type: ignore[no-untyped-def]
    from forecasting.models import ForecastAccuracy

    ForecastAccuracy.objects.create(
        cutoff=date(2026, 11, 19),
        horizon_days=14,
        n_series=120,
        mase=0.8473920183,
        baseline_mase=1.0391827,
        wape=0.412345,
        coverage80=0.79123,
        coverage95=None,
    )
    html = admin_client.get("/admin/forecasting/forecastaccuracy/").content.decode()
    row = html.split('id="result_list"', 1)[1].split("</tbody>", 1)[0]
    assert "0.8473920183" not in row
    assert '<td class="field-mase_shown">0.85</td>' in row
    assert '<td class="field-baseline_shown">1.04</td>' in row
    assert '<td class="field-wape_shown">41.2%</td>' in row
    assert '<td class="field-coverage80_shown">79.1%</td>' in row
    assert '<td class="field-coverage95_shown">-</td>' in row
