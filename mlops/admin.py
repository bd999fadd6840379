"""Merchant views for the model registry, plus the store dashboard and model operations.

Pages (staff only, registered through ``ModelVersionAdmin.get_urls``):
``/admin/mlops/modelversion/dashboard/``   store dashboard (sales, funnel, top sellers, ML panels)
``/admin/mlops/modelversion/ops/``         model operations per capability (+ ``ops/<cap>/``)
``/admin/mlops/modelversion/monitoring/``  drift (PSI), live metric decay, alerts
``/admin/mlops/modelversion/experiments/`` A/B experiments with lift and guidance
"""

from __future__ import annotations

import csv
import logging
import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from mlops import dashboard, experiments, monitoring, services
from mlops.models import (
    Alert,
    Experiment,
    FeatureSnapshot,
    MetricSample,
    ModelVersion,
    TrainingRun,
)
from storefront.admin_audit import AuditedActionsMixin
from storefront.api_errors import ServiceError

_PLOTLY_JS: str | None = None
logger = logging.getLogger(__name__)


def plotly_js(request: HttpRequest) -> HttpResponse:
    """plotly.js from the installed plotly wheel (no CDN, nothing copied into the repo)."""
    global _PLOTLY_JS
    if _PLOTLY_JS is None:
        from plotly.offline import get_plotlyjs

        _PLOTLY_JS = get_plotlyjs()
    response = HttpResponse(_PLOTLY_JS, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def csv_response(table: dashboard.Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(row)
    return response


def _rollups_refresh_if_stale(data: dashboard.Dashboard) -> None:
    """Closed days missing from the rollups: refresh them in the background (a worker, or a
    thread in the brokerless demo), once a day. Beat also runs it every 15 minutes."""
    yesterday = timezone.localdate() - timedelta(days=1)
    if data.rollups_through is not None and data.rollups_through >= yesterday:
        return
    try:
        dashboard.dashboard_rollups_refresh_request()
    except Exception:  # broker or cache down: the page still works on live queries
        logger.exception("could not queue the dashboard rollup refresh")


def _fmt_change(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.1%}"


def _fmt_float(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}"


def schedule_text(schedule: Any) -> str:
    """A beat schedule in a merchant's words ("daily at 02:30 (Europe/London)"), not the
    crontab repr ("<crontab: 30 2 * * * (m/h/dM/MY/d)>")."""
    fields = [
        getattr(schedule, f"_orig_{name}", None)
        for name in ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
    ]
    if any(field is None for field in fields):
        return str(schedule)
    minute, hour, *rest = (str(field) for field in fields)
    zone = f" ({settings.CELERY_TIMEZONE})"
    if all(field == "*" for field in rest):
        if minute.isdigit() and hour.isdigit():
            return f"daily at {int(hour):02d}:{int(minute):02d}{zone}"
        if minute.isdigit() and hour == "*":
            return f"hourly at :{int(minute):02d}"
        if minute == "*" and hour == "*":
            return "every minute"
        if minute.startswith("*/") and minute[2:].isdigit() and hour == "*":
            return f"every {int(minute[2:])} minutes"
    return f"cron {minute} {hour} {' '.join(rest)}{zone}"


# beat entries in a merchant's words; the task's dotted name is only the row's tooltip
BEAT_LABELS = {
    "recommendations-train": "Retrain recommendations",
    "forecasts-refresh": "Refresh stock forecasts",
    "price-proposals": "Propose price changes",
    "fraud-model-train": "Retrain fraud screening",
    "support-model-train": "Retrain support ticket routing",
    "support-sla-alerts": "Alert agents on support tickets breaching their SLA",
    "insights-train": "Retrain customer insights",
    "dashboard-rollups": "Update dashboard figures",
    "mlops-monitoring": "Check models for drift and decay",
    "cart-reservations-expire": "Release stock held by abandoned carts",
    "webhook-deliveries-retry": "Resend webhook deliveries that are due a retry",
    "webhook-deliveries-prune": "Delete old webhook deliveries (delivered 30 days, failed 90)",
}


def beat_label(name: str) -> str:
    """A beat entry's merchant label; an entry added without one reads as plain words."""
    return BEAT_LABELS.get(name) or name.replace("-", " ").replace("_", " ").capitalize()


@admin.register(ModelVersion)
class ModelVersionAdmin(AuditedActionsMixin):
    list_display = [
        "capability",
        "version",
        "status",
        "primary_metric",
        "primary_value",
        "created_at",
        "activated_at",
    ]
    list_filter = ["capability", "status"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["activate", "force_activate", "rollback"]

    @admin.action(description="Activate if better than the active version")
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for version in queryset:
            result = services.model_version_activate(version_id=version.pk, user_id=request.user.pk)
            self.message_user(request, f"{version}: {result.reason}")

    @admin.action(description="Force activate")
    def force_activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for version in queryset:
            result = services.model_version_activate(
                version_id=version.pk, force=True, user_id=request.user.pk
            )
            self.message_user(request, f"{version}: {result.reason}")

    @admin.action(description="Roll back this capability to the previous version")
    def rollback(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for capability in sorted({v.capability for v in queryset}):
            try:
                restored = services.model_version_rollback(
                    capability=capability, user_id=request.user.pk
                )
                self.message_user(request, f"{capability}: v{restored.version} is active again")
            except ServiceError as exc:
                self.message_user(request, exc.message, messages.WARNING)

    # merchant pages

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        pages = [
            path("dashboard/", wrap(self.dashboard_view), name="mlstore_dashboard"),
            path(
                "dashboard/export/<str:table>.csv",
                wrap(self.dashboard_export_view),
                name="mlstore_dashboard_export",
            ),
            path("plotly.js", wrap(plotly_js), name="mlstore_plotly_js"),
            path("ops/", wrap(self.ops_view), name="mlstore_ops"),
            path(
                "ops/<str:capability>/",
                wrap(self.ops_capability_view),
                name="mlstore_ops_capability",
            ),
            path(
                "ops/<str:capability>/retrain/",
                wrap(require_POST(self.retrain_view)),
                name="mlstore_ops_retrain",
            ),
            path(
                "ops/<str:capability>/rollback/",
                wrap(require_POST(self.rollback_view)),
                name="mlstore_ops_rollback",
            ),
            path(
                "ops/version/<int:version_id>/activate/",
                wrap(require_POST(self.activate_view)),
                name="mlstore_ops_activate",
            ),
            path("monitoring/", wrap(self.monitoring_view), name="mlstore_monitoring"),
            path(
                "monitoring/run/",
                wrap(require_POST(self.monitoring_run_view)),
                name="mlstore_monitoring_run",
            ),
            path("experiments/", wrap(self.experiments_view), name="mlstore_experiments"),
            path(
                "experiments/<slug:key>/export.csv",
                wrap(self.experiment_export_view),
                name="mlstore_experiment_export",
            ),
        ]
        return pages + super().get_urls()

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "title": title, **extra}

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        data = dashboard.dashboard_get(period_key=request.GET.get("period"))
        _rollups_refresh_if_stale(data)
        specs = dashboard.chart_specs(data)
        charts = [
            {"key": key, "table": table, "spec": specs[key]} for key, table in data.tables.items()
        ]
        context = self._context(
            request,
            "Store dashboard",
            data=data,
            charts=charts,
            periods=[(k, f"Last {v} days") for k, v in dashboard.PERIODS.items()],
            revenue_change=_fmt_change(data.revenue_change),
            orders_change=_fmt_change(data.orders_change),
            conversion=_fmt_change(data.conversion_rate).lstrip("+")
            if data.conversion_rate is not None
            else "n/a",
            alerts=monitoring.alerts_open(limit=10),
        )
        return TemplateResponse(request, "admin/mlstore/dashboard.html", context)

    def dashboard_export_view(self, request: HttpRequest, table: str) -> HttpResponse:
        data = dashboard.dashboard_get(period_key=request.GET.get("period"), with_panels=False)
        if table not in data.tables:
            raise Http404("no such report")
        return csv_response(data.tables[table], f"{table}-{data.period.key}d")

    def ops_view(self, request: HttpRequest) -> HttpResponse:
        context = self._context(
            request,
            "Model operations",
            states=dashboard.capability_states(),
            beat=sorted(
                (beat_label(name), entry["task"], schedule_text(entry["schedule"]))
                for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
            ),
        )
        return TemplateResponse(request, "admin/mlstore/ops.html", context)

    def ops_capability_view(self, request: HttpRequest, capability: str) -> HttpResponse:
        if capability not in dashboard.capabilities():
            raise Http404("unknown capability")
        versions = dashboard.capability_versions(capability=capability)
        spec, table = dashboard.metrics_history_spec(versions)
        runs = dashboard.capability_runs(capability=capability)
        if request.GET.get("export") == "metrics":
            return csv_response(table, f"{capability}-metrics")
        context = self._context(
            request,
            f"Model operations: {capability}",
            capability=capability,
            trainable=capability in settings.ML_CAPABILITIES,
            versions=versions,
            refused=dashboard.version_refused(versions[0] if versions else None),
            runs=runs,
            pending=[r for r in runs if r.status in ("queued", "running")],
            chart={"key": "metrics", "table": table, "spec": spec},
            drift=monitoring.drift_report(capability=capability),
            trends=monitoring.metric_trends(capability=capability),
            alerts=[a for a in monitoring.alerts_open(limit=50) if a.capability == capability],
        )
        return TemplateResponse(request, "admin/mlstore/ops_capability.html", context)

    def _back(self, capability: str) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:mlstore_ops_capability", args=[capability]))

    def retrain_view(self, request: HttpRequest, capability: str) -> HttpResponse:
        try:
            run = dashboard.training_run_request(
                capability=capability,
                user_id=request.user.pk,
                force=request.POST.get("force") == "1",
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return self._back(capability)
        run.refresh_from_db()
        self.message_user(request, f"Training run #{run.pk} for {capability}: {run.status}")
        return self._back(capability)

    def rollback_view(self, request: HttpRequest, capability: str) -> HttpResponse:
        try:
            restored = services.model_version_rollback(
                capability=capability, user_id=request.user.pk
            )
            self.message_user(request, f"{capability}: v{restored.version} is active again")
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.WARNING)
        return self._back(capability)

    def activate_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise Http404("no such version")
        result = services.model_version_activate(
            version_id=version.pk, force=request.POST.get("force") == "1", user_id=request.user.pk
        )
        level = messages.SUCCESS if result.activated else messages.WARNING
        self.message_user(
            request, f"{version.capability} v{version.version}: {result.reason}", level
        )
        return self._back(version.capability)

    def monitoring_view(self, request: HttpRequest) -> HttpResponse:
        drift = monitoring.drift_report()
        trends = monitoring.metric_trends()
        trend_specs = [
            {
                "key": f"trend-{i}",
                "trend": t,
                "spec": {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": t.metric,
                            "x": [timezone.localtime(p[0]).isoformat() for p in t.points],
                            "y": [p[1] for p in t.points],
                        }
                    ],
                    "layout": {"height": 220, "margin": {"l": 50, "r": 20, "t": 20, "b": 40}},
                },
                "table": dashboard.Table(
                    f"trend-{i}",
                    f"{t.capability} {t.metric}",
                    ["measured_at", t.metric],
                    [[timezone.localtime(p[0]).strftime("%Y-%m-%d %H:%M"), p[1]] for p in t.points],
                ),
                "change": _fmt_change(t.change),
            }
            for i, t in enumerate(trends)
        ]
        drift_rows = [
            {
                "d": d,
                "psi": _fmt_float(d.psi),
                "table": dashboard.Table(
                    f"drift-{i}",
                    f"{d.capability}.{d.feature}",
                    ["bin", "reference_share", "live_share"],
                    [
                        [b, f"{r:.3f}", f"{lv:.3f}"]
                        for b, r, lv in zip(d.bins, d.reference_shares, d.live_shares, strict=False)
                    ],
                ),
            }
            for i, d in enumerate(drift)
        ]
        context = self._context(
            request,
            "Model monitoring",
            drift_rows=drift_rows,
            trend_specs=trend_specs,
            alerts=monitoring.alerts_open(limit=50),
        )
        return TemplateResponse(request, "admin/mlstore/monitoring.html", context)

    def monitoring_run_view(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("resolve"):
            monitoring.alerts_resolve(alert_ids=[int(request.POST["resolve"])])
            self.message_user(request, "Alert resolved")
        else:
            summary = monitoring.monitoring_run()
            self.message_user(
                request,
                f"Monitoring: measured {len(summary['measured'])} live metrics, "
                f"{len(summary['drifted'])} drifted features, {len(summary['decayed'])} decayed",
            )
        return HttpResponseRedirect(reverse("admin:mlstore_monitoring"))

    def experiments_view(self, request: HttpRequest) -> HttpResponse:
        results = []
        for exp in experiments.experiments_list():
            res = experiments.experiment_results(exp.key)
            if res is None:
                continue
            rows = [
                {
                    "v": v,
                    "rate": _fmt_float(v.rate, 4),
                    "ci": f"{_fmt_float(v.rate_ci[0], 4)} to {_fmt_float(v.rate_ci[1], 4)}",
                    "lift": _fmt_change(v.lift) if v.lift is not None else "(control)",
                    "lift_ci": (
                        f"{_fmt_change(v.lift_ci[0])} to {_fmt_change(v.lift_ci[1])}"
                        if v.lift_ci
                        else ""
                    ),
                    "p": _fmt_float(v.p_value) if v.p_value is not None else "",
                }
                for v in res.variants
            ]
            results.append({"exp": exp, "res": res, "rows": rows})
        context = self._context(request, "A/B experiments", results=results)
        return TemplateResponse(request, "admin/mlstore/experiments.html", context)

    def experiment_export_view(self, request: HttpRequest, key: str) -> HttpResponse:
        res = experiments.experiment_results(key)
        if res is None:
            raise Http404("no such experiment")
        table = dashboard.Table(
            key,
            res.name,
            [
                "variant",
                "exposures",
                "conversions",
                "rate",
                "rate_ci_low",
                "rate_ci_high",
                "lift",
                "lift_ci_low",
                "lift_ci_high",
                "p_value",
            ],
            [
                [
                    v.variant,
                    v.exposures,
                    v.conversions,
                    v.rate,
                    v.rate_ci[0],
                    v.rate_ci[1],
                    "" if v.lift is None else v.lift,
                    "" if v.lift_ci is None else v.lift_ci[0],
                    "" if v.lift_ci is None else v.lift_ci[1],
                    "" if v.p_value is None else v.p_value,
                ]
                for v in res.variants
            ],
        )
        return csv_response(table, f"experiment-{key}")


@admin.register(TrainingRun)
class TrainingRunAdmin(AuditedActionsMixin):
    list_display = [
        "capability",
        "status",
        "progress",
        "attempts",
        "created_at",
        "finished_at",
        "model_version",
    ]
    list_filter = ["capability", "status"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]


@admin.register(Alert)
class AlertAdmin(AuditedActionsMixin):
    list_display = [
        "created_at",
        "capability",
        "level",
        "message",
        "count",
        "last_seen_at",
        "resolved_at",
    ]
    list_filter = ["level", "capability"]
    actions = ["resolve"]

    @admin.action(description="Mark resolved")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        n = monitoring.alerts_resolve(alert_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{n} alert(s) resolved")


@admin.register(FeatureSnapshot)
class FeatureSnapshotAdmin(AuditedActionsMixin):
    list_display = ["created_at", "capability", "feature", "kind", "sample_size"]
    list_filter = ["capability", "kind"]
    readonly_fields = [f.name for f in FeatureSnapshot._meta.fields]


@admin.register(MetricSample)
class MetricSampleAdmin(AuditedActionsMixin):
    list_display = ["measured_at", "capability", "metric", "value", "sample_size"]
    list_filter = ["capability", "metric"]


@admin.register(Experiment)
class ExperimentAdmin(AuditedActionsMixin):
    list_display = ["key", "name", "capability", "status", "started_at", "stopped_at"]
    list_filter = ["status", "capability"]
    prepopulated_fields = {"key": ("name",)}

    def save_model(self, request: HttpRequest, obj: Experiment, form: Any, change: bool) -> None:
        if obj.status == Experiment.Status.RUNNING and obj.started_at is None:
            obj.started_at = timezone.now()
        if obj.status == Experiment.Status.STOPPED and obj.stopped_at is None:
            obj.stopped_at = timezone.now()
        super().save_model(request, obj, form, change)
