"""JSONL, Parquet and CSV seed files, read in bulk; bad records are quarantined with their line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import polars as pl

from assets.seed_readers.conversations import LAYOUTS
from assets.seed_readers.result import FIELD_ALIASES, SeedReadResult, file_quarantine
from assets.seed_readers.validate import split_valid
from warehouse.lineage import GeneratorRecord

# DuckDB decodes and parses every line in bulk; `try` turns a bad line into NULL instead of
# failing the file, and the CASE names the first problem of each line.
JSONL_FIELDS_SQL = """
WITH decoded AS (
    SELECT line, try(decode(raw)) AS txt, raw FROM lines
),
typed AS (
    SELECT *, try(json_type(txt)) AS json_kind FROM decoded
    WHERE txt IS NULL OR trim(txt) <> ''
)
SELECT
    line AS source_line,
    CASE WHEN txt IS NULL THEN 'invalid_utf8: the line is not valid UTF-8'
         WHEN json_kind IS NULL THEN 'malformed_json: the line is not valid JSON'
         WHEN json_kind <> 'OBJECT' THEN 'malformed_json: the line is JSON but not an object'
    END AS problem,
    coalesce(txt, 'hex:' || hex(raw)) AS raw,
    try(list_filter(json_extract_string(txt, $kind), lambda v: v IS NOT NULL)[1]) AS kind,
    try(list_filter(json_extract_string(txt, $task_type), lambda v: v IS NOT NULL)[1]) AS task_type,
    try(list_filter(json_extract_string(txt, $instruction), lambda v: v IS NOT NULL)[1]) AS instruction,
    try(list_filter(json_extract_string(txt, $input), lambda v: v IS NOT NULL)[1]) AS input,
    try(list_filter(json_extract_string(txt, $response), lambda v: v IS NOT NULL)[1]) AS response,
    try(list_filter(json_extract_string(txt, $text), lambda v: v IS NOT NULL)[1]) AS text,
    try(list_filter(json_extract_string(txt, $answer), lambda v: v IS NOT NULL)[1]) AS answer,
    try(json_extract(txt, '$.attributes')::VARCHAR) AS attributes
FROM typed
ORDER BY line
"""

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".csv": "csv",
}


def detect_format(path: Path, declared: str) -> str:
    if declared != "auto":
        return declared
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
            f"set format: jsonl, parquet or csv"
        ) from None


def read_jsonl(data: bytes) -> pl.DataFrame:
    lines = data.split(b"\n")
    frame = pl.DataFrame(
        {"line": range(1, len(lines) + 1), "raw": lines},
        schema={"line": pl.Int64, "raw": pl.Binary},
    )
    with duckdb.connect() as con:
        con.register("lines", frame.to_arrow())
        params = {
            name: [f"$.{alias}" for alias in aliases]
            for name, aliases in FIELD_ALIASES.items()
            if name != "attributes"
        }
        return con.sql(JSONL_FIELDS_SQL, params=params).pl()


def _canonical_columns(table: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Pick each canonical field from its first alias present; a table with neither an
    instruction nor a text column is unusable as a whole."""
    available = set(table.columns)
    picked = {
        name: next((a for a in aliases if a in available), None)
        for name, aliases in FIELD_ALIASES.items()
    }
    if picked["instruction"] is None and picked["text"] is None and available.isdisjoint(LAYOUTS):
        wanted = "/".join(FIELD_ALIASES["instruction"] + FIELD_ALIASES["text"] + LAYOUTS)
        raise _UnusableFile(
            "missing_column",
            f"no instruction or text column (looked for {wanted}; found {', '.join(table.columns) or 'none'})",
        )
    columns = [
        (pl.col(column).cast(pl.String) if column else pl.lit(None, dtype=pl.String)).alias(name)
        for name, column in picked.items()
    ]
    strings = [pl.col(c) for c, t in table.schema.items() if t == pl.String]
    invalid = (
        pl.any_horizontal([c.str.contains("\ufffd", literal=True) for c in strings])
        if strings
        else pl.lit(False)
    )
    return table.with_row_index("source_line", offset=1).select(
        pl.col("source_line").cast(pl.Int64),
        pl.when(invalid)
        .then(pl.lit("invalid_utf8: the record has bytes that are not valid UTF-8"))
        .alias("problem"),
        pl.struct(table.columns).struct.json_encode().alias("raw"),
        *columns,
    )


class _UnusableFile(Exception):
    def __init__(self, rule: str, reason: str):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


def read_file(
    path: Path, declared_format: str, max_text_chars: int, source: str | None = None
) -> SeedReadResult:
    """Read one seed file; whole-file problems quarantine the file, row problems the row.

    `source` names the file in lineage (default: its path)."""
    source = source or str(path)
    data = path.read_bytes()
    generator = GeneratorRecord(
        backend="source", model=source, model_digest=f"sha256:{hashlib.sha256(data).hexdigest()}"
    )
    fmt = detect_format(path, declared_format)
    try:
        if not data.strip():
            raise _UnusableFile("empty_file", "the file is empty")
        if fmt == "jsonl":
            frame = read_jsonl(data)
        elif fmt == "parquet":
            frame = _canonical_columns(pl.read_parquet(path), path)
        else:
            frame = _canonical_columns(
                pl.read_csv(
                    data, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=False
                ),
                path,
            )
    except _UnusableFile as exc:
        return SeedReadResult(
            rows=pl.DataFrame(),
            quarantined=file_quarantine(source, exc.rule, exc.reason),
            generators=[generator],
        )
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = f"cannot read as {fmt}: {exc}".splitlines()[0]
        return SeedReadResult(
            rows=pl.DataFrame(),
            quarantined=file_quarantine(source, "unreadable_file", reason),
            generators=[generator],
        )
    good, quarantined = split_valid(frame, source, max_text_chars)
    good = good.with_columns(
        pl.lit(source).alias("source"), pl.lit(generator.generator_id).alias("generator_id")
    )
    return SeedReadResult(rows=good, quarantined=quarantined, generators=[generator])
