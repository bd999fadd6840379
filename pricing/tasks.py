from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def price_proposals_task(self: Any) -> dict[str, Any]:
    """Scheduled pricing cycle: refit elasticities, then propose and auto-apply. Safe to
    redeliver: the run is keyed by the task id, a new cycle supersedes pending proposals, and
    a price moved automatically is not moved again within the cooldown."""
    from mlops.services import capability_train  # tasks call services

    run = capability_train(capability="pricing", task_id=self.request.id or "")
    return {"status": run.status, **(run.summary or {})}


@shared_task(bind=True, acks_late=True, max_retries=3)
def price_proposals_generate_task(self: Any) -> dict[str, Any]:  # noqa: ARG001
    """Proposals from the active model without refitting (e.g. after a policy change)."""
    from pricing.services import price_proposals_generate

    return price_proposals_generate()
