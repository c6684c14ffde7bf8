"""Preference pairs (UltraFeedback-style): several responses per instruction, binarized into
one chosen/rejected pair per instruction by a signal:

- `rubric` (the default): a rubric judge scores every response (below);
- `checks`: the instruction's verifiable constraints (carried in its `attributes.constraints`,
  else drawn and rendered into it as `constrained_instruct` does) are checked on every
  response; chosen passes the most, rejected the fewest, and instructions whose responses all
  pass as many checks are dropped (`equal_checks`, every verdict in the evidence). With
  `chosen_passes_all`, chosen must also pass every check (as in Tulu 3's instruction-following
  pairs), else the instruction is dropped (`chosen_failed_checks`). No judge is called; the
  pair's `attributes` hold the constraints and both responses' verification;
- `pairwise_judge`: exactly two responses per instruction; the judge compares them twice,
  once in each order (assets/synthesis/pairwise_judge.py); the pair is kept only when both
  orders prefer the same response, else dropped as `position_inconsistent` (or
  `judge_unparseable`) with both verdicts and both judge calls in the evidence.
- `reward`: a reward model scores every response as the rubric judge would
  (assets/synthesis/reward_judge.py: a generator whose every score is a logged call): a
  local folder (`reward.model_path`: the filtered stage's reward scorer, a CrossEncoder or
  one-output sequence-classification folder, never downloaded) or a server's scoring API
  (`reward.base_url`: vLLM's `/score` or a `/rerank`); highest against lowest, kept when the
  margin reaches `min_margin`, as with the rubric.

With `responses: candidates` no responder is called: each instruction row brings its own
responses in `attributes.candidates` (UltraFeedback-style data: 2..N completions of one
instruction; each a string or `{"response": ..., "model": ...}`), and the signal pairs them.
Only rows carrying candidates are read; a row whose list is unusable (not a list, a
candidate neither a non-empty string nor an object with one under `response`, fewer than two
distinct responses) is dropped as `bad_candidates`, the evidence naming the row, its file
and line and the problem. With `checks` the constraints must come with the row (its
candidates were written without any drawn here: `no_constraints` otherwise, `bad_constraints`
for ones that do not parse); with `pairwise_judge` every two candidates are compared in both
orders (N·(N-1) judge calls for N; see `_tournament`). A pair's
`generator_id` is the seed row's (its source wrote both sides), its `call_ids` only the
judge's or scorer's calls, and its `attributes` name each side's position in the list
(`chosen_candidate`, `rejected_candidate`) and, when given, its `model`.

Responses come from one or more responders (a model, its prompt template and sampling); each
responder is its own generator. The judge scores every response on 1..`scale`; the highest
becomes `chosen` and the lowest `rejected`. Dropped, each with a decision: empty
responses, responses whose judge output has no score, instructions left with fewer than two
scored responses, and pairs whose score margin is below `min_margin` (ties included).

Lineage of a pair row: `generator_id` is the chosen response's generator (it wrote the
`response` text); `call_ids` holds the chosen and rejected responses' calls and both judge
calls; `attributes` names the rejected response's generator and the judge's generator, and
all of them are registered in `generators`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from assets.constraints import (
    Constraint,
    ConstraintDraw,
    carried_constraints,
    constraint_kind,
    render,
)
from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.models.rubric_judge import Judgement, RubricJudge
from assets.synthesis.attributes import MethodAttributes, Steerable
from assets.synthesis.attributes import render as render_attributes
from assets.synthesis.context import (
    PATTERN_DESCRIPTION,
    SOURCES_DESCRIPTION,
    MethodOutput,
    SynthesisContext,
    checked_pattern,
)
from assets.synthesis.methods.verified_cot import problem_text
from assets.synthesis.model_run import JUDGE_OUTPUT_CHARS, Lineage, ModelRun
from assets.synthesis.pairwise_judge import PairVerdict, PairwiseJudge
from assets.synthesis.preference_checks import rank_by_checks
from assets.synthesis.reward_judge import Reward, RewardJudge
from warehouse.settings import Strict


class Responder(Strict):
    """One source of candidate responses: a model, its prompt template and sampling."""

    generator: GeneratorConfig = LocalModel()
    template: str = "self_instruct_response"
    sampling: Sampling = Sampling(temperature=0.8, max_tokens=192)


class PreferencePairs(Steerable):
    """Chosen/rejected pairs (UltraFeedback-style, Cui et al., 2023): several responses per
    instruction from one or more responders, scored by a rubric judge."""

    method: Literal["preference_pairs"]
    signal: Literal["rubric", "checks", "pairwise_judge", "reward"] = Field(
        default="rubric",
        description="rubric: a judge scores each response; checks: the response passing "
        "strictly more of the instruction's verifiable constraints is chosen; pairwise_judge: "
        "the judge compares the two responses in both orders and both must agree; reward: a "
        "reward model (`reward`) scores each response.",
    )
    reward: Reward | None = Field(
        default=None,
        description="With signal reward: the reward model that scores, a local folder "
        "(`model_path`) or a scoring API (`base_url`, `model`, `api: score | rerank`).",
    )
    responses: Literal["generated", "candidates"] = Field(
        default="generated",
        description="generated: the `generators` answer each instruction; candidates: each "
        "instruction row's own `attributes.candidates` (2..N responses) are paired, no "
        "responder is called.",
    )
    constraints: ConstraintDraw = Field(
        default=ConstraintDraw(),
        description="With signal checks: the constraints drawn for instructions that carry "
        "none in attributes.constraints.",
    )
    chosen_passes_all: bool = Field(
        default=False,
        description="With signal checks: chosen must pass every constraint, not only strictly "
        "more than rejected (a pair teaches the answer the instruction asked for).",
    )
    generators: list[Responder] = Field(default=[Responder()], min_length=1)
    judge: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    instruction_pattern: str | None = Field(default=None, description=PATTERN_DESCRIPTION)
    max_instructions: int = Field(default=8, gt=0)
    responses_per_generator: int = Field(default=2, ge=1, le=16)
    scale: Literal[5, 10] = 10
    min_margin: float = Field(
        default=1.0,
        ge=0.0,
        description="rubric and reward: chosen score minus rejected score, at least (checks: "
        "chosen always passes strictly more checks).",
    )
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=48)
    judge_template: str = "preference_judge"
    pairwise_template: str = "preference_pairwise"

    _pattern = field_validator("instruction_pattern")(checked_pattern)

    @model_validator(mode="after")
    def _enough_responses(self) -> PreferencePairs:
        if (self.signal == "reward") != (self.reward is not None):
            raise ValueError(
                "signal reward takes a `reward` model (`model_path` or a scoring endpoint's "
                "`base_url`), and only it"
            )
        if self.responses == "candidates":
            if self.attributes:
                raise ValueError(
                    "responses: candidates calls no responder, so there is nothing for "
                    "`attributes` to steer"
                )
            return self
        if len(self.generators) * self.responses_per_generator < 2:
            raise ValueError("a pair needs at least two responses per instruction")
        if (
            self.signal == "pairwise_judge"
            and len(self.generators) * self.responses_per_generator != 2
        ):
            raise ValueError("signal pairwise_judge compares exactly two responses per instruction")
        if self.chosen_passes_all and self.signal != "checks":
            raise ValueError("chosen_passes_all goes with signal checks")
        return self

    def unchanged_dump(self, data: dict) -> dict:
        # Recipes on the rubric signal dump (and so hash) exactly as before `signal` existed.
        data = super().unchanged_dump(data)
        added = _ADDED_FOR_SIGNALS if self.signal == "rubric" else ()
        for key in (*added, *_ADDED_LATER):
            if getattr(self, key) == type(self).model_fields[key].default:
                data.pop(key, None)
        return data


# Settings added with the signals; a rubric recipe that leaves them out hashes as before.
_ADDED_FOR_SIGNALS = ("signal", "constraints", "pairwise_template", "reward")
# Added after the signals: any recipe that leaves them out hashes as before.
_ADDED_LATER = ("responses", "chosen_passes_all", "instruction_pattern")


@dataclass
class Candidate:
    """One response to the instruction at index `source`: a responder's (its call and
    generator) or one the seed row carried (its `position` in `attributes.candidates` and
    the row's generator; no call)."""

    source: int  # index of the instruction
    text: str  # stripped
    generator_id: str | None
    call: CallResult | None = None
    position: int | None = None
    author: str | None = None  # the candidate's `model`, as the seed row names it
    judgement: Judgement | None = None

    @classmethod
    def generated(cls, source: int, model: CachedModel, call: CallResult) -> Candidate:
        return cls(source, call.text.strip(), model.generator_id, call)

    @property
    def calls(self) -> list[CallResult]:
        return [] if self.call is None else [self.call]


def _finish_reasons(chosen: Candidate, worst: Candidate) -> dict:
    """Both sides' finish reasons (the filtered stage drops a cut-off chosen side); a seed
    row's candidates have none."""
    if chosen.call is None or worst.call is None:
        return {}
    return {
        "finish_reason": chosen.call.finish_reason,
        "rejected_finish_reason": worst.call.finish_reason,
    }


def _side_ids(chosen: Candidate, worst: Candidate, names: tuple[str, str]) -> dict:
    """How attributes and evidence name two responses: by their calls (`<name>_call_id`), or
    a seed row's candidates by position (`<name>_candidate`) and the model it names."""
    if chosen.call is not None and worst.call is not None:
        return {
            f"{names[0]}_call_id": chosen.call.request_hash,
            f"{names[1]}_call_id": worst.call.request_hash,
        }
    ids: dict[str, object] = {
        f"{names[0]}_candidate": chosen.position,
        f"{names[1]}_candidate": worst.position,
    }
    for name, side in zip(names, (chosen, worst), strict=True):
        if side.author is not None:
            ids[f"{name}_model"] = side.author
    return ids


def _refs(candidates: list[Candidate], key: str) -> dict:
    """The evidence listing some responses: their call ids under `key`, or a seed row's
    candidates by position."""
    if candidates and candidates[0].call is None:
        return {"candidates": [c.position for c in candidates]}
    return {key: [c.call.request_hash for c in candidates if c.call is not None]}


def _where(source: dict) -> dict:
    """The evidence naming an instruction (and what was sampled for it) in its rejections."""
    return {"instruction_row_id": source["row_id"], **MethodAttributes.row(source["sampled"])}


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def parse_candidates(attributes: str | None) -> tuple[list[tuple[int, str, str | None]], str]:
    """A seed row's `attributes.candidates` as (position, response, model) of each distinct
    response, in order (a response given twice counts once), or the problem that makes the
    list unusable (then no candidates)."""
    try:
        value = json.loads(attributes or "{}")["candidates"]
    except (ValueError, KeyError, TypeError):
        return [], "attributes is not a JSON object with `candidates`"
    if not isinstance(value, list):
        return [], f"attributes.candidates is {_json_type(value)}, expected a list of responses"
    distinct: list[tuple[int, str, str | None]] = []
    seen: set[str] = set()
    for position, item in enumerate(value):
        text, model = (
            (item.get("response"), item.get("model")) if isinstance(item, dict) else (item, None)
        )
        where = f"candidates[{position}]"
        if not isinstance(text, str):
            what = (
                "has no `response` string" if isinstance(item, dict) else f"is {_json_type(item)}"
            )
            return (
                [],
                f'{where} {what}; a candidate is a string or {{"response": ..., "model": ...}}',
            )
        if model is not None and not isinstance(model, str):
            return [], f"{where}.model is {_json_type(model)}, expected a string"
        if not text.strip():
            return [], f"{where} is empty"
        if text.strip() not in seen:
            seen.add(text.strip())
            distinct.append((position, text.strip(), model))
    if len(distinct) < 2:
        return [], (
            f"{len(value)} candidate(s), {len(distinct)} distinct: a pair needs at least two "
            "different responses"
        )
    return distinct, ""


def keep_pair(
    run: ModelRun,
    source: dict,
    chosen: Candidate,
    worst: Candidate,
    other_calls: list[CallResult],
    *,
    signal: str,
    **evidence: object,
) -> None:
    """A preference row of `source`'s instruction: chosen in `response`, the rejected side,
    both calls (or candidate positions) and generators in `attributes` (then the signal's
    own `evidence`); its `call_ids` are the chosen's, the rejected's and `other_calls`
    (judges, a critique)."""
    run.keep(
        chosen.generator_id,
        [*chosen.calls, *worst.calls, *other_calls],
        Lineage.of(source),
        kind="preference",
        task_type=source["task_type"],
        instruction=source["instruction"],
        input=source["input"],
        response=chosen.text,
        # The source's reference answer: the filtered stage drops a pair whose chosen side
        # gets it wrong (filters.reference_answer), however many checks that side passes.
        answer=source.get("answer"),
        attributes={
            "signal": signal,
            "rejected": worst.text,
            **_finish_reasons(chosen, worst),
            **_side_ids(chosen, worst, ("chosen", "rejected")),
            "chosen_generator_id": chosen.generator_id,
            "rejected_generator_id": worst.generator_id,
            **evidence,
            **MethodAttributes.row(source["sampled"]),
        },
    )


class PreferencePairsMethod:
    name = "preference_pairs"
    Config = PreferencePairs
    template_values: ClassVar[dict[str, frozenset[str]]] = {}

    @staticmethod
    def attribute_templates(config: PreferencePairs) -> list[tuple[PromptTemplate, frozenset[str]]]:
        """Each responder's template, filling `$instruction` itself; the judges are not
        steered (they score every response alike)."""
        return [(load_template(r.template), frozenset({"instruction"})) for r in config.generators]

    def __init__(self, config: PreferencePairs):
        self.config = config

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        attributes = MethodAttributes.of(self.name, config, ctx)
        run = ModelRun(self.name, ctx)
        if config.responses == "candidates":
            instructions, responses, constraints = self._seed_candidates(run, seeds, ctx)
            prompts = [problem_text(r["instruction"], r["input"]) for r in instructions]
        else:
            # Drawn per instruction: every response to it is steered alike, so the pair
            # compares answers to one request.
            instructions = attributes.attach(
                ctx.source_instructions(
                    config.sources,
                    seeds,
                    config.task_types,
                    config.max_instructions,
                    config.instruction_pattern,
                ).to_dicts()
            )
            constraints = self._constraints(instructions, ctx)
            for row, drawn in zip(instructions, constraints, strict=True):
                if drawn is not None and drawn[1]:
                    # Responders see the constraints they are checked against.
                    row["instruction"] = render(row["instruction"], drawn[0])
            prompts = [problem_text(r["instruction"], r["input"]) for r in instructions]
            responses = self._respond(run, attributes, instructions, prompts)
        if config.signal == "checks":
            by_source: dict[int, list[Candidate]] = {}
            for response in responses:
                by_source.setdefault(response.source, []).append(response)
            for index, source in enumerate(instructions):
                self._pair_by_checks(run, source, constraints[index][0], by_source.get(index, []))
            return run.output()
        if config.signal == "pairwise_judge":
            self._pairwise(run, instructions, prompts, responses)
            return run.output()
        # rubric: the judge model scores each response; reward: the reward model does.
        judge = (
            RewardJudge.build(run, config.reward)
            if config.reward is not None
            else run.judge(config.judge, config.judge_template, config.scale, config.judge_sampling)
        )
        items = [{"instruction": prompts[r.source], "response": r.text} for r in responses]
        wheres = [_where(instructions[r.source]) for r in responses]
        if config.responses == "candidates":
            verdicts = self._judged_candidates(run, judge, responses, items, wheres)
        else:
            verdicts = run.judged(judge, [r.call for r in responses], items, wheres)
        scored: dict[int, list[Candidate]] = {}
        for response, verdict in zip(responses, verdicts, strict=True):
            if verdict is not None:
                response.judgement = verdict
                scored.setdefault(response.source, []).append(response)
        for index, source in enumerate(instructions):
            self._pair(run, judge, source, scored.get(index, []))
        return run.output()

    def _respond(
        self,
        run: ModelRun,
        attributes: MethodAttributes,
        instructions: list[dict],
        prompts: list[str],
    ) -> list[Candidate]:
        """Every responder's responses to every instruction; empty ones are rejected."""
        config = self.config
        per_prompt = config.responses_per_generator
        responses: list[Candidate] = []
        for responder in config.generators:
            template = load_template(responder.template)
            model = run.model(
                responder.generator,
                [template],
                {
                    "role": "responder",
                    "sampling": responder.sampling.model_dump(),
                    **attributes.params(),
                },
            )
            calls = model.complete_many(
                [
                    (render_attributes(template, row["sampled"], instruction=p), k)
                    for row, p in zip(instructions, prompts, strict=True)
                    for k in range(per_prompt)
                ],
                responder.sampling,
            )
            owners = [i for i in range(len(instructions)) for _ in range(per_prompt)]
            for owner, call in zip(owners, calls, strict=True):
                # A cut-off response may still serve as `rejected`; a cut-off chosen response
                # is dropped by the filtered stage (its finish_reason is in attributes).
                if call.text.strip():
                    responses.append(Candidate.generated(owner, model, call))
                else:
                    run.reject(call, "empty_response", **_where(instructions[owner]))
        return responses

    def _seed_candidates(
        self, run: ModelRun, seeds: pl.DataFrame, ctx: SynthesisContext
    ) -> tuple[list[dict], list[Candidate], list[tuple[list[Constraint], bool] | None]]:
        """The instruction rows of `sources` that carry `attributes.candidates` (the first
        `max_instructions` by row id), their candidates, and with `checks` their carried
        constraints. A row whose list (or, with `checks`, whose constraints) cannot serve is
        rejected naming its row, file and line, and left out."""
        config = self.config
        where = (
            (pl.col("kind") == "instruction")
            & pl.col("instruction").is_not_null()
            & pl.col("attributes").str.json_path_match("$.candidates").is_not_null()
        )
        if config.task_types is not None:
            where = where & pl.col("task_type").is_in(config.task_types)
        if config.instruction_pattern is not None:
            where = where & pl.col("instruction").str.contains(config.instruction_pattern)
        rows = ctx.select_sources(config.sources, seeds, where, config.max_instructions)
        instructions: list[dict] = []
        responses: list[Candidate] = []
        constraints: list[tuple[list[Constraint], bool] | None] = []
        for row in rows.to_dicts():
            row["sampled"] = {}  # nothing steers a response nobody generates
            found, problem = parse_candidates(row["attributes"])
            rule = "bad_candidates" if problem else None
            carried: list[Constraint] = []
            if rule is None and config.signal == "checks":
                try:
                    carried = carried_constraints(row)
                    for constraint in carried:  # an unknown kind or bad params, here not later
                        constraint_kind(constraint.kind).params(constraint.params)
                except (ValueError, LookupError) as exc:  # ValidationError, RegistryError
                    rule = "bad_constraints"
                    problem = f"attributes.constraints: {' '.join(str(exc).split())[:300]}"
                if rule is None and not carried:
                    rule = "no_constraints"
                    problem = (
                        "signal checks pairs a seed row's candidates by the constraints the row "
                        "carries (attributes.constraints); it carries none"
                    )
            if rule is not None:
                self._reject_row(run, row, rule, len(found), problem)
                continue
            index = len(instructions)
            instructions.append(row)
            constraints.append((carried, False) if config.signal == "checks" else None)
            generator_id = row.get("generator_id")
            responses.extend(
                Candidate(index, text, generator_id, position=position, author=model)
                for position, text, model in found
            )
        return instructions, responses, constraints

    def _reject_row(self, run: ModelRun, row: dict, rule: str, count: int, problem: str) -> None:
        """A seed row whose candidates make no pair: the decision (score: its distinct
        candidates, none for an unusable list) names the row, its source file and line, the
        signal and the problem."""
        run.reject_source(
            row["row_id"],
            rule,
            score=float(count) if count else None,
            signal=self.config.signal,
            instruction_row_id=row["row_id"],
            source=row.get("source"),
            source_line=row.get("source_line"),
            problem=problem,
        )

    @staticmethod
    def _judged_candidates(
        run: ModelRun,
        judge: RubricJudge | RewardJudge,
        candidates: list[Candidate],
        items: list[dict[str, str]],
        wheres: list[dict],
    ) -> list[Judgement | None]:
        """`ModelRun.judged` for a seed row's candidates, which have no call of their own: a
        verdict without a score rejects the candidate keyed by the judge's call."""
        verdicts: list[Judgement | None] = []
        for candidate, verdict, where in zip(candidates, judge.score(items), wheres, strict=True):
            if verdict.score is None:
                run.reject(
                    verdict.call,
                    "judge_unparseable",
                    candidate=candidate.position,
                    **({"judge_problem": verdict.problem} if verdict.problem else {}),
                    **where,
                )
                verdicts.append(None)
            else:
                verdicts.append(verdict)
        return verdicts

    def _pairwise(
        self,
        run: ModelRun,
        instructions: list[dict],
        prompts: list[str],
        responses: list[Candidate],
    ) -> None:
        """Each instruction's two responses compared in both orders; a pair when both agree.
        A seed row with more candidates has every two of them compared (`_tournament`)."""
        config = self.config
        judge = PairwiseJudge.build(
            run, config.judge, config.pairwise_template, config.judge_sampling
        )
        by_source: dict[int, list[Candidate]] = {}
        for response in responses:
            by_source.setdefault(response.source, []).append(response)
        compared = []
        for index, source in enumerate(instructions):
            candidates = by_source.get(index, [])
            if len(candidates) < 2:
                run.reject_source(
                    source["row_id"],
                    "too_few_responses",
                    score=float(len(candidates)),
                    **_refs(candidates, "call_ids"),
                    **_where(source),
                )
            else:
                compared.append((index, candidates))
        # Every two responses of an instruction, in order: (0, 1) alone for two.
        jobs = [
            (index, a, b)
            for index, candidates in compared
            for a, b in combinations(range(len(candidates)), 2)
        ]
        verdicts = judge.compare(
            [(prompts[i], by_source[i][a].text, by_source[i][b].text) for i, a, b in jobs]
        )
        results: dict[int, list[tuple[int, int, PairVerdict]]] = {}
        for (index, a, b), verdict in zip(jobs, verdicts, strict=True):
            results.setdefault(index, []).append((a, b, verdict))
        for index, candidates in compared:
            source = instructions[index]
            if len(candidates) > 2:
                self._tournament(run, judge.generator_id, source, candidates, results[index])
                continue
            ((_, _, verdict),) = results[index]
            pair = {
                **_side_ids(candidates[0], candidates[1], ("first", "second")),
                **verdict.evidence(),
            }
            if verdict.problem:
                run.reject_source(
                    source["row_id"],
                    verdict.problem,
                    **_where(source),
                    forward_output=verdict.forward_call.text[:JUDGE_OUTPUT_CHARS],
                    backward_output=verdict.backward_call.text[:JUDGE_OUTPUT_CHARS],
                    **pair,
                )
                continue
            chosen = candidates[verdict.preferred]
            worst = candidates[1 - verdict.preferred]
            keep_pair(
                run,
                source,
                chosen,
                worst,
                [verdict.forward_call, verdict.backward_call],
                signal="pairwise_judge",
                judge_generator_id=judge.generator_id,
                **pair,
            )

    @staticmethod
    def _tournament(
        run: ModelRun,
        judge_generator_id: str,
        source: dict,
        candidates: list[Candidate],
        results: list[tuple[int, int, PairVerdict]],
    ) -> None:
        """A seed row's three or more candidates, every two compared in both orders: chosen
        wins the most comparisons whose orders agree (the earliest on a tie), rejected loses
        the most, and the pair is kept only when their own comparison agrees and prefers
        chosen (else its problem, or `intransitive_verdicts`). Every comparison, with its
        verdicts and judge calls, is in the evidence; every judge call in `call_ids`."""
        wins = [0] * len(candidates)
        losses = [0] * len(candidates)
        for a, b, verdict in results:
            if verdict.preferred is not None:
                winner, loser = (a, b) if verdict.preferred == 0 else (b, a)
                wins[winner] += 1
                losses[loser] += 1
        best = max(range(len(candidates)), key=lambda k: (wins[k], -k))
        worst = max((k for k in range(len(candidates)) if k != best), key=lambda k: (losses[k], -k))
        ((head_first, head),) = [(a, v) for a, b, v in results if {a, b} == {best, worst}]
        record = {
            "comparisons": [
                {
                    "first_candidate": candidates[a].position,
                    "second_candidate": candidates[b].position,
                    **verdict.evidence(),
                }
                for a, b, verdict in results
            ],
            "wins": [
                {"candidate": c.position, "wins": w, "losses": lost}
                for c, w, lost in zip(candidates, wins, losses, strict=True)
            ],
        }
        problem = head.problem or (
            None if head.preferred == (0 if head_first == best else 1) else "intransitive_verdicts"
        )
        if problem:
            run.reject_source(
                source["row_id"],
                problem,
                score=float(len(candidates)),
                **_where(source),
                **_side_ids(candidates[best], candidates[worst], ("chosen", "rejected")),
                **record,
            )
            return
        keep_pair(
            run,
            source,
            candidates[best],
            candidates[worst],
            [call for _, _, v in results for call in (v.forward_call, v.backward_call)],
            signal="pairwise_judge",
            judge_generator_id=judge_generator_id,
            **record,
        )

    def _constraints(
        self, instructions: list[dict], ctx: SynthesisContext
    ) -> list[tuple[list[Constraint], bool] | None]:
        """Per instruction, with the checks signal: its constraints and whether they were
        drawn (`ConstraintDraw.for_row`); None for every instruction with the rubric."""
        if self.config.signal != "checks":
            return [None] * len(instructions)
        return [
            self.config.constraints.for_row(row, f"{ctx.random_seed}:{self.name}:{row['row_id']}")
            for row in instructions
        ]

    def _pair_by_checks(
        self,
        run: ModelRun,
        source: dict,
        constraints: list[Constraint],
        candidates: list[Candidate],
    ) -> None:
        """The responses passing the most and the fewest checks, kept as a pair when the
        first passes strictly more."""
        where = _where(source)
        if len(candidates) < 2:
            run.reject_source(
                source["row_id"],
                "too_few_responses",
                score=float(len(candidates)),
                **_refs(candidates, "call_ids"),
                **where,
            )
            return
        ranking = rank_by_checks([c.text for c in candidates], constraints)
        if ranking.chosen is None:
            run.reject_source(
                source["row_id"],
                "equal_checks",
                score=float(ranking.passed[0]),
                constraints=[c.model_dump() for c in constraints],
                responses=[
                    {
                        **(
                            {"call_id": c.call.request_hash}
                            if c.call is not None
                            else {"candidate": c.position}
                        ),
                        "passed": p,
                        "verification": v,
                    }
                    for c, p, v in zip(
                        candidates, ranking.passed, ranking.verification, strict=True
                    )
                ],
                **where,
            )
            return
        chosen, worst = candidates[ranking.chosen], candidates[ranking.rejected]
        if self.config.chosen_passes_all and ranking.passed[ranking.chosen] < len(constraints):
            run.reject_source(
                source["row_id"],
                "chosen_failed_checks",
                score=float(ranking.passed[ranking.chosen]),
                constraints=[c.model_dump() for c in constraints],
                chosen_call_id=chosen.call.request_hash,
                verification=ranking.verification[ranking.chosen],
                **where,
            )
            return
        keep_pair(
            run,
            source,
            chosen,
            worst,
            [],
            signal="checks",
            constraints=[c.model_dump() for c in constraints],
            chosen_passed=ranking.passed[ranking.chosen],
            rejected_passed=ranking.passed[ranking.rejected],
            margin=ranking.margin,
            verification=ranking.verification[ranking.chosen],
            rejected_verification=ranking.verification[ranking.rejected],
            responses_checked=len(candidates),
        )

    def _pair(
        self,
        run: ModelRun,
        judge: RubricJudge | RewardJudge,
        source: dict,
        candidates: list[Candidate],
    ) -> None:
        """The best and worst scored responses to one instruction, kept as a pair when their
        margin is large enough."""
        if len(candidates) < 2:
            run.reject_source(
                source["row_id"],
                "too_few_scored_responses",
                score=float(len(candidates)),
                **_where(source),
                **_refs(candidates, "scored_call_ids"),
            )
            return
        ranked = sorted(candidates, key=lambda r: -r.judgement.score)
        chosen, worst = ranked[0], ranked[-1]
        margin = chosen.judgement.score - worst.judgement.score
        pair = {
            **_side_ids(chosen, worst, ("chosen", "rejected")),
            "chosen_score": chosen.judgement.score,
            "rejected_score": worst.judgement.score,
            "chosen_generator_id": chosen.generator_id,
            "rejected_generator_id": worst.generator_id,
        }
        # A rubric pair's attributes are what they were before signals (no `signal` key); a
        # reward pair names its signal and has no rubric scale.
        rubric = self.config.signal == "rubric"
        signal = {} if rubric else {"signal": self.config.signal}
        scale = {"scale": self.config.scale} if rubric else {}
        if margin < self.config.min_margin:
            small = {"score": margin, "min_margin": self.config.min_margin}
            if chosen.call is None:
                # A seed row's candidates have no call: the decision is keyed by the row.
                run.reject_source(
                    source["row_id"], "small_margin", **small, **_where(source), **pair
                )
            else:
                run.reject(chosen.call, "small_margin", **small, **_where(source), **pair)
            return
        run.keep(
            chosen.generator_id,
            [*chosen.calls, *worst.calls, chosen.judgement.call, worst.judgement.call],
            Lineage.of(source),
            kind="preference",
            task_type=source["task_type"],
            instruction=source["instruction"],
            input=source["input"],
            response=chosen.text,
            answer=source.get("answer"),
            attributes={
                **signal,
                "rejected": worst.text,
                **_finish_reasons(chosen, worst),
                **pair,
                "margin": margin,
                **scale,
                "judge_generator_id": judge.generator_id,
                "chosen_judge_call_id": chosen.judgement.call_id,
                "rejected_judge_call_id": worst.judgement.call_id,
                "responses_scored": len(candidates),
                **MethodAttributes.row(source["sampled"]),
            },
        )
