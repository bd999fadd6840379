import pytest

from support.ml.triage import SupportTriager
from support.seed_data import intent_examples, sentiment_examples


@pytest.fixture(scope="session")
def seed_triager() -> SupportTriager:
    intents = intent_examples()
    sentiments = sentiment_examples()
    return SupportTriager().fit(
        [t for t, _ in intents],
        [i for _, i in intents],
        [t for t, _ in sentiments],
        [s for _, s in sentiments],
    )


@pytest.fixture
def active_triager(db, seed_triager):  # type: ignore[no-untyped-def]
    import copy

    from tests.support.factories import model_activate

    triager = copy.deepcopy(seed_triager)  # tests may lower thresholds on their own copy
    model_activate(triager)
    return triager
