"""Three-way ticket sentiment: calm questions are neutral, upset customers negative, thanks
positive; the confidence an opinion needs is chosen on held-back data."""

from __future__ import annotations

import numpy as np
import pytest

from support.ml.sentiment import (
    ThreeWaySentiment,
    choose_min_confidence,
    sentiment_cues,
    sentiment_reason,
)
from support.ml.text_model import sentiment_classifier
from support.ml.triage import SupportTriager, priority_for
from support.seed_data import sentiment_examples

# none of these is a training template
CALM = [
    "can I still add a second mug to my order",
    "Do you ship to Austria?",
    "Hi, could you send me the invoice for my last order? Thanks!",
    "I would like to return the blue mug",
    "good morning, is the lamp available in green?",
    "what time does your warehouse dispatch parcels",
]
ANGRY = [
    "this is the third time you've sent me a broken mug, I'm furious",
    "I want a refund now, this is unacceptable",
    "Nobody has replied in two weeks, I am really disappointed and fed up",
]
THANKS = "thank you so much, the mug is lovely and it arrived so fast"


@pytest.fixture(scope="module")
def model() -> ThreeWaySentiment:
    rows = sentiment_examples()
    return ThreeWaySentiment().fit([t for t, _ in rows], [s for _, s in rows])


@pytest.mark.parametrize("text", CALM)
def test_calm_questions_are_neutral_not_negative(model: ThreeWaySentiment, text: str) -> None:
    call = model.decide([text])[0]
    assert call.label == "neutral"
    assert call.reason == "plain_request" and call.cues == ()


@pytest.mark.parametrize("text", ANGRY)
def test_an_upset_customer_is_negative(model: ThreeWaySentiment, text: str) -> None:
    call = model.decide([text])[0]
    assert call.label == "negative" and call.reason == "model"
    assert call.confidence >= 0.5  # enough to raise the priority


def test_a_thank_you_is_positive(model: ThreeWaySentiment) -> None:
    assert model.predict([THANKS])[0] == "positive"


def test_thanks_and_please_in_a_question_are_manners_not_opinion() -> None:
    assert sentiment_cues("how do I reset my password? thank you!") == ()
    assert sentiment_cues("please, can you cancel order 123") == ()
    assert sentiment_cues("thank you, the problem is solved") == ("thank you",)
    assert "third time" in sentiment_cues("where is my parcel? this is the third time I ask")


def test_the_needed_confidence_is_chosen_on_validation_data() -> None:
    classes = ["negative", "neutral", "positive"]
    # validation: unsure "negative" calls (0.4-0.5) were really neutral, sure ones negative
    proba = np.array(
        [[c, 1 - c - 0.05, 0.05] for c in (0.40, 0.45, 0.48, 0.50, 0.80, 0.85, 0.90, 0.95)]
        + [[0.1, 0.8, 0.1]] * 4
    )
    truth = ["neutral"] * 4 + ["negative"] * 4 + ["neutral"] * 4
    chosen = choose_min_confidence(truth, classes, proba, [False] * 12)
    assert 0.5 < chosen <= 0.8
    # a classifier whose every opinion was right is not overruled
    truth_right = ["negative"] * 8 + ["neutral"] * 4
    assert choose_min_confidence(truth_right, classes, proba, [False] * 12) == 0.0


def test_an_unsure_opinion_is_neutral_and_says_so(model: ThreeWaySentiment) -> None:
    unsure = ThreeWaySentiment.from_fitted(model.model_, min_confidence=0.99)
    text = ANGRY[1]
    sure = model.decide([text])[0]
    assert sure.label == "negative" and sure.confidence < 0.99
    call = unsure.decide([text])[0]
    assert call.label == "neutral" and call.reason == "low_confidence"
    assert call.confidence == pytest.approx(1 - sure.confidence)
    why = sentiment_reason(
        text=text, label=call.label, confidence=call.confidence, min_confidence=0.99
    )
    assert "'unacceptable'" in why and "below the 99% it needs" in why


def test_without_a_neutral_class_the_classifier_label_stands() -> None:
    rows = [(t, s) for t, s in sentiment_examples() if s != "neutral"]
    two_way = ThreeWaySentiment().fit([t for t, _ in rows], [s for _, s in rows])
    assert set(two_way.predict(CALM + ANGRY)) <= {"negative", "positive"}


def test_calm_questions_are_not_bumped_and_angry_urgent_ones_escalate(seed_triager) -> None:  # type: ignore[no-untyped-def]
    for text in CALM:
        t = seed_triager.triage(text)
        assert (t.sentiment, t.priority, t.escalate) == ("neutral", "low", False), text
    angry = seed_triager.triage("URGENT!! third time you sent a broken mug, I'm furious")
    assert angry.sentiment == "negative" and angry.escalate and angry.priority == "urgent"
    # the same rule as before for a sure negative, so ordering by priority is unchanged
    assert priority_for(urgency=0.0, sentiment="negative", sentiment_confidence=0.9)[0] == "normal"


def test_a_model_trained_before_three_way_sentiment_still_loads(seed_triager) -> None:  # type: ignore[no-untyped-def]
    import copy

    old = copy.copy(seed_triager)
    rows = sentiment_examples()
    old.sentiment_model_ = sentiment_classifier().fit([t for t, _ in rows], [s for _, s in rows])
    assert isinstance(old, SupportTriager) and old.sentiment_min_confidence == 0.0
    assert old.triage(CALM[0]).sentiment == "neutral"
    assert old.triage(ANGRY[0]).sentiment == "negative"
