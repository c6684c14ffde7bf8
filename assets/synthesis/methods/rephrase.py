"""Rephrased pre-training text (WRAP, Maini et al., 2024): source documents or instructions
rewritten in configured styles (plain, encyclopedic, question-answer).

Each style has its own prompt template and so its own generator. A rephrasing is dropped,
with a decision, when it is empty, cut off, a refusal, a near copy of its source (ROUGE-L F1
at or above `max_rouge_l`), or much shorter than its source (lost content). Kept rows are
documents whose `parent_ids` and `seed_ids` link to the source.
"""

from __future__ import annotations

import json
from typing import Literal

import polars as pl
from pydantic import Field

from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel
from assets.models.generator_identity import model_generator
from assets.models.output_screens import rejection, screen
from assets.models.prompt_templates import load_template
from assets.recipe.generators import GeneratorConfig, LocalModel, Sampling
from assets.synthesis.context import (
    SOURCES_DESCRIPTION,
    MethodOutput,
    SynthesisContext,
    rows_from_records,
)
from assets.synthesis.similarity import rouge_l, words
from warehouse.settings import Strict

RephraseStyle = Literal["plain", "wikipedia", "qa"]


class Rephrase(Strict):
    """Rephrased pre-training text (WRAP, Maini et al., 2024): seed documents or instructions
    rewritten in plain, encyclopedic or question-answer style."""

    method: Literal["rephrase"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    kinds: list[Literal["document", "instruction"]] = Field(
        default=["document"], min_length=1, description="Which source rows to rephrase."
    )
    styles: list[RephraseStyle] = Field(default=["plain", "wikipedia", "qa"], min_length=1)
    max_sources: int | None = Field(default=None, gt=0, description="At most this many sources.")
    max_rouge_l: float = Field(
        default=0.95, ge=0.0, le=1.0, description="A rephrasing this similar is a copy."
    )
    min_length_ratio: float = Field(
        default=0.3, ge=0.0, description="Words of the rephrasing / words of the source, at least."
    )
    sampling: Sampling = Sampling(temperature=0.5, max_tokens=320)
    template_prefix: str = Field(
        default="rephrase", description="Templates are `<prefix>_<style>.v<N>.txt`."
    )


def source_text(kind: str, instruction: str | None, input_: str | None, text: str | None) -> str:
    """What gets rephrased: a document's text, or an instruction with its input."""
    if kind == "document":
        return text or ""
    return "\n\n".join(part for part in (instruction, input_) if part and part.strip())


class RephraseMethod:
    name = "rephrase"
    Config = Rephrase

    def __init__(self, config: Rephrase):
        self.config = config
        self.templates = {s: load_template(f"{config.template_prefix}_{s}") for s in config.styles}

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        sources = ctx.source_rows(self.config.sources, seeds).filter(
            pl.col("kind").is_in(self.config.kinds)
        )
        sources = sources.sort("row_id")
        if self.config.max_sources is not None:
            sources = sources.head(self.config.max_sources)
        backend = build_backend(self.config.generator)
        records, rejected, generators, models = [], [], [], []
        items = [
            (r, source_text(r["kind"], r["instruction"], r["input"], r["text"]))
            for r in sources.iter_rows(named=True)
        ]
        items = [(r, text) for r, text in items if text.strip()]
        for style, template in self.templates.items():
            generator = model_generator(
                backend,
                [template],
                {
                    "style": style,
                    "sampling": self.config.sampling.model_dump(),
                    "max_rouge_l": self.config.max_rouge_l,
                    "min_length_ratio": self.config.min_length_ratio,
                },
            )
            generators.append(generator)
            model = CachedModel(backend, generator.generator_id, ctx)
            models.append(model)
            calls = model.complete_many(
                [(template.render(text=text), 0) for _, text in items], self.config.sampling
            )
            for (row, text), call in zip(items, calls, strict=True):
                output = call.text.strip()
                rule, score = screen(call, output), None
                if rule is None:
                    similarity = rouge_l(output, text)
                    ratio = len(words(output)) / max(1, len(words(text)))
                    if similarity >= self.config.max_rouge_l:
                        rule, score = "copied_source", similarity
                    elif ratio < self.config.min_length_ratio:
                        rule, score = "lost_content", ratio
                if rule:
                    rejected.append(
                        rejection(call, rule, score=score, style=style, source_row_id=row["row_id"])
                    )
                    continue
                records.append(
                    {
                        "kind": "document",
                        "task_type": row["task_type"],
                        "text": output,
                        "attributes": json.dumps(
                            {
                                "style": style,
                                "source_kind": row["kind"],
                                "finish_reason": call.finish_reason,
                            }
                        ),
                        "seed_ids": row["origin_seed_ids"],
                        "parent_ids": [row["row_id"]],
                        "call_ids": [call.request_hash],
                        "generator_id": generator.generator_id,
                        "method": self.name,
                    }
                )
        return MethodOutput.made(
            rows_from_records(records, ctx), rejected, generators, callers=models
        )
