"""Ticket triage: intent, sentiment, urgency, language, priority and the auto-reply decision.

`SupportTriager` bundles the trained intent and sentiment classifiers with per-intent
auto-reply thresholds; it is the artifact registered for the ``support`` capability. Text is
redacted (`support.ml.pii.redact`) before any model sees it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from support.ml.auto_answer import auto_answer_decision
from support.ml.language import LanguageGuess, detect_language
from support.ml.pii import redact
from support.ml.sentiment import ThreeWaySentiment
from support.ml.text_model import TextClassifier, sentiment_classifier
from support.ml.thresholds import NEVER, choose_thresholds
from support.ml.urgency import urgency_score

# Bitext customer-service intents -> the store's queues
INTENT_QUEUE: dict[str, str] = {
    "cancel_order": "orders",
    "change_order": "orders",
    "place_order": "orders",
    "track_order": "orders",
    "delivery_options": "shipping",
    "delivery_period": "shipping",
    "change_shipping_address": "shipping",
    "set_up_shipping_address": "shipping",
    "check_refund_policy": "returns",
    "get_refund": "returns",
    "track_refund": "returns",
    "check_cancellation_fee": "returns",
    "check_payment_methods": "payment",
    "payment_issue": "payment",
    "check_invoice": "payment",
    "get_invoice": "payment",
    "create_account": "account",
    "delete_account": "account",
    "edit_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "switch_account": "account",
    "newsletter_subscription": "account",
    "contact_customer_service": "general",
    "contact_human_agent": "general",
    "complaint": "general",
    "review": "general",
}
INTENTS: tuple[str, ...] = tuple(INTENT_QUEUE)
PRIORITIES = ("low", "normal", "high", "urgent")

_HUMAN_RE = re.compile(
    r"\b(human|real person|agent|representative|operator|someone to talk|talk to (?:a|some)one|"
    r"mensch|mitarbeiter|humain|conseiller|persona|humano|agente|persoon|medewerker|operatore)\b",
    re.IGNORECASE,
)


# the sentiment seed data is English; other languages are not judged (see reads_sentiment)
SENTIMENT_LANGUAGES = frozenset({"en", "und"})


def reads_sentiment(language: str) -> bool:
    """Whether the sentiment model may judge a text in ``language`` (blank: not known)."""
    return not language or language in SENTIMENT_LANGUAGES


@dataclass(frozen=True)
class Triage:
    intent: str
    intent_confidence: float
    sentiment: str
    sentiment_confidence: float
    urgency: float
    urgency_cues: tuple[str, ...]
    language: str
    language_confidence: float
    priority: str
    escalate: bool
    queue: str
    wants_human: bool
    auto_reply_ok: bool  # intent confident enough for its threshold and nothing forbids it


def priority_for(
    *, urgency: float, sentiment: str, sentiment_confidence: float
) -> tuple[str, bool]:
    """(priority, escalate): negative and urgent wording escalates."""
    negative = sentiment == "negative" and sentiment_confidence >= 0.5
    if urgency >= 0.6 and negative:
        return "urgent", True
    if urgency >= 0.6 or (urgency >= 0.25 and negative):
        return "high", False
    if negative or urgency >= 0.25:
        return "normal", False
    return "low", False


class SupportTriager:
    """Intent + sentiment classifiers and per-intent thresholds; `triage(text)` per ticket.

    ``fit`` holds back ``validation_share`` of the intent data (stratified, seeded) to choose
    the auto-reply thresholds for ``target_precision``, then refits on everything.
    """

    def __init__(
        self,
        intent_model: TextClassifier | None = None,
        sentiment_model: TextClassifier | None = None,
        target_precision: float = 0.95,
        validation_share: float = 0.2,
        threshold_margin: float = 0.02,
        random_state: int = 0,
    ) -> None:
        self.intent_model = intent_model
        self.sentiment_model = sentiment_model
        self.target_precision = target_precision
        self.validation_share = validation_share
        self.threshold_margin = threshold_margin
        self.random_state = random_state

    def fit(
        self,
        intent_texts: Sequence[str],
        intents: Sequence[str],
        sentiment_texts: Sequence[str],
        sentiments: Sequence[str],
    ) -> SupportTriager:
        from sklearn.base import clone
        from sklearn.metrics import f1_score
        from sklearn.model_selection import train_test_split

        intent_texts = [redact(str(t)) for t in intent_texts]
        sentiment_texts = [redact(str(t)) for t in sentiment_texts]
        base = self.intent_model or TextClassifier()
        y = np.asarray(intents, dtype=object)
        counts = {label: int(np.sum(y == label)) for label in set(y.tolist())}
        stratify = y if min(counts.values()) >= 2 else None
        tr_x, va_x, tr_y, va_y = train_test_split(
            intent_texts,
            y,
            test_size=self.validation_share,
            random_state=self.random_state,
            stratify=stratify,
        )
        probe = clone(base).fit(tr_x, tr_y)
        pred, conf = probe.predict_with_confidence(va_x)
        self.validation_accuracy_ = float(np.mean(pred == va_y))
        # the accuracy of always answering the most common training intent: a model below it
        # has learned nothing (the registry's activation gate compares the two)
        labels, freq = np.unique(np.asarray(tr_y, dtype=str), return_counts=True)
        self.validation_majority_accuracy_ = float(
            np.mean(np.asarray(va_y, dtype=str) == labels[int(np.argmax(freq))])
        )
        self.validation_macro_f1_ = float(
            f1_score(list(va_y), list(pred), average="macro", zero_division=0)
        )
        self.thresholds_ = choose_thresholds(
            va_y,
            pred,
            conf,
            target_precision=self.target_precision,
            margin=self.threshold_margin,
            min_support=3,
        )
        self.intent_model_ = clone(base).fit(intent_texts, y)
        # neutral without opinion words or conviction: calm questions are not complaints
        self.sentiment_model_ = ThreeWaySentiment(
            model=clone(self.sentiment_model or sentiment_classifier()),
            random_state=self.random_state,
        ).fit(sentiment_texts, sentiments)
        return self

    def triage(self, text: str, *, allow_auto: bool = True) -> Triage:
        clean = redact(text)
        intents, iconf = self.intent_model_.predict_with_confidence([clean])
        sentiment = self.sentiment_model_
        if not isinstance(sentiment, ThreeWaySentiment):  # an artifact from before three-way
            sentiment = ThreeWaySentiment.from_fitted(sentiment)
        lang = detect_language(clean)  # once: build_triage stores the same guess
        if reads_sentiment(lang.code):
            label, confidence = (call := sentiment.decide([clean])[0]).label, call.confidence
        else:
            # English-only sentiment data: a German complaint read as English is noise, so no
            # opinion is claimed (priority then rests on the multilingual urgency cues)
            label, confidence = "neutral", 0.0
        return build_triage(
            clean,
            intent=str(intents[0]),
            intent_confidence=float(iconf[0]),
            sentiment=label,
            sentiment_confidence=confidence,
            threshold=self.thresholds_.get(str(intents[0]), NEVER),
            allow_auto=allow_auto,
            lang=lang,
        )

    def params(self) -> dict[str, Any]:
        return {
            "target_precision": self.target_precision,
            "threshold_margin": self.threshold_margin,
            "validation_share": self.validation_share,
            "uses_embeddings": getattr(self.intent_model_, "emb_lr_", None) is not None,
            "sentiment_min_confidence": self.sentiment_min_confidence,
        }

    @property
    def sentiment_min_confidence(self) -> float:
        """The classifier confidence an opinion needs (below it: neutral); 0 for artifacts
        trained before the three-way output."""
        return float(getattr(self.sentiment_model_, "min_confidence_", 0.0))


def build_triage(
    clean_text: str,
    *,
    intent: str,
    intent_confidence: float,
    sentiment: str,
    sentiment_confidence: float,
    threshold: float,
    allow_auto: bool = True,
    lang: LanguageGuess | None = None,
) -> Triage:
    """Combine model outputs with the wording rules (urgency, language, asks for a human);
    ``lang``: the language guess for ``clean_text`` when the caller has made it already."""
    urg = urgency_score(clean_text)
    lang = lang or detect_language(clean_text)
    priority, escalate = priority_for(
        urgency=urg.score, sentiment=sentiment, sentiment_confidence=sentiment_confidence
    )
    wants_human = intent == "contact_human_agent" or bool(_HUMAN_RE.search(clean_text))
    # the stored (rounded) confidence decides, as it does for the ticket and its explanation
    intent_confidence = round(intent_confidence, 4)
    auto = auto_answer_decision(
        intent=intent,
        intent_confidence=intent_confidence,
        threshold=threshold,
        wants_human=wants_human,
        escalated=escalate,
        allow_auto=allow_auto,
    )
    return Triage(
        intent=intent,
        intent_confidence=intent_confidence,
        sentiment=sentiment,
        sentiment_confidence=round(sentiment_confidence, 4),
        urgency=urg.score,
        urgency_cues=urg.cues,
        language=lang.code,
        language_confidence=round(lang.confidence, 4),
        priority=priority,
        escalate=escalate,
        queue=INTENT_QUEUE.get(intent, "general"),
        wants_human=wants_human,
        auto_reply_ok=auto.answer,
    )
