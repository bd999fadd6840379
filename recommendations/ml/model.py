"""The artifact the store trains and serves: every candidate source behind one object.

``StoreRecommender.fit(purchases, items, now=...)`` takes plain frames (customer ids,
product ids, times, quantities; product text and categories) and answers, with ids in and
``(item_id, score, source)`` tuples out:

- ``for_user``: the blended "for you" list (precomputed in batch),
- ``similar``: item neighbours, content (TF-IDF) neighbours for items nobody bought yet,
- ``bought_together``: basket co-occurrence ranked by shrunk lift,
- ``session``: online list from the last items a shopper viewed or added,
- ``popular``: trending blended with all-time popularity (the cold-start answer).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .blend import BlendRecommender
from .data import Interactions, encode
from .sources import BoughtTogether, ContentSimilarity, top_k_rows

Scored = tuple[object, float, str]


@dataclass(frozen=True)
class TrainSummary:
    users: int
    items: int
    events: int
    seconds: float


def _text(row: pd.Series) -> str:
    attrs = row.get("attributes")
    attr_text = " ".join(f"{k} {v}" for k, v in attrs.items()) if isinstance(attrs, dict) else ""
    parts = [row.get("name"), row.get("description"), row.get("category"), attr_text]
    return " ".join(str(p) for p in parts if isinstance(p, str) and p)


class StoreRecommender:
    """All recommendation sources fitted on one purchase log (see module docstring)."""

    def __init__(
        self,
        similar_neighbors: int = 30,
        together_min_support: int = 2,
        blend_params: dict[str, object] | None = None,
        random_state: int = 0,
        num_threads: int = 2,
    ) -> None:
        self.similar_neighbors = similar_neighbors
        self.together_min_support = together_min_support
        self.blend_params = blend_params
        self.random_state = random_state
        self.num_threads = num_threads

    def fit(
        self,
        purchases: pd.DataFrame,
        items: pd.DataFrame | None = None,
        *,
        now: pd.Timestamp | None = None,
    ) -> StoreRecommender:
        """``purchases``: user_id, item_id, timestamp[, quantity]; ``items``: item_id and any of
        name, description, category, attributes (dict). Items only in ``items`` (never sold)
        are still known to the content source."""
        start = time.perf_counter()
        data: Interactions = encode(purchases, now=now)
        params = dict(self.blend_params or {})
        params.setdefault("random_state", self.random_state)
        params.setdefault("num_threads", self.num_threads)
        self.blend_ = BlendRecommender(**params).fit(data) if data.n_users else None  # type: ignore[arg-type]
        self.together_ = BoughtTogether(min_support=self.together_min_support).fit(data)
        self.item_ids_ = data.item_ids
        self.item_index_ = data.item_index()
        self.user_index_ = data.user_index()
        # content similarity covers sold and unsold products in one id space
        if items is not None and len(items):
            catalogue = items.drop_duplicates("item_id").reset_index(drop=True)
            self.content_ids_ = catalogue.item_id.to_numpy(dtype=object)
            self.content_ = ContentSimilarity(n_neighbors=self.similar_neighbors).fit(
                [_text(r) for _, r in catalogue.iterrows()]
            )
        else:
            self.content_ids_ = np.array([], dtype=object)
            self.content_ = ContentSimilarity().fit([])
        self.content_index_ = {v: k for k, v in enumerate(self.content_ids_.tolist())}
        # optional (department, category) per item: the shelf "similar" prefers
        self.shelf_: dict[object, tuple[object, object]] = (
            dict(zip(items.item_id, items.shelf, strict=True))
            if items is not None and "shelf" in items
            else {}
        )
        self.summary_ = TrainSummary(
            data.n_users, data.n_items, len(data.events), time.perf_counter() - start
        )
        return self

    # -- answers ---------------------------------------------------------------------------
    def popular(self, k: int, exclude: set[object] | None = None) -> list[Scored]:
        if self.blend_ is None or len(self.item_ids_) == 0:
            return []
        s = self.blend_.popularity_scores().astype(float)
        for item in exclude or ():
            if item in self.item_index_:
                s[self.item_index_[item]] = -np.inf
        idx, vals = top_k_rows(s[None, :], k)
        return [
            (self.item_ids_[i], float(v), "popular")
            for i, v in zip(idx[0], vals[0], strict=True)
            if np.isfinite(v)
        ]

    def for_users(
        self, users: list[object], k: int, *, discovery: bool = False
    ) -> dict[object, list[Scored]]:
        """Blended lists for known users (unknown users are left out: serve ``popular``)."""
        known = [u for u in users if u in self.user_index_]
        if not known or self.blend_ is None:
            return {}
        idx, vals, src = self.blend_.recommend(
            np.asarray([self.user_index_[u] for u in known]),
            k,
            "discovery" if discovery else "default",
        )
        out: dict[object, list[Scored]] = {}
        for r, u in enumerate(known):
            out[u] = [
                (self.item_ids_[i], float(v), str(s))
                for i, v, s in zip(idx[r], vals[r], src[r], strict=True)
                if np.isfinite(v)
            ]
        return out

    def for_user(self, user: object, k: int) -> list[Scored]:
        return self.for_users([user], k).get(user) or self.popular(k)

    def similar(self, item: object, k: int) -> list[Scored]:
        """Alternatives to ``item``: its own category's products first, then its department's,
        then others (when the catalogue gives each item a ``shelf``), each tier ranked by
        text likeness (name, category, attributes) plus co-purchase. Ranked on co-purchase
        alone, "similar" was led by the store's best sellers whatever the product (a pocket
        diary and dog treats next to bird seed), which is the bought-together slot's job.
        An item bought by the same customers is labelled "item_knn", one found by its text
        alone "content"."""
        knn: dict[object, float] = {}
        if self.blend_ is not None and item in self.item_index_:
            row = self.blend_.item_similarity()[self.item_index_[item]]
            for j in np.argsort(-row.data, kind="stable")[: k * 3]:
                knn[self.item_ids_[row.indices[j]]] = float(row.data[j])
        alike: dict[object, float] = {}
        if item in self.content_index_:
            anchor = self.content_index_[item]
            for j, score in self.content_.neighbours(anchor, k * 3):
                alike[self.content_ids_[j]] = score
            row = self.content_.similarity_[anchor]
            text = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
            for cand in knn.keys() - alike.keys():  # co-bought but not among the nearest texts
                if cand in self.content_index_:
                    alike[cand] = text.get(self.content_index_[cand], 0.0)
        shelves = getattr(self, "shelf_", {})  # absent from artifacts trained before shelves
        home = shelves.get(item)

        def tier(cand: object) -> int:
            shelf = shelves.get(cand)
            if home is None or shelf is None:
                return 0
            return 0 if shelf[1] == home[1] else 1 if shelf[0] == home[0] else 2

        top = max(knn.values(), default=0.0)
        ranked: list[tuple[int, float, object, str]] = []
        for cand in {**knn, **alike}:
            if cand == item:
                continue
            together = knn.get(cand, 0.0) / top if top > 0 else 0.0
            score = alike.get(cand, 0.0) + 0.5 * together
            ranked.append((tier(cand), -score, cand, "item_knn" if cand in knn else "content"))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [(cand, -neg, source) for _, neg, cand, source in ranked[:k]]

    def bought_together(self, items: list[object], k: int) -> list[Scored]:
        idx = np.asarray([self.item_index_[i] for i in items if i in self.item_index_], dtype=int)
        return [
            (self.item_ids_[j], s, "bought_together") for j, s in self.together_.neighbours(idx, k)
        ]

    def session(self, recent_items: list[object], k: int) -> list[Scored]:
        """Online list from a session's recent items (most recent first): item neighbours
        weighted by recency plus bought-together, content for unsold items."""
        known = [i for i in recent_items if i in self.item_index_]
        if self.blend_ is None or not known:
            out: list[Scored] = []
            for item in recent_items[:3]:
                out += [s for s in self.similar(item, k) if s[0] not in recent_items]
            return sorted(out, key=lambda s: -s[1])[:k]
        sim = self.blend_.item_similarity()
        weights = 0.7 ** np.arange(len(known))
        rows = np.asarray([self.item_index_[i] for i in known])
        scores = np.asarray(sim[rows].T @ weights).ravel()
        mx = scores.max()
        if mx > 0:
            scores = scores / mx
        together = np.asarray(self.together_.lift_[rows].T @ weights).ravel()
        if together.max() > 0:
            scores = scores + 0.5 * together / together.max()
        scores[rows] = -np.inf
        idx, vals = top_k_rows(scores[None, :], k)
        return [
            (self.item_ids_[i], float(v), "session")
            for i, v in zip(idx[0], vals[0], strict=True)
            if np.isfinite(v) and v > 0
        ]
