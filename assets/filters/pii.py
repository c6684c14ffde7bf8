"""Personal data in every text field: found by pattern (and checksum where one exists), then
replaced by a typed placeholder (`<EMAIL>`) or the row dropped, per entity type.

Runs first in the filtered stage, so every later stage, decision and export sees redacted text.
A decision's evidence names the type, field, first position and a sha256 prefix of each value,
never the value itself. Person names need a named-entity recognizer; none ships with
SynthFoundry, so they are found only when spaCy and its model are installed, and the stage's
metadata says so either way."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.run_context import RunContext
from assets.steps import (
    STEP_DECISION_SCHEMA,
    RowStep,
    StepOutput,
    merge_stats,
    no_decisions,
)
from warehouse.rows import hash_ids
from warehouse.settings import Strict

PiiAction = Literal["redact", "drop", "off"]


class PiiConfig(Strict):
    """Personal data in every text field: `redact` replaces a match with `<TYPE>`, `drop`
    drops the row, `off` ignores the type. Person names need an installed spaCy model."""

    enabled: bool = True
    email: PiiAction = "redact"
    phone: PiiAction = "redact"
    ip_address: PiiAction = "redact"
    credit_card: PiiAction = "redact"
    national_id: PiiAction = "redact"
    iban: PiiAction = "redact"
    person: PiiAction = "redact"
    names_model: str = Field(
        default="en_core_web_sm", description="spaCy model for person names, if installed."
    )


TEXT_FIELDS = ("instruction", "input", "response", "text", "answer")
# Searched for nothing, but every value found in a conversation's transcript (`text`) is
# replaced in its turns too. The values (emails, numbers, addresses) hold no character JSON
# escapes, so they appear verbatim in the JSON and the placeholder keeps it valid.
REDACTED_TOO = ("messages",)


@dataclass(frozen=True)
class Entity:
    """A pattern for one entity type; `checksum` keeps only matches passing it."""

    type: str
    placeholder: str
    pattern: str
    checksum: str | None = None


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_H = r"[0-9A-Fa-f]{1,4}"
ENTITIES: tuple[Entity, ...] = (
    Entity(
        "email", "<EMAIL>", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    ),
    Entity(
        "iban",
        "<IBAN>",
        r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        checksum="mod97",
    ),
    Entity("credit_card", "<CREDIT_CARD>", r"\b\d(?:[ \-]?\d){12,18}\b", checksum="luhn"),
    # US social security numbers: area 001-899 except 666, group and serial not zero.
    Entity(
        "national_id",
        "<NATIONAL_ID>",
        r"\b(?:00[1-9]|0[1-9]\d|[1-578]\d\d|6[0-57-9]\d|66[0-57-9])-(?:0[1-9]|[1-9]\d)-"
        r"(?:000[1-9]|00[1-9]\d|0[1-9]\d\d|[1-9]\d{3})\b",
    ),
    Entity(
        "ip_address",
        "<IP_ADDRESS>",
        rf"\b{_OCTET}(?:\.{_OCTET}){{3}}\b"
        rf"|\b(?:{_H}:){{7}}{_H}\b"
        rf"|\b(?:{_H}:){{1,6}}:(?:{_H}(?::{_H}){{0,5}})?\b"
        rf"|::(?:{_H}(?::{_H}){{0,6}})\b",
    ),
    # International (+CC ...) or North American (555) 123-4567 / 555-123-4567 forms: a bare
    # run of digits is never a phone number here (math rows are full of those).
    Entity(
        "phone",
        "<PHONE>",
        r"\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]\d{2,4}){1,4}\b"
        r"|(?:\(\d{3}\) ?|\b\d{3}[.\-])\d{3}[.\-]\d{4}\b",
    ),
)


def _digits(value: pl.Expr) -> pl.Expr:
    return value.str.replace_all(r"\D", "").str.split("").list.eval(pl.element().cast(pl.Int64))


def luhn_valid(value: pl.Expr) -> pl.Expr:
    """The Luhn checksum of the digits in `value` (payment card numbers)."""
    digits = _digits(value).list.reverse()
    doubled = digits.list.eval(
        pl.when(pl.int_range(pl.len()) % 2 == 1)
        .then((pl.element() * 2) - 9 * (pl.element() * 2 > 9).cast(pl.Int64))
        .otherwise(pl.element())
    )
    return doubled.list.sum() % 10 == 0


def mod97_valid(values: pl.Series) -> pl.Series:
    """ISO 13616 check of IBANs: country and check digits moved to the end, letters as numbers
    (A=10 ... Z=35), the whole number mod 97 equal to 1."""
    compact = pl.col("value").str.replace_all(" ", "")
    moved = pl.concat_str([compact.str.slice(4), compact.str.slice(0, 4)])
    frame = values.to_frame("value").select(
        moved.str.split("")
        .list.eval(
            pl.when(pl.element().str.contains(r"^\d$"))
            .then(pl.element())
            .otherwise(
                (pl.element().str.encode("hex").str.to_integer(base=16) - 55).cast(pl.String)
            )
        )
        .list.join("")
        .alias("digits"),
        pl.lit(0, dtype=pl.Int64).alias("remainder"),
    )
    # Seven digits at a time keep (remainder * 10^7 + chunk) inside int64; each step is
    # materialized, so the expression does not grow with the number's length.
    for start in range(0, frame["digits"].str.len_chars().max() or 0, 7):
        chunk = pl.col("digits").str.slice(start, 7)
        frame = frame.with_columns(
            pl.when(chunk.str.len_chars() > 0)
            .then(
                (
                    pl.col("remainder") * pl.lit(10, dtype=pl.Int64).pow(chunk.str.len_chars())
                    + chunk.cast(pl.Int64, strict=False)
                )
                % 97
            )
            .otherwise(pl.col("remainder"))
            .alias("remainder")
        )
    return frame["remainder"] == 1


def _luhn(values: pl.Series) -> pl.Series:
    return values.to_frame("value").select(luhn_valid(pl.col("value"))).to_series()


_CHECKSUMS = {"luhn": _luhn, "mod97": mod97_valid}


@cache
def name_recognizer(model: str):
    """A spaCy pipeline if spaCy and `model` are installed; None otherwise (never downloads)."""
    if importlib.util.find_spec("spacy") is None:
        return None
    import spacy

    try:
        return spacy.load(model, enable=["ner"])
    except OSError:
        return None


@dataclass
class PiiResult:
    rows: pl.DataFrame
    decisions: pl.DataFrame
    summary: dict


def _matches(rows: pl.DataFrame, entity: Entity) -> pl.DataFrame:
    """row_id, field, value, start of every (checksum-valid) match of `entity`."""
    found = []
    for text_field in TEXT_FIELDS:
        if text_field not in rows.columns:
            continue
        found.append(
            rows.select(
                "row_id",
                pl.lit(text_field).alias("field"),
                pl.col(text_field).str.extract_all(entity.pattern).alias("value"),
                pl.col(text_field).alias("_text"),
            )
            .explode("value")
            .drop_nulls("value")
        )
    long = pl.concat(found) if found else pl.DataFrame()
    if long.is_empty():
        return pl.DataFrame(
            schema={"row_id": pl.String, "field": pl.String, "value": pl.String, "start": pl.UInt32}
        )
    if entity.checksum:
        long = long.filter(_CHECKSUMS[entity.checksum](long["value"]))
    return long.select(
        "row_id",
        "field",
        "value",
        pl.col("_text").str.find(pl.col("value"), literal=True).alias("start"),
    )


def _person_matches(rows: pl.DataFrame, config: PiiConfig) -> pl.DataFrame:
    nlp = name_recognizer(config.names_model)
    found = []
    for text_field in TEXT_FIELDS:
        texts = rows.select("row_id", pl.col(text_field).fill_null("")).rows()
        # The recognizer is a Python model: one batched pass per field.
        for (row_id, _text), doc in zip(texts, nlp.pipe(t for _, t in texts), strict=True):
            found += [
                (row_id, text_field, ent.text, ent.start_char)
                for ent in doc.ents
                if ent.label_ == "PERSON"
            ]
    return pl.DataFrame(
        found,
        schema={"row_id": pl.String, "field": pl.String, "value": pl.String, "start": pl.UInt32},
        orient="row",
    )


def redact(rows: pl.DataFrame, matches: pl.DataFrame, placeholder: str) -> pl.DataFrame:
    """`rows` with each value found in a row (`matches`: row_id, value) replaced by
    `placeholder` wherever it occurs in that row's text fields, longest value first.

    A value is looked for only in the row it was found in, so a row's text never depends on
    which other rows are redacted with it. A row's text is cut into its values, runs of
    characters no value starts with, and single characters, by one pattern per row; the values
    among the pieces are replaced. (The runs keep the pieces few: no value can start inside
    one, so cutting there changes nothing.)"""
    all_found = matches.select("row_id", "value").unique()

    def cut_patterns(found: pl.DataFrame) -> pl.DataFrame:
        return found.group_by("row_id").agg(
            pl.concat_str(
                pl.lit("(?:"),
                pl.col("value")
                .sort_by(pl.col("value").str.len_chars(), pl.col("value"), descending=[True, False])
                .str.escape_regex()
                .str.join("|"),
                pl.lit(")|[^"),
                pl.col("value").str.slice(0, 1).unique().sort().str.escape_regex().str.join(""),
                pl.lit("]+|(?s:.)"),
            ).alias("_pattern")
        )

    all_patterns = cut_patterns(all_found)
    for text_field in TEXT_FIELDS + REDACTED_TOO:
        if text_field not in rows.columns:
            continue
        found, patterns = all_found, all_patterns
        if text_field in REDACTED_TOO:
            # A value JSON would escape is not verbatim in the JSON: leave the turns as they are.
            found = found.filter(~pl.col("value").str.contains(r'["\\\x00-\x1f]'))
            patterns = cut_patterns(found)
        pieces = (
            rows.select("row_id", text_field)
            .filter(pl.col(text_field).is_not_null())
            .join(patterns, on="row_id")
            .select("row_id", pl.col(text_field).str.extract_all(pl.col("_pattern")).alias("value"))
            .explode("value")
            .with_columns(pl.int_range(pl.len()).alias("_position"))
        )
        redacted = (
            pieces.join(
                found.with_columns(pl.lit(True).alias("_found")),
                on=["row_id", "value"],
                how="left",
            )
            .sort("_position")
            .group_by("row_id", maintain_order=True)
            .agg(
                pl.when(pl.col("_found"))
                .then(pl.lit(placeholder))
                .otherwise(pl.col("value"))
                .str.join("")
                .alias(text_field)
            )
        )
        rows = rows.update(redacted, on="row_id")
    return rows


def _not_checked() -> dict[str, Any]:
    return {"found": {}, "names": "not checked: disabled"}


def scan_pii(rows: pl.DataFrame, config: PiiConfig) -> PiiResult:
    """Redact or drop per the recipe; one decision per row and entity type."""
    summary = _not_checked()
    if not config.enabled or rows.is_empty():
        return PiiResult(rows, no_decisions(), summary)
    entities = [(e, getattr(config, e.type)) for e in ENTITIES]
    if config.person != "off":
        if name_recognizer(config.names_model) is None:
            summary["names"] = (
                f"not checked, no recognizer (spaCy model {config.names_model!r} not installed)"
            )
        else:
            summary["names"] = f"checked with spaCy {config.names_model}"
            entities.append((Entity("person", "<PERSON>", ""), config.person))
    decisions, drop_ids = [no_decisions()], set()
    # One type at a time on the text redacted so far: an email's digits are never a phone.
    for entity, action in entities:
        if action == "off":
            continue
        matches = (
            _person_matches(rows, config) if entity.type == "person" else _matches(rows, entity)
        )
        summary["found"][entity.type] = matches.height
        if matches.is_empty():
            continue
        hashed = matches.with_columns(hash_ids(matches["value"]).str.slice(0, 16).alias("sha256"))
        decisions.append(
            hashed.group_by("row_id", maintain_order=True)
            .agg(
                pl.struct("field", "start", "sha256").alias("matches"),
                pl.len().alias("count"),
            )
            .select(
                "row_id",
                pl.lit(f"pii.{entity.type}").alias("rule"),
                pl.lit(action).alias("action"),
                pl.col("count").cast(pl.Float64).alias("score"),
                pl.struct(
                    type=pl.lit(entity.type),
                    count=pl.col("count"),
                    matches=pl.col("matches"),
                )
                .struct.json_encode()
                .alias("evidence"),
            )
            .cast(STEP_DECISION_SCHEMA)
        )
        if action == "drop":
            drop_ids |= set(matches["row_id"].to_list())
            continue
        rows = redact(rows, matches, entity.placeholder)
    all_decisions = pl.concat(decisions)
    if drop_ids:
        dropped = pl.Series("row_id", sorted(drop_ids))
        rows = rows.filter(~pl.col("row_id").is_in(dropped))
        # A dropped row keeps only its drop decisions: its redactions never reach a version.
        all_decisions = all_decisions.filter(
            ~pl.col("row_id").is_in(dropped) | (pl.col("action") == "drop")
        )
    summary["rows_redacted"] = all_decisions.filter(pl.col("action") == "redact")[
        "row_id"
    ].n_unique()
    summary["rows_dropped"] = len(drop_ids)
    return PiiResult(rows, all_decisions, summary)


@dataclass
class PiiRedaction(RowStep):
    """Personal data redacted (or its rows dropped) before any other step, so no later
    decision or version holds it; its statistics (`pii`) count what was found."""

    config: PiiConfig
    name: str = "pii"
    Config: ClassVar[type[Strict]] = PiiConfig
    config_key: ClassVar[str] = "pii"
    _summary: dict[str, Any] = field(default_factory=dict, init=False)

    @classmethod
    def from_config(cls, config: PiiConfig, run: RunContext) -> list[PiiRedaction]:
        # Always present: the stage's metadata says whether personal data was looked for.
        return [cls(config)]

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        if rows.is_empty():
            return StepOutput(rows)
        result = scan_pii(rows, self.config)
        self._summary = merge_stats(self._summary, result.summary)
        return StepOutput(result.rows, result.decisions)

    def stats(self) -> dict[str, Any]:
        return {"pii": self._summary or _not_checked()}
