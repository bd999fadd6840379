"""Merchant dashboard bench: render time and query count on a medium store, plus the churn
model's ROC AUC on planted churn against the RFM-rule baseline, in one run.

Store: ``--source demo`` runs ``populate_demo --scale medium`` (15k customers, a year);
``--source synthetic`` (default, faster) bulk-creates a comparable store from
``insights.ml.synthetic`` (same customer count and history, ~100 orders a day, anonymous
browsing, abandoned carts). The database is a fresh SQLite file in a temp folder unless
``--database-url`` is given.

    python bench/dashboard.py [--source synthetic|demo] [--customers 15000] [--repeat 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(database_url: str | None) -> None:
    if database_url:
        base, name = database_url.rsplit("/", 1)
        for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
            subprocess.run(
                ["psql", f"{base}/postgres", "-qc", sql], check=True, capture_output=True
            )
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ["MLSTORE_VAR_DIR"] = tempfile.mkdtemp(prefix="mlstore-bench-dashboard-")
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.pop("REDIS_URL", None)  # eager Celery, local-memory cache
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _synthetic_store(customers: int, seed: int) -> dict[str, Any]:
    import numpy as np
    from django.utils import timezone

    from catalog.models import Category, Product, Stock
    from customers.models import Event
    from insights.ml.synthetic import planted_churn_store
    from insights.synthetic_load import synthetic_store_load
    from orders.models import Cart, CartLine

    rng = np.random.default_rng(seed)
    now = timezone.now()
    cats = Category.objects.bulk_create(
        [Category(name=f"Category {i}", slug=f"category-{i}") for i in range(40)]
    )
    products = Product.objects.bulk_create(
        [
            Product(
                sku=f"SKU-{i:05d}",
                name=f"Product {i}",
                slug=f"product-{i}",
                category=cats[i % len(cats)],
                list_price=20,
                price=20,
                cost=12,
            )
            for i in range(3000)
        ],
        batch_size=1000,
    )
    Stock.objects.bulk_create([Stock(product=p, on_hand=50) for p in products], batch_size=1000)
    store = planted_churn_store(
        n_customers=customers,
        days=365,
        orders_per_month=0.28,  # ~100 orders a day at 15k customers, as the medium demo
        views_per_day=0.08,
        now=now,
        seed=seed,
    )
    started = time.perf_counter()
    synthetic_store_load(store, product_ids=[p.pk for p in products], seed=seed)
    # anonymous browsing: ~300 visitor sessions a day, a few add to cart
    visitor_events = []
    for day in range(365):
        at = now - timedelta(days=day, hours=3)
        for s in range(300):
            sid = f"v{day}-{s}"
            pid = products[int(rng.integers(len(products)))].pk
            visitor_events.append(Event(type="view", session_id=sid, product_id=pid, created_at=at))
            if rng.random() < 0.1:
                visitor_events.append(
                    Event(type="add_to_cart", session_id=sid, product_id=pid, created_at=at)
                )
    Event.objects.bulk_create(visitor_events, batch_size=5000)
    carts = Cart.objects.bulk_create(
        [Cart(session_id=f"ab{i}", status=Cart.Status.ABANDONED) for i in range(400)]
    )
    CartLine.objects.bulk_create(
        [
            CartLine(cart=c, product=products[i * 7 % len(products)], quantity=1)
            for i, c in enumerate(carts)
        ]
    )
    Cart.objects.filter(pk__in=[c.pk for c in carts]).update(updated_at=now - timedelta(hours=6))
    return {
        "store": store,
        "load_seconds": time.perf_counter() - started,
        "planted": {int(k): True for k in store.churn_at},
        "now": now,
    }


def _demo_store(scale: str, seed: int) -> dict[str, Any]:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("populate_demo", seed=seed, scale=scale, verbosity=0)
    return {"load_seconds": time.perf_counter() - started}


def _time_page(client, url: str, repeat: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates, plotly panel imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(times), max(times), len(ctx.captured_queries)


def _churn_frames(info: dict[str, Any]) -> str:
    """Model vs RFM rule on planted churn, from frames (synthetic store)."""
    import numpy as np

    from insights.ml.features import customer_features, future_purchasers
    from insights.ml.models import CustomerClassifier, auc
    from insights.ml.rfm import rfm_churn_rule

    store = info["store"]
    now = info["now"]
    horizon = 60
    eval_at = now - timedelta(days=horizon)

    def labelled(as_of):  # type: ignore[no-untyped-def]
        f = customer_features(store.orders, store.events, store.customers, as_of)
        f = f[f["frequency"] > 0]
        back = future_purchasers(store.orders, as_of, horizon)
        return f, (~f.index.isin(list(back))).astype(int)

    train_x, train_y = labelled(eval_at - timedelta(days=horizon))
    eval_x, observed = labelled(eval_at)
    planted = np.array(
        [int(c in store.churn_at and store.churn_at[c] <= now) for c in eval_x.index]
    )
    model = CustomerClassifier().fit(train_x, train_y)
    scores = model.predict_proba(eval_x)
    rule = rfm_churn_rule(eval_x)
    return (
        f"churn (synthetic planted, {len(eval_x)} buyers scored {horizon} days before the end, "
        f"{planted.mean():.0%} planted churners): ROC AUC model {auc(planted, scores):.3f} "
        f"vs RFM rule {auc(planted, rule):.3f}; on observed no-order-in-{horizon}-days labels "
        f"model {auc(observed, scores):.3f} vs RFM rule {auc(observed, rule):.3f}"
    )


def _churn_demo() -> str:
    """Model scores written by insights.train vs demo ground truth (churned by the end)."""
    import numpy as np

    from demo import facade as demo
    from insights.ml.models import auc
    from insights.models import CustomerScore

    truth = demo.ground_truth("churn")
    rows = list(
        CustomerScore.objects.filter(frequency__gt=0).values_list(
            "customer_id", "churn_risk", "r_score", "f_score", "m_score"
        )
    )
    keep = [r for r in rows if str(r[0]) in truth]
    if not keep:
        return "churn (demo): no ground truth matched the scored customers"
    y = np.array([int(bool(truth[str(r[0])].get("churned"))) for r in keep])
    model = np.array([r[1] for r in keep])
    rule = np.array([1 - (r[2] + r[3] + r[4]) / 15 for r in keep])
    return (
        f"churn (demo planted, {len(keep)} buyers, {y.mean():.0%} churned): ROC AUC model "
        f"{auc(y, model):.3f} vs RFM rule {auc(y, rule):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="unused (bench/run_all.py passes it to every bench)")
    parser.add_argument("--source", choices=["synthetic", "demo"], default="synthetic")
    parser.add_argument("--scale", default="medium", help="demo scale (with --source demo)")
    parser.add_argument("--customers", type=int, default=15000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--existing-var-dir",
        default=None,
        help="use the SQLite store already in this MLSTORE_VAR_DIR (e.g. after populate_demo) "
        "instead of building one; the bench adds a user, a model version and scores to it",
    )
    args = parser.parse_args()

    if args.existing_var_dir:
        os.environ["MLSTORE_VAR_DIR"] = args.existing_var_dir
        args.source = "existing"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
        os.environ["LOG_LEVEL"] = "ERROR"
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        _setup(args.database_url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from customers.models import Event
    from orders.models import Order

    setup_test_environment()  # allow the test client's host and capture templates
    settings.ALLOWED_HOSTS = ["testserver"]
    if "insights" not in settings.ML_CAPABILITIES:
        settings.ML_CAPABILITIES = [*settings.ML_CAPABILITIES, "insights"]
    if args.source == "synthetic":
        info = _synthetic_store(args.customers, args.seed)
    elif args.source == "demo":
        info = _demo_store(args.scale, args.seed)
    else:
        info = {"load_seconds": 0.0}
    print(
        f"store ({args.source}): {Order.objects.count()} orders, {Event.objects.count()} events, "
        f"loaded in {info['load_seconds']:.0f}s",
        flush=True,
    )

    from insights import facade as insights

    started = time.perf_counter()
    summary = insights.train()
    train_s = time.perf_counter() - started
    print(
        f"insights.train: {train_s:.1f}s; held-back slice: churn AUC "
        f"{summary.get('churn_auc', float('nan')):.3f} vs RFM rule "
        f"{summary.get('churn_auc_rfm_baseline', float('nan')):.3f}, propensity(7d) AUC "
        f"{summary.get('propensity_auc', float('nan')):.3f}; scored {summary.get('scored')}",
        flush=True,
    )
    print(_churn_frames(info) if args.source == "synthetic" else _churn_demo(), flush=True)
    get_user_model().objects.filter(username="bench").delete()

    from mlops import dashboard

    started = time.perf_counter()
    rollups = dashboard.dashboard_rollups_refresh(full=True)
    print(
        f"dashboard rollups (full history, {rollups['rows']} rows): "
        f"{time.perf_counter() - started:.1f}s; incremental refresh: ",
        end="",
        flush=True,
    )
    started = time.perf_counter()
    dashboard.dashboard_rollups_refresh()
    print(f"{time.perf_counter() - started:.1f}s", flush=True)

    user = get_user_model().objects.create_superuser("bench", "bench@example.invalid", "x")
    client = Client()
    client.force_login(user)
    for label, url in [
        ("dashboard 30d", "/admin/mlops/modelversion/dashboard/?period=30"),
        ("dashboard 365d", "/admin/mlops/modelversion/dashboard/?period=365"),
        ("admin home", "/admin/"),
        ("model ops", "/admin/mlops/modelversion/ops/"),
        ("customer intelligence", "/admin/insights/customerscore/overview/"),
        ("abandoned carts", "/admin/insights/customerscore/abandoned-carts/"),
    ]:
        median, worst, queries = _time_page(client, url, args.repeat)
        flag = "" if not label.startswith("dashboard") or median < 500 else "  (over 500 ms budget)"
        print(
            f"{label:24s} median {median:7.1f} ms  max {worst:7.1f} ms  {queries:3d} queries{flag}"
        )


if __name__ == "__main__":
    main()
