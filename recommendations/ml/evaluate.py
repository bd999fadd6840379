"""The pure function behind ``manage.py ml_eval recommendations`` (and ``bench/``).

``recommend_frame`` turns a purchase log into top-k lists for the requested users with the
blended recommender or one of the standard baselines, so the command, the benchmark and
the tests all run the same code.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .blend import BlendRecommender
from .data import Interactions, encode
from .sources import ALS, ItemKNN, PersonalHistory, Popularity, top_k_rows
from .validation import holdout_split

METHODS = (
    "blend",
    "popularity",
    "recent_popularity",
    "unseen_popularity",
    "rebuy",
    "als",
    "item_knn",
)
RECENT_DAYS = 7.0
ALS_GRID = {"factors": (32, 64, 128), "regularization": (0.01, 0.1), "alpha": (1.0, 10.0, 40.0)}


class _Scorer(Protocol):
    def score(self, users: np.ndarray) -> np.ndarray: ...


@dataclass
class _WithBackfill:
    """A source's scores with popularity as a tiny tie-breaker, so lists are always full."""

    main: _Scorer
    pop: np.ndarray

    def score(self, users: np.ndarray) -> np.ndarray:
        s = self.main.score(users)
        mx = s.max(axis=1, keepdims=True)
        mx[mx <= 0] = 1.0
        return s / mx + 1e-3 * self.pop


def _ndcg_holdout(
    model: _Scorer, data: Interactions, truth: dict[int, set[int]], discovery: bool
) -> float:
    users = np.asarray(sorted(truth))
    seen = data.binary()
    scores = []
    for start in range(0, len(users), 500):
        u = users[start : start + 500]
        s = model.score(u).astype(float)
        if discovery:
            s[seen[u].toarray() > 0] = -np.inf
        idx, _ = top_k_rows(s, 10)
        for r, uu in enumerate(u):
            rel = truth[uu] - set(seen[uu].indices.tolist()) if discovery else truth[uu]
            if not rel:
                continue
            disc = 1.0 / np.log2(np.arange(2, 12))
            hits = np.isin(idx[r], list(rel))
            scores.append(float(hits @ disc[: len(hits)]) / disc[: min(len(rel), 10)].sum())
    return float(np.mean(scores)) if scores else 0.0


def tuned_als(
    data: Interactions, *, discovery: bool, seed: int = 0, num_threads: int = 2
) -> tuple[ALS, dict[str, float]]:
    """ALS with factors/regularisation/alpha chosen on a holdout of ``data`` (never the test)."""
    holdout = holdout_split(data, seed=seed)
    best: tuple[float, dict[str, Any]] = (-1.0, {})
    if holdout.truth:
        for values in itertools.product(*ALS_GRID.values()):
            trial: dict[str, Any] = dict(zip(ALS_GRID, values, strict=True))
            m = ALS(**trial, random_state=seed, num_threads=num_threads).fit(holdout.train)
            val = _ndcg_holdout(m, holdout.train, holdout.truth, discovery)
            if val > best[0]:
                best = (val, trial)
    params: dict[str, Any] = best[1] or {"factors": 64, "regularization": 0.05, "alpha": 10.0}
    return ALS(**params, random_state=seed, num_threads=num_threads).fit(data), {
        **params,
        "validation_ndcg": best[0],
    }


def build_model(
    method: str, data: Interactions, *, exclude_purchased: bool, seed: int = 0, num_threads: int = 2
) -> tuple[_Scorer | BlendRecommender, dict[str, float]]:
    pop = Popularity().fit(data)
    if method == "blend":
        model = BlendRecommender(random_state=seed, num_threads=num_threads).fit(data)
        variant = "discovery" if exclude_purchased else "default"
        w = model.weights_[variant]
        return model, {
            **w.by_source,
            "exclude_seen": float(w.exclude_seen),
            "validation_ndcg": w.validation_ndcg,
        }
    if method in ("popularity", "unseen_popularity"):
        return pop, {}
    if method == "recent_popularity":
        return _WithBackfill(Popularity(window_days=RECENT_DAYS).fit(data), pop.scores_), {}
    if method == "rebuy":
        # the customer's own items, most baskets first, then most recent; popular back-fill
        freq = PersonalHistory(half_life_days=None, repeat_power=0.0).fit(data)
        recent = PersonalHistory(half_life_days=30.0, repeat_power=0.0).fit(data)

        class _Rebuy:
            def score(self, users: np.ndarray) -> np.ndarray:
                return freq.score(users) + 1e-2 * recent.score(users)

        return _WithBackfill(_Rebuy(), pop.scores_), {}
    if method == "als":
        als, params = tuned_als(
            data, discovery=exclude_purchased, seed=seed, num_threads=num_threads
        )
        return als, params
    if method == "item_knn":
        return _WithBackfill(ItemKNN(n_neighbors=100, shrink=10.0).fit(data), pop.scores_), {}
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def recommend_frame(
    train: pd.DataFrame,
    users: Sequence[object],
    *,
    k: int = 10,
    exclude_purchased: bool = False,
    method: str = "blend",
    seed: int = 0,
    num_threads: int = 2,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Top-k lists for ``users`` from ``train`` (user_id, item_id, timestamp[, quantity]).

    Returns (user_id, rank, item_id, score, source) with exactly k rows per user when the
    catalogue has k items (fewer otherwise) and the chosen parameters. Customers unknown in
    ``train`` get the popular/trending list. ``exclude_purchased`` never recommends an item
    the user has in ``train``.
    """
    data = encode(train, quantity_col="quantity" if "quantity" in train.columns else None)
    model, info = build_model(
        method, data, exclude_purchased=exclude_purchased, seed=seed, num_threads=num_threads
    )
    index = data.user_index()
    known = [u for u in users if u in index]
    rows_u: list[object] = []
    rows_rank: list[int] = []
    rows_item: list[object] = []
    rows_score: list[float] = []
    rows_src: list[str] = []
    k_eff = min(k, data.n_items)
    if known:
        uidx = np.asarray([index[u] for u in known])
        if isinstance(model, BlendRecommender):
            idx, vals, src = model.recommend(
                uidx, k_eff, "discovery" if exclude_purchased else "default"
            )
        else:
            seen = data.binary()
            idx_l, val_l = [], []
            for start in range(0, len(uidx), 1000):
                batch = uidx[start : start + 1000]
                s = model.score(batch).astype(np.float64)
                if exclude_purchased or method == "unseen_popularity":
                    s[seen[batch].toarray() > 0] = -np.inf
                i, v = top_k_rows(s, k_eff)
                idx_l.append(i)
                val_l.append(v)
            idx, vals = np.vstack(idx_l), np.vstack(val_l)
            src = np.full(idx.shape, method, dtype=object)
        # Re-buys are allowed by default: a list the model left short (it chose to skip the
        # user's own items and few others remain) ends with them, most baskets first.
        refill = not exclude_purchased and method != "unseen_popularity"
        baskets: Any = None
        pop_all: Any = None
        for r, u in enumerate(known):
            ok = np.isfinite(vals[r])
            items = idx[r][ok].tolist()
            scores = vals[r][ok].astype(float).tolist()
            sources = src[r][ok].tolist()
            if refill and len(items) < k_eff:
                if baskets is None:
                    baskets, pop_all = data.basket_counts(), Popularity().fit(data).scores_
                row = baskets[uidx[r]]
                order = np.lexsort((row.indices, -pop_all[row.indices], -row.data))
                listed = set(items)
                own = [int(i) for i in row.indices[order] if int(i) not in listed]
                extra = own[: k_eff - len(items)]
                items += extra
                scores += [0.0] * len(extra)
                sources += ["rebuy"] * len(extra)
            rows_u += [u] * len(items)
            rows_rank += list(range(1, len(items) + 1))
            rows_item += data.item_ids[np.asarray(items, dtype=np.int64)].tolist()
            rows_score += scores
            rows_src += sources
    cold = [u for u in users if u not in index]
    if cold and data.n_items:
        pop = Popularity().fit(data).scores_ + Popularity(window_days=RECENT_DAYS).fit(data).scores_
        top, vals = top_k_rows(pop[None, :], k_eff)
        for u in cold:
            rows_u += [u] * len(top[0])
            rows_rank += list(range(1, len(top[0]) + 1))
            rows_item += data.item_ids[top[0]].tolist()
            rows_score += vals[0].astype(float).tolist()
            rows_src += ["popular"] * len(top[0])
    frame = pd.DataFrame(
        {
            "user_id": rows_u,
            "rank": rows_rank,
            "item_id": rows_item,
            "score": rows_score,
            "source": rows_src,
        }
    )
    return frame, info
