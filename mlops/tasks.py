from celery import shared_task

from mlops.dashboard import dashboard_rollups_refresh_task  # noqa: F401 (registers the task)
from mlops.monitoring import monitoring_check_task  # noqa: F401 (registers the task)


@shared_task(bind=True, acks_late=True, max_retries=2)
def capability_train_task(
    self, capability: str, run_id: int | None = None, force: bool = False
) -> str:  # type: ignore[no-untyped-def]
    from mlops.services import capability_train  # tasks call services

    # The task id keys the run, so a redelivery (worker lost, acks_late) resumes the same run.
    return capability_train(
        capability=capability, run_id=run_id, force=force, task_id=self.request.id or ""
    ).status
