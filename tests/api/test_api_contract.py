"""The API as an integrating developer meets it: documented shapes, 4xx (never 5xx) for bad
ids and parameters, token and cookie-less guest flows, JSON errors everywhere under /api/."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from fraud import services as fraud_services
from support.models import Ticket
from tests.factories import ADDRESS, GOOD_CARD, ProductFactory
from tests.fraud.factories import checkout

pytestmark = pytest.mark.django_db

HUGE = 10**30  # beyond any database integer: used to be an OverflowError (HTTP 500)


def test_huge_or_unknown_ids_are_404_or_400_never_500(
    api_client: APIClient,
    staff_client: APIClient,
) -> None:
    product = ProductFactory()
    for url in (
        f"/api/v1/recommendations/similar/{HUGE}/",
        f"/api/v1/recommendations/bought-together/{HUGE}/",
        "/api/v1/recommendations/similar/999999/",
        "/api/v1/recommendations/bought-together/999999/",
        f"/api/v1/products/{HUGE}/reviews/",
        "/api/v1/products/999999/reviews/",
        f"/api/v1/pricing/products/{HUGE}/reference-price/",
    ):
        response = api_client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json()["detail"]
    assert api_client.get(f"/api/v1/recommendations/similar/{product.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/products/{product.pk}/reviews/").status_code == 200
    cart_recs = api_client.get(f"/api/v1/recommendations/cart/?product_ids={HUGE}")
    assert cart_recs.status_code == 400 and "product_ids" in cart_recs.json()
    click = api_client.post(
        "/api/v1/recommendations/click/", {"product_id": HUGE, "slot": "similar"}, format="json"
    )
    assert click.status_code == 400 and "product_id" in click.json()
    assert staff_client.get(f"/api/v1/fraud/orders/{HUGE}/").status_code == 404
    decide = staff_client.post(
        f"/api/v1/fraud/reviews/{HUGE}/decision/", {"decision": "approve"}, format="json"
    )
    assert decide.status_code == 404
    assert staff_client.get(f"/api/v1/pricing/products/{HUGE}/proposal/").status_code == 404
    # a cart line of a huge id is no product, as for an unknown one (was: OverflowError, a 500)
    for answer in (
        api_client.delete(f"/api/v1/cart/lines/{HUGE}/"),
        api_client.patch(f"/api/v1/cart/lines/{HUGE}/", {"quantity": 1}, format="json"),
        api_client.delete("/api/v1/cart/lines/999999/"),
    ):
        assert answer.status_code == 400, answer.content
        assert answer.json()["product_id"] == ["no such product"]


def test_bad_query_parameters_are_400_not_ignored(
    api_client: APIClient, staff_client: APIClient
) -> None:
    ProductFactory(with_stock=0)
    in_stock = api_client.get("/api/v1/products/?in_stock=maybe")
    assert in_stock.status_code == 400 and "in_stock" in in_stock.json()
    assert api_client.get("/api/v1/products/?in_stock=true").json()["count"] == 0
    assert api_client.get("/api/v1/products/?in_stock=false").json()["count"] == 1
    deep = api_client.get(f"/api/v1/search/?q=product&page={10**18}")
    assert deep.status_code == 400 and "page" in deep.json()
    period = staff_client.get("/api/v1/mlops/dashboard/?period=bogus")
    assert period.status_code == 400 and "period" in period.json()


def test_logout_with_a_token_revokes_it() -> None:
    client = APIClient()
    token = client.post(
        "/api/v1/account/register/",
        {"email": "dev@example.com", "password": "a-long-pass-phrase"},
        format="json",
    ).json()["token"]
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert token_client.get("/api/v1/account/").status_code == 200
    assert token_client.post("/api/v1/account/logout/").status_code == 204
    assert token_client.get("/api/v1/account/").status_code in (401, 403)
    again = APIClient().post(
        "/api/v1/account/login/",
        {"email": "dev@example.com", "password": "a-long-pass-phrase"},
        format="json",
    )
    assert again.status_code == 200 and again.json()["token"] != token


def test_cookieless_guest_checks_out_and_reads_its_order_with_the_cart_token() -> None:
    product = ProductFactory(price="12.50", list_price="12.50")

    def client(token: str | None = None) -> APIClient:  # a fresh client: no cookies kept
        c = APIClient()
        if token:
            c.credentials(HTTP_X_CART_TOKEN=token)
        return c

    cart = client().get("/api/v1/cart/").json()
    assert cart["currency"] == "GBP" and cart["total"] == "0.00"
    token = cart["token"]
    added = client(token).post(
        "/api/v1/cart/lines/", {"product_id": product.pk, "quantity": 2}, format="json"
    )
    assert added.status_code == 201 and added.json()["subtotal"] == "25.00"
    order = client(token).post(
        "/api/v1/checkout/",
        {"email": "guest@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="guest-1",
    )
    assert order.status_code == 201, order.content
    number = order.json()["number"]
    detail = client(token).get(f"/api/v1/orders/{number}/")
    assert detail.status_code == 200 and detail.json()["total"] == order.json()["total"]
    other = client().get("/api/v1/cart/").json()["token"]
    assert client(other).get(f"/api/v1/orders/{number}/").status_code == 404
    assert client().get(f"/api/v1/orders/{number}/").status_code == 404
    malformed = client("not-a-uuid").get("/api/v1/cart/")
    assert malformed.status_code == 404 and malformed.json()["code"] == "not_found"
    assert client("not-a-uuid").get(f"/api/v1/orders/{number}/").status_code == 404


def test_schema_documents_what_the_endpoints_answer(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]

    def ok_schema(path: str, method: str = "get") -> str:
        responses = paths[path][method]["responses"]
        code = "200" if "200" in responses else "201"
        return str(responses[code]["content"]["application/json"]["schema"])

    # paginated lists are documented as pages ({count, next, previous, results})
    for path in (
        "/api/v1/pricing/proposals/",
        "/api/v1/pricing/elasticities/",
        "/api/v1/insights/customers/",
        "/api/v1/products/{product_id}/reviews/",
        "/api/v1/support/tickets/mine/",
        "/api/v1/fraud/reviews/",
    ):
        assert "Paginated" in ok_schema(path), path
    # removing a cart line answers 200 with the cart, like the other cart calls
    assert "CartOutput" in ok_schema("/api/v1/cart/lines/{product_id}/", "delete")
    # the header cookie-less clients need is documented
    for path, method in (
        ("/api/v1/cart/", "get"),
        ("/api/v1/cart/lines/", "post"),
        ("/api/v1/checkout/", "post"),
        ("/api/v1/orders/{number}/", "get"),
    ):
        names = {p["name"] for p in paths[path][method].get("parameters", [])}
        assert "X-Cart-Token" in names, path
    assert "Authorization: Token" in paths["/api/v1/account/login/"]["post"]["description"]
    components = schema.json()["components"]["schemas"]
    # search answers the same page, with its own keys added
    search = components["ProductSearchApiOutput"]
    assert "ProductSearchApiOutput" in ok_schema("/api/v1/search/")
    assert set(search["required"]) >= {"count", "next", "previous", "results", "corrected"}
    assert search["properties"]["next"].get("nullable") is True
    # the experiment's per-variant results are the point of the endpoint
    assert "variants" in components["ExperimentResultsApiOutput"]["properties"]
    # a product without a brand answers brand: null
    assert components["ProductOutput"]["properties"]["brand"].get("nullable") is True


def test_unknown_api_paths_answer_json_and_the_trailing_slash_is_optional(
    api_client: APIClient,
) -> None:
    missing = api_client.get("/api/v1/no-such-thing/")
    assert missing.status_code == 404 and missing.json() == {
        "detail": "Not found.",
        "code": "not_found",
    }
    product = ProductFactory()
    added = api_client.post("/api/v1/cart/lines", {"product_id": product.pk}, format="json")
    assert added.status_code == 201 and added.json()["item_count"] == 1
    assert api_client.get("/api/v1/products").json()["count"] == 1


def test_every_shopper_facing_price_says_its_currency(
    api_client: APIClient, shopper_client: APIClient
) -> None:
    product = ProductFactory(price="9.50", list_price="9.50")
    ProductFactory(category=product.category)
    listed = api_client.get("/api/v1/products/").json()["results"][0]
    detail = api_client.get(f"/api/v1/products/{product.pk}/").json()
    recs = api_client.get("/api/v1/recommendations/for-you/").json()["items"]
    assert listed["currency"] == detail["currency"] == "GBP" and detail["price"] == "9.50"
    assert recs and all(item["currency"] == "GBP" for item in recs)
    shopper_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    placed = shopper_client.post(
        "/api/v1/checkout/",
        {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD},
        format="json",
        HTTP_IDEMPOTENCY_KEY="cur-1",
    )
    assert placed.status_code == 201 and placed.json()["currency"] == "GBP"
    rebuy = shopper_client.get("/api/v1/account/rebuy/").json()
    assert rebuy and all(row["currency"] == "GBP" for row in rebuy)


def test_a_discontinued_product_in_the_cart_shows_as_unavailable(api_client: APIClient) -> None:
    product = ProductFactory(with_stock=9)
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    type(product).objects.filter(pk=product.pk).update(is_active=False)
    line = api_client.get("/api/v1/cart/").json()["lines"][0]
    # checkout refuses it as sold out, so the cart must not claim 9 in stock
    assert line["product_id"] == product.pk and line["available"] == 0


def test_page_size_bounds_are_documented(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    parameters = schema.json()["paths"]["/api/v1/products/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 60 and page_size["schema"]["default"] == 24
    ProductFactory()
    assert api_client.get("/api/v1/products/?page_size=1000").status_code == 200


def _walk(client: APIClient, url: str) -> list[dict[str, Any]]:
    """Every page of a list by following `next`, checking the envelope on the way."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        page = response.json()
        assert set(page) >= {"count", "next", "previous", "results"}, page.keys()
        pages.append(page)
        url = page["next"]
    return pages


def test_my_tickets_are_a_page_with_a_bounded_page_size(
    shopper: Customer, shopper_client: APIClient, api_client: APIClient
) -> None:
    Ticket.objects.bulk_create(
        Ticket(customer=shopper, subject=f"Request {i}", status=Ticket.Status.NEW)
        for i in range(61)
    )
    Ticket.objects.create(contact_email="someone@example.com", subject="not mine")
    first = shopper_client.get("/api/v1/support/tickets/mine/").json()
    assert first["count"] == 61 and len(first["results"]) == 24 and first["previous"] is None
    # a page_size above the bound is served as the bound (60), not refused
    pages = _walk(shopper_client, "/api/v1/support/tickets/mine/?page_size=1000")
    assert [len(page["results"]) for page in pages] == [60, 1]
    assert pages[1]["previous"] and "page_size=1000" in pages[1]["previous"]
    subjects = [t["subject"] for page in pages for t in page["results"]]
    assert len(set(subjects)) == 61 and "not mine" not in subjects
    beyond = shopper_client.get("/api/v1/support/tickets/mine/?page=9")
    assert beyond.status_code == 404 and beyond.json() == {
        "detail": "Invalid page.",
        "code": "not_found",
    }


def test_the_fraud_review_queue_is_a_page(staff_client: APIClient) -> None:
    fraud_services.risk_rule_create(name="big", expression="amount >= 100", action="review")
    held = [checkout(price=f"{100 + i}.00", key=f"held-{i}") for i in range(3)]
    checkout(price="20.00", key="small")
    pages = _walk(staff_client, "/api/v1/fraud/reviews/?page_size=2")
    assert [page["count"] for page in pages] == [3, 3]
    assert [len(page["results"]) for page in pages] == [2, 1]
    listed = [row["order_id"] for page in pages for row in page["results"]]
    assert sorted(listed) == sorted(order.pk for order in held)
    assert staff_client.get("/api/v1/fraud/reviews/").json()["count"] == 3


def test_search_answers_the_same_page_plus_what_the_query_was_read_as(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("Rain Jacket", "Down Jacket", "Shell Jacket"):
        ProductFactory(name=name)
    pages = _walk(api_client, "/api/v1/search/?q=jackte&page_size=2")
    assert [page["count"] for page in pages] == [3, 3]
    assert [len(page["results"]) for page in pages] == [2, 1]
    assert pages[0]["previous"] is None and pages[1]["previous"]
    assert api_client.get(pages[1]["previous"]).json() == pages[0]  # page 1 again
    first = pages[0]
    assert set(first) == {"count", "next", "previous", "results", "query", "corrected", "page"}
    assert (first["query"], first["corrected"], first["page"]) == ("jackte", "jacket", 1)
    names = {p["name"] for page in pages for p in page["results"]}
    assert names == {"Rain Jacket", "Down Jacket", "Shell Jacket"}
    # the bounds stay: refused (400), not served as the bound like the other lists
    for params, field in (("page_size=61", "page_size"), ("page=1001", "page")):
        refused = api_client.get(f"/api/v1/search/?q=jacket&{params}")
        assert refused.status_code == 400 and field in refused.json(), params
    # a page beyond the last is 404, as for the other lists
    beyond = api_client.get("/api/v1/search/?q=jacket&page=3&page_size=2")
    assert beyond.status_code == 404 and beyond.json()["code"] == "not_found"
    assert api_client.get("/api/v1/search/?q=zzzqqq").json()["count"] == 0  # page 1: empty
    # no next link to a page the bound refuses
    monkeypatch.setattr("catalog.api.SEARCH_MAX_PAGE", 2)
    assert api_client.get("/api/v1/search/?q=jacket&page=2&page_size=1").json()["next"] is None


def test_every_paged_list_takes_a_bounded_page_size(api_client: APIClient) -> None:
    """One page contract across the API: each list that answers a page documents page_size with
    its default and maximum (orders and customer scores used DRF's plain page, without it)."""
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paged = {}
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        ok = (get or {}).get("responses", {}).get("200", {}).get("content", {})
        ref = ok.get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref.split("/")[-1].startswith("Paginated"):
            names = {p["name"]: p for p in get.get("parameters", [])}
            paged[path] = names.get("page_size", {}).get("schema", {})
    assert {"/api/v1/orders/", "/api/v1/insights/customers/"} <= set(paged), sorted(paged)
    unbounded = [path for path, size in paged.items() if "maximum" not in size]
    assert unbounded == []


def test_the_orders_list_serves_page_size_up_to_its_bound(shopper_client: APIClient) -> None:
    product = ProductFactory(price="5.00", with_stock=10)
    for i in range(3):
        shopper_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
        body = {"email": "ada@example.com", "shipping_address": ADDRESS, "card_number": GOOD_CARD}
        placed = shopper_client.post(
            "/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"page-{i}"
        )
        assert placed.status_code == 201, placed.content
    pages = _walk(shopper_client, "/api/v1/orders/?page_size=2")
    assert [len(page["results"]) for page in pages] == [2, 1]
    assert len(shopper_client.get("/api/v1/orders/?page_size=1000").json()["results"]) == 3


def test_checkout_docs_say_a_201_can_be_a_declined_card(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    post = schema["paths"]["/api/v1/checkout/"]["post"]
    assert "declined" in post["responses"]["201"]["description"]
    example = post["requestBody"]["content"]["application/json"]["examples"]
    body = next(iter(example.values()))["value"]
    # the example is a body the endpoint accepts
    product = ProductFactory(price="5.00", with_stock=3)
    api_client.post("/api/v1/cart/lines/", {"product_id": product.pk}, format="json")
    placed = api_client.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="ex")
    assert placed.status_code == 201 and placed.json()["outcome"] == "confirmed"
