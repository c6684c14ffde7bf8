"""Benchmark contamination: the detectors (`DETECTORS` in assets/registry.py) annotate rows,
the recipe's verdict rule combines them.

- `ngram`: the row shares a word n-gram with a benchmark item (exact copies, light edits);
- `embedding`: the row's nearest benchmark item (top-1 cosine) reaches the threshold
  (rephrasings that share no long n-gram: Yang et al., 2023); with `candidates` a cascade, where
  a character n-gram score over every row picks the candidates the embedding looks at, the
  cosine plus the share of the item's docstring the row covers decides, and among the items
  that fire the one the row restates best as a whole is named (`coverage.py`);
- `lexical`: the row's nearest item by character n-gram TF-IDF cosine reaches its threshold
  (rephrasings that keep the task's rare words; the embedding misses some of those);
- `judge`: an LLM says the row and its nearest item are the same problem; asked only for pairs
  at or above the judge's candidate threshold, and only where its answer can change the verdict.

Each dropped row gets one decision (rule `benchmark_contamination`) whose evidence names the
benchmark, item, the detectors that fired and each detector's figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
from pydantic import BaseModel

from assets.decontamination.verdict import rule_expression
from assets.embeddings import DEFAULT_EMBEDDING_MODEL
from assets.filters.text import body
from assets.plan import PlannedStep, StagePlan, planned_from
from assets.registry import DETECTORS
from assets.run_context import RunContext
from assets.steps import RowStep, Step, StepOutput, apply_flags

RULE = "benchmark_contamination"


def signal_columns() -> dict[str, pl.DataType]:
    """Every column a registered detector may add, with its type."""
    return {name: dtype for entry in DETECTORS.classes() for name, dtype in entry.columns.items()}


# Detectors whose evidence the verdict spells out below (thresholds, the cascade's figures);
# any other detector, built in or plug-in, gets its declared columns as its evidence.
SPELLED_OUT_EVIDENCE = frozenset({"ngram", "embedding", "lexical", "judge"})


def plugin_evidence() -> dict[str, pl.Expr]:
    """Per detector without spelled-out evidence, where it fired: the other columns it
    declares, as its evidence (so a new detector edits no shared file)."""
    return {
        entry.name: pl.when(pl.col(entry.name)).then(
            pl.struct(*[pl.col(c) for c in entry.columns if c != entry.name])
        )
        for name, entry in zip(DETECTORS.names(), DETECTORS.classes(), strict=True)
        if name not in SPELLED_OUT_EVIDENCE
    }


@dataclass(frozen=True)
class Verdict(RowStep):
    """Drops the rows the verdict rule calls contaminated, with one decision each, and removes
    the detectors' columns from the rows it keeps. `detectors` holds each registered
    detector's config by name, on or off."""

    rule: str
    detectors: Mapping[str, BaseModel]
    name: str = RULE

    def on(self, detector: str) -> Any:
        """The config of `detector` when it is on, else None."""
        config = self.detectors.get(detector)
        return config if config is not None and getattr(config, "enabled", True) else None

    @property
    def model(self) -> str:
        embedding = self.on("embedding")
        return embedding.model if embedding else DEFAULT_EMBEDDING_MODEL

    def signals(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`rows` with every detector's columns (null where a detector is off) and the
        `contaminated` verdict."""
        missing = [
            pl.lit(None, dtype).alias(name)
            for name, dtype in signal_columns().items()
            if name not in rows.columns
        ]
        return rows.with_columns(missing).with_columns(
            rule_expression(self.rule, {n: pl.col(n) for n in DETECTORS.names()}).alias(
                "contaminated"
            )
        )

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        kept = rows.drop([c for c in signal_columns() if c in rows.columns])
        return apply_flags(kept, self.flag(self.signals(rows)))

    def flag(self, signals: pl.DataFrame) -> pl.DataFrame:
        signals = signals.filter(pl.col("contaminated"))
        emb = self.on("embedding")
        cascade = emb.candidates if emb else None
        lex = self.on("lexical")
        judge = self.on("judge")
        ngram = self.on("ngram")
        fired = pl.concat_list(
            [pl.when(pl.col(n)).then(pl.lit(n)) for n in DETECTORS.names()]
        ).list.drop_nulls()
        by_lexical_only = pl.col("lexical") & ~(
            pl.col("embedding") | pl.col("judge").fill_null(False)
        )

        def matched(column: str) -> pl.Expr:
            # The item the verdict rests on: the n-gram match, else the lexical one when only
            # it fired, else the embedding's nearest item.
            return pl.coalesce(
                pl.when(pl.col("ngram")).then(pl.col(f"ng_{column}")),
                pl.when(by_lexical_only).then(pl.col(f"lx_{column}")),
                pl.col(f"nn_{column}"),
                pl.col(f"lx_{column}"),
            )

        return signals.select(
            "row_id",
            pl.lit(self.name).alias("rule"),
            pl.coalesce(
                pl.when(by_lexical_only).then(pl.col("lx_similarity")),
                pl.col("similarity"),
                pl.col("lx_similarity"),
                pl.col("ng_shared").cast(pl.Float64),
            ).alias("score"),
            pl.struct(
                benchmark=matched("benchmark"),
                item_id=matched("item_id"),
                detectors=fired,
                verdict_rule=pl.lit(self.rule),
                ngram=pl.when(pl.col("ngram")).then(
                    pl.struct(
                        benchmark=pl.col("ng_benchmark"),
                        item_id=pl.col("ng_item_id"),
                        n=pl.lit(ngram.n if ngram else None, dtype=pl.Int32),
                        shared_ngrams=pl.col("ng_shared"),
                        example_ngram=pl.col("ng_example"),
                    )
                ),
                embedding=pl.when(pl.col("similarity").is_not_null()).then(
                    pl.struct(
                        benchmark=pl.col("nn_benchmark"),
                        item_id=pl.col("nn_item_id"),
                        similarity=pl.col("similarity"),
                        # Under the cascade the cosine alone decides nothing: no threshold.
                        threshold=pl.lit(
                            emb.threshold if emb and not cascade else None, dtype=pl.Float64
                        ),
                        model=pl.lit(self.model),
                        # The cascade's first-stage score that made the row a candidate.
                        candidate_similarity=pl.col("cand_similarity"),
                        candidate_threshold=pl.lit(
                            cascade.threshold if cascade else None, dtype=pl.Float64
                        ),
                        # The cascade's decision: cosine + share of the item's docstring tokens.
                        coverage=pl.col("coverage"),
                        cascade_score=pl.col("cascade_score"),
                        cascade_threshold=pl.lit(
                            emb.coverage.threshold if cascade else None, dtype=pl.Float64
                        ),
                        # Why this item is named: its late-interaction score with the whole
                        # item, and the next best item's, so a user sees the margin.
                        attribution=pl.col("attribution"),
                        runner_up=pl.when(pl.col("runner_up_item_id").is_not_null()).then(
                            pl.struct(
                                benchmark=pl.col("runner_up_benchmark"),
                                item_id=pl.col("runner_up_item_id"),
                                attribution=pl.col("runner_up_attribution"),
                                cascade_score=pl.col("runner_up_cascade_score"),
                            )
                        ),
                    )
                ),
                lexical=pl.when(pl.col("lx_similarity").is_not_null()).then(
                    pl.struct(
                        benchmark=pl.col("lx_benchmark"),
                        item_id=pl.col("lx_item_id"),
                        similarity=pl.col("lx_similarity"),
                        threshold=pl.lit(lex.threshold if lex else None, dtype=pl.Float64),
                        char_ngrams=pl.lit(
                            f"{lex.min_chars}-{lex.max_chars}" if lex else None, dtype=pl.String
                        ),
                    )
                ),
                judge=pl.when(pl.col("judge_verdict").is_not_null()).then(
                    pl.struct(
                        verdict=pl.col("judge_verdict"),
                        call_id=pl.col("judge_call_id"),
                        candidate_threshold=pl.lit(
                            judge.candidate_threshold if judge else None, dtype=pl.Float64
                        ),
                    )
                ),
                **plugin_evidence(),
            )
            .struct.json_encode()
            .alias("evidence"),
        )


def section_verdict(section: Any) -> Verdict:
    """The verdict step of a recipe's `decontamination` section: its rule over every
    registered detector's config."""
    detectors = {
        name: getattr(section, DETECTORS.get(name).config_key) for name in DETECTORS.names()
    }
    return Verdict(section.verdict_rule, detectors)


def decontamination_plan(section: Any, run: RunContext) -> StagePlan:
    """The detectors in registry order (those the recipe's `decontamination` section turns
    off build no step), then the verdict under the section's rule (`verdict_rule`)."""
    verdict = section_verdict(section)
    return StagePlan(
        "decontaminated",
        (
            *planned_from(
                "detector", DETECTORS, DETECTORS.names(), section, "decontamination", run
            ),
            PlannedStep(
                "verdict", "verdict", "decontamination.rule", {"rule": verdict.rule}, (verdict,)
            ),
        ),
    )


def decontamination_steps(section: Any, run: RunContext) -> list[Step]:
    """The steps of the decontaminated stage, in order (`decontamination_plan`)."""
    return decontamination_plan(section, run).steps


def contamination_signals(rows: pl.DataFrame, steps: list[Step]) -> pl.DataFrame:
    """Per row of `rows`: its text (`content`), each detector's figures and the verdict
    (`contaminated`), nothing dropped: what `steps` (`decontamination_steps`) decide on."""
    *detectors, verdict = steps
    if not isinstance(verdict, Verdict):
        raise ValueError("the last decontamination step must be the verdict")
    rows = rows.with_columns(body().alias("content"))
    for detector in detectors:
        rows = detector.apply(rows).rows
    return verdict.signals(rows)
