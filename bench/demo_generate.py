"""Benchmark populate_demo: time, rows per second and peak memory per scale, and check that
the planted price elasticities can be recovered from the generated sales (medium scale).

Each scale runs in a fresh child process on a fresh SQLite file (or on DATABASE_URL if set),
so peak memory is that run's own. Writes docs/results/demo.md.

    python bench/demo_generate.py [--scales small,medium] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "results" / "demo.md"


def child(scale: str, seed: int, rerun: bool, retail: str | None) -> None:
    """Runs inside the child process: migrate, populate, measure, print one JSON line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from demo.services import demo_populate

    call_command("migrate", verbosity=0)
    t0, c0 = time.perf_counter(), time.process_time()
    result = demo_populate(seed=seed, scale=scale)
    out: dict[str, Any] = {
        "scale": scale,
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "rows": sum(result["counts"].values()),
        "counts": result["counts"],
    }
    if rerun:
        t0, c0 = time.perf_counter(), time.process_time()
        demo_populate(seed=seed, scale=scale)
        out["rerun_seconds"] = time.perf_counter() - t0
        out["rerun_cpu_seconds"] = time.process_time() - c0
    if scale != "small":
        out["elasticity"] = elasticity_recovery()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if retail and Path(retail).exists():
        from demo.importers import online_retail_import

        t0 = time.perf_counter()
        report = online_retail_import(retail)
        out["import"] = {"seconds": time.perf_counter() - t0, "summary": report.summary()}
    print("RESULT " + json.dumps(out, default=str))


def elasticity_recovery() -> dict[str, Any]:
    """Per product, a Poisson log-log fit of daily units on price / reference price.

    The offset is the expected demand without the product's own price: the store's daily
    index (weekday, holidays, growth: all products' units) times the product's leaf-category
    monthly index (its season). Stock-out days, planted fraud orders and accessories whose
    sales are partly driven by a partner product (planted co-purchases) are left out. Days are
    the generator's 24-hour windows ending at the run's anchor time.
    """
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm
    from django.db import connection

    from demo import facade
    from demo.models import DemoRun

    run = DemoRun.objects.first()
    if run is None:
        return {"products": 0}
    anchor = pd.Timestamp(run.anchor).tz_convert("UTC")
    n_days = 365
    truth = facade.ground_truth("elasticity")
    fraud = set(facade.ground_truth("fraud"))
    stockout = facade.ground_truth("stockout")
    accessories = {v["partner_sku"] for v in facade.ground_truth("copurchase").values()}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT l.sku, o.placed_at, l.quantity, o.number FROM orders_orderline l "
            "JOIN orders_order o ON o.id = l.order_id WHERE o.status != 'cancelled'"
        )
        lines = pd.DataFrame(cur.fetchall(), columns=["sku", "at", "q", "number"])
        cur.execute(
            "SELECT p.sku, p.category_id, h.price, h.changed_at FROM catalog_pricehistory h "
            "JOIN catalog_product p ON p.id = h.product_id ORDER BY h.changed_at"
        )
        prices = pd.DataFrame(cur.fetchall(), columns=["sku", "cat", "price", "at"])

    def window(s: pd.Series) -> np.ndarray:
        ts = pd.to_datetime(s, utc=True, format="ISO8601")
        back = np.floor((anchor - ts).dt.total_seconds().to_numpy() / 86400).astype(int)
        return n_days - 1 - back

    lines["d"] = window(lines["at"])
    lines = lines[(lines["d"] >= 0) & (lines["d"] < n_days)]
    prices["d"] = np.maximum(window(prices["at"]), 0)
    skus = sorted(truth)
    pos = {s: i for i, s in enumerate(skus)}
    units_all = np.zeros((len(skus), n_days))
    np.add.at(
        units_all, (lines["sku"].map(pos).to_numpy(), lines["d"].to_numpy()), lines["q"].to_numpy()
    )
    clean = lines[~lines["number"].isin(fraud)]
    units = np.zeros((len(skus), n_days))
    np.add.at(
        units, (clean["sku"].map(pos).to_numpy(), clean["d"].to_numpy()), clean["q"].to_numpy()
    )
    price = np.full((len(skus), n_days), np.nan)
    for sku, grp in prices.groupby("sku", sort=False):
        row = price[pos[sku]]
        for d, p in zip(grp["d"], grp["price"], strict=True):
            row[d:] = float(p)
    cat = prices.drop_duplicates("sku").set_index("sku")["cat"].reindex(skus).to_numpy()
    ok = ~np.isnan(price)
    for sku, dates in stockout.items():
        i = pos[sku]
        for d in dates:
            j = n_days - 1 - (anchor.date() - pd.Timestamp(d).date()).days
            if 0 <= j < n_days:
                ok[i, j] = False
    store = units_all.sum(axis=0)
    month = ((anchor - pd.to_timedelta(n_days - 1 - np.arange(n_days), unit="D")).month).to_numpy()
    # the store's day-to-day pattern within its month (weekdays, holidays); the month level
    # comes from the product's own leaf category below
    store_month = np.array(
        [store[month == m].mean() if (month == m).any() else 1.0 for m in range(1, 13)]
    )
    store_index = store / store_month[month - 1]
    rows = []
    for c in np.unique(cat):
        members = np.flatnonzero(cat == c)
        leaf = units_all[members].sum(axis=0)
        for i in members.tolist():
            sku = skus[i]
            if sku in accessories or units[i, ok[i]].sum() < 300:
                continue
            other = leaf - units_all[i]
            monthly = np.array(
                [other[month == m].mean() if (month == m).any() else np.nan for m in range(1, 13)]
            )
            season = monthly[month - 1] / np.nanmean(other)
            offset = np.log(np.maximum(store_index * season, 1e-3))
            m = ok[i] & np.isfinite(offset)
            x = np.log(price[i, m] / truth[sku]["reference_price"])
            if np.ptp(x) < 0.1:
                continue
            try:
                fit = sm.GLM(
                    units[i, m], sm.add_constant(x), family=sm.families.Poisson(), offset=offset[m]
                ).fit()
            except Exception:  # noqa: BLE001 - a degenerate product is just skipped
                continue
            lo, hi = fit.conf_int()[1]
            rows.append(
                (truth[sku]["elasticity"], float(fit.params[1]), float(units[i, m].sum()), lo, hi)
            )
    if not rows:
        return {"products": 0}
    true = np.array([r[0] for r in rows])
    est = np.array([r[1] for r in rows])
    vol = np.array([r[2] for r in rows])
    covered = np.array([r[3] <= r[0] <= r[4] for r in rows])
    rel = np.abs(est - true) / np.abs(true)
    top = vol >= np.quantile(vol, 0.75)
    return {
        "products": len(rows),
        "median_units": float(np.median(vol)),
        "median_rel_error": float(np.median(rel)),
        "share_within_15pct": float(np.mean(rel <= 0.15)),
        "share_within_15pct_top_quarter_volume": float(np.mean(rel[top] <= 0.15)),
        "median_rel_error_top_quarter_volume": float(np.median(rel[top])),
        "ci95_coverage": float(covered.mean()),
        "mean_true": float(true.mean()),
        "mean_estimated": float(est.mean()),
        "pooled_rel_error": float(abs(est.mean() - true.mean()) / abs(true.mean())),
        "corr": float(np.corrcoef(true, est)[0, 1]),
    }


def run_scale(scale: str, seed: int, rerun: bool, retail: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix=f"demo-bench-{scale}-") as tmp:
        env["MLSTORE_VAR_DIR"] = tmp
        cmd = [sys.executable, __file__, "--child", scale, "--seed", str(seed)]
        if rerun:
            cmd.append("--rerun")
        if retail:
            cmd += ["--retail", retail]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode:
            raise SystemExit(f"{scale} failed:\n{proc.stderr[-3000:]}")
        line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line[7:])
        result["process_seconds"] = wall
        return result


PLANTED = """
## What the generator plants (read with `demo.facade.ground_truth(kind)`)

| kind | key | value |
|---|---|---|
| `elasticity` | SKU | `elasticity`, `base_daily_units`, `reference_price`, `cost`, `season`, `lead_time_days`: daily demand is Poisson(base * (price / reference) ** elasticity * season * weekday/holiday * growth) |
| `stockout` | SKU | ISO dates on which demand exceeded stock (sales are censored) |
| `fraud` | order number | `scenario` (stolen_card, card_testing, account_takeover, amount_outlier), `declined`, `chargeback`, `new_shipping_address` |
| `segment` | customer id | `segment` (loyal, regular, bargain_hunter, occasional, one_off), `order_rate`, `top_categories` |
| `churn` | customer id | `churned`, `churn_date` (no activity after it), `one_off` |
| `copurchase` | SKU | `partner_sku`, `rate`: the partner joins the basket with that probability |
| `quality` | SKU | `mean_rating` the review ratings are drawn around |
| `ticket` | ticket external id | `intent`, `category`, `language`, `style` |

The history ends at the moment the command runs (the last 24-hour window ends now), spans 365
days (730 at large scale) and is identical for a seed apart from that anchor (`--now` pins it).
Re-running deletes exactly the rows the previous run wrote (primary-key ranges recorded in
`demo.DemoRange`); rows people created are kept, and a demo category holding a merchant's
product is kept too.
"""


def report(results: list[dict[str, Any]]) -> str:
    load = os.getloadavg()
    out = [
        "# Demo generator benchmark",
        "",
        f"`python bench/demo_generate.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite (fresh file per scale). "
        f"Load average at the end: {load[0]:.1f} (the machine is shared; CPU seconds are the "
        "process's own and are the better measure of cost).",
        "",
        "| scale | rows | events | orders | wall s | CPU s | rows/s (wall) | rows/s (CPU) | peak RSS MB | re-run wall s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        counts = r["counts"]
        rows = int(r["rows"])
        out.append(
            f"| {r['scale']} | {rows:,} | {counts.get('events', 0):,} | {counts.get('orders', 0):,} "
            f"| {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {rows / r['seconds']:,.0f} "
            f"| {rows / max(r['cpu_seconds'], 1e-9):,.0f} | {r['peak_rss_mb']:.0f} "
            f"| {r.get('rerun_seconds', float('nan')):.1f} |"
        )
    for r in results:
        e = r.get("elasticity")
        if e and e.get("products"):
            out += [
                "",
                f"## Planted elasticity recovery ({r['scale']})",
                "",
                "Per product: Poisson log-log fit of daily units on price / reference price, offset "
                "by the store's daily index times the leaf category's monthly index; stock-out days, "
                "planted fraud orders and co-purchase accessories excluded; products with at least "
                "300 units and some price variation.",
                "",
                f"- products fitted: {e['products']} (median {e['median_units']:.0f} units each)",
                f"- median relative error |ê - e| / |e|: {e['median_rel_error']:.1%}; top quarter by "
                f"volume: {e['median_rel_error_top_quarter_volume']:.1%}",
                f"- share within 15 %: {e['share_within_15pct']:.1%} (top quarter by volume: "
                f"{e['share_within_15pct_top_quarter_volume']:.1%})",
                f"- planted value inside the fit's 95 % interval: {e['ci95_coverage']:.1%}",
                f"- mean planted {e['mean_true']:.3f}, mean estimated {e['mean_estimated']:.3f} "
                f"(pooled error {e['pooled_rel_error']:.1%}), correlation {e['corr']:.2f}",
            ]
        imp = r.get("import")
        if imp:
            out += [
                "",
                "## import_dataset online-retail",
                "",
                f"{imp['seconds']:.1f} s: {imp['summary']}",
            ]
    out += ["", PLANTED.strip()]
    out += ["", "Row counts per table (" + results[-1]["scale"] + "):", "", "```"]
    out += [f"{k:>14}: {v:,}" for k, v in results[-1]["counts"].items()]
    out += ["```", ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="small,medium")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rerun", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--retail", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-write", action="store_true", help="print, do not write docs/results/demo.md"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.seed, args.rerun, args.retail)
        return 0
    retail = Path(args.data) / "retail" / "online_retail_II_partial_2009-12-01_2010-01-31.parquet"
    results = []
    for scale in args.scales.split(","):
        print(f"populate_demo --scale {scale} ...", flush=True)
        res = run_scale(
            scale,
            args.seed,
            rerun=scale == "small",
            retail=str(retail) if scale == "small" and retail.exists() else None,
        )
        print(json.dumps({k: v for k, v in res.items() if k != "counts"}, indent=1), flush=True)
        results.append(res)
    text = report(results)
    print(text)
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(text)
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
