"""Every model-calling method without `attributes` asks, records and keeps exactly what it did
before methods took attributes (the golden demo depends on it): its config's dump (the recipe
hash), the request hashes of its calls, its generators (templates and parameters), its rows
(ids, lineage, attributes) and its decisions, each compared by sha256 with
tests/data/unsteered_methods.json, recorded before the change.

The calls go to a loopback OpenAI-compatible server whose answers depend only on the prompt;
Magpie's prefix-only drawer is the embedded SmolLM2 (it takes local models only). Recorded
with `python -m tests.flow.test_unsteered_methods` (only when a change means to move them)."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from assets.registry import METHODS
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.methods.base import build_method
from tests.servers import Fault, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

FIXTURE = Path(__file__).parents[1] / "data" / "unsteered_methods.json"

# Seeds every method finds material in: questions with answers, open questions, coding
# tasks, tool tasks and documents (one with a code block).
SEED_ROWS = [
    ("instruction", "math", "What is 12 + 30?", None, "42"),
    ("instruction", "math", "A box holds 6 rows of 7 eggs. How many eggs are in it?", None, "42"),
    ("instruction", "math", "What is 9 times 9?", None, "81"),
    ("instruction", "open_qa", "Why is the sky blue during the day?", None, None),
    ("instruction", "open_qa", "How do bees make honey from nectar?", None, None),
    ("instruction", "open_qa", "What causes the seasons on Earth?", None, None),
    ("instruction", "coding", "Write a Python function that reverses a string.", None, None),
    ("instruction", "tool_use", "What is 17 times 23?", None, None),
    ("instruction", "tool_use", "Convert 5 kilometers to miles.", None, None),
    (
        "document",
        None,
        None,
        "Honey bees collect nectar from flowers and store it in their honey stomachs. Back in "
        "the hive they pass it to other bees, who chew it and add enzymes. The bees then spread "
        "it over the comb, where water evaporates until the nectar thickens into honey. Finally "
        "they seal each cell with wax, keeping the honey clean for the winter months.",
        None,
    ),
    (
        "document",
        None,
        None,
        "A helper that adds two numbers:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
        "It is used across the billing module to total invoices before tax is applied.",
        None,
    ),
]

# Each method's recipe entry (its generators added by `_config`), small but reaching every
# template: attempts that fail and are repaired, both styles, judges.
METHOD_CONFIGS: dict[str, dict[str, Any]] = {
    "self_instruct": {"num_instructions": 6, "examples_per_prompt": 2},
    "evol_instruct": {"num_instructions": 3, "rounds": 2},
    "rephrase": {"styles": ["plain", "qa"], "kinds": ["document", "instruction"], "max_sources": 3},
    "verified_cot": {"samples_per_problem": 2},
    "grounded_qa": {"questions_per_passage": 2, "min_support": 0.2, "judge": "http"},
    "preference_pairs": {
        "max_instructions": 3,
        "generators": [
            {"template": "self_instruct_response"},
            {"template": "concise_response"},
        ],
        "responses_per_generator": 1,
    },
    "back_translation": {"max_instructions": 4, "min_similarity": 0.1},
    "tool_use": {"tools": ["calculator", "convert_units"]},
    "self_chat": {"turns": 2, "personas": ["a pilot", "a baker"]},
    "magpie": {
        "num_instructions": 2,
        "instruction_sampling": {"temperature": 1.0, "max_tokens": 80, "seed": 7},
    },
    "code_instruct": {"repair_attempts": 1},
    "program_of_thought": {"repair_attempts": 1},
    "constrained_instruct": {
        "max_instructions": 6,
        "attempts": 2,
        "constraints": {"kinds": ["lowercase", "no_commas"], "max_constraints": 1},
    },
    "critique_revise": {
        "max_instructions": 3,
        "principles": ["Answer only what was asked."],
        "preference": "checks",
        "constraints": {"kinds": ["lowercase", "no_commas"], "max_constraints": 1},
    },
}
MODEL_CALLING = sorted(METHOD_CONFIGS)


def _pick(prompt: str, choices: list[str]) -> str:
    """One of `choices`, fixed by the prompt."""
    return choices[hashlib.sha256(prompt.encode()).digest()[0] % len(choices)]


def _answer(prompt: str, attempt: int) -> Fault:
    """What the loopback model says: a function of the prompt alone, shaped as each method's
    template asks, right for some prompts and wrong for others."""
    if '{"score": N}' in prompt:
        return Fault(text=json.dumps({"score": int(_pick(prompt, ["2", "5", "8", "9"]))}))
    if '"reasoning"' in prompt:
        answer = _pick(prompt, ["42", "81", "7"])
        return Fault(text=json.dumps({"reasoning": "Add it up step by step.", "answer": answer}))
    if '{"question"' in prompt:
        return Fault(text=json.dumps({"question": "How do bees make honey?", "answer": "Bees "
        "chew nectar, add enzymes and let water evaporate from it in the comb."}))  # fmt: skip
    if '{"prompt"' in prompt:
        new = _pick(prompt, ["Explain", "Describe", "Compare"])
        return Fault(text=json.dumps({"prompt": f"{new} in three steps, with one example for "
        f"each step, how {len(prompt)} bees share the work of a hive."}))  # fmt: skip
    if '{"tool"' in prompt:
        return Fault(text=json.dumps({"tool": _pick(prompt, ["calculator", "convert_units"])}))
    if "fill in the arguments of the tool `calculator`" in prompt:
        return Fault(text=json.dumps({"expression": _pick(prompt, ["17 * 23", "2 + 2"])}))
    if "fill in the arguments of the tool `convert_units`" in prompt:
        return Fault(text=json.dumps({"value": 5, "from_unit": "km", "to_unit": "mi"}))
    if '{"final_answer"' in prompt:
        return Fault(text=json.dumps({"final_answer": "It comes to 391, as the tool said."}))
    if "PROBLEM:" in prompt:
        # The exercise from the string task fails first; its repair passes.
        wrong = "reverses a string" in prompt and "failed when" not in prompt
        body = "return s" if wrong else "return s[::-1]"
        return Fault(
            text=f"PROBLEM:\nReverse a string.\nSOLUTION:\n```python\ndef rev(s):\n    {body}\n"
            "```\nTESTS:\n```python\nassert rev('ab') == 'ba'\nassert rev('') == ''\n```"
        )
    if "comments that" in prompt:  # program_of_thought_for: right at once
        return Fault(text=f"print({81 if '9 times 9' in prompt else 42})\n```")
    if "prints only the final answer" in prompt or "print only the final answer" in prompt:
        printed = _pick(prompt, ["42", "81", "7"])
        return Fault(text=f"print({printed})\n```")
    if "Check the response against each rule" in prompt:  # critique
        return Fault(text=_pick(prompt, ["No problems.", "It uses capitals and commas."]))
    if "Rewrite the draft so that" in prompt:  # revise: follows the drawn rules, or not
        return Fault(text=_pick(prompt, ["bees make honey from nectar in the hive",
        "Bees, in short, make honey."]))  # fmt: skip
    if prompt.startswith("Translate"):
        text = prompt.rpartition("\n\n")[2]
        if "into French" in prompt:
            return Fault(text=f"En français : {text}")
        back = text.removeprefix("En français : ")
        return Fault(text=_pick(prompt, [back, f"{back} Thank you."]))
    if "Here are some example tasks" in prompt:
        return Fault(text=_pick(prompt, ["List five", "Name three", "Give two"]) + " facts "
        f"about the number {len(prompt)} and why it matters in daily life.")  # fmt: skip
    return Fault(
        text=_pick(prompt, ["Bees", "The sky", "Seasons", f"the reason is {len(prompt)}"])
        + f" matter because of reason {len(prompt)}, as the passage and common sense both say."
        if _pick(prompt, "ab") == "a"
        else f"the short answer is {len(prompt)} and it follows from the passage"
    )


def _seeds() -> pl.DataFrame:
    frame = pl.DataFrame(
        SEED_ROWS,
        schema=["kind", "task_type", "instruction", "text", "answer"],
        orient="row",
    )
    return with_row_ids(conform(frame))


def _config(method: str, base_url: str) -> Any:
    http = {"backend": "openai", "base_url": base_url, "model": "stub", "max_retries": 0}
    entry: dict[str, Any] = {"method": method, **METHOD_CONFIGS[method]}
    for key in ("generator", "user_generator", "assistant_generator", "answer_generator"):
        if key in METHODS.get(method).Config.model_fields:
            entry[key] = http
    if method == "magpie":
        entry.pop("generator")  # the prefix-only drawer is a local model
    if entry.get("judge") == "http" or method == "preference_pairs":
        entry["judge"] = http
    for responder in entry.get("generators", []):
        responder["generator"] = http
    return METHODS.get(method).Config.model_validate(entry)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


# What varies from run to run (the loopback port, sandbox timings): left out of the compared
# config, evidence and rows. Generator ids (the port is in them) are compared by what they
# stand for.
_TIMINGS = {"base_url", "seconds"}


def _steady(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _steady(v) for k, v in value.items() if k not in _TIMINGS}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


# Embedding similarities and the scores made from them move in their last bits between
# machines and library releases (a new venv of 2026-12-07 moved back_translation's and
# grounded_qa's): a row's and a decision's numbers are compared to 4 decimals, which no
# threshold here comes near. The config's and generators' numbers are the recipe's, exact.
_DECIMALS = 4


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return round(value, _DECIMALS)
    return value


def _stable_ids(text: str, stable: dict[str, str]) -> str:
    for generator_id, digest in stable.items():
        text = text.replace(generator_id, digest)
    return text


def fingerprint(method: str, home: Path) -> dict[str, str]:
    """Digests of what `method` asked, recorded and kept on the fixed seeds."""
    with fault_server(_answer) as server:
        config = _config(method, server.base_url)
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="run", created_at=datetime(2026, 1, 1), random_seed=11
        )
        output: MethodOutput = build_method(config).run(_seeds(), ctx)
    with ctx.wh.reader() as con:
        requests = [
            r for (r,) in con.sql("SELECT DISTINCT request_hash FROM model_calls").fetchall()
        ]
    generators = [
        {
            "template": [g.template_name, g.template_version, g.template_sha256],
            "params": _steady(g.params),
        }
        for g in output.generators
    ]
    stable = {
        g.generator_id: _digest(r)[:32] for g, r in zip(output.generators, generators, strict=True)
    }
    rows = output.rows.select(
        "row_id", "kind", "seed_ids", "parent_ids", "call_ids", "attributes", "method"
    ).to_dicts()
    for row in rows:
        row["attributes"] = _rounded(_steady(json.loads(_stable_ids(row["attributes"], stable))))
    decisions = [
        _rounded({**d, "evidence": _steady(json.loads(_stable_ids(d["evidence"], stable)))})
        for d in output.rejections.select("row_id", "rule", "score", "evidence").to_dicts()
    ]
    return {
        "config": _digest(_steady(config.model_dump(mode="json"))),
        "requests": _digest(sorted(requests)),
        "generators": _digest(generators),
        "rows": _digest(rows),
        "decisions": _digest(sorted(decisions, key=lambda d: (d["row_id"], d["rule"]))),
        "counts": f"{len(requests)} calls, {len(rows)} rows, {len(decisions)} decisions",
    }


def test_every_model_calling_method_is_covered():
    programmatic = {"seed_passthrough", "programmatic_math"}
    assert set(METHODS.builtins) - programmatic == set(MODEL_CALLING)


@pytest.mark.parametrize("method", MODEL_CALLING)
def test_unsteered_method_asks_and_keeps_what_it_did(method, home):
    recorded = json.loads(FIXTURE.read_text())[method]
    found = fingerprint(method, home)
    assert found == recorded
    # Each method made rows and rejected something, so the comparison covers both.
    assert " 0 rows" not in found["counts"] and " 0 decisions" not in found["counts"]


def record() -> None:
    """Rewrite the fixture from this checkout's methods."""
    found = {}
    for method in MODEL_CALLING:
        with tempfile.TemporaryDirectory() as home:
            found[method] = fingerprint(method, Path(home))
        print(method, found[method]["counts"], file=sys.stderr)
    FIXTURE.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    record()
