"""The interface every synthesis method implements."""

from __future__ import annotations

from typing import ClassVar, Protocol

import polars as pl
from pydantic import BaseModel

from assets.registry import METHODS
from assets.synthesis.context import MethodOutput, SynthesisContext


class SynthesisMethod(Protocol):
    """A registered method: `name`, its pydantic `Config` (with `method: Literal[name]`), built
    from that config."""

    name: str
    Config: ClassVar[type]
    # Optional (default False): True when the output for a seed row depends on that row alone,
    # so running on batches of the seeds, in order, gives the rows and rejections of one run.
    # The synthesized stage then streams the seed version through it.

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        """Make rows from the current seed version."""
        ...


def build_method(config: BaseModel) -> SynthesisMethod:
    """The method a recipe entry names (`method:`), built-in or plug-in, with its config."""
    return METHODS.get(config.method)(config)
