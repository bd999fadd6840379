"""One error body everywhere: `detail` (a sentence) and `code` (a stable machine string), the
field messages at the top level where DRF puts them; and the schema documents it (`Error`)."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from storefront.api_errors import exception_handler
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content)
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    assert body["code"] == code, body
    return body


def test_a_validation_error_keeps_the_field_lists_and_adds_detail_and_code(
    api_client: APIClient,
) -> None:
    response = api_client.post(
        "/api/v1/cart/lines/", {"product_id": "x", "quantity": 0}, format="json"
    )
    body = _error(response, 400, "invalid")
    assert body["detail"] == "Invalid input."
    assert body["product_id"] == ["A valid integer is required."]
    assert body["quantity"] == ["Ensure this value is greater than or equal to 1."]
    assert set(body) == {"detail", "code", "product_id", "quantity"}


def test_a_query_parameter_error_is_the_same_shape(api_client: APIClient) -> None:
    body = _error(api_client.get("/api/v1/products/?in_stock=maybe"), 400, "invalid")
    assert body["in_stock"] == ["Enter true or false."]


def test_a_service_error_400_names_its_field(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/account/login/",
        {"email": "nobody@example.com", "password": "not-the-password"},
        format="json",
    )
    body = _error(response, 400, "invalid")
    assert body == {
        "detail": "e-mail or password is wrong",
        "code": "invalid",
        "password": ["e-mail or password is wrong"],
    }


def test_a_service_error_409_carries_its_own_code(api_client: APIClient) -> None:
    product = ProductFactory(with_stock=0)
    response = api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    body = _error(response, 409, "out_of_stock")
    assert body["quantity"] == [body["detail"]]


def test_not_logged_in_is_401_not_authenticated(api_client: APIClient) -> None:
    body = _error(api_client.get("/api/v1/account/"), 401, "not_authenticated")
    assert body == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_a_bad_token_is_401_authentication_failed() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    body = _error(client.get("/api/v1/account/"), 401, "authentication_failed")
    assert body["detail"] == "Invalid token."


def test_not_allowed_is_403_permission_denied(shopper_client: APIClient) -> None:
    body = _error(shopper_client.get("/api/v1/insights/segments/"), 403, "permission_denied")
    assert body == {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
    }


def test_no_such_object_is_404_not_found(api_client: APIClient, staff_client: APIClient) -> None:
    body = _error(api_client.get("/api/v1/products/999999/"), 404, "not_found")
    assert set(body) == {"detail", "code"}
    # a ServiceError 404 answers the same two keys
    body = _error(staff_client.get("/api/v1/fraud/orders/999999/"), 404, "not_found")
    assert set(body) == {"detail", "code"}


def test_an_unknown_api_path_is_404_not_found(api_client: APIClient) -> None:
    body = _error(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert body == {"detail": "Not found.", "code": "not_found"}
    # an integer path parameter that is no integer matches no route: the same answer
    assert api_client.get("/api/v1/products/abc/").json() == body


def test_a_page_beyond_the_last_is_404_not_found(api_client: APIClient) -> None:
    body = _error(api_client.get("/api/v1/products/?page=9"), 404, "not_found")
    assert body == {"detail": "Invalid page.", "code": "not_found"}


def test_a_wrong_method_is_405_method_not_allowed(api_client: APIClient) -> None:
    body = _error(api_client.delete("/api/v1/products/"), 405, "method_not_allowed")
    assert body["detail"] == 'Method "DELETE" not allowed.'


def test_a_flood_is_429_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "search": "1/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    client = APIClient(REMOTE_ADDR="203.0.113.77")
    client.get("/api/v1/search/?q=mug")
    response = client.get("/api/v1/search/?q=mug")
    body = _error(response, 429, "throttled")
    assert body["detail"].startswith("Request was throttled.")
    assert set(body) == {"detail", "code"}
    assert response.headers["Retry-After"]


def _handled(exc: Exception) -> tuple[int, Any]:
    response = exception_handler(exc, {})
    assert response is not None
    return response.status_code, response.data


def test_django_validation_errors_become_a_string_detail_plus_the_field_lists() -> None:
    status, body = _handled(DjangoValidationError(["Too short.", "Not text."]))
    assert (status, body) == (400, {"detail": "Too short. Not text.", "code": "invalid"})
    status, body = _handled(DjangoValidationError({"file": ["Not UTF-8."], "format": ["csv"]}))
    assert status == 400
    assert body == {
        "detail": "Invalid input.",
        "code": "invalid",
        "file": ["Not UTF-8."],
        "format": ["csv"],
    }


def test_non_field_messages_become_the_detail() -> None:
    # raised in a view (DRF answers a bare list) ...
    _, body = _handled(serializers.ValidationError("at most 100 product ids"))
    assert body == {"detail": "at most 100 product ids", "code": "invalid"}
    # ... or in a serializer's validate() (DRF answers non_field_errors, which stays)
    _, body = _handled(serializers.ValidationError({"non_field_errors": ["pick one", "or two"]}))
    assert body == {
        "detail": "pick one; or two",
        "code": "invalid",
        "non_field_errors": ["pick one", "or two"],
    }
    # nested serializer errors stay where they are; the detail is the generic sentence
    _, body = _handled(serializers.ValidationError({"shipping_address": {"city": ["Required."]}}))
    assert body == {
        "detail": "Invalid input.",
        "code": "invalid",
        "shipping_address": {"city": ["Required."]},
    }


def test_an_explicit_code_wins_over_the_default() -> None:
    _, body = _handled(exceptions.NotFound("no such capability", code="unknown_capability"))
    assert body == {"detail": "no such capability", "code": "unknown_capability"}


def test_the_schema_documents_the_error_answers(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code"]
    assert set(error["properties"]) == {"detail", "code"}
    ref = {"$ref": "#/components/schemas/Error"}
    paths = schema["paths"]

    def responses(path: str, method: str = "get") -> dict[str, Any]:
        found: dict[str, Any] = paths[path][method]["responses"]
        return found

    def documents_error(path: str, method: str, status: str) -> bool:
        answer = responses(path, method).get(status)
        return bool(answer) and answer["content"]["application/json"]["schema"] == ref

    # 400 where there is input: a request body or query parameters
    assert documents_error("/api/v1/recommendations/click/", "post", "400")
    assert documents_error("/api/v1/recommendations/cart/", "get", "400")
    assert documents_error("/api/v1/products/", "get", "400")
    # 401/403 where the view needs a login or staff
    for status in ("401", "403"):
        assert documents_error("/api/v1/account/", "get", status)
        assert documents_error("/api/v1/insights/segments/", "get", status)
    # 404 where the path names an object
    assert documents_error("/api/v1/mlops/training-runs/{run_id}/", "get", "404")
    assert documents_error("/api/v1/support/tickets/{ticket_id}/human/", "post", "404")
    # 404 for a paginated list (a page beyond the last), 429 where a throttle scope applies
    assert documents_error("/api/v1/orders/", "get", "404")
    assert documents_error("/api/v1/search/", "get", "429")
    assert documents_error("/api/v1/checkout/", "post", "429")
    assert "429" not in responses("/api/v1/cart/lines/", "post")
    # none of them where they cannot happen
    assert set(responses("/api/v1/categories/")) == {"200"}
    assert "401" not in responses("/api/v1/products/{product_id}/")
    assert "404" not in responses("/api/v1/account/")
    # an operation's own description of a status is kept
    own = responses("/api/v1/products/{product_id}/")["404"]
    assert own["description"] == "No such product"


def test_an_import_with_no_valid_row_is_an_error_body_with_its_report(
    staff_client: APIClient,
) -> None:
    response = staff_client.post(
        "/api/v1/pricing/competitor-prices/",
        {"rows": [{"sku": "NOPE", "competitor": "A", "price": "1"}]},
        format="json",
    )
    body = _error(response, 400, "invalid")
    assert body["detail"] == "No row was accepted."
    assert body["received"] == 1 and body["accepted"] == 0
    assert body["rejected"][0]["errors"] == ["unknown sku 'NOPE'"]
