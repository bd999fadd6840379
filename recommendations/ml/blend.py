"""The blended "for you" recommender.

Personal history (re-buy, recency- and repeat-rate-weighted), item and user neighbourhoods,
implicit ALS and popularity each score every item; each source's scores are divided by one
constant of that source (the mean over customers of their highest score, see
``source_scales``), so a customer with weak evidence in one source keeps weak scores there
instead of being stretched to [0, 1], and summed with weights tuned by coordinate ascent on
NDCG@10 of a held-back slice of the training data (the last window in time, or hidden
basket items when customers have one basket each). One set of weights is tuned for the
default list (re-buys allowed) and one for discovery (items new to the customer), and the
tuner may decide that re-buys hurt (``exclude_seen``), which is what happens on
basket-completion data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import cast

import numpy as np
from scipy import sparse

from .data import Interactions
from .ranker import HistoryStats, Ranker, candidate_features
from .sources import ALS, EASE, ItemKNN, PersonalHistory, Popularity, UserKNN, top_k_rows
from .validation import Holdout, holdout_windows

TIE_BREAK = 1e-6  # below any score difference the blend means; orders exact ties only

Source = Popularity | PersonalHistory | ItemKNN | UserKNN | EASE | ALS

SOURCE_NAMES = (
    "rebuy",
    "rebuy_recent",
    "rebuy_cycle",
    "item_knn",
    "user_knn",
    "ease",
    "als",
    "popular",
    "trending",
)
VARIANTS = ("default", "discovery")
GRID = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0)


@dataclass
class Weights:
    by_source: dict[str, float]
    exclude_seen: bool
    validation_ndcg: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


SCALE_SAMPLE = 500


def source_scales(
    sources: dict[str, Source], data: Interactions, sample: int = SCALE_SAMPLE, seed: int = 0
) -> dict[str, float]:
    """One rescaling constant per source: the mean of the highest score per customer over
    (a seeded sample of) the customers with history.

    Dividing by a per-source constant instead of each customer's own maximum keeps the
    calibration across customers: a customer whose neighbourhood evidence is weak keeps
    weak scores there, so popularity (the same for everyone) can outrank them. Chosen over
    per-customer [0, 1] rescaling on the TRAIN-only validation slices (retail and groceries,
    both variants; docs/results/recommendations.md, 2026-11-25 round 2).
    """
    users = np.unique(data.events.u.to_numpy()) if len(data.events) else np.zeros(0, np.int64)
    if len(users) > sample:
        users = np.sort(np.random.default_rng(seed).choice(users, sample, replace=False))
    out = {}
    for name in SOURCE_NAMES:
        if name not in sources or not len(users):
            out[name] = 1.0
            continue
        mx = sources[name].score(users).max(axis=1)
        pos = mx[mx > 0]
        out[name] = float(pos.mean()) if len(pos) else 1.0
    return out


def _rescale(m: np.ndarray, scale: float | None) -> np.ndarray:
    """``m / scale``; ``None`` (an artifact saved before ``source_scales`` existed, whose
    weights were tuned that way) rescales each row to its maximum instead."""
    if scale is None:
        mx = m.max(axis=1, keepdims=True)
        mx[mx <= 0] = 1.0
        return (m / mx).astype(np.float32)
    return (m / scale if scale > 0 else m).astype(np.float32)


def _batches(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(s, min(n, s + size)) for s in range(0, n, size)]


class BlendRecommender:
    """Tuned weighted blend of candidate sources.

    Parameters are the sources' settings; ``fit(data)`` tunes the blend weights on a holdout
    built from ``data`` and then refits every source on all of ``data``.
    """

    def __init__(
        self,
        half_life_days: float = 7.0,
        knn_neighbors: int = 100,
        user_neighbors: int = 50,
        als_factors: int = 64,
        als_regularization: float = 0.05,
        als_alpha: float = 10.0,
        als_iterations: int = 10,
        trending_days: float = 7.0,
        ease_l2: float = 200.0,
        ease_max_items: int = 2000,
        candidates_per_source: int = 50,
        max_validation_users: int = 1000,
        validation_fraction: float = 0.2,
        validation_windows: int = 3,
        use_ranker: bool = False,
        random_state: int = 0,
        num_threads: int = 2,
    ) -> None:
        self.half_life_days = half_life_days
        self.knn_neighbors = knn_neighbors
        self.user_neighbors = user_neighbors
        self.als_factors = als_factors
        self.als_regularization = als_regularization
        self.als_alpha = als_alpha
        self.als_iterations = als_iterations
        self.trending_days = trending_days
        self.ease_l2 = ease_l2
        self.ease_max_items = ease_max_items
        self.candidates_per_source = candidates_per_source
        self.max_validation_users = max_validation_users
        self.validation_fraction = validation_fraction
        self.validation_windows = validation_windows
        self.use_ranker = use_ranker
        self.random_state = random_state
        self.num_threads = num_threads

    # -- sources ---------------------------------------------------------------------------
    def _make_sources(self) -> dict[str, Source]:
        return {
            "rebuy": PersonalHistory(half_life_days=None, repeat_power=0.0),
            "rebuy_recent": PersonalHistory(half_life_days=self.half_life_days, repeat_power=0.0),
            "rebuy_cycle": PersonalHistory(half_life_days=None, repeat_power=1.0),
            "item_knn": ItemKNN(n_neighbors=self.knn_neighbors, shrink=10.0),
            "user_knn": UserKNN(
                n_neighbors=self.user_neighbors, half_life_days=self.half_life_days * 4
            ),
            "ease": EASE(l2=getattr(self, "ease_l2_", self.ease_l2), max_items=self.ease_max_items),
            "als": ALS(
                factors=self.als_factors,
                regularization=self.als_regularization,
                alpha=self.als_alpha,
                iterations=self.als_iterations,
                random_state=self.random_state,
                num_threads=self.num_threads,
            ),
            "popular": Popularity(),
            "trending": Popularity(window_days=self.trending_days),
        }

    @staticmethod
    def _fit_sources(sources: dict[str, Source], data: Interactions) -> dict[str, float]:
        seconds = {}
        for name, src in sources.items():
            start = time.perf_counter()
            src.fit(data)
            seconds[name] = time.perf_counter() - start
        return seconds

    # -- fit -------------------------------------------------------------------------------
    def fit(self, data: Interactions) -> BlendRecommender:
        start = time.perf_counter()
        holdouts = holdout_windows(
            data,
            fraction=self.validation_fraction,
            max_users=self.max_validation_users,
            max_windows=self.validation_windows,
            seed=self.random_state,
        )
        self.validation_mode_ = holdouts[0].mode if holdouts else "time"
        self.ease_l2_ = self.ease_l2
        self.validation_users_ = sum(len(h.truth) for h in holdouts)
        self.weights_: dict[str, Weights] = {}
        self.rankers_: dict[str, Ranker | None] = {}
        self.ranker_report_: dict[str, dict[str, float]] = {}
        if holdouts:
            fitted: list[tuple[dict[str, Source], Holdout]] = []
            for holdout in holdouts:
                inner = self._make_sources()
                self._fit_sources(inner, holdout.train)
                if not fitted:  # EASE's regularisation is chosen on the first slice
                    self.ease_l2_ = cast(EASE, inner["ease"]).tune_l2(holdout.truth)
                fitted.append((inner, holdout))
            self.weights_.update(
                tune_weights(fitted, per_source=self.candidates_per_source, seed=self.random_state)
            )
            if self.use_ranker:
                for variant in VARIANTS:
                    self.rankers_[variant] = self._train_ranker(fitted, variant)
        for variant in VARIANTS:
            self.weights_.setdefault(
                variant,
                Weights(
                    {
                        n: (1.0 if n in ("rebuy", "item_knn", "popular") else 0.0)
                        for n in SOURCE_NAMES
                    },
                    exclude_seen=variant == "discovery",
                ),
            )
        self.sources_ = self._make_sources()
        self.fit_seconds_by_source_ = self._fit_sources(self.sources_, data)
        self.scales_ = source_scales(self.sources_, data, seed=self.random_state)
        self.seen_ = data.binary()
        self.stats_ = HistoryStats(data, self.trending_days)
        self.user_ids_ = data.user_ids
        self.item_ids_ = data.item_ids
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _dense(
        self, sources: dict[str, Source], users: np.ndarray, scales: dict[str, float] | None
    ) -> dict[str, np.ndarray]:
        return {
            n: _rescale(sources[n].score(users), scales[n] if scales else None)
            for n in SOURCE_NAMES
        }

    def _train_ranker(
        self, fitted: list[tuple[dict[str, Source], Holdout]], variant: str
    ) -> Ranker | None:
        """Train on the validation slices; keep it only if 2-fold cross-fitted NDCG@10 beats
        the tuned weighted blend on the same customers (small or odd data sets fall back to
        weights)."""
        discovery = variant == "discovery"
        truths: list[set[int]] = []
        cands, valids, feats, labels = [], [], [], []
        for inner, holdout in fitted:
            scales = source_scales(inner, holdout.train, seed=self.random_state)
            stats = HistoryStats(holdout.train, self.trending_days)
            seen_all = holdout.train.binary()
            users, window_truths = [], []
            for u, items in sorted(holdout.truth.items()):
                if discovery:
                    items = items - set(seen_all[u].indices.tolist())
                if items:
                    users.append(u)
                    window_truths.append(items)
            users_arr = np.asarray(users, dtype=np.int64)
            for b in _batches(len(users_arr), 500):
                c, v, f = candidate_features(
                    self._dense(inner, users_arr[b], scales),
                    users_arr[b],
                    stats,
                    per_source=self.candidates_per_source,
                    discovery=discovery,
                )
                cands.append(c)
                valids.append(v)
                feats.append(f)
                labels.append(
                    np.stack([np.isin(c[r], list(window_truths[j])) for r, j in enumerate(b)])
                )
            truths += window_truths
        if len(truths) < 20:
            return None
        users_arr = np.arange(len(truths))
        width = max(c.shape[1] for c in cands)

        def pad(a: np.ndarray, fill: float) -> np.ndarray:
            extra = [(0, 0), (0, width - a.shape[1])] + [(0, 0)] * (a.ndim - 2)
            return np.pad(a, extra, constant_values=fill)

        valid = np.vstack([pad(v, False) for v in valids])
        feat = np.vstack([pad(f, 0.0) for f in feats])
        label = np.vstack([pad(y, False) for y in labels]) & valid
        ideal = np.array([_DISCOUNTS[: min(len(t), 10)].sum() for t in truths])
        w = self.weights_[variant]
        wvec = np.array([w.by_source.get(n, 0.0) for n in SOURCE_NAMES], dtype=np.float32)

        def rows(sel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            v = valid[sel]
            return feat[sel][v], label[sel][v], v.sum(axis=1)

        def ndcg_of(scores: np.ndarray, sel: np.ndarray) -> float:
            sc = np.where(valid[sel], scores, -np.inf)
            if w.exclude_seen and not discovery:
                sc = np.where(feat[sel][..., -1] > 0, -np.inf, sc)
            idx, vals = top_k_rows(sc, 10)
            hits = np.take_along_axis(label[sel], idx, 1) & np.isfinite(vals)
            return float(np.mean(hits @ _DISCOUNTS[: idx.shape[1]] / ideal[sel]))

        rng = np.random.default_rng(self.random_state)
        fold: np.ndarray = rng.permutation(len(users_arr)) % 2
        ranker_cv, blend_cv = [], []
        for fold_id in (0, 1):
            tr, te = fold != fold_id, fold == fold_id
            x, y, g = rows(tr)
            if y.sum() == 0:
                return None
            model = Ranker(random_state=self.random_state, num_threads=self.num_threads).fit(
                x, y, g
            )
            pred = np.full(valid[te].shape, -np.inf)
            pred[valid[te]] = model.predict(feat[te][valid[te]])
            ranker_cv.append(ndcg_of(pred, te))
            blend_cv.append(ndcg_of(feat[te][..., : len(SOURCE_NAMES)] @ wvec, te))
        self.ranker_report_[variant] = {
            "ranker_cv_ndcg": float(np.mean(ranker_cv)),
            "blend_cv_ndcg": float(np.mean(blend_cv)),
        }
        if np.mean(ranker_cv) <= np.mean(blend_cv):
            return None
        x, y, g = rows(np.ones(len(users_arr), dtype=bool))
        return Ranker(random_state=self.random_state, num_threads=self.num_threads).fit(x, y, g)

    def _rank_batch(self, users: np.ndarray, variant: str, k: int) -> tuple[np.ndarray, ...]:
        ranker = self.rankers_[variant]
        assert ranker is not None
        discovery = variant == "discovery"
        dense = self._dense(self.sources_, users, getattr(self, "scales_", None))
        cand, valid, feat = candidate_features(
            dense, users, self.stats_, per_source=self.candidates_per_source, discovery=discovery
        )
        pred = np.full(cand.shape, -np.inf)
        pred[valid] = ranker.predict(feat[valid])
        if self.weights_[variant].exclude_seen and not discovery:
            pred[feat[..., -1] > 0] = -np.inf
        top, vals = top_k_rows(pred, k)
        items = np.take_along_axis(cand, top, 1)
        best = np.argmax(feat[..., : len(SOURCE_NAMES)], axis=-1)
        src = np.asarray(SOURCE_NAMES, dtype=object)[np.take_along_axis(best, top, 1)]
        return items, vals, src

    # -- predict ---------------------------------------------------------------------------
    def score(self, users: np.ndarray, variant: str = "default") -> tuple[np.ndarray, np.ndarray]:
        """Blended scores (n_users x n_items) and the index of the source that contributed
        most to each score (into ``SOURCE_NAMES``)."""
        w = self.weights_[variant]
        scales: dict[str, float] | None = getattr(self, "scales_", None)
        total = np.zeros((len(users), len(self.item_ids_)), dtype=np.float32)
        best = np.full(total.shape, SOURCE_NAMES.index("popular"), dtype=np.int8)
        best_val = np.zeros(total.shape, dtype=np.float32)
        for k, name in enumerate(SOURCE_NAMES):
            weight = w.by_source.get(name, 0.0)
            if weight <= 0:
                continue
            scale = scales[name] if scales else None
            part = weight * _rescale(self.sources_[name].score(users), scale)
            total += part
            better = part > best_val
            best[better] = k
            best_val[better] = part[better]
        if w.exclude_seen or variant == "discovery":
            seen = self.seen_[users].toarray() > 0
            total[seen] = -np.inf
        return total, best

    def recommend(
        self, users: np.ndarray, k: int, variant: str = "default", batch_size: int = 1000
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top-k item indices, scores and source names per user (rows best first)."""
        out_i, out_s, out_src = [], [], []
        for b in _batches(len(users), batch_size):
            if self.rankers_.get(variant) is not None:
                i, v, sname = self._rank_batch(users[b], variant, k)
                out_i.append(i)
                out_s.append(v)
                out_src.append(sname)
                continue
            total, best = self.score(users[b], variant)
            # Equal scores (mostly the zeros once a short list runs out) go to the more popular
            # item: the fallback the "popular" label of a zero score already claims, in an
            # order that does not depend on how numpy breaks ties.
            total += self._tie_break()
            idx, vals = top_k_rows(total, k)
            out_i.append(idx)
            out_s.append(vals)
            out_src.append(np.asarray(SOURCE_NAMES, dtype=object)[np.take_along_axis(best, idx, 1)])
        if not out_i:
            empty = np.zeros((0, k))
            return empty.astype(np.int64), empty, empty.astype(object)
        return np.vstack(out_i), np.vstack(out_s), np.vstack(out_src)

    def _tie_break(self) -> np.ndarray:
        pop = self.popularity_scores()
        return (TIE_BREAK * pop / max(float(pop.max()), 1e-12)).astype(np.float32)

    def popularity_scores(self) -> np.ndarray:
        """All-time plus trending popularity per item (each scaled to max 1)."""
        popular = cast(Popularity, self.sources_["popular"])
        trending = cast(Popularity, self.sources_["trending"])
        return popular.scores_ + trending.scores_

    def item_similarity(self) -> sparse.csr_matrix:
        """Item x item cosine neighbours (top ``knn_neighbors`` per row)."""
        return cast(ItemKNN, self.sources_["item_knn"]).similarity_

    def popular(self, k: int) -> np.ndarray:
        """Fallback list for customers without history: trending blended with popularity."""
        s = self.popularity_scores()
        return top_k_rows(s[None, :], k)[0][0]


# -- tuning ------------------------------------------------------------------------------
@dataclass
class _Candidates:
    scores: np.ndarray  # (n_sources, n_users, n_candidates), rescaled by source_scales
    valid: np.ndarray  # (n_users, n_candidates)
    seen: np.ndarray
    relevant: np.ndarray
    ideal: np.ndarray  # (n_users,)

    def __post_init__(self) -> None:
        n_sources = self.scores.shape[0]
        self.flat = np.ascontiguousarray(self.scores.transpose(1, 2, 0).reshape(-1, n_sources))
        self.mask = np.where(self.valid, 0.0, -np.inf).astype(np.float32)
        self.mask_seen = np.where(self.valid & ~self.seen, 0.0, -np.inf).astype(np.float32)


_DISCOUNTS = 1.0 / np.log2(np.arange(2, 12))


def _candidates(
    sources: dict[str, Source], holdout: Holdout, per_source: int, seed: int = 0
) -> dict[str, _Candidates | None]:
    """Candidates of every variant for the holdout's customers; each source scores a batch
    of customers once for both variants."""
    seen_all = holdout.train.binary()
    users = np.asarray(sorted(u for u, items in holdout.truth.items() if items), dtype=np.int64)
    names = list(SOURCE_NAMES)
    scales = source_scales(sources, holdout.train, seed=seed)
    chunks: dict[str, list[tuple[np.ndarray, ...]]] = {v: [] for v in VARIANTS}
    for b in _batches(len(users), 500):
        u = users[b]
        seen_b = seen_all[u].toarray() > 0
        dense_b = [_rescale(sources[n].score(u), scales[n]) for n in names]
        for variant in VARIANTS:
            rows, truths = [], []
            for r, uu in enumerate(u):
                items = holdout.truth[int(uu)]
                if variant == "discovery":
                    items = items - set(seen_all[uu].indices.tolist())
                if items:
                    rows.append(r)
                    truths.append(items)
            if not rows:
                continue
            keep = np.asarray(rows)
            whole = len(keep) == len(u)
            seen = seen_b if whole else seen_b[keep]
            dense = dense_b if whole else [d[keep] for d in dense_b]
            idx = []
            for d in dense:
                masked = np.where(seen, -1.0, d) if variant == "discovery" else d
                idx.append(top_k_rows(masked, per_source)[0])
            if variant == "default":
                idx.append(top_k_rows(np.where(seen, 1.0, 0.0), per_source)[0])
            cand = np.sort(np.hstack(idx), axis=1)
            dup = np.zeros(cand.shape, dtype=bool)
            dup[:, 1:] = cand[:, 1:] == cand[:, :-1]
            scores = np.stack([np.take_along_axis(d, cand, 1) for d in dense])
            rel = np.zeros(cand.shape, dtype=bool)
            for r, items in enumerate(truths):
                rel[r] = np.isin(cand[r], list(items))
            rel &= ~dup
            ideal = np.array([_DISCOUNTS[: min(len(t), 10)].sum() for t in truths])
            chunks[variant].append((scores, ~dup, np.take_along_axis(seen, cand, 1), rel, ideal))
    return {
        v: _Candidates(
            np.concatenate([c[0] for c in ch], axis=1),
            np.vstack([c[1] for c in ch]),
            np.vstack([c[2] for c in ch]),
            np.vstack([c[3] for c in ch]),
            np.concatenate([c[4] for c in ch]),
        )
        if ch
        else None
        for v, ch in chunks.items()
    }


def _concat(parts: list[_Candidates]) -> _Candidates:
    return _Candidates(
        np.concatenate([p.scores for p in parts], axis=1),
        np.vstack([p.valid for p in parts]),
        np.vstack([p.seen for p in parts]),
        np.vstack([p.relevant for p in parts]),
        np.concatenate([p.ideal for p in parts]),
    )


def _ndcg(c: _Candidates, w: np.ndarray, exclude_seen: bool) -> float:
    # (users*candidates, sources) @ weights is one BLAS call; masks are added as -inf
    total = (c.flat @ w.astype(np.float32)).reshape(c.valid.shape)
    total += c.mask_seen if exclude_seen else c.mask
    idx, vals = top_k_rows(total, 10)
    hits = np.take_along_axis(c.relevant, idx, 1) & np.isfinite(vals)
    return float(np.mean(hits @ _DISCOUNTS[: idx.shape[1]] / c.ideal))


def coordinate_ascent(
    objective: Callable[[np.ndarray], float],
    start: np.ndarray,
    grid: tuple[float, ...],
    passes: int = 2,
) -> tuple[np.ndarray, float]:
    """Greedy per-coordinate grid search; ties keep the earlier (smaller) value."""
    w = start.copy()
    best = objective(w)
    for _ in range(passes):
        improved = False
        for j in range(len(w)):
            for v in grid:
                if v == w[j]:
                    continue
                trial = w.copy()
                trial[j] = v
                if not trial.any():
                    continue
                val = objective(trial)
                if val > best + 1e-9:
                    best, w, improved = val, trial, True
        if not improved:
            break
    return w, best


def tune_weights(
    fitted: list[tuple[dict[str, Source], Holdout]], *, per_source: int = 100, seed: int = 0
) -> dict[str, Weights]:
    """Blend weights maximising NDCG@10 for each variant over every validation slice's
    customers (each slice scored by the sources fitted on its own training part)."""
    parts = [_candidates(s, h, per_source, seed) for s, h in fitted]
    return {v: _tune_variant([p[v] for p in parts], v) for v in VARIANTS}


def _tune_variant(parts: list[_Candidates | None], variant: str) -> Weights:
    kept = [p for p in parts if p is not None]
    c = _concat(kept) if kept else None
    names = list(SOURCE_NAMES)
    if c is None:
        return Weights({n: 1.0 if n == "popular" else 0.0 for n in names}, variant == "discovery")
    start = np.array([1.0 if n in ("rebuy", "item_knn", "popular") else 0.0 for n in names])
    options = [True] if variant == "discovery" else [False, True]
    results = []
    for excl in options:
        w, val = coordinate_ascent(partial(_ndcg, c, exclude_seen=excl), start, GRID)
        results.append((val, not excl, w, excl))
    val, _, w, excl = max(results, key=lambda r: (r[0], r[1]))
    return Weights(dict(zip(names, map(float, w), strict=True)), excl, val)
