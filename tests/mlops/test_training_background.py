"""Without a broker ("make demo"), "retrain now" must not hold the merchant's request."""

import threading

import pytest

from mlops import dashboard
from mlops.models import TrainingRun


@pytest.mark.django_db(transaction=True)  # the training thread has its own connection
def test_retrain_without_a_broker_returns_at_once_and_trains_in_a_thread(
    settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from recommendations import facade

    settings.TRAIN_IN_BACKGROUND_WHEN_EAGER = True
    release = threading.Event()
    real_train = facade.train

    def slow_train(**kwargs):  # type: ignore[no-untyped-def]
        release.wait(timeout=60)  # a long training, until the test has looked
        return real_train(**kwargs)

    monkeypatch.setattr(facade, "train", slow_train)
    run = dashboard.training_run_request(capability="recommendations")
    # the request is back while the training still runs
    assert TrainingRun.objects.get(pk=run.pk).status in {"queued", "running"}
    workers = [t for t in threading.enumerate() if t.name == f"train-recommendations-{run.pk}"]
    assert len(workers) == 1
    release.set()
    workers[0].join(timeout=120)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SKIPPED  # an empty store: nothing sold yet
    assert run.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_with_the_switch_off_retrain_finishes_before_the_request_returns(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRAIN_IN_BACKGROUND_WHEN_EAGER = False
    run = dashboard.training_run_request(capability="recommendations")
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SKIPPED
