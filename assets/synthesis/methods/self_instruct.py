"""Self-instruct: new instructions bootstrapped from seed examples, then answered by the model.

Each candidate instruction is written from a few randomly drawn seed examples; the response
is a second call on that instruction alone. Both calls go through the call cache, and the row
keeps the seed examples as `seed_ids` and both calls as `call_ids`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re

import polars as pl

from assets.recipe import SelfInstruct
from assets.synthesis.backends import Backend, build_backend
from assets.synthesis.call_cache import CachedModel
from assets.synthesis.context import (
    MethodOutput,
    SynthesisContext,
    rejections_from_records,
    rows_from_records,
)
from assets.synthesis.templates import load_template
from warehouse.lineage import GeneratorRecord

_LEADING_LABEL = re.compile(
    r"^\s*(?:\d+[.)]\s*|[-*]\s*|(?:new\s+)?(?:task|instruction)\s*\d*\s*:\s*)+", re.I
)


def clean_instruction(raw: str) -> tuple[str, bool]:
    """The first line of the model's answer without list numbers or 'Task:' labels, and
    whether anything followed it (small models rarely stop after one task)."""
    text = raw.strip()
    first, _, rest = text.partition("\n")
    cleaned = _LEADING_LABEL.sub("", first).strip().strip('"').strip()
    return cleaned, bool(rest.strip())


class SelfInstructMethod:
    name = "self_instruct"

    def __init__(self, config: SelfInstruct):
        self.config = config
        self.instruction_template = load_template(config.instruction_template)
        self.response_template = load_template(config.response_template)

    def generator(self, backend: Backend) -> GeneratorRecord:
        templates = (self.instruction_template, self.response_template)
        text = "\n---\n".join(t.text for t in templates)
        return GeneratorRecord(
            backend=backend.backend,
            model=backend.model,
            model_digest=backend.model_digest,
            template_name="+".join(t.name for t in templates),
            template_version="+".join(t.version for t in templates),
            template_sha256=hashlib.sha256(text.encode()).hexdigest(),
            template_text=text,
            params={
                "instruction_sampling": self.config.instruction_sampling.model_dump(),
                "response_sampling": self.config.response_sampling.model_dump(),
                "examples_per_prompt": self.config.examples_per_prompt,
                **self.config.generator.lineage_params(),
            },
        )

    def _pool(self, seeds: pl.DataFrame) -> pl.DataFrame:
        pool = seeds.filter(pl.col("kind") == "instruction")
        if self.config.task_types is not None:
            pool = pool.filter(pl.col("task_type").is_in(self.config.task_types))
        return pool.sort("row_id")

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        pool = self._pool(seeds)
        if pool.height < self.config.examples_per_prompt:
            raise ValueError(
                f"self_instruct needs at least {self.config.examples_per_prompt} instruction seeds, "
                f"the seed version has {pool.height}"
            )
        backend = build_backend(self.config.generator)
        generator = self.generator(backend)
        model = CachedModel(backend, generator.generator_id, ctx)
        ids = pool["row_id"].to_list()
        instructions = pool["instruction"].to_list()

        drawn: list[list[int]] = []
        prompts: list[tuple[str, int]] = []
        for index in range(self.config.num_instructions):
            rng = random.Random(f"{ctx.random_seed}:self_instruct:{index}")
            picks = rng.sample(range(len(ids)), self.config.examples_per_prompt)
            drawn.append(picks)
            examples = "\n".join(f"{n}. {instructions[i]}" for n, i in enumerate(picks, start=1))
            prompts.append((self.instruction_template.render(examples=examples), index))
        instruction_calls = model.complete_many(prompts, self.config.instruction_sampling)

        rejected: list[dict] = []
        accepted: list[tuple[int, str]] = []
        for index, call in enumerate(instruction_calls):
            instruction, more_followed = clean_instruction(call.text)
            example_texts = {instructions[i].strip().lower() for i in drawn[index]}
            rule = None
            if not instruction:
                rule = "empty_instruction"
            elif call.finish_reason == "length" and not more_followed:
                rule = "truncated_instruction"
            elif instruction.lower() in example_texts:
                rule = "copied_example"
            if rule:
                rejected.append(
                    {
                        "row_id": call.request_hash[:32],
                        "rule": rule,
                        "evidence": {"call_id": call.request_hash, "raw_output": call.text[:2000]},
                    }
                )
            else:
                accepted.append((index, instruction))

        response_calls = model.complete_many(
            [(self.response_template.render(instruction=text), index) for index, text in accepted],
            self.config.response_sampling,
        )
        records = [
            {
                "kind": "instruction",
                "task_type": None,
                "instruction": instruction,
                "input": "",
                "response": call.text.strip(),
                "attributes": json.dumps({"finish_reason": call.finish_reason}),
                "seed_ids": [ids[i] for i in drawn[index]],
                "parent_ids": [],
                "call_ids": [instruction_calls[index].request_hash, call.request_hash],
                "generator_id": generator.generator_id,
                "method": self.name,
            }
            for (index, instruction), call in zip(accepted, response_calls, strict=True)
        ]
        return MethodOutput(
            rows=rows_from_records(records, ctx),
            rejections=rejections_from_records(rejected),
            generators=[generator],
            model_calls=model.new_calls,
            cached_calls=model.cache_hits,
        )
