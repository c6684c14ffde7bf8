"""Rephrased pre-training text (WRAP, Maini et al., 2024): source documents or instructions
rewritten in configured styles (plain, encyclopedic, question-answer).

Each style has its own prompt template and so its own generator. A rephrasing is dropped,
with a decision, when it is empty, cut off, a refusal, a near copy of its source (ROUGE-L F1
at or above `max_rouge_l`), or much shorter than its source (lost content). Kept rows are
documents whose `parent_ids` and `seed_ids` link to the source.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.similarity import rouge_l, words

RephraseStyle = Literal["plain", "wikipedia", "qa"]


class Rephrase(Steerable):
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
    template_values: ClassVar[dict[str, frozenset[str]]] = {}

    @staticmethod
    def attribute_templates(config: Rephrase) -> list[tuple[PromptTemplate, frozenset[str]]]:
        """One template per style, named by prefix and style; each fills `$text` itself."""
        return [
            (load_template(f"{config.template_prefix}_{style}"), frozenset({"text"}))
            for style in config.styles
        ]

    def __init__(self, config: Rephrase):
        self.config = config
        self.templates = {s: load_template(f"{config.template_prefix}_{s}") for s in config.styles}

    def _params(self, style: str, attributes: MethodAttributes) -> dict:
        return {
            "style": style,
            "sampling": self.config.sampling.model_dump(),
            "max_rouge_l": self.config.max_rouge_l,
            "min_length_ratio": self.config.min_length_ratio,
            **attributes.params(),
        }

    def _failure(self, output: str, source: str) -> tuple[str, float] | None:
        """(rule, score) when a rephrasing copies its source or loses much of its content."""
        similarity = rouge_l(output, source)
        if similarity >= self.config.max_rouge_l:
            return "copied_source", similarity
        ratio = len(words(output)) / max(1, len(words(source)))
        if ratio < self.config.min_length_ratio:
            return "lost_content", ratio
        return None

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        kinds = pl.col("kind").is_in(self.config.kinds)
        sources = ctx.select_sources(self.config.sources, seeds, kinds, self.config.max_sources)
        items = [
            (r, source_text(r["kind"], r["instruction"], r["input"], r["text"]))
            for r in sources.iter_rows(named=True)
        ]
        items = [(r, text) for r, text in items if text.strip()]
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, self.config, ctx)
        # Drawn per source row: its rephrasings in every style are steered alike.
        sampled = attributes.draw_rows(row for row, _ in items)
        # One generator per style, all on one model.
        models = run.variants(
            self.config.generator,
            [
                ([template], self._params(style, attributes))
                for style, template in self.templates.items()
            ],
        )
        for (style, template), model in zip(self.templates.items(), models, strict=True):
            calls = model.complete_many(
                [
                    (render(template, values, text=text), 0)
                    for (_, text), values in zip(items, sampled, strict=True)
                ],
                self.config.sampling,
            )
            for (row, text), call, values in zip(items, calls, sampled, strict=True):
                output = call.text.strip()
                where = {
                    "style": style,
                    "source_row_id": row["row_id"],
                    **MethodAttributes.row(values),
                }
                if not run.screen(call, output, **where):
                    continue
                failure = self._failure(output, text)
                if failure:
                    run.reject(call, failure[0], score=failure[1], **where)
                    continue
                run.keep(
                    model,
                    [call],
                    Lineage.of(row),
                    kind="document",
                    task_type=row["task_type"],
                    text=output,
                    attributes={
                        "style": style,
                        "source_kind": row["kind"],
                        "finish_reason": call.finish_reason,
                        **MethodAttributes.row(values),
                    },
                )
        return run.output()
