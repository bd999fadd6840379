from typing import TYPE_CHECKING

from celery import shared_task

if TYPE_CHECKING:
    from orders.services import OrderEmailKind


@shared_task(acks_late=True)
def carts_abandoned_mark_task() -> int:
    from orders.services import carts_abandoned_mark  # tasks call services

    return carts_abandoned_mark()


# Not acks_late: a worker lost mid-send would mail the shopper twice; one lost mail is the
# lesser harm (the order page has everything the mail has).
@shared_task
def order_email_send_task(
    *, order_id: int, kind: "OrderEmailKind", refund_id: int | None = None
) -> bool:
    from orders.services import order_email_send  # tasks call services

    return order_email_send(order_id=order_id, kind=kind, refund_id=refund_id)
