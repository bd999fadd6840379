"""Defects schemathesis found against a running demo store (anonymous and staff-token runs),
each pinned here as the answer an integrating developer should get."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import jsonschema
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Customer
from mlops.models import FeatureSnapshot
from orders.models import Order
from storefront.schema import ERROR_SCHEMA
from tests.factories import ADDRESS, GOOD_CARD, ProductFactory

pytestmark = pytest.mark.django_db


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    jsonschema.validate(body, ERROR_SCHEMA)
    return body


@pytest.mark.django_db(transaction=True)
def test_register_hashes_the_password_before_taking_the_write_lock() -> None:
    # Concurrent sign-ups on SQLite queued behind each other's ~0.5 s hash inside the
    # transaction and failed with "database is locked" (HTTP 500).
    from django.contrib.auth import base_user

    in_transaction: list[bool] = []
    real = base_user.make_password

    def recording(*args: Any, **kwargs: Any) -> str:
        in_transaction.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    with mock.patch.object(base_user, "make_password", recording):
        response = APIClient().post(
            "/api/v1/account/register/",
            {"email": "ada@example.com", "password": "a-long-pass-phrase"},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert in_transaction == [False]
    assert Customer.objects.filter(user__username="ada@example.com").count() == 1


def test_sqlite_transactions_take_the_write_lock_when_they_begin(tmp_path: Path) -> None:
    # A deferred transaction that reads, then writes after another connection wrote, fails at
    # once instead of waiting for the busy timeout (the other half of the sign-up 500s).
    # Settings are read in a fresh interpreter on an SQLite URL, so this also runs when the
    # suite itself runs on PostgreSQL.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "storefront.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5


def test_an_account_registered_while_hashing_is_a_400_not_a_second_account() -> None:
    from django.contrib.auth import password_validation

    def racing_sign_up(*args: Any, **kwargs: Any) -> None:
        # the same e-mail registered by another request after the first check
        get_user_model().objects.create_user(username="ada@example.com", password="x" * 12)

    with mock.patch.object(password_validation, "validate_password", racing_sign_up):
        response = APIClient().post(
            "/api/v1/account/register/",
            {"email": "Ada@example.com", "password": "a-long-pass-phrase"},
            format="json",
        )
    body = _error(response, 400, "invalid")
    assert body["email"] == ["an account with this e-mail already exists"]
    assert get_user_model().objects.filter(username="ada@example.com").count() == 1
    assert not Customer.objects.exists()


def test_feature_snapshot_counts_beyond_the_sample_size_column_are_400(
    staff_client: APIClient,
) -> None:
    url = "/api/v1/mlops/feature-snapshots/"
    for counts in ([1e308, 1e308], [2.0**31]):  # an OverflowError (500) before
        response = staff_client.post(
            url,
            {"capability": "fraud", "feature": "amount", "kind": "live", "counts": counts,
             "edges": [0, 1, 2][: len(counts) + 1]},
            format="json",
        )  # fmt: skip
        body = _error(response, 400, "invalid")
        assert body["counts"] == ["the counts may add up to 2147483647 at most"]
    assert not FeatureSnapshot.objects.exists()
    ok = staff_client.post(
        url,
        {"capability": "fraud", "feature": "amount", "kind": "live", "counts": [3, 4],
         "edges": [0, 1, 2]},
        format="json",
    )  # fmt: skip
    assert ok.status_code == 201, ok.content
    assert FeatureSnapshot.objects.get().sample_size == 7


def test_rollback_without_a_version_to_restore_is_a_documented_400(
    staff_client: APIClient, api_client: APIClient
) -> None:
    body = _error(
        staff_client.post("/api/v1/mlops/capabilities/recommendations/rollback/"), 400, "invalid"
    )
    assert body["detail"] == "recommendations has no active version to roll back"
    schema = api_client.get("/api/schema/?format=json").json()
    responses = schema["paths"]["/api/v1/mlops/capabilities/{capability}/rollback/"]["post"][
        "responses"
    ]
    assert responses["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


@pytest.mark.parametrize("format_", ["multipart", None])
def test_a_form_with_too_many_fields_is_a_json_400(
    staff_client: APIClient, format_: str | None
) -> None:
    # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000) refusal was its HTML "Bad Request" page
    fields = {f"f{i}": "1" for i in range(1001)}
    if format_ is None:  # url-encoded
        from urllib.parse import urlencode

        response = staff_client.post(
            "/api/v1/pricing/proposals/decide/",
            urlencode(fields),
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = staff_client.post("/api/v1/pricing/proposals/decide/", fields, format=format_)
    body = _error(response, 400, "parse_error")
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in body["detail"]


def _parameter(schema: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    parameters = schema["paths"][path][method]["parameters"]
    return next(p for p in parameters if p["name"] == name)


def test_the_idempotency_key_bound_is_documented_and_enforced(api_client: APIClient) -> None:
    # schemathesis sent a schema-valid 65-character key and met a 400 the schema did not warn of
    schema = api_client.get("/api/schema/?format=json").json()
    key = _parameter(schema, "/api/v1/checkout/", "post", "Idempotency-Key")
    assert key["required"] is True
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 64}
    product = ProductFactory()
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 1}, format="json")
    order = {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD}
    too_long = api_client.post(
        "/api/v1/checkout/", order, format="json", HTTP_IDEMPOTENCY_KEY="k" * 65
    )
    body = _error(too_long, 400, "invalid")
    assert body["idempotency_key"] == ["Idempotency-Key header (1-64 chars) is required"]
    assert not Order.objects.exists()
    placed = api_client.post(
        "/api/v1/checkout/", order, format="json", HTTP_IDEMPOTENCY_KEY="k" * 64
    )
    assert placed.status_code == 201, placed.content


def test_answer_suggestions_document_q_as_required_and_bounded(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/?format=json").json()
    q = _parameter(schema, "/api/v1/support/answers/suggest/", "get", "q")
    assert q["required"] is True
    assert (q["schema"]["minLength"], q["schema"]["maxLength"]) == (3, 500)
    for params in ({}, {"q": "ab"}, {"q": "x" * 501}):
        body = _error(api_client.get("/api/v1/support/answers/suggest/", params), 400, "invalid")
        assert list(body) == ["detail", "code", "q"], body
    assert api_client.get("/api/v1/support/answers/suggest/", {"q": "refund"}).status_code == 200


def test_forecast_query_bounds_are_in_the_schema_not_only_in_words(
    staff_client: APIClient,
) -> None:
    # schemathesis sent history_days/limit the schema allowed (an unbounded integer) and got 400
    schema = staff_client.get("/api/schema/?format=json").json()
    bounds = {
        ("/api/v1/forecasts/{product_id}/", "history_days"): (7, 730),
        ("/api/v1/forecasts/reorder-suggestions/", "limit"): (1, 1000),
    }
    product = ProductFactory()
    for (path, name), (low, high) in bounds.items():
        parameter = _parameter(schema, path, "get", name)
        assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (low, high)
        url = path.replace("{product_id}", str(product.pk))
        for bad in (low - 1, high + 1):
            body = _error(staff_client.get(url, {name: bad}), 400, "invalid")
            assert list(body) == ["detail", "code", name], body
        assert staff_client.get(url, {name: high}).status_code == 200
