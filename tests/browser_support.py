"""Shared Playwright set-up: Debian Chromium launched headless with this machine's flags."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
# Without the background-networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian chromium"),
]


@contextmanager
def chromium_page(base_url: str, *, width: int, height: int, timeout_ms: int) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    SHOTS.mkdir(parents=True, exist_ok=True)
    # Playwright's sync API runs an event loop in this thread; the ORM calls a test makes meanwhile
    # are plain synchronous setup, not async code.
    with pytest.MonkeyPatch.context() as mp, sync_api.sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(timeout_ms)
        page = context.new_page()
        page.base = base_url
        try:
            yield page
        finally:
            context.close()
            browser.close()


def shopper_login(page: Any, *, email: str, password: str) -> None:
    """Sign in on the store's login page and wait for the account page."""
    page.goto(page.base + "/account/login/")
    page.locator("form[data-auth-form] input[name=email]").fill(email)
    page.locator("form[data-auth-form] input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url("**/account/")
