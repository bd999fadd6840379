"""Load: a mixed shopper workload at rising concurrency until p99 degrades, and a flash sale
of 1,000 concurrent checkouts for 10 units (must sell exactly 10).

gunicorn (3 workers) on PostgreSQL + Redis; the load generator runs on the same 2 cores, so
the figures are a floor. Writes docs/results/load.md.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import contextlib

from bench._server import ROOT, drop_database, fresh_database, gunicorn, manage, prod_env  # noqa: E402

DB = "mlstore_bench_load"


def seed(env: dict[str, str], products: int) -> int:
    code = f"""
import os, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'storefront.settings'); django.setup()
from decimal import Decimal
from catalog.models import Category, Product, Stock
cats = [Category.objects.create(name=f'Cat {{i}}', slug=f'cat-{{i}}') for i in range(10)]
words = ['linen', 'jacket', 'teapot', 'candle', 'wool', 'scarf', 'mug', 'lamp', 'vase', 'towel']
ps = Product.objects.bulk_create([Product(sku=f'L-{{i}}', name=f'{{words[i % 10].title()}} {{words[(i * 7) % 10]}} {{i}}',
      slug=f'l-{{i}}', category=cats[i % 10], price=Decimal('12.50'), list_price=Decimal('15.00'),
      cost=Decimal('6'), popularity=i % 97) for i in range({products})])
Stock.objects.bulk_create([Stock(product=p, on_hand=1_000_000) for p in ps])
flash = Product.objects.create(sku='FLASH', name='Flash sale item', slug='flash', category=cats[0],
      price=Decimal('99.00'), list_price=Decimal('99.00'), cost=Decimal('50'))
Stock.objects.create(product=flash, on_hand=10)
print(flash.pk)
"""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip().splitlines()[-1])


ADDRESS = {
    "full_name": "Load Test",
    "line1": "1 Road",
    "city": "Leeds",
    "postal_code": "LS1",
    "country": "GB",
}


def shopper(
    base: str, stop: float, latencies: list[float], errors: list[int], seed_: int, products: int
) -> None:
    rng = random.Random(seed_)
    session = requests.Session()
    while time.perf_counter() < stop:
        pid = rng.randint(1, products)
        roll = rng.random()
        body: dict[str, object] | None
        if roll < 0.35:
            method, url, body = "get", f"{base}/api/v1/products/{pid}/", None
        elif roll < 0.6:
            method, url, body = "get", f"{base}/api/v1/products/?page={rng.randint(1, 20)}", None
        elif roll < 0.75:
            method, url, body = "get", f"{base}/api/v1/products/?search=linen", None
        elif roll < 0.85:
            method, url, body = "get", f"{base}/api/v1/recommendations/similar/{pid}/", None
        elif roll < 0.95:
            method, url, body = "post", f"{base}/api/v1/cart/lines/", {"product_id": pid}
        else:
            method, url, body = (
                "post",
                f"{base}/api/v1/checkout/",
                {
                    "email": "l@example.com",
                    "shipping_address": ADDRESS,
                    "card_number": "4242424242424242",
                },
            )
        started = time.perf_counter()
        headers = {"Idempotency-Key": f"k{rng.random()}"} if url.endswith("checkout/") else {}
        try:
            response = session.request(method, url, json=body, headers=headers, timeout=30)
            status = response.status_code
        except requests.RequestException:
            status = 599
        latencies.append(time.perf_counter() - started)
        if status >= 500:
            errors.append(status)


def mixed(
    base: str, concurrency: int, seconds: float, products: int
) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=shopper, args=(base, stop, latencies, errors, i, products))
        for i in range(concurrency)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    latencies.sort()
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99, len(errors)


def flash_sale(
    base: str, env: dict[str, str], flash_id: int, attempts: int
) -> tuple[int, int, dict[int, int]]:
    import subprocess

    code = f"""
import os, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'storefront.settings'); django.setup()
from orders.models import Cart, CartLine
carts = Cart.objects.bulk_create([Cart(session_id=f'flash-{{i}}') for i in range({attempts})])
CartLine.objects.bulk_create([CartLine(cart=c, product_id={flash_id}, quantity=1) for c in carts])
print(' '.join(str(c.token) for c in carts))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    tokens = out.stdout.strip().splitlines()[-1].split()
    barrier = threading.Barrier(min(attempts, 200))

    def attempt(token: str) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        try:
            return requests.post(
                f"{base}/api/v1/checkout/",
                json={
                    "email": "f@example.com",
                    "shipping_address": ADDRESS,
                    "card_number": "4242424242424242",
                },
                headers={"X-Cart-Token": token, "Idempotency-Key": token},
                timeout=120,
            ).status_code
        except requests.RequestException:
            return 599

    with ThreadPoolExecutor(max_workers=200) as pool:
        statuses = list(pool.map(attempt, tokens))
    counts: dict[int, int] = {}
    for s in statuses:
        counts[s] = counts.get(s, 0) + 1
    check = f"""
import os, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'storefront.settings'); django.setup()
from orders.models import OrderLine
from catalog.models import Stock
print(sum(OrderLine.objects.filter(product_id={flash_id}).exclude(order__status='cancelled').values_list('quantity', flat=True)), Stock.objects.get(product_id={flash_id}).on_hand)
"""
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    sold, left = (int(x) for x in out.stdout.split())
    return sold, left, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="unused")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--levels", default="1,4,8,16,32,64")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--attempts", type=int, default=1000)
    args = parser.parse_args()
    env = prod_env(fresh_database(DB), THROTTLE_CHECKOUT="100000/min", THROTTLE_SEARCH="100000/min")
    try:
        manage(env, "migrate", "--noinput", "-v0")
        flash_id = seed(env, args.products)
        rows = []
        with gunicorn(env, workers=3) as base:
            for level in (int(x) for x in args.levels.split(",")):
                rate, p50, p99, errors = mixed(base, level, args.seconds, args.products)
                rows.append((level, rate, p50, p99, errors))
                print(
                    f"concurrency {level:3d}: {rate:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  5xx {errors}",
                    flush=True,
                )
            sold, left, counts = flash_sale(base, env, flash_id, args.attempts)
            print(
                f"flash sale: {args.attempts} concurrent checkouts for 10 units -> sold {sold}, stock left {left}, statuses {counts}"
            )
        knee = next(
            (
                r[0]
                for prev, r in zip(rows, rows[1:], strict=False)
                if r[3] > 2 * prev[3] and r[1] < 1.1 * prev[1]
            ),
            rows[-1][0],
        )
        lines = ["| concurrent shoppers | req/s | p50 ms | p99 ms | 5xx |", "|---|---|---|---|---|"]
        lines += [f"| {r[0]} | {r[1]:.0f} | {r[2]:.1f} | {r[3]:.1f} | {r[4]} |" for r in rows]
        text = (
            f"Mixed shopper workload (35% product detail, 25% listing, 15% search, 10% similar items, "
            f"10% add to cart, 5% checkout) against gunicorn (3 workers) on PostgreSQL + Redis, "
            f"load generator on the same 2 cores, {args.seconds:.0f} s per level:\n\n"
            + "\n".join(lines)
            + f"\n\nKnee (throughput stops rising while p99 more than doubles): about {knee} concurrent shoppers.\n\n"
            f"Flash sale: {args.attempts} concurrent checkout attempts for 10 units: sold {sold}, "
            f"stock left {left}, oversells {max(sold - 10, 0)}; HTTP statuses {counts}.\n"
        )
        (ROOT / "docs" / "results" / "load.md").write_text(text)
        print(text)
    finally:
        drop_database(DB)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
