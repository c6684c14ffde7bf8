"""One run of a model-calling synthesis method: the loop every such method shares.

A method supplies its prompts, its parsing and its acceptance rule; its `ModelRun` does the
rest. `run.model`, `run.variants` and `run.judge` (from `ModelSession`) build the backend,
record the generator and return a cached model (or judge) whose calls are cached, concurrent
and logged. `run.screen` applies the common screens (empty, cut off, refusal) and
`run.reject` records any other rejection; `run.judged` scores outputs with a judge and
rejects those it cannot score or scores too low. All become `synthesized` decisions keyed by
the rejected call. While its calls run, the method's progress (calls made, cache hits,
failures, calls per second) is logged every few seconds under its name. `run.keep` records a row and fills in its lineage (`seed_ids`, `parent_ids`,
`call_ids`, `generator_id`, `method`); `run.rows` stamps the rows kept so far when a method
needs their ids before it ends (e.g. as parents of the next round); `run.output` is the
method's `MethodOutput`, with every generator it used and its calls counted.

A plug-in method (entry point group `synthfoundry.methods`) uses it as the built-in ones do,
so its rows and rejections carry the same lineage::

    class SummaryMethod:
        name = "summary"
        Config = Summary  # pydantic, with `method: Literal["summary"]`, `generator`, `sampling`

        def __init__(self, config: Summary):
            self.config = config
            # A plug-in's own template; `load_template` finds the bundled ones.
            self.template = PromptTemplate("summary", "1", "Summarize this text: $text")

        def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
            run = ModelRun(self.name, ctx)
            params = {"sampling": self.config.sampling.model_dump()}
            model = run.model(self.config.generator, [self.template], params)
            is_document = pl.col("kind") == "document"
            documents = ctx.select_sources(["seed"], seeds, is_document, None).to_dicts()
            prompts = [(self.template.render(text=d["text"]), 0) for d in documents]
            calls = model.complete_many(prompts, self.config.sampling)
            for document, call in zip(documents, calls, strict=True):
                summary = call.text.strip()
                if run.screen(call, summary, document_row_id=document["row_id"]):
                    run.keep(model, [call], Lineage.of(document), kind="document",
                             text=summary, attributes={"finish_reason": call.finish_reason})
            return run.output()
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Any

import polars as pl
import pyarrow as pa

from assets.models.call_cache import CachedModel, CallResult
from assets.models.output_screens import rejection, screen
from assets.models.rubric_judge import Judgement, RubricJudge
from assets.models.session import ModelSession
from assets.synthesis.context import MethodOutput, SynthesisContext, rows_from_frame
from warehouse.rows import empty_rows

# A judge's output quoted in a rejection's evidence.
JUDGE_OUTPUT_CHARS = 500
# Kept rows are made into a frame this many at a time: one frame from every row's dict at the
# end of a long run took about 10 KB of memory per row at its peak (measured at 20k rows).
KEPT_CHUNK = 4096
# Lineage columns the run fills in from `Lineage` and the calls.
LINEAGE_COLUMNS = ("seed_ids", "parent_ids", "call_ids")
# Row columns a method writes; lineage, ids and run stamps are filled in by the run.
METHOD_COLUMNS = frozenset(
    {"task_type", "instruction", "input", "response", "text", "answer", "verified", "messages"}
)


def _id_lists(name: str, lists: list[list[str]]) -> pl.Series:
    """A List(String) column from one list of ids per row, through Arrow's offsets."""
    offsets = pa.array([0, *accumulate(map(len, lists))], pa.int64())
    ids = pl.Series(list(chain.from_iterable(lists)), dtype=pl.String).to_arrow()
    column = pl.from_arrow(pa.LargeListArray.from_arrays(offsets, ids.cast(pa.large_string())))
    return column.alias(name)


@dataclass(frozen=True)
class Lineage:
    """Where a row comes from: the seed rows it descends from and its direct parents."""

    seed_ids: list[str]
    parent_ids: list[str]

    @classmethod
    def of(cls, source: Mapping[str, Any]) -> Lineage:
        """A row made from one row of `SynthesisContext.source_rows`."""
        return cls(seed_ids=source["origin_seed_ids"], parent_ids=[source["row_id"]])


class ModelRun(ModelSession):
    """The models, kept rows and rejected candidates of one method's run."""

    ctx: SynthesisContext

    def __init__(self, method: str, ctx: SynthesisContext):
        super().__init__(ctx, label=method)
        self.method = method
        self.rejected: list[dict] = []
        self._kept: list[dict] = []
        # The lineage columns of the rows in `_kept`, a list per row.
        self._lineage: dict[str, list[list[str]]] = {name: [] for name in LINEAGE_COLUMNS}
        # Kept rows already made into frames, `KEPT_CHUNK` at a time, since the last `rows()`.
        self._chunks: list[pl.DataFrame] = []
        self._stamped: list[pl.DataFrame] = []

    def screen(
        self,
        call: CallResult,
        text: str,
        *,
        prefix: str = "",
        cut_off_ok: bool = False,
        **evidence: object,
    ) -> bool:
        """Whether `text` (the output of `call`) passes the common screens; when it does not,
        the call is rejected as `<prefix><rule>` with `evidence`."""
        rule = screen(call, text, cut_off_ok=cut_off_ok)
        if rule is not None:
            self.reject(call, prefix + rule, **evidence)
        return rule is None

    def reject(
        self, call: CallResult, rule: str, *, score: float | None = None, **evidence: object
    ) -> None:
        """A candidate thrown away: a decision keyed by the call that made it."""
        self.rejected.append(rejection(call, rule, score=score, **evidence))

    def reject_source(
        self, source_row_id: str, rule: str, *, score: float | None = None, **evidence: object
    ) -> None:
        """A source row that yields no row although its calls passed (e.g. too few scored
        responses to make a pair): a decision keyed by this method and the source."""
        key = hashlib.sha256(f"{self.method}:{source_row_id}".encode()).hexdigest()
        self.rejected.append(
            {"row_id": key[:32], "rule": rule, "score": score, "evidence": evidence}
        )

    def judged(
        self,
        judge: RubricJudge,
        calls: Sequence[CallResult],
        items: list[dict[str, str]],
        evidence: Sequence[dict],
        *,
        floor: float | None = None,
        floor_rule: str = "judge_below_floor",
    ) -> list[Judgement | None]:
        """The judge's verdict on the output of each call (`items`: its template values). A
        verdict without a score (`judge_unparseable`, with the problem: its output is held to
        a schema, so only a cut-off output has none) or under `floor` (`floor_rule`) rejects
        the call with the judge's call and output and `evidence`; such calls get None."""
        verdicts: list[Judgement | None] = []
        for call, verdict, where in zip(calls, judge.score(items), evidence, strict=True):
            rule = (
                "judge_unparseable"
                if verdict.score is None
                else floor_rule
                if floor is not None and verdict.score < floor
                else None
            )
            if rule:
                self.reject(
                    call,
                    rule,
                    score=verdict.score,
                    judge_call_id=verdict.call_id,
                    judge_output=verdict.call.text[:JUDGE_OUTPUT_CHARS],
                    **({"judge_problem": verdict.problem} if verdict.problem else {}),
                    **where,
                )
            verdicts.append(None if rule else verdict)
        return verdicts

    def keep(
        self,
        model: CachedModel | str | None,
        calls: Sequence[CallResult],
        lineage: Lineage,
        *,
        attributes: dict,
        kind: str = "instruction",
        **content: object,
    ) -> None:
        """A row of `kind` written by `model` (or the generator of that id, e.g. the seed
        source whose text a row reuses) in `calls`: `content` holds its contract columns
        (task_type, instruction, input, response, text, answer, verified)."""
        unknown = sorted(set(content) - METHOD_COLUMNS)
        if unknown:
            raise TypeError(f"{self.method}: not row content columns: {unknown}")
        self._kept.append(
            {
                "kind": kind,
                **content,
                "attributes": json.dumps(attributes),
                "generator_id": model if isinstance(model, str | None) else model.generator_id,
                "method": self.method,
            }
        )
        self._lineage["seed_ids"].append(lineage.seed_ids)
        self._lineage["parent_ids"].append(lineage.parent_ids)
        self._lineage["call_ids"].append([call.request_hash for call in calls])
        if len(self._kept) >= KEPT_CHUNK:
            self._chunks.append(self._kept_rows())

    def rows(self) -> pl.DataFrame:
        """Contract rows (with row ids) of the rows kept since the last call; they remain part
        of the output."""
        frames = [*self._chunks, self._kept_rows()]
        frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
        self._stamped.append(frame)
        self._chunks = []
        return frame

    def _kept_rows(self) -> pl.DataFrame:
        """The rows kept since the last chunk as contract rows; the lineage lists go in through
        Arrow (polars builds a Series for each row's list from dicts: most of the time of
        making rows, measured at 50k rows)."""
        kept, lineage = self._kept, self._lineage
        self._kept, self._lineage = [], {name: [] for name in LINEAGE_COLUMNS}
        if not kept:
            return empty_rows()
        frame = pl.DataFrame(kept, infer_schema_length=None).with_columns(
            _id_lists(name, lists) for name, lists in lineage.items()
        )
        return rows_from_frame(frame, self.ctx)

    def output(self) -> MethodOutput:
        """The method's rows, rejections, generators and call counts."""
        self.rows()
        return MethodOutput.made(
            pl.concat(self._stamped), self.rejected, self.generators, callers=[self]
        )
