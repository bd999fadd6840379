"""A Celery worker dies in the middle of a job: the job comes back (acks_late) and finishes
once, under the same training run, with no price moved twice.

Each test blocks the worker at a known point by holding a PostgreSQL lock from a second
connection, kills the worker there with SIGKILL (as the OOM killer would), then releases the
lock and lets the redelivered task run."""

from __future__ import annotations

import os
import signal
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import PriceHistory, Product
from mlops.models import ModelVersion, TrainingRun
from pricing.models import PriceProposal, PricingPolicy
from tests.factories import CategoryFactory, ProductFactory
from tests.pricing.factories import activate_model, make_sales
from tests.worker_support import (
    backend_waiting_on_lock,
    child_pids,
    lock_holder,
    wait_until,
    worker_start,
    worker_stop,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def shared_media(settings, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    # Test process and worker read and write model artifacts in the same folder.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return str(tmp_path)


@pytest.fixture
def broker() -> object:
    from storefront.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    return celery_app


def _queue(name: str) -> str:
    return f"{name}-{os.getpid()}"


def _priced_products(n: int) -> list[Product]:
    cat = CategoryFactory()
    return [
        ProductFactory(
            category=cat,
            price=Decimal("20.00"),
            list_price=Decimal("25.00"),
            cost=Decimal("8.00"),
            with_stock=10_000,
        )
        for _ in range(n)
    ]


def test_training_killed_mid_run_is_redelivered_and_finishes_once(shared_media, broker) -> None:  # type: ignore[no-untyped-def]
    for i, p in enumerate(_priced_products(3)):
        make_sales(p, elasticity=-2.5, seed=i)
    queue = _queue("train-kill")
    worker = worker_start(queue, pool="prefork", var_dir=shared_media)
    holder = lock_holder()
    try:
        with holder.cursor() as cur:
            # Reads go on; registering the trained model (an INSERT) has to wait for us.
            cur.execute("LOCK TABLE mlops_modelversion IN SHARE ROW EXCLUSIVE MODE")
        from mlops.tasks import capability_train_task

        capability_train_task.apply_async(("pricing",), queue=queue)
        wait_until(backend_waiting_on_lock, timeout=300, what="training to reach registration")
        run = TrainingRun.objects.get(capability="pricing")
        assert run.status == TrainingRun.Status.RUNNING and run.attempts == 1

        children = child_pids(worker.pid)
        assert children, "prefork worker has no child process"
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        holder.rollback()  # release the lock; the dead worker's transaction is gone too

        wait_until(
            lambda: TrainingRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
            timeout=300,
            what="the redelivered training to finish",
        )
        run.refresh_from_db()
        assert run.status == TrainingRun.Status.SUCCEEDED, run.message
        assert run.attempts == 2
        assert TrainingRun.objects.filter(capability="pricing").count() == 1
        versions = ModelVersion.objects.filter(capability="pricing")
        assert versions.count() == 1 and versions.get().status == ModelVersion.Status.ACTIVE
        assert run.model_version_id == versions.get().pk
    finally:
        holder.close()
        worker_stop(worker)


def test_price_application_killed_midway_moves_no_price_twice(shared_media, broker) -> None:  # type: ignore[no-untyped-def]
    products = _priced_products(6)
    PricingPolicy.objects.create(
        category=products[0].category, auto_approve_below_pct=Decimal("20")
    )
    activate_model({p.pk: -2.5 for p in products})  # optimum 13.33: each cycle may move 10%
    blocked = sorted(p.pk for p in products)[2]
    queue = _queue("price-kill")
    worker = worker_start(queue, pool="prefork", var_dir=shared_media)
    holder = lock_holder()
    try:
        with holder.cursor() as cur:
            # Proposals can still reference the product; changing its price has to wait.
            cur.execute("SELECT id FROM catalog_product WHERE id = %s FOR NO KEY UPDATE", [blocked])
        from pricing.tasks import price_proposals_generate_task

        price_proposals_generate_task.apply_async(queue=queue)
        wait_until(backend_waiting_on_lock, timeout=300, what="auto-apply to reach the product")
        moved_before_kill = set(
            Product.objects.filter(price=Decimal("18.00")).values_list("pk", flat=True)
        )
        assert moved_before_kill == set(sorted(p.pk for p in products)[:2])

        for pid in child_pids(worker.pid):
            os.kill(pid, signal.SIGKILL)
        holder.rollback()

        wait_until(
            lambda: not Product.objects.filter(price=Decimal("20.00")).exists(),
            timeout=300,
            what="the redelivered cycle to apply the remaining prices",
        )
        wait_until(
            lambda: (
                PriceProposal.objects.filter(
                    product_id__in=moved_before_kill, status="pending"
                ).count()
                == len(moved_before_kill)
            ),
            timeout=120,
            what="the redelivered cycle to finish",
        )
        # Every product moved exactly once, by one step of at most 10%.
        assert set(Product.objects.values_list("price", flat=True)) == {Decimal("18.00")}
        for p in products:
            assert PriceHistory.objects.filter(product=p, source="pricing").count() == 1
        assert PriceProposal.objects.filter(status="applied").count() == len(products)
    finally:
        holder.close()
        worker_stop(worker)


def test_whole_worker_lost_during_training_is_picked_up_by_another(shared_media, broker) -> None:  # type: ignore[no-untyped-def]
    for i, p in enumerate(_priced_products(3)):
        make_sales(p, elasticity=-2.5, seed=i)
    queue = _queue("host-kill")
    # A short visibility timeout stands in for the production default (2 h).
    fast = {"CELERY_VISIBILITY_TIMEOUT": "3"}
    first = worker_start(queue, pool="solo", var_dir=shared_media, extra_env=fast)
    holder = lock_holder()
    second = None
    try:
        with holder.cursor() as cur:
            cur.execute("LOCK TABLE mlops_modelversion IN SHARE ROW EXCLUSIVE MODE")
        from mlops.tasks import capability_train_task

        capability_train_task.apply_async(("pricing",), queue=queue)
        wait_until(backend_waiting_on_lock, timeout=300, what="training to reach registration")
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker, as if its machine died
        first.wait(timeout=10)
        holder.rollback()

        second = worker_start(queue, pool="solo", var_dir=shared_media, extra_env=fast)
        wait_until(
            lambda: TrainingRun.objects.filter(
                capability="pricing", status=TrainingRun.Status.SUCCEEDED
            ).exists(),
            timeout=300,
            what="another worker to finish the lost training",
        )
        run = TrainingRun.objects.get(capability="pricing")
        assert run.attempts == 2
        assert ModelVersion.objects.filter(capability="pricing").count() == 1
    finally:
        holder.close()
        worker_stop(first)
        if second is not None:
            worker_stop(second)
