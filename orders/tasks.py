from celery import shared_task


@shared_task(acks_late=True)
def carts_abandoned_mark_task() -> int:
    from orders.services import carts_abandoned_mark  # tasks call services

    return carts_abandoned_mark()
