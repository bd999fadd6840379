"""`manage.py ml_eval pricing`: elasticities and recommended prices from plain CSV files.

HIST.csv      product_id,date,price,quantity[,promo,stockout]
PRODUCTS.csv  product_id,cost,current_price,min_margin,max_change_pct[,category,list_price,
              max_discount_pct,floor_price,ceiling_price,competitor_price,competitor_cap_pct,
              stock,objective]
PRICES.csv    product_id,elasticity,recommended_price,elasticity_low,elasticity_high,pooled,
              bound,conflicts
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from mlops.ml_eval import EvalCommand, EvalInputError, read_csv, register, write_csv
from pricing.ml.optimizer import OBJECTIVES, PriceOptimizer
from pricing.ml.pipeline import recommend_prices

OPTIONAL_NUMERIC = [
    "list_price",
    "max_discount_pct",
    "floor_price",
    "ceiling_price",
    "competitor_price",
    "competitor_cap_pct",
    "stock",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", required=True, help="HIST.csv: product_id,date,price,quantity")
    parser.add_argument(
        "--products",
        required=True,
        help="PRODUCTS.csv: product_id,cost,current_price,min_margin,max_change_pct",
    )
    parser.add_argument("--out", required=True, help="PRICES.csv to write")
    parser.add_argument("--objective", default="profit", choices=OBJECTIVES)
    parser.add_argument("--horizon-days", type=float, default=7.0)


def _check_not_negative(frame: pd.DataFrame, path: str, column: str) -> None:
    bad = (frame[column] < 0).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise EvalInputError(f"{path}: row {row + 2}: column {column}: must not be negative")


def _check_positive(frame, path: str, column: str) -> None:  # type: ignore[no-untyped-def]
    bad = ~(frame[column] > 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise EvalInputError(
            f"{path}: row {row + 2}: column {column}: must be positive, got {frame[column].iloc[row]!r}"
        )


def run(args: argparse.Namespace) -> str:
    hist = read_csv(
        args.history,
        required=["product_id", "date", "price", "quantity"],
        parse_dates=["date"],
        numeric=["price", "quantity"],
        optional_numeric=["promo", "stockout"],
        empty_allowed=["promo", "stockout"],  # empty: 0
        ids=["product_id"],
        wall_clock=True,
    )
    products = read_csv(
        args.products,
        required=["product_id", "cost", "current_price", "min_margin", "max_change_pct"],
        numeric=["cost", "current_price", "min_margin", "max_change_pct"],
        optional_numeric=OPTIONAL_NUMERIC,
        empty_allowed=OPTIONAL_NUMERIC,  # empty: no such guardrail for that product
        dtype={"category": "str"},
        ids=["product_id"],
    )
    _check_positive(products, args.products, "current_price")
    for column in ("max_change_pct", "cost"):
        _check_not_negative(products, args.products, column)
    dup = products["product_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise EvalInputError(f"{args.products}: row {row + 2}: duplicate product_id")
    for flag in ("promo", "stockout"):
        if flag in hist.columns:
            hist[flag] = hist[flag].fillna(0)
    if "objective" in products.columns:
        bad = ~products["objective"].fillna(args.objective).isin(OBJECTIVES)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise EvalInputError(f"{args.products}: row {row + 2}: column objective: unknown value")
    proposals, est = recommend_prices(
        hist,
        products,
        optimizer=PriceOptimizer(objective=args.objective, horizon_days=args.horizon_days),
    )
    out = proposals.rename(
        columns={
            "elasticity_lo": "elasticity_low",
            "elasticity_hi": "elasticity_high",
            "bound": "bound",
        }
    )[
        [
            "product_id",
            "elasticity",
            "recommended_price",
            "elasticity_low",
            "elasticity_high",
            "pooled",
            "bound",
            "conflicts",
        ]
    ]
    out = out.assign(
        elasticity=out["elasticity"].round(4),
        elasticity_low=out["elasticity_low"].round(4),
        elasticity_high=out["elasticity_high"].round(4),
        recommended_price=out["recommended_price"].map(lambda x: f"{x:.2f}"),
    )
    write_csv(out, args.out)
    changed = int(proposals["changed"].sum())
    return (
        f"pricing: {len(out)} products, {int((~proposals['pooled']).sum())} own elasticity "
        f"estimates (median {float(np.median(proposals['elasticity'])):.2f}), {changed} price "
        f"changes -> {args.out}"
    )


register(
    EvalCommand(
        name="pricing",
        help="Elasticities and guardrailed price recommendations.",
        add_arguments=add_arguments,
        run=run,
    )
)
