"""Sharding: forecasting is split into SKU shards that run independently (Celery group /
chord in production, a plain loop in embedded mode). A shard's output depends only on the
fitted model and that shard's series, so fanning out gives the same numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from forecasting.ml.model import DemandForecaster, ForecastResult
from forecasting.ml.panel import Panel


def shard_indices(n_series: int, n_shards: int) -> list[np.ndarray]:
    """Contiguous, deterministic index blocks (empty shards dropped)."""
    n_shards = max(1, min(int(n_shards), max(n_series, 1)))
    return [b for b in np.array_split(np.arange(n_series), n_shards) if len(b)]


def forecast_shard(
    model: DemandForecaster, panel: Panel, series_idx: np.ndarray | None = None
) -> ForecastResult:
    """Forecast the series ``series_idx`` of ``panel`` (all of them when None)."""
    return model.predict(panel if series_idx is None else panel.take(np.asarray(series_idx)))


def forecast_sharded(
    model: DemandForecaster,
    panel: Panel,
    n_shards: int,
    mapper: Callable[..., Iterable[ForecastResult]] = map,
) -> ForecastResult:
    """Forecast all series shard by shard; ``mapper`` may be a process pool's ``map``
    (each task gets only its shard's rows, not the whole panel)."""
    shards = shard_indices(panel.n_series, n_shards)
    parts = list(mapper(forecast_shard, [model] * len(shards), [panel.take(s) for s in shards]))
    return ForecastResult.concat(parts)
