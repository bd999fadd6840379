from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def support_model_train_task(self: Any) -> dict[str, Any]:  # noqa: ARG001
    """Scheduled refit with the latest agent feedback; safe to run twice (a new version is
    registered each time, the previous one stays available for rollback)."""
    from mlops.services import capability_train  # tasks call services

    run = capability_train(capability="support")
    return {"status": run.status, **(run.summary or {})}
