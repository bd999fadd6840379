"""A real Celery worker process on the Redis broker runs a task against the test database."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Cart
from tests.factories import CartFactory, CartLineFactory
from tests.worker_support import worker_start, worker_stop


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_task_and_writes_to_database() -> None:
    stale = CartFactory()
    CartLineFactory(cart=stale)
    Cart.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=3))
    fresh = CartFactory()
    CartLineFactory(cart=fresh)

    queue = f"itest-{os.getpid()}"
    worker = worker_start(queue)
    from storefront.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    try:
        from orders.tasks import carts_abandoned_mark_task

        result = carts_abandoned_mark_task.apply_async(queue=queue)
        assert result.get(timeout=90) == 1
        stale.refresh_from_db()
        fresh.refresh_from_db()
        assert stale.status == Cart.Status.ABANDONED
        assert fresh.status == Cart.Status.OPEN
    finally:
        worker_stop(worker)
