"""One error body everywhere: `detail` (a sentence) and `code` (a stable machine string), the
field messages at the top level where DRF puts them; and the schema documents it (`Error`)."""

from typing import Any

import jsonschema
import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from pricing.api import IMPORT_ERROR_SCHEMA
from storefront.api_errors import exception_handler
from storefront.schema import ERROR_SCHEMA
from tests.factories import ADDRESS, GOOD_CARD, CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _error(
    response: Any, status: int, code: str, schema: dict[str, Any] = ERROR_SCHEMA
) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content)
    body: dict[str, Any] = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    assert body["code"] == code, body
    jsonschema.validate(body, schema)  # what the schema's `Error` component promises
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


def test_a_body_in_an_unsupported_content_type_is_415_and_documented(
    api_client: APIClient,
) -> None:
    product = ProductFactory()
    response = api_client.patch(
        f"/api/v1/cart/lines/{product.pk}/", b"quantity=2", content_type="text/plain"
    )
    body = _error(response, 415, "unsupported_media_type")
    assert "text/plain" in body["detail"]
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    answer = schema["paths"]["/api/v1/cart/lines/{product_id}/"]["patch"]["responses"]["415"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    # only operations that take a body can answer it
    assert "415" not in schema["paths"]["/api/v1/products/"]["get"]["responses"]


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
    body = _error(response, 400, "invalid", IMPORT_ERROR_SCHEMA)
    assert body["detail"] == "No row was accepted."
    assert body["received"] == 1 and body["accepted"] == 0
    assert body["rejected"][0]["errors"] == ["unknown sku 'NOPE'"]


CHECKOUT = {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD}


def test_checkout_and_order_errors_are_error_bodies(api_client: APIClient) -> None:
    product = ProductFactory(with_stock=1)
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")

    def checkout(key: str | None, payload: dict[str, Any] = CHECKOUT) -> Any:
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        return api_client.post("/api/v1/checkout/", payload, format="json", **headers)

    body = _error(checkout(None), 400, "invalid")
    assert "idempotency_key" in body
    body = _error(checkout("k1", {**CHECKOUT, "shipping_address": {}}), 400, "invalid")
    assert body["shipping_address"]["city"] == ["This field is required."]
    type(product).objects.filter(pk=product.pk).update(is_active=False)
    body = _error(checkout("k1"), 409, "out_of_stock")
    assert body["lines"] == [body["detail"]]
    type(product).objects.filter(pk=product.pk).update(is_active=True)
    number = checkout("k1").json()["number"]
    other = ProductFactory()
    api_client.post("/api/v1/cart/lines/", {"product_id": other.pk}, format="json")
    body = _error(checkout("k1"), 422, "idempotency_key_reused")
    assert number in body["detail"] and body["idempotency_key"] == [body["detail"]]
    stranger = APIClient()
    body = _error(stranger.get(f"/api/v1/orders/{number}/"), 404, "not_found")
    assert set(body) == {"detail", "code"}
    stale = "00000000-0000-0000-0000-000000000000"
    body = _error(stranger.get("/api/v1/cart/", HTTP_X_CART_TOKEN=stale), 404, "not_found")
    assert body["cart"] == [body["detail"]]


def test_account_errors_are_error_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    client = APIClient()
    body = _error(
        client.post("/api/v1/account/register/", {"email": "no", "password": "x"}, format="json"),
        400,
        "invalid",
    )
    assert set(body) == {"detail", "code", "email", "password"}
    CustomerFactory(user__email="ada@example.com", user__username="ada@example.com")
    body = _error(
        client.post(
            "/api/v1/account/register/",
            {"email": "ada@example.com", "password": "a-long-pass-phrase"},
            format="json",
        ),
        400,
        "invalid",
    )
    assert body["email"] == ["an account with this e-mail already exists"]
    shopper = CustomerFactory()
    signed_in = APIClient()
    signed_in.force_authenticate(shopper.user)
    erase = "/api/v1/account/erase/"
    body = _error(signed_in.post(erase, {"password": "x", "confirm": False}), 400, "invalid")
    assert body["confirm"] == ["tick the box to confirm the deletion"]
    body = _error(signed_in.post(erase, {"password": "wrong", "confirm": True}), 400, "invalid")
    assert body["password"] == ["password is wrong"]
    # login's 429 (too many attempts) is the same body
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "login": "1/min"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    flooding = APIClient(REMOTE_ADDR="203.0.113.78")
    wrong = {"email": "ada@example.com", "password": "not-the-password"}
    _error(flooding.post("/api/v1/account/login/", wrong, format="json"), 400, "invalid")
    body = _error(flooding.post("/api/v1/account/login/", wrong, format="json"), 429, "throttled")
    assert set(body) == {"detail", "code"}


def test_staff_and_review_errors_are_error_bodies(
    api_client: APIClient, staff_client: APIClient, shopper_client: APIClient
) -> None:
    product = ProductFactory()
    _error(staff_client.get("/api/v1/forecasts/999999/"), 404, "not_found")
    body = _error(
        staff_client.get(f"/api/v1/forecasts/{product.pk}/?history_days=1"), 400, "invalid"
    )
    assert "history_days" in body
    _error(staff_client.get("/api/v1/forecasts/reorder-suggestions/?limit=0"), 400, "invalid")
    _error(staff_client.get("/api/v1/mlops/experiments/nope/results/"), 404, "not_found")
    _error(api_client.get("/api/v1/recommendations/similar/999999/"), 404, "not_found")
    reviews = f"/api/v1/products/{product.pk}/reviews/"
    _error(api_client.post(reviews, {"rating": 5}, format="json"), 401, "not_authenticated")
    body = _error(shopper_client.post(reviews, {"rating": 9}, format="json"), 400, "invalid")
    assert "rating" in body
    missing = "/api/v1/products/999999/reviews/"
    _error(shopper_client.post(missing, {"rating": 4}, format="json"), 404, "not_found")
    stale = {"cart_token": "00000000-0000-0000-0000-000000000000"}
    body = _error(
        shopper_client.post("/api/v1/cart/merge/", stale, format="json"), 404, "not_found"
    )
    assert body["cart_token"] == [body["detail"]]
    decide = staff_client.post(
        "/api/v1/pricing/proposals/decide/", {"ids": [], "action": "x"}, format="json"
    )
    assert set(_error(decide, 400, "invalid")) == {"detail", "code", "ids", "action"}
    body = _error(shopper_client.get("/api/v1/support/tickets/mine/?page=2"), 404, "not_found")
    assert body["detail"] == "Invalid page."
    _error(api_client.get("/api/v1/search/?q=mug&page=2"), 404, "not_found")


def test_every_client_error_an_operation_documents_is_the_error_body(
    api_client: APIClient,
) -> None:
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    ref = {"$ref": "#/components/schemas/Error"}
    documented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                body = answer["content"]["application/json"]["schema"]  # never words only
                if body != ref:  # the Error body with keys of its own (an import's report)
                    assert set(body["required"]) == {"detail", "code"}, (path, method, status)
                    assert body["additionalProperties"] == ERROR_SCHEMA["additionalProperties"]
                documented.append((path, method, status, answer["description"]))
    # the operation's own words stay next to the shared body
    assert (
        "/api/v1/checkout/",
        "post",
        "422",
        "Idempotency-Key already used for another cart",
    ) in documented
    assert ("/api/v1/account/login/", "post", "429", "Too many attempts") in documented
    assert ("/api/v1/orders/{number}/", "get", "404", "No such order") in documented
