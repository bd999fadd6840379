"""Text classifiers for support triage: intent and sentiment.

`TextClassifier` is a soft-voting ensemble of linear models over TF-IDF word (1-2) and
character (1-5, word-bounded) n-grams: a LinearSVC (its margins turned into probabilities by a
softmax with a fixed temperature) and a multinomial LogisticRegression. Optionally, sentence
embeddings (`support.ml.minilm.MiniLMEncoder`) feed a third LogisticRegression; the encoder is
not pickled with the model and is reloaded from its package when needed.

The baseline of EVALUATION.md is `tfidf_svm_baseline()`: the same n-gram TF-IDF with a single
LinearSVC.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

_DIGITS = re.compile(r"\d+")
logger = logging.getLogger(__name__)


def normalise(text: str) -> str:
    """Lower-case, fold digits and curly quotes: '#113542617735902' and '#99' look alike."""
    return _DIGITS.sub("0", str(text).lower().replace("\u2019", "'"))


def tfidf_svm_baseline(C: float = 1.0) -> Pipeline:
    """The reference baseline: TF-IDF word (1-2) + char_wb (2-5) n-grams, LinearSVC."""
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LinearSVC(C=C, random_state=0),  # liblinear shuffles: seeded, same inputs same output
    )


def sentiment_classifier(encoder: Any = None) -> TextClassifier:
    """The sentiment configuration: class-balanced (macro-F1 on skewed ratings), stronger
    regularisation for long review-like texts (chosen on a validation split of train)."""
    return TextClassifier(class_weight="balanced", lr_C=5.0, svm_C=0.3, encoder=encoder)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class TextClassifier(ClassifierMixin, BaseEstimator):
    """Soft-voting ensemble of linear text models; `predict_proba` rows sum to 1.

    Parameters are stored only (scikit-learn convention). ``encoder`` is an object with
    ``encode(list[str]) -> ndarray`` (or None for TF-IDF only). ``class_weight="balanced"``
    helps macro-F1 on skewed labels (sentiment).
    """

    def __init__(
        self,
        svm_C: float = 1.0,
        lr_C: float = 20.0,
        emb_C: float = 30.0,
        svm_temperature: float = 0.1,
        weights: tuple[float, float, float] = (1.0, 1.0, 4.0),
        class_weight: str | None = None,
        encoder: Any = None,
        max_iter: int = 1000,
        random_state: int = 0,
    ) -> None:
        self.svm_C = svm_C
        self.lr_C = lr_C
        self.emb_C = emb_C
        self.svm_temperature = svm_temperature
        self.weights = weights
        self.class_weight = class_weight
        self.encoder = encoder
        self.max_iter = max_iter
        self.random_state = random_state

    def _tfidf(self, texts: Sequence[str], fit: bool) -> sp.csr_matrix:
        if fit:
            self.word_ = TfidfVectorizer(
                ngram_range=(1, 2), sublinear_tf=True, preprocessor=normalise
            )
            self.char_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(1, 5),
                sublinear_tf=True,
                min_df=2 if len(texts) > 200 else 1,
                preprocessor=normalise,
            )
            parts = [self.word_.fit_transform(texts), self.char_.fit_transform(texts)]
        else:
            parts = [self.word_.transform(texts), self.char_.transform(texts)]
        return sp.hstack(parts).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[object]) -> TextClassifier:
        texts = [str(t) for t in texts]
        y = np.asarray(labels, dtype=object)
        self.classes_ = np.array(sorted(set(y.tolist()), key=str), dtype=object)
        if len(self.classes_) < 2:
            raise ValueError("need at least two classes to train")
        index = {c: i for i, c in enumerate(self.classes_)}
        yi = np.array([index[v] for v in y])
        x = self._tfidf(texts, fit=True)
        # liblinear's dual solver shuffles with random_state: unseeded, two fits on the same
        # texts differed in the 4th decimal of a confidence
        self.svm_ = LinearSVC(
            C=self.svm_C, class_weight=self.class_weight, random_state=self.random_state
        ).fit(x, yi)
        self.lr_ = LogisticRegression(
            C=self.lr_C,
            max_iter=self.max_iter,
            class_weight=self.class_weight,
            random_state=self.random_state,
        ).fit(x, yi)
        self.emb_lr_ = None
        if self.encoder is not None:
            emb = self.encoder.encode(texts)
            self.emb_lr_ = LogisticRegression(
                C=self.emb_C,
                max_iter=self.max_iter,
                class_weight=self.class_weight,
                random_state=self.random_state,
            ).fit(emb, yi)
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_analyzers", None)  # closures rebuilt on load
        state.pop("_warned_no_encoder", None)
        return state

    def _fast_tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The fitted vectorizers' output without scikit-learn's per-call input checks, which
        cost ~10 ms per single-ticket call (the triage latency budget is 30 ms)."""
        analyzers = getattr(self, "_analyzers", None)
        if analyzers is None:
            analyzers = [v.build_analyzer() for v in (self.word_, self.char_)]
            self._analyzers = analyzers
        rows: list[int] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        offset = 0
        for vec, analyze in zip((self.word_, self.char_), analyzers, strict=True):
            vocab = vec.vocabulary_
            idf = vec.idf_
            for r, text in enumerate(texts):
                counts: dict[int, int] = {}
                for gram in analyze(text):
                    j = vocab.get(gram)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                w = (1.0 + np.log(tf)) * idf[idx]  # sublinear_tf, then idf, then L2 per block
                w /= np.linalg.norm(w)
                rows.extend([r] * len(idx))
                cols.append(idx + offset)
                vals.append(w)
            offset += len(idf)
        if not vals:
            return sp.csr_matrix((len(texts), offset))
        return sp.csr_matrix(
            (np.concatenate(vals), (np.array(rows), np.concatenate(cols))),
            shape=(len(texts), offset),
        )

    @staticmethod
    def _linear(model: Any, x: sp.csr_matrix) -> np.ndarray:
        d = np.asarray(x @ model.coef_.T) + model.intercept_
        return np.column_stack([-d[:, 0], d[:, 0]]) if d.shape[1] == 1 else d

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        x = self._fast_tfidf(texts)
        w_svm, w_lr, w_emb = self.weights
        svm = _softmax(self._linear(self.svm_, x) / self.svm_temperature)
        z = self._linear(self.lr_, x)
        # binary LR is a sigmoid of the one margin: softmax over (-d/2, d/2) equals it
        lr = _softmax(z / 2.0) if self.lr_.coef_.shape[0] == 1 else _softmax(z)
        p = w_svm * svm + w_lr * lr
        total = w_svm + w_lr
        emb_lr = self.emb_lr_
        emb = self._embed(texts) if emb_lr is not None and w_emb > 0 else None
        if emb_lr is not None and emb is not None:
            ze = self._linear(emb_lr, emb)
            pe = _softmax(ze / 2.0) if emb_lr.coef_.shape[0] == 1 else _softmax(ze)
            p = p + w_emb * pe
            total += w_emb
        return p / total

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        """Sentence vectors, or None when the embeddings package has gone (e.g. a model trained
        with it, loaded where it is not installed): the TF-IDF members then vote alone."""
        try:
            return np.asarray(self.encoder.encode(texts))
        except (FileNotFoundError, ImportError):
            if not getattr(self, "_warned_no_encoder", False):
                logger.warning("support: embeddings package missing, intent uses TF-IDF only")
                self._warned_no_encoder = True
            return None

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]

    def predict_with_confidence(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        p = self.predict_proba(texts)
        best = p.argmax(axis=1)
        return self.classes_[best], p[np.arange(len(best)), best]
