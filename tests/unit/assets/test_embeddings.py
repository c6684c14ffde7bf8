"""Where embeddings are computed: `auto` follows what torch sees, `cpu` pins the CPU, `cuda`
without a GPU is an error that says so."""

from __future__ import annotations

import pytest
import torch

from assets import embeddings
from assets.embeddings import BATCH_SIZE, Embedder, resolve_device


def test_auto_follows_torch_and_cpu_is_pinned():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected
    assert Embedder().device == expected
    assert resolve_device("cpu") == "cpu"
    assert Embedder(device="cpu").batch_size == BATCH_SIZE["cpu"]
    assert Embedder(device="cpu", batch_size=7).batch_size == 7


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_an_error():
    with pytest.raises(RuntimeError, match="'cuda' was asked for but torch sees no CUDA device"):
        Embedder(device="cuda").encode(["text"])


def test_auto_picks_cuda_when_torch_sees_it(monkeypatch):
    # No GPU on the test machines: torch's answer is replaced, the choice is what is tested.
    monkeypatch.setattr(embeddings, "cuda_available", lambda: True)
    assert resolve_device("auto") == resolve_device("cuda") == "cuda"
    assert Embedder().batch_size == BATCH_SIZE["cuda"]
    assert resolve_device("cpu") == "cpu"
