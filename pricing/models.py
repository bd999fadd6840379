from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
PCT: dict[str, Any] = {"max_digits": 6, "decimal_places": 2}


class Objective(models.TextChoices):
    PROFIT = "profit"
    REVENUE = "revenue"
    SELL_THROUGH = "sell_through", "sell-through by a date"


class PricingPolicy(models.Model):
    """Guardrails and objective: one global row (category empty) and optional per-category rows
    whose non-empty fields override the global ones."""

    category = models.OneToOneField(
        "catalog.Category",
        null=True,
        blank=True,
        related_name="pricing_policy",
        on_delete=models.CASCADE,
        help_text="Empty = the store-wide default.",
    )
    enabled = models.BooleanField(null=True, blank=True, help_text="Propose prices at all.")
    objective = models.CharField(max_length=20, choices=Objective.choices, blank=True)
    sell_through_by = models.DateField(
        null=True, blank=True, help_text="Sell-through objective: sell the stock by this date."
    )
    min_margin_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="15 = price at least cost x 1.15.",
    )
    max_change_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Largest change per pricing cycle, in % of the current price.",
    )
    max_discount_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Largest discount from the list price.",
    )
    max_changes_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    competitor_cap_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        help_text="Never above the lowest competitor price + this %. Empty = ignore competitors.",
    )
    auto_approve_below_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Apply changes smaller than this % without review. Empty = always review.",
    )
    min_change_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Do not propose changes smaller than this %.",
    )
    horizon_days = models.PositiveSmallIntegerField(null=True, blank=True)
    explore_pct = models.DecimalField(
        **PCT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("30"))],
        help_text="Price experiment: products without usable price history get test prices "
        "this % above (even weeks) or below (odd weeks) the current price, within the "
        "guardrails, so their elasticity can be learned. Empty = no experiments.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "pricing policies"
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=Q(category__isnull=True), name="one_global_policy"
            ),
        ]

    def __str__(self) -> str:
        return f"Pricing policy: {self.category or 'store default'}"


class PriceBound(models.Model):
    """Per-product floor and ceiling (e.g. a brand's minimum advertised price)."""

    product = models.OneToOneField(
        "catalog.Product", related_name="price_bound", on_delete=models.CASCADE
    )
    floor_price = models.DecimalField(**MONEY, null=True, blank=True)
    ceiling_price = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_price__isnull=True)
                | Q(ceiling_price__isnull=True)
                | Q(floor_price__lte=models.F("ceiling_price")),
                name="price_bound_floor_le_ceiling",
            ),
        ]


class CompetitorPrice(models.Model):
    product = models.ForeignKey(
        "catalog.Product", related_name="competitor_prices", on_delete=models.CASCADE
    )
    competitor = models.CharField(max_length=80)
    price = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    observed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, default="api")  # api, csv
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_at", "-pk"]
        indexes = [models.Index(fields=["product", "observed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="competitor_price_positive"),
        ]


class ElasticityEstimate(models.Model):
    """The active model's estimate per product (batch output of training)."""

    product = models.OneToOneField(
        "catalog.Product", related_name="elasticity_estimate", on_delete=models.CASCADE
    )
    elasticity = models.FloatField()
    elasticity_low = models.FloatField(help_text="95% interval, lower end")
    elasticity_high = models.FloatField(help_text="95% interval, upper end")
    own_estimate = models.FloatField(null=True, blank=True, help_text="Before shrinkage.")
    pooled = models.BooleanField(help_text="No usable price variation: category estimate.")
    source = models.CharField(max_length=40)
    n_days = models.PositiveIntegerField(default=0)
    n_stockout_days = models.PositiveIntegerField(default=0)
    base_daily_units = models.FloatField(null=True, blank=True, help_text="At the current price.")
    model_version = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id"]


class PriceProposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        REJECTED = "rejected"
        SUPERSEDED = "superseded"

    product = models.ForeignKey(
        "catalog.Product", related_name="price_proposals", on_delete=models.CASCADE
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    objective = models.CharField(max_length=20, choices=Objective.choices)
    current_price = models.DecimalField(**MONEY)
    proposed_price = models.DecimalField(**MONEY)
    cost = models.DecimalField(**MONEY)
    allowed_min = models.DecimalField(**MONEY)
    allowed_max = models.DecimalField(**MONEY, null=True, blank=True)
    elasticity = models.FloatField()
    elasticity_low = models.FloatField()
    elasticity_high = models.FloatField()
    pooled = models.BooleanField(default=False)
    units_current = models.FloatField(help_text="Expected units per day at the current price.")
    units_new = models.FloatField(help_text="Expected units per day at the proposed price.")
    revenue_current = models.DecimalField(**MONEY)
    revenue_new = models.DecimalField(**MONEY)
    profit_current = models.DecimalField(**MONEY)
    profit_new = models.DecimalField(**MONEY)
    bound_by = models.CharField(max_length=200, blank=True, help_text="Guardrails at their limit.")
    conflicts = models.CharField(
        max_length=200, blank=True, help_text="Guardrails dropped because they contradicted others."
    )
    model_version = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    auto_applied = models.BooleanField(default=False)
    is_experiment = models.BooleanField(
        default=False, help_text="A test price to learn the elasticity, not the model's optimum."
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=Q(status="pending"), name="one_pending_proposal"
            ),
            models.CheckConstraint(
                condition=Q(proposed_price__gt=0), name="proposal_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product_id}: {self.current_price} -> {self.proposed_price}"

    @property
    def change_pct(self) -> Decimal:
        """Proposed vs current price in percent, to 0.1 (a price ratio carries ~28 digits)."""
        change = (self.proposed_price / self.current_price - 1) * 100
        return change.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
