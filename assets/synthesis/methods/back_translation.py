"""Back-translation: instructions translated into a pivot language and back into English,
giving paraphrases that keep the source's meaning (and its response).

Two calls per instruction (forward, backward). The round trip is kept when its embedding
cosine with the source (all-MiniLM-L6-v2) reaches `min_similarity`; otherwise, or when a call
is empty, cut off or a refusal, or the round trip equals the source, a decision records why.
The kept row stores the pivot-language text in `attributes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.embeddings import pair_cosines
from assets.models.call_cache import CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from warehouse.rows import normalized


class BackTranslation(Steerable):
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


@dataclass
class _Trip:
    """One instruction's round trip: its source row, both calls and both texts."""

    source: dict
    forward: CallResult
    pivot: str
    backward: CallResult | None = None
    back: str = ""


class BackTranslationMethod:
    name = "back_translation"
    Config = BackTranslation
    # The placeholders the method fills; any other in its template is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "template": frozenset({"language", "text"})
    }

    def __init__(self, config: BackTranslation):
        self.config = config
        self.template = load_template(config.template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        # Drawn per source row: both legs of its round trip are steered alike.
        rows = attributes.attach(
            ctx.source_instructions(
                config.sources, seeds, config.task_types, config.max_instructions
            ).to_dicts()
        )
        model = run.model(
            config.generator,
            [self.template],
            {
                "language": config.language,
                "sampling": config.sampling.model_dump(),
                "min_similarity": config.min_similarity,
                **attributes.params(),
            },
        )
        forward = model.complete_many(
            [
                (
                    render(
                        self.template, r["sampled"], language=config.language, text=r["instruction"]
                    ),
                    0,
                )
                for r in rows
            ],
            config.sampling,
        )
        pivoted = []
        for row, call in zip(rows, forward, strict=True):
            pivot = call.text.strip()
            if run.screen(
                call,
                pivot,
                prefix="forward_",
                source_row_id=row["row_id"],
                leg="forward",
                **MethodAttributes.row(row["sampled"]),
            ):
                pivoted.append(_Trip(row, call, pivot))
        backward = model.complete_many(
            [
                (
                    render(
                        self.template, t.source["sampled"], language=BACK_LANGUAGE, text=t.pivot
                    ),
                    0,
                )
                for t in pivoted
            ],
            config.sampling,
        )
        unchanged = _same_texts(
            [call.text.strip() for call in backward], [t.source["instruction"] for t in pivoted]
        )
        trips = []
        for trip, call, same in zip(pivoted, backward, unchanged, strict=True):
            trip.backward, trip.back = call, call.text.strip()
            where = {
                "source_row_id": trip.source["row_id"],
                "forward_call_id": trip.forward.request_hash,
                "pivot_text": trip.pivot,
                **MethodAttributes.row(trip.source["sampled"]),
            }
            if not run.screen(call, trip.back, prefix="backward_", **where):
                continue
            if same:
                run.reject(call, "unchanged_round_trip", **where)
            else:
                trips.append(trip)
        similarity = pair_cosines(
            ctx.wh, [t.source["instruction"] for t in trips], [t.back for t in trips]
        )
        for trip, score in zip(trips, similarity, strict=True):
            row = trip.source
            if score < config.min_similarity:
                run.reject(
                    trip.backward,
                    "round_trip_drift",
                    score=score,
                    source_row_id=row["row_id"],
                    forward_call_id=trip.forward.request_hash,
                    source_text=row["instruction"],
                    pivot_text=trip.pivot,
                    round_trip=trip.back,
                    min_similarity=config.min_similarity,
                    **MethodAttributes.row(row["sampled"]),
                )
                continue
            run.keep(
                model,
                [trip.forward, trip.backward],
                Lineage.of(row),
                task_type=row["task_type"],
                instruction=trip.back,
                input=row["input"],
                response=row["response"],
                answer=row["answer"],
                attributes={
                    "pivot_language": config.language,
                    "pivot_text": trip.pivot,
                    "source_instruction": row["instruction"],
                    "similarity": score,
                    **MethodAttributes.row(row["sampled"]),
                },
            )
        return run.output()
