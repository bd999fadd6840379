"""Property-based API fuzzing from our own OpenAPI schema (bounded for CI).

Every operation gets generated valid and invalid requests; none may answer with a 5xx, and
documented responses must match the schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from storefront.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_has_no_server_errors(case) -> None:  # type: ignore[no-untyped-def]
    if case.method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
        case.headers = {**(case.headers or {}), "Idempotency-Key": "fuzz"}
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
