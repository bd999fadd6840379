"""What other apps (and the API) may use from recommendations.

Every function returns a list of frozen ``Recommendation`` with the source that produced
each item ("rebuy", "item_knn", "user_knn", "ease", "als", "popular", "trending",
"session", "bought_together", "content", "pinned", or a no-model fallback: "same_category",
"same_department", "co_purchase", "complement", "fallback") and the model version (None
for every fallback). With no trained model, an error, or too few results the list is
filled without a model, so the store works on day zero: "similar" from the product's
category, most alike in attributes and price first ("same_category"), then from its
sibling categories ("same_department"); "bought together" from the orders that contained
the product ("co_purchase"), then popular products of other categories, its department's
first ("complement"); every list at last from the catalogue's popular in-stock products
(source "fallback"). Business rules always apply: only active in-stock products, nothing
in ``exclude_product_ids`` (the cart), no durable product the customer bought recently, at
most a third of a for-you or cart list from one category, merchant blocks removed and pins
placed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mlops.facade import BaselineGate
from recommendations import selectors
from recommendations.models import MerchandisingRule, Slot
from recommendations.rules import NameKey, near_copy

logger = logging.getLogger(__name__)

CAPABILITY = "recommendations"
EXPERIMENT_KEY = "recommendations-strategy"
STRATEGIES = ("blend", "popular")  # experiment variants the store knows how to serve
MAX_LIMIT = 50
# lists that should span categories; "similar" and "bought together" are about one product
DIVERSE_SLOTS = (Slot.FOR_YOU, Slot.CART)

# What each source means to a merchant; the one place admin pages take their labels from.
SOURCE_LABELS: dict[str, str] = {
    "rebuy": "Bought again",
    "rebuy_recent": "Bought again (recent purchases)",
    "rebuy_cycle": "Bought again (purchase cycle)",
    "item_knn": "Similar to items bought",
    "user_knn": "Bought by similar customers",
    "ease": "Shopping-pattern model (EASE)",
    "als": "Shopping-pattern model (ALS)",
    "popular": "Popular",
    "trending": "Trending",
    "session": "From this visit's browsing",
    "bought_together": "Often bought together",
    "content": "Similar product details",
    "pinned": "Pinned by the merchant",
    "same_category": "Same category (no model)",
    "same_department": "Same department (no model)",
    "co_purchase": "Bought in the same orders (no model)",
    "complement": "Goes with it (no model)",
    "fallback": "Popular products (no model)",
}


def source_label(source: str) -> str:
    """The merchant's words for a recommendation source; an unknown key reads as itself."""
    return SOURCE_LABELS.get(source, source.replace("_", " ").capitalize() or "Unknown")


@dataclass(frozen=True, slots=True)
class Recommendation:
    product_id: int
    score: float
    source: str
    model_version: str | None


@dataclass(frozen=True, slots=True)
class RecommendationSet:
    """A list plus the A/B variant that produced it (for impression/click logging)."""

    items: list[Recommendation]
    variant: str


def _model() -> tuple[Any, str] | None:
    from mlops import facade as mlops

    loaded = mlops.model_active_get(capability=CAPABILITY)
    if loaded is None:
        return None
    return loaded.artifact, loaded.label


def strategy_for(*, customer_id: int | None, session_id: str) -> str:
    """The A/B variant for this shopper ("blend" when no experiment runs). The experiment is
    read from the cache, so the hot path makes no query for it."""
    from mlops import experiments

    unit = f"c{customer_id}" if customer_id else session_id
    try:
        variant = experiments.variant_for(EXPERIMENT_KEY, unit) if unit else "blend"
    except Exception:
        logger.exception("experiment lookup failed")
        variant = "blend"
    return variant if variant in STRATEGIES else "blend"


def _apply_rules(
    candidates: list[Recommendation],
    *,
    slot: str,
    limit: int,
    exclude: set[int],
    customer_id: int | None,
    anchor_id: int | None = None,
    fills: Sequence[tuple[str, Callable[[], list[int]]]] | None = None,
    near_copy_of: Sequence[int] = (),
) -> list[Recommendation]:
    """In stock, not excluded, no recent durable, no near copy (another size or colour) of
    a product in ``near_copy_of``, category diversity, blocks and pins, then
    back-fill: from ``fills`` ((source, product ids) in order, each fetched only while the
    list is short) when given, else with popular products of the anchor product's category;
    then with popular products overall."""
    rules = [r for r in selectors.rules_active() if r.slot in ("", slot)]
    blocked = {r.product_id for r in rules if r.kind == MerchandisingRule.Kind.BLOCK}
    pins = [r for r in rules if r.kind == MerchandisingRule.Kind.PIN]
    banned = exclude | blocked  # recent durables are flagged by product_states
    per_category = max(2, math.ceil(limit / 3))
    seen: set[int] = set()
    counts: dict[int, int] = {}
    out: list[Recommendation] = []
    deferred: list[Recommendation] = []
    info: dict[int, Any] = {}
    anchors = (
        list(selectors.product_name_keys(product_ids=near_copy_of).values()) if near_copy_of else []
    )
    names: dict[int, NameKey] = {}

    def take(recs: list[Recommendation], extra_ids: frozenset[int] = frozenset()) -> None:
        pool = [r for r in recs if r.product_id not in banned and r.product_id not in seen]
        missing = ({r.product_id for r in pool} | extra_ids) - info.keys()
        if missing:
            # one query per phase, durables bought by this customer included
            info.update(selectors.product_states(product_ids=missing, customer_id=customer_id))
        if anchors and (unnamed := {r.product_id for r in pool} - names.keys()):
            names.update(selectors.product_name_keys(product_ids=unnamed))
        for rec in pool:
            if len(out) >= limit:
                return
            p = info.get(rec.product_id)
            if p is None or not p.sellable or p.durable_bought or rec.product_id in seen:
                continue
            seen.add(rec.product_id)
            key = names.get(rec.product_id)
            if key is not None and near_copy(key, anchors):
                continue  # the shopper has this product already, in another size or colour
            if slot in DIVERSE_SLOTS and counts.get(p.category_id, 0) >= per_category:
                deferred.append(rec)  # diversity: used only if nothing else is left
                continue
            counts[p.category_id] = counts.get(p.category_id, 0) + 1
            out.append(rec)

    # spare candidates so that rules can drop some; the popular fill only when still short
    take(candidates[: limit * 3], frozenset(p.product_id for p in pins))
    if fills is None:  # lists about a shopper or a cart: popular in the anchor's category

        def category_popular() -> list[int]:
            # looked up only when the model's candidates fell short (one query)
            category_id = _product_category(anchor_id) if anchor_id else None
            if category_id is None:
                return []
            return selectors.popular_product_ids(category_id=category_id, limit=limit * 3)

        fills = [("fallback", category_popular)]
    fills = [*fills, ("fallback", lambda: selectors.popular_product_ids(limit=limit * 3))]
    for source, fetch in fills:
        if len(out) >= limit:
            break
        try:
            ids = fetch()
        except Exception:  # a failing fallback must not break the page: the next one fills
            logger.exception("%s fallback failed", source)
            ids = []
        take([Recommendation(pid, 0.0, source, None) for pid in ids])
    out += deferred[: max(0, limit - len(out))]
    for pin in pins:
        p = info.get(pin.product_id)
        if p is None or not p.sellable or p.durable_bought or pin.product_id in banned:
            continue
        out = [r for r in out if r.product_id != pin.product_id]
        out.insert(
            min(pin.position - 1, len(out)), Recommendation(pin.product_id, 0.0, "pinned", None)
        )
    return out[:limit]


def _scored(items: list[tuple[Any, float, str]], version: str) -> list[Recommendation]:
    return [Recommendation(int(pid), float(score), str(src), version) for pid, score, src in items]


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def for_you_set(
    *,
    customer_id: int | None,
    session_id: str = "",
    limit: int = 12,
    exclude_product_ids: tuple[int, ...] | list[int] = (),
) -> RecommendationSet:
    """ "For you" with the A/B variant: the customer's precomputed list; for guests (or
    customers without one) the session's recent items; else popular."""
    limit = _limit(limit)
    variant = strategy_for(customer_id=customer_id, session_id=session_id)
    candidates: list[Recommendation] = []
    if variant == "blend":
        try:
            if customer_id:
                hit = selectors.recommendation_list_get(customer_id=customer_id)
                if hit:
                    items, version = hit
                    candidates = [
                        Recommendation(
                            int(i["product_id"]), float(i["score"]), i["source"], version
                        )
                        for i in items
                    ]
            if len(candidates) < limit:
                loaded = _model()
                if loaded is not None:
                    model, version = loaded
                    recent = selectors.session_product_ids(session_id=session_id)
                    candidates += _scored(model.session(recent, limit * 3), version)
                    candidates += _scored(model.popular(limit * 3), version)
        except Exception:  # a broken model or cache must not break the page
            logger.exception("for-you recommendations failed; serving the fallback")
            candidates = []
    chosen = _apply_rules(
        candidates,
        slot=Slot.FOR_YOU,
        limit=limit,
        exclude=set(exclude_product_ids),
        customer_id=customer_id,
    )
    return RecommendationSet(chosen, variant)


def for_you(
    *,
    customer_id: int | None,
    session_id: str = "",
    limit: int = 12,
    exclude_product_ids: tuple[int, ...] | list[int] = (),
) -> list[Recommendation]:
    """Personal list for a customer (None: anonymous shopper, served from the session)."""
    return for_you_set(
        customer_id=customer_id,
        session_id=session_id,
        limit=limit,
        exclude_product_ids=exclude_product_ids,
    ).items


def impression_record(
    *,
    slot: str,
    variant: str,
    items: Sequence[Recommendation],
    session_id: str,
    customer_id: int | None,
) -> None:
    """Log that a list was shown (what the API does for every list it answers), for pages
    that render recommendations on the server. Never raises."""
    from recommendations import services

    services.recommendation_feedback_record(
        kind="impression",
        slot=slot,
        session_id=session_id,
        customer_id=customer_id,
        variant=variant,
        items=[(r.product_id, r.source) for r in items],
    )


def _product_category(product_id: int) -> int | None:
    from catalog import facade as catalog

    info = catalog.products_get([product_id]).get(product_id)
    return info.category_id if info else None


def _model_candidates(
    fetch: Callable[[Any], list[tuple[Any, float, str]]], what: str
) -> list[Recommendation]:
    """Candidates from the active model; none before training or when the model fails (the
    rules' popular fill then answers)."""
    try:
        loaded = _model()
        if loaded is None:
            return []
        model, version = loaded
        return _scored(fetch(model), version)
    except Exception:
        logger.exception("%s failed", what)
        return []


def similar_products(
    *,
    product_id: int,
    limit: int = 8,
    customer_id: int | None = None,
    exclude_product_ids: tuple[int, ...] | list[int] = (),
) -> list[Recommendation]:
    """Products bought by the same customers (content-similar for new products); fallback
    ("same_category"): the product's category, sharing its attributes and near its price
    first, then its sibling categories alike ("same_department"); then popular overall.
    Never the product itself or ``exclude_product_ids`` (the cart)."""
    limit = _limit(limit)
    candidates = _model_candidates(
        lambda model: model.similar(product_id, limit * 3), f"similar products for {product_id}"
    )
    return _apply_rules(
        candidates,
        slot=Slot.SIMILAR,
        limit=limit,
        exclude={product_id, *exclude_product_ids},
        customer_id=customer_id,
        anchor_id=product_id,
        fills=[
            (
                "same_category",
                lambda: selectors.similar_fallback_ids(product_id=product_id, limit=limit * 3),
            ),
            (
                "same_department",
                lambda: selectors.similar_fallback_ids(
                    product_id=product_id, limit=limit * 3, scope="department"
                ),
            ),
        ],
    )


def bought_together(
    *,
    product_id: int,
    limit: int = 4,
    customer_id: int | None = None,
    exclude_product_ids: tuple[int, ...] | list[int] = (),
) -> list[Recommendation]:
    """Products often in the same basket (shrunk lift) and similar ones from the model;
    fallback: products in the same orders as this one ("co_purchase", straight from the
    order lines), then complements: popular products of other categories, its department's
    first ("complement"), so it never repeats the "similar" list; then popular overall.
    Never the product itself or ``exclude_product_ids`` (the cart)."""
    limit = _limit(limit)
    candidates = _model_candidates(
        lambda model: (
            model.bought_together([product_id], limit * 3) + model.similar(product_id, limit * 2)
        ),
        f"bought-together for {product_id}",
    )
    return _apply_rules(
        candidates,
        slot=Slot.BOUGHT_TOGETHER,
        limit=limit,
        exclude={product_id, *exclude_product_ids},
        customer_id=customer_id,
        anchor_id=product_id,
        near_copy_of=[product_id, *exclude_product_ids],
        fills=[
            (
                "co_purchase",
                lambda: selectors.co_purchased_ids(product_id=product_id, limit=limit * 3),
            ),
            (
                "complement",
                lambda: selectors.complement_ids(product_id=product_id, limit=limit * 3),
            ),
        ],
    )


def cart_recommendations(
    *, product_ids: list[int] | tuple[int, ...], limit: int = 6, customer_id: int | None = None
) -> list[Recommendation]:
    """Add-ons for a cart: bought together with its items, then the session list, then items
    similar to the newest cart line (a long-tail cart has no co-purchases yet), then popular
    in that line's category; never an item already in the cart nor a near copy of one (the
    same product in another size or colour, ``rules.near_copy``)."""
    limit = _limit(limit)
    ids = [int(p) for p in product_ids]
    candidates = (
        _model_candidates(
            lambda model: (
                model.bought_together(ids, limit * 3)
                + model.session(ids, limit * 3)
                + model.similar(ids[-1], limit * 2)
            ),
            "cart recommendations",
        )
        if ids
        else []
    )
    return _apply_rules(
        candidates,
        slot=Slot.CART,
        limit=limit,
        exclude=set(ids),
        customer_id=customer_id,
        anchor_id=ids[-1] if ids else None,
        near_copy_of=ids,
    )


def train(*, force: bool = False) -> dict[str, Any]:
    """Fit all sources on the store's sales, register/activate, precompute "for you" lists.
    ``{"skipped": reason}`` on an empty store."""
    from recommendations.services import recommender_train

    return recommender_train(force=force)


def activation_gate() -> BaselineGate:
    """The registry's check before a new version serves recommendations (mlops.gates): its
    NDCG@10 on the last days' purchases must not be clearly below what the popular-products
    fallback scores on the same shoppers."""
    return BaselineGate(
        metric="ndcg@10",
        baseline="popularity_ndcg@10",
        higher_is_better=True,
        subject="the storefront",
        fallback="showing popular products",
        baseline_label="the popular-products fallback",
    )


def _ctr(impressions: int, clicks: int) -> float | None:
    return clicks / impressions if impressions else None


def dashboard_panel() -> dict[str, Any]:
    """Figures for the store dashboard's recommendations panel: click-through of the slots
    over the last 7 days (clicks per item shown), the best slot, the leading A/B variant of
    the for-you slot, what is serving (the active version, or the popular-items fallback
    before any training) and how many customers have a precomputed for-you list."""
    figures = selectors.dashboard_figures(days=7)
    labels = dict(Slot.choices)
    items: dict[str, str] = {}
    ctr = _ctr(figures.impressions, figures.clicks)
    items["Click-through, last 7 days"] = (
        f"{ctr:.1%} ({figures.clicks:,} clicks / {figures.impressions:,} items shown)"
        if ctr is not None
        else "no recommendations shown yet"
    )
    slots = [(s, _ctr(*n)) for s, n in figures.by_slot.items() if n[0]]
    if slots and figures.clicks:  # with no click at all every slot ties at 0%
        slot, best = max(slots, key=lambda kv: (kv[1] or 0.0, kv[0]))
        items["Best slot"] = f"{labels.get(slot, slot or 'unknown')} ({best or 0.0:.1%})"
    variants = sorted(
        ((v, _ctr(*n) or 0.0) for v, n in figures.by_variant.items() if n[0]),
        key=lambda kv: (-kv[1], kv[0]),
    )
    if len(variants) >= 2:
        rest = ", ".join(f"{v} {rate:.1%}" for v, rate in variants[1:])
        items["Leading A/B variant"] = f"{variants[0][0]} ({variants[0][1]:.1%} vs {rest})"
    else:
        on = f": every shopper gets {variants[0][0]}" if variants else ""
        items["Leading A/B variant"] = f"no A/B test running{on}"
    model = figures.active_model
    if model is None:
        items["Serving"] = "fallback: popular items (no model trained yet)"
    elif model.ndcg_at_10 is not None and model.popularity_ndcg_at_10 is not None:
        items["Serving"] = (
            f"{model.label} (NDCG@10 {model.ndcg_at_10:.3f} vs popular "
            f"{model.popularity_ndcg_at_10:.3f})"
        )
    else:
        items["Serving"] = model.label
    share = figures.lists / figures.customers if figures.customers else 0.0
    items["Customers with a precomputed for-you list"] = (
        f"{figures.lists:,} of {figures.customers:,} ({share:.0%})"
        if figures.lists
        else "none yet (computed when a model is trained)"
    )
    return {
        "title": "Recommendations",
        "items": items,
        "trend": {
            "name": "Click-through per day (%)",
            "points": [
                [day, round(100 * clicks / shown, 1) if shown else 0.0]
                for day, shown, clicks in figures.per_day
            ],
        },
        # the report page: CTR and revenue by slot, source and variant, coverage, versions
        "url": "/admin/recommendations/recommendationlist/",
    }
