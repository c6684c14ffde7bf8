"""Benchmark contamination: four detectors combined by the recipe's verdict rule.

- `ngram`: the row shares a word n-gram with a benchmark item (exact copies, light edits);
- `embedding`: the row's nearest benchmark item (top-1 cosine) reaches the threshold
  (rephrasings that share no long n-gram: Yang et al., 2023);
- `lexical`: the row's nearest item by character n-gram TF-IDF cosine reaches its threshold
  (rephrasings that keep the task's rare words; the embedding misses some of those);
- `judge`: an LLM says the row and its nearest item are the same problem; asked only for pairs
  at or above the judge's candidate threshold, and only where its answer can change the verdict.

Each dropped row gets one decision (rule `benchmark_contamination`) whose evidence names the
benchmark, item, the detectors that fired and each detector's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from assets.decontamination.embedding import NEAREST_SCHEMA, nearest_items
from assets.decontamination.judge import VERDICT_SCHEMA, Judge
from assets.decontamination.lexical import LEXICAL_SCHEMA, nearest_lexical
from assets.decontamination.ngram import NgramOverlap
from assets.decontamination.verdict import rule_expression
from assets.embeddings import DEFAULT_EMBEDDING_MODEL
from assets.filters.base import body
from assets.models.context import ModelContext
from assets.recipe.root import DecontaminationConfig
from assets.spark_session import SparkConfig

RULE = "benchmark_contamination"
DETECTORS = ("ngram", "embedding", "lexical", "judge")


@dataclass
class Decontaminator:
    benchmarks: pl.DataFrame
    config: DecontaminationConfig
    ctx: ModelContext
    spark: SparkConfig | None = None
    name: str = RULE
    judge_calls: int = field(default=0, init=False)
    judged_pairs: int = field(default=0, init=False)

    @property
    def model(self) -> str:
        return self.config.embedding.model if self.config.embedding else DEFAULT_EMBEDDING_MODEL

    def signals(self, rows: pl.DataFrame) -> pl.DataFrame:
        """One line per row: each detector's match and figures, and the `contaminated` verdict."""
        corpus = rows.select("row_id", body().alias("content"))
        ngram = (
            NgramOverlap(
                self.benchmarks,
                n=self.config.ngram_size,
                backend=self.config.ngram_backend,
                spark=self.spark,
            )
            .matches(corpus)
            .rename(
                {
                    "benchmark": "ng_benchmark",
                    "item_id": "ng_item_id",
                    "shared": "ng_shared",
                    "example": "ng_example",
                }
            )
        )
        if self.config.embedding or self.config.judge:
            nearest = nearest_items(self.ctx.wh, corpus, self.benchmarks, self.model)
        else:
            nearest = pl.DataFrame(schema=NEAREST_SCHEMA)
        lex = self.config.lexical
        lexical = (
            nearest_lexical(corpus, self.benchmarks, lex)
            if lex
            else pl.DataFrame(schema=LEXICAL_SCHEMA)
        )
        frame = (
            corpus.join(ngram, on="row_id", how="left")
            .join(nearest, on="row_id", how="left")
            .join(lexical, on="row_id", how="left")
        )
        emb = self.config.embedding
        frame = frame.with_columns(
            pl.col("ng_shared").is_not_null().alias("ngram"),
            (pl.col("similarity") >= emb.threshold if emb else pl.lit(False)).alias("embedding"),
            (pl.col("lx_similarity") >= lex.threshold if lex else pl.lit(False)).alias("lexical"),
        )
        rule = self.config.verdict_rule
        judge = self.config.judge
        verdicts = pl.DataFrame(schema=VERDICT_SCHEMA)
        if judge is not None:
            columns = {n: pl.col(n) for n in ("ngram", "embedding", "lexical")}
            # The judge is worth a call only where its answer decides the verdict.
            decides = rule_expression(rule, {**columns, "judge": pl.lit(True)}) != rule_expression(
                rule, {**columns, "judge": pl.lit(False)}
            )
            items = self.benchmarks.select(
                pl.col("benchmark").alias("nn_benchmark"),
                pl.col("item_id").alias("nn_item_id"),
                pl.col("text").alias("item_text"),
            ).unique(["nn_benchmark", "nn_item_id"], keep="first", maintain_order=True)
            pairs = (
                frame.filter(decides & (pl.col("similarity") >= judge.candidate_threshold))
                .join(items, on=["nn_benchmark", "nn_item_id"], how="left")
                .sort("row_id")
            )
            runner = Judge(judge)
            verdicts = runner.judge(pairs, self.ctx)
            self.judge_calls += runner.calls
            self.judged_pairs += pairs.height
        frame = frame.join(verdicts, on="row_id", how="left").with_columns(
            (pl.col("judge_verdict") == "yes").alias("judge")
        )
        return frame.with_columns(
            rule_expression(rule, {n: pl.col(n) for n in DETECTORS}).alias("contaminated")
        )

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        signals = self.signals(rows).filter(pl.col("contaminated"))
        emb = self.config.embedding
        lex = self.config.lexical
        judge = self.config.judge
        fired = pl.concat_list(
            [pl.when(pl.col(n)).then(pl.lit(n)) for n in DETECTORS]
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
                verdict_rule=pl.lit(self.config.verdict_rule),
                ngram=pl.when(pl.col("ngram")).then(
                    pl.struct(
                        benchmark=pl.col("ng_benchmark"),
                        item_id=pl.col("ng_item_id"),
                        n=pl.lit(self.config.ngram_size),
                        shared_ngrams=pl.col("ng_shared"),
                        example_ngram=pl.col("ng_example"),
                    )
                ),
                embedding=pl.when(pl.col("similarity").is_not_null()).then(
                    pl.struct(
                        benchmark=pl.col("nn_benchmark"),
                        item_id=pl.col("nn_item_id"),
                        similarity=pl.col("similarity"),
                        threshold=pl.lit(emb.threshold if emb else None, dtype=pl.Float64),
                        model=pl.lit(self.model),
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
            )
            .struct.json_encode()
            .alias("evidence"),
        )
