"""The interface every synthesis method implements."""

from __future__ import annotations

from typing import Protocol

import polars as pl

from assets.synthesis.context import MethodOutput, SynthesisContext


class SynthesisMethod(Protocol):
    name: str

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        """Make rows from the current seed version."""
        ...
