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
    gate = models.JSONField(
        default=dict,
        blank=True,
        help_text="The activation gate's verdict: passed, code, reason, metric vs baseline.",
    )

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
    task_id = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Celery task id: a task redelivered after a lost worker resumes this run.",
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker started this run (more than 1 after a lost worker)."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["capability", "task_id"],
                condition=~models.Q(task_id=""),
                name="one_training_run_per_task",
            )
        ]


class Alert(models.Model):
    """Something a merchant should look at: a corrupt artifact, drift, metric decay."""

    class Level(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    capability = models.CharField(max_length=40, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.WARNING)
    message = models.CharField(max_length=500)
    key = models.CharField(
        max_length=80,
        blank=True,
        help_text="What the alert is about (e.g. gate:below_chance): a repeat while it is open "
        "updates this alert instead of adding one.",
    )
    count = models.PositiveIntegerField(default=1, help_text="Times raised while open.")
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["capability", "key"],
                condition=Q(resolved_at__isnull=True) & ~Q(key=""),
                name="alert_one_open_per_key",
            )
        ]


class FeatureSnapshot(models.Model):
    """A histogram of one model input, recorded by a capability for drift monitoring.

    ``reference`` snapshots are taken on the training data when a version is trained; ``live``
    snapshots on recent inputs. PSI compares the newest live one with the newest reference.
    Histograms only: no raw values, no personal data.
    """

    class Kind(models.TextChoices):
        REFERENCE = "reference"
        LIVE = "live"

    capability = models.CharField(max_length=40)
    feature = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    histogram = models.JSONField(help_text="{counts: [...], edges: [...], labels: [...]}")
    sample_size = models.PositiveIntegerField(default=0)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["capability", "feature", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.capability}.{self.feature} ({self.kind})"


class MetricSample(models.Model):
    """A live quality measurement (rec CTR, fraud precision on reviewed orders, forecast
    error as actuals arrive), kept over time so decay shows up against the offline metric."""

    capability = models.CharField(max_length=40)
    metric = models.CharField(max_length=60)
    value = models.FloatField()
    sample_size = models.PositiveIntegerField(default=0)
    higher_is_better = models.BooleanField(default=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    measured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-measured_at", "-pk"]
        indexes = [models.Index(fields=["capability", "metric", "measured_at"])]


class Experiment(models.Model):
    """An A/B test: units (customers or sessions) are hashed into variants deterministically."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        RUNNING = "running"
        STOPPED = "stopped"

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    capability = models.CharField(max_length=40, blank=True)
    variants = models.JSONField(default=list, help_text='e.g. ["control", "treatment"]')
    weights = models.JSONField(default=list, blank=True, help_text="same length; empty = equal")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    baseline_rate = models.FloatField(default=0.05, help_text="Expected control conversion.")
    min_detectable_lift = models.FloatField(default=0.1, help_text="Relative, e.g. 0.1 = +10%.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.key


class ExperimentEvent(models.Model):
    """One exposure or conversion per unit and experiment (logged once; repeats are no-ops)."""

    class Kind(models.TextChoices):
        EXPOSURE = "exposure"
        CONVERSION = "conversion"

    experiment = models.ForeignKey(Experiment, related_name="events", on_delete=models.CASCADE)
    unit_id = models.CharField(max_length=64, help_text="customer public id or session id")
    variant = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "unit_id", "kind"], name="experimentevent_once_per_unit"
            )
        ]
        indexes = [models.Index(fields=["experiment", "kind", "variant"])]


class DailyRollup(models.Model):
    """Closed days of the store dashboard, pre-aggregated (sales, funnel steps, products,
    categories) so a year's dashboard reads a few hundred rows instead of every event."""

    metric = models.CharField(max_length=12)  # sales | funnel | product | category
    day = models.DateField()
    key = models.CharField(max_length=200, blank=True)  # step, product id, category name
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["metric", "day", "key"], name="dailyrollup_unique")
        ]
        indexes = [models.Index(fields=["metric", "day"])]


class RollupState(models.Model):
    """Which closed days ``DailyRollup`` covers (one row)."""

    first_day = models.DateField()
    through_day = models.DateField()
    refreshed_at = models.DateTimeField(default=timezone.now)
