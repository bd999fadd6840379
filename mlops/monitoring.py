"""Model monitoring: input drift (PSI per feature) and live metric decay, raising Alerts.

Capabilities report what they see; monitoring compares it with what they were trained on:

```python
from mlops import monitoring
# at training time, on the training inputs (histograms only: no raw values are stored)
monitoring.feature_snapshot_record(capability="fraud", feature="order_total",
                                   values=train_df["order_total"], kind="reference",
                                   model_version_id=info.id)
# later, on recent inputs (bins follow the newest reference snapshot)
monitoring.feature_snapshot_record(capability="fraud", feature="order_total",
                                   values=recent["order_total"], kind="live")
# a live quality figure as outcomes arrive (forecast error once actuals are known, ...)
monitoring.metric_sample_record(capability="forecasting", metric="wape", value=0.31,
                                sample_size=420, higher_is_better=False)
```

`monitoring_run()` (Celery beat: `mlops.monitoring.monitoring_check_task`) measures the live
metrics mlops can compute itself (recommendation CTR from events, fraud precision on reviewed
orders), then raises an Alert for major drift (PSI >= 0.25) and for a live metric that fell
more than 20% below its baseline.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from celery import shared_task
from django.db.models import Count, Q
from django.utils import timezone

from mlops.metrics.drift import (
    Histogram,
    histogram_categorical,
    histogram_numeric,
    psi,
    psi_level,
)
from mlops.models import Alert, FeatureSnapshot, MetricSample, ModelVersion

logger = logging.getLogger(__name__)

DECAY_THRESHOLD = 0.2  # relative drop from baseline that raises an alert
LOOKBACK = timedelta(days=120)


@dataclass(frozen=True)
class FeatureDrift:
    capability: str
    feature: str
    psi: float
    level: str
    reference_at: datetime
    live_at: datetime
    live_size: int
    reference_shares: list[float]
    live_shares: list[float]
    bins: list[str]


@dataclass(frozen=True)
class MetricTrend:
    capability: str
    metric: str
    higher_is_better: bool
    baseline: float | None
    latest: float | None
    change: float | None  # relative to baseline; positive = better
    decayed: bool
    points: list[tuple[datetime, float]]


def _bin_labels(hist: Histogram) -> list[str]:
    if hist.labels:
        return list(hist.labels)
    edges = hist.edges
    return [f"[{edges[i]:.3g}, {edges[i + 1]:.3g})" for i in range(len(edges) - 1)]


def feature_snapshot_record(
    *,
    capability: str,
    feature: str,
    values: Sequence[Any] | np.ndarray | None = None,
    histogram: dict[str, Any] | None = None,
    kind: str = FeatureSnapshot.Kind.LIVE,
    categorical: bool = False,
    bins: int = 10,
    model_version_id: int | None = None,
) -> int:
    """Store a histogram of one feature. Pass raw ``values`` (binned here; a live sample
    reuses the newest reference's bins) or a ready ``histogram`` dict. Returns the id."""
    if histogram is None:
        if values is None:
            raise ValueError("pass values or histogram")
        reference = None
        if kind == FeatureSnapshot.Kind.LIVE:
            reference = (
                FeatureSnapshot.objects.filter(
                    capability=capability, feature=feature, kind=FeatureSnapshot.Kind.REFERENCE
                )
                .order_by("-created_at", "-pk")
                .first()
            )
        ref_hist = Histogram.from_dict(reference.histogram) if reference else None
        if categorical or (ref_hist is not None and ref_hist.labels):
            hist = histogram_categorical(
                list(values), labels=ref_hist.labels if ref_hist and ref_hist.labels else None
            )
        else:
            edges = np.array(ref_hist.edges) if ref_hist and ref_hist.edges else None
            hist = histogram_numeric(np.asarray(values, dtype=float), edges=edges, bins=bins)
        histogram = hist.as_dict()
    size = int(sum(float(c) for c in histogram.get("counts", [])))
    snapshot = FeatureSnapshot.objects.create(
        capability=capability,
        feature=feature,
        kind=kind,
        histogram=histogram,
        sample_size=size,
        model_version_id=model_version_id,
    )
    return snapshot.pk


def drift_report(*, capability: str | None = None) -> list[FeatureDrift]:
    """PSI of the newest live snapshot against the newest reference, per feature (1 query)."""
    qs = FeatureSnapshot.objects.filter(created_at__gte=timezone.now() - LOOKBACK)
    if capability:
        qs = qs.filter(capability=capability)
    newest: dict[tuple[str, str, str], FeatureSnapshot] = {}
    for snap in qs.order_by("-created_at", "-pk").iterator():
        newest.setdefault((snap.capability, snap.feature, snap.kind), snap)
    report = []
    for (cap, feature, kind), ref in sorted(newest.items()):
        if kind != FeatureSnapshot.Kind.REFERENCE:
            continue
        live = newest.get((cap, feature, FeatureSnapshot.Kind.LIVE))
        if live is None:
            continue
        ref_hist, live_hist = (
            Histogram.from_dict(ref.histogram),
            Histogram.from_dict(live.histogram),
        )
        if len(ref_hist.counts) != len(live_hist.counts):
            value = float("nan")  # recorded on different bins: not comparable
        else:
            value = psi(ref_hist.counts, live_hist.counts)
        ref_total = sum(ref_hist.counts) or 1.0
        live_total = sum(live_hist.counts) or 1.0
        report.append(
            FeatureDrift(
                capability=cap,
                feature=feature,
                psi=value,
                level=psi_level(value),
                reference_at=ref.created_at,
                live_at=live.created_at,
                live_size=live.sample_size,
                reference_shares=[c / ref_total for c in ref_hist.counts],
                live_shares=[c / live_total for c in live_hist.counts],
                bins=_bin_labels(ref_hist),
            )
        )
    return report


def metric_sample_record(
    *,
    capability: str,
    metric: str,
    value: float,
    sample_size: int = 0,
    higher_is_better: bool = True,
    measured_at: datetime | None = None,
) -> int:
    """Record one live measurement of a quality metric, tied to the active version."""
    active_id = (
        ModelVersion.objects.filter(capability=capability, status=ModelVersion.Status.ACTIVE)
        .values_list("pk", flat=True)
        .first()
    )
    sample = MetricSample.objects.create(
        capability=capability,
        metric=metric,
        value=float(value),
        sample_size=sample_size,
        higher_is_better=higher_is_better,
        model_version_id=active_id,
        measured_at=measured_at or timezone.now(),
    )
    return sample.pk


def metric_trends(*, capability: str | None = None) -> list[MetricTrend]:
    """Each live metric's series, its baseline (mean of the first three samples) and the
    relative change of the newest sample; ``decayed`` when it is 20% worse (1 query)."""
    qs = MetricSample.objects.filter(measured_at__gte=timezone.now() - LOOKBACK)
    if capability:
        qs = qs.filter(capability=capability)
    series: dict[tuple[str, str], list[MetricSample]] = {}
    for sample in qs.order_by("measured_at", "pk").iterator():
        series.setdefault((sample.capability, sample.metric), []).append(sample)
    trends = []
    for (cap, metric), samples in sorted(series.items()):
        hib = samples[-1].higher_is_better
        baseline = float(np.mean([s.value for s in samples[:3]]))
        latest = samples[-1].value
        change = None
        decayed = False
        if len(samples) > 3 and baseline:
            change = (latest - baseline) / abs(baseline)
            if not hib:
                change = -change
            decayed = change < -DECAY_THRESHOLD
        trends.append(
            MetricTrend(
                capability=cap,
                metric=metric,
                higher_is_better=hib,
                baseline=baseline,
                latest=latest,
                change=change,
                decayed=decayed,
                points=[(s.measured_at, s.value) for s in samples],
            )
        )
    return trends


def _rec_ctr(since: datetime) -> tuple[float, int] | None:
    from customers.models import Event

    counts = Event.objects.filter(
        created_at__gte=since, type__in=[Event.Type.REC_IMPRESSION, Event.Type.REC_CLICK]
    ).aggregate(
        shown=Count("pk", filter=Q(type=Event.Type.REC_IMPRESSION)),
        clicked=Count("pk", filter=Q(type=Event.Type.REC_CLICK)),
    )
    if not counts["shown"]:
        return None
    return counts["clicked"] / counts["shown"], counts["shown"]


def _fraud_precision(since: datetime) -> tuple[float, int] | None:
    """Share of orders held for review that reviewers then cancelled (true positives)."""
    from orders.models import Order, OrderStatusHistory

    held = OrderStatusHistory.objects.filter(
        status=Order.Status.ON_HOLD, created_at__gte=since
    ).values("order_id")
    resolved = (
        Order.objects.filter(pk__in=held)
        .exclude(status=Order.Status.ON_HOLD)
        .aggregate(
            n=Count("pk"),
            confirmed=Count("pk", filter=Q(status=Order.Status.CANCELLED)),
        )
    )
    if not resolved["n"]:
        return None
    return resolved["confirmed"] / resolved["n"], resolved["n"]


def live_metrics_collect(*, window: timedelta = timedelta(days=7)) -> dict[str, float]:
    """Measure what mlops can compute from commerce tables; capabilities add their own
    through ``metric_sample_record`` (e.g. forecast error as actuals arrive)."""
    since = timezone.now() - window
    measured: dict[str, float] = {}
    for capability, metric, fn in (
        ("recommendations", "live_ctr", _rec_ctr),
        ("fraud", "review_precision", _fraud_precision),
    ):
        try:
            result = fn(since)
        except Exception:  # a monitoring read must never break the caller
            logger.exception("live metric %s.%s failed", capability, metric)
            continue
        if result is None:
            continue
        value, size = result
        metric_sample_record(capability=capability, metric=metric, value=value, sample_size=size)
        measured[f"{capability}.{metric}"] = value
    return measured


def _alert(capability: str, message: str, level: str = Alert.Level.WARNING) -> None:
    from mlops.services import alert_raise

    alert_raise(capability=capability, message=message[:500], level=level)


def monitoring_run() -> dict[str, Any]:
    """Collect live metrics, then alert on major drift and decayed metrics."""
    measured = live_metrics_collect()
    drifted = []
    for drift in drift_report():
        if drift.level == "major":
            drifted.append(f"{drift.capability}.{drift.feature}")
            _alert(
                drift.capability,
                f"Input drift on {drift.feature}: PSI {drift.psi:.2f} (major, >= 0.25)",
            )
    decayed = []
    for trend in metric_trends():
        if trend.decayed and trend.change is not None:
            decayed.append(f"{trend.capability}.{trend.metric}")
            _alert(
                trend.capability,
                f"Live {trend.metric} decayed {abs(trend.change):.0%} from baseline "
                f"({trend.baseline:.3g} -> {trend.latest:.3g}); consider retraining",
            )
    return {"measured": measured, "drifted": drifted, "decayed": decayed}


def alerts_open(*, limit: int = 20) -> list[Alert]:
    return list(Alert.objects.filter(resolved_at__isnull=True).order_by("-created_at")[:limit])


def alerts_resolve(*, alert_ids: Iterable[int]) -> int:
    return Alert.objects.filter(pk__in=list(alert_ids), resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


@shared_task(acks_late=True)
def monitoring_check_task() -> dict[str, Any]:
    return monitoring_run()
