from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def price_proposals_task(self: Any) -> dict[str, Any]:  # noqa: ARG001
    """Scheduled pricing cycle: refit elasticities, then propose (safe to run twice: a new run
    supersedes the pending proposals of the previous one)."""
    from mlops.services import capability_train  # tasks call services

    run = capability_train(capability="pricing")
    return {"status": run.status, **(run.summary or {})}


@shared_task(bind=True, acks_late=True, max_retries=3)
def price_proposals_generate_task(self: Any) -> dict[str, Any]:  # noqa: ARG001
    """Proposals from the active model without refitting (e.g. after a policy change)."""
    from pricing.services import price_proposals_generate

    return price_proposals_generate()
