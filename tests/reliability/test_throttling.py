"""Throttling: checkout, ticket creation and search stop a flood with 429, per client."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF copies the rates onto the class at import time; patch that copy.
    rates = {
        **ScopedRateThrottle.THROTTLE_RATES,
        "checkout": "3/min",
        "tickets": "3/min",
        "search": "3/min",
        "login": "3/min",
    }
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/checkout/"),
        ("post", "/api/v1/support/tickets/"),
        ("get", "/api/v1/search/?q=mug"),
        ("post", "/api/v1/account/login/"),
    ],
)
def test_flood_gets_429_and_other_clients_are_unaffected(
    tight_rates: None, method: str, url: str
) -> None:
    flooder = APIClient(REMOTE_ADDR="203.0.113.7")
    statuses = [getattr(flooder, method)(url, {}, format="json").status_code for _ in range(5)]
    assert statuses[:3] != [429, 429, 429]
    assert statuses[3:] == [429, 429], statuses
    other = APIClient(REMOTE_ADDR="198.51.100.9")
    assert getattr(other, method)(url, {}, format="json").status_code != 429
