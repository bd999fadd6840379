import numpy as np
import pytest

from mlops.metrics.text import accuracy, macro_f1, selective_precision_coverage
from support.ml.retrieval import AnswerRetriever
from support.ml.text_model import TextClassifier, tfidf_svm_baseline
from support.ml.thresholds import NEVER, accept, choose_thresholds
from support.ml.triage import INTENTS, SupportTriager, priority_for
from support.ml.urgency import urgency_score
from support.seed_data import intent_examples, sentiment_examples


@pytest.fixture(scope="module")
def triager() -> SupportTriager:
    intents = intent_examples(per_intent=16)
    sentiments = sentiment_examples(per_label=20)
    return SupportTriager().fit(
        [t for t, _ in intents],
        [i for _, i in intents],
        [t for t, _ in sentiments],
        [s for _, s in sentiments],
    )


def test_seed_data_covers_every_intent() -> None:
    assert {i for _, i in intent_examples()} == set(INTENTS)


def test_classifier_learns_planted_words() -> None:
    texts = ["refund my money", "money back please", "where is my parcel", "parcel not here"] * 5
    labels = ["refund", "refund", "track", "track"] * 5
    model = TextClassifier().fit(texts, labels)
    pred, conf = model.predict_with_confidence(["I want my money back", "my parcel is late"])
    assert list(pred) == ["refund", "track"]
    assert np.all((conf > 0.5) & (conf <= 1.0))
    assert np.allclose(model.predict_proba(["x"]).sum(axis=1), 1.0)


def test_classifier_is_seeded() -> None:
    texts, labels = zip(*intent_examples(per_intent=8), strict=True)
    a = TextClassifier().fit(texts, labels).predict_proba(["cancel my order"])
    b = TextClassifier().fit(texts, labels).predict_proba(["cancel my order"])
    assert np.allclose(a, b, atol=1e-6)


def test_baseline_pipeline_runs() -> None:
    texts, labels = zip(*intent_examples(per_intent=8), strict=True)
    assert (
        tfidf_svm_baseline().fit(texts, labels).predict(["reset my password"])[0]
        == "recover_password"
    )


def test_thresholds_reach_target_precision_on_validation() -> None:
    rng = np.random.default_rng(0)
    conf = rng.uniform(0, 1, 2000)
    correct = rng.uniform(0, 1, 2000) < conf  # confident predictions are right more often
    y_pred = np.array(["a"] * 2000, dtype=object)
    y_true = np.where(correct, "a", "b")
    th = choose_thresholds(y_true, y_pred, conf, target_precision=0.95)
    accepted = accept(y_pred, conf, th)
    precision, coverage = selective_precision_coverage(y_true, y_pred, accepted)
    assert precision >= 0.95
    assert 0.0 < coverage < 0.5


def test_intent_with_too_few_examples_is_never_automatic() -> None:
    th = choose_thresholds(["a", "a"], ["a", "a"], [0.99, 0.98], min_support=5)
    assert th["a"] == NEVER
    assert not accept(["a"], [0.999], th)[0]


def test_metrics_match_definitions() -> None:
    assert accuracy(["a", "b", "b"], ["a", "b", "a"]) == pytest.approx(2 / 3)
    # per class F1: a = 2/3, b = 2/3
    assert macro_f1(["a", "b", "b"], ["a", "b", "a"]) == pytest.approx(2 / 3)


def test_urgency_and_priority() -> None:
    assert urgency_score("URGENT!!! my card was stolen").score >= 0.6
    assert urgency_score("Dringend: Paket gestohlen").score >= 0.6
    assert urgency_score("how do I change my address").score == 0.0
    assert priority_for(urgency=0.9, sentiment="negative", sentiment_confidence=0.8) == (
        "urgent",
        True,
    )
    assert priority_for(urgency=0.0, sentiment="positive", sentiment_confidence=0.9) == (
        "low",
        False,
    )


def test_triage_reads_intent_language_and_human_requests(triager: SupportTriager) -> None:
    t = triager.triage("Hi, I forgot my password and cannot log in")
    assert t.intent == "recover_password"
    assert t.queue == "account"
    assert t.language == "en"
    de = triager.triage("Ich möchte meine Bestellung stornieren, bitte helfen Sie mir")
    assert de.language == "de"
    human = triager.triage("I forgot my password, let me talk to a real person")
    assert human.wants_human and not human.auto_reply_ok


def test_triage_escalates_negative_urgent(triager: SupportTriager) -> None:
    t = triager.triage("This is the worst service ever, I was charged twice, fix it immediately!!")
    assert t.priority in ("urgent", "high")
    assert not t.auto_reply_ok


def test_triage_never_sees_pii(triager: SupportTriager, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    original = triager.intent_model_.predict_with_confidence

    def spy(texts):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return original(texts)

    monkeypatch.setattr(triager.intent_model_, "predict_with_confidence", spy)
    triager.triage("my card 4111 1111 1111 1111 was charged, mail me at ann@example.com")
    assert seen and "4111" not in seen[0] and "ann@example.com" not in seen[0]


def test_retriever_prefers_matching_article() -> None:
    r = AnswerRetriever().fit(
        ["a", "b"],
        ["How do I reset my password? Press forgot password", "Refund policy: 30 days returns"],
        ["recover_password", "check_refund_policy"],
    )
    hits = r.search("forgot password")
    assert hits[0].key == "a"
    assert r.search("   ") == []


def test_fast_inference_matches_scikit_learn() -> None:
    from support.ml.text_model import _softmax

    texts, labels = zip(*intent_examples(per_intent=8), strict=True)
    model = TextClassifier().fit(texts, labels)
    queries = ["cancel my order 123", "zzz", "", "Where is my refund??"]
    x = model._tfidf(queries, fit=False)
    expected = (
        _softmax(model.svm_.decision_function(x) / model.svm_temperature)
        + model.lr_.predict_proba(x)
    ) / 2
    assert np.allclose(model.predict_proba(queries), expected, atol=1e-9)
    binary = TextClassifier().fit(["good", "great", "bad", "awful"] * 3, ["p", "p", "n", "n"] * 3)
    xb = binary._tfidf(["good stuff"], fit=False)
    svm_b = binary.svm_.decision_function(xb)
    expected_b = (
        _softmax(np.column_stack([-svm_b, svm_b]) / binary.svm_temperature)
        + binary.lr_.predict_proba(xb)
    ) / 2
    assert np.allclose(binary.predict_proba(["good stuff"]), expected_b, atol=1e-9)
