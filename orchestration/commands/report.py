"""`synthfoundry report [VERSION]`: one self-contained HTML quality report of a version."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.api import UserError, Warehouse, write_report
from orchestration.commands.output import console, user_error_line


def register(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="one self-contained HTML quality report")
    report.add_argument("version", nargs="?", type=int, help="default: the current version")
    report.add_argument("--corpus", default="decontaminated")
    report.add_argument(
        "--out", default=None, help="default: $SYNTHFOUNDRY_HOME/reports/<corpus>/v<N>/report.html"
    )
    report.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    try:
        path = write_report(Warehouse(args.home), args.corpus, args.version, out)
    except UserError as exc:
        user_error_line(exc)
        return 2
    console.print(f"report: {path}", markup=False, soft_wrap=True)
    return 0
