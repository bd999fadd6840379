"""populate_demo writes four weeks of recommendation impressions and clicks, so the merchant's
recommendations report and dashboard panel show click-through per slot, source and A/B variant
on the demo store; the figures are the events' own counts."""

import datetime as dt
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from customers.models import Event
from demo.models import DemoRange, DemoRun, GroundTruth
from demo.services import FEEDBACK_DAYS, demo_populate
from demo.writer import demo_rows_remove
from mlops.models import Experiment, ExperimentEvent
from orders.models import OrderLine
from recommendations import facade
from tests.factories import UserFactory

SEED = 0


@pytest.fixture(scope="module")
def demo_store(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    # the history ends now: the admin report covers the last 30 days before the request
    with django_db_blocker.unblock():
        result = demo_populate(seed=SEED, scale="small")
        yield result
        with transaction.atomic():
            demo_rows_remove()
            GroundTruth.objects.all().delete()
            DemoRun.objects.all().delete()
        # the experiment the demo started is demo data: it goes with the rest
        assert not Experiment.objects.filter(key=facade.EXPERIMENT_KEY).exists()


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _counts_by_variant() -> tuple[Counter[str], Counter[str]]:
    """Items shown and clicks per variant, straight from the events."""
    shown: Counter[str] = Counter()
    clicks: Counter[str] = Counter()
    for kind, meta in Event.objects.filter(
        type__in=[Event.Type.REC_IMPRESSION, Event.Type.REC_CLICK]
    ).values_list("type", "metadata"):
        if kind == Event.Type.REC_IMPRESSION:
            shown[meta["variant"]] += len(meta["items"])
        else:
            clicks[meta["variant"]] += 1
    return shown, clicks


def test_admin_report_shows_impressions_clicks_and_ctr_per_variant_as_counted(
    db, demo_store, admin_client
) -> None:  # type: ignore[no-untyped-def]
    html = admin_client.get("/admin/recommendations/recommendationlist/").content.decode()
    table = html.split("Click-through by A/B variant", 1)[1].split("</table>", 1)[0]
    rows = {
        cells[0]: cells[1:]
        for cells in (
            re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", table)
        )
    }
    shown, clicks = _counts_by_variant()
    others = "(other slots: not A/B tested)"  # similar, bought together and cart have no arms
    assert set(rows) == {"blend", "popular", others}
    for variant, label in (("blend", "blend"), ("popular", "popular"), ("", others)):
        impressions, clicked, ctr, _revenue = rows[label]
        assert int(impressions) == shown[variant] > 500
        assert int(clicked) == clicks[variant] > 5
        assert float(ctr) == pytest.approx(clicks[variant] / shown[variant], abs=6e-5)
        assert 0.002 < float(ctr) < 0.1  # a store's click-through, not 0 % or 50 %
    # every slot appears in the breakdown by slot, variant and source
    detail = html.split("Click-through by slot, variant and source", 1)[1]
    from recommendations.models import Slot

    for key in ("for_you", "similar", "bought_together", "cart"):
        # the slot as the merchant names it ("For you"), its key as the tooltip
        assert f'<tr><td><span title="{key}">{Slot(key).label}</span></td>' in detail


def test_clicks_lead_to_purchases_with_revenue_attributed_to_the_lists(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from recommendations import selectors

    report = selectors.feedback_report()
    assert sum(r.revenue for r in report) > 0
    # revenue is what the clicked products sold for in the same session
    buys = {
        (s, o)
        for s, o in Event.objects.filter(type=Event.Type.PURCHASE).values_list(
            "session_id", "order_id"
        )
    }
    sold = {
        (s, p)
        for s, o in buys
        for p in OrderLine.objects.filter(order_id=o).values_list("product_id", flat=True)
    }
    clicks = list(
        Event.objects.filter(type=Event.Type.REC_CLICK).values_list("session_id", "product_id")
    )
    assert 0 < sum(c in sold for c in clicks) < len(clicks)


def test_shoppers_click_what_they_go_on_to_buy(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    """Click-through measures the lists: a card for a product the shopper bought afterwards
    is clicked far more often than one they never bought."""
    later: dict[int, list[tuple[int, dt.datetime]]] = {}
    for customer, product, placed in OrderLine.objects.filter(
        order__customer__isnull=False
    ).values_list("order__customer_id", "product_id", "order__placed_at"):
        later.setdefault(customer, []).append((product, placed))
    clicked = set(
        Event.objects.filter(type=Event.Type.REC_CLICK, customer__isnull=False).values_list(
            "customer_id", "product_id", "metadata__slot"
        )
    )
    outcome: Counter[tuple[bool, bool]] = Counter()
    for customer, at, meta in Event.objects.filter(
        type=Event.Type.REC_IMPRESSION, customer__isnull=False
    ).values_list("customer_id", "created_at", "metadata"):
        bought = {p for p, placed in later.get(customer, []) if placed >= at}
        for product in meta["items"]:
            hit = (customer, product, meta["slot"]) in clicked
            outcome[(product in bought, hit)] += 1
    wanted = outcome[(True, True)] / (outcome[(True, True)] + outcome[(True, False)])
    other = outcome[(False, True)] / (outcome[(False, True)] + outcome[(False, False)])
    assert wanted > 5 * other > 0


def test_dashboard_panel_shows_click_through_and_the_leading_variant(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from recommendations import selectors

    figures = selectors.dashboard_figures(days=7)
    first = timezone.localdate() - dt.timedelta(days=6)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    week = Event.objects.filter(created_at__gte=since)
    shown = sum(
        len(m["items"])
        for m in week.filter(type=Event.Type.REC_IMPRESSION).values_list("metadata", flat=True)
    )
    clicks = week.filter(type=Event.Type.REC_CLICK).count()
    assert (figures.impressions, figures.clicks) == (shown, clicks)
    assert clicks > 0
    assert set(figures.by_variant) == {"blend", "popular"}
    assert len({round(c / i, 3) for i, c in figures.by_slot.values()}) > 1  # slots differ

    items = facade.dashboard_panel()["items"]
    assert items["Click-through, last 7 days"].startswith(
        f"{clicks / shown:.1%} ({clicks:,} clicks"
    )
    assert "blend" in items["Leading A/B variant"] and "popular" in items["Leading A/B variant"]


def test_the_experiment_has_exposures_and_history_spans_four_weeks(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from mlops import experiments

    exp = Experiment.objects.get(key=facade.EXPERIMENT_KEY)
    assert exp.status == Experiment.Status.RUNNING and exp.variants == list(facade.STRATEGIES)
    results = experiments.experiment_results(facade.EXPERIMENT_KEY)
    assert results is not None
    assert all(v.exposures > 50 and v.conversions > 0 for v in results.variants)
    # each exposed customer gets the variant the storefront serves them
    for unit, variant in ExperimentEvent.objects.filter(
        experiment=exp, unit_id__startswith="c"
    ).values_list("unit_id", "variant")[:50]:
        assert facade.strategy_for(customer_id=int(unit[1:]), session_id="") == variant
    times = Event.objects.filter(type=Event.Type.REC_IMPRESSION).values_list(
        "created_at", flat=True
    )
    span = max(times) - min(times)
    assert dt.timedelta(days=FEEDBACK_DAYS - 1) < span <= dt.timedelta(days=FEEDBACK_DAYS)


def test_rerun_writes_the_same_feedback_and_keeps_a_merchants_experiment(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    # runs last in this module: it leaves the merchant's experiment in place of the demo's
    before = _counts_by_variant(), ExperimentEvent.objects.count()
    anchor = demo_store["anchor"].isoformat()
    call_command("populate_demo", seed=SEED, scale="small", now=anchor, verbosity=0)
    assert (_counts_by_variant(), ExperimentEvent.objects.count()) == before
    assert Experiment.objects.filter(key=facade.EXPERIMENT_KEY).count() == 1

    # a merchant who stopped the test with "popular" first: the history serves it to everyone
    exp = Experiment.objects.get(key=facade.EXPERIMENT_KEY)
    DemoRange.objects.filter(table=Experiment._meta.db_table, first_id=exp.pk).delete()
    exp.status, exp.variants = Experiment.Status.STOPPED, ["popular", "blend"]
    exp.save()
    call_command("populate_demo", seed=SEED, scale="small", now=anchor, verbosity=0)
    exp.refresh_from_db()
    assert exp.status == Experiment.Status.STOPPED
    shown, _ = _counts_by_variant()
    assert set(shown) == {"", "popular"}
    assert not ExperimentEvent.objects.filter(experiment=exp).exists()  # a stopped test logs none
    exp.delete()
