"""Learning-to-rank over the union of every source's candidates (LightGBM lambdarank).

Features per (customer, item): each source's per-customer rescaled score, the customer's
own basket count for the item and days since they last bought it, the item's popularity,
trend and repeat rate, and the customer's number of baskets and distinct items. Labels are
the items bought in a held-back slice of the training data, so the ranker learns, for
example, when re-buys beat neighbours (frequent customers, consumables) and when not.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse

from .data import Interactions
from .sources import top_k_rows

FEATURES_EXTRA = (
    "basket_count",
    "days_since_last",
    "item_log_buyers",
    "item_trend",
    "item_repeat_rate",
    "user_baskets",
    "user_items",
    "seen",
)


class HistoryStats:
    """Per (user, item) basket count and last purchase day; per item/user aggregates."""

    def __init__(self, data: Interactions, trend_days: float = 7.0) -> None:
        ev = data.events
        shape = (data.n_users, data.n_items)
        self.counts = sparse.csr_matrix(
            (np.ones(len(ev), dtype=np.float32), (ev.u, ev.i)), shape=shape
        )
        last = ev.groupby(["u", "i"], as_index=False).t.max()
        # store age + 1 so that "bought today" is not an implicit zero
        self.age = sparse.csr_matrix(
            ((data.now - last.t.to_numpy() + 1.0).astype(np.float32), (last.u, last.i)), shape=shape
        )
        buyers = np.bincount(last.i, minlength=data.n_items).astype(float)
        recent = ev[ev.t >= data.now - trend_days].drop_duplicates(["u", "i"])
        recent_buyers = np.bincount(recent.i, minlength=data.n_items).astype(float)
        repeaters = np.asarray((self.counts >= 2).sum(axis=0)).ravel().astype(float)
        base = repeaters.sum() / max(buyers.sum(), 1.0)
        self.item_log_buyers = np.log1p(buyers).astype(np.float32)
        share = recent_buyers.sum() / max(buyers.sum(), 1.0)
        self.item_trend = ((recent_buyers + 1.0) / (share * buyers + 1.0)).astype(np.float32)
        self.item_repeat = ((repeaters + 5 * base) / (buyers + 5)).astype(np.float32)
        baskets = ev.drop_duplicates(["u", "t"]).groupby("u").size()
        self.user_baskets = np.zeros(data.n_users, dtype=np.float32)
        self.user_baskets[baskets.index.to_numpy()] = baskets.to_numpy()
        self.user_items = np.diff(self.counts.indptr).astype(np.float32)


def candidate_features(
    dense_scores: Mapping[str, np.ndarray],
    users: np.ndarray,
    stats: HistoryStats,
    *,
    per_source: int,
    discovery: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates (n_users x C item indices), validity mask and features (n_users x C x F)
    for one batch of users; ``dense_scores`` are per-user rescaled (n_users x n_items)."""
    counts = stats.counts[users].toarray()
    seen = counts > 0
    idx = []
    for d in dense_scores.values():
        idx.append(top_k_rows(np.where(seen, -1.0, d) if discovery else d, per_source)[0])
    if not discovery:
        idx.append(top_k_rows(counts + 1e-6 * next(iter(dense_scores.values())), per_source)[0])
    cand = np.sort(np.hstack(idx), axis=1)
    valid = np.ones(cand.shape, dtype=bool)
    valid[:, 1:] = cand[:, 1:] != cand[:, :-1]
    if discovery:
        valid &= ~np.take_along_axis(seen, cand, 1)
    age = stats.age[users].toarray()
    age[age == 0] = 1e4
    n, c = cand.shape
    feats = [np.take_along_axis(d, cand, 1) for d in dense_scores.values()]
    feats += [
        np.take_along_axis(counts, cand, 1),
        np.log1p(np.take_along_axis(age, cand, 1)),
        stats.item_log_buyers[cand],
        stats.item_trend[cand],
        stats.item_repeat[cand],
        np.broadcast_to(stats.user_baskets[users][:, None], (n, c)),
        np.broadcast_to(stats.user_items[users][:, None], (n, c)),
        np.take_along_axis(seen, cand, 1).astype(np.float32),
    ]
    return cand, valid, np.stack(feats, axis=-1).astype(np.float32)


class Ranker:
    """LightGBM lambdarank over candidate features; seeded, ``num_threads`` cores."""

    def __init__(
        self,
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 50,
        random_state: int = 0,
        num_threads: int = 2,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state
        self.num_threads = num_threads

    def fit(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Ranker:
        import lightgbm as lgb

        self.model_ = lgb.LGBMRanker(
            objective="lambdarank",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            random_state=self.random_state,
            n_jobs=self.num_threads,
            deterministic=True,
            force_row_wise=True,
            lambdarank_truncation_level=20,
            verbose=-1,
        )
        self.model_.fit(x, y.astype(int), group=groups)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model_.predict(x))
