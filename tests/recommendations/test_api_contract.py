"""Recommendations API defects a schemathesis run found, pinned as the answer an integrating
developer should get (the style of tests/api/test_contract_findings.py)."""

import logging
from typing import Any

import pytest
from rest_framework.test import APIClient

from customers.models import Event
from recommendations.facade import MAX_LIMIT
from storefront.api_errors import ID_MAX
from tests.api.test_contract_findings import _error
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/recommendations"


def _click(client: APIClient, product_id: int) -> Any:
    return client.post(
        f"{URL}/click/", {"product_id": product_id, "slot": "similar"}, format="json"
    )


def _parameter(schema: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters = schema["paths"][path]["get"]["parameters"]
    return next(p for p in parameters if p["name"] == name)


def test_a_click_on_an_unknown_product_is_a_400_not_a_logged_traceback(
    api_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    # was a 204 with an ERROR traceback per request (the event's foreign key failed) and
    # nothing saved, while an id beyond ID_MAX was a 400: anyone could fill the logs
    known = ProductFactory()
    with caplog.at_level(logging.WARNING):
        body = _error(_click(api_client, known.pk + 1000), 400, "invalid")
    assert list(body) == ["detail", "code", "product_id"], body
    assert body["product_id"] == ["no such product"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    body = _error(_click(api_client, ID_MAX + 1), 400, "invalid")
    assert list(body) == ["detail", "code", "product_id"], body
    assert not Event.objects.filter(type="rec_click").exists()


def test_a_click_on_a_known_or_discontinued_product_is_logged(api_client: APIClient) -> None:
    known, gone = ProductFactory(), ProductFactory(is_active=False)
    for product in (known, gone):
        assert _click(api_client, product.pk).status_code == 204
    clicked = Event.objects.filter(type="rec_click").values_list("product_id", flat=True)
    assert sorted(clicked) == sorted([known.pk, gone.pk])


def test_the_click_400_is_documented_with_the_error_body(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/?format=json").json()
    responses = schema["paths"][f"{URL}/click/"]["post"]["responses"]
    assert "product_id of no product" in responses["400"]["description"]
    assert responses["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_every_limit_has_its_bounds_and_default_in_the_schema_and_400s_beyond_them(
    api_client: APIClient,
) -> None:
    # the 1-50 bound was in words only; schemathesis met 400s the schema allowed
    schema = api_client.get("/api/schema/?format=json").json()
    product = ProductFactory(category=CategoryFactory())
    ProductFactory(category=product.category)
    defaults = {
        f"{URL}/for-you/": 12,
        f"{URL}/similar/{{product_id}}/": 8,
        f"{URL}/bought-together/{{product_id}}/": 4,
        f"{URL}/cart/": 6,
    }
    for path, default in defaults.items():
        limit = _parameter(schema, path, "limit")
        assert limit["schema"] == {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_LIMIT,
            "default": default,
        }, path
        assert not limit.get("required")
        url = path.replace("{product_id}", str(product.pk))
        for bad in (0, MAX_LIMIT + 1, "abc"):
            body = _error(api_client.get(url, {"limit": bad}), 400, "invalid")
            assert list(body) == ["detail", "code", "limit"], (url, body)
        for good in (1, MAX_LIMIT):
            assert api_client.get(url, {"limit": good}).status_code == 200, url


def test_cart_product_ids_are_a_documented_comma_separated_list_of_ids(
    api_client: APIClient,
) -> None:
    schema = api_client.get("/api/schema/?format=json").json()
    product_ids = _parameter(schema, f"{URL}/cart/", "product_ids")
    assert product_ids["schema"] == {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": ID_MAX},
        "minItems": 1,
        "maxItems": 100,
    }
    assert (product_ids["style"], product_ids["explode"]) == ("form", False)
    a, b = ProductFactory(), ProductFactory()
    ProductFactory.create_batch(3)
    ok = api_client.get(f"{URL}/cart/", {"product_ids": f"{a.pk},{b.pk}"})
    assert ok.status_code == 200, ok.content
    assert not {i["product_id"] for i in ok.json()["items"]} & {a.pk, b.pk}
    hundred = ",".join(["1"] * 100)
    assert api_client.get(f"{URL}/cart/", {"product_ids": hundred}).status_code == 200
    # what int() let through before, though the schema allows none of it; and a 5,000-digit
    # id, which int() refuses with a ValueError
    # empty is no value, as for every query parameter (the products list's ids= too)
    assert api_client.get(f"{URL}/cart/", {"product_ids": ""}).status_code == 200
    for bad in ("1,x", "+5", "1_000", "1, 2", "1,,2", "-1", "0", str(ID_MAX + 1), "9" * 5000):
        body = _error(api_client.get(f"{URL}/cart/", {"product_ids": bad}), 400, "invalid")
        assert list(body) == ["detail", "code", "product_ids"], (bad, body)
    too_many = ",".join(["1"] * 101)
    body = _error(api_client.get(f"{URL}/cart/", {"product_ids": too_many}), 400, "invalid")
    assert body["product_ids"] == ["at most 100 product ids"]
