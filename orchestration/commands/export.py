"""`synthfoundry export`: a corpus version as Parquet and JSON lines, with a manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.api import Warehouse, export, read_version
from orchestration.commands.output import console, error_line


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("export", help="write a corpus version to Parquet/JSONL")
    command.add_argument("--corpus", default="decontaminated")
    command.add_argument("--version", type=int, default=None, help="default: the current version")
    command.add_argument(
        "--out", default=None, help="default: $SYNTHFOUNDRY_HOME/exports/<corpus>/v<N>"
    )
    command.add_argument(
        "--formats", nargs="+", choices=["parquet", "jsonl"], default=["parquet", "jsonl"]
    )
    command.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    wh = Warehouse(args.home)
    try:
        number, rows = read_version(wh, args.corpus, args.version)
    except (LookupError, ValueError) as exc:
        error_line(f"{exc}; `synthfoundry versions {args.corpus}` lists its versions")
        return 2
    target = Path(args.out) if args.out else wh.exports_dir / args.corpus / f"v{number}"
    written = export(
        rows,
        target,
        args.formats,
        {"corpus": args.corpus, "version": number, "row_count": rows.height},
    )
    for name, path in written.items():
        console.print(f"{name}: {path}")
    return 0
