import csv
import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from forecasting import facade
from tests.factories import ProductFactory
from tests.forecasting.factories import make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(settings):  # type: ignore[no-untyped-def]
    settings.FORECASTING_N_ESTIMATORS = 60
    settings.FORECASTING_MAX_TRAIN_ROWS = 20_000
    settings.FORECASTING_N_JOBS = 1
    products = make_store(rates=[0.5, 3.0, 9.0, 2.0], on_hand={2: 3}, seed=4)
    facade.train(force=True)
    return products


def test_forecast_endpoint_is_staff_only(api_client, shopper_client):  # type: ignore[no-untyped-def]
    product = ProductFactory()
    url = f"/api/v1/forecasts/{product.pk}/"
    assert api_client.get(url).status_code in (401, 403)
    assert shopper_client.get(url).status_code == 403


def test_forecast_without_model_serves_fallback(staff_client):  # type: ignore[no-untyped-def]
    product = ProductFactory()
    body = staff_client.get(f"/api/v1/forecasts/{product.pk}/").json()
    assert body["source"] == "fallback" and body["model_version"] is None
    assert len(body["forecast"]) == 28


def test_forecast_bad_input_and_unknown_product(staff_client):  # type: ignore[no-untyped-def]
    product = ProductFactory()
    bad = staff_client.get(f"/api/v1/forecasts/{product.pk}/?history_days=3")
    assert bad.status_code == 400 and "history_days" in bad.json()
    assert staff_client.get("/api/v1/forecasts/999999/").status_code == 404


def test_forecast_with_model_has_history_and_intervals(staff_client, trained):  # type: ignore[no-untyped-def]
    body = staff_client.get(f"/api/v1/forecasts/{trained[2].pk}/?history_days=60").json()
    assert body["source"] == "model" and body["model_version"].startswith("forecasting")
    assert len(body["history"]) == 60 and len(body["forecast"]) == 28
    assert body["history"][-1]["date"] < body["forecast"][0]["date"]
    point = body["forecast"][0]
    assert point["lo95"] <= point["lo80"] <= point["forecast"] <= point["hi80"] <= point["hi95"]


def test_reorder_list_sorted_by_risk_and_csv_export(staff_client, shopper_client, trained):  # type: ignore[no-untyped-def]
    assert shopper_client.get("/api/v1/forecasts/reorder-suggestions/").status_code == 403
    rows = staff_client.get("/api/v1/forecasts/reorder-suggestions/").json()
    assert len(rows) == 4
    assert rows[0]["product_id"] == trained[2].pk  # 3 left of a 9-a-day seller
    risks = [r["stockout_risk"] for r in rows]
    assert risks == sorted(risks, reverse=True)
    assert staff_client.get("/api/v1/forecasts/reorder-suggestions/?limit=0").status_code == 400
    export = staff_client.get("/api/v1/forecasts/reorder-suggestions/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(table) == 4 and table[0]["sku"] == trained[2].sku
    assert int(table[0]["order_quantity"]) > 0


def test_admin_pages_render(client, trained, django_user_model):  # type: ignore[no-untyped-def]
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-123456")
    client.force_login(admin)
    assert client.get("/admin/forecasting/reordersuggestion/").status_code == 200
    chart = client.get(f"/admin/forecasting/reordersuggestion/chart/{trained[1].pk}/")
    assert chart.status_code == 200 and b"forecast-spec" in chart.content
    assert client.get("/admin/forecasting/reordersuggestion/accuracy/").status_code == 200


def test_ml_eval_forecasting_writes_h_rows_per_series(tmp_path):  # type: ignore[no-untyped-def]
    dates = pd.date_range("2024-01-01", periods=70, freq="D")
    hist = pd.DataFrame(
        {
            "series_id": ["a"] * 70 + ["b"] * 40,
            "date": list(dates) + list(dates[:40]),
            "quantity": [3 + (d.dayofweek == 5) * 4 for d in dates] + [1] * 40,
        }
    )
    path, out = tmp_path / "hist.csv", tmp_path / "fc.csv"
    hist.to_csv(path, index=False)
    call_command(
        "ml_eval",
        "forecasting",
        "--history",
        str(path),
        "--horizon",
        "14",
        "--freq",
        "D",
        "--out",
        str(out),
    )
    fc = pd.read_csv(out)
    assert list(fc.columns[:3]) == ["series_id", "date", "forecast"]
    assert fc.groupby("series_id").size().to_dict() == {"a": 14, "b": 14}
    assert fc[fc.series_id == "b"]["date"].iloc[0] == "2024-02-10"  # after b's own last date
    sat = fc[(fc.series_id == "a") & (pd.to_datetime(fc.date).dt.dayofweek == 5)]["forecast"]
    assert sat.mean() > fc[fc.series_id == "a"]["forecast"].mean()
    hist.drop(columns="quantity").to_csv(path, index=False)
    with pytest.raises(CommandError, match="quantity"):
        call_command(
            "ml_eval",
            "forecasting",
            "--history",
            str(path),
            "--horizon",
            "14",
            "--freq",
            "D",
            "--out",
            str(out),
        )
