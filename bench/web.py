"""Web benchmarks: product detail API and page under concurrent load; search quality.

    # throughput/latency: gunicorn on PostgreSQL + Redis, 16 connections (wrk if installed)
    .venv/bin/python bench/web.py load --products 3000 --duration 20

    # search quality on a query set built from the catalog (uses DATABASE_URL or SQLite)
    .venv/bin/python bench/web.py search

`load` creates its own database (default mlstore_web), migrates, seeds products (the demo
generator with --demo-scale, else a fast bulk insert), starts gunicorn with DEBUG=0, warms
up, drives the endpoints, prints a Markdown table and stops everything it started.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

ADJECTIVES = [
    "Classic",
    "Everyday",
    "Waxed",
    "Merino",
    "Linen",
    "Stoneware",
    "Recycled",
    "Compact",
    "Insulated",
    "Walnut",
    "Organic",
    "Travel",
    "Heritage",
    "Lightweight",
]
NOUNS = {
    "Outerwear": ["Jacket", "Parka", "Raincoat", "Gilet", "Fleece"],
    "Knitwear": ["Jumper", "Cardigan", "Beanie", "Scarf"],
    "Kitchen": ["Mug", "Teapot", "Saucepan", "Chopping Board", "Cafetiere", "Knife"],
    "Home": ["Lamp", "Cushion", "Throw", "Candle", "Vase", "Rug"],
    "Outdoor": ["Backpack", "Tent", "Water Bottle", "Headtorch", "Sleeping Bag"],
    "Pantry": ["Coffee Beans", "Green Tea", "Olive Oil", "Honey", "Granola"],
}


def _env(db_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-web-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_SEARCH": "100000/min",
    }


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def _ensure_database(db_url: str) -> None:
    admin_url, name = db_url.rsplit("/", 1)
    check = subprocess.run(
        [
            "psql",
            f"{admin_url}/postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    if check.stdout.strip() != "1":
        subprocess.run(
            ["psql", f"{admin_url}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True
        )


SEED_SCRIPT = """
import random
from decimal import Decimal
from catalog.models import Brand, Category, Product, Stock
n = {n}
have = Product.objects.count()
if have < n:
    rng = random.Random(0)
    cats = {{}}
    for i, (top, nouns) in enumerate({nouns!r}.items()):
        cats[top] = Category.objects.get_or_create(slug="b-" + top.lower(),
                                                   defaults={{"name": top, "position": i}})[0]
    brands = [Brand.objects.get_or_create(slug=f"b-brand-{{i}}", defaults={{"name": f"Maker {{i}}"}})[0]
              for i in range(12)]
    rows = []
    for i in range(have, n):
        top = rng.choice(list(cats))
        noun = rng.choice({nouns!r}[top])
        name = f"{{rng.choice({adjectives!r})}} {{noun}} {{i}}"
        price = Decimal(rng.randint(400, 25000)) / 100
        rows.append(Product(sku=f"B-{{i:06d}}", name=name, slug=f"b-{{i}}", category=cats[top],
                            brand=rng.choice(brands), list_price=price, price=price,
                            cost=(price * Decimal("0.55")).quantize(Decimal("0.01")),
                            popularity=rng.random() * 100, image_hue=rng.randint(0, 359),
                            description=f"A {{noun.lower()}} from our {{top.lower()}} range."))
    Product.objects.bulk_create(rows, batch_size=1000)
    Stock.objects.bulk_create([Stock(product=p, on_hand=rng.randint(0, 40))
                               for p in Product.objects.filter(stock__isnull=True)], batch_size=1000)
print(Product.objects.filter(is_active=True).count())
"""


def _seed(env: dict[str, str], products: int, demo_scale: str | None) -> int:
    if demo_scale:
        _run([PY, "manage.py", "populate_demo", "--seed", "0", "--scale", demo_scale, "-v0"], env)
    script = SEED_SCRIPT.format(n=products, nouns=NOUNS, adjectives=ADJECTIVES)
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def _product_ids(env: dict[str, str], limit: int) -> list[int]:
    script = (
        "from catalog.models import Product; print(','.join(str(p) for p in "
        f"Product.objects.filter(is_active=True).order_by('?').values_list('pk', flat=True)[:{limit}]))"
    )
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(x) for x in out.stdout.strip().splitlines()[-1].split(",") if x]


def _wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not come up")


def _session_cookie(base: str, product_id: int) -> str:
    """A browser keeps its session: reuse one so page views don't each create a session row."""
    with urllib.request.urlopen(f"{base}/p/{product_id}/", timeout=10) as r:
        cookies = [h.split(";", 1)[0] for h in r.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


WRK_LUA = """
local ids = {{{ids}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", string.format("{path}", ids[(i % #ids) + 1]))
end
"""


def _parse_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def drive_wrk(
    base: str, path: str, ids: list[int], seconds: int, conns: int, threads: int, cookie: str
) -> dict[str, float]:
    script = Path("/tmp") / f"bench-web-{os.getpid()}.lua"
    script.write_text(WRK_LUA.format(ids=",".join(map(str, ids)), path=path.replace("{}", "%d")))
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(conns),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(script),
    ]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, base], capture_output=True, text=True, check=True).stdout
    script.unlink(missing_ok=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50": _parse_ms(pct["50"]),
        "p99": _parse_ms(pct["99"]),
        "requests": total,
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def drive_python(
    base: str, path: str, ids: list[int], seconds: int, conns: int, threads: int, cookie: str
) -> dict[str, float]:
    """Fallback closed-loop client: one keep-alive connection per thread."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        mine: list[float] = []
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            conn.request(
                "GET",
                path.replace("{}", str(rng.choice(ids))),
                headers={"Cookie": cookie} if cookie else {},
            )
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if response.status >= 400:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
        "requests": len(latencies),
        "errors": errors[0],
    }


def _group_cpu_seconds(pgid: int) -> float:
    """CPU time (user+sys) of every process in gunicorn's process group."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ...
            total += int(fields[11]) + int(fields[12])
    return total / tick


def cmd_load(args: argparse.Namespace) -> None:
    db_url = f"{args.postgres.rstrip('/')}/{args.db}"
    env = _env(db_url, args.redis)
    _ensure_database(db_url)
    _run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    count = _seed(env, args.products, args.demo_scale)
    ids = _product_ids(env, args.ids)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            GUNICORN,
            "storefront.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
            "--access-logfile",
            "-" if args.access_log else "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    results: dict[str, dict[str, float]] = {}
    try:
        _wait_up(base)
        cookie = _session_cookie(base, ids[0])
        # Steady state: every product's detail has been rendered once (as in a live shop);
        # the cold path (reference price from the price history) is measured separately.
        cold = []
        for pk in ids:
            t0 = time.perf_counter()
            with urllib.request.urlopen(f"{base}/api/v1/products/{pk}/", timeout=30) as r:
                r.read()
            cold.append((time.perf_counter() - t0) * 1000)
        drive = drive_wrk if shutil.which("wrk") and not args.python_client else drive_python
        targets = {"product detail API": "/api/v1/products/{}/", "product page": "/p/{}/"}
        for name, path in targets.items():
            drive(
                base,
                path,
                ids,
                min(5, args.duration),
                args.connections,
                2,
                cookie if "page" in name else "",
            )  # warm caches and connections
            cpu0 = _group_cpu_seconds(server.pid)
            results[name] = drive(
                base,
                path,
                ids,
                args.duration,
                args.connections,
                2,
                cookie if "page" in name else "",
            )
            cpu = _group_cpu_seconds(server.pid) - cpu0
            # Load-independent cost: what one request takes of the web tier's CPU.
            results[name]["cpu_ms_per_request"] = 1000 * cpu / max(results[name]["requests"], 1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    load = os.getloadavg()
    print(f"\ncold product detail (first render, sequential): p50 {statistics.median(cold):.1f} ms")
    print(
        f"\n{count} active products, gunicorn {args.workers} x {args.worker_class}"
        f"({args.threads} threads), {args.connections} connections, {args.duration}s each, "
        f"client={'wrk' if drive is drive_wrk else 'python'}, "
        f"nproc={os.cpu_count()}, load average after run {load[0]:.1f}\n"
    )
    print("| endpoint | req/s | p50 ms | p99 ms | requests | errors | web CPU ms/request |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{int(r['requests'])} | {int(r['errors'])} | {r['cpu_ms_per_request']:.1f} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def cmd_search(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    import django

    django.setup()
    from django.db.models import Q

    from catalog import search
    from catalog.models import Product

    queries = search.query_set_from_catalog(max_queries=args.queries)
    if not queries:
        raise SystemExit("the catalog is empty: run populate_demo (or `load`) first")
    clean = queries[0::2]
    typo = queries[1::2]

    def baseline(query_set: list[tuple[str, set[int]]]) -> dict[str, float]:
        """What a plain `name__icontains` search would give (popularity order)."""
        p, rr, zero = 0.0, 0.0, 0
        for query, relevant in query_set:
            got = list(
                Product.objects.filter(Q(name__icontains=query), is_active=True)
                .order_by("-popularity")
                .values_list("pk", flat=True)[:10]
            )
            zero += not got
            hits = [pk in relevant for pk in got]
            p += sum(hits) / min(10, len(relevant))
            rr += next((1 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
        n = len(query_set)
        return {"precision@10": p / n, "mrr": rr / n, "zero_result_rate": zero / n}

    t0 = time.perf_counter()
    rows = {
        "icontains baseline, clean": baseline(clean),
        "icontains baseline, typo": baseline(typo),
        "mlstore search, clean": search.evaluate(clean),
        "mlstore search, typo": search.evaluate(typo),
    }
    per_query_ms = (time.perf_counter() - t0) * 1000 / (2 * len(queries))
    print(
        f"\n{len(clean)} catalog words, each asked spelt right and with one typo; "
        f"backend={search.product_search(query=clean[0][0]).backend}\n"
    )
    print("| ranker | precision@10 | MRR | zero results |")
    print("|---|---:|---:|---:|")
    for name, m in rows.items():
        print(
            f"| {name} | {m['precision@10']:.3f} | {m['mrr']:.3f} | {m['zero_result_rate']:.3f} |"
        )
    print(f"\n~{per_query_ms:.1f} ms per query (both rankers, averaged)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="gunicorn + PostgreSQL + Redis throughput/latency")
    load.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    load.add_argument("--db", default="mlstore_web")
    load.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    load.add_argument("--products", type=int, default=3000)
    load.add_argument("--demo-scale", default=None, help="populate_demo scale first (small/medium)")
    load.add_argument("--ids", type=int, default=200, help="distinct products requested")
    load.add_argument("--port", type=int, default=8765)
    load.add_argument("--workers", type=int, default=4)
    load.add_argument("--worker-class", default="sync")
    load.add_argument("--threads", type=int, default=1)
    load.add_argument("--connections", type=int, default=16)
    load.add_argument("--duration", type=int, default=20)
    load.add_argument("--python-client", action="store_true", help="don't use wrk")
    load.add_argument("--access-log", action="store_true")
    load.add_argument("--json", default=None, help="also write the figures to this file")
    load.set_defaults(func=cmd_load)
    srch = sub.add_parser("search", help="search quality on a query set built from the catalog")
    srch.add_argument("--queries", type=int, default=120)
    srch.set_defaults(func=cmd_search)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
