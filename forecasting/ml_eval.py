"""`manage.py ml_eval forecasting`: demand forecasts from a plain CSV history.

HIST.csv  series_id,date,quantity[,price,promo,stockout]   (promo / stockout 0/1)
FC.csv    series_id,date,forecast,lo80,hi80,lo95,hi95,method
          (H periods after each series' last date; every series gets H rows)
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from forecasting.ml.model import DemandForecaster
from forecasting.ml.panel import panel_from_frame
from mlops.ml_eval import EvalCommand, EvalInputError, read_csv, register, write_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--history", required=True, help="HIST.csv: series_id,date,quantity[,price]"
    )
    parser.add_argument("--horizon", required=True, type=int, help="periods to forecast")
    parser.add_argument("--freq", required=True, choices=["D", "W"], help="D daily, W weekly")
    parser.add_argument("--out", required=True, help="FC.csv to write")
    parser.add_argument("--holidays", default="", help="optional file with one ISO date per line")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> str:
    if args.horizon < 1 or args.horizon > 366:
        raise EvalInputError(f"--horizon must be between 1 and 366, got {args.horizon}")
    frame = read_csv(
        args.history,
        required=["series_id", "date", "quantity"],
        parse_dates=["date"],
        numeric=["quantity"],
        optional_numeric=["price", "promo", "stockout"],
        empty_allowed=["price", "promo", "stockout"],  # unknown: filled from neighbours / 0
        ids=["series_id"],
        wall_clock=True,
    )
    optional = [c for c in ("price", "promo", "stockout") if c in frame.columns]
    if frame.empty:
        raise EvalInputError(f"{args.history}: no rows")
    holidays: list[str] = []
    if args.holidays:
        try:
            with open(args.holidays, encoding="utf-8-sig") as fh:
                holidays = [line.strip() for line in fh if line.strip()]
            pd.to_datetime(holidays)
        except (OSError, ValueError) as exc:
            raise EvalInputError(f"{args.holidays}: cannot read holiday dates ({exc})") from exc
    panel = panel_from_frame(
        frame,
        args.freq,
        price_col="price" if "price" in optional else None,
        promo_col="promo" if "promo" in optional else None,
        stockout_col="stockout" if "stockout" in optional else None,
    )
    model = DemandForecaster(horizon=args.horizon, holidays=holidays, random_state=args.seed)
    result = model.fit(panel).predict(panel)
    out = result.to_frame()
    out["date"] = _after_own_last_date(out, frame, args.freq).dt.strftime("%Y-%m-%d")
    out = out.drop(columns=["step"])
    write_csv(out, args.out)
    methods = pd.Series(result.method).value_counts()
    share = float(methods.get("global", 0)) / max(len(result.method), 1)
    return (
        f"forecast {len(result.series_ids)} series x {args.horizon} periods ({args.freq}) -> "
        f"{args.out}; global model for {share:.0%} of series, "
        f"mean forecast {float(np.mean(result.mean)):.3f}"
    )


def _after_own_last_date(out: pd.DataFrame, frame: pd.DataFrame, freq: str) -> pd.Series:
    """Forecast dates counted from each series' own last date.

    Weekly panels share one grid anchored on the first date of the file; a series whose
    dates fall on another weekday is moved back onto its own days (step k is k weeks after
    its last date), so every series gets H periods after its own last date."""
    dates = pd.to_datetime(out["date"])
    own_last = (
        pd.to_datetime(frame["date"])
        .dt.tz_localize(None)
        .dt.normalize()
        .groupby(frame["series_id"])
        .max()
    )
    period = pd.Timedelta(days=7 if freq == "W" else 1)
    wanted = out["series_id"].map(own_last) + out["step"] * period
    return dates.where(wanted.isna(), wanted)


register(
    EvalCommand(
        name="forecasting",
        help="Demand forecasts (global LightGBM, conformal intervals) from a sales history CSV",
        add_arguments=add_arguments,
        run=run,
    )
)
