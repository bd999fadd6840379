from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class RiskSettings(models.Model):
    """The merchant's risk thresholds (one row). Scores are calibrated fraud probabilities."""

    # Defaults: review from a 5% fraud probability (a review costs far less than 5% of a
    # chargeback), decline only when fraud is more likely than not.
    elevated_threshold = models.FloatField(
        default=0.05,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Score from which an order is 'elevated' risk and held for review.",
    )
    highest_threshold = models.FloatField(
        default=0.50,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Score from which an order is 'highest' risk.",
    )
    decline_highest = models.BooleanField(
        default=True, help_text="Decline highest-risk orders (otherwise hold them for review)."
    )
    review_elevated = models.BooleanField(
        default=True, help_text="Hold elevated-risk orders for review (otherwise approve them)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(elevated_threshold__lte=models.F("highest_threshold")),
                name="fraud_thresholds_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"elevated >= {self.elevated_threshold:.2f}, highest >= {self.highest_threshold:.2f}"

    def clean(self) -> None:
        if self.elevated_threshold > self.highest_threshold:
            raise ValidationError(
                {"elevated_threshold": "must not be above the highest-risk threshold"}
            )


class RiskRule(models.Model):
    """A merchant rule, e.g. `amount > 1000 and ip_country != billing_country` -> review.

    Allow rules are checked first, then block, then review (like Stripe Radar); within an
    action, by `position`. The expression is parsed by `fraud.rules`, never evaluated as code.
    """

    class Action(models.TextChoices):
        ALLOW = "allow"
        BLOCK = "block"
        REVIEW = "review"

    name = models.CharField(max_length=80)
    expression = models.TextField(
        help_text="A condition over checkout fields, e.g. amount > 1000 and "
        "ip_country != billing_country. Fields: see the list below the form."
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.name}"

    def clean(self) -> None:
        from fraud.rules import RuleSyntaxError
        from fraud.selectors import rule_compile_checked

        try:
            rule_compile_checked(self.expression)
        except RuleSyntaxError as exc:
            raise ValidationError({"expression": str(exc)}) from None


class RiskAssessment(models.Model):
    """The decision taken at checkout, stored in the same transaction as the order."""

    class Level(models.TextChoices):
        NORMAL = "normal"
        ELEVATED = "elevated"
        HIGHEST = "highest"

    class Action(models.TextChoices):
        APPROVE = "approve"
        REVIEW = "review"
        DECLINE = "decline"

    class Source(models.TextChoices):
        MODEL = "model"
        RULES_ONLY = "rules_only", "rules only (no model)"

    class Outcome(models.TextChoices):
        PENDING = "", "not reviewed"
        GENUINE = "genuine", "approved by reviewer"
        FRAUD = "fraud", "cancelled as fraud by reviewer"

    order = models.OneToOneField(
        "orders.Order", related_name="risk_assessment", on_delete=models.CASCADE
    )
    score = models.FloatField(
        null=True, blank=True, help_text="Fraud probability; empty without a model."
    )
    level = models.CharField(max_length=8, choices=Level.choices)
    action = models.CharField(max_length=8, choices=Action.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    model_version = models.CharField(max_length=40, blank=True)
    rules_triggered = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=dict, blank=True)
    latency_ms = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    review_outcome = models.CharField(
        max_length=8, choices=Outcome.choices, default=Outcome.PENDING, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["action", "review_outcome", "score"]),
            models.Index(fields=["review_outcome", "reviewed_at"]),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id}: {self.action} ({self.level})"


class ReviewQueueItem(RiskAssessment):
    """Admin view of the orders waiting for a reviewer."""

    class Meta:
        proxy = True
        # the admin says "Orders awaiting review" on the index and "3 orders awaiting
        # review" under the list; "review queue" as a plural read "0 review queue"
        verbose_name = "order awaiting review"
        verbose_name_plural = "orders awaiting review"


class RiskList(models.Model):
    """A block or allow list of e-mails, domains, cards, IPs, countries or customers.

    Block and allow lists act at checkout without a rule (block beats allow); any list can
    also be used in a rule as `field in @alias`. Values are personal data: never logged.
    """

    class ItemType(models.TextChoices):
        EMAIL = "email", "e-mail address"
        EMAIL_DOMAIN = "email_domain", "e-mail domain"
        CARD_FINGERPRINT = "card_fingerprint", "card fingerprint"
        IP_ADDRESS = "ip_address", "IP address"
        COUNTRY = "country", "country (ISO code)"
        CUSTOMER_ID = "customer_id", "customer id"

    class Kind(models.TextChoices):
        BLOCK = "block", "block list (declines at checkout)"
        ALLOW = "allow", "allow list (skips review)"
        CUSTOM = "custom", "custom (used in rules only)"

    name = models.CharField(max_length=80)
    alias = models.CharField(
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]{0,39}$",
                "lower-case letters, digits and _, starting with a letter",
            )
        ],
        help_text="The name rules use after @, e.g. blocked_emails in: email in @blocked_emails",
    )
    item_type = models.CharField(max_length=20, choices=ItemType.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CUSTOM)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["alias"]
        verbose_name = "block or allow list"
        verbose_name_plural = "block and allow lists"

    def __str__(self) -> str:
        return f"{self.name} (@{self.alias})"

    def clean(self) -> None:
        if self.item_type == self.ItemType.COUNTRY and self.kind != self.Kind.CUSTOM:
            raise ValidationError(
                {
                    "kind": "a country list acts only through a rule saying which country, "
                    "e.g. ip_country in @" + (self.alias or "alias") + ": choose custom"
                }
            )


class RiskListItem(models.Model):
    """One value on a list, normalised (see `fraud.lists.value_normalise`)."""

    risk_list = models.ForeignKey(RiskList, related_name="items", on_delete=models.CASCADE)
    value = models.CharField(max_length=255)
    reason = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty to keep the value on the list for good."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "list item"
        constraints = [
            models.UniqueConstraint(fields=["risk_list", "value"], name="fraud_list_value_unique")
        ]
        indexes = [models.Index(fields=["value"])]  # checkout looks values up across lists

    def __str__(self) -> str:
        # not the value: __str__ ends up in admin history and log lines, values are personal
        return f"@{self.risk_list.alias} item #{self.pk}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
