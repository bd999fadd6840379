"""RFM scoring and segments (pure pandas), and the RFM rule used as the churn baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = [
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "needs_attention",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
    "prospect",
]


def _score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """1-5 quintile score by rank (ties share a rank, so the score is stable)."""
    if values.empty:
        return values.astype(int)
    ranks = values.rank(method="average", pct=True, ascending=higher_is_better)
    return np.ceil(ranks * 5).clip(1, 5).astype(int)


def rfm_scores(features: pd.DataFrame) -> pd.DataFrame:
    """R, F, M scores (1-5, 5 best) for buyers; non-buyers get 0s and segment "prospect"."""
    buyers = features["frequency"] > 0
    out = pd.DataFrame(index=features.index)
    out["r"] = 0
    out["f"] = 0
    out["m"] = 0
    if buyers.any():
        b = features[buyers]
        out.loc[buyers, "r"] = _score(b["recency_days"], higher_is_better=False)
        out.loc[buyers, "f"] = _score(b["frequency"] + b["monetary"] * 1e-9)  # break ties by spend
        out.loc[buyers, "m"] = _score(b["monetary"])
    out["segment"] = [
        segment_for(r, f, m) for r, f, m in zip(out["r"], out["f"], out["m"], strict=True)
    ]
    return out


def segment_for(r: int, f: int, m: int) -> str:
    """The usual R x F grid (Putler/Klaviyo style)."""
    if r == 0:
        return "prospect"
    fm = (f + m) / 2
    if r >= 4 and fm >= 4:
        return "champions"
    if r >= 3 and fm >= 3:
        return "loyal"
    if r >= 4 and f <= 1:
        return "new"
    if r >= 4:
        return "potential_loyalist"
    if r == 3 and fm < 3:
        return "promising" if f <= 2 else "needs_attention"
    if r <= 2 and fm >= 4:
        return "cannot_lose"
    if r == 2:
        return "at_risk"
    if fm >= 2:
        return "hibernating"
    return "lost"


def rfm_churn_rule(features: pd.DataFrame) -> np.ndarray:
    """Baseline churn risk in [0, 1]: the classic RFM rule, 1 - (R + F + M) / 15
    (recent, frequent, big spenders stay). Non-buyers get 1."""
    scores = rfm_scores(features)
    total = scores["r"] + scores["f"] + scores["m"]
    return (1 - total / 15.0).to_numpy(dtype=float)
