"""From a record's fields to the canonical seed fields: aliases resolved, types checked.

Every reader brings its records to one shape: for each name a field goes by (`ALIASES`, the
flattened `FIELD_ALIASES`), its value as text (`value_<i>`) and its type as a JSON type name
(`type_<i>`: `VARCHAR`, `BIGINT`, `DOUBLE`, `BOOLEAN`, `ARRAY`, `OBJECT`, `NULL`; null where
the record lacks it). `pick_fields` then takes each field from the one name a record gives it
under, and names the first problem of a record: a value of the wrong type (`wrong_type`, with
the field and the type found), or one field given under two names (`ambiguous_field`: which
to keep is the user's call, not ours). Polars expressions over a few columns, no loops over
records.
"""

from __future__ import annotations

import polars as pl

from assets.seed_readers.result import FIELD_ALIASES

# (field, name) for every name of every field, in `FIELD_ALIASES` order.
ALIASES: list[tuple[str, str]] = [
    (field, alias) for field, aliases in FIELD_ALIASES.items() for alias in aliases
]

# The JSON types each field accepts; a number is a valid final answer (turned into text).
ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    **{name: ("VARCHAR",) for name in FIELD_ALIASES},
    "answer": ("VARCHAR", "BIGINT", "UBIGINT", "DOUBLE"),
    # An object in JSON; a table keeps it as JSON text (CSV has no other way).
    "attributes": ("OBJECT", "VARCHAR"),
}
TYPE_WORDS = {
    "VARCHAR": "a string",
    "BIGINT": "a number",
    "UBIGINT": "a number",
    "DOUBLE": "a number",
    "BOOLEAN": "a boolean",
    "ARRAY": "a list",
    "OBJECT": "an object",
}


def value_column(index: int) -> str:
    return f"value_{index}"


def type_column(index: int) -> str:
    return f"type_{index}"


def _expected(field: str) -> str:
    words = dict.fromkeys(TYPE_WORDS.get(t, t) for t in ACCEPTED_TYPES[field])
    return " or ".join(words)


def pick_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace the `value_<i>`/`type_<i>` columns of `frame` by each canonical field (as
    text) and fold type and alias problems into its `problem` column (the reader's own
    problem, e.g. malformed JSON, comes first). `field` and `found` name the record's field
    (as the file spells it) and the type found, for a `wrong_type` or `ambiguous_field`."""
    picked, problems, fields, founds = [], [], [], []
    for field in FIELD_ALIASES:
        indexes = [i for i, (owner, _) in enumerate(ALIASES) if owner == field]
        given = {
            i: pl.col(type_column(i)).is_not_null() & (pl.col(type_column(i)) != "NULL")
            for i in indexes
        }
        count = pl.sum_horizontal([g.cast(pl.Int32) for g in given.values()])

        def first(values: dict[int, pl.Expr], given: dict[int, pl.Expr] = given) -> pl.Expr:
            """The value of the first name the record gives."""
            return pl.coalesce([pl.when(given[i]).then(values[i]) for i in given])

        found = first({i: pl.col(type_column(i)) for i in indexes})
        alias = first({i: pl.lit(ALIASES[i][1]) for i in indexes})
        accepted = found.is_in(list(ACCEPTED_TYPES[field]))
        wrong = found.is_not_null() & ~accepted
        names = pl.concat_str(
            [pl.when(given[i]).then(pl.lit(ALIASES[i][1])) for i in indexes],
            separator=" and ",
            ignore_nulls=True,
        )
        problems.append(
            pl.when(count > 1)
            .then(
                pl.lit(f"ambiguous_field: {field} is given as both ")
                + names
                + pl.lit("; keep one of them")
            )
            .when(wrong)
            .then(
                pl.lit("wrong_type: field '")
                + alias
                + pl.lit("'")
                + pl.when(alias == field).then(pl.lit("")).otherwise(pl.lit(f" (the {field})"))
                + pl.lit(" is ")
                + found.replace_strict(TYPE_WORDS, default=found.str.to_lowercase())
                + pl.lit(f", expected {_expected(field)}")
            )
        )
        fields.append(pl.when((count > 1) | wrong).then(alias))
        founds.append(pl.when(wrong).then(found))
        picked.append(
            pl.when(accepted)
            .then(first({i: pl.col(value_column(i)) for i in indexes}))
            .alias(field)
        )
    own = pl.col("problem").is_not_null()
    helpers = [value_column(i) for i in range(len(ALIASES))]
    helpers += [type_column(i) for i in range(len(ALIASES))]
    return frame.with_columns(
        pl.when(own).then(None).otherwise(pl.coalesce(fields)).alias("field"),
        pl.when(own).then(None).otherwise(pl.coalesce(founds)).alias("found"),
        pl.coalesce(pl.col("problem"), *problems).alias("problem"),
        *picked,
    ).drop(helpers)
