"""Candidate sources. Each has ``fit(data) -> self`` and ``score(users) -> (n, n_items)``.

Scores are only comparable within a source; the blender rescales them per user.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .data import Interactions

_DENSE_BUDGET = 20_000_000  # floats per dense block: about 80 MB in float32


def decayed_history(data: Interactions, half_life_days: float | None) -> sparse.csr_matrix:
    """User x item matrix summing 0.5 ** (age / half_life) over the baskets holding the item."""
    ev = data.events
    if half_life_days is None or half_life_days <= 0:
        w = np.ones(len(ev), dtype=np.float32)
    else:
        w = np.power(0.5, (data.now - ev.t.to_numpy()) / half_life_days).astype(np.float32)
    return sparse.csr_matrix((w, (ev.u, ev.i)), shape=(data.n_users, data.n_items))


def top_k_rows(dense: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest entries per row, best first."""
    k = min(k, dense.shape[1])
    if k <= 0:
        empty = np.zeros((dense.shape[0], 0))
        return empty.astype(np.int64), empty
    # The k smallest of the negated scores: partitioning for the k largest in place
    # (kth = n - k) is ten times slower when most of a row is zero, as neighbour scores are.
    part = np.argpartition(-dense, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(dense, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def _sparse_top_k(block: np.ndarray, k: int, row_offset: int, n_cols: int) -> sparse.csr_matrix:
    idx, vals = top_k_rows(block, k)
    rows = np.repeat(np.arange(block.shape[0]) + row_offset, idx.shape[1])
    keep = vals.ravel() > 0
    return sparse.csr_matrix(
        (vals.ravel()[keep], (rows[keep] - row_offset, idx.ravel()[keep])),
        shape=(block.shape[0], n_cols),
    )


def cosine_top_k(
    x: sparse.csr_matrix, n_neighbors: int, shrink: float = 0.0, min_support: int = 1
) -> sparse.csr_matrix:
    """Column x column cosine similarity of ``x`` keeping the top ``n_neighbors`` per row.

    ``shrink`` damps pairs seen together only a few times; the diagonal is zero.
    """
    xb = x.tocsc().astype(np.float32)
    xt = xb.T.tocsr()
    n = xb.shape[1]
    norms = np.sqrt(np.asarray(xb.multiply(xb).sum(axis=0)).ravel())
    support = x.copy()
    support.data[:] = 1
    support_t = support.T.tocsr().astype(np.float32)
    step = max(1, _DENSE_BUDGET // max(n, 1))
    blocks = []
    for start in range(0, n, step):
        stop = min(n, start + step)
        co = (xt[start:stop] @ xb).toarray()
        sim = co / (np.outer(norms[start:stop], norms) + shrink + 1e-9)
        if min_support > 1:
            counts = (support_t[start:stop] @ support.tocsc()).toarray()
            sim[counts < min_support] = 0.0
        sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
        blocks.append(_sparse_top_k(sim, n_neighbors, start, n))
    if not blocks:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    return sparse.vstack(blocks).tocsr()


class Popularity:
    """Items bought by the most distinct users, optionally only in the last ``window_days``."""

    def __init__(self, window_days: float | None = None) -> None:
        self.window_days = window_days

    def fit(self, data: Interactions) -> Popularity:
        ev = data.events
        if self.window_days is not None:
            ev = ev[ev.t >= data.now - self.window_days]
        users = np.bincount(ev.drop_duplicates(["u", "i"]).i, minlength=data.n_items)
        baskets = np.bincount(ev.i, minlength=data.n_items)
        # basket count breaks ties between items with the same number of buyers
        s = users + baskets / (baskets.max() + 1.0) if len(ev) else users.astype(float)
        self.scores_ = (s / s.max() if s.max() > 0 else s).astype(np.float32)
        self.n_items_ = data.n_items
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.scores_, (len(users), 1))


class PersonalHistory:
    """Re-buy: the user's own purchases, decayed by age and weighted by how often the item
    is re-bought by anyone (a sofa is rarely bought twice, milk weekly).

    ``repeat_power`` 0 ignores the item's repeat rate; 1 multiplies by it.
    """

    def __init__(
        self, half_life_days: float | None = 14.0, repeat_power: float = 1.0, prior: float = 5.0
    ) -> None:
        self.half_life_days = half_life_days
        self.repeat_power = repeat_power
        self.prior = prior

    def fit(self, data: Interactions) -> PersonalHistory:
        self.history_ = decayed_history(data, self.half_life_days)
        counts = data.basket_counts()
        buyers = np.asarray((counts > 0).sum(axis=0)).ravel().astype(float)
        repeaters = np.asarray((counts >= 2).sum(axis=0)).ravel().astype(float)
        base = repeaters.sum() / buyers.sum() if buyers.sum() else 0.0
        self.repeat_rate_ = ((repeaters + self.prior * base) / (buyers + self.prior)).astype(
            np.float32
        )
        self.global_repeat_rate_ = float(base)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        h = self.history_[users].toarray()
        if self.repeat_power:
            h *= np.power(np.maximum(self.repeat_rate_, 1e-6), self.repeat_power)
        return h


class ItemKNN:
    """Item-based neighbourhood: sum of cosine similarities to the user's (decayed) items."""

    def __init__(
        self, n_neighbors: int = 100, shrink: float = 10.0, half_life_days: float | None = None
    ) -> None:
        self.n_neighbors = n_neighbors
        self.shrink = shrink
        self.half_life_days = half_life_days

    def fit(self, data: Interactions) -> ItemKNN:
        self.similarity_ = cosine_top_k(data.binary(), self.n_neighbors, self.shrink)
        self.profile_ = decayed_history(data, self.half_life_days)
        self.profile_.data = (
            np.minimum(self.profile_.data, 1.0)
            if self.half_life_days is None
            else self.profile_.data
        )
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return (self.profile_[users] @ self.similarity_).toarray()


class UserKNN:
    """TIFU-style user neighbourhood: what the most similar customers buy, where customers
    are compared on their decayed purchase vectors."""

    def __init__(self, n_neighbors: int = 50, half_life_days: float | None = 14.0) -> None:
        self.n_neighbors = n_neighbors
        self.half_life_days = half_life_days

    def fit(self, data: Interactions) -> UserKNN:
        h = decayed_history(data, self.half_life_days)
        norms = np.sqrt(np.asarray(h.multiply(h).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.profile_ = sparse.diags(1.0 / norms).astype(np.float32) @ h
        self.profile_t_ = self.profile_.T.tocsr()
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        sims = (self.profile_[users] @ self.profile_t_).toarray()
        sims[np.arange(len(users)), users] = 0.0  # not one's own neighbour
        idx, vals = top_k_rows(sims, self.n_neighbors)
        rows = np.repeat(np.arange(len(users)), idx.shape[1])
        w = sparse.csr_matrix(
            (vals.ravel(), (rows, idx.ravel())), shape=(len(users), self.profile_.shape[0])
        )
        return (w @ self.profile_).toarray()


class ALS:
    """Implicit-feedback matrix factorisation (``implicit`` ALS on CPU) on basket counts."""

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        bm25: bool = False,
        random_state: int = 0,
        num_threads: int = 2,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.bm25 = bm25
        self.random_state = random_state
        self.num_threads = num_threads

    def fit(self, data: Interactions) -> ALS:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        x = data.basket_counts()
        x.data = np.log1p(x.data).astype(np.float32)
        if self.bm25:
            from implicit.nearest_neighbours import bm25_weight

            x = bm25_weight(x, K1=100, B=0.8).tocsr().astype(np.float32)
        with threadpool_limits(1, "blas"):  # implicit is slower with threaded BLAS
            model = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            )
            model.fit(x, show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.user_factors_[users] @ self.item_factors_.T


class EASE:
    """Embarrassingly shallow autoencoder (Steck, 2019): a closed-form item-item regression
    that predicts each item from the rest of the customer's items. Solved on the
    ``max_items`` most bought items (an ``n^3`` inverse); rarer items score zero here and are
    left to the neighbourhood sources."""

    def __init__(self, l2: float = 200.0, max_items: int = 3000) -> None:
        self.l2 = l2
        self.max_items = max_items

    def fit(self, data: Interactions) -> EASE:
        x = data.binary()
        freq = np.asarray(x.sum(axis=0)).ravel()
        keep = np.sort(np.argsort(-freq, kind="stable")[: self.max_items])
        keep = keep[freq[keep] > 0]
        xs = x[:, keep].tocsc()
        self.gram_ = (xs.T @ xs).toarray().astype(np.float64)
        self.items_ = keep
        self.profile_ = x[:, keep].tocsr()
        self.n_items_ = data.n_items
        return self.set_l2(self.l2)

    def set_l2(self, l2: float) -> EASE:
        """Re-solve with another regularisation on the same data (the Gram is kept)."""
        self.l2 = l2
        g = self.gram_.copy()
        g[np.diag_indices_from(g)] += l2
        p = np.linalg.inv(g) if len(g) else g
        b = -p / np.diag(p)[None, :] if len(g) else g
        b[np.diag_indices_from(b)] = 0.0
        self.weights_ = b.astype(np.float32)
        return self

    def tune_l2(
        self, truth: dict[int, set[int]], grid: tuple[float, ...] = (50.0, 200.0, 1000.0)
    ) -> float:
        """Choose ``l2`` by NDCG@10 of items new to the customer on a held-back ``truth``
        (user index -> items) for the data this model was fitted on; keeps the best."""
        users = np.asarray(sorted(truth), dtype=np.int64)
        seen = self.profile_[users].toarray() > 0
        rel = np.zeros((len(users), self.n_items_), dtype=bool)
        for r, u in enumerate(users):
            rel[r, list(truth[int(u)])] = True
        full_seen = np.zeros_like(rel)
        full_seen[:, self.items_] = seen
        rel &= ~full_seen
        has = rel.any(axis=1)
        if not has.any():
            return self.l2
        disc = 1.0 / np.log2(np.arange(2, 12))
        ideal = np.array([disc[: min(int(n), 10)].sum() for n in rel[has].sum(axis=1)])
        best: tuple[float, float] = (-1.0, self.l2)
        solved = {self.l2: self.weights_}  # each regularisation is solved once
        for l2 in grid:
            if l2 in solved:
                self.l2, self.weights_ = l2, solved[l2]
            else:
                solved[l2] = self.set_l2(l2).weights_
            s = self.score(users[has])
            s[full_seen[has]] = -np.inf
            idx, _ = top_k_rows(s, 10)
            ndcg = float(
                np.mean(np.take_along_axis(rel[has], idx, 1) @ disc[: idx.shape[1]] / ideal)
            )
            if ndcg > best[0] + 1e-9:
                best = (ndcg, l2)
        self.l2, self.weights_ = best[1], solved[best[1]]
        return best[1]

    def score(self, users: np.ndarray) -> np.ndarray:
        out = np.zeros((len(users), self.n_items_), dtype=np.float32)
        out[:, self.items_] = np.maximum(self.profile_[users] @ self.weights_, 0.0)
        return out


class BoughtTogether:
    """Item-item co-occurrence in the same basket, ranked by a shrunk lift
    ``co / (expected + shrink)`` where ``expected = n_i * n_j / n_baskets``."""

    def __init__(self, n_neighbors: int = 30, min_support: int = 2, shrink: float = 1.0) -> None:
        self.n_neighbors = n_neighbors
        self.min_support = min_support
        self.shrink = shrink

    def fit(self, data: Interactions) -> BoughtTogether:
        ev = data.events
        n = data.n_items
        basket = ev.groupby(["u", "t"]).ngroup().to_numpy()
        b = sparse.csr_matrix(
            (np.ones(len(ev), dtype=np.float32), (basket, ev.i.to_numpy())),
            shape=(int(basket.max()) + 1 if len(ev) else 0, n),
        )
        b.data[:] = 1.0
        n_baskets = max(b.shape[0], 1)
        freq = np.asarray(b.sum(axis=0)).ravel()
        bc = b.tocsc()
        bt = b.T.tocsr()
        step = max(1, _DENSE_BUDGET // max(n, 1))
        blocks = []
        for start in range(0, n, step):
            stop = min(n, start + step)
            co = (bt[start:stop] @ bc).toarray()
            expected = np.outer(freq[start:stop], freq) / n_baskets
            lift = co / (expected + self.shrink)
            lift[co < self.min_support] = 0.0
            lift[np.arange(stop - start), np.arange(start, stop)] = 0.0
            blocks.append(_sparse_top_k(lift, self.n_neighbors, start, n))
        self.lift_ = (
            sparse.vstack(blocks).tocsr() if blocks else sparse.csr_matrix((n, n), dtype=np.float32)
        )
        return self

    def neighbours(
        self, items: np.ndarray, k: int, exclude: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Items most often bought with any of ``items`` (scores summed), best first."""
        if len(items) == 0:
            return []
        row = np.asarray(self.lift_[items].sum(axis=0)).ravel()
        row[items] = 0.0
        if exclude is not None and len(exclude):
            row[exclude] = 0.0
        idx, vals = top_k_rows(row[None, :], k)
        return [(int(i), float(v)) for i, v in zip(idx[0], vals[0], strict=True) if v > 0]


class ContentSimilarity:
    """TF-IDF over each item's text (name, description, category, attributes): similar items
    for products with no purchases yet."""

    def __init__(self, n_neighbors: int = 30, min_df: int = 1, max_features: int = 50_000) -> None:
        self.n_neighbors = n_neighbors
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, texts: list[str]) -> ContentSimilarity:
        from sklearn.feature_extraction.text import TfidfVectorizer

        n = len(texts)
        if n == 0 or not any(t.strip() for t in texts):
            self.similarity_ = sparse.csr_matrix((n, n), dtype=np.float32)
            return self
        vec = TfidfVectorizer(
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            ngram_range=(1, 2),
        )
        x = vec.fit_transform([t or "" for t in texts]).astype(np.float32)  # rows l2-normalised
        self.similarity_ = cosine_top_k(x.T.tocsr(), self.n_neighbors)
        return self

    def neighbours(self, item: int, k: int) -> list[tuple[int, float]]:
        row = self.similarity_[item]
        order = np.argsort(-row.data, kind="stable")[:k]
        return [(int(row.indices[j]), float(row.data[j])) for j in order]
