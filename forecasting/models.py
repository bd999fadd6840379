"""Forecasts, reorder suggestions and backtest accuracy written by the nightly batch."""

from django.db import models
from django.utils import timezone


class Forecast(models.Model):
    """Demand for one product on one day (units), with 80 % and 95 % intervals."""

    product = models.ForeignKey(
        "catalog.Product", related_name="forecasts", on_delete=models.CASCADE
    )
    date = models.DateField()
    step = models.PositiveSmallIntegerField(help_text="days after the last day of history")
    forecast = models.FloatField(help_text="point forecast, units (median: what MASE/WAPE score)")
    expected = models.FloatField(help_text="expected units (mean: what stock planning uses)")
    lo80 = models.FloatField()
    hi80 = models.FloatField()
    lo95 = models.FloatField()
    hi95 = models.FloatField()
    method = models.CharField(max_length=20, help_text="global, seasonal_naive, ets, ...")
    model_version = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["product", "date"], name="forecast_product_date_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.date}: {self.forecast:.1f}"


class ReorderSuggestion(models.Model):
    """What to order for a product now, from its forecast and its supplier's lead time."""

    product = models.OneToOneField(
        "catalog.Product", related_name="reorder_suggestion", on_delete=models.CASCADE
    )
    on_hand = models.IntegerField(help_text="available units (on hand minus reserved)")
    incoming = models.IntegerField(
        default=0, help_text="units on open purchase orders, counted with on hand"
    )
    lead_time_days = models.PositiveIntegerField()
    service_level = models.FloatField()
    lead_time_demand = models.FloatField(help_text="units expected to sell during the lead time")
    safety_stock = models.FloatField()
    reorder_point = models.FloatField()
    order_quantity = models.PositiveIntegerField()
    stockout_risk = models.FloatField(help_text="P(lead-time demand exceeds stock), 0..1")
    projected_stockout_date = models.DateField(null=True, blank=True)
    model_version = models.CharField(max_length=40)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-stockout_risk", "projected_stockout_date", "product_id"]
        indexes = [models.Index(fields=["-stockout_risk"])]

    def __str__(self) -> str:
        return f"{self.product_id}: order {self.order_quantity}"


class ForecastAccuracy(models.Model):
    """One backtest: the model trained before ``cutoff`` scored on the following days."""

    cutoff = models.DateField(help_text="last day of history the backtest model saw")
    horizon_days = models.PositiveSmallIntegerField()
    n_series = models.PositiveIntegerField()
    mase = models.FloatField(null=True)
    wape = models.FloatField(null=True)
    coverage80 = models.FloatField(null=True)
    coverage95 = models.FloatField(null=True)
    baseline_mase = models.FloatField(null=True, help_text="seasonal naive, same split")
    model_version = models.CharField(max_length=40, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        verbose_name_plural = "forecast accuracy"

    def __str__(self) -> str:
        mase = "-" if self.mase is None else f"{self.mase:.2f}"
        return f"backtest {self.cutoff}: MASE {mase}"
