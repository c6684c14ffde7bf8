"""Synthesis methods, one module each; `build_method` maps a recipe entry to its method."""

from __future__ import annotations

from assets.recipe import (
    BackTranslation,
    EvolInstruct,
    GroundedQA,
    MethodConfig,
    PreferencePairs,
    ProgrammaticMath,
    Rephrase,
    SeedPassthrough,
    SelfInstruct,
    VerifiedCoT,
)
from assets.synthesis.methods.back_translation import BackTranslationMethod
from assets.synthesis.methods.base import SynthesisMethod
from assets.synthesis.methods.evol_instruct import EvolInstructMethod
from assets.synthesis.methods.grounded_qa import GroundedQAMethod
from assets.synthesis.methods.preference_pairs import PreferencePairsMethod
from assets.synthesis.methods.programmatic_math import ProgrammaticMathMethod
from assets.synthesis.methods.rephrase import RephraseMethod
from assets.synthesis.methods.seed_passthrough import SeedPassthroughMethod
from assets.synthesis.methods.self_instruct import SelfInstructMethod
from assets.synthesis.methods.verified_cot import VerifiedCoTMethod


def build_method(config: MethodConfig) -> SynthesisMethod:
    match config:
        case SeedPassthrough():
            return SeedPassthroughMethod(config)
        case ProgrammaticMath():
            return ProgrammaticMathMethod(config)
        case SelfInstruct():
            return SelfInstructMethod(config)
        case EvolInstruct():
            return EvolInstructMethod(config)
        case Rephrase():
            return RephraseMethod(config)
        case VerifiedCoT():
            return VerifiedCoTMethod(config)
        case GroundedQA():
            return GroundedQAMethod(config)
        case PreferencePairs():
            return PreferencePairsMethod(config)
        case BackTranslation():
            return BackTranslationMethod(config)
    raise TypeError(f"no synthesis method for {type(config).__name__}")


__all__ = ["SynthesisMethod", "build_method"]
