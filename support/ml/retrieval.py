"""Answer retrieval: TF-IDF cosine search over help articles and past resolved replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from support.ml.text_model import normalise


@dataclass(frozen=True)
class Hit:
    key: str
    score: float  # cosine similarity 0..1


class AnswerRetriever:
    """Index documents (``keys`` with ``texts`` and optional ``intents``) and search them.

    ``intent_boost`` is added to the cosine score of documents tagged with the query's
    predicted intent, so an article for the right intent wins near-ties.
    """

    def __init__(self, intent_boost: float = 0.2, min_score: float = 0.05) -> None:
        self.intent_boost = intent_boost
        self.min_score = min_score

    def fit(
        self,
        keys: Sequence[str],
        texts: Sequence[str],
        intents: Sequence[str | None] | None = None,
    ) -> AnswerRetriever:
        self.keys_ = list(keys)
        self.intents_ = list(intents) if intents is not None else [None] * len(self.keys_)
        self.vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, preprocessor=normalise
        )
        if self.keys_:
            self.matrix_ = self.vectorizer_.fit_transform(list(texts))
        else:
            self.matrix_ = sp.csr_matrix((0, 0))
        return self

    def search(self, query: str, *, intent: str | None = None, k: int = 3) -> list[Hit]:
        if not self.keys_ or not query.strip():
            return []
        q = self.vectorizer_.transform([query])
        scores = np.asarray((self.matrix_ @ q.T).todense()).ravel()
        if intent is not None:
            scores = scores + self.intent_boost * np.array([i == intent for i in self.intents_])
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(self.keys_[i], float(min(scores[i], 1.0)))
            for i in order
            if scores[i] >= self.min_score
        ]
