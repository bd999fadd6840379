"""Demand forecasting benchmark: the project's model against the EVALUATION.md baselines,
in one run, on the real retail extract and on seeded synthetic data (daily and weekly).

    nice -n 10 .venv/bin/python bench/forecasting.py                 # quality + speed
    nice -n 10 .venv/bin/python bench/forecasting.py --skip-speed    # quality only

Prints markdown tables (docs/results/forecasting.md is written from them).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting.ml import baselines  # noqa: E402
from forecasting.ml.model import DemandForecaster, ForecastResult  # noqa: E402
from forecasting.ml.panel import Panel, panel_from_frame  # noqa: E402
from forecasting.ml.shard import forecast_shard, shard_indices  # noqa: E402
from forecasting.ml.synthetic import make_synthetic, to_weekly  # noqa: E402
from mlops.metrics.forecast import coverage, mase, relative_bias, wape  # noqa: E402

RETAIL = "../shared/data/retail/online_retail_II_partial_2009-12-01_2010-01-31.parquet"
UK_HOLIDAYS = ["2009-12-25", "2009-12-26", "2009-12-28", "2010-01-01", "2010-04-02", "2010-04-05"]


def retail_panel(path: str) -> Panel:
    """Daily units per StockCode (cancellations and non-product codes dropped). The
    extract is missing 2009-12-09 12:00 to 2010-01-03 (9 Dec is cut mid-day): those days
    are unobserved (NaN), not zero sales."""
    raw = pd.read_parquet(path)
    sales = raw[~raw["Invoice"].str.startswith("C") & (raw["Quantity"] > 0)]
    sales = sales[sales["StockCode"].str.match(r"^\d")]
    daily = (
        sales.assign(date=sales["InvoiceDate"].dt.normalize())
        .groupby(["StockCode", "date"])
        .agg(quantity=("Quantity", "sum"), price=("Price", "median"))
        .reset_index()
        .rename(columns={"StockCode": "series_id"})
    )
    panel = panel_from_frame(daily, "D", align_end=True)
    gap = (panel.dates >= "2009-12-09") & (panel.dates <= "2010-01-03")
    y = panel.y.copy()
    y[:, gap] = np.nan
    return Panel(panel.series_ids, panel.dates, y, "D", panel.price, None, None)


def split(panel: Panel, horizon: int) -> tuple[Panel, np.ndarray]:
    """Hold out the last ``horizon`` periods; stockout periods are not scored."""
    t_train = panel.n_periods - horizon
    actual = panel.y[:, t_train:].copy()
    if panel.stockout is not None:
        actual[panel.stockout[:, t_train:]] = np.nan
    return panel.truncate(t_train), actual


THREADS = 2


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float, float]:
    """Result, wall seconds and CPU seconds (this process, all threads)."""
    start, cpu0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - start, time.process_time() - cpu0


def run_case(
    name: str,
    panel: Panel,
    horizon: int,
    holidays: list | pd.DatetimeIndex,
    truth: np.ndarray | None = None,
    with_ets: bool = True,
) -> list[dict[str, object]]:
    train, actual = split(panel, horizon)
    keep = np.any(~np.isnan(train.y), axis=1)  # a series first sold in the holdout has no history
    train, actual = train.take(keep), actual[keep]
    y, m = train.y, train.season
    recent_w = 28 if train.freq == "D" else 8
    n_lags = 14 if train.freq == "D" else 8
    preds: dict[str, tuple[np.ndarray, float, float]] = {
        "naive": timed(lambda: baselines.naive(y, horizon)),
        "seasonal naive": timed(lambda: baselines.seasonal_naive(y, horizon, m)),
        f"mean of last {recent_w}": timed(lambda: baselines.recent_mean(y, horizon, recent_w)),
        "LightGBM on lags": timed(
            lambda: baselines.lightgbm_lags(y, horizon, n_lags, n_jobs=THREADS)
        ),
    }
    if with_ets:
        preds["ETS per series (statsmodels)"] = timed(
            lambda: baselines.ets_statsmodels(y, horizon, m)
        )
    model = DemandForecaster(horizon=horizon, holidays=holidays, n_jobs=THREADS)
    start, cpu0 = time.perf_counter(), time.process_time()
    result = model.fit(train).predict(train)
    ours_time, ours_cpu = time.perf_counter() - start, time.process_time() - cpu0
    rows = [
        {
            "data": name,
            "method": "(reference: all-zero forecast)",
            "MASE": mase(actual, np.zeros_like(actual), y, m),
            "WAPE": wape(actual, np.zeros_like(actual)),
            "seconds": 0.0,
        }
    ]
    for label, (fc, secs, cpu) in preds.items():
        rows.append(
            {
                "data": name,
                "method": label,
                "MASE": mase(actual, fc, y, m),
                "WAPE": wape(actual, fc),
                "seconds": secs,
                "CPU s": cpu,
            }
        )
    best = min(r["MASE"] for r in rows[1:])
    ours = {
        "data": name,
        "method": "**mlstore global LightGBM**",
        "MASE": mase(actual, result.mean, y, m),
        "WAPE": wape(actual, result.mean),
        "seconds": ours_time,
        "CPU s": ours_cpu,
        "gain_vs_best": 1 - mase(actual, result.mean, y, m) / best,
    }
    for lv in result.levels:
        ours[f"cov{round(lv * 100)}"] = coverage(actual, result.lower[lv], result.upper[lv])
    if truth is not None:
        t_train = panel.n_periods - horizon
        true = truth[keep, t_train:]
        # expected (mean) forecast against true demand, stockout days included
        ours["bias_expected_vs_demand"] = relative_bias(true, result.expected)
    methods = pd.Series(result.method).value_counts().to_dict()
    ours["methods"] = ", ".join(f"{k}:{v}" for k, v in methods.items())
    ours["load avg"] = os.getloadavg()[0]
    rows.append(ours)
    return rows


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


_WORKER_MODEL: DemandForecaster | None = None


def _worker_init(model: DemandForecaster) -> None:
    """Each worker process loads the fitted model once (a Celery worker loads the active
    model version once too), so a task carries only its shard."""
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _worker_forecast(model: None, shard: Panel) -> ForecastResult:
    assert _WORKER_MODEL is not None
    return forecast_shard(_WORKER_MODEL, shard)


def speed(n_series: int, workers: list[int]) -> list[dict[str, object]]:
    """Wall and CPU seconds (CPU time shows the cost when other jobs share the cores)."""
    data = make_synthetic(n_series, 730, seed=42)
    rows = []
    start, cpu0 = time.perf_counter(), cpu_seconds()
    model = DemandForecaster(horizon=28, holidays=data.holidays).fit(data.panel)
    fit_s, fit_cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    model.n_jobs = 1  # one thread per worker process, like one Celery worker per core
    # spawn, not fork: a child forked after LightGBM's OpenMP threads ran can hang forever
    # in libgomp (the earlier unfinished speed runs were this deadlock)
    ctx = multiprocessing.get_context("spawn")
    for w in workers:
        with ProcessPoolExecutor(
            max_workers=w, mp_context=ctx, initializer=_worker_init, initargs=(model,)
        ) as pool:
            # warm workers (started, forecasting code imported) like running Celery workers
            list(pool.map(time.sleep, [1.0] * w))
            list(pool.map(shard_indices, [1] * w, [1] * w))
            start, cpu0 = time.perf_counter(), cpu_seconds()
            result = ForecastResult.concat(
                list(
                    pool.map(
                        _worker_forecast,
                        [None] * 8,
                        [data.panel.take(s) for s in shard_indices(data.panel.n_series, 8)],
                    )
                )
            )
            pred_s = time.perf_counter() - start
        pred_cpu = cpu_seconds() - cpu0  # children's CPU is counted once they exit
        rows.append(
            {
                "series": n_series,
                "forecast workers": w,
                "fit wall s": fit_s,
                "fit CPU s": fit_cpu,
                "forecast wall s": pred_s,
                "forecast CPU s": pred_cpu,
                "total wall s": fit_s + pred_s,
                "forecast rows": int(result.mean.size),
                "load avg": os.getloadavg()[0],
            }
        )
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    cols = list(dict.fromkeys(k for r in rows for k in r))

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.3f}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--retail", default=RETAIL)
    parser.add_argument("--synthetic-series", type=int, default=300)
    parser.add_argument("--speed-series", type=int, default=10_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--only",
        default="",
        help="comma list of cases: retail, seed1-daily, seed1-weekly, seed2-daily, seed2-weekly",
    )
    parser.add_argument("--no-ets", action="store_true", help="skip the slow statsmodels baseline")
    parser.add_argument(
        "--threads", type=int, default=2, help="LightGBM threads (1 on a shared machine)"
    )
    args = parser.parse_args()
    global THREADS
    THREADS = args.threads
    print(f"# forecasting bench ({os.cpu_count()} cores)\n")
    if not args.skip_quality:
        wanted = set(args.only.split(",")) if args.only else None

        def want(key: str) -> bool:
            return wanted is None or key in wanted

        rows: list[dict[str, object]] = []
        if want("retail") and args.retail and Path(args.retail).exists():
            rows += run_case(
                "UCI retail daily, last 7 days",
                retail_panel(args.retail),
                7,
                UK_HOLIDAYS,
                with_ets=not args.no_ets,
            )
            print(markdown(rows), flush=True)
        # two seeds whose last weeks fall in December (Christmas) and in June
        for seed, start in ((1, "2023-01-02"), (2, "2023-06-05")):
            if not (want(f"seed{seed}-daily") or want(f"seed{seed}-weekly")):
                continue
            data = make_synthetic(args.synthetic_series, 730, seed=seed, start=start)
            rows = []
            if want(f"seed{seed}-daily"):
                rows += run_case(
                    f"synthetic seed {seed} daily (ends {data.panel.dates[-1].date()}), last 28 days",
                    data.panel,
                    28,
                    data.holidays,
                    truth=data.demand,
                    with_ets=not args.no_ets,
                )
            if want(f"seed{seed}-weekly"):
                weekly, weekly_demand = to_weekly(data.panel, data.demand)
                for h in (4, 8):
                    rows += run_case(
                        f"synthetic seed {seed} weekly, last {h} weeks",
                        weekly,
                        h,
                        data.holidays,
                        truth=weekly_demand,
                        with_ets=not args.no_ets,
                    )
            print(markdown(rows), flush=True)
    if not args.skip_speed:
        print()
        print(markdown(speed(args.speed_series, [1, 2])))


if __name__ == "__main__":
    main()
