"""Reads of the webhooks app: the cached subscription table checkout consults, and lists."""

from datetime import datetime

from django.core.cache import cache
from django.db.models import QuerySet

from webhooks.models import Webhook, WebhookDelivery

SUBSCRIPTIONS_CACHE_KEY = "webhooks:subscriptions:v1"
# Bounds how long an edit made around the services (a shell, a data migration) goes unseen;
# the services delete the key on every change.
SUBSCRIPTIONS_TTL = 300


def webhook_ids_subscribed(*, event: str) -> list[int]:
    """Ids of the active webhooks subscribed to ``event``: one cache read, and one query
    on a miss (the whole table of active webhooks, small, cached as event -> ids)."""
    table: dict[str, list[int]] | None = cache.get(SUBSCRIPTIONS_CACHE_KEY)
    if table is None:
        table = {}
        for pk, events in Webhook.objects.filter(is_active=True).values_list("pk", "events"):
            for name in events if isinstance(events, list) else []:
                table.setdefault(str(name), []).append(pk)
        cache.set(SUBSCRIPTIONS_CACHE_KEY, table, SUBSCRIPTIONS_TTL)
    return list(table.get(event, []))


def webhook_list() -> QuerySet[Webhook]:
    return Webhook.objects.order_by("pk")


def webhook_get(*, webhook_id: int) -> Webhook:
    return Webhook.objects.get(pk=webhook_id)


def delivery_list_for_webhook(*, webhook_id: int) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(webhook_id=webhook_id).order_by("-created_at", "-pk")


def delivery_ids_due(*, now: datetime, limit: int) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest due first."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
