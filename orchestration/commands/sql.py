"""`synthfoundry sql QUERY`: a read-only query on the warehouse, in the format asked for."""

from __future__ import annotations

import argparse
import sys

from orchestration.api import UserError, Warehouse, query
from orchestration.commands.output import data_console, user_error_line
from orchestration.query_output import FORMAT_ENCODING, FORMATS, write_result


def register(commands: argparse._SubParsersAction) -> None:
    sql = commands.add_parser("sql", help="run a read-only SQL query on the warehouse")
    sql.add_argument("query")
    sql.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), csv, json (an array), jsonl (one object a line), markdown",
    )
    sql.add_argument("--limit", type=int, default=50, help="rows shown in table format")
    sql.set_defaults(handler=cmd_sql)


def cmd_sql(args: argparse.Namespace) -> int:
    try:
        with query(Warehouse(args.home), args.query, FORMAT_ENCODING[args.format]) as result:
            write_result(result, args.format, sys.stdout, data_console, args.limit)
    except UserError as exc:  # a refused or failed query: no log, nothing went wrong here
        user_error_line(exc)
        return 2
    return 0
