"""The `synthfoundry` command: run the flow, list versions, trace rows, query, export."""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from assets.models.call_progress import PROGRESS_PREFIX
from assets.paths import DEFAULT_RECIPE
from assets.recipe.loader import RecipeError, load_recipe
from orchestration.home import prepare_home
from orchestration.query_output import FORMATS
from orchestration.tables import print_frame
from warehouse import Warehouse
from warehouse.connection import synthfoundry_home
from warehouse.errors import UserError, readme_hint

# Messages may carry markup of ours; values from the data go through `escape` or `Text`.
console = Console(highlight=False, emoji=False)
# Query results and row values: printed as they are, never read as markup or emoji codes.
data_console = Console(highlight=False, markup=False, emoji=False)
error_console = Console(stderr=True, highlight=False, markup=False, emoji=False)
# The progress lines below replace Dagster's per-event console log, whose failures come with
# a stack trace; warnings are shown by the progress loop. `--verbose` keeps Dagster's errors.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
VERBOSE_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# Dagster's warning for each step left out after a failure: the failure line says it all.
SKIP_NOTICE = "Dependencies for step"


def _warehouse(args: argparse.Namespace) -> Warehouse:
    return Warehouse(args.home)


def error_line(message: str, log: Path | None = None) -> None:
    """One line on stderr: what is wrong and what to do, and where the full log is."""
    text = " ".join(message.split())
    if log is not None:
        text += f" (full log: {log})"
    error_console.print(Text(f"error: {text}", style="red"), soft_wrap=True)


def with_hint(message: str, hint: str | None) -> str:
    """`message`, then where the README explains the fix (when it is a `UserError`'s)."""
    return f"{message.rstrip()}; {hint}" if hint else message


def log_file(home: Path, name: str) -> Path:
    """A file under `<home>/logs` for the full text of what went wrong."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _write_log(path: Path, text: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"--- {stamp} synthfoundry {' '.join(sys.argv[1:])}\n{text}\n")


def _dagster_instance(home: Path):
    """The instance `make ui` also uses ($DAGSTER_HOME, default <home>/dagster), so runs
    started here show up in the web UI."""
    import dagster as dg

    from orchestration.run_health import ensure_instance_config

    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(home / "dagster")
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    # Two runs started at once would both create the instance's SQLite storages and race on
    # their schema migrations; the first to hold the lock creates them, the other reuses them.
    # Closing the lock file releases the lock.
    with open(dagster_home / ".synthfoundry-init.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_instance_config(dagster_home)
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)
        instance.all_instigator_state()
    return instance


def cmd_run(args: argparse.Namespace) -> int:
    """Materialize the whole flow in this process, printing each step as it finishes."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.jobs import FLOW_JOB_NAME
    from orchestration.run_health import fail_dead_runs, process_tags

    wh = _warehouse(args)
    recipe_path = args.recipe or os.environ.get("SYNTHFOUNDRY_RECIPE") or DEFAULT_RECIPE
    recipe = load_recipe(recipe_path, wh.home)
    os.environ["SYNTHFOUNDRY_HOME"] = str(wh.home)
    console.print(
        f"SynthFoundry: recipe [bold]{escape(recipe.name)}[/bold] ({escape(str(recipe_path))}) "
        f"→ {escape(str(wh.path))}"
    )
    job = build_definitions(str(wh.home), recipe_path).resolve_job_def(FLOW_JOB_NAME)
    instance = _dagster_instance(wh.home)
    for dead in fail_dead_runs(instance):
        console.print(f"[yellow]run {dead} was left unfinished (its process died): marked failed")
    run_id = str(uuid.uuid4())
    outcome: dict = {}

    def execute() -> None:
        try:
            outcome["result"] = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                run_config=VERBOSE_LOGS if args.verbose else QUIET_LOGS,
                tags=process_tags(),
            )
        except Exception as exc:  # surfaced below, after the progress loop ends
            outcome["error"] = exc

    worker = threading.Thread(target=execute, daemon=True)
    started = time.monotonic()
    worker.start()
    shown = 0
    while True:
        alive = worker.is_alive()
        shown = _show_progress(instance, run_id, shown, started)
        if not alive:
            break
        time.sleep(0.5)
    if "error" in outcome:
        raise outcome["error"]
    result: dg.ExecuteInProcessResult = outcome["result"]
    elapsed = time.monotonic() - started
    if result.success:
        console.print(f"[green]run {run_id} succeeded in {elapsed:.0f} s[/green]")
        _print_next_steps(wh)
        return 0
    console.print(f"[red]run {run_id} failed after {elapsed:.0f} s[/red]")
    _report_step_failures(result, log_file(wh.home, f"run-{run_id}.log"))
    return 1


def _report_step_failures(result, log: Path) -> None:
    """One line per failed step: the error that stopped it, without Dagster's wrapping; the
    full errors with their stack traces go to `log`."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        if error is None:
            error_line(f"{event.step_key} failed", log)
            continue
        _write_log(log, f"{event.step_key}:\n{error.to_string()}")
        cause = error.cause or error
        # Dagster prefixes the message with the exception's module and class.
        message = cause.message.removeprefix(f"{cause.cls_name}: ")
        message = message.split(f".{cause.cls_name}: ", 1)[-1]
        error_line(
            with_hint(f"{event.step_key} failed: {message}", readme_hint(cause.cls_name)), log
        )


def _show_progress(instance, run_id: str, shown: int, started: float) -> int:
    from dagster import DagsterEventType

    records = instance.all_logs(run_id)
    for record in records[shown:]:
        event = record.dagster_event
        clock = f"{time.monotonic() - started:6.1f}s"
        if event is None:
            message = record.user_message
            if message.startswith(PROGRESS_PREFIX):
                console.print(f"{clock}    {message}", markup=False)
            elif record.level >= logging.WARNING and not message.startswith(SKIP_NOTICE):
                error_console.print(Text(f"warning: {message}", style="yellow"), soft_wrap=True)
            continue
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            console.print(f"{clock}  … {event.step_key}")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            meta = event.event_specific_data.materialization.metadata
            version = meta.get("version")
            rows = meta.get("dagster/row_count")
            dropped = meta.get("dropped")
            parts = [
                f"v{version.value}" if version else None,
                f"{rows.value} rows" if rows else None,
            ]
            if dropped is not None:
                parts.append(f"{dropped.value} dropped")
            console.print(
                f"{clock}  [green]✓[/green] {event.asset_key.to_user_string()}  "
                + ", ".join(p for p in parts if p)
            )
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            mark = "[green]✓[/green]" if evaluation.passed else "[red]✗[/red]"
            console.print(
                f"{clock}  {mark} check {evaluation.asset_key.to_user_string()}: {evaluation.description}"
            )
        elif kind == DagsterEventType.STEP_FAILURE:
            console.print(f"{clock}  [red]✗ {event.step_key} failed[/red]")
        elif kind == DagsterEventType.STEP_SKIPPED:
            console.print(f"{clock}  [yellow]- {event.step_key} skipped[/yellow]")
    return len(records)


def _print_next_steps(wh: Warehouse) -> None:
    from warehouse.corpora import list_versions

    current = (
        list_versions(wh).filter(pl.col("is_current")).select("corpus", "version", "row_count")
    )
    print_frame(data_console, current, title="current versions")
    # Paths and commands are never broken by Rich: the terminal wraps them, copies stay whole.
    for line in (
        f"warehouse: {wh.path}",
        f"exports:   {wh.exports_dir}",
        'next:      synthfoundry sql "SELECT * FROM generator_yield"',
        "           synthfoundry trace ROW_ID",
        "           make ui",
    ):
        console.print(line, markup=False, soft_wrap=True)


def cmd_versions(args: argparse.Namespace) -> int:
    from warehouse.corpora import CORPORA, list_versions

    if args.corpus and args.corpus not in CORPORA:
        error_line(f"unknown corpus {args.corpus!r}; expected one of {', '.join(CORPORA)}")
        return 2
    frame = list_versions(_warehouse(args), args.corpus).select(
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


def plain(value: object) -> str:
    """A value from the data, safe inside our markup: shown as it is, never read as markup."""
    return escape(str(value))


def cmd_trace(args: argparse.Namespace) -> int:
    from warehouse.lineage import trace

    report = trace(_warehouse(args), args.row_id)
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


def cmd_sql(args: argparse.Namespace) -> int:
    from orchestration.query_output import FORMAT_ENCODING, write_result
    from warehouse.user_sql import QueryError, user_query

    try:
        with user_query(_warehouse(args), args.query, FORMAT_ENCODING[args.format]) as result:
            write_result(result, args.format, sys.stdout, data_console, args.limit)
    except QueryError as exc:
        error_line(str(exc))
        return 2
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from assets.export.files import export_version
    from warehouse.corpora import read_version

    wh = _warehouse(args)
    try:
        number, rows = read_version(wh, args.corpus, args.version)
    except (LookupError, ValueError) as exc:
        error_line(f"{exc}; `synthfoundry versions {args.corpus}` lists its versions")
        return 2
    target = Path(args.out) if args.out else wh.exports_dir / args.corpus / f"v{number}"
    written = export_version(
        rows,
        target,
        args.formats,
        {"corpus": args.corpus, "version": number, "row_count": rows.height},
    )
    for name, path in written.items():
        console.print(f"{name}: {path}")
    return 0


def _recipe(args: argparse.Namespace, wh: Warehouse):
    path = args.recipe or os.environ.get("SYNTHFOUNDRY_RECIPE") or DEFAULT_RECIPE
    return load_recipe(path, wh.home)


def cmd_report(args: argparse.Namespace) -> int:
    from assets.embeddings import Embedder
    from quality.report import ReportError, write_report

    wh = _warehouse(args)
    try:
        path = write_report(
            wh,
            args.corpus,
            args.version,
            Path(args.out) if args.out else None,
            embed=partial(Embedder().embed, wh),
        )
    except ReportError as exc:
        error_line(str(exc))
        return 2
    console.print(f"report: {path}", markup=False, soft_wrap=True)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from assets.export.hub import PublishError, publish

    wh = _warehouse(args)
    try:
        recipe = _recipe(args, wh)
        bundle, where = publish(
            wh,
            recipe,
            folder=Path(args.out) if args.out else None,
            repo_id=args.repo_id,
            push=args.push,
            private=args.private,
        )
    except (PublishError, RecipeError) as exc:
        error_line(str(exc))
        return 2
    mode = "pushed" if args.push else "dry run (nothing uploaded; --push uploads with $HF_TOKEN)"
    console.print(f"decontaminated v{bundle.version}: {bundle.rows} rows, {mode}")
    for name in bundle.files:
        console.print(f"  {bundle.folder / name}")
    console.print(f"repo: {bundle.repo_id} -> {where}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="synthfoundry", description=__doc__)
    root.add_argument(
        "--home",
        default=None,
        help="SynthFoundry home (default $SYNTHFOUNDRY_HOME or ./.synthfoundry); it must "
        "exist, except for `run`, which creates it",
    )
    root.add_argument(
        "--verbose", action="store_true", help="print stack traces of errors, not one line"
    )
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="materialize the whole flow in this process")
    run.add_argument(
        "--recipe",
        default=None,
        help=f"recipe YAML (default $SYNTHFOUNDRY_RECIPE or {DEFAULT_RECIPE})",
    )
    run.set_defaults(handler=cmd_run)

    versions = commands.add_parser("versions", help="list corpus versions")
    versions.add_argument("corpus", nargs="?")
    versions.set_defaults(handler=cmd_versions)

    trace = commands.add_parser("trace", help="a row's whole ancestry")
    trace.add_argument("row_id")
    trace.add_argument("--json", action="store_true", help="machine-readable output")
    trace.set_defaults(handler=cmd_trace)

    query = commands.add_parser("sql", help="run a read-only SQL query on the warehouse")
    query.add_argument("query")
    query.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), csv, json (an array), jsonl (one object a line), markdown",
    )
    query.add_argument("--limit", type=int, default=50, help="rows shown in table format")
    query.set_defaults(handler=cmd_sql)

    export = commands.add_parser("export", help="write a corpus version to Parquet/JSONL")
    export.add_argument("--corpus", default="decontaminated")
    export.add_argument("--version", type=int, default=None, help="default: the current version")
    export.add_argument(
        "--out", default=None, help="default: $SYNTHFOUNDRY_HOME/exports/<corpus>/v<N>"
    )
    export.add_argument(
        "--formats", nargs="+", choices=["parquet", "jsonl"], default=["parquet", "jsonl"]
    )
    export.set_defaults(handler=cmd_export)

    report = commands.add_parser("report", help="one self-contained HTML quality report")
    report.add_argument("version", nargs="?", type=int, help="default: the current version")
    report.add_argument("--corpus", default="decontaminated")
    report.add_argument(
        "--out", default=None, help="default: $SYNTHFOUNDRY_HOME/reports/<corpus>/v<N>/report.html"
    )
    report.set_defaults(handler=cmd_report)

    pub = commands.add_parser(
        "publish", help="Hub dataset of the current decontaminated version (dry run by default)"
    )
    pub.add_argument("--repo-id", default=None, help="ORG/NAME (default: recipe publish.repo_id)")
    mode = pub.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", dest="push", action="store_false", help="write files only")
    mode.add_argument("--push", dest="push", action="store_true", help="upload with $HF_TOKEN")
    pub.set_defaults(push=False)
    pub.add_argument(
        "--out", default=None, help="default: $SYNTHFOUNDRY_HOME/publish/decontaminated-v<N>"
    )
    pub.add_argument("--private", action="store_true", default=None, help="a private repository")
    pub.add_argument(
        "--recipe", default=None, help="recipe whose publish section applies (card, license)"
    )
    pub.set_defaults(handler=cmd_publish)
    return root


def restore_interrupt_signals() -> None:
    """Undo SIGINT/SIGTERM being ignored by inheritance (a background job of a
    non-interactive shell, some CI runners). Dagster maps SIGTERM to the SIGINT handler, and
    the log-tailing processes it starts inherit an ignored SIGTERM: they would outlive the run."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


# Failures of the user's input or environment (a bad recipe or seed file, an unreachable
# server, an unknown version, a busy warehouse) are `UserError`s: one line, no stack trace,
# and the README section to read. OSError too: a disk that is full or a path not writable.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (UserError, OSError)


def _checked_home(args: argparse.Namespace) -> Path | None:
    """The home the command works on; None (after saying why) when it must exist and does not.
    A mistyped `--home` would otherwise be a new, empty warehouse."""
    home = Path(args.home).expanduser().resolve() if args.home else synthfoundry_home()
    if args.command == "run" and not home.exists():
        console.print(f"creating a new SynthFoundry home at {escape(str(home))}")
    if args.command == "run" and not home.is_file():
        return prepare_home(home)
    if home.is_dir():
        return home
    where = (
        "--home"
        if args.home
        else "$SYNTHFOUNDRY_HOME"
        if "SYNTHFOUNDRY_HOME" in os.environ
        else "the default home"
    )
    error_line(
        f"no SynthFoundry home at {home} ({where}): check the path, or create one with "
        "`synthfoundry run`"
    )
    return None


def main(argv: list[str] | None = None) -> int:
    restore_interrupt_signals()
    args = parser().parse_args(argv)
    home = _checked_home(args)
    if home is None:
        return 2
    args.home = str(home)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130
    except Exception as exc:
        log = log_file(home, "synthfoundry.log")
        _write_log(log, "".join(traceback.format_exception(exc)))
        if args.verbose:
            traceback.print_exception(exc)
        if isinstance(exc, EXPECTED_ERRORS):
            error_line(with_hint(str(exc), readme_hint(exc)), log)
            return 2
        error_line(f"unexpected {type(exc).__name__}: {exc}; please report it", log)
        return 1


if __name__ == "__main__":
    sys.exit(main())
