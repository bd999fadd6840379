"""populate_demo at small scale: deterministic, consistent with its ground truth, re-runnable."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import (
    Category,
    PriceHistory,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Review,
    Stock,
    StockMovement,
)
from customers.models import Customer, Event
from demo import facade, vocab
from demo.models import DemoRun, GroundTruth
from demo.services import demo_populate
from demo.simulate import US_PER_DAY, Simulator
from demo.writer import demo_rows_remove
from orders.models import Cart, Chargeback, Order, OrderLine, Payment

ANCHOR = dt.datetime(2026, 3, 14, 15, 30, tzinfo=dt.UTC)
SEED = 7


@pytest.fixture(scope="module")
def demo_store(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        result = demo_populate(seed=SEED, scale="small", anchor=ANCHOR)
        yield result
        with transaction.atomic():
            demo_rows_remove()
            GroundTruth.objects.all().delete()
            DemoRun.objects.all().delete()


def _snapshot() -> dict[str, object]:
    return {
        "products": list(
            Product.objects.order_by("sku").values_list(
                "sku", "name", "price", "list_price", "cost"
            )
        ),
        "stock": list(
            Stock.objects.order_by("product__sku").values_list("product__sku", "on_hand")
        ),
        "orders": list(
            Order.objects.order_by("number").values_list("number", "total", "status", "placed_at")
        ),
        "lines": OrderLine.objects.aggregate(q=Sum("quantity"), n=Count("id")),
        "events": Counter(Event.objects.values_list("type", flat=True)),
        "fraud": sorted(facade.ground_truth("fraud")),
        "segments": Counter(v["segment"] for v in facade.ground_truth("segment").values()),
        "purchase_orders": list(
            PurchaseOrderLine.objects.order_by(
                "purchase_order__created_at", "purchase_order__supplier__name", "product__sku"
            ).values_list(
                "purchase_order__supplier__name",
                "purchase_order__status",
                "purchase_order__expected_date",
                "purchase_order__sent_at",
                "product__sku",
                "quantity_ordered",
                "quantity_received",
                "unit_cost",
            )
        ),
    }


def test_same_seed_same_world_and_other_seed_differs() -> None:
    a = Simulator(seed=1, scale="small", anchor=ANCHOR).run()
    b = Simulator(seed=1, scale="small", anchor=ANCHOR).run()
    c = Simulator(seed=2, scale="small", anchor=ANCHOR).run()
    assert a.count() == b.count()
    for table in ("products", "orders", "orderlines", "events"):
        for col, values in a.tables[table].items():
            assert np.array_equal(np.asarray(values), np.asarray(b.tables[table][col])), (
                table,
                col,
            )
    assert a.tables["products"]["name"] != c.tables["products"]["name"]


def test_history_ends_now_with_recent_orders(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    assert span["last"] <= ANCHOR
    assert ANCHOR - span["last"] < dt.timedelta(hours=3)
    assert ANCHOR - span["first"] > dt.timedelta(days=330)  # about a year of history
    assert Order.objects.filter(placed_at__gte=ANCHOR - dt.timedelta(days=1)).count() >= 5
    assert Event.objects.aggregate(m=Max("created_at"))["m"] <= ANCHOR
    # shoppers buy more in the evening than at 4 am
    hours = Counter(t.hour for t in Order.objects.values_list("placed_at", flat=True))
    assert hours[20] > 2 * hours[4]


def test_orders_add_up_and_carts_are_often_abandoned(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    for order in Order.objects.prefetch_related("lines", "payments")[:300]:
        lines = sum((line.line_total for line in order.lines.all()), Decimal("0"))
        assert order.subtotal == lines
        assert order.total == order.subtotal + order.shipping
        assert [p.amount for p in order.payments.all()] == [order.total]
    statuses = Counter(Cart.objects.values_list("status", flat=True))
    assert statuses["abandoned"] > 0.3 * statuses["ordered"]
    assert Order.objects.filter(status="fulfilled").count() > 0.9 * Order.objects.count()


def test_searches_contain_typos(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    words = set()
    for leaves in vocab.CATALOG.values():
        for spec in leaves.values():
            for phrase in spec["nouns"] + spec["adjs"]:
                words.update(phrase.lower().split())
    words.update(w.lower() for b in vocab.BRANDS for w in b.split())
    words.update({"cheap", "gift"})
    queries = list(Event.objects.filter(type="search").values_list("query", flat=True))
    assert len(queries) > 100
    misspelt = [q for q in queries if any(w not in words for w in q.split())]
    assert 0.05 < len(misspelt) / len(queries) < 0.4


def test_planted_fraud_has_later_chargebacks(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    truth = facade.ground_truth("fraud")
    n_orders = Order.objects.count()
    assert 0.005 <= len(truth) / n_orders <= 0.03
    assert {v["scenario"] for v in truth.values()} == {
        "stolen_card",
        "card_testing",
        "account_takeover",
        "amount_outlier",
    }
    charged = Chargeback.objects.filter(order__number__in=list(truth)).select_related("order")
    assert charged.count() >= 5
    for cb in charged:
        assert cb.received_at > cb.order.placed_at + dt.timedelta(days=4)
        assert truth[cb.order.number]["chargeback"] is True
    # card testing: bursts of small orders from one device, most declined
    testing = [k for k, v in truth.items() if v["scenario"] == "card_testing"]
    pays = Payment.objects.filter(order__number__in=testing)
    devices = Counter(pays.values_list("device_id", flat=True))
    assert devices.most_common(1)[0][1] >= 6
    assert pays.filter(status="declined").count() > 0.5 * len(testing)
    # stolen cards: the ip country differs from the card's country
    stolen = [k for k, v in truth.items() if v["scenario"] == "stolen_card"]
    mismatch = Payment.objects.filter(order__number__in=stolen).exclude(ip_country="GB")
    assert mismatch.count() == len(stolen)


def test_stock_matches_movements_and_stockouts_are_recorded(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    moved = dict(
        StockMovement.objects.values("product__sku")
        .annotate(s=Sum("quantity"))
        .values_list("product__sku", "s")
    )
    stock = dict(Stock.objects.values_list("product__sku", "on_hand"))
    assert stock == {sku: moved.get(sku, 0) for sku in stock}
    assert min(stock.values()) >= 0
    stockouts = facade.ground_truth("stockout")
    assert len(stockouts) >= 5
    sku, dates = next(iter(stockouts.items()))
    assert all(ANCHOR.date() - dt.date.fromisoformat(d) <= dt.timedelta(days=366) for d in dates)


def test_demand_follows_planted_elasticity(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    """Pooled Poisson fit of daily units on elasticity * log(price / reference): slope ~ 1."""
    import statsmodels.api as sm

    truth = facade.ground_truth("elasticity")
    assert len(truth) == Product.objects.count()
    assert all(v["elasticity"] < 0 and v["cost"] < v["reference_price"] for v in truth.values())
    fraud = set(facade.ground_truth("fraud"))
    stockout = {(k, d) for k, ds in facade.ground_truth("stockout").items() for d in ds}
    start = (ANCHOR - dt.timedelta(days=364)).date()
    days = [start + dt.timedelta(days=i) for i in range(365)]
    skus = sorted(truth)
    # daily price from the price history, units from order lines
    price = {s: np.full(len(days), np.nan) for s in skus}
    for sku, p, at in PriceHistory.objects.order_by("changed_at").values_list(
        "product__sku", "price", "changed_at"
    ):
        i = max(0, (at.astimezone(dt.UTC).date() - start).days)
        price[sku][i:] = float(p)
    units = {s: np.zeros(len(days)) for s in skus}
    for sku, q, at, number in OrderLine.objects.exclude(order__status="cancelled").values_list(
        "sku", "quantity", "order__placed_at", "order__number"
    ):
        i = (at.astimezone(dt.UTC).date() - start).days
        if number not in fraud and 0 <= i < len(days):
            units[sku][i] += q
    x, y, offset, month = [], [], [], []
    for s in skus:
        t = truth[s]
        for i, d in enumerate(days):
            if np.isnan(price[s][i]) or (s, d.isoformat()) in stockout:
                continue
            x.append(t["elasticity"] * np.log(price[s][i] / t["reference_price"]))
            y.append(units[s][i])
            offset.append(np.log(t["base_daily_units"]))
            month.append(d.month)
    dummies = np.eye(13)[np.array(month)][:, 1:]
    design = np.column_stack([np.array(x), dummies])
    fit = sm.GLM(np.array(y), design, family=sm.families.Poisson(), offset=np.array(offset)).fit()
    assert 0.8 < fit.params[0] < 1.2, fit.params[0]


def test_churned_customers_stop_buying(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    churn = facade.ground_truth("churn")
    assert len(churn) == Customer.objects.count()
    last = dict(
        Order.objects.filter(customer__isnull=False)
        .values("customer_id")
        .annotate(m=Max("placed_at"))
        .values_list("customer_id", "m")
    )
    churned = {int(k): v for k, v in churn.items() if v["churn_date"]}
    assert len(churned) > 20
    for cid, v in churned.items():
        if cid in last:
            assert last[cid].date() <= dt.date.fromisoformat(v["churn_date"]) + dt.timedelta(days=1)
    segments = Counter(v["segment"] for v in facade.ground_truth("segment").values())
    assert set(segments) == {"loyal", "regular", "bargain_hunter", "occasional", "one_off"}


def test_review_text_matches_rating(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    reviews = list(Review.objects.values_list("rating", "title", "body"))
    assert len(reviews) > 30
    happy = ("love", "brilliant", "perfect", "excellent", "superb", "best")
    for rating, title, body in reviews:
        text = f"{title} {body}".lower()
        if rating <= 2:
            assert not any(w in text for w in happy), text
    by_rating = Counter(r for r, _, _ in reviews)
    assert by_rating[4] + by_rating[5] > by_rating[1] + by_rating[2]


def test_rerun_replaces_demo_data_only_and_is_identical(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    mine = Category.objects.create(name="Mine", slug="mine")
    own = Product.objects.create(
        sku="MY-1",
        name="Handmade mug",
        slug="handmade-mug",
        category=mine,
        list_price=Decimal("9.00"),
        price=Decimal("9.00"),
        cost=Decimal("3.00"),
    )
    demo_cat = Category.objects.get(slug="kitchen-dining-cookware")
    in_demo_cat = Product.objects.create(
        sku="MY-2",
        name="My pan",
        slug="my-pan",
        category=demo_cat,
        list_price=Decimal("20.00"),
        price=Decimal("20.00"),
        cost=Decimal("8.00"),
    )
    call_command("populate_demo", seed=SEED, scale="small", now=ANCHOR.isoformat(), verbosity=0)
    own.refresh_from_db()
    in_demo_cat.refresh_from_db()
    assert own.name == "Handmade mug" and in_demo_cat.category.slug == "kitchen-dining-cookware"
    assert Category.objects.filter(slug="kitchen-dining-cookware").count() == 1
    Product.objects.filter(pk__in=[own.pk, in_demo_cat.pk]).delete()
    assert _snapshot() == before


def test_support_tickets_cover_intents_styles_and_languages(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from support.models import Ticket

    truth = facade.ground_truth("ticket")
    tickets = list(
        Ticket.objects.values_list("external_id", "order__number", "created_at", "order__placed_at")
    )
    assert len(tickets) == len(truth) >= 100
    assert len({v["intent"] for v in truth.values()}) >= 20
    assert {v["style"] for v in truth.values()} >= {"terse", "angry", "typos", "polite"}
    assert len({v["language"] for v in truth.values()}) >= 2
    tied = [t for t in tickets if t[1]]
    assert len(tied) > 0.4 * len(tickets)
    assert all(created >= placed for _, _, created, placed in tied)
    # an order number in the text is the ticket's own order
    for ext, number, _, _ in tied[:50]:
        body = Ticket.objects.get(external_id=ext).messages.first().body
        assert number in body or "{order}" not in body


def test_the_help_desk_queue_is_days_old_not_months(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from support.models import Ticket

    waiting = Ticket.objects.exclude(status="solved")
    assert 2 <= waiting.count() <= 20  # an agent finds a handful to work on
    newest = Ticket.objects.aggregate(m=Max("created_at"))["m"]
    oldest_waiting = waiting.order_by("created_at").first()
    assert oldest_waiting is not None
    assert newest - oldest_waiting.created_at < dt.timedelta(days=30)


def test_product_names_only_carry_what_describes_the_product(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    names = list(Product.objects.values_list("name", flat=True))
    # a cable has a length, a power bank a capacity, cat litter comes in litres
    assert not [n for n in names if "mAh" in n and "Power Bank" not in n]
    assert not [n for n in names if "Cat Litter" in n and (" g" in n or "kg" in n)]
    assert not [n for n in names if ("Compost" in n or "Grow Bag" in n) and "kg" in n]
    assert all(not n.rsplit(", ", 1)[-1].isdigit() for n in names), (
        "a bare number in a name needs its unit"
    )


def test_product_page_shows_the_spec_once(db, demo_store, client) -> None:  # type: ignore[no-untyped-def]
    # the description used to end "Specification: size: 24 cm; colour: Sage." right above
    # the attributes table that lists the same values
    descriptions = list(Product.objects.values_list("description", "attributes"))
    assert descriptions and not [d for d, _ in descriptions if "Specification" in d]
    for description, attributes in descriptions:
        assert not [k for k in attributes if f"{k.replace('_', ' ')}: " in description]
    product = Product.objects.exclude(attributes={}).order_by("pk").first()
    assert product is not None
    html = client.get(f"/p/{product.pk}/").content.decode()
    described = html.split('<div class="description">', 1)[1].split("</div>", 1)[0]
    table = html.split('<dl class="attributes">', 1)[1].split("</dl>", 1)[0]
    for value in product.attributes.values():
        assert str(value) in table and f": {value}" not in described


def test_purchase_orders_explain_deliveries_and_what_is_on_its_way(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    orders = list(PurchaseOrder.objects.prefetch_related("lines__product"))
    status = Counter(o.status for o in orders)
    assert status["received"] >= 2 and status["sent"] >= 2 and status["draft"] <= 1
    assert len(orders) <= 20  # a handful, not one per simulated restock
    for order in orders:
        lines = list(order.lines.all())
        assert lines and all(li.product.supplier_id == order.supplier_id for li in lines)
        assert len({li.product_id for li in lines}) == len(lines)
        if order.status == "received":
            # the stock movements that brought the goods in name the order, unit for unit
            moved = dict(
                StockMovement.objects.filter(reference=order.number, reason="restock")
                .values_list("product_id")
                .annotate(q=Sum("quantity"))
            )
            assert moved == {li.product_id: li.quantity_ordered for li in lines}
            assert all(li.quantity_received == li.quantity_ordered for li in lines)
            assert order.received_at is not None and order.received_at <= ANCHOR
        else:
            assert all(li.quantity_received == 0 for li in lines)
            assert not StockMovement.objects.filter(reference=order.number).exists()
    # a movement that names a purchase order names one that exists
    named = set(
        StockMovement.objects.filter(reference__startswith="PO-").values_list(
            "reference", flat=True
        )
    )
    assert named == {o.number for o in orders if o.status == "received"}
    sent = [o for o in orders if o.status == "sent"]
    assert any(o.expected_date > ANCHOR.date() for o in sent)  # due in the coming days
    incoming = catalog_selectors.purchase_order_incoming()
    on_way = {li.product_id: li.quantity_ordered for o in sent for li in o.lines.all()}
    assert all(incoming[pid] >= units for pid, units in on_way.items())
    # stock still adds up with the received orders' movements in it
    net = dict(StockMovement.objects.values_list("product_id").annotate(q=Sum("quantity")))
    assert all(net.get(s.product_id, 0) == s.on_hand for s in Stock.objects.all())


def test_open_purchase_orders_are_due_after_today_one_per_supplier_and_order_day(
    db, demo_store
) -> None:  # type: ignore[no-untyped-def]
    sent = list(PurchaseOrder.objects.filter(status="sent").prefetch_related("lines__product"))
    today = timezone.localdate(ANCHOR)
    assert sent and all(o.expected_date > today for o in sent)  # none overdue on day one
    assert all(o.sent_at is not None and o.sent_at < ANCHOR for o in sent)
    # the simulated store's order day of every line on its way (SKU NW-<leaf><index>)
    sim = Simulator(seed=SEED, scale="small", anchor=ANCHOR)
    sim.run()
    pending_day, _, ordered_day = sim.pending
    order_date = {
        i: timezone.localdate(
            dt.datetime.fromtimestamp(
                (int(sim.day_end_us[int(ordered_day[i])]) - US_PER_DAY // 3) / 1e6, tz=dt.UTC
            )
        )
        for i in np.flatnonzero(pending_day >= 0).tolist()
    }
    seen: set[tuple[int, dt.date]] = set()
    for order in sent:
        assert order.sent_at is not None
        day = timezone.localdate(order.sent_at)
        assert (order.supplier_id, day) not in seen  # one order per supplier and day
        seen.add((order.supplier_id, day))
        # every line was ordered on the day its order was sent, not on some other day
        assert {order_date[int(li.product.sku[-5:])] for li in order.lines.all()} == {day}
    assert sum(len(o.lines.all()) for o in sent) == len(order_date)  # all of it, once


def test_rerun_keeps_the_merchants_own_purchase_order_on_demo_products(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    product = Product.objects.filter(supplier__isnull=False).order_by("sku").first()
    assert product is not None and product.supplier is not None
    mine = PurchaseOrder.objects.create(supplier=product.supplier, expected_date=ANCHOR.date())
    mine.lines.create(product=product, quantity_ordered=3, unit_cost=product.cost)

    call_command("populate_demo", seed=SEED, scale="small", now=ANCHOR.isoformat(), verbosity=0)

    line = PurchaseOrderLine.objects.get(purchase_order=mine)
    assert line.product.sku == product.sku and line.quantity_ordered == 3
    assert Product.objects.filter(sku=product.sku).count() == 1
    mine.delete()
    assert _snapshot() == before


def test_a_few_visitors_wait_for_sold_out_products(db, demo_store) -> None:  # type: ignore[no-untyped-def]
    from catalog import facade as catalog
    from catalog.models import StockAlert

    waiting = StockAlert.objects.filter(status="waiting")
    assert 3 <= waiting.count() == demo_store["counts"]["stock_alerts"] <= 12
    levels = catalog.stock_levels()
    assert all(levels.get(pid, 0) <= 0 for pid in waiting.values_list("product_id", flat=True))
