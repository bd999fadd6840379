"""Hypothesis-generated hostile input for every validator a user or a feed can reach: the
answer is a clear refusal (4xx, RuleSyntaxError, CommandError), never a crash, and refused
input leaves the data as it was."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from catalog.models import Product, Stock
from fraud.rules import RuleSyntaxError, rule_compile
from orders.models import Order
from pricing.models import CompetitorPrice
from pricing.services import competitor_prices_import, competitor_prices_import_csv
from storefront.api_errors import ServiceError
from support.models import Ticket
from support.services import tickets_import
from tests.factories import CustomerFactory, ProductFactory

FIXTURES_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
examples = settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES_OK)

junk_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
)
# What a JSON client can send (the encoder refuses NaN; raw bodies are tested separately).
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
junk_json = st.recursive(
    json_scalar,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _field_or_junk(valid: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(valid), junk_json)


# --------------------------------------------------------------------------- fraud rules
RULE_NAMES = ["amount", "ip_country", "billing_country", "account_age_days", "score"]
rule_tokens = st.sampled_from(
    RULE_NAMES
    + ["and", "or", "not", "(", ")", ">", "<", "==", "!=", ">=", "in", "[", "]", ",", "'GB'"]
    + ["1000", "0.5", "__import__", "os", ".", "lambda", "x", ":", "**", "open", "'", "\x00"]
    + ["->", "review", "exec", "globals()", "[].__class__", "9" * 400]
)


@examples
@given(text=st.one_of(st.text(max_size=600), st.lists(rule_tokens, max_size=40).map(" ".join)))
def test_any_rule_text_compiles_or_is_refused_with_a_message(text: str) -> None:
    try:
        rule = rule_compile(text, known_names=RULE_NAMES)
    except RuleSyntaxError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert rule.names <= set(RULE_NAMES)
    values = {"amount": Decimal("12.50"), "ip_country": "GB", "billing_country": "FR"}
    assert rule.matches(values) in (True, False)  # missing names never raise


# --------------------------------------------------------------------------- competitor feed
@pytest.mark.django_db
@examples
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "sku": st.one_of(st.sampled_from(["KNOWN-1", "KNOWN-2", "nope", ""]), junk_scalar),
                "competitor": _field_or_junk("Shop B"),
                "price": st.one_of(
                    st.decimals(min_value=-100, max_value=1000, places=2).map(str), junk_scalar
                ),
                "observed_at": st.one_of(st.just(None), junk_scalar),
            }
        ),
        max_size=8,
    )
)
def test_competitor_feed_stores_exactly_the_valid_rows(rows: list[dict[str, Any]]) -> None:
    if not Product.objects.filter(sku="KNOWN-1").exists():
        ProductFactory(sku="KNOWN-1")
        ProductFactory(sku="KNOWN-2")
    before = CompetitorPrice.objects.count()
    report = competitor_prices_import(rows=rows)
    assert report.received == len(rows)
    assert report.accepted + len(report.rejected) == len(rows)
    assert all(r["errors"] for r in report.rejected)
    assert CompetitorPrice.objects.count() == before + report.accepted
    assert not CompetitorPrice.objects.filter(price__lte=0).exists()


@pytest.mark.django_db
@examples
@given(text=st.text(max_size=500))
@example(text="sku,competitor,price\nA\rB,shop,1\n")  # a lone CR once gave a 500
@example(text="sku,competitor,price\nA,\x00,1\n")
def test_competitor_csv_garbage_is_refused_or_reported(text: str) -> None:
    before = CompetitorPrice.objects.count()
    try:
        report = competitor_prices_import_csv(text=text)
    except ServiceError as exc:
        assert exc.message
        assert CompetitorPrice.objects.count() == before
        return
    assert CompetitorPrice.objects.count() == before + report.accepted


# --------------------------------------------------------------------------- support tickets
@pytest.mark.django_db
@examples
@given(
    payload=st.one_of(
        st.fixed_dictionaries(
            {
                "body": st.one_of(
                    st.text(max_size=300),
                    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                    junk_json,
                ),
                "email": _field_or_junk("guest@example.com"),
                "subject": _field_or_junk("Help"),
                "order_number": _field_or_junk(""),
            }
        ),
        junk_json,
    )
)
def test_ticket_api_answers_201_or_400_and_refusals_store_nothing(payload: Any) -> None:
    cache.clear()  # the ticket throttle is not what this test is about
    before = Ticket.objects.count()
    response = APIClient().post("/api/v1/support/tickets/", payload, format="json")
    assert response.status_code in (201, 400), response.content[:300]
    if response.status_code == 400:
        assert isinstance(response.json(), dict) and response.json()
        assert Ticket.objects.count() == before
    else:
        assert Ticket.objects.count() == before + 1


@pytest.mark.django_db
@examples
@given(
    content=st.one_of(st.binary(max_size=400), junk_json.map(json.dumps)),
    fmt=st.sampled_from(["csv", "json", "xml"]),
)
def test_ticket_import_is_all_or_nothing(content: bytes | str, fmt: str) -> None:
    before = Ticket.objects.count()
    try:
        result = tickets_import(content=content, fmt=fmt)
    except ValidationError as exc:
        assert exc.message_dict
        assert Ticket.objects.count() == before
        return
    assert Ticket.objects.count() == before + result["created"]


# --------------------------------------------------------------------------- cart and checkout
@pytest.mark.django_db
@examples
@given(
    payload=st.one_of(
        st.fixed_dictionaries(
            {
                "email": _field_or_junk("buyer@example.com"),
                "shipping_address": _field_or_junk(
                    {
                        "full_name": "A Buyer",
                        "line1": "1 High St",
                        "city": "Leeds",
                        "postal_code": "LS1 1AA",
                        "country": "GB",
                    }
                ),
                "card_number": _field_or_junk("4242424242424242"),
                "card_expiry": _field_or_junk("12/30"),
                "card_cvc": st.one_of(junk_json, st.just("123")),
            }
        ),
        junk_json,
    ),
    key=st.text(max_size=300),
)
def test_checkout_refuses_bad_payloads_without_touching_stock(payload: Any, key: str) -> None:
    cache.clear()
    product = Product.objects.filter(sku="HYPO-CHECKOUT").first() or ProductFactory(
        sku="HYPO-CHECKOUT", with_stock=5
    )
    client = APIClient()
    client.force_authenticate(CustomerFactory().user)
    assert (
        client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json").status_code
        == 201
    )
    stock_before = Stock.objects.get(product=product).on_hand
    orders_before = Order.objects.count()
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key.isprintable() else {}
    response = client.post("/api/v1/checkout/", payload, format="json", **headers)
    assert response.status_code < 500, response.content[:300]
    if response.status_code != 201:
        assert Order.objects.count() == orders_before
        assert Stock.objects.get(product=product).on_hand == stock_before


@pytest.mark.django_db
@examples
@given(
    payload=st.one_of(
        st.fixed_dictionaries({"product_id": json_scalar, "quantity": json_scalar}), junk_json
    )
)
def test_cart_line_add_refuses_junk_with_400(payload: Any) -> None:
    client = APIClient()
    response = client.post("/api/v1/cart/lines/", payload, format="json")
    assert response.status_code in (201, 400, 404, 409), response.content[:300]
    if response.status_code == 400:
        assert response.json()


@pytest.mark.django_db
@examples
@given(
    body=st.binary(max_size=400),
    path=st.sampled_from(["/api/v1/support/tickets/", "/api/v1/cart/lines/", "/api/v1/checkout/"]),
)
def test_raw_garbage_bodies_get_a_4xx(body: bytes, path: str) -> None:
    cache.clear()
    response = APIClient().post(path, body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content[:300]


# --------------------------------------------------------------------------- dataset import CLI
@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES_OK)
@given(content=st.one_of(st.binary(max_size=2000), st.text(max_size=2000).map(str.encode)))
def test_import_dataset_cli_refuses_garbage_in_one_line(
    content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path: Path = tmp_path_factory.mktemp("imp") / "retail.csv"
    path.write_bytes(content)
    products_before = Product.objects.count()
    orders_before = Order.objects.count()
    try:
        call_command("import_dataset", "online-retail", str(path), verbosity=0)
    except CommandError as exc:
        assert str(exc) and "\n" not in str(exc).strip()
        assert Product.objects.count() == products_before
        assert Order.objects.count() == orders_before
