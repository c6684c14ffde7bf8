"""Plug-ins are outside code: one that cannot be imported, or that takes a registered name,
stops the load with a message naming it instead of silently shadowing a built-in."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from assets import registry
from assets.registry import Registry, RegistryError


def _registry(monkeypatch: pytest.MonkeyPatch, *plugins: EntryPoint) -> Registry:
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [p for p in plugins if p.group == group]
    )
    return Registry(
        "benchmark",
        "synthfoundry.benchmarks",
        {"humaneval": "assets.decontamination.benchmarks:humaneval_items"},
    )


def test_a_plugin_that_cannot_be_imported_is_named(monkeypatch):
    broken = EntryPoint("quiz", "no_such_package.quiz:items", "synthfoundry.benchmarks")
    with pytest.raises(RegistryError, match=r"plug-in benchmark 'quiz' \(no_such_package"):
        _registry(monkeypatch, broken).names()


def test_a_plugin_cannot_replace_a_built_in(monkeypatch):
    clash = EntryPoint("humaneval", "os.path:join", "synthfoundry.benchmarks")
    with pytest.raises(RegistryError, match="'humaneval' .* clashes"):
        _registry(monkeypatch, clash).get("humaneval")


def test_unknown_names_list_what_is_registered(monkeypatch):
    with pytest.raises(RegistryError, match=r"no benchmark named 'mbpp' \(registered: humaneval\)"):
        _registry(monkeypatch).get("mbpp")
