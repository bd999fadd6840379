"""Writes: training, batch precomputation, merchandising rules, feedback events."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone

from recommendations.models import MerchandisingRule, RecommendationList, Slot

logger = logging.getLogger(__name__)

CAPABILITY = "recommendations"
EVAL_DAYS = 14
ACTIVE_DAYS = 180
PRECOMPUTE_K = 40  # longer than any page shows, so rules can drop items and still fill it


def _purchases_frame() -> pd.DataFrame:
    """Sold order lines as user_id/item_id/timestamp/quantity. Guest orders become one-off
    users ("g<order>") so their baskets still teach bought-together; customers are "c<id>"."""
    from orders import facade as orders

    lines = orders.order_lines_frame()
    if lines.empty:
        return pd.DataFrame(columns=["user_id", "item_id", "timestamp", "quantity"])
    user = lines.customer_id.map(lambda c: f"c{int(c)}" if pd.notna(c) else None)
    user = user.where(user.notna(), "g" + lines.order_id.astype(str))
    return pd.DataFrame(
        {
            "user_id": user.astype(str),
            "item_id": lines.product_id.astype(int),
            "timestamp": pd.to_datetime(lines.placed_at, utc=True),
            "quantity": lines.quantity.astype(float),
        }
    )


def _items_frame() -> pd.DataFrame:
    from catalog import facade as catalog

    products = catalog.products_frame()
    if products.empty:
        return pd.DataFrame(
            columns=["item_id", "name", "description", "category", "attributes", "shelf"]
        )
    return pd.DataFrame(
        {
            "item_id": products.product_id.astype(int),
            "name": products.name,
            "description": products.description,
            # category ids as words, so products in one category share a token
            "category": "category"
            + products.category_id.astype(str)
            + " category"
            + products.parent_category_id.fillna(0).astype(int).astype(str),
            "attributes": products.attributes,
            # (department, category): "similar" keeps to the product's shelf first
            "shelf": list(
                zip(
                    products.parent_category_id.fillna(products.category_id).astype(int),
                    products.category_id.astype(int),
                    strict=True,
                )
            ),
        }
    )


def recommender_evaluate(*, purchases: pd.DataFrame, items: pd.DataFrame) -> dict[str, float]:
    """NDCG@10 etc. of the blend and of popularity on the last ``EVAL_DAYS`` days, with a
    model fitted on the days before (the registry compares versions on ``ndcg@10``)."""
    from mlops.metrics.ranking import ranking_report
    from recommendations.ml.model import StoreRecommender

    end = purchases.timestamp.max()
    cut = end - pd.Timedelta(days=EVAL_DAYS)
    train, test = purchases[purchases.timestamp < cut], purchases[purchases.timestamp >= cut]
    users = sorted(set(test.user_id) & set(train.user_id))
    if len(users) < 5:
        return {}
    model = StoreRecommender().fit(train, items, now=cut)
    truth = test[test.user_id.isin(users)].groupby("user_id").item_id.agg(set).to_dict()
    lists = {u: [r[0] for r in recs] for u, recs in model.for_users(users, 10).items()}
    popular = [r[0] for r in model.popular(10)]
    catalog = set(train.item_id)
    blend = ranking_report(lists, truth, catalog, 10)
    pop = ranking_report(dict.fromkeys(users, popular), truth, catalog, 10)
    return {**blend, "popularity_ndcg@10": pop["ndcg@10"], "eval_days": float(EVAL_DAYS)}


def recommender_train(*, force: bool = False) -> dict[str, Any]:
    """Fit every source on the store's sales, register (and, if better, activate) the
    version, then precompute "for you" lists. ``{"skipped": reason}`` on an empty store."""
    from mlops import facade as mlops
    from recommendations.ml.model import StoreRecommender

    purchases = _purchases_frame()
    if purchases.empty or purchases.item_id.nunique() < 2:
        return {"skipped": "fewer than two products sold"}
    items = _items_frame()
    metrics = recommender_evaluate(purchases=purchases, items=items)
    model = StoreRecommender().fit(purchases, items)
    fingerprint = hashlib.sha256(
        pd.util.hash_pandas_object(purchases, index=False).to_numpy().tobytes()
    ).hexdigest()
    blend = model.blend_
    params: dict[str, Any] = {"fit_seconds": model.summary_.seconds}
    if blend is not None:
        params["weights"] = {v: w.by_source for v, w in blend.weights_.items()}
        params["validation_mode"] = blend.validation_mode_
    info = mlops.model_version_register_and_activate(
        capability=CAPABILITY,
        artifact=model,
        params=params,
        metrics={**metrics, "users": model.summary_.users, "items": model.summary_.items},
        primary_metric="ndcg@10",
        higher_is_better=True,
        train_window=(
            purchases.timestamp.min().to_pydatetime(),
            purchases.timestamp.max().to_pydatetime(),
        ),
        data_fingerprint=fingerprint,
        force=force,
    )
    written = 0
    if info.activated:
        written = recommendation_lists_refresh(model=model, model_version=info.label)
    return {
        "version": info.label,
        "activated": info.activated,
        "reason": info.reason,
        "ndcg@10": metrics.get("ndcg@10"),
        "popularity_ndcg@10": metrics.get("popularity_ndcg@10"),
        "coverage@10": metrics.get("coverage@10"),
        "users": model.summary_.users,
        "items": model.summary_.items,
        "fit_seconds": round(model.summary_.seconds, 2),
        "lists_written": written,
    }


def recommendation_lists_refresh(*, model: Any, model_version: str) -> int:
    """Replace the precomputed "for you" lists of customers who bought in the last
    ``ACTIVE_DAYS`` days. Returns the number of lists written."""
    from orders import facade as orders

    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    recent = orders.order_lines_frame(since=since)
    customers = sorted({int(c) for c in recent.customer_id.dropna().unique()})
    lists = model.for_users([f"c{c}" for c in customers], PRECOMPUTE_K)
    now = timezone.now()
    rows = [
        RecommendationList(
            customer_id=c,
            slot=Slot.FOR_YOU,
            items=[
                {"product_id": int(p), "score": round(float(s), 6), "source": src}
                for p, s, src in lists[f"c{c}"]
            ],
            model_version=model_version,
            created_at=now,
        )
        for c in customers
        if lists.get(f"c{c}")
    ]
    with transaction.atomic():
        RecommendationList.objects.filter(slot=Slot.FOR_YOU).delete()
        RecommendationList.objects.bulk_create(rows, batch_size=500)
    from recommendations.selectors import cache_bump

    cache_bump()
    transaction.on_commit(cache_bump)
    return len(rows)


@transaction.atomic
def merchandising_rule_set(
    *, product_id: int, kind: str, slot: str = "", position: int = 1, note: str = ""
) -> MerchandisingRule:
    """Pin a product at ``position`` or block it, in one slot or ("" ) all slots."""
    if kind not in MerchandisingRule.Kind.values:
        from storefront.api_errors import ServiceError

        raise ServiceError(f"kind must be one of {MerchandisingRule.Kind.values}", field="kind")
    rule, _ = MerchandisingRule.objects.update_or_create(
        product_id=product_id,
        kind=kind,
        slot=slot,
        defaults={"position": position, "note": note, "is_active": True},
    )
    from recommendations.selectors import cache_bump

    cache_bump()
    transaction.on_commit(cache_bump)  # again, so no reader caches the pre-commit rules
    return rule


def recommendation_feedback_record(
    *,
    kind: str,
    slot: str,
    session_id: str,
    customer_id: int | None,
    variant: str,
    items: list[tuple[int, str]] | None = None,
    product_id: int | None = None,
    source: str = "",
    position: int | None = None,
) -> None:
    """Log an impression (one event per list: product ids and sources in metadata) or a
    click (one event for the clicked product). Never raises."""
    from customers import facade as customers

    if kind == "impression":
        customers.event_record(
            type="rec_impression",
            session_id=session_id,
            customer_id=customer_id,
            metadata={
                "slot": slot,
                "variant": variant,
                "items": [p for p, _ in items or []],
                "sources": [s for _, s in items or []],
            },
        )
    else:
        customers.event_record(
            type="rec_click",
            session_id=session_id,
            customer_id=customer_id,
            product_id=product_id,
            metadata={"slot": slot, "variant": variant, "source": source, "position": position},
        )
