"""One line on what each corpus column holds: shown in the asset catalog (Dagster column
schemas) and in the README's column table, which a test keeps identical to this."""

from __future__ import annotations

from typing import Final

# The row contract's columns (`warehouse.rows.ROW_SCHEMA`), in its order.
CONTRACT_COLUMNS: Final[dict[str, str]] = {
    "row_id": "Content-addressed id: sha256 of the kind and normalized content, 32 hex digits",
    "kind": "instruction, document, template, preference or conversation",
    "task_type": "Task family (open_qa, coding, math, tool_use, …) from the seed or the method",
    "instruction": "The prompt or question the row asks",
    "input": "Context for the instruction: a passage, a snippet, data to work on",
    "response": "The answer; a preference row's chosen one; a conversation's assistant turns",
    "text": "A document's text; a conversation's transcript, which ids and rules read",
    "answer": "The expected final answer, where one can be checked (math problems)",
    "verified": "True when a check passed: its answer matched or its tests ran green",
    "attributes": "JSON of the method's details: rejected response, tests, round, scores",
    "source": "The seed file a seed row was read from, as the recipe names it",
    "source_line": "Its line (JSONL, CSV) or row number (Parquet) in that file",
    "seed_ids": "Row ids of the seed rows it was generated from",
    "parent_ids": "Row ids of its direct parents, e.g. the previous round of an evolution",
    "call_ids": "The model calls that wrote it (model_calls.request_hash)",
    "generator_id": "The generator that made it (see generators: model, template, sampling)",
    "method": "The synthesis method that made it (seed for seed rows)",
    "run_id": "The Dagster run that made it",
    "created_at": "When it was made, in UTC",
    "messages": "A conversation's turns as JSON: role, content, tool_calls, tool_call_id, name",
}
# Columns some filter steps add.
STEP_COLUMNS: Final[dict[str, str]] = {
    "lang": "Language the language filter identified (ISO 639-1 code), where it judged",
    "lang_score": "Confidence of that language identification, 0 to 1",
    "judge_score": "Mean of the quality judge's criterion scores",
    "judge_<criterion>": "The quality judge's score for that criterion (1 to its scale)",
    "judge_generator_id": "The quality judge's generator (see generators)",
    "judge_call_ids": "The quality judge's calls (model_calls.request_hash)",
}
UNKNOWN_COLUMN: Final = "Added by a plug-in step of the recipe"


def column_description(name: str) -> str:
    """The line describing corpus column `name`."""
    if name in CONTRACT_COLUMNS:
        return CONTRACT_COLUMNS[name]
    if name in STEP_COLUMNS:
        return STEP_COLUMNS[name]
    if name.startswith("judge_"):
        return STEP_COLUMNS["judge_<criterion>"]
    return UNKNOWN_COLUMN
