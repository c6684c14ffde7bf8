"""Synthesis methods, one module each; `build_method` maps a recipe entry to its method."""

from __future__ import annotations

from assets.recipe import MethodConfig, ProgrammaticMath, SeedPassthrough, SelfInstruct
from assets.synthesis.methods.base import SynthesisMethod
from assets.synthesis.methods.programmatic_math import ProgrammaticMathMethod
from assets.synthesis.methods.seed_passthrough import SeedPassthroughMethod
from assets.synthesis.methods.self_instruct import SelfInstructMethod


def build_method(config: MethodConfig) -> SynthesisMethod:
    match config:
        case SeedPassthrough():
            return SeedPassthroughMethod(config)
        case ProgrammaticMath():
            return ProgrammaticMathMethod(config)
        case SelfInstruct():
            return SelfInstructMethod(config)
    raise TypeError(f"no synthesis method for {type(config).__name__}")


__all__ = ["SynthesisMethod", "build_method"]
