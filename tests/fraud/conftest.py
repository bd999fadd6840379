import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def admin_client() -> Client:
    """A signed-in superuser (the merchant), without pytest-django's "admin" user."""
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client
