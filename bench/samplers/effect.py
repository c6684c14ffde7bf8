"""bench/samplers/effect.py: does steering self-instruct with a topic x persona sampler make
fewer candidates that copy what the pool already has? The embedded SmolLM2-135M writes
`--instructions` candidates from the same bundled seeds twice, at the same call budget: once
with the stock template, once with `self_instruct_steered` and a topic (bundled taxonomy) and
persona (bundled file) drawn per candidate. Only the instruction phase runs (the responses do
not change the screens); each arm reports its candidates rejected as `rouge_l_similar` and
the embedding dispersion (all-MiniLM-L6-v2) of the instructions it keeps.

    python bench/samplers/effect.py [--instructions 200] [--home DIR]

`--home` keeps the call log (and so the cache) in DIR: a re-run, or a run with more
instructions, asks the model only what it has not asked yet (candidates are keyed by index).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import polars as pl
from pydantic import TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assets.embeddings import Embedder  # noqa: E402
from assets.synthesis.attributes import MethodAttributes  # noqa: E402
from assets.synthesis.context import SynthesisContext  # noqa: E402
from assets.synthesis.methods.self_instruct import (  # noqa: E402
    SelfInstruct,
    SelfInstructMethod,
    blacklist_pattern,
    clean_instruction,
)
from assets.synthesis.model_run import ModelRun  # noqa: E402
from assets.synthesis.samplers.config import SamplerConfig  # noqa: E402
from assets.synthesis.similarity import RougePool  # noqa: E402
from quality.diversity import dispersion  # noqa: E402
from warehouse import Warehouse  # noqa: E402
from warehouse.rows import conform, with_row_ids  # noqa: E402

TARGET_FEWER = 0.25
SAMPLERS = {
    "topics": {"type": "taxonomy", "path": "bundled:topics.yaml"},
    "personas": {"type": "persona", "path": "bundled:personas.jsonl"},
}


def arm(home: Path, seeds: pl.DataFrame, n: int, steered: bool, embedder: Embedder) -> dict:
    adapter = TypeAdapter(SamplerConfig)
    config = SelfInstruct(
        method="self_instruct",
        num_instructions=n,
        instruction_sampling={"temperature": 0.9, "top_p": 0.95, "max_tokens": 64, "seed": 7},
        **(
            {
                "instruction_template": "self_instruct_steered",
                "attributes": {"topic": "topics", "persona": "personas"},
            }
            if steered
            else {}
        ),
    )
    ctx = SynthesisContext(
        wh=Warehouse(home),
        run_id="bench",
        created_at=datetime(2026, 1, 1),
        random_seed=7,
        samplers={k: adapter.validate_python(v) for k, v in SAMPLERS.items()},
    )
    method = SelfInstructMethod(config)
    pool = method._pool(seeds)
    run = ModelRun(method.name, ctx)
    attributes = MethodAttributes(method.name, config.attributes, ctx.samplers, ctx.wh.home, 7)
    model = run.model(config.generator, [method.instruction_template], attributes.params())
    instructions = pool["instruction"].to_list()
    drawn = method._draw_examples(ctx, len(instructions))
    sampled = [attributes.draw(str(i)) for i in range(n)]
    calls = model.complete_many(
        [
            (method._instruction_prompt(picks, instructions, sampled[i]), i)
            for i, picks in enumerate(drawn)
        ],
        config.instruction_sampling,
    )
    rouge = RougePool(instructions, above=config.max_rouge_l)
    blacklist = blacklist_pattern(config.blacklist)
    rules: Counter = Counter()
    kept = []
    for index, call in enumerate(calls):
        text, more = clean_instruction(call.text)
        rule, _, _ = method._screen(text, more, call, drawn[index], instructions, rouge, blacklist)
        rules[rule or "kept"] += 1
        if not rule:
            kept.append(text)
            rouge.add(text)
    spread = dispersion(embedder.encode(kept)) if kept else {}
    return {"rules": dict(rules), "kept": len(kept), "dispersion": spread}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instructions", type=int, default=200)
    parser.add_argument("--home", type=Path, default=None, help="keep the call cache here")
    args = parser.parse_args()
    data = Path(__file__).resolve().parents[2] / "assets" / "data" / "demo_seeds.jsonl"
    frame = pl.read_ndjson(data).select("task_type", "instruction", "input", "response")
    seeds = with_row_ids(conform(frame.with_columns(pl.lit("instruction").alias("kind"))))
    embedder = Embedder()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or Path(scratch)
        plain = arm(home, seeds, args.instructions, False, embedder)
        steered = arm(home, seeds, args.instructions, True, embedder)
    n = args.instructions
    print(f"{n} candidates per arm from the same seeds, {n} instruction calls each")
    print(f"{'':28}{'plain':>12}{'steered':>12}")
    for rule in sorted(set(plain["rules"]) | set(steered["rules"])):
        print(f"{rule:28}{plain['rules'].get(rule, 0):>12}{steered['rules'].get(rule, 0):>12}")
    similar = [r["rules"].get("rouge_l_similar", 0) for r in (plain, steered)]
    print(f"{'rouge_l_similar share':28}{similar[0] / n:>12.3f}{similar[1] / n:>12.3f}")
    spread = [r["dispersion"].get("mean_pairwise_cosine_distance", 0.0) for r in (plain, steered)]
    print(f"{'kept: pairwise cos distance':28}{spread[0]:>12.4f}{spread[1]:>12.4f}")
    centroid = [r["dispersion"].get("mean_distance_to_centroid", 0.0) for r in (plain, steered)]
    print(f"{'kept: distance to centroid':28}{centroid[0]:>12.4f}{centroid[1]:>12.4f}")
    print(f"elapsed {time.perf_counter() - started:.0f} s")
    fewer = (similar[0] - similar[1]) / similar[0] if similar[0] else 0.0
    print(f"RESULT sampler_rouge_rejections_fewer {fewer:.3f} target {TARGET_FEWER} higher")
    print(
        f"RESULT steered_rouge_l_similar_share {similar[1] / n:.3f} target {similar[0] / n:.3f} lower"
    )
    print(f"RESULT steered_kept_dispersion {spread[1]:.4f} target {spread[0]:.4f} higher")


if __name__ == "__main__":
    main()
