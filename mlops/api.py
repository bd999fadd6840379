"""Staff-only model operations API: dashboard figures, capabilities, retrain, runs, versions,
drift, feature snapshots, live metrics, alerts and experiment results."""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mlops import dashboard, experiments, monitoring, services
from mlops.models import FeatureSnapshot, ModelVersion, TrainingRun
from storefront.api_errors import ServiceError


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class DashboardGetApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        period = serializers.CharField()
        start = serializers.DateTimeField()
        end = serializers.DateTimeField()
        revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
        orders = serializers.IntegerField()
        aov = serializers.DecimalField(max_digits=12, decimal_places=2)
        revenue_change = serializers.FloatField(allow_null=True)
        orders_change = serializers.FloatField(allow_null=True)
        conversion_rate = serializers.FloatField(allow_null=True)
        tables = serializers.DictField()
        panels = serializers.ListField(child=serializers.DictField())

    class InputSerializer(serializers.Serializer):
        period = serializers.ChoiceField(
            choices=list(dashboard.PERIODS), default=dashboard.DEFAULT_PERIOD
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses=OutputSerializer,
        summary="Store dashboard figures for a period (days)",
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = dashboard.dashboard_get(period_key=params.validated_data["period"])
        payload: dict[str, Any] = {
            "period": data.period.key,
            "start": data.period.start,
            "end": data.period.end,
            "revenue": data.revenue,
            "orders": data.orders,
            "aov": data.aov,
            "revenue_change": data.revenue_change,
            "orders_change": data.orders_change,
            "conversion_rate": data.conversion_rate,
            "tables": {
                key: {
                    "title": t.title,
                    "columns": t.columns,
                    "rows": [[str(c) for c in r] for r in t.rows],
                }
                for key, t in data.tables.items()
            },
            "panels": [
                {
                    "app": p.app,
                    "title": p.title,
                    "available": p.available,
                    "items": {k: str(v) for k, v in p.items.items()},
                }
                for p in data.panels
            ],
        }
        return Response(self.OutputSerializer(payload).data)


class VersionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    capability = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    primary_metric = serializers.CharField()
    primary_value = serializers.FloatField(allow_null=True)
    metrics = serializers.DictField()
    train_window_start = serializers.DateTimeField(allow_null=True)
    train_window_end = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    capability = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    message = serializers.CharField()
    summary = serializers.DictField()
    model_version = serializers.IntegerField(
        source="model_version.version", allow_null=True, default=None
    )
    finished = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_finished(self, run: TrainingRun) -> bool:
        return run.status not in (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)


class CapabilityListApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        capability = serializers.CharField()
        trainable = serializers.BooleanField()
        active = VersionSerializer(allow_null=True)
        versions = serializers.IntegerField()
        last_run = RunSerializer(allow_null=True)
        open_alerts = serializers.IntegerField()

    @extend_schema(responses=OutputSerializer(many=True), summary="ML capabilities and their state")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(dashboard.capability_states(), many=True).data)


class CapabilityVersionListApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses=VersionSerializer(many=True), summary="Versions of one capability")
    def get(self, request: Request, capability: str) -> Response:
        if capability not in dashboard.capabilities():
            raise ServiceError(f"unknown capability {capability!r}", status=404, code="not_found")
        versions = dashboard.capability_versions(capability=capability)
        return Response(VersionSerializer(versions, many=True).data)


class CapabilityRetrainApi(APIView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        force = serializers.BooleanField(default=False)

    @extend_schema(
        request=InputSerializer,
        responses={202: RunSerializer},
        summary="Retrain now: queue a training run (poll it at training-runs/<id>/)",
    )
    def post(self, request: Request, capability: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = dashboard.training_run_request(
            capability=capability, user_id=request.user.pk, force=data.validated_data["force"]
        )
        run.refresh_from_db()
        return Response(RunSerializer(run).data, status=202)


class CapabilityRollbackApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        request=None,
        responses={
            200: VersionSerializer,
            400: OpenApiResponse(description="No active version, or none before it"),
        },
        summary="Re-activate the previous version",
    )
    def post(self, request: Request, capability: str) -> Response:
        restored = services.model_version_rollback(capability=capability, user_id=request.user.pk)
        return Response(VersionSerializer(restored).data)


class TrainingRunGetApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses=RunSerializer, summary="A training run's status and progress")
    def get(self, request: Request, run_id: int) -> Response:
        run = TrainingRun.objects.select_related("model_version").get(pk=run_id)
        return Response(RunSerializer(run).data)


class ModelVersionActivateApi(APIView):
    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        force = serializers.BooleanField(default=False)

    class OutputSerializer(serializers.Serializer):
        activated = serializers.BooleanField()
        reason = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, summary="Activate a version"
    )
    def post(self, request: Request, version_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ModelVersion.objects.get(pk=version_id)  # 404 for an unknown id
        result = services.model_version_activate(
            version_id=version_id, force=data.validated_data["force"], user_id=request.user.pk
        )
        return Response(self.OutputSerializer(result).data)


class DriftListApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        capability = serializers.CharField()
        feature = serializers.CharField()
        psi = serializers.SerializerMethodField()
        level = serializers.CharField()
        reference_at = serializers.DateTimeField()
        live_at = serializers.DateTimeField()
        live_size = serializers.IntegerField()

        def get_psi(self, obj: monitoring.FeatureDrift) -> float | None:
            return _finite(obj.psi)

    @extend_schema(
        parameters=[OpenApiParameter("capability", str)],
        responses=OutputSerializer(many=True),
        summary="Input drift (PSI) per feature",
    )
    def get(self, request: Request) -> Response:
        report = monitoring.drift_report(capability=request.query_params.get("capability"))
        return Response(self.OutputSerializer(report, many=True).data)


SAMPLE_SIZE_MAX = 2**31 - 1  # FeatureSnapshot.sample_size, a PositiveIntegerField


class FeatureSnapshotCreateApi(APIView):
    """For capabilities running outside this process: report a feature histogram."""

    permission_classes = [IsAdminUser]

    class InputSerializer(serializers.Serializer):
        capability = serializers.CharField(max_length=40)
        feature = serializers.CharField(max_length=80)
        kind = serializers.ChoiceField(choices=FeatureSnapshot.Kind.choices)
        counts = serializers.ListField(child=serializers.FloatField(min_value=0), min_length=1)
        edges = serializers.ListField(child=serializers.FloatField(), required=False, default=list)
        labels = serializers.ListField(child=serializers.CharField(), required=False, default=list)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            n = len(attrs["counts"])
            # the counts' sum is stored as the sample size, a 32-bit column (1e308 + 1e308 was
            # an OverflowError, a 500)
            if not sum(attrs["counts"]) <= SAMPLE_SIZE_MAX:
                raise serializers.ValidationError(
                    {"counts": [f"the counts may add up to {SAMPLE_SIZE_MAX} at most"]}
                )
            if attrs["edges"] and len(attrs["edges"]) != n + 1:
                raise serializers.ValidationError(
                    {"edges": [f"needs {n + 1} edges for {n} counts"]}
                )
            if attrs["labels"] and len(attrs["labels"]) != n:
                raise serializers.ValidationError({"labels": [f"needs {n} labels"]})
            if not attrs["edges"] and not attrs["labels"]:
                raise serializers.ValidationError({"edges": ["give edges (numeric) or labels"]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        summary="Report a feature histogram",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        snapshot_id = monitoring.feature_snapshot_record(
            capability=v["capability"],
            feature=v["feature"],
            kind=v["kind"],
            histogram={"counts": v["counts"], "edges": v["edges"], "labels": v["labels"]},
        )
        return Response({"id": snapshot_id}, status=201)


class MetricTrendListApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        capability = serializers.CharField()
        metric = serializers.CharField()
        higher_is_better = serializers.BooleanField()
        baseline = serializers.FloatField(allow_null=True)
        latest = serializers.FloatField(allow_null=True)
        change = serializers.FloatField(allow_null=True)
        decayed = serializers.BooleanField()
        samples = serializers.SerializerMethodField()

        def get_samples(self, obj: monitoring.MetricTrend) -> int:
            return len(obj.points)

    @extend_schema(responses=OutputSerializer(many=True), summary="Live metrics and decay")
    def get(self, request: Request) -> Response:
        trends = monitoring.metric_trends(capability=request.query_params.get("capability"))
        return Response(self.OutputSerializer(trends, many=True).data)


class AlertListApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField(source="pk")
        capability = serializers.CharField()
        level = serializers.CharField()
        message = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer(many=True), summary="Open alerts")
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(monitoring.alerts_open(limit=100), many=True).data)


class ExperimentVariantSerializer(serializers.Serializer):
    variant = serializers.CharField()
    exposures = serializers.IntegerField()
    conversions = serializers.IntegerField()
    rate = serializers.SerializerMethodField()
    rate_ci = serializers.SerializerMethodField()
    lift = serializers.SerializerMethodField()
    lift_ci = serializers.SerializerMethodField()
    p_value = serializers.SerializerMethodField()

    def get_rate(self, v: experiments.VariantResult) -> float | None:
        return _finite(v.rate)

    def get_rate_ci(self, v: experiments.VariantResult) -> list[float | None]:
        return [_finite(x) for x in v.rate_ci]

    def get_lift(self, v: experiments.VariantResult) -> float | None:
        return _finite(v.lift)

    def get_lift_ci(self, v: experiments.VariantResult) -> list[float | None] | None:
        return [_finite(x) for x in v.lift_ci] if v.lift_ci else None

    def get_p_value(self, v: experiments.VariantResult) -> float | None:
        return _finite(v.p_value)


class ExperimentResultsApi(APIView):
    permission_classes = [IsAdminUser]

    class OutputSerializer(serializers.Serializer):
        key = serializers.CharField()
        name = serializers.CharField()
        status = serializers.CharField()
        control = serializers.CharField()
        planned_per_arm = serializers.IntegerField()
        guidance = serializers.CharField()
        variants = ExperimentVariantSerializer(many=True)

    @extend_schema(
        responses={200: OutputSerializer, 404: OpenApiResponse(description="No such experiment")},
        summary="Experiment results with lift and CI",
    )
    def get(self, request: Request, key: str) -> Response:
        results = experiments.experiment_results(key)
        if results is None:
            raise ServiceError(f"no experiment {key!r}", status=404, code="not_found")
        return Response(self.OutputSerializer(results).data)
