"""JSONL, Parquet and CSV seed files, read in bulk; bad records are quarantined with their line,
good ones go on. Fields that are no seed field are named in a warning."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from assets.seed_readers.conversations import LAYOUTS
from assets.seed_readers.fields import ALIASES, pick_fields, type_column, value_column
from assets.seed_readers.result import FIELD_ALIASES, SeedReadResult, file_quarantine
from assets.seed_readers.validate import split_valid
from warehouse.lineage import GeneratorRecord

# DuckDB decodes and parses every line in bulk; `try` turns a bad line into NULL instead of
# failing the file, and the CASE names the first problem of each line.
JSONL_LINES_SQL = """
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
    CASE WHEN json_kind = 'OBJECT' THEN txt END AS record
FROM typed
ORDER BY line
"""
# Every name of every field (`$paths`, one JSON path each) in one parse of each record: the
# values as text and their JSON types, in `fields.ALIASES` order.
JSONL_VALUES_SQL = """
WITH extracted AS (
    SELECT source_line, problem, raw, json_extract(record, $paths) AS found FROM records
)
SELECT source_line, problem, raw,
    list_transform(found, lambda v: v ->> '$') AS texts,
    list_transform(found, lambda v: json_type(v)) AS types
FROM extracted
"""
# Keys of the file's records that are no seed field, for a warning.
JSONL_KEYS_SQL = """
SELECT DISTINCT unnest(json_keys(record)) AS key FROM records WHERE record IS NOT NULL
ORDER BY key
"""
# Table columns as JSON type names, the way the JSONL query names a record's values.
TABLE_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "VARCHAR",
    pl.Categorical: "VARCHAR",
    pl.Enum: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Float32: "DOUBLE",
    pl.Float64: "DOUBLE",
    pl.List: "ARRAY",
    pl.Array: "ARRAY",
    pl.Struct: "OBJECT",
}
KNOWN_FIELDS = frozenset(
    [*(alias for aliases in FIELD_ALIASES.values() for alias in aliases), *LAYOUTS]
)

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


def read_jsonl(lines: list[bytes], first_line: int = 1) -> tuple[pl.DataFrame, list[str]]:
    """Records of consecutive JSONL lines (without their line ends; the first is line
    `first_line` of its file) in the `pick_fields` shape, and the keys that are no seed
    field."""
    frame = pl.DataFrame(
        {"line": range(first_line, first_line + len(lines)), "raw": lines},
        schema={"line": pl.Int64, "raw": pl.Binary},
    )
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")  # it would print to the run's output
        con.register("lines", frame.to_arrow())
        records = con.sql(JSONL_LINES_SQL).pl()
        con.register("records", records.to_arrow())
        keys = con.sql(JSONL_KEYS_SQL).pl()["key"].to_list()
        paths = [f"$.{alias}" for _, alias in ALIASES]
        found = con.sql(JSONL_VALUES_SQL, params={"paths": paths}).pl()
    shaped = found.select(
        "source_line",
        "problem",
        "raw",
        *[
            pl.col("texts").list.get(i, null_on_oob=True).alias(value_column(i))
            for i in range(len(ALIASES))
        ],
        *[
            pl.col("types").list.get(i, null_on_oob=True).alias(type_column(i))
            for i in range(len(ALIASES))
        ],
    )
    return shaped, [key for key in keys if key not in KNOWN_FIELDS]


def _table_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "BIGINT"
    return TABLE_TYPES.get(dtype.base_type(), str(dtype))


def _table_value(column: str, kind: str) -> pl.Expr:
    if kind == "OBJECT":
        return pl.col(column).struct.json_encode()
    if kind in ("VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"):
        return pl.col(column).cast(pl.String)
    return pl.lit(None, dtype=pl.String)  # a wrong type: the record is quarantined


def table_fields(table: pl.DataFrame, lines: pl.Series) -> pl.DataFrame:
    """Rows of a CSV or Parquet table in the `pick_fields` shape (`lines`: each row's line or
    row number); a table with neither an instruction nor a text column is unusable."""
    available = set(table.columns)
    readable = [*FIELD_ALIASES["instruction"], *FIELD_ALIASES["text"], *LAYOUTS]
    if not available & set(readable):
        wanted = "/".join(readable)
        raise _UnusableFile(
            "missing_column",
            f"no instruction or text column (looked for {wanted}; found "
            f"{', '.join(table.columns) or 'none'})",
        )
    columns = []
    for i, (_, alias) in enumerate(ALIASES):
        if alias in available:
            kind = _table_type(table.schema[alias])
            value = _table_value(alias, kind)
            found = pl.when(pl.col(alias).is_not_null()).then(pl.lit(kind))
        else:
            value = found = pl.lit(None, dtype=pl.String)
        columns += [value.alias(value_column(i)), found.alias(type_column(i))]
    strings = [pl.col(c) for c, t in table.schema.items() if t == pl.String]
    invalid = (
        pl.any_horizontal([c.str.contains("\ufffd", literal=True) for c in strings])
        if strings
        else pl.lit(False)
    )
    return table.select(
        lines.cast(pl.Int64).alias("source_line"),
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


def read_csv(data: bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records as string columns with `source_line`, ragged records) of a CSV file.

    Python's csv reader (in C) first scans the file for each record's line and field count:
    Polars and DuckDB stop at a ragged line, or do not say where it was. A file without one
    is then parsed by Polars; only a file with bad lines is built from the scan's records, so
    its good records go on. Empty fields are null. A record that spans lines (a quoted
    newline) is numbered by its first line."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _UnusableFile("empty_file", "the file is empty") from None
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise _UnusableFile(
            "duplicate_column", f"the header names {', '.join(duplicated)} more than once"
        )
    first_line = reader.line_num + 1
    widths: list[int] = []
    ends: list[int] = []
    failure: str | None = None
    try:
        for fields in reader:
            widths.append(len(fields))
            ends.append(reader.line_num)
    except csv.Error as exc:  # e.g. a NUL byte, or a field longer than csv allows
        failure = f"malformed_csv: {exc}; the rest of the file was not read"
    scan = pl.DataFrame(
        {"width": widths, "end": ends}, schema={"width": pl.Int64, "end": pl.Int64}
    ).with_columns(pl.col("end").shift(1, fill_value=first_line - 1).add(1).alias("source_line"))
    records = scan.filter(pl.col("width") > 0)  # blank lines are no records
    if failure is None and (records["width"] == len(header)).all():
        table = pl.read_csv(data, infer_schema=False, encoding="utf8-lossy")
        if table.height == records.height and table.columns == header:
            return table.with_columns(records["source_line"]), _no_ragged()
    return _read_csv_records(text, header, scan, failure)


def _no_ragged() -> pl.DataFrame:
    return pl.DataFrame(schema={"source_line": pl.Int64, "problem": pl.String, "raw": pl.String})


def _read_csv_records(
    text: str, header: list[str], scan: pl.DataFrame, failure: str | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The slow path of `read_csv`, for a file with bad lines: records from the csv reader,
    ragged ones quarantined with their text."""
    rows = list(itertools.islice(csv.reader(io.StringIO(text, newline="")), 1, scan.height + 1))
    good = scan.with_row_index("at").filter(pl.col("width") == len(header))
    chosen = [rows[i] for i in good["at"]]
    columns = list(zip(*chosen, strict=True)) if chosen else [() for _ in header]
    table = pl.DataFrame(
        {name: list(values) for name, values in zip(header, columns, strict=True)},
        schema={name: pl.String for name in header},
    ).with_columns(pl.all().replace("", None), good["source_line"])
    physical = pl.Series(text.splitlines(), dtype=pl.String)
    ragged = scan.filter((pl.col("width") > 0) & (pl.col("width") != len(header))).select(
        "source_line",
        pl.format(
            "ragged_line: {} fields, the header has {}", pl.col("width"), pl.lit(len(header))
        ).alias("problem"),
        pl.int_ranges(pl.col("source_line") - 1, pl.col("end"))
        .list.eval(pl.element().replace_strict(dict(enumerate(physical)), default=""))
        .list.join("\n")
        .alias("raw"),
    )
    if failure is not None:
        line = (scan["end"].max() or 0) + 1 if scan.height else 2
        stop = pl.DataFrame({"source_line": [line], "problem": [failure], "raw": [""]})
        ragged = pl.concat([ragged, stop.cast(ragged.schema)])
    return table, ragged


def _scan(path: Path) -> tuple[str, bool]:
    """The file's sha256 and whether it holds anything but whitespace, in one pass of 1 MiB
    reads (the file is never held whole)."""
    digest = hashlib.sha256()
    blank = True
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            blank = blank and not chunk.strip()
    return digest.hexdigest(), blank


def _jsonl_chunks(path: Path, batch_rows: int | None) -> Iterator[tuple[pl.DataFrame, list[str]]]:
    """`read_jsonl` over the file's lines, `batch_rows` lines at a time (all at once: None)."""
    first_line = 1
    with open(path, "rb") as handle:
        while lines := list(itertools.islice(handle, batch_rows)):
            yield read_jsonl([line.removesuffix(b"\n") for line in lines], first_line)
            first_line += len(lines)


def _parquet_chunks(path: Path, batch_rows: int | None) -> Iterator[tuple[pl.DataFrame, list[str]]]:
    """`table_fields` of the file's rows, `batch_rows` at a time (all at once: None); rows are
    numbered from 1 across the file."""
    if batch_rows is None:
        tables: Iterator[pl.DataFrame] = iter([pl.read_parquet(path)])
    else:
        reader = pq.ParquetFile(path)
        empty = pl.from_arrow(reader.schema_arrow.empty_table())
        tables = itertools.chain(
            (pl.from_arrow(batch) for batch in reader.iter_batches(batch_size=batch_rows)),
            [empty] if reader.metadata.num_rows == 0 else [],
        )
    offset = 0
    for table in tables:
        assert isinstance(table, pl.DataFrame)
        ignored = [c for c in table.columns if c not in KNOWN_FIELDS]
        lines = pl.int_range(offset + 1, offset + table.height + 1, eager=True)
        yield table_fields(table, lines), ignored
        offset += table.height


def _csv_chunks(path: Path) -> Iterator[tuple[pl.DataFrame, list[str]]]:
    """A CSV file in one chunk: finding its ragged records needs the whole file."""
    table, ragged = read_csv(path.read_bytes())
    lines = table["source_line"]
    table = table.drop("source_line")
    ignored = [c for c in table.columns if c not in KNOWN_FIELDS]
    shaped = pl.concat([table_fields(table, lines), ragged], how="diagonal_relaxed").sort(
        "source_line"
    )
    yield shaped, ignored


def read_file(
    path: Path, declared_format: str, max_text_chars: int, source: str | None = None
) -> SeedReadResult:
    """Read one seed file whole; whole-file problems quarantine the file, row problems the
    row. `source` names the file in lineage (default: its path)."""
    return SeedReadResult.combined(read_file_batches(path, declared_format, max_text_chars, source))


def read_file_batches(
    path: Path,
    declared_format: str,
    max_text_chars: int,
    source: str | None = None,
    batch_rows: int | None = None,
) -> Iterator[SeedReadResult]:
    """Read one seed file `batch_rows` records at a time (JSONL lines, Parquet rows; a CSV
    file is one batch), so it is never held whole. The first result carries the file's
    reader generator, the last its warnings. A whole-file problem quarantines the file;
    row problems quarantine the row. `source` names the file in lineage (default: its
    path)."""
    source = source or str(path)
    digest, blank = _scan(path)
    generator = GeneratorRecord(backend="source", model=source, model_digest=f"sha256:{digest}")
    fmt = detect_format(path, declared_format)
    generators = [generator]
    ignored: list[str] = []
    try:
        if blank:
            raise _UnusableFile("empty_file", "the file is empty")
        if fmt == "jsonl":
            chunks = _jsonl_chunks(path, batch_rows)
        elif fmt == "parquet":
            chunks = _parquet_chunks(path, batch_rows)
        else:
            chunks = _csv_chunks(path)
        for shaped, keys in chunks:
            ignored = list(dict.fromkeys([*ignored, *keys]))
            good, quarantined = split_valid(pick_fields(shaped), source, max_text_chars)
            good = good.with_columns(
                pl.lit(source).alias("source"), pl.lit(generator.generator_id).alias("generator_id")
            )
            yield SeedReadResult(rows=good, quarantined=quarantined, generators=generators)
            generators = []
    except _UnusableFile as exc:
        yield SeedReadResult(
            rows=pl.DataFrame(),
            quarantined=file_quarantine(source, exc.rule, exc.reason),
            generators=generators,
        )
        return
    except (pl.exceptions.PolarsError, pa.ArrowException, OSError) as exc:
        reason = f"cannot read as {fmt}: {exc}".splitlines()[0]
        yield SeedReadResult(
            rows=pl.DataFrame(),
            quarantined=file_quarantine(source, "unreadable_file", reason),
            generators=generators,
        )
        return
    if fmt == "jsonl":  # each chunk names its keys in order; the file's warning too
        ignored = sorted(ignored)
    yield SeedReadResult(
        rows=pl.DataFrame(),
        generators=generators,
        warnings=[f"{source}: ignored fields that are not seed fields: {', '.join(ignored)}"]
        if ignored
        else [],
    )
