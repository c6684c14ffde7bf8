"""Unit conversion within one quantity (length, mass, volume, time, speed, temperature)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from assets.tools.base import ToolError
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


class UnitConversion:
    name: ClassVar[str] = "convert_units"
    description: ClassVar[str] = (
        "Convert a value between units of length, mass, volume, time, speed or temperature."
    )
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

    def run(self, arguments: dict[str, Any]) -> str:
        source, target = arguments["from_unit"], arguments["to_unit"]
        result = convert(float(arguments["value"]), source, target)
        return f"{formatted(float(arguments['value']))} {source} = {formatted(result)} {target}"
