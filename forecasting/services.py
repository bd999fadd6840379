"""Writes: nightly training, sharded batch forecasting and reorder suggestions."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import facade as catalog
from forecasting import selectors
from forecasting.ml.model import DemandForecaster
from forecasting.ml.reorder import reorder_plan, sigma_from_interval
from forecasting.ml.shard import shard_indices
from forecasting.models import Forecast, ForecastAccuracy, ReorderSuggestion
from mlops import facade as mlops
from mlops.metrics.forecast import coverage, mase, wape

logger = logging.getLogger(__name__)

CAPABILITY = "forecasting"
HORIZON = 28
MIN_HISTORY_DAYS = 2 * HORIZON


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def _model(end: date) -> DemandForecaster:
    return DemandForecaster(
        horizon=HORIZON,
        holidays=selectors.holidays(end),
        n_estimators=_setting("FORECASTING_N_ESTIMATORS", 300),
        max_train_rows=_setting("FORECASTING_MAX_TRAIN_ROWS", 300_000),
        random_state=0,
        n_jobs=_setting("FORECASTING_N_JOBS", 2),
    )


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def forecast_model_train(*, force: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Backtest on the last 28 days (stored as ForecastAccuracy), then fit on all history
    and register the model; it becomes active if its backtest MASE beats the active one
    (or ``force``). Empty store or under 56 days of sales -> ``{"skipped": reason}``."""
    end = selectors.history_end(now)
    panel = selectors.demand_panel(end=end)
    if panel is None:
        return {"skipped": "no sales history yet"}
    observed = int(np.sum(np.any(~np.isnan(panel.y), axis=0)))
    if observed < MIN_HISTORY_DAYS:
        return {"skipped": f"only {observed} days of history (need {MIN_HISTORY_DAYS})"}
    # TrainingRun rows are kept by mlops.services.capability_train (admin, `train_all`,
    # `make demo`); recording another here listed each of those trainings twice.
    # one fit: the model's own backtest booster (trained without the last 28 days)
    # forecasts them for the accuracy figures; a separate backtest fit doubled the time
    model = _model(end).fit(panel)
    cut = panel.n_periods - HORIZON
    train_panel, backtest = model.backtest(panel)
    actual = panel.y[:, cut:].copy()
    if panel.stockout is not None:
        actual[panel.stockout[:, cut:]] = np.nan  # sales on stockout days are not demand
    ok = ~np.isnan(train_panel.y[:, -1])  # products that existed at the cutoff
    from forecasting.ml.baselines import seasonal_naive

    history = train_panel.y[ok]
    metrics: dict[str, float] = {
        "mase": float(mase(actual[ok], backtest.mean[ok], history, 7)),
        "wape": wape(actual[ok], backtest.mean[ok]),
        "coverage80": coverage(actual[ok], backtest.lower[0.8][ok], backtest.upper[0.8][ok]),
        "coverage95": coverage(actual[ok], backtest.lower[0.95][ok], backtest.upper[0.95][ok]),
        "seasonal_naive_mase": float(
            mase(actual[ok], seasonal_naive(history, HORIZON, 7), history, 7)
        ),
    }
    n_series = int(ok.sum())
    clean = {k: _finite(v) for k, v in metrics.items()}  # NaN is not valid JSON
    fingerprint = hashlib.sha256(np.nan_to_num(panel.y, nan=-1).tobytes()).hexdigest()
    info = mlops.model_version_register_and_activate(
        force=force,
        replace=clean["mase"] is None,  # nothing to compare: newest data wins
        capability=CAPABILITY,
        artifact=model,
        params={k: v for k, v in vars(model).items() if not k.endswith("_") and k != "holidays"},
        metrics={**clean, "n_series": n_series},
        primary_metric="mase",
        higher_is_better=False,
        train_window=(_aware(panel.dates[0].date()), _aware(end)),
        data_fingerprint=fingerprint,
    )
    ForecastAccuracy.objects.create(
        cutoff=panel.dates[cut - 1].date(),
        horizon_days=HORIZON,
        n_series=n_series,
        mase=clean["mase"],
        wape=clean["wape"],
        coverage80=clean["coverage80"],
        coverage95=clean["coverage95"],
        baseline_mase=clean["seasonal_naive_mase"],
        model_version=info.label,
    )
    summary = {
        **clean,
        "n_series": n_series,
        "version": info.label,
        "version_id": info.id,
        "activated": info.activated,
        "reason": info.reason,
    }
    return summary


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _eager() -> bool:
    from storefront.celery import app

    return bool(app.conf.task_always_eager)


def forecasts_generate(
    *, n_shards: int | None = None, fan_out: bool | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Forecast every active product with the active model, shard by shard.

    With a broker the shards go to Celery workers as a chord (group of
    ``forecast_shard_task`` then ``forecasts_finalize_task``); in embedded (eager) mode the
    same shard service runs in-process. No active model -> ``{"skipped": ...}``.
    """
    loaded = mlops.model_active_get(capability=CAPABILITY)
    if loaded is None:
        return {"skipped": "no active forecasting model"}
    products = catalog.products_frame()
    ids = sorted(int(p) for p in products.loc[products["is_active"], "product_id"])
    if not ids:
        return {"skipped": "no active products"}
    end = selectors.history_end(now).isoformat()
    n_shards = n_shards or _setting("FORECASTING_SHARDS", max(1, len(ids) // 2000))
    shards = [[ids[i] for i in block] for block in shard_indices(len(ids), n_shards)]
    fan_out = (not _eager()) if fan_out is None else fan_out
    if fan_out:
        from celery import chord

        from forecasting.tasks import forecast_shard_task, forecasts_finalize_task

        header = [forecast_shard_task.s(product_ids=s, end=end) for s in shards]
        result = chord(header)(forecasts_finalize_task.s(end=end))
        if _eager():
            return {"shards": len(shards), **result.get()}
        return {"shards": len(shards), "queued": True, "chord_id": result.id}
    counts = [forecast_shard_write(product_ids=s, end=end) for s in shards]
    return {"shards": len(shards), **forecasts_summarize(counts=counts, end=end)}


def forecasts_summarize(*, counts: list[int], end: str) -> dict[str, Any]:
    """Finish a batch: drop forecast rows for days that are already history."""
    stale = Forecast.objects.filter(date__lte=date.fromisoformat(end))
    removed, _ = stale.delete()
    return {"products": int(sum(counts)), "removed_stale": removed}


def forecast_shard_write(
    *, product_ids: list[int], end: str, service_level: float | None = None
) -> int:
    """Forecast one shard of products and write its Forecast and ReorderSuggestion rows
    in bulk (replacing the previous ones). Returns the number of products written."""
    loaded = mlops.model_active_get(capability=CAPABILITY)
    if loaded is None:
        return 0
    model: DemandForecaster = loaded.artifact
    end_day = date.fromisoformat(end)
    panel = selectors.demand_panel(end=end_day, product_ids=product_ids)
    if panel is None:
        return 0
    result = model.predict(panel)
    frame = result.to_frame()
    version = f"{CAPABILITY}-v{loaded.version}"
    now = timezone.now()
    rows = [
        Forecast(
            product_id=int(r.series_id),
            date=pd.Timestamp(r.date).date(),
            step=int(r.step),
            forecast=round(float(r.forecast), 4),
            expected=round(float(r.expected), 4),
            lo80=round(float(r.lo80), 4),
            hi80=round(float(r.hi80), 4),
            lo95=round(float(r.lo95), 4),
            hi95=round(float(r.hi95), 4),
            method=str(r.method),
            model_version=version,
            created_at=now,
        )
        for r in frame.itertuples(index=False)
    ]
    level = service_level or _setting("FORECASTING_SERVICE_LEVEL", 0.95)
    infos = catalog.products_get([int(p) for p in panel.series_ids])
    # units on open purchase orders are part of the inventory position: ordering them again
    # on tomorrow's list would double the order
    incoming = catalog.incoming_quantities([int(p) for p in panel.series_ids])
    suggestions = []
    for k, pid in enumerate(panel.series_ids):
        info = infos.get(int(pid))
        if info is None:
            continue
        sigma = sigma_from_interval(result.lower[0.8][k], result.upper[0.8][k], 0.8)
        plan = reorder_plan(
            result.expected[k],
            sigma,
            on_hand=max(info.available, 0),
            on_order=incoming.get(int(pid), 0),
            lead_time_days=info.lead_time_days,
            service_level=level,
        )
        suggestions.append(
            ReorderSuggestion(
                product_id=int(pid),
                on_hand=info.available,
                incoming=incoming.get(int(pid), 0),
                lead_time_days=info.lead_time_days,
                service_level=level,
                lead_time_demand=round(plan.lead_time_demand, 3),
                safety_stock=round(plan.safety_stock, 3),
                reorder_point=round(plan.reorder_point, 3),
                order_quantity=plan.order_quantity,
                stockout_risk=round(plan.stockout_risk, 4),
                projected_stockout_date=(
                    end_day + timedelta(days=plan.days_until_stockout)
                    if plan.days_until_stockout
                    else None
                ),
                model_version=version,
                computed_at=now,
            )
        )
    ids = [int(p) for p in panel.series_ids]
    with transaction.atomic():
        Forecast.objects.filter(product_id__in=ids).delete()
        Forecast.objects.bulk_create(rows, batch_size=2000)
        ReorderSuggestion.objects.filter(product_id__in=ids).delete()
        ReorderSuggestion.objects.bulk_create(suggestions, batch_size=2000)
    return len(ids)


def forecasts_refresh(
    *, force: bool = False, n_shards: int | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Nightly job: train (backtest, register, maybe activate), then forecast all products."""
    summary = forecast_model_train(force=force, now=now)
    if "skipped" in summary:
        return summary
    summary["forecasts"] = forecasts_generate(n_shards=n_shards, now=now)
    return summary
