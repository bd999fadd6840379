"""Outgoing webhooks as other apps use them: emit an order event; the merchant's webhooks
subscribed to it receive it once the emitting transaction commits."""

from functools import partial
from typing import Literal

from django.db import transaction

WebhookEvent = Literal[
    "order.created", "order.paid", "order.fulfilled", "order.cancelled", "order.refunded"
]

__all__ = ["WebhookEvent", "event_emit"]


def event_emit(*, event: WebhookEvent, order_id: int, refund_id: int | None = None) -> None:
    """Send ``event`` about order ``order_id`` (with refund ``refund_id`` for
    ``order.refunded``) to the subscribed webhooks after the current transaction commits;
    nothing is sent if it rolls back. Costs no query here; after commit, one cache read
    when no webhook subscribes to ``event``.

    ``robust``: a failure to record or hand off the event is logged, never raised into
    the order's request (the order is committed by then).
    """
    transaction.on_commit(
        partial(_dispatch, event=event, order_id=order_id, refund_id=refund_id), robust=True
    )


def _dispatch(*, event: str, order_id: int, refund_id: int | None) -> None:
    # imported here: importing this facade (orders.services does) loads no webhook models
    from webhooks import services

    services.event_dispatch(event=event, order_id=order_id, refund_id=refund_id)
