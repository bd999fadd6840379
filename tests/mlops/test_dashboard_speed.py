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
    finished: list[float] = []

    def refresh(**_: Any) -> dict[str, Any]:
        calls.append(time.monotonic())
        release.wait(timeout=3)
        finished.append(time.monotonic())
        return {}

    monkeypatch.setattr(dashboard, "dashboard_rollups_refresh", refresh)
    yield release, calls, finished
    release.set()
    for thread in threading.enumerate():
        if thread.name == "dashboard-rollups":
            thread.join(timeout=5)
    cache.delete(dashboard.REFRESH_PENDING_KEY)


def test_first_visit_does_not_wait_for_the_rollup_refresh(admin_client, slow_refresh) -> None:  # type: ignore[no-untyped-def]
    _release, calls, finished = slow_refresh
    product = ProductFactory(price=Decimal("40.00"))
    order_create(customer=None, products=[(product, 2)], placed_at=timezone.now())
    order_create(
        customer=None, products=[(product, 1)], placed_at=timezone.now() - timedelta(days=3)
    )

    response = admin_client.get(URL + "?period=7")

    assert response.status_code == 200
    assert calls, "the refresh was asked for"
    # the page answered while the refresh was still blocked (an inline refresh would have
    # run to its end first), whatever the machine's speed
    assert not finished
    # figures are exact meanwhile: the days the rollups miss are read live
    assert response.context["data"].revenue == Decimal("120.00")
    assert response.context["data"].orders == 2


def test_visits_while_a_refresh_runs_do_not_start_another(admin_client, slow_refresh) -> None:  # type: ignore[no-untyped-def]
    _release, calls, _finished = slow_refresh
    for _ in range(3):
        assert admin_client.get(URL).status_code == 200
    assert len(calls) == 1


def test_orders_count_on_their_local_day_across_summer_time_changes() -> None:
    """The per-day sales use the shop's calendar day (Europe/London): an order at 23:30 UTC in
    summer is the next day's, the same hour in winter is the same day's, and the days change
    at the clock change, not at a fixed offset."""
    from django.db.models.functions import TruncDate

    from orders.models import Order

    product = ProductFactory(price=Decimal("10.00"))
    utc = timezone.UTC if hasattr(timezone, "UTC") else __import__("datetime").timezone.utc
    base = timezone.now().astimezone(utc).replace(hour=0, minute=0, second=0, microsecond=0)
    instants = []
    for days in range(0, 400, 9):
        for hh, mm, ss, us in ((22, 59, 59, 999_999), (23, 0, 0, 0), (23, 30, 0, 0), (0, 30, 0, 0)):
            instants.append(
                base
                - timedelta(days=days)
                + timedelta(hours=hh, minutes=mm, seconds=ss, microseconds=us)
            )
    for at in instants:
        order_create(customer=None, products=[(product, 1)], placed_at=at)
    start, end = min(instants), max(instants) + timedelta(seconds=1)

    ours = dashboard._src_sales(start, end)
    django_days = {
        day: (revenue, n)
        for day, revenue, n in Order.objects.filter(
            status__in=dashboard.REVENUE_STATUSES, placed_at__gte=start, placed_at__lt=end
        )
        .annotate(day=TruncDate("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(revenue=dashboard.Sum("total"), n=dashboard.Count("pk"))
        .values_list("day", "revenue", "n")
    }
    assert ours == django_days
    assert sum(n for _r, n in ours.values()) == len(instants)
