"""bench/samplers: what attribute samplers add to a row, in µs, through the path a method
takes (`MethodAttributes.draw`: the hash behind each draw, the conditional order, the mapping
of attributes to samplers), with the bundled persona file and topic tree and a 3x4 grid of a
category and a conditional subcategory, a range and a seed field: six attributes a row, more
than a recipe usually steers. Building the samplers (reading the files) is timed apart, once
per method run. The fastest of `--repeats` runs is reported (as `timeit` does: on a
shared machine the slower runs measure the neighbours), the median beside it.

    python bench/samplers [--rows 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assets.synthesis.attributes import MethodAttributes  # noqa: E402
from assets.synthesis.samplers.config import SamplerConfig  # noqa: E402

TARGET_US = 20.0
SAMPLERS = {
    "difficulty": {"type": "category", "values": {"easy": 2, "medium": 1, "hard": 1}},
    "subject": {
        "type": "subcategory",
        "of": "difficulty",
        "values": {
            "easy": ["a", "b", "c", "d"],
            "medium": ["e", "f", "g", "h"],
            "hard": {"i": 1, "j": 2, "k": 3, "l": 4},
        },
    },
    "steps": {"type": "range", "low": 1, "high": 8},
    "persona": {"type": "persona", "path": "bundled:personas.jsonl"},
    "topic": {"type": "taxonomy", "path": "bundled:topics.yaml"},
    "task": {"type": "seed_field", "field": "task_type"},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    adapter = TypeAdapter(SamplerConfig)
    configs = {name: adapter.validate_python(c) for name, c in SAMPLERS.items()}
    attributes = {name: name for name in SAMPLERS}
    seed_row = {"task_type": "open_qa"}
    with tempfile.TemporaryDirectory() as home:
        start = time.perf_counter()
        method = MethodAttributes("self_instruct", attributes, configs, Path(home), 7)
        build_ms = (time.perf_counter() - start) * 1e3
        timings = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            for index in range(args.rows):
                method.draw(str(index), seed_row)
            timings.append((time.perf_counter() - start) / args.rows * 1e6)
    per_row, median = min(timings), statistics.median(timings)
    print(f"samplers: {len(attributes)} attributes a row, {args.rows} rows x {args.repeats}")
    print(f"build (files read): {build_ms:.1f} ms once per method run")
    print(
        f"per row: {per_row:.2f} µs, median {median:.2f} (runs: {', '.join(f'{t:.2f}' for t in timings)})"
    )
    print(f"per draw: {per_row / len(attributes):.2f} µs")
    print(f"RESULT sampler_us_per_row {per_row:.2f} target {TARGET_US:g} lower")


if __name__ == "__main__":
    main()
