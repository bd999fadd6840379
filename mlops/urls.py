from django.urls import path

from mlops import api

urlpatterns = [
    path("mlops/dashboard/", api.DashboardGetApi.as_view(), name="mlops-dashboard"),
    path("mlops/capabilities/", api.CapabilityListApi.as_view(), name="mlops-capabilities"),
    path(
        "mlops/capabilities/<str:capability>/versions/",
        api.CapabilityVersionListApi.as_view(),
        name="mlops-capability-versions",
    ),
    path(
        "mlops/capabilities/<str:capability>/retrain/",
        api.CapabilityRetrainApi.as_view(),
        name="mlops-capability-retrain",
    ),
    path(
        "mlops/capabilities/<str:capability>/rollback/",
        api.CapabilityRollbackApi.as_view(),
        name="mlops-capability-rollback",
    ),
    path("mlops/training-runs/<int:run_id>/", api.TrainingRunGetApi.as_view(), name="mlops-run"),
    path(
        "mlops/versions/<int:version_id>/activate/",
        api.ModelVersionActivateApi.as_view(),
        name="mlops-version-activate",
    ),
    path("mlops/drift/", api.DriftListApi.as_view(), name="mlops-drift"),
    path(
        "mlops/feature-snapshots/",
        api.FeatureSnapshotCreateApi.as_view(),
        name="mlops-feature-snapshots",
    ),
    path("mlops/metrics/", api.MetricTrendListApi.as_view(), name="mlops-metrics"),
    path("mlops/alerts/", api.AlertListApi.as_view(), name="mlops-alerts"),
    path(
        "mlops/experiments/<slug:key>/results/",
        api.ExperimentResultsApi.as_view(),
        name="mlops-experiment-results",
    ),
]
