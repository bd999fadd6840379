from typing import TYPE_CHECKING

from celery import shared_task

if TYPE_CHECKING:
    from returns.services import ReturnEmailKind


# Not acks_late: a worker lost mid-send would mail the shopper twice (as orders' mails).
@shared_task
def return_email_send_task(*, return_id: int, kind: "ReturnEmailKind") -> bool:
    from returns.services import return_email_send  # tasks call services

    return return_email_send(return_id=return_id, kind=kind)
