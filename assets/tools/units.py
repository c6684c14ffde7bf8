"""Unit conversion within one quantity (length, mass, volume, time, speed, temperature)."""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

from assets.tools.base import Example, ToolError
from assets.tools.calculator import MAX_MAGNITUDE, formatted

# Factor to the quantity's base unit (metre, kilogram, litre, second, metre per second).
FACTORS: dict[str, dict[str, float]] = {
    "length": {
        "mm": 0.001,
        "cm": 0.01,
        "m": 1.0,
        "km": 1000.0,
        "in": 0.0254,
        "ft": 0.3048,
        "yd": 0.9144,
        "mi": 1609.344,
    },
    "mass": {
        "mg": 1e-6,
        "g": 0.001,
        "kg": 1.0,
        "t": 1000.0,
        "oz": 0.028349523125,
        "lb": 0.45359237,
    },
    "volume": {"ml": 0.001, "l": 1.0, "m3": 1000.0, "gal": 3.785411784, "cup": 0.2365882365},
    "time": {"s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0, "week": 604800.0},
    "speed": {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704, "knot": 0.514444},
}
TEMPERATURES = ("C", "F", "K")
# How a task may write a unit (besides its symbol), for checking which unit it means.
NAMES: dict[str, tuple[str, ...]] = {
    "mm": ("millimetre", "millimeter"),
    "cm": ("centimetre", "centimeter"),
    "m": ("metre", "meter"),
    "km": ("kilometre", "kilometer"),
    "in": ("inch",),
    "ft": ("foot", "feet"),
    "yd": ("yard",),
    "mi": ("mile",),
    "mg": ("milligram",),
    "g": ("gram",),
    "kg": ("kilogram", "kilo"),
    "t": ("tonne",),
    "oz": ("ounce",),
    "lb": ("pound",),
    "ml": ("millilitre", "milliliter"),
    "l": ("litre", "liter"),
    "m3": ("cubic metre", "cubic meter"),
    "gal": ("gallon",),
    "cup": ("cup",),
    "s": ("second",),
    "min": ("minute",),
    "h": ("hour",),
    "day": ("day",),
    "week": ("week",),
    "m/s": ("metres per second", "meters per second"),
    "km/h": ("kilometres per hour", "kilometers per hour"),
    "mph": ("miles per hour",),
    "knot": ("knot",),
    "C": ("celsius", "centigrade"),
    "F": ("fahrenheit",),
    "K": ("kelvin",),
}
QUANTITY = {unit: quantity for quantity, units in FACTORS.items() for unit in units}
UNITS = sorted(QUANTITY) + list(TEMPERATURES)


def _to_kelvin(value: float, unit: str) -> float:
    return (
        value + 273.15 if unit == "C" else (value - 32) * 5 / 9 + 273.15 if unit == "F" else value
    )


def _from_kelvin(kelvin: float, unit: str) -> float:
    return (
        kelvin - 273.15
        if unit == "C"
        else (kelvin - 273.15) * 9 / 5 + 32
        if unit == "F"
        else kelvin
    )


def convert(value: float, source: str, target: str) -> float:
    """`value` in `source` units expressed in `target` units; `ToolError` across quantities."""
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise ToolError("the value is out of range")
    if source in TEMPERATURES or target in TEMPERATURES:
        if not (source in TEMPERATURES and target in TEMPERATURES):
            raise ToolError(f"cannot convert {source} to {target}: not both temperatures")
        kelvin = _to_kelvin(value, source)
        if kelvin < 0:
            raise ToolError(f"{formatted(value)} {source} is below absolute zero")
        return _from_kelvin(kelvin, target)
    if QUANTITY[source] != QUANTITY[target]:
        raise ToolError(
            f"cannot convert {source} ({QUANTITY[source]}) to {target} ({QUANTITY[target]})"
        )
    factors = FACTORS[QUANTITY[source]]
    return value * factors[source] / factors[target]


def names_unit(text: str, unit: str) -> bool:
    """Whether `text` names `unit`, by its symbol (a whole word) or one of its names."""
    lowered = text.lower()
    if any(name in lowered for name in NAMES.get(unit, ())):
        return True
    return re.search(rf"(?<![\w/]){re.escape(unit)}(?![\w/])", text) is not None


class UnitConversion:
    name: ClassVar[str] = "convert_units"
    description: ClassVar[str] = (
        "Convert a value between units of length, mass, volume, time, speed or temperature."
    )
    examples: ClassVar[list[Example]] = [
        ("How many feet are 3 metres?", {"value": 3, "from_unit": "m", "to_unit": "ft"}),
        ("What is 5 kilograms in pounds?", {"value": 5, "from_unit": "kg", "to_unit": "lb"}),
    ]
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "value": {"type": "number"},
            "from_unit": {"type": "string", "enum": UNITS},
            "to_unit": {"type": "string", "enum": UNITS},
        },
        "required": ["value", "from_unit", "to_unit"],
        "additionalProperties": False,
    }

    def mismatch(self, task: str, arguments: dict[str, Any]) -> str | None:
        """The unit the task writes right after the value must be `from_unit`, and the task
        must name `to_unit` elsewhere (a small model swaps them in "How many km are 3 mi?")."""
        value = formatted(float(arguments["value"]))
        found = re.search(rf"(?<![\d.]){re.escape(value)}(?!\d)", task)
        if found is None:
            return f"the task does not state the value {value}"
        # The value's unit: up to three words after it, ending before "to"/"in"/"into".
        unit_words = []
        for word in re.findall(r"[^\s?.,;!]+", task[found.end() :])[:3]:
            if word.lower() in ("to", "in", "into", "as"):
                break
            unit_words.append(word)
        if not names_unit(" ".join(unit_words), arguments["from_unit"]):
            return f"the task's {value} is not in {arguments['from_unit']}"
        rest = task[: found.start()] + task[found.end() :].replace(" ".join(unit_words), " ", 1)
        if not names_unit(rest, arguments["to_unit"]):
            return f"the task does not ask for {arguments['to_unit']}"
        return None

    def run(self, arguments: dict[str, Any]) -> str:
        source, target = arguments["from_unit"], arguments["to_unit"]
        result = convert(float(arguments["value"]), source, target)
        return f"{formatted(float(arguments['value']))} {source} = {formatted(result)} {target}"
