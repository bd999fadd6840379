"""A real Celery worker process on the Redis broker runs a task against the test database."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Cart
from tests.factories import CartFactory, CartLineFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_task_and_writes_to_database() -> None:
    stale = CartFactory()
    CartLineFactory(cart=stale)
    Cart.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=3))
    fresh = CartFactory()
    CartLineFactory(cart=fresh)

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"itest-{os.getpid()}"
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("PYTEST_XDIST_WORKER", None)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "storefront",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=WARNING",
            f"--hostname={queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
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
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        time.sleep(0.1)
