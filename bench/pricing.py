"""Pricing benchmark: elasticity error and profit against a known truth, plus a real-data run.

Real sales data has no known elasticity, so the scored part runs on a seeded demand simulator:
products with a planted constant elasticity (category mean + product noise), weekly and yearly
seasonality, promotions that lift demand beyond their discount (and run more often in the low
season), permanent price changes, stockout spells (sales truncated to zero), over-dispersed
(negative binomial) daily sales, and a share of products with no or almost no price variation.
It writes HIST.csv / PRODUCTS.csv per the `ml_eval pricing` contract (EVALUATION.md; `promo`,
`stockout`, `category`, `list_price`, ... as extra columns) and scores

- the model (pricing.ml: quasi-Poisson log-log regression with controls, stockout exclusion,
  empirical-Bayes shrinkage; guardrailed optimiser), and
- the baseline: per-product log-log OLS (statsmodels, log units ~ log price on days with
  sales) + grid search of the profit inside the same guardrails,

on expected profit as a share of the oracle's (true demand curve, same guardrails), guardrail
violations and the median relative elasticity error (mlops/metrics/pricing.py).

    python bench/pricing.py                       # scored simulation + retail run
    python bench/pricing.py --timing 10000        # proposals for 10k products, wall time
    python bench/pricing.py --ml-eval             # score `manage.py ml_eval pricing` output
    DATABASE_URL=... python bench/pricing.py --demo-db   # the populated demo store itself
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlops.metrics.pricing import allowed_range, pricing_report  # noqa: E402
from pricing.ml.elasticity import ElasticityEstimator  # noqa: E402
from pricing.ml.optimizer import PriceOptimizer  # noqa: E402
from pricing.ml.pipeline import products_with_estimates, recommend_prices  # noqa: E402

RETAIL = "../shared/data/retail/online_retail_II_partial_2009-12-01_2010-01-31.parquet"
GUARD_COLS = [
    "min_margin",
    "max_change_pct",
    "list_price",
    "max_discount_pct",
    "floor_price",
    "ceiling_price",
    "competitor_price",
    "competitor_cap_pct",
]


# ----------------------------------------------------------------------------- simulator
def simulate(
    n_products: int, days: int = 365, seed: int = 0, n_categories: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns HIST (product_id, date, price, quantity, promo, stockout), PRODUCTS (contract
    columns + optional guardrails + category) and TRUTH (elasticity, base_units,
    reference_price, cost per product)."""
    rng = np.random.default_rng(seed)
    n, t = n_products, days
    cat = rng.integers(0, n_categories, n)
    cat_mean = rng.uniform(-3.2, -1.4, n_categories)
    elasticity = np.clip(cat_mean[cat] + rng.normal(0, 0.35, n), -5.0, -1.1)
    base = np.exp(rng.normal(np.log(4.0), 0.9, n))
    ref = np.round(np.exp(rng.normal(np.log(25.0), 0.8, n)), 2)
    cost = np.round(ref * rng.uniform(0.35, 0.65, n), 2)

    dates = pd.date_range("2025-01-01", periods=t, freq="D")
    dow = dates.day_of_week.to_numpy()
    doy = 2 * np.pi * np.arange(t) / 365.25
    week = np.exp(rng.normal(0, 0.12, (n_categories, 7)))
    week[:, 5:] *= 1.25  # weekends sell more
    week /= week.mean(axis=1, keepdims=True)
    amp = rng.uniform(0.0, 0.35, n_categories)
    phase = rng.uniform(0, 2 * np.pi, n_categories)
    season = week[cat][:, dow] * np.exp(
        amp[cat][:, None] * np.sin(doy[None, :] + phase[cat][:, None])
    )
    trend = np.exp(rng.normal(0, 0.15, n)[:, None] * np.arange(t)[None, :] / 365.25)

    # list price: random permanent changes; 15% never change, 10% barely change
    kind = rng.choice(["normal", "flat", "almost"], size=n, p=[0.75, 0.15, 0.10])
    start = ref * np.exp(rng.normal(0, 0.08, n))
    steps = np.where(rng.random((n, t)) < 1 / 60, np.exp(rng.normal(0, 0.08, (n, t))), 1.0)
    steps[:, 0] = 1.0
    steps[kind == "flat"] = 1.0
    almost = kind == "almost"
    steps[almost] = 1.0
    k_al = int(almost.sum())
    steps[np.flatnonzero(almost), rng.integers(30, t - 30, k_al)] = (
        1 + rng.choice([-1, 1], k_al) * 0.01
    )
    list_path = np.round(start[:, None] * np.cumprod(steps, axis=1), 2)

    # promotions: 7-day blocks, more likely in the low season (the confounding to control for)
    low = season < np.median(season, axis=1, keepdims=True)
    promo_start = rng.random((n, t)) < np.where(low, 1 / 40, 1 / 120)
    promo_start[kind != "normal"] = False
    promo = np.zeros((n, t), dtype=bool)
    for k in range(7):
        promo[:, k:] |= promo_start[:, : t - k]
    # each promotion has its own depth (10-30%), held for its 7 days
    depth = pd.DataFrame(np.where(promo_start, rng.uniform(0.10, 0.30, (n, t)), np.nan))
    depth = depth.ffill(axis=1, limit=6).fillna(0.0).to_numpy()
    price = np.round(np.where(promo, list_path * (1 - depth), list_path), 2)

    lam = base[:, None] * (price / ref[:, None]) ** elasticity[:, None] * season * trend
    lam = lam * np.where(promo, np.exp(0.25), 1.0)  # display / newsletter lift beyond the discount
    lam = lam * rng.gamma(8.0, 1 / 8.0, (n, t))  # over-dispersion
    qty = rng.poisson(lam).astype(float)

    stockout = np.zeros((n, t), dtype=bool)
    has_so = rng.random(n) < 0.3
    for i in np.flatnonzero(has_so):
        for _ in range(rng.integers(1, 4)):
            s = rng.integers(0, t - 3)
            stockout[i, s : s + rng.integers(3, 15)] = True
    qty[stockout] = 0.0

    pid = np.array([f"P{i:05d}" for i in range(n)])
    hist = pd.DataFrame(
        {
            "product_id": np.repeat(pid, t),
            "date": np.tile(dates.strftime("%Y-%m-%d"), n),
            "price": price.ravel(),
            "quantity": qty.ravel().astype(int),
            "promo": promo.ravel().astype(int),
            "stockout": stockout.ravel().astype(int),
        }
    )
    current = list_path[:, -1]
    products = pd.DataFrame(
        {
            "product_id": pid,
            "cost": cost,
            "current_price": current,
            "min_margin": rng.choice([0.10, 0.20, 0.30], n),
            "max_change_pct": rng.choice([5.0, 10.0, 15.0, 20.0], n),
            "category": np.array([f"C{c:02d}" for c in cat]),
        }
    )
    r = rng.random(n)
    products["list_price"] = np.where(
        r < 0.4, np.round(current * rng.uniform(1.0, 1.2, n), 2), np.nan
    )
    products["max_discount_pct"] = np.where(r < 0.4, rng.choice([5.0, 10.0, 20.0], n), np.nan)
    products["floor_price"] = np.where(rng.random(n) < 0.2, np.round(current * 0.95, 2), np.nan)
    products["ceiling_price"] = np.where(rng.random(n) < 0.2, np.round(current * 1.05, 2), np.nan)
    comp = rng.random(n) < 0.3
    products["competitor_price"] = np.where(
        comp, np.round(current * rng.uniform(0.95, 1.2, n), 2), np.nan
    )
    products["competitor_cap_pct"] = np.where(comp, 5.0, np.nan)
    # guardrails that contradict each other have no valid answer: drop optional ones until the
    # remaining set can be met (the optimiser's own conflict handling is tested separately)
    for cols in (
        ["competitor_price", "competitor_cap_pct"],
        ["list_price", "max_discount_pct"],
        ["floor_price"],
        ["ceiling_price"],
    ):
        lo, hi = _range(products)
        products.loc[lo > hi, cols] = np.nan
    lo, hi = _range(products)
    clash = (lo > hi).to_numpy() if hasattr(lo, "to_numpy") else lo > hi
    # a cost too high for min margin within max change: lower the cost so the rules can be met
    cost = np.where(clash, np.floor(hi / (1 + products["min_margin"].to_numpy()) * 95) / 100, cost)
    products["cost"] = cost
    truth = pd.DataFrame(
        {
            "product_id": pid,
            "elasticity": elasticity,
            "base_units": base,
            "reference_price": ref,
            "cost": cost,
            "kind": kind,
        }
    )
    return hist, products, truth


def _range(products: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    kw = {c: products[c].to_numpy(float) for c in GUARD_COLS if c in products.columns}
    return allowed_range(
        current_price=products["current_price"].to_numpy(float),
        cost=products["cost"].to_numpy(float),
        **kw,
    )


# ------------------------------------------------------------------------------ baseline
def baseline(hist: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Per-product OLS log(units) ~ log(price) on days with sales, then a 200-point grid search
    of (price - cost) * price ** b inside the guardrails; no estimate -> the current price
    moved into the guardrails."""
    import statsmodels.api as sm

    h = hist[(hist["quantity"] > 0) & (hist["price"] > 0)]
    b: dict[object, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for pid, g in h.groupby("product_id", sort=False):
            lp = np.log(g["price"].to_numpy(float))
            if len(g) < 3 or lp.std() < 1e-9:
                continue
            res = sm.OLS(np.log(g["quantity"].to_numpy(float)), sm.add_constant(lp)).fit()
            b[pid] = float(res.params[1])
    e = products["product_id"].map(b).to_numpy(float)
    lo, hi = _range(products)
    p0 = products["current_price"].to_numpy(float)
    cost = products["cost"].to_numpy(float)
    hi = np.where(np.isfinite(hi), hi, np.floor(p0 * 150) / 100)
    grid = np.round(lo[:, None] + np.linspace(0, 1, 200)[None, :] * (hi - lo)[:, None], 2)
    grid = np.clip(grid, lo[:, None], hi[:, None])
    prof = (grid - cost[:, None]) * (grid / p0[:, None]) ** np.nan_to_num(e)[:, None]
    best = grid[np.arange(len(grid)), np.argmax(prof, axis=1)]
    price = np.where(np.isfinite(e), best, np.clip(p0, lo, hi))
    return pd.DataFrame(
        {"product_id": products["product_id"], "elasticity": e, "recommended_price": price}
    )


# ------------------------------------------------------------------------------- scoring
def score(
    prices: pd.DataFrame,
    products: pd.DataFrame,
    truth: pd.DataFrame,
    mask: np.ndarray | None = None,
) -> dict[str, float]:
    p = products.merge(
        prices[["product_id", "elasticity", "recommended_price"]], on="product_id", how="left"
    )
    t = truth.set_index("product_id").loc[p["product_id"]]
    if mask is None:
        mask = np.ones(len(p), dtype=bool)
    guard = {c: p[c].to_numpy(float)[mask] for c in GUARD_COLS if c in p.columns}
    guard["current_price"] = p["current_price"].to_numpy(float)[mask]
    guard["cost"] = p["cost"].to_numpy(float)[mask]
    return pricing_report(
        recommended_price=p["recommended_price"].to_numpy(float)[mask],
        estimated_elasticity=p["elasticity"].to_numpy(float)[mask],
        truth={
            "elasticity": t["elasticity"].to_numpy(float)[mask],
            "base_units": t["base_units"].to_numpy(float)[mask],
            "reference_price": t["reference_price"].to_numpy(float)[mask],
            "cost": t["cost"].to_numpy(float)[mask],
        },
        guardrails=guard,
    )


def model_prices(hist: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    proposals, _ = recommend_prices(hist, products)
    return proposals


def run_ml_eval(hist: pd.DataFrame, products: pd.DataFrame, workdir: Path) -> pd.DataFrame:
    h, p, out = workdir / "HIST.csv", workdir / "PRODUCTS.csv", workdir / "PRICES.csv"
    hist.to_csv(h, index=False)
    products.to_csv(p, index=False)
    cmd = [
        sys.executable,
        str(ROOT / "manage.py"),
        "ml_eval",
        "pricing",
        "--history",
        str(h),
        "--products",
        str(p),
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ})
    return pd.read_csv(out, dtype={"product_id": str})


def fmt(r: dict[str, float]) -> str:
    return (
        f"profit share {r['profit_share']:.4f}  loss {r['profit_loss']:.1f}  "
        f"violations {r['violations']} (+{r['infeasible']} infeasible)  "
        f"median rel. err {r['median_rel_error']:.3f}"
    )


def simulated(args: argparse.Namespace) -> list[str]:
    lines = []
    hist, products, truth = simulate(args.products, args.days, args.seed)
    flat = truth["kind"].to_numpy() != "normal"
    print(
        f"simulated {len(products)} products x {args.days} days = {len(hist)} rows "
        f"({flat.sum()} with no or almost no price variation)"
    )
    variants = [
        ("with promo/stockout flags", hist),
        ("without promo/stockout flags", hist.drop(columns=["promo", "stockout"])),
    ]
    for label, h in variants:
        t0 = time.perf_counter()
        if args.ml_eval:
            with tempfile.TemporaryDirectory() as d:
                mp = run_ml_eval(h, products, Path(d))
        else:
            mp = model_prices(h, products)
        t_model = time.perf_counter() - t0
        t0 = time.perf_counter()
        bp = baseline(h, products)
        t_base = time.perf_counter() - t0
        rm, rb = score(mp, products, truth), score(bp, products, truth)
        rm_flat = score(mp, products, truth, flat)
        rm_var = score(mp, products, truth, ~flat)
        rb_var = score(bp, products, truth, ~flat)
        less = 1 - rm["profit_loss"] / rb["profit_loss"] if rb["profit_loss"] > 0 else float("nan")
        print(f"[{label}]")
        print(f"  model    {fmt(rm)}  ({t_model:.1f} s)")
        print(f"  baseline {fmt(rb)}  ({t_base:.1f} s)")
        print(f"  current prices: profit share {rm['current_share']:.4f}")
        print(f"  model on products with price variation: {fmt(rm_var)}")
        print(f"  baseline on products with price variation: {fmt(rb_var)}")
        print(
            f"  model on no/almost-no variation products (pooled): median rel. err "
            f"{rm_flat['median_rel_error']:.3f}"
        )
        print(f"  model loses {less:.1%} less profit than the baseline")
        lines.append(
            f"| simulated, {args.products} products x {args.days} d, seed {args.seed}, {label} | "
            f"{rm['profit_share']:.4f} / {rb['profit_share']:.4f} | {rm['violations']} / {rb['violations']} | "
            f"{rm['median_rel_error']:.3f} / {rb['median_rel_error']:.3f} | {less:.0%} | "
            f"{t_model:.1f} s / {t_base:.1f} s |"
        )
    return lines


def timing(n: int, days: int, seed: int) -> None:
    hist, products, _ = simulate(n, days, seed)
    print(f"timing: {n} products x {days} days = {len(hist)} rows")

    t0, c0 = time.perf_counter(), time.process_time()
    est = ElasticityEstimator().fit(hist, products)
    t1, c1 = time.perf_counter(), time.process_time()
    PriceOptimizer().propose(products_with_estimates(products, est))
    t2, c2 = time.perf_counter(), time.process_time()
    # CPU time too: on a shared machine the wall clock mostly measures the neighbours
    print(
        f"  elasticity fit {t1 - t0:.1f} s wall / {c1 - c0:.1f} s CPU, proposals "
        f"{t2 - t1:.2f} s wall / {c2 - c1:.2f} s CPU, total {t2 - t0:.1f} s wall / "
        f"{c2 - c0:.1f} s CPU; load average {os.getloadavg()[0]:.1f}"
    )


def retail(path: str) -> None:
    df = pd.read_parquet(path)
    df = df[~df["Invoice"].astype(str).str.startswith("C")]
    df = df[df["StockCode"].astype(str).str.match(r"^\d{5}")]  # drop POST, M, D, ... codes
    df = df[(df["Quantity"] > 0) & (df["Price"] > 0)]
    df["date"] = df["InvoiceDate"].dt.normalize()
    df["pq"] = df["Price"] * df["Quantity"]
    daily = df.groupby(["StockCode", "date"]).agg(quantity=("Quantity", "sum"), pq=("pq", "sum"))
    daily["price"] = daily["pq"] / daily["quantity"]
    hist = daily.reset_index().rename(columns={"StockCode": "product_id"})[
        ["product_id", "date", "price", "quantity"]
    ]
    t0 = time.perf_counter()
    est = ElasticityEstimator().fit(hist)
    dt = time.perf_counter() - t0
    e = est.estimates_
    own = e[~e["pooled"]]
    sig = own[(own["elasticity_hi"] < 0)]
    print(f"retail: {len(hist)} product-days, {len(e)} StockCodes, fit {dt:.1f} s")
    print(
        f"  own estimates for {len(own)} ({len(own) / len(e):.0%}); the rest pooled to "
        f"{est.global_prior_.mean:.2f} (between-product sd {est.global_prior_.sd:.2f})"
    )
    if len(own):
        q = own["elasticity"].quantile([0.1, 0.25, 0.5, 0.75, 0.9]).round(2).tolist()
        print(f"  shrunk own elasticities p10/p25/p50/p75/p90: {q}; 95% CI below 0 for {len(sig)}")
        print(
            f"  raw own estimates median {own['own_elasticity'].median():.2f}, "
            f"median CI width {(own['elasticity_hi'] - own['elasticity_lo']).median():.2f}"
        )


def _demo_sim(
    scale: str,
    seed: int,
    *,
    experiment_pct: float = 0.0,
    experiment_weeks: int = 0,
    volume: float = 1.0,
) -> tuple[Any, Any]:
    """The demo generator (demo/simulate.py, the code behind `populate_demo`) run up to the
    sales stage. What-if knobs for `--demo-what-if` only (never in the scored rows): a
    season of price experiments on every product (+-experiment_pct in alternating weeks over
    the last experiment_weeks weeks, random phase) and every product's demand x volume."""
    import datetime as dt

    from demo.simulate import Simulator, World

    sim = Simulator(seed=seed, scale=scale, anchor=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    w = World(anchor_us=sim.anchor_us, days=sim.cfg.days)
    sim._calendar()
    sim._catalog(w)
    sim._prices(w)
    if experiment_pct and experiment_weeks:
        n, d = sim.price.shape
        phase = np.random.default_rng(seed + 99).integers(0, 2, n)
        day = np.arange(d)
        start = d - 7 * experiment_weeks
        sign = np.where(((((day - start) // 7)[None, :] + phase[:, None]) % 2) == 0, 1.0, -1.0)
        factor = np.where(day[None, :] >= start, 1 + experiment_pct * sign, 1.0)
        sim.price = np.round(sim.price * factor, 2)
    if volume != 1.0:
        sim.p["base"] = sim.p["base"] * volume
    sim._demand(w)
    return sim, w


def bayes_bound(sim: Any) -> np.ndarray:
    """Elasticity an ideal estimator would report for each demo product: the posterior median
    given the product's uncensored own sales (co-purchase units left out), knowing its true
    demand level, seasonality and stockout days and, as the prior, the true uniform range its
    leaf category draws elasticities from. Only the elasticity itself is unknown, so no real
    estimator can do better on average: its error is a floor for the demo's data."""
    pp = sim.p
    e_true = pp["elasticity"]
    band = np.array([sim.leaves[x][2]["elasticity"] for x in pp["leaf"]], float)
    ref = pp["list_price0"]
    lam_ref = sim.lam / (sim.price / ref[:, None]) ** e_true[:, None]  # demand at list price
    x = np.log(sim.price / ref[:, None])
    ok = ~sim.censored & (lam_ref > 0)
    grid = np.linspace(0.0, 1.0, 201)
    out = np.empty(len(e_true))
    for i in range(len(e_true)):
        g = band[i, 0] + grid * (band[i, 1] - band[i, 0])
        m = ok[i]
        gx = g[:, None] * x[i, m][None, :]
        ll = (sim.sales[i, m][None, :] * gx).sum(axis=1) - (
            lam_ref[i, m][None, :] * np.exp(gx)
        ).sum(axis=1)
        post = np.exp(ll - ll.max())
        out[i] = g[np.searchsorted(np.cumsum(post) / post.sum(), 0.5)]
    return out


def demo_world(scale: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demo generator's own demand simulation (demo/simulate.py, the code behind
    `populate_demo`), run up to the sales stage: HIST / PRODUCTS / TRUTH as for `simulate`.
    The store sees units sold (own sales + co-purchases), censored by stock, and its stock
    records: `stockout` marks days that ended with nothing on hand. It is not told which days
    were promotions."""
    sim, w = _demo_sim(scale, seed)
    return _demo_frames(sim, w)


def _sold_out(sim: Any, sold: np.ndarray) -> np.ndarray:
    """Days that ended with nothing on hand, from the store's own stock records (opening
    stock + deliveries - units sold), as a merchant's inventory shows them; not the
    simulator's hidden record of unmet demand."""
    n, d = sold.shape
    prod, day, qty = sim.restocks
    delivered = np.zeros((n, d))
    np.add.at(delivered, (prod, day), qty)
    on_hand = sim.opening[:, None] + np.cumsum(delivered - sold, axis=1)
    return on_hand <= 0


def _demo_frames(sim: Any, w: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n, d = sim.price.shape
    launched = np.arange(d)[None, :] >= sim.p["launch"][:, None]
    pid = np.array([str(s) for s in sim.skus])
    dates = pd.date_range("2025-01-01", periods=d, freq="D").strftime("%Y-%m-%d").to_numpy()
    rows, cols = np.nonzero(launched)
    sold = sim.sales + sim.extra
    hist = pd.DataFrame(
        {
            "product_id": pid[rows],
            "date": dates[cols],
            "price": sim.price[rows, cols],
            "quantity": sold[rows, cols],
            "stockout": _sold_out(sim, sold)[rows, cols].astype(int),
        }
    )
    truth_map = {k[1]: v for kind, k, v in w.truth if kind == "elasticity"}
    current = sim.price[:, -1]
    products = pd.DataFrame(
        {
            "product_id": pid,
            "cost": sim.p["cost"],
            "current_price": current,
            "min_margin": 0.15,
            "max_change_pct": 10.0,
            "category": sim.p["leaf"].astype(str),
        }
    )
    # a cost above what min margin allows within max change would make every answer a violation
    cap = np.floor(current * 1.10 / 1.15 * 99) / 100
    products["cost"] = np.minimum(products["cost"], cap)
    truth = pd.DataFrame(
        {
            "product_id": pid,
            "elasticity": [truth_map[s]["elasticity"] for s in pid],
            "base_units": [truth_map[s]["base_daily_units"] for s in pid],
            "reference_price": [truth_map[s]["reference_price"] for s in pid],
            "cost": products["cost"].to_numpy(),
            "kind": "demo",
        }
    )
    return hist, products, truth


def demo_check(scales: list[str], seed: int) -> list[str]:
    lines = []
    for scale in scales:
        sim, w = _demo_sim(scale, seed)
        hist, products, truth = _demo_frames(sim, w)
        units = hist.groupby("product_id")["quantity"].sum()
        t0 = time.perf_counter()
        mp, est = recommend_prices(hist, products)
        t_model = time.perf_counter() - t0
        bp = baseline(hist, products)
        rm, rb = score(mp, products, truth), score(bp, products, truth)
        less = 1 - rm["profit_loss"] / rb["profit_loss"] if rb["profit_loss"] > 0 else float("nan")
        own = ~mp["pooled"].to_numpy()
        busy = products["product_id"].map(units).to_numpy() >= 300
        print(
            f"[demo generator, scale {scale}, seed {seed}: {len(products)} products, "
            f"median {units.median():.0f} units per product over the history]"
        )
        print(f"  model    {fmt(rm)}  ({t_model:.1f} s)")
        print(f"  baseline {fmt(rb)}")
        print(
            f"  model loses {less:.1%} less profit than the baseline; own estimates for "
            f"{own.sum()} products"
        )
        # the best any pooled estimate can do: every product at its category's true mean
        t = truth["elasticity"].to_numpy(float)
        cat_mean = pd.Series(t).groupby(products["category"].to_numpy()).transform("mean")
        floor_err = np.median(np.abs(cat_mean.to_numpy() - t) / np.abs(t))
        print(
            f"  category-mean oracle (true leaf mean for every product): median rel. err "
            f"{floor_err:.3f}"
        )
        # the floor for any estimator on this data, and the profit its estimates would reach
        # through the same optimiser and demand levels as the model
        ideal = bayes_bound(sim)
        frame = products_with_estimates(products, est)
        frame["elasticity"] = ideal
        ri = score(PriceOptimizer().propose(frame).assign(elasticity=ideal), products, truth)
        print(
            f"  information bound (ideal estimator knowing all but the elasticity, see "
            f"bayes_bound): median rel. err {ri['median_rel_error']:.3f}, profit share "
            f"{ri['profit_share']:.4f}"
        )
        if busy.any():
            rbusy = score(mp, products, truth, busy)
            print(
                f"  products with >= 300 units: {busy.sum()}, median rel. err "
                f"{rbusy['median_rel_error']:.3f}"
            )
        lines.append(
            f"| demo generator ({scale}, seed {seed}), {len(products)} products | "
            f"{rm['profit_share']:.4f} / {rb['profit_share']:.4f} | "
            f"{rm['violations']} / {rb['violations']} | "
            f"{rm['median_rel_error']:.3f} / {rb['median_rel_error']:.3f} | {less:.0%} | "
            f"{t_model:.1f} s |"
        )
    return lines


def demo_what_if(scales: list[str], seed: int) -> None:
    """How informative the demo's history would have to be: the information bound (and the
    model's error) if the store had run a season of price experiments on every product, or
    sold more units per product. What-ifs only, none of them is the demo store."""
    cases = [
        ("as generated", 0.0, 0, 1.0),
        ("+-15% experiments, last 26 weeks", 0.15, 26, 1.0),
        ("+-20% experiments, all 52 weeks", 0.20, 52, 1.0),
        ("demand x10", 0.0, 0, 10.0),
        ("demand x10 + 15% experiments 26 weeks", 0.15, 26, 10.0),
    ]
    for scale in scales:
        for name, pct, weeks, vol in cases:
            sim, w = _demo_sim(scale, seed, experiment_pct=pct, experiment_weeks=weeks, volume=vol)
            hist, products, truth = _demo_frames(sim, w)
            t = truth["elasticity"].to_numpy(float)
            ideal = np.median(np.abs(bayes_bound(sim) - t) / np.abs(t))
            est = ElasticityEstimator().fit(hist, products).predict(products["product_id"])
            model = np.median(np.abs(est["elasticity"].to_numpy(float) - t) / np.abs(t))
            units = hist.groupby("product_id")["quantity"].sum().median()
            print(
                f"  what-if {scale:6s} {name:40s} median units {units:6.0f}  median rel. err: "
                f"information bound {ideal:.3f}, model {model:.3f}",
                flush=True,
            )


def demo_db_check() -> None:
    """The populated demo store itself (Django database from DATABASE_URL): train through
    `pricing.facade.train`, then score the stored elasticities against the demo's planted
    `GroundTruth` and the pending proposals against the true demand curves."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storefront.settings")
    django.setup()
    from catalog import facade as catalog
    from demo import facade as demo
    from pricing import facade, selectors
    from pricing.models import ElasticityEstimate, PriceProposal

    truth = demo.ground_truth("elasticity")
    if not truth:
        print("demo store: no planted elasticities in this database (run populate_demo first)")
        return
    t0 = time.perf_counter()
    summary = facade.train(force=True)
    took = time.perf_counter() - t0
    prods = catalog.products_frame()
    prods = prods[prods["sku"].isin(truth.keys()) & prods["is_active"]].reset_index(drop=True)
    est = dict(ElasticityEstimate.objects.values_list("product_id", "elasticity"))
    proposed = dict(
        PriceProposal.objects.filter(status="pending").values_list("product_id", "proposed_price")
    )
    policy = selectors.policy_for_category(category_id=None)
    t = [truth[s] for s in prods["sku"]]
    products = pd.DataFrame(
        {
            "product_id": prods["product_id"],
            "cost": prods["cost"],
            "current_price": prods["price"],
            "min_margin": float(policy.min_margin_pct) / 100,
            "max_change_pct": float(policy.max_change_pct),
        }
    )
    prices = pd.DataFrame(
        {
            "product_id": prods["product_id"],
            "elasticity": prods["product_id"].map(est).astype(float),
            "recommended_price": [
                float(proposed.get(pid, price))
                for pid, price in zip(prods["product_id"], prods["price"], strict=True)
            ],
        }
    )
    truth_df = pd.DataFrame(
        {
            "product_id": prods["product_id"],
            "elasticity": [x["elasticity"] for x in t],
            "base_units": [x["base_daily_units"] for x in t],
            "reference_price": [x["reference_price"] for x in t],
            "cost": prods["cost"],
        }
    )
    r = score(prices, products, truth_df)
    print(
        f"[demo store database: {len(products)} products, train {took:.1f} s, holdout WAPE "
        f"{summary.get('holdout_wape', float('nan')):.3f} vs "
        f"{summary.get('holdout_wape_no_price_effect', float('nan')):.3f} without a price effect]"
    )
    print(f"  {fmt(r)}; {len(proposed)} pending proposals (store default guardrails)")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--data",
        default=str(ROOT.parent / "shared" / "data"),
        help="shared data folder (bench/run_all.py passes it)",
    )
    ap.add_argument("--retail", default=None, help="retail parquet (default: under --data)")
    ap.add_argument("--timing", type=int, default=0, help="only time N products")
    ap.add_argument("--ml-eval", action="store_true", help="score manage.py ml_eval pricing output")
    ap.add_argument(
        "--demo-db",
        action="store_true",
        help="only check the populated demo store in DATABASE_URL (trains pricing)",
    )
    ap.add_argument(
        "--demo-what-if",
        action="store_true",
        help="only the information-bound what-ifs on the demo generator (--demo-scales)",
    )
    ap.add_argument(
        "--demo-scales",
        default="small,medium",
        help="demo generator scales to check (comma-separated; empty = skip)",
    )
    args = ap.parse_args()
    if args.demo_db:
        demo_db_check()
        return
    if args.demo_what_if:
        demo_what_if(args.demo_scales.split(","), args.seed)
        return
    if args.timing:
        timing(args.timing, args.days, args.seed)
        return
    lines = simulated(args)
    if args.demo_scales:
        lines += demo_check(args.demo_scales.split(","), args.seed)
    print(
        "\n| data | profit share model / baseline | violations | median rel. elasticity error | less profit loss | time model / baseline |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))
    path = args.retail
    if path is None:
        path = str(Path(args.data) / "retail" / Path(RETAIL).name)
    if path and Path(path).exists():
        retail(path)
    elif path:
        print(f"retail: {path} not found, skipped")


if __name__ == "__main__":
    main()
