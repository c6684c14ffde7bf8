"""bench/garbled_term: the precision of `garbled_term` on the hand-written defect set.

The set's rows carry no reference text (`answer`), so the rule reads none of them as the
filtered stage sees them: the first figure says how many it could read. To judge its
precision on sound answers written by hand, each sound row is also judged against other sound
answers taken as its reference text (a response, or a conversation's assistant turns):

- `same_prompt`: every other row on its prompt (two hand-written answers to one question are
  two phrasings of it);
- `shared_name`: every other sound answer, of any prompt, whose text holds a named term whose
  name the row's answer mentions (the pairs where the rule has something to compare).

Both answers are sound, so any drop is a false one; without the rule nothing is dropped.
Printed per pairing: pairs, pairs with a named term, pairs whose answer names it, the drops
with their evidence.

    python bench/garbled_term [--split heldout|tune|all]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assets.filters.defects.units import units  # noqa: E402
from assets.filters.reference_terms import GarbledTerm, reference_terms  # noqa: E402
from tests.defect_set import defect_rows, without_labels  # noqa: E402


def prompts(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, prompt, reply`: each row's request (an instruction, a conversation's first
    user turn) and its answer text (a response, or the assistant turns joined)."""
    parts = units(rows, ("instruction", "response", "messages"), ("user", "assistant"))
    first_user = (
        parts.filter(pl.col("role") == "user")
        .sort("row_id", "turn", nulls_last=False)
        .group_by("row_id", maintain_order=True)
        .agg(pl.col("text").first().alias("prompt"))
    )
    replies = (
        parts.filter(pl.col("role") == "assistant")
        .sort("row_id", "turn", nulls_last=False)
        .group_by("row_id", maintain_order=True)
        .agg(pl.col("text").str.join("\n\n").alias("reply"))
    )
    return first_user.join(replies, on="row_id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["heldout", "tune", "all"], default="tune")
    args = parser.parse_args()
    rows = defect_rows(split=None if args.split == "all" else args.split)
    rule = GarbledTerm()

    readable = rows.filter(pl.col("answer").is_not_null()).height
    as_is = rule.flag(without_labels(rows))
    sound = rows.filter(pl.col("label") == "sound")

    texts = prompts(rows)
    sound_texts = texts.join(sound.select("row_id"), on="row_id")
    # Each sound row against each other row of its prompt, as its reference text.
    same_prompt = (
        sound_texts.join(
            texts.select("prompt", pl.col("row_id").alias("ref_id"), pl.col("reply").alias("ref")),
            on="prompt",
        )
        .filter(pl.col("row_id") != pl.col("ref_id"))
        .select("row_id", "ref_id", "ref")
    )
    # And against every other sound answer, of any prompt, whose reference holds a named term
    # the row's answer names: the pairs where the rule has something to compare.
    named = reference_terms(sound_texts.select("row_id", pl.col("reply").alias("answer"))).select(
        pl.col("row_id").alias("ref_id"), pl.col("name").str.to_lowercase().alias("_n")
    )
    shared_name = (
        sound_texts.join(named, how="cross")
        .filter(
            (pl.col("row_id") != pl.col("ref_id"))
            & pl.col("reply").str.to_lowercase().str.contains(pl.col("_n"), literal=True)
        )
        .select("row_id", "ref_id")
        .unique()
        .join(
            sound_texts.select(pl.col("row_id").alias("ref_id"), pl.col("reply").alias("ref")),
            on="ref_id",
        )
    )

    print(f"split {args.split}: {rows.height} rows ({sound.height} sound)")
    print(f"rows carrying a reference text (answer): {readable}; rows dropped: {as_is.height}")
    results = {}
    for label, pairs in (("same_prompt", same_prompt), ("shared_name", shared_name)):
        judged, with_terms, compared, drops = judge(rule, rows, pairs)
        print(
            f"{label}: sound rows judged against another answer as reference: {judged.height} "
            f"pairs ({pairs['row_id'].n_unique()} sound rows); the reference holds a named term "
            f"in {with_terms}, and the answer names that term's name in {compared}; "
            f"dropped: {drops.height} (without the rule: 0)"
        )
        for row_id, evidence in drops.select("row_id", "evidence").iter_rows():
            print(f"  {row_id}: {evidence}")
        results[label] = drops
    print(f"RESULT garbled_term_rows_dropped_as_is {as_is.height} target 0 lower")
    for label, drops in results.items():
        kept = 1 - drops["row_id"].str.split("~").list.first().n_unique() / max(sound.height, 1)
        print(f"RESULT garbled_term_{label}_sound_pairs_dropped {drops.height} target 0 lower")
        print(f"RESULT garbled_term_{label}_sound_kept {kept:.3f} target 1.000 higher")


def judge(
    rule: GarbledTerm, rows: pl.DataFrame, pairs: pl.DataFrame
) -> tuple[pl.DataFrame, int, int, pl.DataFrame]:
    """Each (row, reference) pair as a row whose `answer` is the reference: the rows, how many
    hold a named term in their reference, how many name it in their answer, and the drops."""
    judged = (
        without_labels(rows)
        .join(pairs.select("row_id", "ref_id", "ref"), on="row_id")
        .with_columns(
            pl.col("ref").alias("answer"),
            pl.format("{}~{}", pl.col("row_id"), pl.col("ref_id")).alias("row_id"),
        )
        .drop("ref_id", "ref")
    )
    terms = reference_terms(judged)
    replies = judged.select("row_id", pl.col("response").fill_null(pl.col("text")).alias("reply"))
    compared = (
        terms.join(replies, on="row_id")
        .filter(
            pl.col("reply")
            .str.to_lowercase()
            .str.contains(pl.col("name").str.to_lowercase(), literal=True)
        )
        .select("row_id")
        .unique()
        .height
    )
    return judged, terms.select("row_id").unique().height, compared, rule.flag(judged)


if __name__ == "__main__":
    main()
