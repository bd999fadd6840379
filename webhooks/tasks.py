from celery import shared_task


# Safe to run twice: the service claims the attempt (and its retry time) in the database
# before the POST, so a second run finds it not due; a lost worker's delivery is due again
# at that retry time, and the sweep below sends it.
@shared_task
def webhook_delivery_send_task(*, delivery_id: int) -> str:
    from webhooks.services import webhook_delivery_send  # tasks call services

    return webhook_delivery_send(delivery_id=delivery_id)


@shared_task
def webhook_deliveries_retry_due_task() -> int:
    from webhooks.services import webhook_deliveries_retry_due  # tasks call services

    return webhook_deliveries_retry_due()


@shared_task
def webhook_deliveries_prune_task() -> dict[str, int]:
    from webhooks.services import webhook_deliveries_prune  # tasks call services

    return webhook_deliveries_prune()
