"""bench/synthetic_quality/scorers.py: the model scorers on what the defect rules let through.

Runs the rubric judge (embedded SmolLM2-135M by default; `--generator` names any other model,
e.g. an OpenAI-compatible server; criteria from `--criteria`) over the rows of the hand-written set that the demo's filter rules keep, and prints, for each floor on
the judge's mean score, the share of the remaining defective rows it would drop and of the
sound rows it would keep, overall and for self-contradictions. Calls are cached in a warehouse
under `--home`, so a second run costs nothing.

    python bench/synthetic_quality/scorers.py [--split heldout] [--criteria consistency correctness]
        [--home bench/.out/scorers]
        [--generator '{backend: openai, base_url: "http://127.0.0.1:8000/v1", model: NAME}']
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import TypeAdapter, ValidationError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assets.filters.judge_score import JudgeScores, JudgeScoring  # noqa: E402
from assets.models.context import ModelContext  # noqa: E402
from assets.models.generators import GeneratorConfig, LocalModel  # noqa: E402
from assets.recipe.loader import describe_error, parse_recipe  # noqa: E402
from tests.defect_set import defect_rows  # noqa: E402
from warehouse import Warehouse  # noqa: E402


def _bench() -> Any:
    """The gate's bench module (bench/synthetic_quality/__main__.py), for its gate and labels."""
    spec = importlib.util.spec_from_file_location(
        "synthetic_quality_bench", Path(__file__).with_name("__main__.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generator_config(text: str) -> Any:
    """`--generator`'s mapping as a validated model config, or exit naming each key at fault
    as a recipe's errors do (never echoing a `base_url`, which may carry a credential)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SystemExit(f"--generator: not valid YAML: {error}") from None
    try:
        return TypeAdapter(GeneratorConfig).validate_python(data)
    except ValidationError as error:
        lines = "\n".join(describe_error(e) for e in error.errors())
        raise SystemExit(f"--generator: invalid generator\n{lines}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="heldout", choices=["heldout", "tune", "all"])
    parser.add_argument("--criteria", nargs="+", default=["consistency"])
    parser.add_argument("--home", default=str(ROOT / "bench" / ".out" / "scorers"))
    parser.add_argument(
        "--generator",
        default=None,
        help="the judge's model as a recipe's `generator` mapping in YAML or JSON; default: "
        "the embedded SmolLM2-135M",
    )
    args = parser.parse_args()
    generator = generator_config(args.generator) if args.generator else LocalModel()

    demo = ROOT / "assets" / "data" / "demo_recipe.yaml"
    recipe = parse_recipe(demo.read_text(encoding="utf-8"), str(demo))
    bench = _bench()
    rows = defect_rows(split=None if args.split == "all" else args.split)
    judged = bench.evaluate(rows, bench.gate_steps(recipe.filters, True, True))
    passed = judged.filter(~pl.col("dropped"))
    print(f"{passed.height} of {rows.height} rows pass the rules; judging them ({args.criteria})")

    home = Path(args.home)
    home.mkdir(parents=True, exist_ok=True)
    config = JudgeScoring(
        enabled=True,
        generator=generator,
        criteria=args.criteria,
        kinds=["instruction", "preference", "conversation"],
    )
    judge = JudgeScores(config, ModelContext(Warehouse(home), "bench-scorers"))
    extra = (*bench.LABEL_COLUMNS, "rule", "evidence", "dropped", "policy_only")
    scored = judge.apply(passed.drop([c for c in passed.columns if c in extra])).rows
    labelled = scored.select("row_id", "judge_score").join(
        passed.select("row_id", "label", "category"), on="row_id"
    )
    print(
        labelled.group_by("label", "category")
        .agg(pl.col("judge_score").mean().round(2), pl.len())
        .sort("label", "category")
    )
    for floor in (2.0, 3.0, 4.0):
        below = pl.col("judge_score") < floor
        defect = labelled.filter(pl.col("label") == "defect")
        sound = labelled.filter(pl.col("label") == "sound")
        contradictions = defect.filter(pl.col("category") == "self_contradiction")
        print(
            f"floor {floor}: defective dropped {defect.select(below.mean()).item():.3f} "
            f"({defect.height}), self-contradictions dropped "
            f"{contradictions.select(below.mean()).item() or 0:.3f} ({contradictions.height}), "
            f"sound kept {1 - (sound.select(below.mean()).item() or 0):.3f} ({sound.height})"
        )
    print(f"RESULT judge_new_calls {judge.session.new_calls} target 0 lower")


if __name__ == "__main__":
    main()
