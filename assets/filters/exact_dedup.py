"""Exact deduplication on aggressively normalized text; the smallest row_id of a group stays."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from assets.rows import hash_ids


def dedup_key(column: str) -> pl.Expr:
    """NFKC, case folding, punctuation and symbols dropped, whitespace folded."""
    return (
        pl.col(column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


@dataclass(frozen=True)
class ExactDedup:
    name: str = "exact_duplicate"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        keys = rows.select(
            pl.concat_str(
                [
                    pl.col("kind"),
                    *[dedup_key(c) for c in ("instruction", "input", "response", "text")],
                ],
                separator="\x1f",
            )
        ).to_series()
        keyed = rows.select("row_id").with_columns(hash_ids(keys).alias("dedup_hash"))
        representative = pl.col("row_id").min().over("dedup_hash")
        return (
            keyed.with_columns(representative.alias("duplicate_of"))
            .filter(pl.col("row_id") != pl.col("duplicate_of"))
            .select(
                "row_id",
                pl.lit(self.name).alias("rule"),
                pl.lit(1.0).alias("score"),
                pl.struct(
                    duplicate_of=pl.col("duplicate_of"),
                    dedup_hash=pl.col("dedup_hash"),
                    method=pl.lit("exact"),
                )
                .struct.json_encode()
                .alias("evidence"),
            )
        )
