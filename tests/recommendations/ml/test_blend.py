import numpy as np
import pandas as pd
import pytest

from mlops.metrics.ranking import ndcg_at_k
from recommendations.ml.blend import BlendRecommender
from recommendations.ml.data import encode
from recommendations.ml.evaluate import recommend_frame
from recommendations.ml.model import StoreRecommender


def _split(log: pd.DataFrame, days: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    cut = log.timestamp.max() - pd.Timedelta(days=days)
    return log[log.timestamp <= cut], log[log.timestamp > cut]


def test_blend_beats_popularity_on_repeat_purchases(repeat_log: pd.DataFrame) -> None:
    train, test = _split(repeat_log)
    users = sorted(set(test.user_id))
    truth = test.groupby("user_id").item_id.agg(set).to_dict()
    scores = {}
    for method in ("blend", "popularity"):
        recs, _ = recommend_frame(train, users, k=5, method=method)
        lists = recs.groupby("user_id").item_id.agg(list).to_dict()
        scores[method] = ndcg_at_k(lists, truth, 5)
    assert scores["blend"] > scores["popularity"] + 0.2


def test_discovery_never_recommends_what_the_user_bought(repeat_log: pd.DataFrame) -> None:
    users = sorted(repeat_log.user_id.unique())[:10]
    recs, _ = recommend_frame(repeat_log, users, k=5, exclude_purchased=True)
    bought = repeat_log.groupby("user_id").item_id.agg(set).to_dict()
    assert len(recs) == 5 * len(users)
    assert not any(row.item_id in bought[row.user_id] for row in recs.itertuples())


def test_every_user_gets_k_rows_and_cold_users_get_popular(repeat_log: pd.DataFrame) -> None:
    recs, _ = recommend_frame(repeat_log, ["u1", "stranger"], k=4, method="blend")
    assert recs.groupby("user_id").size().to_dict() == {"u1": 4, "stranger": 4}
    assert set(recs[recs.user_id == "stranger"].source) == {"popular"}
    assert list(recs[recs.user_id == "u1"]["rank"]) == [1, 2, 3, 4]


def test_same_inputs_same_outputs(repeat_log: pd.DataFrame) -> None:
    a, _ = recommend_frame(repeat_log, ["u1", "u2"], k=5, seed=0)
    b, _ = recommend_frame(repeat_log, ["u1", "u2"], k=5, seed=0)
    pd.testing.assert_frame_equal(a, b)


def test_basket_data_learns_not_to_repeat_the_basket(basket_log: pd.DataFrame) -> None:
    model = BlendRecommender(use_ranker=False).fit(encode(basket_log))
    assert model.validation_mode_ == "basket"
    assert model.weights_["default"].exclude_seen


def test_every_item_says_which_source_produced_it(repeat_log: pd.DataFrame) -> None:
    data = encode(repeat_log)
    model = BlendRecommender().fit(data)
    _, _, src = model.recommend(np.arange(3), 5)
    assert src.shape == (3, 5)
    assert set(src.ravel()) <= set(model.weights_["default"].by_source)


def test_store_recommender_answers_new_products_from_content(repeat_log: pd.DataFrame) -> None:
    items = pd.DataFrame(
        {
            "item_id": [f"i{n}" for n in range(30)] + ["new"],
            "name": [f"group{n // 10} thing" for n in range(30)] + ["group2 thing"],
            "category": [f"cat{n // 10}" for n in range(30)] + ["cat2"],
        }
    )
    model = StoreRecommender().fit(repeat_log, items)
    similar = model.similar("new", 3)
    assert similar and all(s[2] == "content" for s in similar)
    assert all(int(str(s[0])[1:]) // 10 == 2 for s in similar)
    # sold products get neighbours bought by the same customers
    assert model.similar("i0", 3)[0][2] == "item_knn"
    session = model.session(["i0", "i1"], 3)
    assert session and not {"i0", "i1"} & {s[0] for s in session}
    assert model.popular(3)


def test_source_scales_keep_weak_evidence_weak() -> None:
    """Each source is divided by one constant (mean of the customers' top scores), not by
    each customer's own maximum: a customer with weak evidence stays weak."""
    from recommendations.ml.blend import SOURCE_NAMES, _rescale, source_scales
    from recommendations.ml.sources import ItemKNN, Popularity

    # a and b share x/y a lot; c bought x once next to z, so c's neighbour evidence is weak
    rows = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("c", "x"), ("d", "z"), ("c", "z")]
    df = pd.DataFrame(
        [(u, i, pd.Timestamp("2024-01-01"), 1.0) for u, i in rows],
        columns=["user_id", "item_id", "timestamp", "quantity"],
    )
    data = encode(df)
    knn = ItemKNN(n_neighbors=5, shrink=0.0).fit(data)
    sources = {"item_knn": knn, "popular": Popularity().fit(data)}
    scales = source_scales(sources, data)  # type: ignore[arg-type]
    assert set(scales) == set(SOURCE_NAMES)
    raw = knn.score(np.arange(data.n_users))
    top = raw.max(axis=1)
    assert scales["item_knn"] == pytest.approx(top[top > 0].mean())
    assert scales["popular"] == pytest.approx(1.0)  # the same top score for everyone
    assert scales["als"] == 1.0  # a source that is not there
    scaled = _rescale(raw, scales["item_knn"])
    np.testing.assert_allclose(scaled, raw / top[top > 0].mean(), rtol=1e-6)
    # the per-row fallback (artifacts saved before scales existed) stretches every row to 1
    assert np.allclose(_rescale(raw, None).max(axis=1), 1.0)
    assert scaled.max(axis=1).min() < 1.0


def test_blend_without_scales_falls_back_to_per_customer_rescaling(
    repeat_log: pd.DataFrame,
) -> None:
    model = BlendRecommender().fit(encode(repeat_log))
    a = model.recommend(np.arange(3), 5)[0]
    del model.scales_  # an artifact pickled before source_scales existed
    b = model.recommend(np.arange(3), 5)[0]
    assert a.shape == b.shape == (3, 5)


def test_a_list_that_runs_out_of_evidence_is_filled_with_popular_items(
    repeat_log: pd.DataFrame,
) -> None:
    from recommendations.ml.blend import Weights

    model = BlendRecommender().fit(encode(repeat_log))
    # only re-buys count: a customer's list runs out after their own few items
    model.weights_["default"] = Weights(by_source={"rebuy": 1.0}, exclude_seen=False)
    user = np.arange(1)
    own = int((model.score(user, "default")[0] > 0).sum())
    idx, _, src = model.recommend(user, own + 3)
    pop = model.popularity_scores()
    rest = [i for i in np.argsort(-pop, kind="stable") if i not in set(idx[0][:own])][:3]
    assert list(idx[0][own:]) == rest
    assert set(src[0][own:]) == {"popular"}


def test_similar_keeps_to_the_products_shelf_before_best_sellers_of_other_shelves() -> None:
    # Everyone buys the two best sellers (a diary, dog treats) with whatever else they buy:
    # on co-purchase alone they were the "similar items" of bird seed. Alternatives come from
    # bird seed's own category first, then its department, then the rest.
    rows = []
    day = pd.Timestamp("2026-11-01", tz="UTC")
    for user in range(40):
        mine = ["seed_a", "seed_b"] if user % 2 else ["feeder", "seed_c"]
        for n, item in enumerate([*mine, "diary", "treats"]):
            rows.append((f"u{user}", item, day + pd.Timedelta(days=user % 20, hours=n), 1))
    purchases = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "quantity"])
    shelves = {
        "seed_a": (1, 10),
        "seed_b": (1, 10),
        "seed_c": (1, 10),
        "feeder": (1, 11),  # garden department, another category
        "diary": (2, 20),
        "treats": (3, 30),
    }
    items = pd.DataFrame(
        {
            "item_id": list(shelves),
            "name": ["bird seed", "wild bird seed", "seed mix", "bird feeder", "diary", "treats"],
            "shelf": list(shelves.values()),
        }
    )
    model = StoreRecommender().fit(purchases, items)
    similar = [s[0] for s in model.similar("seed_a", 5)]
    assert similar[:2] == ["seed_b", "seed_c"] or similar[:2] == ["seed_c", "seed_b"]
    assert similar[2] == "feeder"
    assert set(similar[3:]) == {"diary", "treats"}
    # without shelves (a catalogue with no categories) the order is text plus co-purchase
    plain = StoreRecommender().fit(purchases, items.drop(columns="shelf"))
    assert len(plain.similar("seed_a", 5)) == 5
