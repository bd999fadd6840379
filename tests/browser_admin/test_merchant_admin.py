"""A merchant in headless Debian Chromium: log in, read the dashboard, open every ML page,
retrain a model and see the new version appear. Screenshots go to
test-artifacts/screenshots/admin-*.png."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils import timezone

from insights.ml.synthetic import planted_churn_store
from insights.synthetic_load import synthetic_store_load
from mlops import experiments
from tests.browser_support import BROWSER_MARKS, SHOTS, chromium_page
from tests.factories import ProductFactory, UserFactory

PASSWORD = "merchant-pass-phrase"

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    # A retrain runs inside the request here (tests train in-line), hence the long timeout.
    with chromium_page(live_server.url, width=1400, height=1000, timeout_ms=60_000) as pg:
        yield pg


@pytest.fixture
def store(settings):  # type: ignore[no-untyped-def]
    settings.ML_CAPABILITIES = [*settings.ML_CAPABILITIES, "insights"]
    products = [ProductFactory() for _ in range(8)]
    synthetic = planted_churn_store(n_customers=150, days=220, now=timezone.now(), seed=11)
    synthetic_store_load(synthetic, product_ids=[p.pk for p in products])
    experiments.experiment_create(key="rec-ranker", name="Recommendation ranker v2")
    for i in range(300):
        unit = f"session-{i}"
        experiments.exposure_log("rec-ranker", unit)
        if i % 7 == 0:
            experiments.conversion_log("rec-ranker", unit)
    user = UserFactory(username="merchant", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"admin-{name}.png"), full_page=True)


def test_merchant_dashboard_ml_pages_and_retrain(page, store) -> None:  # type: ignore[no-untyped-def]
    base = page.base
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "merchant")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#mlstore-home")
    assert page.inner_text("[data-testid=home-revenue]").startswith("£")
    _shot(page, "home")

    page.click("[data-testid=open-dashboard]")
    page.wait_for_selector("#chart-sales .main-svg")  # plotly drew the chart
    page.select_option("#period", "365")
    page.wait_for_url("**period=365")
    page.wait_for_selector("#chart-funnel .main-svg")
    # every chart is as wide as its box: drawn before the admin's layout settled, they were
    # wider (cut off at the right) or narrower than the box
    page.wait_for_function(
        """() => [...document.querySelectorAll('div[data-spec]')].every(box => {
            const svg = box.querySelector('.main-svg');
            const drawn = svg ? svg.getBoundingClientRect().width : 0;
            const room = box.getBoundingClientRect().width;
            return room > 0 && drawn >= 0.95 * room && drawn <= room + 1;
        })""",
        timeout=5000,
    )
    orders = int(page.inner_text("[data-testid=kpi-orders]"))
    assert orders > 100
    page.click("[data-testid=chart-products] summary")
    assert page.locator("[data-testid=table-products] tbody tr").count() >= 5
    assert page.locator("[data-testid=panel-fraud]").is_visible()
    _shot(page, "dashboard")

    for path, name in [
        ("/admin/mlops/modelversion/ops/", "ops"),
        ("/admin/mlops/modelversion/monitoring/", "monitoring"),
        ("/admin/mlops/modelversion/experiments/", "experiments"),
        ("/admin/insights/customerscore/abandoned-carts/", "abandoned-carts"),
    ]:
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        _shot(page, name)
    page.goto(f"{base}/admin/mlops/modelversion/experiments/")
    guidance = page.inner_text("[data-testid=experiment-rec-ranker] [data-testid=guidance]")
    assert guidance.startswith("Keep running")  # 300 units is below the planned sample
    for capability in settings.ML_CAPABILITIES:
        response = page.goto(f"{base}/admin/mlops/modelversion/ops/{capability}/")
        assert response.status == 200, capability
        _shot(page, f"ops-{capability}")

    # retrain customer intelligence from its page and watch the version appear
    page.goto(f"{base}/admin/mlops/modelversion/ops/insights/")
    assert page.locator("[data-testid=version-1]").count() == 0
    page.click("[data-testid=retrain]")
    page.wait_for_selector("[data-testid=version-1]")
    assert "active" in page.inner_text("[data-testid=version-1]")
    page.wait_for_selector("#chart-metrics .main-svg")
    _shot(page, "retrained")
    page.click("[data-testid=retrain]")
    page.wait_for_selector("[data-testid=version-2]")

    page.goto(f"{base}/admin/insights/customerscore/overview/")
    page.wait_for_selector("#chart-segments .main-svg")
    assert page.locator("[data-testid=segments] tbody tr").count() >= 3
    _shot(page, "insights")
