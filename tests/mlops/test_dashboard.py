from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mlops import dashboard
from orders.models import Order
from tests.factories import CategoryFactory, CustomerFactory, ProductFactory, UserFactory
from tests.mlops.factories import events_create, order_create

pytestmark = pytest.mark.django_db


def _store(n_orders: int, *, seed_offset: int = 0) -> None:
    now = timezone.now()
    cats = [CategoryFactory() for _ in range(3)]
    products = [ProductFactory(category=cats[i % 3], price=Decimal(10 + i)) for i in range(6)]
    customer = CustomerFactory()
    for i in range(n_orders):
        order_create(
            customer=customer,
            products=[(products[i % 6], 1 + i % 2), (products[(i + 1) % 6], 1)],
            placed_at=now - timedelta(days=i % 20, hours=1),
        )
        events_create(
            session_id=f"s{seed_offset}-{i}",
            types=["view", "add_to_cart", "checkout_start", "purchase"][: 1 + i % 4],
            at=now - timedelta(days=i % 20, hours=2),
        )


@pytest.fixture
def admin_client(client):  # type: ignore[no-untyped-def]
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_dashboard_totals_match_paid_orders_in_period() -> None:
    now = timezone.now()
    product = ProductFactory(price=Decimal("25.00"))
    order_create(customer=None, products=[(product, 2)], placed_at=now - timedelta(days=1))
    order_create(customer=None, products=[(product, 1)], placed_at=now - timedelta(days=2))
    # outside the 7-day period, cancelled and on-hold orders are not revenue
    order_create(customer=None, products=[(product, 4)], placed_at=now - timedelta(days=10))
    order_create(
        customer=None, products=[(product, 9)], placed_at=now, status=Order.Status.CANCELLED
    )
    order_create(customer=None, products=[(product, 9)], placed_at=now, status=Order.Status.ON_HOLD)

    data = dashboard.dashboard_get(period_key="7")

    assert data.revenue == Decimal("75.00")
    assert data.orders == 2
    assert data.aov == Decimal("37.50")
    assert sum(row[1] for row in data.tables["sales"].rows) == Decimal("75.00")
    assert data.tables["products"].rows[0][2] == 3  # units
    assert data.revenue_change == -0.25  # previous 7 days: 100.00


def test_funnel_counts_sessions_per_step() -> None:
    now = timezone.now()
    events_create(session_id="a", types=["view", "view", "add_to_cart"], at=now)
    events_create(
        session_id="b", types=["view", "add_to_cart", "checkout_start", "purchase"], at=now
    )
    events_create(session_id="c", types=["view"], at=now)

    rows = dashboard.dashboard_get(period_key="7", with_panels=False).tables["funnel"].rows

    assert [r[1] for r in rows] == [3, 2, 1, 1]
    assert rows[1][2] == "66.7%"


def test_dashboard_query_count_does_not_grow_with_the_store(
    django_assert_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    _store(5)
    with CaptureQueriesContext(connection) as small:
        dashboard.dashboard_get(period_key="30")
    _store(60, seed_offset=1)
    with CaptureQueriesContext(connection) as big:
        dashboard.dashboard_get(period_key="30")
    assert len(small.captured_queries) == len(big.captured_queries)
    with django_assert_num_queries(6):  # no rollups yet: everything live
        dashboard.dashboard_get(period_key="30", with_panels=False)
    dashboard.dashboard_rollups_refresh()
    with django_assert_num_queries(10):  # rollups for closed days + live today
        dashboard.dashboard_get(period_key="365", with_panels=False)


def test_rollups_give_the_same_dashboard_as_live_queries() -> None:
    _store(40)
    lives = {
        key: dashboard.dashboard_get(period_key=key, with_panels=False, use_rollups=False)
        for key in dashboard.PERIODS
    }
    summary = dashboard.dashboard_rollups_refresh()
    assert summary["rows"] > 0
    for period_key, live in lives.items():
        rolled = dashboard.dashboard_get(period_key=period_key, with_panels=False)
        assert rolled.rollups_through is not None
        assert (rolled.revenue, rolled.orders, rolled.aov) == (live.revenue, live.orders, live.aov)
        assert rolled.revenue_change == live.revenue_change
        for key in ("sales", "funnel", "products", "categories"):
            assert rolled.tables[key].rows == live.tables[key].rows, (period_key, key)
    live = lives["30"]
    # an order placed after the refresh shows up at once (today is always live)
    product = ProductFactory(price=Decimal("999.00"))
    order_create(customer=None, products=[(product, 1)], placed_at=timezone.now())
    after = dashboard.dashboard_get(period_key="30", with_panels=False)
    assert after.revenue == live.revenue + Decimal("999.00")
    assert after.tables["products"].rows[0][1] == product.name


def test_dashboard_page_query_count_is_constant(admin_client) -> None:  # type: ignore[no-untyped-def]
    _store(5)
    dashboard.dashboard_rollups_refresh()
    with CaptureQueriesContext(connection) as small:
        assert admin_client.get("/admin/mlops/modelversion/dashboard/").status_code == 200
    _store(50, seed_offset=1)
    dashboard.dashboard_rollups_refresh()
    with CaptureQueriesContext(connection) as big:
        response = admin_client.get("/admin/mlops/modelversion/dashboard/?period=90")
    assert response.status_code == 200
    assert len(small.captured_queries) == len(big.captured_queries)


def test_first_dashboard_visit_builds_the_rollups(admin_client) -> None:  # type: ignore[no-untyped-def]
    from mlops.models import RollupState

    _store(3)
    assert admin_client.get("/admin/mlops/modelversion/dashboard/").status_code == 200
    assert RollupState.objects.get().through_day == timezone.localdate() - timedelta(days=1)


def test_dashboard_page_shows_kpis_tables_and_unavailable_panels(admin_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pricing import facade as pricing
    from recommendations import facade as recommendations

    def broken() -> dict[str, object]:
        raise RuntimeError("panel bug")

    _store(4)
    html = admin_client.get("/admin/mlops/modelversion/dashboard/?period=30").content.decode()
    assert 'data-testid="kpi-revenue"' in html
    assert 'data-testid="table-funnel"' in html and "Table view" in html
    assert "Fraud review queue" in html
    # a failing panel never takes the page down: "Not available.", or the commerce figures
    monkeypatch.setattr(pricing, "dashboard_panel", broken)
    monkeypatch.setattr(recommendations, "dashboard_panel", broken)
    html = admin_client.get("/admin/mlops/modelversion/dashboard/?period=30").content.decode()
    box = html.split('data-testid="panel-pricing"', 1)[1].split("</div>", 1)[0]
    assert "Not available." in box
    box = html.split('data-testid="panel-recommendations"', 1)[1].split("</div>", 1)[0]
    assert "From store data" in box


def test_every_chart_exports_csv(admin_client) -> None:  # type: ignore[no-untyped-def]
    _store(4)
    for table in ("sales", "funnel", "products", "categories"):
        response = admin_client.get(
            f"/admin/mlops/modelversion/dashboard/export/{table}.csv?period=7"
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        header = response.content.decode().splitlines()[0]
        assert header.split(",")[0] in {"date", "step", "sku", "category"}
    assert (
        admin_client.get("/admin/mlops/modelversion/dashboard/export/nope.csv").status_code == 404
    )


def test_dashboard_needs_staff(client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(is_staff=False))
    response = client.get("/admin/mlops/modelversion/dashboard/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_home_links_to_dashboard(admin_client) -> None:  # type: ignore[no-untyped-def]
    html = admin_client.get("/admin/").content.decode()
    assert "/admin/mlops/modelversion/dashboard/" in html
    assert 'data-testid="home-revenue"' in html


def test_plotly_js_comes_from_the_installed_wheel(admin_client) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.get("/admin/mlops/modelversion/plotly.js")
    assert response.status_code == 200
    assert b"plotly" in response.content[:2000].lower()


def test_money_on_the_admin_home_and_dashboard_reads_like_the_storefront(admin_client) -> None:  # type: ignore[no-untyped-def]
    import re

    _store(4)
    home = admin_client.get("/admin/").content.decode()
    board = admin_client.get("/admin/mlops/modelversion/dashboard/?period=30").content.decode()
    # "£1,234.50", not "GBP 1234.50"
    money = re.compile(r"£\d{1,3}(,\d{3})*\.\d\d<")
    assert money.search(home.split('data-testid="home-revenue">')[1][:40])
    assert money.search(board.split('data-testid="kpi-revenue">')[1][:40])
    assert "GBP " not in home and "GBP " not in board


def test_pricing_reorder_and_support_panels_show_figures_once_their_apps_have_data(
    admin_client,
) -> None:  # type: ignore[no-untyped-def]
    # After make demo's training these three panels said "Not available." although the
    # merchant had 140 pending price proposals, reorder suggestions and open tickets.
    from forecasting.models import ReorderSuggestion
    from support.models import Ticket
    from tests.pricing.factories import PriceProposalFactory

    PriceProposalFactory.create_batch(2)
    low = ProductFactory()
    ReorderSuggestion.objects.create(
        product=low,
        on_hand=2,
        lead_time_days=7,
        service_level=0.95,
        lead_time_demand=6.0,
        safety_stock=3.0,
        reorder_point=9.0,
        order_quantity=20,
        stockout_risk=0.8,
        projected_stockout_date=timezone.localdate() + timedelta(days=3),
        model_version="forecasting-v1",
    )
    Ticket.objects.create(subject="Where is my parcel", wants_human=True)
    Ticket.objects.create(subject="Thanks", status=Ticket.Status.SOLVED)
    html = admin_client.get("/admin/mlops/modelversion/dashboard/").content.decode()
    for app in ("pricing", "forecasting", "support"):
        box = html.split(f'data-testid="panel-{app}"', 1)[1].split('<div class="mls-box"', 1)[0]
        assert "Not available." not in box, app
    pricing = html.split('data-testid="panel-pricing"', 1)[1]
    assert '<th scope="row">Awaiting approval</th><td>2</td>' in pricing
    forecasting = html.split('data-testid="panel-forecasting"', 1)[1]
    assert "at or below their reorder point</th><td>1</td>" in forecasting
    support = html.split('data-testid="panel-support"', 1)[1]
    assert '<th scope="row">Open tickets</th><td>1</td>' in support
    assert '<th scope="row">Asking for a person</th><td>1</td>' in support


def _rec_events(*, slot: str, variant: str, shown: int, clicks: int, at) -> None:  # type: ignore[no-untyped-def]
    from customers.models import Event

    Event.objects.bulk_create(
        [
            Event(
                type="rec_impression",
                session_id=f"r{slot}{variant}",
                created_at=at,
                metadata={
                    "slot": slot,
                    "variant": variant,
                    "items": list(range(1, shown + 1)),
                    "sources": ["fallback"] * shown,
                },
            )
        ]
        + [
            Event(
                type="rec_click",
                session_id=f"r{slot}{variant}",
                created_at=at,
                metadata={"slot": slot, "variant": variant, "source": "fallback"},
            )
            for _ in range(clicks)
        ]
    )


def test_recommendations_panel_comes_from_the_app_before_and_after_training(
    admin_client,
) -> None:  # type: ignore[no-untyped-def]
    # the panel said "From store data (the app has no dashboard panel yet)"
    from customers.models import Customer, Event
    from mlops.models import ModelVersion
    from recommendations.models import RecommendationList

    def panel() -> str:
        html = admin_client.get("/admin/mlops/modelversion/dashboard/").content.decode()
        return html.split('data-testid="panel-recommendations"', 1)[1].split('data-testid="panel-')[
            0
        ]

    box = panel()
    assert "From store data" not in box and "Not available." not in box
    assert "<td>no recommendations shown yet</td>" in box
    assert "<td>fallback: popular items (no model trained yet)</td>" in box
    assert '<a href="/admin/recommendations/recommendationlist/">' in box
    _rec_events(slot="cart", variant="", shown=10, clicks=0, at=timezone.now())
    box = panel()
    assert "0.0% (0 clicks / 10 items shown)" in box and "Best slot" not in box
    Event.objects.filter(metadata__slot="cart").delete()

    now = timezone.now()
    _rec_events(slot="for_you", variant="blend", shown=100, clicks=6, at=now)
    _rec_events(slot="for_you", variant="popular", shown=100, clicks=2, at=now)
    _rec_events(slot="similar", variant="", shown=50, clicks=4, at=now - timedelta(days=1))
    _rec_events(slot="cart", variant="", shown=400, clicks=40, at=now - timedelta(days=9))  # old
    customers = CustomerFactory.create_batch(4)
    RecommendationList.objects.create(customer=customers[0], items=[], model_version="v1")
    ModelVersion.objects.create(
        capability="recommendations",
        version=3,
        status=ModelVersion.Status.ACTIVE,
        sha256="0" * 64,
        metrics={"ndcg@10": 0.2512, "popularity_ndcg@10": 0.1},
    )
    box = panel()
    # 12 clicks on 250 items shown in the last 7 days; the 9-day-old cart traffic is out
    assert '<th scope="row">Click-through, last 7 days</th><td>4.8% (12 clicks / 250' in box
    assert "<td>Similar products (8.0%)</td>" in box
    assert "<td>blend (6.0% vs popular 2.0%)</td>" in box
    assert "<td>recommendations-v3 (NDCG@10 0.251 vs popular 0.100)</td>" in box
    assert f"<td>1 of {Customer.objects.count()} (" in box
    assert "Click-through per day (%)" in box
    # drawn as a chart, with its figures in the table view: yesterday 4 of 50, today 8 of 200
    assert 'id="chart-trend-recommendations"' in box
    trend = box.split('data-testid="trend-recommendations">', 1)[1].split("</table>")[0]
    assert "<td>8.0</td>" in trend and "<td>4.0</td>" in trend
