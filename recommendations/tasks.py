from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def recommender_train_task(self: Any, force: bool = False) -> dict[str, Any]:  # noqa: ARG001
    """Nightly: refit all sources, register/activate, precompute "for you" lists (safe to run
    twice: lists are replaced, versions only activate when better)."""
    from mlops.services import capability_train  # tasks call services

    run = capability_train(capability="recommendations", force=force)
    return {"status": run.status, **(run.summary or {})}
