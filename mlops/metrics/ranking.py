"""Top-k ranking metrics for recommendations (pure numpy, no Django).

Every function takes ``recommended`` (user -> ordered item ids, best first) and ``relevant``
(user -> the items the user actually bought next). Users whose relevant set is empty are
skipped, so a discovery evaluation is not dragged down by users who only re-bought. Users
with relevant items but no recommendation count as zero.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "average_precision_at_k",
    "catalog_coverage",
    "map_at_k",
    "ndcg_at_k",
    "ranking_report",
    "recall_at_k",
]


def _users(relevant: Mapping[Hashable, Collection[Hashable]]) -> list[Hashable]:
    return [u for u, items in relevant.items() if len(items) > 0]


def _hits(recs: Sequence[Hashable], truth: Collection[Hashable], k: int) -> np.ndarray:
    truth_set = truth if isinstance(truth, set | frozenset) else set(truth)
    seen: set[Hashable] = set()
    out = np.zeros(k, dtype=float)
    for i, item in enumerate(list(recs)[:k]):
        # a duplicated item in a list must not be counted twice
        if item in truth_set and item not in seen:
            out[i] = 1.0
        seen.add(item)
    return out


def ndcg_at_k(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    k: int = 10,
) -> float:
    """Mean binary-relevance NDCG@k; the ideal list holds min(|relevant|, k) hits."""
    users = _users(relevant)
    if not users:
        return 0.0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    scores = []
    for u in users:
        hits = _hits(recommended.get(u, ()), relevant[u], k)
        ideal = discounts[: min(len(relevant[u]), k)].sum()
        scores.append(float(hits @ discounts) / ideal)
    return float(np.mean(scores))


def recall_at_k(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    k: int = 10,
) -> float:
    """Mean share of each user's relevant items found in the top k (hits / |relevant|)."""
    users = _users(relevant)
    if not users:
        return 0.0
    return float(
        np.mean(
            [_hits(recommended.get(u, ()), relevant[u], k).sum() / len(relevant[u]) for u in users]
        )
    )


def average_precision_at_k(
    recs: Sequence[Hashable], truth: Collection[Hashable], k: int = 10
) -> float:
    """AP@k of one list, normalised by min(|truth|, k) so a perfect list scores 1."""
    if not truth:
        return 0.0
    hits = _hits(recs, truth, k)
    precision = np.cumsum(hits) / np.arange(1, k + 1)
    return float((precision * hits).sum() / min(len(truth), k))


def map_at_k(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    k: int = 10,
) -> float:
    """Mean of ``average_precision_at_k`` over users with at least one relevant item."""
    users = _users(relevant)
    if not users:
        return 0.0
    return float(
        np.mean([average_precision_at_k(recommended.get(u, ()), relevant[u], k) for u in users])
    )


def catalog_coverage(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    catalog: Iterable[Hashable],
    k: int = 10,
) -> float:
    """Share of the catalogue that appears in at least one top-k list (0..1)."""
    catalog_set = set(catalog)
    if not catalog_set:
        return 0.0
    shown = {item for recs in recommended.values() for item in list(recs)[:k]}
    return len(shown & catalog_set) / len(catalog_set)


def ranking_report(
    recommended: Mapping[Hashable, Sequence[Hashable]],
    relevant: Mapping[Hashable, Collection[Hashable]],
    catalog: Iterable[Hashable],
    k: int = 10,
) -> dict[str, float]:
    """NDCG@k, recall@k, MAP@k and coverage@k in one dict (keys suffixed with k)."""
    return {
        f"ndcg@{k}": ndcg_at_k(recommended, relevant, k),
        f"recall@{k}": recall_at_k(recommended, relevant, k),
        f"map@{k}": map_at_k(recommended, relevant, k),
        f"coverage@{k}": catalog_coverage(recommended, catalog, k),
        "users": float(len(_users(relevant))),
    }
