"""An integrating developer opens /api/docs/ on a machine without internet access: Swagger UI
comes from the store's own static files (drf-spectacular-sidecar), not a CDN."""

from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    with chromium_page(live_server.url, width=1280, height=900, timeout_ms=15_000) as pg:
        yield pg


@pytest.mark.django_db
def test_api_docs_render_swagger_ui_from_our_own_static_files(page) -> None:  # type: ignore[no-untyped-def]
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname or ""))
    page.goto(page.base + "/api/docs/")
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "mlstore API" in title.inner_text()
    page.locator(".swagger-ui .opblock").first.wait_for()  # the endpoints are listed
    assert hosts == {urlparse(page.base).hostname}, hosts
    page.screenshot(path=str(SHOTS / "api-docs.png"))
