"""Input drift: Population Stability Index over binned feature distributions (pure numpy).

A capability records a *reference* histogram of a feature when it trains and *live*
histograms as new data arrives; PSI compares the two on the reference's bin edges.
Rule of thumb (Siddiqi, credit scoring): < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
_EPS = 1e-4  # floor for empty bins: an empty bin would make PSI infinite


@dataclass(frozen=True)
class Histogram:
    """Counts per bin; ``edges`` has ``len(counts) + 1`` entries (numeric features) or is
    empty for categorical features, where ``labels`` name the bins."""

    counts: list[float]
    edges: list[float]
    labels: list[str]

    def as_dict(self) -> dict[str, list]:  # type: ignore[type-arg]
        # JSON has no infinity: open outer edges are stored as null
        edges = [e if np.isfinite(e) else None for e in self.edges]
        return {"counts": self.counts, "edges": edges, "labels": self.labels}

    @classmethod
    def from_dict(cls, data: dict) -> Histogram:  # type: ignore[type-arg]
        return cls(
            counts=[float(c) for c in data.get("counts", [])],
            edges=[
                float(e) if e is not None else (-np.inf if i == 0 else np.inf)
                for i, e in enumerate(data.get("edges", []))
            ],
            labels=[str(lbl) for lbl in data.get("labels", [])],
        )


def quantile_edges(values: np.ndarray, bins: int = 10) -> np.ndarray:
    """Bin edges at quantiles of the reference sample, outer edges open (-inf, +inf)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.array([-np.inf, np.inf])
    inner = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.concatenate([[-np.inf], inner, [np.inf]])


def histogram_numeric(
    values: np.ndarray, edges: np.ndarray | None = None, bins: int = 10
) -> Histogram:
    """Histogram of a numeric sample; reuse the reference ``edges`` for live samples."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if edges is None:
        edges = quantile_edges(values, bins)
    # searchsorted on inner edges puts each value in [edge_i, edge_i+1)
    idx = np.searchsorted(edges[1:-1], values, side="right")
    counts = np.bincount(idx, minlength=len(edges) - 1).astype(float)
    return Histogram(counts=counts.tolist(), edges=[float(e) for e in edges], labels=[])


def histogram_categorical(
    values: list[str] | np.ndarray, labels: list[str] | None = None
) -> Histogram:
    """Counts per category; unseen categories in a live sample go to an ``__other__`` bin."""
    values = [str(v) for v in values]
    if labels is None:
        labels = sorted(set(values)) + ["__other__"]
    index = {label: i for i, label in enumerate(labels)}
    other = index.get("__other__", len(labels) - 1)
    counts = np.zeros(len(labels))
    for value in values:
        counts[index.get(value, other)] += 1
    return Histogram(counts=counts.tolist(), edges=[], labels=list(labels))


def psi(expected: np.ndarray | list[float], actual: np.ndarray | list[float]) -> float:
    """PSI = sum((a - e) * ln(a / e)) over bin shares; 0 when the shares are identical.

    ``expected`` and ``actual`` are counts (or shares) on the same bins. Returns NaN when
    either sample is empty.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.shape != a.shape:
        raise ValueError(f"bins differ: {e.shape} vs {a.shape}")
    if e.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    e = np.clip(e / e.sum(), _EPS, None)
    a = np.clip(a / a.sum(), _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_level(value: float) -> str:
    if not np.isfinite(value):
        return "unknown"
    if value >= PSI_MAJOR:
        return "major"
    if value >= PSI_MODERATE:
        return "moderate"
    return "stable"
