"""Checkout throughput on PostgreSQL with 1, 8 and 32 concurrent buyers.

Each buyer loops: new cart -> add 1-3 random products -> order_place (stock rows locked in pk
order, fraud hook, payment, history). "hot" runs send every buyer to the same SKU, which
serialises on that row's lock: the worst case for a flash sale.

    python bench/checkout.py [--seconds 8] [--database-url postgres://...]
"""

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="unused (bench/run_all.py passes it to every bench)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/mlstore_bench_checkout"
    )
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args()

    base, name = args.database_url.rsplit("/", 1)
    subprocess.run(
        ["psql", f"{base}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["psql", f"{base}/postgres", "-qc", f'CREATE DATABASE "{name}"'],
        check=True,
        capture_output=True,
    )
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Category, Product, Stock
    from orders import services
    from orders.models import Order
    from storefront.api_errors import ServiceError

    call_command("migrate", verbosity=0)
    category = Category.objects.create(name="Bench", slug="bench")
    products = Product.objects.bulk_create(
        [
            Product(
                sku=f"B-{i}",
                name=f"Bench {i}",
                slug=f"bench-{i}",
                category=category,
                price=Decimal("9.99"),
                list_price=Decimal("9.99"),
                cost=Decimal("5"),
            )
            for i in range(200)
        ]
    )
    Stock.objects.bulk_create([Stock(product=p, on_hand=10_000_000) for p in products])
    ids = [p.pk for p in products]
    address = {
        "full_name": "Bench",
        "line1": "1 Road",
        "city": "Leeds",
        "postal_code": "LS1",
        "country": "GB",
    }
    card = services.CardInput("4242424242424242")

    def run(concurrency: int, hot: bool) -> tuple[float, float, float]:
        stop = time.perf_counter() + args.seconds
        latencies: list[float] = []
        lock = threading.Lock()

        def buyer(seed: int) -> None:
            rng = random.Random(seed)
            mine: list[float] = []
            try:
                while time.perf_counter() < stop:
                    cart = services.cart_get_or_create(
                        customer_id=None, session_id=f"s{seed}-{rng.random()}"
                    )
                    picks = [ids[0]] if hot else rng.sample(ids, rng.randint(1, 3))
                    for pid in picks:
                        services.cart_line_set(cart=cart, product_id=pid, quantity=1, add=True)
                    started = time.perf_counter()
                    with contextlib.suppress(ServiceError):
                        services.order_place(
                            cart_id=cart.pk,
                            idempotency_key="k",
                            email="b@example.com",
                            shipping_address=address,
                            card=card,
                        )
                    mine.append(time.perf_counter() - started)
            finally:
                connection.close()
                with lock:
                    latencies.extend(mine)

        threads = [threading.Thread(target=buyer, args=(i,)) for i in range(concurrency)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0
        return len(latencies) / elapsed, p50, p99

    rows = []
    for hot in (False, True):
        for c in [int(x) for x in args.concurrency.split(",")]:
            rate, p50, p99 = run(c, hot)
            rows.append((("hot SKU" if hot else "200 SKUs"), c, rate, p50, p99))
            print(
                f"{rows[-1][0]:9s} buyers={c:3d}  {rate:7.1f} checkouts/s  p50={p50:6.1f} ms  p99={p99:7.1f} ms",
                flush=True,
            )
    oversold = Stock.objects.filter(on_hand__lt=0).count()
    print(f"orders: {Order.objects.count()}, stock rows below zero: {oversold}")
    out = ROOT / "docs" / "results" / "checkout.md"
    lines = [
        "| products in carts | concurrent buyers | checkouts/s | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]:.1f} | {r[4]:.1f} |" for r in rows]
    out.write_text(
        "Checkout throughput, PostgreSQL 15 on the 2-core machine (bench/checkout.py, "
        f"{args.seconds:.0f} s per row, buyer threads in one process):\n\n"
        + "\n".join(lines)
        + "\n"
    )
    connection.close()
    subprocess.run(
        ["psql", f"{base}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        capture_output=True,
    )


if __name__ == "__main__":
    main()
