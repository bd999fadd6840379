"""Every admin page a merchant can open renders, and the big logs stay cheap to browse.

`admin_client` is pytest-django's logged-in superuser."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Event
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _events(n: int) -> None:
    Event.objects.bulk_create(
        Event(
            type=Event.Type.VIEW,
            session_id=f"s{i}",
            customer=CustomerFactory(),
            product=ProductFactory(),
        )
        for i in range(n)
    )


def test_every_changelist_and_add_page_renders(admin_client) -> None:  # type: ignore[no-untyped-def]
    _events(3)
    request = admin_client.get("/admin/").wsgi_request
    failures = []
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages = [reverse(f"{prefix}_changelist")]
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"{prefix}_add"))
        for url in pages:
            status = admin_client.get(url).status_code
            if status != 200:
                failures.append((url, status))
    assert failures == []


def test_store_summary_is_on_the_site_index_only(admin_client) -> None:  # type: ignore[no-untyped-def]
    assert 'data-testid="home-revenue"' in admin_client.get("/admin/").content.decode()
    app_index = admin_client.get("/admin/catalog/")
    assert app_index.status_code == 200
    assert 'data-testid="home-revenue"' not in app_index.content.decode()


def test_customer_changelist_queries_do_not_grow_with_rows(admin_client) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:customers_customer_changelist")
    CustomerFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    CustomerFactory.create_batch(20)
    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_event_log_changelist_queries_do_not_grow_with_rows(admin_client) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:customers_event_changelist")
    _events(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    _events(20)
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    # the date filter replaces the date hierarchy: its "Today" link keeps every fresh event
    html = response.content.decode()
    assert "created_at__gte=" in html and "date_hierarchy" not in html
    today = admin_client.get(url, {"created_at__gte": _today_bound(html)})
    assert today.status_code == 200
    assert today.context["cl"].result_count == 22


def _today_bound(html: str) -> str:
    import html as html_lib
    import re
    from urllib.parse import parse_qs, urlsplit

    links = re.findall(r'href="(\?[^"]*created_at__gte=[^"]*)"', html)
    query = parse_qs(urlsplit(html_lib.unescape(links[0])).query)
    return query["created_at__gte"][0]
