"""History + product settings in, recommended prices out: the path `ml_eval pricing`, the
benchmark and the store's proposal task share (no Django)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing.ml.elasticity import ElasticityEstimator
from pricing.ml.optimizer import PriceOptimizer


def recommend_prices(
    history: pd.DataFrame,
    products: pd.DataFrame,
    *,
    estimator: ElasticityEstimator | None = None,
    optimizer: PriceOptimizer | None = None,
) -> tuple[pd.DataFrame, ElasticityEstimator]:
    """One proposal row per row of `products` (product_id, cost, current_price, guardrail
    columns, optional category / stock / objective), elasticity columns included."""
    est = (estimator or ElasticityEstimator()).fit(history, products)
    opt = optimizer or PriceOptimizer()
    frame = products_with_estimates(products, est)
    proposals = opt.propose(frame)
    extra = ["elasticity_sd", "pooled", "source", "n_obs", "own_elasticity"]
    for c in extra:
        proposals[c] = frame[c].to_numpy()
    return proposals, est


def products_with_estimates(products: pd.DataFrame, est: ElasticityEstimator) -> pd.DataFrame:
    """`products` plus elasticity, interval and demand level moved to each current_price."""
    ids = products["product_id"].to_numpy()
    e = est.predict(ids)
    frame = products.reset_index(drop=True).copy()
    for c in (
        "elasticity",
        "elasticity_sd",
        "elasticity_lo",
        "elasticity_hi",
        "pooled",
        "source",
        "n_obs",
        "own_elasticity",
        "base_daily_units",
        "last_price",
    ):
        frame[c] = e[c].to_numpy()
    p0 = pd.to_numeric(frame["current_price"], errors="coerce").to_numpy(float)
    last = frame["last_price"].to_numpy(float)
    base = frame["base_daily_units"].to_numpy(float)
    el = frame["elasticity"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        moved = base * (p0 / last) ** el
    frame["base_daily_units"] = np.where(np.isfinite(moved), moved, np.nan)
    frame["n_obs"] = frame["n_obs"].fillna(0).astype(int)
    frame["pooled"] = frame["pooled"].fillna(True).astype(bool)
    return frame
