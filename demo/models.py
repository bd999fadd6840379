"""Ground truth planted by the demo generator, and the registry of rows it created.

Nothing here is read by the ML apps' features: tests and benchmarks read it through
``demo.facade.ground_truth`` to check that the models find what was planted.
"""

from django.db import models
from django.utils import timezone


class GroundTruth(models.Model):
    """One planted fact: ``kind`` (elasticity, fraud, segment, churn, stockout, ...) and key."""

    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=64)
    value = models.JSONField(default=dict)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="groundtruth_unique_kind_key")
        ]
        verbose_name_plural = "ground truth"

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class DemoRange(models.Model):
    """A contiguous primary-key range of one table written by ``populate_demo``.

    Re-running the generator deletes exactly these rows, so data a merchant or shopper
    created by hand is never touched.
    """

    table = models.CharField(max_length=100)
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.table} {self.first_id}..{self.last_id}"


class DemoRun(models.Model):
    seed = models.IntegerField()
    scale = models.CharField(max_length=10)
    anchor = models.DateTimeField(help_text="The moment the generated history ends.")
    seconds = models.FloatField(default=0)
    counts = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"demo seed={self.seed} scale={self.scale} at {self.anchor:%Y-%m-%d %H:%M}"
