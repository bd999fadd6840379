"""Three-way ticket sentiment: negative, neutral or positive, with the reason for the label.

A text classifier alone labels every message with some opinion: trained on review-like text,
it read calm questions ("can I still add a second mug to my order") as negative. A help desk
wants "neutral" for plain questions and "negative" only for an upset customer, so
`ThreeWaySentiment` answers neutral when

- the message is a plain question or request with no sentiment evidence: no opinion word or
  upset wording (`sentiment_cues`; thanks and please in a question are politeness), or
- the classifier's confidence in negative/positive is below ``min_confidence_``, chosen in
  ``fit`` on held-back training data (the threshold with the best macro-F1).

Otherwise the classifier's label stands. Statements without opinion words are left to the
classifier: on the clothing reviews, treating every message without a listed word as neutral
cost 0.05 macro-F1 (reviews say "runs small" with no such word); questions are 14 of 4,529.
Pure Python: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from support.ml.text_model import normalise, sentiment_classifier

NEUTRAL = "neutral"
Reason = Literal["model", "low_confidence", "plain_request"]

# Opinion and upset wording, English first plus the store's other languages' commonest words.
# Stems end in \w* so "disappoint" covers disappointed/disappointing.
_NEGATIVE = (
    r"angry|anger|furious|fuming|livid|mad at|annoy\w*|upset\w*|irritat\w*|fed up|sick of|"
    r"tired of|frustrat\w*|disappoint\w*|unhappy|dissatisf\w*|not happy|not satisfied|"
    r"unacceptable|ridiculous|outrage\w*|disgust\w*|appall\w*|shock\w*|scandal\w*|"
    r"terrible|awful|horrible|horrendous|dreadful|worst|worse|bad|poor\w*|lousy|crap\w*|"
    r"rubbish|garbage|useless|pathetic|joke|incompetent|unprofessional|rude|ignored|"
    r"hate\w*|sucks?|nightmare|disaster|mess|scam\w*|fraud\w*|cheat\w*|rip[- ]?off|lie[sd]?|"
    r"lying|liar\w*|waste\w*|broken|broke|damaged|defective|faulty|shatter\w*|cracked|"
    r"ruin\w*|complain\w*|fault|fail\w*|never again|last time i|no one|nobody|"
    r"wütend|verärgert|enttäuscht|unverschämt|schrecklich|furieux|furieuse|déçu\w*|"
    r"inacceptable|nul|enfadad\w*|decepcionad\w*|inaceptable|boos|teleurgesteld|"
    r"arrabbiat\w*|delus\w*|inaccettabile"
)
_REPEAT = (
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)|\d+) time|how many times|yet again|"
    r"once again|again and again|still (?:not|no|nothing|waiting|haven'?t|hasn'?t|isn'?t)|"
    r"never (?:arrived|received|came|got)"
)
_POSITIVE = (
    r"thank you|thanks?|thx|grateful|appreciat\w*|love\w*|loving|great|excellent|amazing|"
    r"awesome|fantastic|wonderful|perfect\w*|brilliant|superb|lovely|beautiful|happy|glad|"
    r"pleased|delighted|satisfied|impressed|helpful|nice|good|best|well done|"
    r"recommend\w*|fast delivery|quick\w* (?:help|reply|response|delivery)|"
    r"danke|toll|super|zufrieden|merci|génial|parfait|gracias|genial|encantad\w*|"
    r"bedankt|geweldig|grazie|ottim\w*|perfett\w*"
)
_NEG_RE = re.compile(rf"\b(?:{_NEGATIVE}|{_REPEAT})\b|!!+", re.IGNORECASE)
_POS_RE = re.compile(rf"\b(?:{_POSITIVE})\b", re.IGNORECASE)
# greetings and sign-offs are manners, not opinions ("good morning" is not praise)
_MANNERS_RE = re.compile(
    r"\b(?:good (?:morning|afternoon|evening|day)|have a (?:good|nice|great) (?:day|weekend)|"
    r"best (?:regards|wishes)|kind regards|many thanks in advance|thanks? (?:you )?in advance)\b",
    re.IGNORECASE,
)
_POLITE_RE = re.compile(
    r"\b(?:thanks?(?: you)?(?: (?:so|very) much)?(?: again)?|thx|ty|cheers|please|pls|"
    r"danke(?: schön)?|bitte|merci(?: beaucoup)?|gracias|por favor|bedankt|grazie)\b",
    re.IGNORECASE,
)
_OPENER_RE = re.compile(
    r"^(?:(?:hi|hello|hey|hallo|bonjour|hola|ciao|dear \w+(?: \w+)?(?=[,!:.])|excuse me|"
    r"please help)[\s,!.:-]*)+",
    re.IGNORECASE,
)
_ASK_RE = re.compile(
    r"^(?:can|could|would|will|may|might|shall|should|how|where|when|what|which|who|why|is|"
    r"are|am|was|were|do|does|did|have|has|any|please|kindly|i'?d like|i would like|"
    r"i want to|i need|i'?m looking for|i am looking for|is it possible|let me know|tell me|"
    r"kann|können|wie|wo|wann|was|ist|gibt es|est-ce|comment|où|quand|puis-je|pouvez|"
    r"puedo|puede|cómo|dónde|cuándo|kan|hoe|waar|wanneer|posso|può|come|dove|quando)\b",
    re.IGNORECASE,
)


def is_question_or_request(text: str) -> bool:
    """A plain ask: ends with a question mark, or opens (after a greeting) with a question word,
    a modal or a request formula ("can I", "I'd like", "please")."""
    t = _OPENER_RE.sub("", normalise(text).strip())
    t = _POLITE_RE.sub("", _MANNERS_RE.sub("", t)).strip(" ,.!")
    return t.endswith("?") or bool(_ASK_RE.match(t.lstrip("¿¡ ")))


def sentiment_cues(text: str) -> tuple[str, ...]:
    """The words that carry sentiment, in order, lower-cased; () for a message with none.
    Thanks and please in a question or request are politeness, not praise."""
    t = _MANNERS_RE.sub(" ", normalise(text))
    if is_question_or_request(text):
        t = _POLITE_RE.sub(" ", t)
    hits = [(m.start(), m.group(0)) for m in _NEG_RE.finditer(t)]
    hits += [(m.start(), m.group(0)) for m in _POS_RE.finditer(t)]
    return tuple(dict.fromkeys(word for _, word in sorted(hits)))


@dataclass(frozen=True)
class SentimentCall:
    label: str
    confidence: float  # of the label; for an overruled opinion, 1 - the classifier's confidence
    reason: Reason
    cues: tuple[str, ...]


def choose_min_confidence(
    y_true: Sequence[object],
    classes: Sequence[object],
    proba: np.ndarray,
    plain: Sequence[bool],
    grid: Sequence[float] | None = None,
) -> float:
    """The confidence an opinion (negative/positive) needs, below which the message is neutral:
    the grid value with the best macro-F1 on validation data, where ``plain`` messages (plain
    questions without opinion words) are neutral anyway; ties go to the lowest (the classifier
    is overruled as little as the data allows)."""
    from sklearn.metrics import f1_score

    grid = list(grid) if grid is not None else [round(x, 2) for x in np.arange(0.0, 0.96, 0.05)]
    labels = np.asarray(classes, dtype=object)
    best = labels[proba.argmax(axis=1)]
    conf = proba.max(axis=1)
    gated = np.asarray(plain, dtype=bool)
    truth = [str(v) for v in y_true]
    scores = []
    for t in grid:
        neutral = gated | ((best != NEUTRAL) & (conf < t))
        pred = [NEUTRAL if n else str(b) for n, b in zip(neutral, best, strict=True)]
        scores.append(f1_score(truth, pred, average="macro", zero_division=0))
    return float(grid[int(np.argmax(scores))])


class ThreeWaySentiment(ClassifierMixin, BaseEstimator):
    """A sentiment classifier that says neutral without evidence or conviction (module doc).

    ``model`` is an unfitted `TextClassifier` (default `sentiment_classifier()`).
    ``validation_share`` of the training data is held back (stratified, seeded) to choose
    ``min_confidence_``; then the classifier is refit on everything. Without a neutral class
    in the labels (a two-way data set) the classifier's label always stands.
    """

    def __init__(
        self,
        model: Any = None,
        validation_share: float = 0.2,
        use_cues: bool = True,
        random_state: int = 0,
    ) -> None:
        self.model = model
        self.validation_share = validation_share
        self.use_cues = use_cues
        self.random_state = random_state

    def _plain(self, text: str, cues: tuple[str, ...]) -> bool:
        return self.use_cues and not cues and is_question_or_request(text)

    def fit(self, texts: Sequence[str], labels: Sequence[object]) -> ThreeWaySentiment:
        from sklearn.base import clone
        from sklearn.model_selection import train_test_split

        texts = [str(t) for t in texts]
        y = np.asarray([str(v) for v in labels], dtype=object)
        base = self.model if self.model is not None else sentiment_classifier()
        self.min_confidence_ = 0.0
        _, counts = np.unique(y, return_counts=True)
        self.has_neutral_ = NEUTRAL in set(y.tolist())
        if self.has_neutral_ and counts.min() >= 5:
            tr_x, va_x, tr_y, va_y = train_test_split(
                texts,
                y,
                test_size=self.validation_share,
                random_state=self.random_state,
                stratify=y,
            )
            probe = clone(base).fit(tr_x, tr_y)
            plain = [self._plain(t, sentiment_cues(t)) for t in va_x]
            self.min_confidence_ = choose_min_confidence(
                va_y, probe.classes_, probe.predict_proba(va_x), plain
            )
        self.model_ = clone(base).fit(texts, y)
        self.classes_ = self.model_.classes_
        return self

    @classmethod
    def from_fitted(cls, model: Any, *, min_confidence: float = 0.0) -> ThreeWaySentiment:
        """Wrap an already fitted classifier (artifacts trained before the three-way output)."""
        out = cls(model=model)
        out.model_ = model
        out.classes_ = model.classes_
        out.has_neutral_ = NEUTRAL in {str(c) for c in model.classes_}
        out.min_confidence_ = min_confidence
        return out

    def decide(self, texts: Sequence[str]) -> list[SentimentCall]:
        texts = [str(t) for t in texts]
        proba = self.model_.predict_proba(texts)
        classes = [str(c) for c in self.classes_]
        out = []
        for text, row in zip(texts, proba, strict=True):
            best = int(row.argmax())
            label, conf = classes[best], float(row[best])
            cues = sentiment_cues(text) if self.use_cues else ()
            plain = self.has_neutral_ and self._plain(text, cues)
            reason: Reason = "plain_request" if plain else "model"
            if self.has_neutral_ and label != NEUTRAL:
                if not plain and conf < self.min_confidence_:
                    reason = "low_confidence"
                if reason != "model":
                    label, conf = NEUTRAL, 1.0 - conf
            out.append(SentimentCall(label=label, confidence=conf, reason=reason, cues=cues))
        return out

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([c.label for c in self.decide(texts)], dtype=object)

    def predict_with_confidence(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        calls = self.decide(texts)
        return (
            np.array([c.label for c in calls], dtype=object),
            np.array([c.confidence for c in calls], dtype=float),
        )


def sentiment_reason(
    *, text: str, label: str, confidence: float | None, min_confidence: float | None
) -> str:
    """Why a stored ticket got its sentiment, in agent words (re-read from its redacted text,
    as the triage did). ``min_confidence`` None: the model that triaged is no longer active."""
    cues = sentiment_cues(text)
    if label == NEUTRAL and not cues and is_question_or_request(text):
        return "a plain question or request with no opinion or upset words"
    words = ", ".join(repr(c) for c in cues[:4])
    if label == NEUTRAL and confidence is not None and min_confidence is not None:
        opinion = 1.0 - confidence
        if opinion < min_confidence:
            return (
                f"opinion words ({words}) but the classifier was only {opinion:.0%} sure of an "
                f"opinion, below the {min_confidence:.0%} it needs"
            )
    return f"the classifier, from {words}" if cues else "the classifier"
