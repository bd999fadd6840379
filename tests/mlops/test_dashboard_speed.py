"""The dashboard must not make the merchant wait for the rollup refresh it asks for."""

import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from mlops import dashboard
from tests.factories import ProductFactory, UserFactory
from tests.mlops.factories import order_create

pytestmark = pytest.mark.django_db

URL = "/admin/mlops/modelversion/dashboard/"


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def slow_refresh(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """The brokerless demo's settings, with a refresh that takes until the test releases it."""
    settings.TRAIN_IN_BACKGROUND_WHEN_EAGER = True
    cache.delete(dashboard.REFRESH_PENDING_KEY)
    release = threading.Event()
    calls: list[float] = []

    def refresh(**_: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        release.wait(timeout=3)
        return {}

    monkeypatch.setattr(dashboard, "dashboard_rollups_refresh", refresh)
    yield release, calls
    release.set()
    for thread in threading.enumerate():
        if thread.name == "dashboard-rollups":
            thread.join(timeout=5)
    cache.delete(dashboard.REFRESH_PENDING_KEY)


def test_first_visit_does_not_wait_for_the_rollup_refresh(admin_client, slow_refresh) -> None:  # type: ignore[no-untyped-def]
    release, calls = slow_refresh
    product = ProductFactory(price=Decimal("40.00"))
    order_create(customer=None, products=[(product, 2)], placed_at=timezone.now())
    order_create(
        customer=None, products=[(product, 1)], placed_at=timezone.now() - timedelta(days=3)
    )

    started = time.monotonic()
    response = admin_client.get(URL + "?period=7")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed < 2.5, f"the page waited {elapsed:.1f} s for the refresh"
    assert not release.is_set() and calls, "the refresh was asked for"
    # figures are exact meanwhile: the days the rollups miss are read live
    assert response.context["data"].revenue == Decimal("120.00")
    assert response.context["data"].orders == 2


def test_visits_while_a_refresh_runs_do_not_start_another(admin_client, slow_refresh) -> None:  # type: ignore[no-untyped-def]
    _release, calls = slow_refresh
    for _ in range(3):
        assert admin_client.get(URL).status_code == 200
    assert len(calls) == 1
