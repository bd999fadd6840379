"""Thin Celery entry points; the work is in forecasting.services."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=600)
def forecasts_refresh_task(self: Any, force: bool = False) -> dict[str, Any]:
    """Nightly (beat): train, backtest, register, then fan forecasting out over shards."""
    from forecasting.services import forecasts_refresh

    return forecasts_refresh(force=force)


@shared_task(acks_late=True, max_retries=2)
def forecast_shard_task(*, product_ids: list[int], end: str) -> int:
    """One SKU shard: forecast and write its rows (safe to run twice: rows are replaced)."""
    from forecasting.services import forecast_shard_write

    return forecast_shard_write(product_ids=product_ids, end=end)


@shared_task(acks_late=True)
def forecasts_finalize_task(counts: list[int], *, end: str) -> dict[str, Any]:
    """Chord callback once every shard is written."""
    from forecasting.services import forecasts_summarize

    return forecasts_summarize(counts=list(counts), end=end)
