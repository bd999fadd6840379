from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def support_model_train_task(self: Any) -> dict[str, Any]:  # noqa: ARG001
    """Scheduled refit with the latest agent feedback; safe to run twice (a new version is
    registered each time, the previous one stays available for rollback)."""
    from mlops.services import capability_train  # tasks call services

    run = capability_train(capability="support")
    return {"status": run.status, **(run.summary or {})}


# Not acks_late: a worker lost mid-send would mail the shopper twice.
@shared_task
def ticket_reply_email_send_task(*, message_id: int) -> bool:
    from support.services import ticket_reply_email_send  # tasks call services

    return ticket_reply_email_send(message_id=message_id)


@shared_task
def ticket_solved_email_send_task(*, ticket_id: int) -> bool:
    from support.services import ticket_solved_email_send  # tasks call services

    return ticket_solved_email_send(ticket_id=ticket_id)


# Not acks_late: a worker lost mid-run would re-send; the next beat run picks up the rest.
@shared_task
def sla_alerts_send_task() -> int:
    """Every 5 minutes (beat): alert agents on SLA targets breached or due within 30 min."""
    from support.services import sla_alerts_send  # tasks call services

    return sla_alerts_send()
