from django.db import models
from django.utils import timezone


class CustomerScore(models.Model):
    """Latest RFM segment, churn risk and 7-day purchase propensity per customer (batch)."""

    customer = models.OneToOneField(
        "customers.Customer", related_name="insight", on_delete=models.CASCADE
    )
    segment = models.CharField(max_length=24, db_index=True)
    r_score = models.PositiveSmallIntegerField(default=0)
    f_score = models.PositiveSmallIntegerField(default=0)
    m_score = models.PositiveSmallIntegerField(default=0)
    recency_days = models.FloatField()
    frequency = models.PositiveIntegerField(default=0)
    monetary = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    churn_risk = models.FloatField(help_text="P(no order in the churn horizon), 0-1.")
    propensity_7d = models.FloatField(help_text="P(order in the next 7 days), 0-1.")
    source = models.CharField(max_length=10, default="model")  # model | fallback
    model_version = models.CharField(max_length=40, blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-churn_risk", "pk"]
        indexes = [models.Index(fields=["segment", "churn_risk"])]

    def __str__(self) -> str:
        return f"Customer #{self.customer_id}: {self.segment}"
