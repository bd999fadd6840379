"""Customer intelligence writes: train churn + propensity models, score every customer."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from insights.ml.features import FEATURES, customer_features, future_purchasers
from insights.ml.models import CustomerClassifier, auc, average_precision
from insights.ml.rfm import rfm_churn_rule, rfm_scores
from insights.models import CustomerScore

logger = logging.getLogger(__name__)

CAPABILITY = "insights"
CHURN_HORIZON_DAYS = 60
PROPENSITY_DAYS = 7
DRIFT_FEATURES = ["recency_days", "frequency", "monetary", "views_30d", "sessions_30d"]


def _progress(pct: int, message: str) -> None:
    """Report progress on the TrainingRun mlops started for this capability (if any)."""
    from mlops.models import TrainingRun

    run_id = (
        TrainingRun.objects.filter(capability=CAPABILITY, status=TrainingRun.Status.RUNNING)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    if run_id:
        from mlops import facade as mlops

        mlops.training_run_progress(run_id=run_id, progress=pct, message=message)


def _events_frame(*, since: datetime) -> pd.DataFrame:
    """Funnel events with only the columns the features use. Read directly (values_list):
    ``customers.facade.events_frame`` also decodes every event's JSON metadata, 3x slower."""
    from customers.models import Event

    columns = ["customer_id", "session_id", "type", "created_at"]
    rows = Event.objects.filter(
        created_at__gte=since, type__in=["view", "add_to_cart", "checkout_start", "purchase"]
    ).values_list(*columns)
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["customer_id"] = frame["customer_id"].astype(float)
    return frame


def load_frames(*, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Orders (one row per order), events and customers as id-only frames."""
    from customers import facade as customers
    from orders import facade as orders

    since = now - timedelta(days=365 + 3 * CHURN_HORIZON_DAYS)
    lines = orders.order_lines_frame(since=since)
    if lines.empty:
        order_frame = pd.DataFrame(columns=["customer_id", "order_id", "placed_at", "total"])
    else:
        lines = lines.assign(total=lines["quantity"] * lines["unit_price"])
        order_frame = (
            lines.groupby("order_id")
            .agg(
                customer_id=("customer_id", "first"),
                placed_at=("placed_at", "first"),
                total=("total", "sum"),
            )
            .reset_index()
        )
        order_frame["placed_at"] = pd.to_datetime(order_frame["placed_at"], utc=True)
    events = _events_frame(since=now - timedelta(days=90 + 3 * CHURN_HORIZON_DAYS))
    people = customers.customers_frame()
    people["created_at"] = pd.to_datetime(people["created_at"], utc=True)
    return order_frame, events, people


def _labelled(
    orders: pd.DataFrame, events: pd.DataFrame, people: pd.DataFrame, as_of: datetime, horizon: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features at ``as_of`` for buyers, churn labels (no order within ``horizon`` days) and
    7-day purchase labels."""
    feats = customer_features(orders, events, people, as_of)
    churn_feats = feats[feats["frequency"] > 0]
    came_back = future_purchasers(orders, as_of, horizon)
    churn_y = (~churn_feats.index.isin(list(came_back))).astype(int)
    buyers_7d = future_purchasers(orders, as_of, PROPENSITY_DAYS)
    prop_y = feats.index.isin(list(buyers_7d)).astype(int)
    return feats, churn_y, prop_y


def insights_train(*, force: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Fit churn and 7-day propensity on a past snapshot, evaluate them on a later one (against
    the RFM rule baseline), register the pair in mlops, and rescore every customer.

    Churn = no order in the next ``CHURN_HORIZON_DAYS`` (shrunk on short histories). Returns
    ``{"skipped": reason}`` on a store without enough orders.
    """
    from mlops import facade as mlops

    now = now or timezone.now()
    _progress(5, "loading orders and events")
    orders, events, people = load_frames(now=now)
    if orders.empty or people.empty:
        return {"skipped": "no orders yet"}
    span = (pd.Timestamp(now) - orders["placed_at"].min()).days
    horizon = min(CHURN_HORIZON_DAYS, span // 3)
    if horizon < 14 or orders["customer_id"].nunique() < 30:
        scored = insights_score(now=now, orders=orders, events=events, people=people, bundle=None)
        return {"skipped": f"history too short ({span} days) or too few buyers", "scored": scored}

    _progress(20, "building features")
    eval_at = now - timedelta(days=horizon)
    train_at = eval_at - timedelta(days=horizon)
    train_x, train_churn, _ = _labelled(orders, events, people, train_at, horizon)
    eval_x, eval_churn, _ = _labelled(orders, events, people, eval_at, horizon)
    # propensity labels need only a week of future: evaluate on the last week
    prop_train_at = now - timedelta(days=2 * PROPENSITY_DAYS)
    prop_eval_at = now - timedelta(days=PROPENSITY_DAYS)
    ptrain_x, _, ptrain_y = _labelled(orders, events, people, prop_train_at, horizon)
    peval_x, _, peval_y = _labelled(orders, events, people, prop_eval_at, horizon)

    _progress(45, "fitting churn and propensity models")
    churn_train = train_x[train_x["frequency"] > 0]
    churn_eval = eval_x[eval_x["frequency"] > 0]
    churn_model = CustomerClassifier().fit(churn_train, train_churn)
    prop_model = CustomerClassifier().fit(ptrain_x, ptrain_y)
    churn_scores = churn_model.predict_proba(churn_eval)
    metrics = {
        "churn_auc": auc(eval_churn, churn_scores),
        "churn_auc_rfm_baseline": auc(eval_churn, rfm_churn_rule(churn_eval)),
        "churn_ap": average_precision(eval_churn, churn_scores),
        "churn_rate": float(np.mean(eval_churn)) if len(eval_churn) else float("nan"),
        "propensity_auc": auc(peval_y, prop_model.predict_proba(peval_x)),
        "propensity_base_rate": float(np.mean(peval_y)) if len(peval_y) else float("nan"),
        "customers_train": len(churn_train),
        "customers_eval": len(churn_eval),
        "horizon_days": horizon,
    }
    # refit on the most recent labelled snapshot for scoring today
    _progress(65, "refitting on the latest snapshot")
    bundle = {
        "churn": CustomerClassifier().fit(churn_eval, eval_churn),
        "propensity": CustomerClassifier().fit(peval_x, peval_y),
        "features": list(FEATURES),
        "horizon_days": horizon,
    }
    fingerprint = hashlib.sha256(
        f"{len(orders)}:{orders['placed_at'].max()}:{len(events)}".encode()
    ).hexdigest()
    primary = metrics["churn_auc"]
    info = mlops.model_version_register_and_activate(
        force=force,
        capability=CAPABILITY,
        artifact=bundle,
        params={"horizon_days": horizon, "propensity_days": PROPENSITY_DAYS, "model": "hist_gbm"},
        metrics={
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in metrics.items()
        },
        primary_metric="churn_auc" if np.isfinite(primary) else "",
        higher_is_better=True,
        train_window=(pd.Timestamp(orders["placed_at"].min()).to_pydatetime(), now),
        data_fingerprint=fingerprint,
    )
    _progress(80, "scoring customers")
    from mlops import monitoring

    for feature in DRIFT_FEATURES:  # reference histograms for drift monitoring
        monitoring.feature_snapshot_record(
            capability=CAPABILITY,
            feature=feature,
            values=churn_eval[feature].to_numpy(),
            kind="reference",
            model_version_id=info.id,
        )
    active = mlops.model_active_get(capability=CAPABILITY)
    scored = insights_score(
        now=now,
        orders=orders,
        events=events,
        people=people,
        bundle=active.artifact if active else bundle,
        version_label=active.label if active else info.label,
    )
    return {**metrics, "version": info.label, "activated": info.activated, "scored": scored}


def insights_score(
    *,
    now: datetime,
    orders: pd.DataFrame,
    events: pd.DataFrame,
    people: pd.DataFrame,
    bundle: dict[str, Any] | None,
    version_label: str = "",
) -> int:
    """Write a CustomerScore per customer: model scores, or RFM-rule fallbacks without one."""
    feats = customer_features(orders, events, people, now)
    if feats.empty:
        return 0
    rfm = rfm_scores(feats)
    if bundle is not None:
        churn = bundle["churn"].predict_proba(feats)
        propensity = bundle["propensity"].predict_proba(feats)
        source = "model"
    else:
        churn = rfm_churn_rule(feats)
        # fallback propensity: recent engagement, scaled to [0, 1)
        engagement = feats["carts_30d"] * 3 + feats["views_30d"] + feats["checkouts_30d"] * 5
        propensity = (engagement / (engagement + 20)).to_numpy()
        source = "fallback"
    # non-buyers cannot churn from a purchase habit they never had; show their rule risk
    churn = np.where(feats["frequency"].to_numpy() > 0, churn, rfm_churn_rule(feats))
    rows = [
        CustomerScore(
            customer_id=int(cid),
            segment=rfm.at[cid, "segment"],
            r_score=int(rfm.at[cid, "r"]),
            f_score=int(rfm.at[cid, "f"]),
            m_score=int(rfm.at[cid, "m"]),
            recency_days=float(feats.at[cid, "recency_days"]),
            frequency=int(feats.at[cid, "frequency"]),
            monetary=Decimal(str(round(float(feats.at[cid, "monetary"]), 2))),
            churn_risk=float(churn[i]),
            propensity_7d=float(propensity[i]),
            source=source,
            model_version=version_label,
            scored_at=now,
        )
        for i, cid in enumerate(feats.index)
    ]
    with transaction.atomic():
        CustomerScore.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=[
                "segment",
                "r_score",
                "f_score",
                "m_score",
                "recency_days",
                "frequency",
                "monetary",
                "churn_risk",
                "propensity_7d",
                "source",
                "model_version",
                "scored_at",
            ],
        )
    from mlops import monitoring

    buyers = feats[feats["frequency"] > 0]
    if not buyers.empty:
        for feature in DRIFT_FEATURES:
            try:
                monitoring.feature_snapshot_record(
                    capability=CAPABILITY,
                    feature=feature,
                    values=buyers[feature].to_numpy(),
                    kind="live",
                )
            except Exception:
                logger.exception("could not record live snapshot for %s", feature)
    return len(rows)
