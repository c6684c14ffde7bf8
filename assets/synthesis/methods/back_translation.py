"""Back-translation: instructions translated into a pivot language and back into English,
giving paraphrases that keep the source's meaning (and its response).

Two calls per instruction (forward, backward). The round trip is kept when its embedding
cosine with the source (all-MiniLM-L6-v2) reaches `min_similarity`; otherwise, or when a call
is empty, cut off or a refusal, or the round trip equals the source, a decision records why.
The kept row stores the pivot-language text in `attributes`.
"""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import polars as pl
from pydantic import Field

from assets.embeddings import Embedder
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
from warehouse.rows import normalized
from warehouse.settings import Strict


class BackTranslation(Strict):
    """Paraphrased instructions by translating into a pivot language and back; kept when the
    round trip stays close in meaning (embedding cosine)."""

    method: Literal["back_translation"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    max_instructions: int = Field(default=8, gt=0)
    language: str = Field(default="French", min_length=2)
    min_similarity: float = Field(
        default=0.8, ge=-1.0, le=1.0, description="Cosine of source and round trip, at least."
    )
    sampling: Sampling = Sampling(temperature=0.2, max_tokens=128)
    template: str = "translate"


BACK_LANGUAGE = "English"


def _same_texts(returned: list[str], sources: list[str]) -> list[bool]:
    """Per pair: equal once normalized and lowercased (the round trip changed nothing)."""
    frame = pl.DataFrame({"a": returned, "b": sources}, schema={"a": pl.String, "b": pl.String})
    same = normalized("a").str.to_lowercase() == normalized("b").str.to_lowercase()
    return frame.select(same).to_series().to_list()


class BackTranslationMethod:
    name = "back_translation"
    Config = BackTranslation

    def __init__(self, config: BackTranslation):
        self.config = config
        self.template = load_template(config.template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        rows = ctx.source_instructions(
            config.sources, seeds, config.task_types, config.max_instructions
        ).to_dicts()
        backend = build_backend(config.generator)
        generator = model_generator(
            backend,
            [self.template],
            {
                "language": config.language,
                "sampling": config.sampling.model_dump(),
                "min_similarity": config.min_similarity,
            },
        )
        model = CachedModel(backend, generator.generator_id, ctx)
        forward = model.complete_many(
            [
                (self.template.render(language=config.language, text=r["instruction"]), 0)
                for r in rows
            ],
            config.sampling,
        )
        rejected, pivoted = [], []
        for row, call in zip(rows, forward, strict=True):
            pivot = call.text.strip()
            rule = screen(call, pivot)
            if rule:
                rejected.append(
                    rejection(call, f"forward_{rule}", source_row_id=row["row_id"], leg="forward")
                )
            else:
                pivoted.append((row, call, pivot))
        backward = model.complete_many(
            [
                (self.template.render(language=BACK_LANGUAGE, text=pivot), 0)
                for _, _, pivot in pivoted
            ],
            config.sampling,
        )
        candidates = []
        unchanged = _same_texts(
            [call.text.strip() for call in backward], [row["instruction"] for row, _, _ in pivoted]
        )
        for (row, first, pivot), call, same in zip(pivoted, backward, unchanged, strict=True):
            back = call.text.strip()
            rule = screen(call, back)
            if rule is None and same:
                rule = "unchanged_round_trip"
            if rule:
                rejected.append(
                    rejection(
                        call,
                        rule if rule == "unchanged_round_trip" else f"backward_{rule}",
                        source_row_id=row["row_id"],
                        forward_call_id=first.request_hash,
                        pivot_text=pivot,
                    )
                )
            else:
                candidates.append((row, first, pivot, call, back))
        similarity = np.zeros(0)
        if candidates:
            embedder = Embedder()
            original = embedder.embed(ctx.wh, [c[0]["instruction"] for c in candidates])
            returned = embedder.embed(ctx.wh, [c[4] for c in candidates])
            similarity = np.einsum("ij,ij->i", original, returned)
        records = []
        for (row, first, pivot, call, back), score in zip(
            candidates, similarity.tolist(), strict=True
        ):
            if score < config.min_similarity:
                rejected.append(
                    rejection(
                        call,
                        "round_trip_drift",
                        score=score,
                        source_row_id=row["row_id"],
                        forward_call_id=first.request_hash,
                        source_text=row["instruction"],
                        pivot_text=pivot,
                        round_trip=back,
                        min_similarity=config.min_similarity,
                    )
                )
                continue
            records.append(
                {
                    "kind": "instruction",
                    "task_type": row["task_type"],
                    "instruction": back,
                    "input": row["input"],
                    "response": row["response"],
                    "answer": row["answer"],
                    "attributes": json.dumps(
                        {
                            "pivot_language": config.language,
                            "pivot_text": pivot,
                            "source_instruction": row["instruction"],
                            "similarity": score,
                        }
                    ),
                    "seed_ids": row["origin_seed_ids"],
                    "parent_ids": [row["row_id"]],
                    "call_ids": [first.request_hash, call.request_hash],
                    "generator_id": generator.generator_id,
                    "method": self.name,
                }
            )
        return MethodOutput.made(
            rows_from_records(records, ctx), rejected, [generator], callers=[model]
        )
