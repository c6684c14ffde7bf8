"""Date arithmetic on ISO dates: add days, days between two dates, day of the week."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar

from assets.tools.base import Example, ToolError

# timedelta and date refuse anything past year 9999: a bound the schema states up front.
MAX_DAYS = 3_000_000


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolError(f"{text[:40]!r} is not a date in YYYY-MM-DD form") from None


class DateArithmetic:
    name: ClassVar[str] = "date_arithmetic"
    description: ClassVar[str] = (
        "Date arithmetic on YYYY-MM-DD dates: `add_days` (date + days), `days_between` "
        "(from date to other_date) or `weekday` (of date)."
    )
    examples: ClassVar[list[Example]] = [
        (
            "What date is 10 days after 2023-01-25?",
            {"operation": "add_days", "date": "2023-01-25", "days": 10},
        ),
        (
            "How many days are there from 2020-01-01 to 2020-03-01?",
            {"operation": "days_between", "date": "2020-01-01", "other_date": "2020-03-01"},
        ),
        ("What day of the week is 2000-01-01?", {"operation": "weekday", "date": "2000-01-01"}),
    ]
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "operation": {"type": "string", "enum": ["add_days", "days_between", "weekday"]},
            "date": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            "days": {"type": "integer", "minimum": -MAX_DAYS, "maximum": MAX_DAYS},
            "other_date": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        },
        "required": ["operation", "date"],
        "additionalProperties": False,
    }

    def run(self, arguments: dict[str, Any]) -> str:
        start = parse_date(arguments["date"])
        operation = arguments["operation"]
        if operation == "weekday":
            return start.strftime("%A")
        if operation == "add_days":
            if "days" not in arguments:
                raise ToolError("add_days needs `days`")
            try:
                return (start + timedelta(days=int(arguments["days"]))).isoformat()
            except OverflowError:
                raise ToolError("the result is outside years 1-9999") from None
        if "other_date" not in arguments:
            raise ToolError("days_between needs `other_date`")
        return str((parse_date(arguments["other_date"]) - start).days)
