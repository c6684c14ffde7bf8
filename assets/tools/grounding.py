"""Whether a tool call and its final answer stay with the task: the values a task states
(numbers, ISO dates) must reach the tool's arguments, the arguments may not bring in a date
the task never mentioned, and the answer must report what the tool returned.

These are the checks a small model fails in ways a schema cannot catch: it copies an example's
date, calls `weekday` for "90 days after ...", or writes an answer that ignores the result.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z]{4,}")
# A number in an answer counts as the result's when within this relative distance (answers
# round: 42.16 for 42.1648128).
RELATIVE_TOLERANCE = 0.01


def values(text: str) -> tuple[set[str], list[float]]:
    """The ISO dates and the other numbers written in `text`."""
    dates = set(_DATE.findall(text))
    numbers = [float(n) for n in _NUMBER.findall(_DATE.sub(" ", text))]
    return dates, numbers


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _argument_values(arguments: dict[str, Any]) -> tuple[set[str], list[float]]:
    dates: set[str] = set()
    numbers: list[float] = []
    for leaf in _leaves(arguments):
        if isinstance(leaf, bool):
            continue
        if isinstance(leaf, int | float):
            numbers.append(float(leaf))
        elif isinstance(leaf, str):
            found_dates, found_numbers = values(leaf)
            dates |= found_dates
            numbers += found_numbers
    return dates, numbers


def _close(number: float, others: list[float], tolerance: float = 0.0) -> bool:
    return any(math.isclose(number, other, rel_tol=tolerance, abs_tol=1e-9) for other in others)


def ungrounded_arguments(task: str, arguments: dict[str, Any]) -> str | None:
    """Why `arguments` do not carry the task's values (a date or number of the task missing,
    or a date the task does not mention), or None."""
    task_dates, task_numbers = values(task)
    dates, numbers = _argument_values(arguments)
    missing = sorted(task_dates - dates) + [
        f"{n:g}" for n in task_numbers if not _close(n, numbers)
    ]
    if missing:
        return f"the task's {', '.join(missing)} not in the arguments"
    invented = sorted(dates - task_dates)
    if invented:
        return f"{', '.join(invented)} is not in the task"
    return None


def _result_text(result: str) -> str:
    """A JSON result's values (its keys are not what it says), or the result as it is."""
    try:
        parsed = json.loads(result)
    except ValueError:
        return result
    return " ".join(str(leaf) for leaf in _leaves(parsed))


def answer_ignores_result(answer: str, result: str, task: str) -> str | None:
    """Why `answer` does not report the tool's `result`, or None. It must hold a number
    (within 1%: answers round) or a date of the result that the task did not state, or a word
    (four letters or more) of the result that is not in the task."""
    said = _result_text(result)
    result_dates, result_numbers = values(said)
    task_dates, task_numbers = values(task)
    new_numbers = [n for n in result_numbers if not _close(n, task_numbers)]
    answer_dates, answer_numbers = values(answer)
    if answer_dates & (result_dates - task_dates) or any(
        _close(n, new_numbers, RELATIVE_TOLERANCE) for n in answer_numbers
    ):
        return None
    new_words = set(_WORD.findall(said.lower())) - set(_WORD.findall(task.lower()))
    if new_words & set(_WORD.findall(answer.lower())):
        return None
    return f"the answer says nothing of the result {json.dumps(result[:80])}"
