"""Outgoing webhooks as other apps use them: emit an event about an order, a ticket or a
product; the merchant's webhooks subscribed to it receive it once the emitting transaction
commits. The payload is built then, from what was committed (see ``webhooks.services``)."""

from collections.abc import Mapping
from functools import partial
from typing import Literal

from django.db import transaction

WebhookEvent = Literal[
    "order.created",
    "order.paid",
    "order.fulfilled",
    "order.cancelled",
    "order.refunded",
    "fraud.review_decided",
    "ticket.created",
    "ticket.solved",
    "product.back_in_stock",
    "product.price_changed",
    "return.requested",
    "return.refunded",
]

# The event's prefix names its subject, the id an emitter must give.
SUBJECT_ID = {
    "order": "order_id",
    "fraud": "order_id",
    "ticket": "ticket_id",
    "product": "product_id",
    "return": "return_id",
}

__all__ = ["WebhookEvent", "event_emit"]


def event_emit(
    *,
    event: WebhookEvent,
    order_id: int | None = None,
    refund_id: int | None = None,
    ticket_id: int | None = None,
    product_id: int | None = None,
    return_id: int | None = None,
    context: Mapping[str, str | None] | None = None,
) -> None:
    """Send ``event`` to the subscribed webhooks after the current transaction commits;
    nothing is sent if it rolls back. The subject is the id its prefix names: ``order_id``
    for ``order.*`` and ``fraud.*`` (with ``refund_id`` for ``order.refunded``),
    ``ticket_id`` for ``ticket.*``, ``product_id`` for ``product.*``, ``return_id`` for
    ``return.*``. ``context``: facts of
    the change itself that the committed rows no longer show (a price's old value).

    Costs no query here; after commit, one cache read when no webhook subscribes to
    ``event``. ``robust``: a failure to record or hand off the event is logged, never raised
    into the request that caused it (its transaction is committed by then).
    """
    ids = {
        "order_id": order_id,
        "ticket_id": ticket_id,
        "product_id": product_id,
        "return_id": return_id,
    }
    needed = SUBJECT_ID.get(event.split(".", 1)[0])
    if needed is None or ids[needed] is None:
        raise ValueError(f"{event} needs {needed or 'a known subject'}")  # a programming error
    transaction.on_commit(
        partial(
            _dispatch,
            event=event,
            subject_id=int(ids[needed] or 0),
            refund_id=refund_id,
            context=dict(context or {}),
        ),
        robust=True,
    )


def _dispatch(
    *, event: str, subject_id: int, refund_id: int | None, context: dict[str, str | None]
) -> None:
    # imported here: importing this facade (orders.services does) loads no webhook models
    from webhooks import services

    services.event_dispatch(
        event=event, subject_id=subject_id, refund_id=refund_id, context=context
    )
