"""`synthfoundry versions [CORPUS]`: every version with its status, counts and parents."""

from __future__ import annotations

import argparse

import polars as pl

from orchestration.api import CORPORA, Warehouse, list_versions
from orchestration.commands.output import data_console, error_line
from orchestration.tables import print_frame


def register(commands: argparse._SubParsersAction) -> None:
    versions = commands.add_parser("versions", help="list corpus versions")
    versions.add_argument("corpus", nargs="?")
    versions.set_defaults(handler=cmd_versions)


def cmd_versions(args: argparse.Namespace) -> int:
    if args.corpus and args.corpus not in CORPORA:
        error_line(f"unknown corpus {args.corpus!r}; expected one of {', '.join(CORPORA)}")
        return 2
    frame = list_versions(Warehouse(args.home), args.corpus).select(
        "corpus",
        "version",
        "status",
        pl.col("is_current").alias("current"),
        pl.col("row_count").alias("rows"),
        pl.col("dropped_count").alias("dropped"),
        pl.col("parent_versions")
        .list.eval(
            pl.format(
                "{} v{}", pl.element().struct.field("corpus"), pl.element().struct.field("version")
            )
        )
        .list.join(", ")
        .alias("parents"),
        "created_at",
    )
    print_frame(data_console, frame)
    return 0
