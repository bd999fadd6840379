"""The one hand-off of slow work out of a request: to a Celery worker, or, without a broker
(the embedded demo runs Celery eagerly), to a thread of this process."""

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


def run_in_background(name: str, *, work: Callable[[], Any], queue: Callable[[], Any]) -> None:
    """Hand a job to a worker (``queue``); without a broker run ``work`` in a daemon thread
    instead, so that the request asking for it does not wait for it."""
    from storefront.celery import app

    if not (app.conf.task_always_eager and settings.TRAIN_IN_BACKGROUND_WHEN_EAGER):
        queue()
        return

    def run() -> None:
        from django.db import connections

        try:
            work()
        except Exception:  # nobody waits on this thread: log it
            logger.exception("background job %s failed", name)
        finally:
            connections.close_all()  # this thread's connections, not the request's

    threading.Thread(target=run, name=name, daemon=True).start()
