"""Evol-Instruct (Xu et al., 2023): instructions made harder or broader round by round.

Each round draws one operation per chain from the run's random seed: in depth (add
constraints, deepen, concretize, increase reasoning steps) or in breadth (a new, rarer task
of the same domain). The rewrite is held to `EVOLUTION_SCHEMA` (`{"prompt": ...}`). An
evolution is eliminated, with a decision, when it is empty, cut off, a refusal, copies the
prompt's scaffolding ("#Rewritten Prompt#"), or adds no information (ROUGE-L F1 to its parent
at or above `max_rouge_l`, or an in-depth rewrite no longer than its parent); or when its
response is empty or a refusal. A failed round leaves the chain at its last good
instruction, which the next round evolves again. Every row's `parent_ids` is the previous
round's row (the source row for round 1), its `seed_ids` the source's seeds; its generator is
the rewrite's, and the response's generator is in `attributes`."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.samplers.draw import Value
from assets.synthesis.similarity import rouge_l, words

EvolOperation = Literal["add_constraints", "deepen", "concretize", "increase_reasoning", "breadth"]


class EvolInstruct(Steerable):
    """Evol-Instruct (Xu et al., 2023): instructions rewritten round by round in depth
    (constraints, deepening, concretizing, more reasoning steps) or in breadth (a new, rarer
    task of the same domain); failed evolutions are eliminated."""

    method: Literal["evol_instruct"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    num_instructions: int = Field(default=8, gt=0, description="Source instructions to evolve.")
    rounds: int = Field(default=3, ge=1, le=10)
    operations: list[EvolOperation] = Field(
        default=["add_constraints", "deepen", "concretize", "increase_reasoning", "breadth"],
        min_length=1,
        description="Drawn per instruction and round from the run's random seed.",
    )
    max_rouge_l: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="An evolution at least this ROUGE-L-similar to its parent adds nothing.",
    )
    evolution_sampling: Sampling = Sampling(temperature=0.7, max_tokens=160)
    response_sampling: Sampling = Sampling(temperature=0.3, max_tokens=256)
    depth_template: str = "evol_depth"
    breadth_template: str = "evol_breadth"
    response_template: str = "self_instruct_response"


# The in-depth instructions of the WizardLM paper, shortened for small models. They are part
# of the generator identity (see `_operations_template`).
DEPTH_OPERATIONS = {
    "add_constraints": "Add one more constraint or requirement to the prompt.",
    "deepen": "If the prompt asks about a specific issue, increase the depth and breadth of "
    "the question.",
    "concretize": "Replace general concepts in the prompt with more specific concepts.",
    "increase_reasoning": "If the prompt can be solved with a few simple steps, rewrite it to "
    "explicitly require multiple-step reasoning.",
}
_SCAFFOLD = re.compile(
    r"(?i)#\s*(?:rewritten|given|created|new)\s+prompt\s*#|\b(?:rewritten|given|created) prompt\b"
    r"|\bprompt rewriter\b|\bprompt creator\b"
)
_LEADING_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:new|rewritten|created)?\s*prompt\s*:\s*(?:\*\*)?", re.I
)
# The rewrite's output; the length bound makes a grammar close the string before a small model
# runs on past any sensible instruction.
EVOLUTION_SCHEMA = JsonSchema(
    "evolved_prompt",
    {
        "type": "object",
        "properties": {"prompt": {"type": "string", "minLength": 1, "maxLength": 500}},
        "required": ["prompt"],
        "additionalProperties": False,
    },
)


def clean_evolution(raw: str) -> str:
    """The evolved instruction of a rewrite's JSON output, without a leading "Rewritten
    prompt:" label or quotes; `SchemaMismatch` when the output is not that JSON."""
    text = _LEADING_LABEL.sub("", EVOLUTION_SCHEMA.parse(raw)["prompt"].strip()).strip()
    return text.strip('"').strip()


def failed_evolution(
    evolved: str, parent: str, operation: str, max_rouge_l: float
) -> tuple[str, float | None] | None:
    """(rule, score) when an evolution adds nothing or copies the prompt scaffolding."""
    if _SCAFFOLD.search(evolved):
        return "copied_template_text", None
    similarity = rouge_l(evolved, parent)
    if similarity >= max_rouge_l:
        return "no_information_gain", similarity
    if operation != "breadth" and len(words(evolved)) <= len(words(parent)):
        return "not_longer_than_parent", float(len(words(evolved)))
    return None


@dataclass
class _Chain:
    source_id: str
    seed_ids: list[str]
    parent_id: str
    instruction: str
    input: str
    task_type: str | None
    # The chain's attributes, drawn once from its source row: every round is steered alike.
    sampled: dict[str, Value] = field(default_factory=dict)


class EvolInstructMethod:
    name = "evol_instruct"
    Config = EvolInstruct
    # The placeholders the method fills; any other in its templates is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "depth_template": frozenset({"operation", "instruction"}),
        "breadth_template": frozenset({"instruction"}),
        "response_template": frozenset({"instruction"}),
    }

    def __init__(self, config: EvolInstruct):
        self.config = config
        self.depth = load_template(config.depth_template)
        self.breadth = load_template(config.breadth_template)
        self.response = load_template(config.response_template)

    def _operations_template(self) -> PromptTemplate:
        return PromptTemplate("evol_operations", "1", json.dumps(DEPTH_OPERATIONS, sort_keys=True))

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        sources = ctx.source_instructions(
            self.config.sources, seeds, self.config.task_types, self.config.num_instructions
        )
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, self.config, ctx)
        # The rewrite is held to a schema; the response to it is free text: two generators.
        evolver = run.model(
            self.config.generator,
            [self.depth, self.breadth, self._operations_template()],
            {
                "operations": self.config.operations,
                "rounds": self.config.rounds,
                "max_rouge_l": self.config.max_rouge_l,
                "evolution_sampling": self.config.evolution_sampling.model_dump(),
                **attributes.params(),
            },
            EVOLUTION_SCHEMA,
        )
        responder = run.model(
            self.config.generator,
            [self.response],
            {
                "role": "responder",
                "sampling": self.config.response_sampling.model_dump(),
                **attributes.params(),
            },
        )
        chains = [
            _Chain(
                r["row_id"],
                r["origin_seed_ids"],
                r["row_id"],
                r["instruction"],
                r["input"] or "",
                r["task_type"],
                attributes.draw(r["row_id"], r),
            )
            for r in sources.iter_rows(named=True)
        ]
        for round_number in range(1, self.config.rounds + 1):
            self._round(run, evolver, responder, round_number, chains)
        return run.output()

    def _operation(self, ctx: SynthesisContext, chain: _Chain, round_number: int) -> str:
        rng = random.Random(f"{ctx.random_seed}:evol_instruct:{chain.source_id}:{round_number}")
        return rng.choice(self.config.operations)

    def _prompt(self, operation: str, chain: _Chain) -> str:
        if operation == "breadth":
            return render(self.breadth, chain.sampled, instruction=chain.instruction)
        return render(
            self.depth,
            chain.sampled,
            operation=DEPTH_OPERATIONS[operation],
            instruction=chain.instruction,
        )

    def _round(
        self,
        run: ModelRun,
        evolver: CachedModel,
        responder: CachedModel,
        round_number: int,
        chains: list[_Chain],
    ) -> None:
        """Evolve every chain once; chains whose evolution survives move to the new row."""
        operations = [self._operation(run.ctx, chain, round_number) for chain in chains]
        calls = evolver.complete_many(
            [(self._prompt(op, c), round_number) for op, c in zip(operations, chains, strict=True)],
            self.config.evolution_sampling,
        )
        survivors: list[tuple[_Chain, str, str, CallResult]] = []
        for chain, operation, call in zip(chains, operations, calls, strict=True):
            context = {
                "operation": operation,
                "round": round_number,
                "parent": chain.instruction,
                **MethodAttributes.row(chain.sampled),
            }
            # Cut off (the JSON unfinished) or empty first; then the JSON, then its text.
            if not run.screen(call, call.text, **context):
                continue
            try:
                evolved = clean_evolution(call.text)
            except SchemaMismatch as mismatch:
                run.reject(call, "unparseable_evolution", problem=mismatch.reason, **context)
                continue
            if not run.screen(call, evolved, evolved=evolved, **context):
                continue
            failed = failed_evolution(
                evolved, chain.instruction, operation, self.config.max_rouge_l
            )
            if failed:
                run.reject(call, failed[0], score=failed[1], evolved=evolved, **context)
            else:
                survivors.append((chain, operation, evolved, call))
        responses = responder.complete_many(
            [
                (render(self.response, chain.sampled, instruction=evolved), 0)
                for chain, _, evolved, _ in survivors
            ],
            self.config.response_sampling,
        )
        moved = []
        for (chain, operation, evolved, call), response in zip(survivors, responses, strict=True):
            answer = response.text.strip()
            # A cut-off response is left to the filtered stage (finish_reason in attributes), as
            # for self-instruct; only responses that say nothing or refuse fail the evolution.
            if not run.screen(
                response,
                answer,
                prefix="response_",
                cut_off_ok=True,
                instruction=evolved,
                instruction_call_id=call.request_hash,
                round=round_number,
                **MethodAttributes.row(chain.sampled),
            ):
                continue
            run.keep(
                evolver,
                [call, response],
                Lineage(seed_ids=chain.seed_ids, parent_ids=[chain.parent_id]),
                task_type=chain.task_type,
                instruction=evolved,
                input=chain.input,
                response=answer,
                attributes={
                    "operation": operation,
                    "round": round_number,
                    "parent_instruction": chain.instruction,
                    "finish_reason": response.finish_reason,
                    "response_generator_id": responder.generator_id,
                    **MethodAttributes.row(chain.sampled),
                },
            )
            moved.append(chain)
        rows = run.rows()
        for chain, row_id, evolved in zip(moved, rows["row_id"], rows["instruction"], strict=True):
            chain.parent_id, chain.instruction = row_id, evolved
