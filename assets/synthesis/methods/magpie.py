"""Magpie (Xu et al., 2024): instructions drawn from an aligned model by sending it only its
chat template's user prefix (SmolLM2-Instruct's ChatML: `<|im_start|>user\\n`), so the model
writes the kind of request it was aligned on; each is then answered by the assistant.

Rows have no seed row: their lineage is the two generators (the prefix drawer, whose
"template" is the prefix itself, and the answerer) and the two calls, one per turn. A drawn
instruction is dropped, with a decision keyed by its call, when it is empty, cut off, a
refusal, shorter than `min_instruction_words`, or a repeat of one drawn before it; an answer
when it fails the common screens.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.models.backends.prefix_completion import PrefixCompletionBackend
from assets.models.call_cache import CachedModel
from assets.models.generator_identity import model_generator
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.similarity import words
from warehouse.conversations import encode, message

CHATML_USER_PREFIX = "<|im_start|>user\n"
CHATML_STOPS = ["<|im_end|>", "<|im_start|>", "<|endoftext|>"]


class Magpie(Steerable):
    """Instructions drawn from an aligned local model by its chat template's user prefix
    alone (Magpie), then answered."""

    method: Literal["magpie"]
    generator: LocalModel = LocalModel()
    answer_generator: GeneratorConfig = LocalModel()
    user_prefix: str = Field(
        default=CHATML_USER_PREFIX,
        min_length=1,
        description="What the model is sent: its chat template up to the user's text. With "
        "attributes, a template too: e.g. a system turn about `$topic` before the user prefix "
        "steers what is drawn.",
    )
    stop: list[str] = Field(
        default=CHATML_STOPS, min_length=1, description="Where a drawn instruction ends."
    )
    num_instructions: int = Field(default=4, gt=0)
    min_instruction_words: int = Field(default=3, ge=1)
    instruction_sampling: Sampling = Sampling(temperature=1.0, top_p=0.99, max_tokens=64)
    answer_sampling: Sampling = Sampling(temperature=0.3, max_tokens=160)
    answer_template: str = "self_instruct_response"
    added_keys: ClassVar[tuple[str, ...]] = ("answer_template",)


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


class MagpieMethod:
    name = "magpie"
    Config = Magpie
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "answer_template": frozenset({"instruction"})
    }

    @classmethod
    def attribute_templates(cls, config: Magpie) -> list[tuple[PromptTemplate, frozenset[str]]]:
        """The answer template, and with attributes the user prefix (without them it is sent
        as written, `$` and all)."""
        answer = [(load_template(config.answer_template), frozenset({"instruction"}))]
        if not config.attributes:
            return answer
        return [
            (PromptTemplate("magpie_user_prefix", "1", config.user_prefix), frozenset()),
            *answer,
        ]

    def __init__(self, config: Magpie):
        self.config = config
        self.prefix = PromptTemplate("magpie_user_prefix", "1", config.user_prefix)
        self.answer_template = load_template(config.answer_template)

    def _drawer(self, run: ModelRun, attributes: MethodAttributes) -> CachedModel:
        """The prefix-only model, recorded as a generator like any other."""
        backend = PrefixCompletionBackend(self.config.generator, self.config.stop)
        record = model_generator(
            backend,
            [self.prefix],
            {"sampling": self.config.instruction_sampling.model_dump(), **attributes.params()},
        )
        run.generators.append(record)
        model = CachedModel(backend, record.generator_id, run.ctx)
        run.models.append(model)
        return model

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        drawer = self._drawer(run, attributes)
        answerer = run.model(
            config.answer_generator,
            [self.answer_template],
            {"sampling": config.answer_sampling.model_dump(), **attributes.params()},
        )
        # Keyed by the candidate's index, as self-instruct's; there is no seed row.
        sampled = [attributes.draw(str(i)) for i in range(config.num_instructions)]
        # One prompt (without attributes), many samples: each sample index is another seed
        # of the sampler.
        drawn = drawer.complete_many(
            [
                (render(self.prefix, values) if attributes else config.user_prefix, i)
                for i, values in enumerate(sampled)
            ],
            config.instruction_sampling,
        )
        kept, seen = [], set()
        for call, values in zip(drawn, sampled, strict=True):
            instruction = call.text.strip()
            steer = MethodAttributes.row(values)
            if not run.screen(call, instruction, prefix="instruction_", **steer):
                continue
            if len(words(instruction)) < config.min_instruction_words:
                run.reject(call, "instruction_too_short", words=len(words(instruction)), **steer)
                continue
            if _key(instruction) in seen:
                run.reject(call, "duplicate_instruction", **steer)
                continue
            seen.add(_key(instruction))
            kept.append((call, instruction, values))
        answers = answerer.complete_many(
            [
                (render(self.answer_template, values, instruction=text), 0)
                for _, text, values in kept
            ],
            config.answer_sampling,
        )
        for (call, instruction, values), answer_call in zip(kept, answers, strict=True):
            answer = answer_call.text.strip()
            if not run.screen(
                answer_call,
                answer,
                prefix="response_",
                instruction_call=call.request_hash,
                **MethodAttributes.row(values),
            ):
                continue
            run.keep(
                answerer,
                [call, answer_call],
                Lineage(seed_ids=[], parent_ids=[]),
                kind="conversation",
                task_type="open_ended",
                messages=encode([message("user", instruction), message("assistant", answer)]),
                attributes={
                    "user_prefix": config.user_prefix,
                    "turn_calls": [call.request_hash, answer_call.request_hash],
                    "turn_generators": [drawer.generator_id, answerer.generator_id],
                    **MethodAttributes.row(values),
                },
            )
        return run.output()
