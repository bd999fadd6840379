"""Returns (RMA): a shopper asks to send back units of a shipped order's lines; the merchant
approves or rejects, receives the parcel (restocking what can be sold again) and refunds."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_WINDOW_DAYS = 30
DEFAULT_INSTRUCTIONS = (
    "Pack the items securely, with your return number written on a note inside the parcel, "
    "and post it to our returns address within 14 days. Keep your proof of postage."
)


class ReturnSettings(models.Model):
    """The merchant's return policy (one row; without one, the defaults apply)."""

    window_days = models.PositiveSmallIntegerField(
        default=DEFAULT_WINDOW_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text="Days after shipping in which shoppers can ask to return items (0: no returns)",
    )
    instructions = models.TextField(
        default=DEFAULT_INSTRUCTIONS,
        help_text="How to send the parcel back (address, packing): e-mailed with each request",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "return settings"

    def __str__(self) -> str:
        return f"returns within {self.window_days} days of shipping"


class ReturnRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"
        REJECTED = "rejected"
        RECEIVED = "received"
        REFUNDED = "refunded"

    number = models.CharField(max_length=30, unique=True)
    order = models.ForeignKey("orders.Order", related_name="returns", on_delete=models.CASCADE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    # the merchant's note on approval or rejection; e-mailed to the shopper
    merchant_note = models.CharField(max_length=500, blank=True)
    include_shipping = models.BooleanField(
        default=False, help_text="The refund paid the order's delivery back too"
    )
    # the one refund this return made: a second refund of the same return is impossible
    refund = models.OneToOneField(
        "orders.Refund", null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gt=0),
                name="returnrequest_refund_amount_positive",
            )
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    class Reason(models.TextChoices):
        WRONG_SIZE = "wrong_size", "Wrong size"
        DAMAGED = "damaged", "Damaged or faulty"
        NOT_AS_DESCRIBED = "not_as_described", "Not as described"
        CHANGED_MIND = "changed_mind", "Changed my mind"
        OTHER = "other", "Other"

    return_request = models.ForeignKey(
        ReturnRequest, related_name="lines", on_delete=models.CASCADE
    )
    order_line = models.ForeignKey("orders.OrderLine", related_name="+", on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # the shopper's words: personal data (exported and erased with the customer)
    comment = models.TextField(max_length=1000, blank=True)
    restocked = models.BooleanField(default=False, help_text="Put back on sale when received")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="returnline_unique_order_line"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="returnline_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line_id}"
