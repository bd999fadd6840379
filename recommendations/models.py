from django.db import models
from django.db.models import Q
from django.utils import timezone


class Slot(models.TextChoices):
    FOR_YOU = "for_you", "For you"
    SIMILAR = "similar", "Similar products"
    BOUGHT_TOGETHER = "bought_together", "Frequently bought together"
    CART = "cart", "Cart"


class RecommendationList(models.Model):
    """A precomputed "for you" list written by the nightly batch; read in one query."""

    customer = models.ForeignKey("customers.Customer", related_name="+", on_delete=models.CASCADE)
    slot = models.CharField(max_length=20, choices=Slot.choices, default=Slot.FOR_YOU)
    # [{"product_id": 1, "score": 0.9, "source": "rebuy"}, ...] best first
    items = models.JSONField(default=list)
    model_version = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "slot"], name="reclist_unique_customer_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot} for customer #{self.customer_id}"


class MerchandisingRule(models.Model):
    """A merchant's override: pin a product to a position, or block it from a slot."""

    class Kind(models.TextChoices):
        PIN = "pin"
        BLOCK = "block"

    product = models.ForeignKey("catalog.Product", related_name="+", on_delete=models.CASCADE)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    slot = models.CharField(
        max_length=20, choices=Slot.choices, blank=True, help_text="Empty: every slot."
    )
    position = models.PositiveSmallIntegerField(
        default=1, help_text="1-based position for pins (ignored for blocks)."
    )
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(position__gte=1), name="merchrule_position_positive"
            ),
            models.UniqueConstraint(
                fields=["product", "kind", "slot"], name="merchrule_unique_product_kind_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id} in {self.slot or 'all slots'}"
