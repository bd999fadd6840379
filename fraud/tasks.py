from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def fraud_model_train_task(self: Any) -> dict[str, Any]:  # noqa: ARG001
    """Scheduled refit on the latest labels (chargebacks, reviewer verdicts). Safe to run
    twice: a second run registers a candidate that is only activated if it is better."""
    from mlops.services import capability_train  # tasks call services

    run = capability_train(capability="fraud")
    return {"status": run.status, **(run.summary or {})}
