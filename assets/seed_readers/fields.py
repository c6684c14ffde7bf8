"""From a record's fields to the canonical seed fields: aliases resolved, types checked.

Every reader brings its records to one shape: for each canonical field, the values of its
aliases (`FIELD_ALIASES`, in order) as text, and their types as JSON type names (`VARCHAR`,
`BIGINT`, `DOUBLE`, `BOOLEAN`, `ARRAY`, `OBJECT`; null where the alias is absent or null).
`pick_fields` then takes each field from the one alias a record gives, and names the first
problem of a record: a value of the wrong type (`wrong_type`, with the field and the type
found), or one field given under two names (`ambiguous_field`: which to keep is the user's
call, not ours). All in Polars expressions, no loop over records.
"""

from __future__ import annotations

import polars as pl

from assets.seed_readers.result import FIELD_ALIASES

VALUES = "{}__values"
TYPES = "{}__types"

# The JSON types each field accepts; a number is a valid final answer (turned into text).
STRING = ("VARCHAR",)
ACCEPTED_TYPES: dict[str, tuple[str, ...]] = {
    **{name: STRING for name in FIELD_ALIASES},
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


def _expected(field: str) -> str:
    words = dict.fromkeys(TYPE_WORDS.get(t, t) for t in ACCEPTED_TYPES[field])
    return " or ".join(words)


def pick_fields(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace the `<field>__values`/`<field>__types` lists of `frame` by each canonical field
    (as text) and fold type and alias problems into its `problem` column (the reader's own
    problem, e.g. malformed JSON, comes first). `field` and `found` name the record's field
    (as the file spells it) and the type found, for a `wrong_type` problem."""
    picked, problems, fields, founds = [], [], [], []
    for field, aliases in FIELD_ALIASES.items():
        types = pl.col(TYPES.format(field))
        given = types.list.eval(pl.element().is_not_null() & (pl.element() != "NULL"))
        count = given.list.sum()
        first = given.list.arg_max()
        found = pl.when(count > 0).then(types.list.get(first, null_on_oob=True))
        alias = pl.when(count > 0).then(pl.lit(pl.Series([list(aliases)])).list.get(first))
        accepted = found.is_in(list(ACCEPTED_TYPES[field]))
        wrong = found.is_not_null() & ~accepted
        names = given.list.eval(pl.element().arg_true()).list.eval(
            pl.element().replace_strict(dict(enumerate(aliases)), return_dtype=pl.String)
        )
        problems.append(
            pl.when(count > 1)
            .then(
                pl.lit(f"ambiguous_field: {field} is given as both ")
                + names.list.join(" and ")
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
            .then(pl.col(VALUES.format(field)).list.get(first, null_on_oob=True))
            .alias(field)
        )
    helpers = [VALUES.format(f) for f in FIELD_ALIASES] + [TYPES.format(f) for f in FIELD_ALIASES]
    own = pl.col("problem").is_not_null()
    return frame.with_columns(
        pl.when(own).then(None).otherwise(pl.coalesce(fields)).alias("field"),
        pl.when(own).then(None).otherwise(pl.coalesce(founds)).alias("found"),
        pl.coalesce(pl.col("problem"), *problems).alias("problem"),
        *picked,
    ).drop(helpers)
