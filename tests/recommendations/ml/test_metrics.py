import pytest

from mlops.metrics.ranking import (
    average_precision_at_k,
    catalog_coverage,
    map_at_k,
    ndcg_at_k,
    ranking_report,
    recall_at_k,
)


def test_perfect_list_scores_one_and_miss_scores_zero() -> None:
    truth = {"u": {"a", "b"}}
    assert ndcg_at_k({"u": ["a", "b", "c"]}, truth, 3) == pytest.approx(1.0)
    assert map_at_k({"u": ["a", "b", "c"]}, truth, 3) == pytest.approx(1.0)
    assert ndcg_at_k({"u": ["x", "y", "z"]}, truth, 3) == 0.0
    assert recall_at_k({"u": ["x", "y", "z"]}, truth, 3) == 0.0


def test_later_hits_score_less() -> None:
    truth = {"u": {"a"}}
    early = ndcg_at_k({"u": ["a", "x", "y"]}, truth, 3)
    late = ndcg_at_k({"u": ["x", "y", "a"]}, truth, 3)
    assert early > late > 0
    assert average_precision_at_k(["x", "a"], {"a"}, 2) == pytest.approx(0.5)


def test_users_without_relevant_items_are_skipped_and_missing_lists_count_zero() -> None:
    truth = {"u": {"a"}, "v": set(), "w": {"b"}}
    recs = {"u": ["a"], "v": ["a"]}  # w has no list
    assert ndcg_at_k(recs, truth, 10) == pytest.approx(0.5)
    assert recall_at_k(recs, truth, 10) == pytest.approx(0.5)


def test_duplicated_item_is_not_counted_twice() -> None:
    assert recall_at_k({"u": ["a", "a"]}, {"u": {"a", "b"}}, 2) == pytest.approx(0.5)


def test_coverage_and_report() -> None:
    recs = {"u": ["a", "b"], "v": ["a", "c"]}
    assert catalog_coverage(recs, ["a", "b", "c", "d"], 2) == pytest.approx(0.75)
    rep = ranking_report(recs, {"u": {"b"}, "v": {"c"}}, ["a", "b", "c", "d"], 2)
    assert set(rep) == {"ndcg@2", "recall@2", "map@2", "coverage@2", "users"}
    assert rep["recall@2"] == pytest.approx(1.0)
