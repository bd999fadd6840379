from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from mlops import monitoring
from mlops.models import Alert, MetricSample
from tests.mlops.factories import events_create

pytestmark = pytest.mark.django_db


def test_drift_report_flags_a_shifted_feature_and_raises_an_alert() -> None:
    rng = np.random.default_rng(1)
    monitoring.feature_snapshot_record(
        capability="fraud", feature="order_total", values=rng.normal(80, 20, 3000), kind="reference"
    )
    monitoring.feature_snapshot_record(
        capability="fraud", feature="order_total", values=rng.normal(130, 20, 800), kind="live"
    )
    monitoring.feature_snapshot_record(
        capability="fraud", feature="items", values=rng.poisson(3, 3000), kind="reference"
    )
    monitoring.feature_snapshot_record(
        capability="fraud", feature="items", values=rng.poisson(3, 800), kind="live"
    )

    report = {d.feature: d for d in monitoring.drift_report(capability="fraud")}

    assert report["order_total"].level == "major"
    assert report["items"].level == "stable"
    summary = monitoring.monitoring_run()
    assert summary["drifted"] == ["fraud.order_total"]
    assert Alert.objects.filter(capability="fraud", message__contains="order_total").count() == 1
    monitoring.monitoring_run()  # the same open alert is not repeated
    assert Alert.objects.filter(capability="fraud", message__contains="order_total").count() == 1


def test_categorical_live_snapshot_reuses_reference_labels() -> None:
    monitoring.feature_snapshot_record(
        capability="support",
        feature="language",
        values=["en"] * 90 + ["de"] * 10,
        kind="reference",
        categorical=True,
    )
    monitoring.feature_snapshot_record(
        capability="support", feature="language", values=["en"] * 40 + ["fr"] * 60, kind="live"
    )
    (drift,) = monitoring.drift_report(capability="support")
    assert drift.bins == ["de", "en", "__other__"]
    assert drift.level == "major"


def test_live_ctr_decay_raises_an_alert() -> None:
    now = timezone.now()
    for i, value in enumerate([0.10, 0.11, 0.09, 0.10, 0.05]):
        monitoring.metric_sample_record(
            capability="recommendations",
            metric="ctr",
            value=value,
            sample_size=1000,
            measured_at=now - timedelta(days=5 - i),
        )
    (trend,) = monitoring.metric_trends(capability="recommendations")
    assert trend.decayed and trend.change == pytest.approx(-0.5)
    monitoring.monitoring_run()
    assert Alert.objects.filter(capability="recommendations", message__contains="decayed").exists()


def test_lower_is_better_metric_decays_when_it_rises() -> None:
    now = timezone.now()
    for i, value in enumerate([0.30, 0.30, 0.30, 0.31, 0.45]):
        monitoring.metric_sample_record(
            capability="forecasting",
            metric="wape",
            value=value,
            higher_is_better=False,
            measured_at=now - timedelta(days=5 - i),
        )
    (trend,) = monitoring.metric_trends(capability="forecasting")
    assert trend.decayed


def test_live_metrics_measure_recommendation_ctr_from_events() -> None:
    now = timezone.now()
    events_create(session_id="a", types=["rec_impression"] * 8 + ["rec_click"] * 2, at=now)
    measured = monitoring.live_metrics_collect()
    assert measured["recommendations.live_ctr"] == pytest.approx(0.25)
    assert MetricSample.objects.get(metric="live_ctr").sample_size == 8
