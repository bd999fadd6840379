import numpy as np
import pandas as pd
from scipy import sparse

from recommendations.ml.data import encode
from recommendations.ml.sources import (
    EASE,
    BoughtTogether,
    ContentSimilarity,
    ItemKNN,
    PersonalHistory,
    Popularity,
    cosine_top_k,
)
from recommendations.ml.validation import holdout_split, holdout_windows


def _log(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(u, i, pd.Timestamp(t), 1.0) for u, i, t in rows],
        columns=["user_id", "item_id", "timestamp", "quantity"],
    )


def test_encode_drops_returns_and_counts_baskets() -> None:
    df = _log([("a", "x", "2024-01-01"), ("a", "x", "2024-01-02"), ("b", "y", "2024-01-02")])
    df.loc[len(df)] = ("b", "z", pd.Timestamp("2024-01-02"), -1.0)  # a return
    data = encode(df)
    assert list(data.item_ids) == ["x", "y"]
    assert data.basket_counts()[0, 0] == 2
    assert data.now == 1.0


def test_cosine_top_k_finds_planted_pair_and_zero_diagonal() -> None:
    # columns 0 and 1 are bought by the same users; 2 by others
    x = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]], dtype=np.float32))
    sim = cosine_top_k(x, n_neighbors=1).toarray()
    assert sim[0].argmax() == 1
    assert np.all(np.diag(sim) == 0)


def test_item_knn_scores_the_neighbours_of_my_items(repeat_log: pd.DataFrame) -> None:
    data = encode(repeat_log)
    model = ItemKNN(n_neighbors=10).fit(data)
    scores = model.score(np.array([0]))[0]
    group = 0  # u0 is in group 0: items i0..i9
    top = {data.item_ids[i] for i in np.argsort(-scores)[:5]}
    assert all(int(t[1:]) // 10 == group for t in top)


def test_personal_history_prefers_recent_and_damps_never_rebought_items() -> None:
    df = _log(
        [
            ("a", "milk", "2024-01-01"),
            ("a", "milk", "2024-01-08"),
            ("b", "milk", "2024-01-02"),
            ("b", "milk", "2024-01-09"),
            ("a", "sofa", "2024-01-20"),
            ("c", "sofa", "2024-01-03"),
            ("a", "old", "2023-06-01"),
        ]
    )
    data = encode(df)
    idx = data.item_index()
    recent = PersonalHistory(half_life_days=7.0, repeat_power=0.0).fit(data).score(np.array([0]))[0]
    assert recent[idx["sofa"]] > recent[idx["old"]]
    cycle = PersonalHistory(half_life_days=None, repeat_power=1.0).fit(data)
    assert cycle.repeat_rate_[idx["milk"]] > cycle.repeat_rate_[idx["sofa"]]


def test_popularity_window_follows_the_trend() -> None:
    df = _log(
        [("a", "old", "2024-01-01"), ("b", "old", "2024-01-01"), ("c", "old", "2024-01-02")]
        + [("d", "new", "2024-01-30"), ("e", "new", "2024-01-31")]
    )
    data = encode(df)
    idx = data.item_index()
    assert Popularity().fit(data).scores_.argmax() == idx["old"]
    assert Popularity(window_days=7).fit(data).scores_.argmax() == idx["new"]


def test_bought_together_finds_the_planted_basket_pair(basket_log: pd.DataFrame) -> None:
    data = encode(basket_log)
    idx = data.item_index()
    model = BoughtTogether(min_support=2).fit(data)
    found = [data.item_ids[j] for j, _ in model.neighbours(np.array([idx["i0"]]), 4)]
    assert set(found) <= {"i1", "i2", "i3", "i4"}
    assert "i0" not in found


def test_ease_completes_baskets(basket_log: pd.DataFrame) -> None:
    data = encode(basket_log)
    scores = EASE(l2=10.0).fit(data).score(np.array([0]))[0]  # b0 holds items of block 0
    top = {data.item_ids[i] for i in np.argsort(-scores)[:2]}
    assert all(int(t[1:]) < 5 for t in top)


def test_content_similarity_links_products_sharing_words() -> None:
    texts = [
        "red wool scarf winter",
        "blue wool scarf winter",
        "garden hose green",
        "hose reel garden",
    ]
    model = ContentSimilarity(n_neighbors=2).fit(texts)
    assert model.neighbours(0, 1)[0][0] == 1
    assert model.neighbours(2, 1)[0][0] == 3


def test_holdout_uses_time_for_returning_customers_and_baskets_otherwise(
    repeat_log: pd.DataFrame, basket_log: pd.DataFrame
) -> None:
    h = holdout_split(encode(repeat_log), min_users=5)
    assert h.mode == "time" and len(h.truth) >= 5
    assert h.train.events.t.max() < h.train.now + 1e-9
    b = holdout_split(encode(basket_log), min_users=5)
    assert b.mode == "basket" and b.truth
    # a hidden item is no longer in that customer's training events
    u, items = next(iter(b.truth.items()))
    ev = b.train.events
    assert not set(ev[ev.u == u].i) & items


def test_ease_regularisation_is_chosen_on_held_back_basket_items(basket_log: pd.DataFrame) -> None:
    h = holdout_split(encode(basket_log), min_users=5)
    model = EASE(l2=5.0).fit(h.train)
    chosen = model.tune_l2(h.truth, grid=(1.0, 50.0, 5000.0))
    assert chosen in (1.0, 50.0, 5000.0) and model.l2 == chosen
    # the kept solution is the one a fresh fit with that regularisation gives
    fresh = EASE(l2=chosen).fit(h.train)
    users = np.array(sorted(h.truth))
    np.testing.assert_allclose(model.score(users), fresh.score(users), rtol=1e-4, atol=1e-6)
    # and it completes the held-back baskets: the 3 best unseen items are the rest of the
    # basket's block, so the hidden item is among them (10 items, 5 per block)
    seen = h.train.binary()[users].toarray() > 0
    scores = np.where(seen, -np.inf, model.score(users))
    top3 = np.argsort(-scores, axis=1)[:, :3]
    hit = [bool(set(top3[r]) & h.truth[int(u)]) for r, u in enumerate(users)]
    assert np.mean(hit) > 0.95


def test_rolling_validation_windows_add_customers_without_looking_ahead(
    repeat_log: pd.DataFrame,
) -> None:
    data = encode(repeat_log)
    windows = holdout_windows(data, fraction=0.2, min_users=5, max_users=1000, max_windows=3)
    assert len(windows) >= 2 and all(w.mode == "time" for w in windows)
    cuts = [w.train.now for w in windows]
    assert cuts == sorted(cuts, reverse=True)  # each window lies before the previous one
    ev = data.events
    for w in windows:
        assert w.train.events.t.max() < w.train.now  # the models see only the past
        for u, items in w.truth.items():
            bought_after = set(ev[(ev.u == u) & (ev.t >= w.train.now)].i)
            assert items <= bought_after
    # enough customers in the first window: no older windows are added
    assert len(holdout_windows(data, fraction=0.2, min_users=5, max_users=10)) == 1
