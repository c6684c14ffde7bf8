"""`synthfoundry trace ROW_ID`: a row's whole ancestry, as text or JSON."""

from __future__ import annotations

import argparse
import json

from orchestration.api import Warehouse, trace
from orchestration.commands.output import console, plain


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("trace", help="a row's whole ancestry")
    command.add_argument("row_id")
    command.add_argument("--json", action="store_true", help="machine-readable output")
    command.set_defaults(handler=cmd_trace)


def cmd_trace(args: argparse.Namespace) -> int:
    report = trace(Warehouse(args.home), args.row_id)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0 if report["found"] else 1
    if not report["found"]:
        console.print(f"[yellow]row {plain(args.row_id)} is in no corpus version[/yellow]")
        for d in report["decisions"]:
            console.print(
                f"  decision: {plain(d['corpus'])} v{plain(d['version'])} {plain(d['stage'])} {plain(d['action'])} {plain(d['rule'])} {plain(d['evidence'])}"
            )
        return 1
    row = report["row"]
    console.rule(f"row {plain(args.row_id)}")
    console.print(
        f"method [bold]{plain(row['method'])}[/bold], generator {plain(row['generator_id'])}, run {plain(row['run_id'])}"
    )
    for key in ("instruction", "input", "response", "text", "answer"):
        if row.get(key) and not report["turns"]:
            console.print(f"[bold]{plain(key)}[/bold]: {plain(row[key])}")
    for turn in report["turns"]:
        made_by = f"  [dim]call {plain(turn['call_id'][:16])}[/dim]" if turn["call_id"] else ""
        console.print(f"[bold]turn {turn['turn']} ({plain(turn['role'])})[/bold]{made_by}")
        if turn.get("content"):
            console.print(f"  {turn['content']}", markup=False)
        for call in turn.get("tool_calls") or []:
            function = call["function"]
            console.print(
                f"  calls {function['name']}({function['arguments']}) id {call['id']}", markup=False
            )
        if turn.get("tool_call_id"):
            console.print(f"  [dim]result of {plain(turn['tool_call_id'])}[/dim]")
    console.print(
        "[bold]in corpora[/bold]: "
        + ", ".join(
            f"{plain(o['corpus'])} v{plain(o['version'])} ({plain(o['status'])}{', current' if o['is_current'] else ''})"
            for o in report["occurrences"]
        )
    )
    for ancestor in report["ancestors"]:
        console.print(
            f"[bold]parent[/bold] {plain(ancestor['row_id'])} ({plain(ancestor['method'])}): {plain(ancestor.get('instruction'))}"
        )
    for seed_row in report["seeds"]:
        where = f"{seed_row['source']}:{seed_row['source_line']}"
        console.print(
            f"[bold]seed[/bold] {plain(seed_row['row_id'])} ({plain(seed_row['kind'])}, {plain(where)}): {plain(seed_row['instruction'] or seed_row['text'])}"
        )
    for generator in report["generators"]:
        console.print(
            f"[bold]generator[/bold] {plain(generator['generator_id'])}: {plain(generator['backend'])} {plain(generator['model'])} "
            f"{plain(generator['model_digest'] or '')} template={plain(generator['template_name'])}@{plain(generator['template_version'])} "
            f"sha256={plain((generator['template_sha256'] or '')[:12])} params={plain(generator['params'])}"
        )
    for call in report["calls"]:
        console.print(
            f"[bold]model call[/bold] {plain(call['request_hash'][:16])} ({plain(call['completion_tokens'])} tokens, {call['latency_ms']:.0f} ms)"
        )
        console.print(f"  prompt: {plain(call['prompt'])}")
        console.print(f"  raw output: {plain(call['raw_output'])}")
    for d in report["decisions"]:
        console.print(
            f"[bold]decision[/bold] {plain(d['corpus'])} v{plain(d['version'])}: {plain(d['action'])} by {plain(d['rule'])} ({plain(d['evidence'])})"
        )
    return 0
