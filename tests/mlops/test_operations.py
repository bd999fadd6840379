"""Model operations: retrain now (run + progress), versions, activate/rollback, staff-only API."""

from typing import Any

import pytest

from mlops import facade as mlops
from mlops.models import ModelVersion, TrainingRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_trainer(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """insights.train replaced by a quick trainer registering a better version each call."""
    settings.ML_CAPABILITIES = [*settings.ML_CAPABILITIES, "insights"]
    import insights.facade

    calls = {"n": 0}

    def train(*, force: bool = False) -> dict[str, Any]:
        calls["n"] += 1
        info = mlops.model_version_register_and_activate(
            capability="insights",
            artifact={"n": calls["n"]},
            metrics={"churn_auc": 0.6 + calls["n"] / 100},
            primary_metric="churn_auc",
        )
        return {"churn_auc": info.metrics["churn_auc"]}

    monkeypatch.setattr(insights.facade, "train", train)
    return calls


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_retrain_now_from_admin_creates_a_run_and_a_new_version(
    admin_client, fake_trainer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/mlops/modelversion/ops/insights/retrain/")
    assert response.status_code == 302
    run = TrainingRun.objects.get(capability="insights")
    assert run.status == "succeeded" and run.progress == 100
    assert run.model_version is not None and run.model_version.version == 1
    page = admin_client.get(response["Location"]).content.decode()
    assert 'data-testid="version-1"' in page and "active" in page


def test_retrain_api_returns_a_run_to_poll(
    staff_client, fake_trainer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/api/v1/mlops/capabilities/insights/retrain/", {}, format="json"
        )
    assert response.status_code == 202
    run = staff_client.get(f"/api/v1/mlops/training-runs/{response.data['id']}/").data
    assert run["finished"] is True and run["status"] == "succeeded" and run["model_version"] == 1


def test_retrain_refuses_an_unknown_capability(staff_client) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post("/api/v1/mlops/capabilities/nope/retrain/", {}, format="json")
    assert response.status_code == 400
    assert "capability" in response.data


def test_second_retrain_while_one_is_queued_returns_the_same_run(staff_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ML_CAPABILITIES = [*settings.ML_CAPABILITIES, "insights"]
    first = staff_client.post("/api/v1/mlops/capabilities/insights/retrain/", {}, format="json")
    second = staff_client.post("/api/v1/mlops/capabilities/insights/retrain/", {}, format="json")
    assert first.data["id"] == second.data["id"]
    assert TrainingRun.objects.filter(capability="insights").count() == 1


def test_activate_and_rollback_from_ops_page(admin_client, fake_trainer) -> None:  # type: ignore[no-untyped-def]
    import insights.facade

    insights.facade.train()
    insights.facade.train()
    v1, v2 = ModelVersion.objects.filter(capability="insights").order_by("version")
    v2.refresh_from_db()
    assert v2.status == "active"
    admin_client.post("/admin/mlops/modelversion/ops/insights/rollback/")
    v1.refresh_from_db()
    assert v1.status == "active"
    # v2 is better: "activate if better" restores it
    admin_client.post(f"/admin/mlops/modelversion/ops/version/{v2.pk}/activate/")
    v2.refresh_from_db()
    assert v2.status == "active"


def test_ops_pages_render_for_every_capability(admin_client) -> None:  # type: ignore[no-untyped-def]
    assert admin_client.get("/admin/mlops/modelversion/ops/").status_code == 200
    for cap in ["recommendations", "pricing", "forecasting", "fraud", "support", "insights"]:
        assert admin_client.get(f"/admin/mlops/modelversion/ops/{cap}/").status_code == 200
    assert admin_client.get("/admin/mlops/modelversion/ops/unknown/").status_code == 404
    assert admin_client.get("/admin/mlops/modelversion/monitoring/").status_code == 200
    assert admin_client.get("/admin/mlops/modelversion/experiments/").status_code == 200


def test_mlops_api_is_staff_only(api_client, shopper_client) -> None:  # type: ignore[no-untyped-def]
    for url in ["/api/v1/mlops/dashboard/", "/api/v1/mlops/capabilities/", "/api/v1/mlops/alerts/"]:
        assert api_client.get(url).status_code in (401, 403)
        assert shopper_client.get(url).status_code == 403


def test_capabilities_api_lists_every_capability(staff_client) -> None:  # type: ignore[no-untyped-def]
    names = [row["capability"] for row in staff_client.get("/api/v1/mlops/capabilities/").data]
    assert {"recommendations", "fraud", "insights"} <= set(names)


def test_dashboard_api(staff_client) -> None:  # type: ignore[no-untyped-def]
    body = staff_client.get("/api/v1/mlops/dashboard/?period=7").data
    assert body["period"] == "7" and body["orders"] == 0
    assert set(body["tables"]) == {"sales", "funnel", "products", "categories"}


def test_feature_snapshot_api_validates_bins(staff_client) -> None:  # type: ignore[no-untyped-def]
    bad = staff_client.post(
        "/api/v1/mlops/feature-snapshots/",
        {"capability": "fraud", "feature": "x", "kind": "live", "counts": [1, 2], "edges": [0, 1]},
        format="json",
    )
    assert bad.status_code == 400 and "edges" in bad.data
    ok = staff_client.post(
        "/api/v1/mlops/feature-snapshots/",
        {
            "capability": "fraud",
            "feature": "x",
            "kind": "live",
            "counts": [1, 2],
            "edges": [0, 1, 2],
        },
        format="json",
    )
    assert ok.status_code == 201


def test_experiment_results_api(staff_client) -> None:  # type: ignore[no-untyped-def]
    from mlops import experiments

    experiments.experiment_create(key="price-test")
    for i in range(20):
        experiments.exposure_log("price-test", f"u{i}")
    body = staff_client.get("/api/v1/mlops/experiments/price-test/results/").data
    assert sum(v["exposures"] for v in body["variants"]) == 20
    assert staff_client.get("/api/v1/mlops/experiments/none/results/").status_code == 404


def test_ops_page_names_retraining_times_in_words_with_the_time_zone(admin_client) -> None:  # type: ignore[no-untyped-def]
    page = admin_client.get("/admin/mlops/modelversion/ops/").content.decode()
    assert "daily at 02:10 (Europe/London)" in page  # recommendations-train
    assert "every 15 minutes" in page and "hourly at :45" in page
    assert "crontab" not in page and "m/h/dM/MY/d" not in page


def test_version_metrics_and_their_table_read_as_four_significant_digits(admin_client) -> None:  # type: ignore[no-untyped-def]
    mlops.model_version_register_and_activate(
        capability="fraud",
        artifact={"n": 1},
        metrics={"average_precision": 0.6944447092889807, "train_rows": 3850},
        primary_metric="average_precision",
    )
    page = admin_client.get("/admin/mlops/modelversion/ops/fraud/").content.decode()
    # (key order follows the database: PostgreSQL's jsonb sorts keys)
    assert "average_precision=0.6944" in page and "average_precision=0.69444" not in page
    assert "train_rows=3850" in page
    assert "<td>0.6944</td>" in page  # the chart's table view
    assert "0.6944447092889807</td>" not in page  # (the chart itself plots the full value)


def test_capability_page_renders_a_metric_named_items(admin_client) -> None:  # type: ignore[no-untyped-def]
    # The recommender records "items" (catalogue size); the page answered 500 on it.
    mlops.model_version_register_and_activate(
        capability="recommendations",
        artifact={"n": 1},
        metrics={"ndcg@10": 0.3195, "items": 128},
        primary_metric="ndcg@10",
    )
    response = admin_client.get("/admin/mlops/modelversion/ops/recommendations/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "items=128" in page and "ndcg@10=0.3195" in page
