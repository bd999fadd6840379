"""Outgoing webhooks: where the merchant's own systems want store events POSTed, and the log
of every delivery (what was sent, how the receiver answered, when it is tried again)."""

import secrets
import uuid
from datetime import datetime

from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    """The events a webhook can subscribe to (``ping`` is sent on request only)."""

    ORDER_CREATED = "order.created", "Order placed"
    ORDER_PAID = "order.paid", "Order paid (payment captured, also after a review)"
    ORDER_FULFILLED = "order.fulfilled", "Order shipped"
    ORDER_CANCELLED = "order.cancelled", "Order cancelled"
    ORDER_REFUNDED = "order.refunded", "Order refunded (in part or in full)"
    FRAUD_REVIEW_DECIDED = "fraud.review_decided", "Held order reviewed (approved or rejected)"
    TICKET_CREATED = "ticket.created", "Support ticket opened"
    TICKET_SOLVED = "ticket.solved", "Support ticket solved"
    PRODUCT_BACK_IN_STOCK = "product.back_in_stock", "Product back in stock"
    PRODUCT_PRICE_CHANGED = "product.price_changed", "Product price changed"
    RETURN_REQUESTED = "return.requested", "Return requested by a shopper"
    RETURN_REFUNDED = "return.refunded", "Return refunded"


PING = "ping"


def secret_generate() -> str:
    return "whsec_" + secrets.token_hex(24)


class Webhook(models.Model):
    name = models.CharField(
        max_length=100, blank=True, help_text="For you: which system receives these events"
    )
    target_url = models.URLField(
        "URL", max_length=500, help_text="Where events are POSTed as JSON (https)"
    )
    events = models.JSONField(default=list, help_text="The event names it subscribes to")
    # Kept as is (not hashed): every delivery is signed with it.
    secret = models.CharField(
        "signing secret", max_length=64, default=secret_generate, editable=False
    )
    # After a rotation the old secret also signs deliveries until it expires, so a receiver
    # can switch to the new one without refusing events in between.
    previous_secret = models.CharField(max_length=64, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or self.target_url

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets each delivery is signed with: the current one, then the previous
        one while it has not expired."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Gave up"

    webhook = models.ForeignKey(Webhook, related_name="deliveries", on_delete=models.CASCADE)
    event = models.CharField(max_length=40)
    # The receiver's idempotency key: the same on every retry of this delivery.
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # the retry sweep: pending and due
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"
