"""Permission matrix over every API endpoint, discovered from the URL configuration.

Staff-only endpoints (IsAdminUser) refuse anonymous users and shoppers; every endpoint
answers anonymous users, shoppers and staff without a server error.
"""

import re
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.permissions import IsAdminUser
from rest_framework.test import APIClient
from rest_framework.views import APIView

from tests.factories import CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, type]]:  # type: ignore[type-arg]
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "cls", None)
            if view_class is not None and issubclass(view_class, APIView):
                yield prefix + str(entry.pattern), view_class


def _concrete(route: str, product_id: int) -> str:
    route = re.sub(r"<int:[^>]+>", str(product_id), route)
    route = re.sub(r"<(str|slug|uuid|path):[^>]+>", "does-not-exist", route)
    route = route.replace("^", "").replace("$", "")
    return "/" + route


def api_routes() -> list[tuple[str, type]]:
    return [(r, v) for r, v in _walk(get_resolver().url_patterns) if r.startswith("api/v1/")]


def _is_staff_only(view: type) -> bool:
    return any(
        isinstance(p, type) and issubclass(p, IsAdminUser)
        for p in getattr(view, "permission_classes", [])
    )


def test_there_are_staff_only_and_public_endpoints() -> None:
    routes = api_routes()
    assert any(not _is_staff_only(v) for _, v in routes)


@pytest.mark.parametrize("role", ["anonymous", "shopper", "staff"])
def test_every_get_endpoint_answers_without_server_error(role: str) -> None:
    product = ProductFactory()
    client = APIClient()
    if role == "shopper":
        client.force_authenticate(CustomerFactory().user)
    elif role == "staff":
        client.force_authenticate(UserFactory(is_staff=True, is_superuser=True))
    failures = []
    for route, view in api_routes():
        if "get" not in {m.lower() for m in view.http_method_names} or not hasattr(view, "get"):
            continue
        url = _concrete(route, product.pk)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
        if _is_staff_only(view):
            if role == "anonymous" and response.status_code not in (401, 403):
                failures.append(f"{url}: anonymous got {response.status_code}")
            if role == "shopper" and response.status_code != 403:
                failures.append(f"{url}: shopper got {response.status_code}")
            if role == "staff" and response.status_code in (401, 403):
                failures.append(f"{url}: staff refused ({response.status_code})")
    assert not failures, failures


def test_staff_only_writes_refuse_shoppers() -> None:
    client = APIClient()
    client.force_authenticate(CustomerFactory().user)
    product = ProductFactory()
    refused = []
    for route, view in api_routes():
        if not _is_staff_only(view):
            continue
        for method in ("post", "put", "patch", "delete"):
            if hasattr(view, method):
                response = getattr(client, method)(_concrete(route, product.pk), {}, format="json")
                if response.status_code != 403:
                    refused.append(f"{method.upper()} {route}: {response.status_code}")
    assert not refused, refused


def test_the_staff_order_endpoints_are_in_the_matrix_as_staff_only() -> None:
    staff_orders = {r: v for r, v in api_routes() if r.startswith("api/v1/staff/orders/")}
    assert set(staff_orders) == {
        "api/v1/staff/orders/",
        "api/v1/staff/orders/<str:number>/",
        "api/v1/staff/orders/<str:number>/fulfil/",
        "api/v1/staff/orders/<str:number>/cancel/",
        "api/v1/staff/orders/<str:number>/approve/",
        "api/v1/staff/orders/<str:number>/refund/",
    }
    assert all(_is_staff_only(view) for view in staff_orders.values())
