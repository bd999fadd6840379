from collections.abc import Iterator

import pytest

from tests.browser_support import chromium_page


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A Chromium page on the live server, desktop size."""
    with chromium_page(live_server.url, width=1280, height=900, timeout_ms=10_000) as pg:
        yield pg
