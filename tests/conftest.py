import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
HAS_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis and a Celery worker (set REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "integration" in item.keywords and not HAS_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture(scope="session", autouse=True)
def _no_stray_database_sessions(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """On PostgreSQL, end the sessions still open on the test database at the end (left by
    the integration tests' workers and servers), so dropping it does not fail with "being
    accessed by other users"."""
    yield
    if not ON_POSTGRES:
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:  # type: ignore[no-untyped-def]
    # Artifacts go to a temp folder; each test starts with an empty cache and no loaded models.
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    cache.clear()
    from mlops.selectors import model_cache_clear

    model_cache_clear()
    from storefront.celery import app as celery_app

    # Tasks run in-process in tests; the integration tests switch this off to use a worker.
    celery_app.conf.task_always_eager = True
    settings.TRAIN_IN_BACKGROUND_WHEN_EAGER = False  # tests see a retrain finish in-line
    yield
    model_cache_clear()
    # The cache (Redis in CI) is not rolled back with the test's transaction: a model the
    # test activated stays "active" there, and a module fixture set up next (a demo store,
    # written outside any test transaction) would try to load it and commit an alert.
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def shopper(db):  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory

    return CustomerFactory()


@pytest.fixture
def shopper_client(shopper) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(shopper.user)
    return client


@pytest.fixture
def staff_client(db) -> APIClient:  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_authenticate(user)
    return client
