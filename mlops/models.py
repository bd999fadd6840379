from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate"
        ACTIVE = "active"
        RETIRED = "retired"

    capability = models.CharField(max_length=40, db_index=True)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    artifact = models.FileField(upload_to="ml-artifacts/", max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    primary_metric = models.CharField(max_length=60, blank=True)
    higher_is_better = models.BooleanField(default=True)
    train_window_start = models.DateTimeField(null=True, blank=True)
    train_window_end = models.DateTimeField(null=True, blank=True)
    data_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version that was active before this one (for rollback).",
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["capability", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["capability", "version"], name="modelversion_unique_version"
            ),
            models.UniqueConstraint(
                fields=["capability"],
                condition=Q(status="active"),
                name="modelversion_one_active_per_capability",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability} v{self.version} ({self.status})"

    @property
    def primary_value(self) -> float | None:
        value = self.metrics.get(self.primary_metric) if self.primary_metric else None
        return float(value) if isinstance(value, int | float) else None


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    capability = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    message = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class Alert(models.Model):
    """Something a merchant should look at: a corrupt artifact, drift, metric decay."""

    class Level(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    capability = models.CharField(max_length=40, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.WARNING)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
