"""How many threads the local model gets: the recipe's number, else the machine's free cores."""

from __future__ import annotations

import os

import pytest

from assets.models.backends.local_llama import LocalLlamaBackend, default_threads, free_cores
from assets.models.generators import LocalModel


@pytest.mark.parametrize(
    ("available", "load", "expected"),
    [
        (16, 0.0, 16),  # an idle machine: every core
        (16, 5.4, 11),  # five cores busy
        (8, 7.6, 1),  # rounded up to eight busy: one thread still runs
        (2, 9.0, 1),  # more load than cores: at least one
        (4, 1.5, 2),  # 1.5 rounds to 2
    ],
)
def test_free_cores_leave_the_busy_ones(available: int, load: float, expected: int):
    assert free_cores(available, load) == expected


def test_the_default_is_what_this_machine_has_free(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.5, 0.1))
    assert default_threads() == 3


def test_the_recipe_number_wins_over_the_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "getloadavg", lambda: (3.0, 0.5, 0.1))
    assert LocalLlamaBackend(LocalModel(n_threads=2)).threads == 2
    assert LocalLlamaBackend(LocalModel()).threads == 1
