import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from mlops.metrics.fraud import average_precision, card_precision_at_k_per_day, roc_auc


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=50))
def test_ap_and_auc_agree_with_scikit_learn_including_ties(pairs):
    y = np.array([p[0] for p in pairs], dtype=float)
    s = np.array([p[1] for p in pairs], dtype=float)
    if 0 < y.sum() < len(y):
        assert np.isclose(average_precision(y, s), average_precision_score(y, s))
        assert np.isclose(roc_auc(y, s), roc_auc_score(y, s))


def test_card_precision_counts_each_card_once_per_day():
    day = [0, 0, 0, 0, 1, 1]
    card = [1, 1, 2, 3, 1, 2]
    y = [1, 1, 0, 0, 0, 1]
    score = [0.9, 0.8, 0.7, 0.1, 0.9, 0.2]
    # day 0: top-2 cards are 1 (fraud) and 2 -> 1/2; day 1: cards 1 and 2 -> 1/2
    assert card_precision_at_k_per_day(day, card, y, score, k=2) == 0.5
    # k larger than the number of cards still divides by k
    assert card_precision_at_k_per_day(day, card, y, score, k=4) == 0.25
