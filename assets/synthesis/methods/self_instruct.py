"""Self-instruct: new instructions bootstrapped from seed examples, then answered by the model.

Each candidate instruction is written from a few randomly drawn seed examples; the response
is a second call on that instruction alone. Both calls go through the call cache, and the row
keeps the seed examples as `seed_ids` and both calls as `call_ids`.

Candidates are screened in order as in Wang et al. (2023): empty, truncated, too few or too
many words, a blacklisted word (tasks a text model cannot do), and ROUGE-L F1 above
`max_rouge_l` against the pool of seed instructions and the instructions accepted so far.
"""

from __future__ import annotations

import random
import re
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, model_validator

from assets.filters.instruction_rules import DEFAULT_BLACKLIST, blacklist_regex
from assets.models.call_cache import CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.samplers.draw import Value
from assets.synthesis.similarity import RougePool


class SelfInstruct(Steerable):
    """New instructions and responses bootstrapped from seed examples (Wang et al., 2023)."""

    method: Literal["self_instruct"]
    generator: GeneratorConfig = LocalModel()
    num_instructions: int = Field(default=16, gt=0)
    examples_per_prompt: int = Field(default=3, ge=1, le=16)
    task_types: list[str] | None = None
    instruction_sampling: Sampling = Sampling(temperature=0.9, max_tokens=80)
    response_sampling: Sampling = Sampling(temperature=0.3, max_tokens=256)
    instruction_template: str = "self_instruct_instruction"
    response_template: str = "self_instruct_response"
    max_rouge_l: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Reject an instruction whose ROUGE-L F1 against any seed or accepted "
        "instruction exceeds this.",
    )
    min_instruction_words: int = Field(default=3, ge=1)
    max_instruction_words: int = Field(default=150, ge=1)
    blacklist: list[str] = Field(
        default=DEFAULT_BLACKLIST,
        description="Words (matched as whole words, any case) naming tasks a text model cannot do.",
    )

    @model_validator(mode="after")
    def _word_bounds(self) -> SelfInstruct:
        if self.min_instruction_words > self.max_instruction_words:
            raise ValueError("min_instruction_words is larger than max_instruction_words")
        return self


_LEADING_LABEL = re.compile(
    r"^\s*(?:\d+[.)]\s*|[-*]\s*|(?:new\s+)?(?:task|instruction)\s*\d*\s*:\s*)+", re.I
)


def blacklist_pattern(words: list[str]) -> re.Pattern[str] | None:
    """The filter's blacklist match (`blacklist_regex`), for Python strings."""
    regex = blacklist_regex(words)
    return re.compile(regex) if regex else None


def clean_instruction(raw: str) -> tuple[str, bool]:
    """The first line of the model's answer without list numbers or 'Task:' labels, and
    whether anything followed it (small models rarely stop after one task)."""
    text = raw.strip()
    first, _, rest = text.partition("\n")
    cleaned = _LEADING_LABEL.sub("", first).strip().strip('"').strip()
    return cleaned, bool(rest.strip())


class SelfInstructMethod:
    name = "self_instruct"
    Config = SelfInstruct
    # The placeholders the method fills; any other in its templates is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "instruction_template": frozenset({"examples"}),
        "response_template": frozenset({"instruction"}),
    }

    def __init__(self, config: SelfInstruct):
        self.config = config
        self.instruction_template = load_template(config.instruction_template)
        self.response_template = load_template(config.response_template)

    def _params(self) -> dict:
        return {
            "instruction_sampling": self.config.instruction_sampling.model_dump(),
            "response_sampling": self.config.response_sampling.model_dump(),
            "examples_per_prompt": self.config.examples_per_prompt,
            "max_rouge_l": self.config.max_rouge_l,
            "instruction_words": [
                self.config.min_instruction_words,
                self.config.max_instruction_words,
            ],
            "blacklist": self.config.blacklist,
        }

    def _screen(
        self,
        instruction: str,
        more_followed: bool,
        call: CallResult,
        drawn: list[int],
        instructions: list[str],
        pool: RougePool,
        blacklist: re.Pattern[str] | None,
    ) -> tuple[str | None, float | None, dict]:
        """(rule, score, evidence) of the first screen the candidate fails, or (None, ...)."""
        n_words = len(instruction.split())
        if not instruction:
            return "empty_instruction", None, {}
        if call.finish_reason == "length" and not more_followed:
            return "truncated_instruction", None, {}
        if n_words < self.config.min_instruction_words:
            return "instruction_too_short", n_words, {"words": n_words}
        if n_words > self.config.max_instruction_words:
            return "instruction_too_long", n_words, {"words": n_words}
        if blacklist is not None and (found := blacklist.search(instruction)):
            return "blacklisted_word", None, {"word": found.group(0), "instruction": instruction}
        if instruction.strip().lower() in {instructions[i].strip().lower() for i in drawn}:
            return "copied_example", 1.0, {"instruction": instruction}
        closest, score = pool.closest(instruction)
        if score > self.config.max_rouge_l:
            return (
                "rouge_l_similar",
                score,
                {"instruction": instruction, "closest": closest, "rouge_l": score},
            )
        return None, None, {}

    def _pool(self, seeds: pl.DataFrame) -> pl.DataFrame:
        pool = seeds.filter(pl.col("kind") == "instruction")
        if self.config.task_types is not None:
            pool = pool.filter(pl.col("task_type").is_in(self.config.task_types))
        return pool.sort("row_id")

    def _draw_examples(self, ctx: SynthesisContext, pool_size: int) -> list[list[int]]:
        """The seed examples each candidate is written from, drawn from the run's seed."""
        drawn = []
        for index in range(self.config.num_instructions):
            rng = random.Random(f"{ctx.random_seed}:self_instruct:{index}")
            drawn.append(rng.sample(range(pool_size), self.config.examples_per_prompt))
        return drawn

    def _instruction_prompt(
        self, picks: list[int], instructions: list[str], sampled: dict[str, Value]
    ) -> str:
        examples = "\n".join(f"{n}. {instructions[i]}" for n, i in enumerate(picks, start=1))
        return render(self.instruction_template, sampled, examples=examples)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        pool = self._pool(seeds)
        if pool.height < self.config.examples_per_prompt:
            raise ValueError(
                f"self_instruct needs at least {self.config.examples_per_prompt} instruction seeds, "
                f"the seed version has {pool.height}"
            )
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, self.config, ctx)
        model = run.model(
            self.config.generator,
            [self.instruction_template, self.response_template],
            {**self._params(), **attributes.params()},
        )
        ids, instructions = pool["row_id"].to_list(), pool["instruction"].to_list()
        drawn = self._draw_examples(ctx, len(ids))
        # Keyed by the candidate's index; a seed field is read from its first example.
        sampled = [
            attributes.draw(str(index), pool.row(picks[0], named=True) if attributes else None)
            for index, picks in enumerate(drawn)
        ]
        accepted: list[tuple[int, str]] = []
        pool_texts = RougePool(instructions, above=self.config.max_rouge_l)
        blacklist = blacklist_pattern(self.config.blacklist)
        # Screened once the instruction calls are back, not as they come: beside the call
        # threads the screen got a small share of the GIL and ran several times slower than
        # alone, and the calls waited for the claims it held up (measured against an instant
        # server: 50k instructions in 25 s screened as they came, 17 s after).
        instruction_calls = model.complete_many(
            [
                (self._instruction_prompt(picks, instructions, sampled[i]), i)
                for i, picks in enumerate(drawn)
            ],
            self.config.instruction_sampling,
        )
        for index, call in enumerate(instruction_calls):
            instruction, more_followed = clean_instruction(call.text)
            rule, score, evidence = self._screen(
                instruction, more_followed, call, drawn[index], instructions, pool_texts, blacklist
            )
            if rule:
                run.reject(call, rule, score=score, **evidence, **attributes.row(sampled[index]))
            else:
                accepted.append((index, instruction))
                pool_texts.add(instruction)

        response_calls = model.complete_many(
            [
                (render(self.response_template, sampled[index], instruction=text), index)
                for index, text in accepted
            ],
            self.config.response_sampling,
        )
        for (index, instruction), call in zip(accepted, response_calls, strict=True):
            run.keep(
                model,
                [instruction_calls[index], call],
                Lineage(seed_ids=[ids[i] for i in drawn[index]], parent_ids=[]),
                task_type=None,
                instruction=instruction,
                input="",
                response=call.text.strip(),
                attributes={
                    "finish_reason": call.finish_reason,
                    **attributes.row(sampled[index]),
                },
            )
        return run.output()
