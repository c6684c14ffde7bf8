"""`synthfoundry run`: materialize the whole flow in this process, one line per step."""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import threading
import time
import uuid
from pathlib import Path

import polars as pl
from rich.markup import escape
from rich.text import Text

from orchestration.api import (
    DEFAULT_RECIPE,
    PROGRESS_PREFIX,
    WAIT_FOR_BATCHES_TAG,
    Warehouse,
    list_versions,
    load_recipe,
    readme_hint,
    recipe_path,
)
from orchestration.commands.output import (
    console,
    data_console,
    error_console,
    error_line,
    log_file,
    with_hint,
    write_log,
)
from orchestration.tables import print_frame

# The progress lines below replace Dagster's per-event console log, whose failures come with
# a stack trace; warnings are shown by the progress loop. `--verbose` keeps Dagster's errors.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
VERBOSE_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
# Dagster's warning for each step left out after a failure: the failure line says it all.
SKIP_NOTICE = "Dependencies for step"


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="materialize the whole flow in this process")
    run.add_argument(
        "--wait",
        action="store_true",
        help="with a batch backend, poll its provider batches in this process until they "
        "finish (default: the synthesized version ends pending and the pending_batches "
        "sensor re-materializes it when they finish)",
    )
    run.add_argument(
        "--recipe",
        default=None,
        help=f"recipe YAML (default $SYNTHFOUNDRY_RECIPE or {DEFAULT_RECIPE})",
    )
    run.set_defaults(handler=cmd_run)


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

    wh = Warehouse(args.home)
    path = recipe_path(args.recipe)
    recipe = load_recipe(path, wh.home)
    os.environ["SYNTHFOUNDRY_HOME"] = str(wh.home)
    console.print(
        f"SynthFoundry: recipe [bold]{escape(recipe.name)}[/bold] ({escape(str(path))}) "
        f"→ {escape(str(wh.path))}"
    )
    job = build_definitions(str(wh.home), path).resolve_job_def(FLOW_JOB_NAME)
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
                tags={
                    **process_tags(),
                    **({WAIT_FOR_BATCHES_TAG: "true"} if args.wait else {}),
                },
            )
        except Exception as exc:  # surfaced below, after the progress loop ends
            outcome["error"] = exc

    worker = threading.Thread(target=execute, daemon=True)
    started = time.monotonic()
    worker.start()
    cursor = None
    while True:
        alive = worker.is_alive()
        cursor = _show_progress(instance, run_id, cursor, started)
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
    """One line per failed step: the error that stopped it, without Dagster's wrapping, and
    the README section of an expected failure; the full errors with their stack traces go to
    `log`."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        if error is None:
            error_line(f"{event.step_key} failed", log)
            continue
        write_log(log, f"{event.step_key}:\n{error.to_string()}")
        cause = error.cause or error
        # Dagster prefixes the message with the exception's module and class.
        message = cause.message.removeprefix(f"{cause.cls_name}: ")
        message = message.split(f".{cause.cls_name}: ", 1)[-1]
        # Only the class name crossed the step boundary: the hint is found by that name.
        hint = readme_hint(cause.cls_name)
        error_line(with_hint(f"{event.step_key} failed: {message}", hint), log)


def _show_progress(instance, run_id: str, cursor: str | None, started: float) -> str:
    """Print the run's events after `cursor` and return the cursor past them. Each poll reads
    only the new events (2 ms of CPU): the whole log, read twice a second, cost 22 ms a poll
    for a base recipe's 62 events and grew with every event of a long run."""
    from dagster import DagsterEventType

    new = instance.get_records_for_run(run_id, cursor=cursor)
    for record in (r.event_log_entry for r in new.records):
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
            materialization = event.event_specific_data.materialization
            meta = materialization.metadata
            if (status := meta.get("status")) is not None and status.value == "pending":
                console.print(
                    f"{clock}  [yellow]… {escape(materialization.description or '')}[/yellow]",
                    soft_wrap=True,
                )
                continue
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
    return new.cursor


def _print_next_steps(wh: Warehouse) -> None:
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
        "           synthfoundry plan",
        "           make ui",
    ):
        console.print(line, markup=False, soft_wrap=True)
