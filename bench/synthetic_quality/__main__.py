"""bench/synthetic_quality: the filtered stage's rules on the hand-written set of synthetic rows
with and without defects (tests/data/synthetic_defects.jsonl), held-out half by default.

Prints each rule's precision (the share of the rows it dropped that are defective) and the
recall of each defect category (the share of its rows the whole gate dropped, and which rules
dropped them), the whole gate's share of defective rows dropped and of sound rows kept, the
sound rows dropped and the defective rows kept (to read), and the rules' speed: rows/s and
microseconds a row over the rows of the set repeated to `--speed-rows`, against the same
stage without the defect rules (the baseline), measured side by side, streamed in batches of
a recipe's default size (`streaming.batch_rows`).

    python bench/synthetic_quality [--split heldout|tune|all] [--speed-rows 50000]
        [--batch p6-] [--no-embedding] [--show 30] [--cpu] [--batch-rows 50000]

The gate is the demo recipe's `filters` block with dedup left out (a defect is a property of
a row; the set repeats prompts on purpose) and the model scorers off, as in the demo.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assets.filters.pipeline import filtered_steps  # noqa: E402
from assets.recipe.loader import parse_recipe  # noqa: E402
from assets.recipe.root import DedupConfig  # noqa: E402
from assets.registry import FILTERS  # noqa: E402
from assets.run_context import RunContext  # noqa: E402
from assets.stream import StreamingConfig, run_steps  # noqa: E402
from tests.defect_set import LABELS, defect_rows, without_labels  # noqa: E402

DEFECT_MODULE = "assets.filters.defects"
# The rules pay a fixed cost a batch (Polars holds 32 compiled patterns a thread and the rules
# search with some 400, so each batch compiles them again): the figure the cost target speaks
# of is the one a recipe streams at, its default batch.
RECIPE_BATCH_ROWS = StreamingConfig().batch_rows


def gate_steps(recipe_filters: object, with_defect_rules: bool, embedding: bool) -> list:
    filters = recipe_filters.model_copy(  # type: ignore[attr-defined]
        update={"code_verify": recipe_filters.code_verify.model_copy(update={"enabled": False})}  # type: ignore[attr-defined]
    )
    if not embedding:
        filters = filters.model_copy(
            update={"off_topic": filters.off_topic.model_copy(update={"enabled": False})}
        )
    steps = [
        s
        for s in filtered_steps(filters, DedupConfig(), RunContext())
        if s.name in FILTERS.names() or _defect(s)
    ]
    # Dedup and scores are corpus steps registered elsewhere: a defect is a row's own.
    steps = [
        s
        for s in steps
        if type(s).__module__.startswith("assets.filters") and "dedup" not in type(s).__module__
    ]
    if not with_defect_rules:
        steps = [s for s in steps if not _defect(s)]
    return steps


def _defect(step: object) -> bool:
    return type(step).__module__.startswith(DEFECT_MODULE)


# The recipe's language allowlist is a policy, not a defect rule: a question wholly in Spanish
# answered in Spanish is sound data that an English-only recipe drops on purpose.
POLICY_RULES = ("language.not_allowed",)


def evaluate(rows: pl.DataFrame, steps: list) -> pl.DataFrame:
    """Per row of the set: dropped or not, by which rule (the first that dropped it), and
    whether only the language policy dropped it."""
    out = run_steps(without_labels(rows), steps, "filtered")
    drops = out.decisions.filter(pl.col("action") == "drop")
    first = drops.unique("row_id", keep="first", maintain_order=True)
    policy_only = drops.group_by("row_id").agg(
        pl.col("rule").is_in(POLICY_RULES).all().alias("policy_only")
    )
    return (
        rows.join(first.select("row_id", "rule", "evidence"), on="row_id", how="left")
        .join(policy_only, on="row_id", how="left")
        .with_columns(
            pl.col("rule").is_not_null().alias("dropped"),
            pl.col("policy_only").fill_null(False),
        )
    )


LABEL_COLUMNS = LABELS


def report(judged: pl.DataFrame, show: int) -> dict[str, float]:
    defective = judged.filter(pl.col("label") == "defect")
    sound = judged.filter(pl.col("label") == "sound")
    print(f"rows {judged.height}: {defective.height} defective, {sound.height} sound\n")
    print("rule precision (rows it dropped that are defective):")
    by_rule = (
        judged.filter(pl.col("dropped"))
        .group_by("rule")
        .agg(pl.len().alias("dropped"), (pl.col("label") == "defect").sum().alias("defective"))
        .with_columns((pl.col("defective") / pl.col("dropped")).round(3).alias("precision"))
        .sort("rule")
    )
    for rule, dropped, bad, precision in by_rule.iter_rows():
        print(f"  {rule:28s} {precision:6.3f}  ({bad}/{dropped})")
    print("\ncategory recall (its defective rows the gate dropped; by which rules):")
    by_category = (
        defective.group_by("category")
        .agg(
            pl.len().alias("rows"),
            pl.col("dropped").sum().alias("dropped"),
            pl.col("rule").drop_nulls().value_counts(sort=True).alias("rules"),
        )
        .with_columns((pl.col("dropped") / pl.col("rows")).round(3).alias("recall"))
        .sort("category")
    )
    for category, rows, dropped, rules, recall in by_category.iter_rows():
        named = ", ".join(f"{r['rule']} {r['count']}" for r in rules)
        print(f"  {category:24s} {recall:6.3f}  ({dropped}/{rows})  {named}")
    dropped_share = defective["dropped"].mean() or 0.0
    kept_share = 1 - (sound["dropped"].mean() or 0.0)
    print(f"\ngate: defective rows dropped {dropped_share:.3f}, sound rows kept {kept_share:.3f}")
    by_policy = sound.filter(pl.col("policy_only")).height
    if by_policy:
        # Reported beside the headline, never instead of it: the headline counts every drop.
        rest = sound.filter(~pl.col("policy_only"))
        print(
            f"  {by_policy} sound rows were dropped only by the recipe's language allowlist "
            f"({', '.join(POLICY_RULES)}); of the other {rest.height} sound rows "
            f"{1 - (rest['dropped'].mean() or 0.0):.3f} were kept"
        )
    for title, frame in (
        ("sound rows dropped", sound.filter(pl.col("dropped"))),
        ("defective rows kept", defective.filter(~pl.col("dropped"))),
    ):
        print(f"\n{title} ({frame.height}):")
        for record in frame.head(show).iter_rows(named=True):
            text = record["instruction"] or (record["text"] or "")[:200]
            print(
                f"  {record['id']} [{record['category']}] {record['rule'] or ''} :: {text[:110]!r}"
            )
    worst = by_rule["precision"].min() if by_rule.height else 1.0
    return {"dropped": dropped_share, "kept": kept_share, "min_precision": worst or 0.0}


def speed(
    rows: pl.DataFrame,
    steps: list,
    baseline: list,
    size: int,
    rounds: int,
    cpu: bool = False,
    batch_rows: int = RECIPE_BATCH_ROWS,
) -> tuple[float, float]:
    """Median seconds of the stage with and without the defect rules, side by side: wall
    clock, or with `cpu` the process's CPU time (all threads), which other work on a shared
    machine does not inflate."""
    clock = time.process_time if cpu else time.perf_counter
    base = without_labels(rows)
    repeats = max(1, size // base.height)
    big = pl.concat([base] * repeats).with_columns(
        (pl.col("row_id") + pl.int_range(pl.len()).cast(pl.String)).alias("row_id")
    )
    ours, theirs = [], []
    for _ in range(rounds):
        for target, sink in ((steps, ours), (baseline, theirs)):
            start = clock()
            run_steps(big, target, "filtered", batch_rows=batch_rows)
            sink.append(clock() - start)
    return statistics.median(ours), statistics.median(theirs), big.height  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", default="heldout", choices=["heldout", "tune", "all"])
    parser.add_argument("--speed-rows", type=int, default=RECIPE_BATCH_ROWS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-embedding", action="store_true", help="off_topic off (no model)")
    parser.add_argument("--show", type=int, default=40)
    parser.add_argument(
        "--batch",
        metavar="PREFIX",
        help="only rows whose id starts with PREFIX (e.g. p6-: one blind batch of the split)",
    )
    parser.add_argument(
        "--cpu", action="store_true", help="time by CPU seconds (a shared, loaded machine)"
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=RECIPE_BATCH_ROWS,
        help="rows per stream batch in the speed runs (default: a recipe's, "
        f"{RECIPE_BATCH_ROWS:,}; each batch pays the steps' fixed cost)",
    )
    args = parser.parse_args()

    demo = ROOT / "assets" / "data" / "demo_recipe.yaml"
    recipe = parse_recipe(demo.read_text(encoding="utf-8"), str(demo))
    rows = defect_rows(split=None if args.split == "all" else args.split)
    if args.batch:
        rows = rows.filter(pl.col("id").str.starts_with(args.batch))
        if rows.is_empty():
            parser.error(f"no row of split {args.split} has an id starting with {args.batch!r}")
    steps = gate_steps(recipe.filters, True, not args.no_embedding)
    batch = f", ids {args.batch}*" if args.batch else ""
    print(
        f"split {args.split}{batch} ({rows.height} rows); steps: {', '.join(s.name for s in steps)}\n"
    )
    figures = report(evaluate(rows, steps), args.show)

    # Speed without off_topic's model: the rules' own cost per row (the embedding is paid per
    # candidate and reported by its own figure, the candidate share).
    cheap = gate_steps(recipe.filters, True, False)
    baseline = gate_steps(recipe.filters, False, False)
    ours, theirs, height = speed(
        rows, cheap, baseline, args.speed_rows, args.rounds, args.cpu, args.batch_rows
    )
    added_us = (ours - theirs) / height * 1e6
    print(
        f"\nspeed over {height} rows in batches of {args.batch_rows:,} (median of {args.rounds}, "
        f"{'CPU' if args.cpu else 'wall-clock'} time): with the defect rules "
        f"{height / ours:,.0f} rows/s, without {height / theirs:,.0f} rows/s; "
        f"the rules add {added_us:.1f} us a row"
    )
    print(f"RESULT synthetic_defects_dropped {figures['dropped']:.3f} target 0.90 higher")
    print(f"RESULT synthetic_sound_kept {figures['kept']:.3f} target 0.97 higher")
    print(f"RESULT synthetic_min_rule_precision {figures['min_precision']:.3f} target 0.90 higher")
    print(f"RESULT defect_rules_us_per_row {added_us:.1f} target 150 lower")


if __name__ == "__main__":
    main()
