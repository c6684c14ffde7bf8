"""Read-only questions about a small bundled table (the Sun's planets, `assets/data/planets.csv`)
answered by fixed, parameterized DuckDB queries: the model picks a query and its values,
never SQL."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any, ClassVar

import duckdb

from assets.tools.base import Example, ToolError

TABLE_FILE = "planets.csv"
LOAD_SQL = "CREATE TABLE planets AS SELECT * FROM read_csv(?, header = true)"
LOOKUP_SQL = "SELECT * FROM planets WHERE lower(name) = lower(?)"
# One fixed query per column and direction; the model's choice selects among them.
METRICS = (
    "mean_radius_km",
    "mass_1e24_kg",
    "moons",
    "orbital_period_days",
    "mean_distance_million_km",
)
RANK_SQL = {
    (metric, order): f"SELECT name, {metric} FROM planets ORDER BY {metric} {order}, name LIMIT ?"
    for metric in METRICS
    for order in ("ASC", "DESC")
}
MAX_ROWS = 8
# Words a task asking to rank by a metric uses.
METRIC_WORDS = {
    "mean_radius_km": ("radius", "big", "large", "small", "size", "wide"),
    "mass_1e24_kg": ("mass", "heavy", "heavi", "light", "massive"),
    "moons": ("moon", "satellite"),
    "orbital_period_days": ("orbit", "year"),
    "mean_distance_million_km": ("distance", "far", "close", "near"),
}


@cache
def _table() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(LOAD_SQL, [str(files("assets").joinpath("data", TABLE_FILE))])
    return con


def _rows(query: str, params: list[Any]) -> list[dict[str, Any]]:
    # A cursor per call: the cached connection may be used from several threads.
    cursor = _table().cursor()
    try:
        result = cursor.execute(query, params)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        cursor.close()


class PlanetTable:
    name: ClassVar[str] = "planet_table"
    description: ClassVar[str] = (
        "Facts about the Sun's eight planets: `lookup` one planet by name, or `rank` planets "
        "by a metric (radius, mass, moons, orbital period, distance from the Sun)."
    )
    examples: ClassVar[list[Example]] = [
        ("How big is Jupiter?", {"query": "lookup", "planet": "Jupiter"}),
        (
            "Which two planets are closest to the Sun?",
            {
                "query": "rank",
                "metric": "mean_distance_million_km",
                "order": "ascending",
                "limit": 2,
            },
        ),
    ]
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "enum": ["lookup", "rank"]},
            "planet": {"type": "string", "maxLength": 40},
            "metric": {"type": "string", "enum": list(METRICS)},
            "order": {"type": "string", "enum": ["ascending", "descending"]},
            "limit": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    def mismatch(self, task: str, arguments: dict[str, Any]) -> str | None:
        """A lookup's planet must be named in the task; a ranking's metric must be what the
        task asks about."""
        lowered = task.lower()
        planet = arguments.get("planet")
        if arguments["query"] == "lookup" and planet and planet.lower() not in lowered:
            return f"the task does not name {planet[:40]!r}"
        metric = arguments.get("metric")
        words = METRIC_WORDS.get(metric, ()) if arguments["query"] == "rank" else ()
        if words and not any(word in lowered for word in words):
            return f"the task does not ask about {metric}"
        return None

    def run(self, arguments: dict[str, Any]) -> str:
        if arguments["query"] == "lookup":
            if "planet" not in arguments:
                raise ToolError("lookup needs `planet`")
            rows = _rows(LOOKUP_SQL, [str(arguments["planet"])])
            if not rows:
                raise ToolError(f"no planet named {str(arguments['planet'])[:40]!r}")
            return json.dumps(rows[0])
        if "metric" not in arguments:
            raise ToolError("rank needs `metric`")
        order = "ASC" if arguments.get("order") == "ascending" else "DESC"
        query = RANK_SQL.get((arguments["metric"], order))
        if query is None:
            raise ToolError(f"no metric {str(arguments['metric'])[:40]!r}")
        return json.dumps(_rows(query, [int(arguments.get("limit", 3))]))
