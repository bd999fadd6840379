"""A crash with DEBUG off: API paths answer the JSON `Error` body, shop pages Django's HTML 500
page; the traceback is logged either way and nothing of the exception reaches the client."""

import logging
from unittest import mock

import jsonschema
import pytest
from django.test import Client
from django.test.utils import override_settings

from storefront.schema import ERROR_SCHEMA

pytestmark = pytest.mark.django_db

SECRET = "ada@example.com card 4242 in a crash"


def _logged_tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "django.request" and r.levelno == logging.ERROR and r.exc_info
    ]


def test_a_crash_on_an_api_path_is_a_json_500_in_the_error_shape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(raise_request_exception=False)
    with (
        override_settings(DEBUG=False),
        mock.patch("catalog.selectors.product_list_active", side_effect=RuntimeError(SECRET)),
    ):
        response = client.get("/api/v1/products/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body == {"detail": "server error", "code": "server_error"}
    jsonschema.validate(body, ERROR_SCHEMA)
    assert SECRET not in response.content.decode()
    (record,) = _logged_tracebacks(caplog)
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


def test_a_crash_on_a_shop_page_is_still_the_html_500_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client(raise_request_exception=False)
    with (
        override_settings(DEBUG=False),
        mock.patch("storefront.views._nav_categories", side_effect=RuntimeError(SECRET)),
    ):
        response = client.get("/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert SECRET not in response.content.decode()
    assert len(_logged_tracebacks(caplog)) == 1
