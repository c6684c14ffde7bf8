"""The `synthfoundry` command: run the flow, show its plan, list versions, trace rows, query,
export, report and publish. Each command lives in `orchestration/commands/`; this module
parses the command line, checks the home and turns failures into one line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from pathlib import Path

from rich.markup import escape

from orchestration.api import UserError, synthfoundry_home
from orchestration.commands import COMMANDS
from orchestration.commands.output import (
    console,
    error_line,
    log_file,
    user_error_line,
    write_log,
)
from orchestration.home import prepare_home

# Failures of the user's input or environment (a bad recipe or seed file, an unreachable
# server, an unknown version, a busy warehouse) are `UserError`s: one line, no stack trace,
# and the README section to read. OSError too: a disk that is full or a path not writable.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (UserError, OSError)
# Commands that work without an existing home: `run` creates it, `plan` reads only the recipe.
NO_HOME_NEEDED = ("run", "plan")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="synthfoundry", description=__doc__)
    root.add_argument(
        "--home",
        default=None,
        help="SynthFoundry home (default $SYNTHFOUNDRY_HOME or ./.synthfoundry); it must "
        "exist, except for `run`, which creates it, and `plan`",
    )
    root.add_argument(
        "--verbose", action="store_true", help="print stack traces of errors, not one line"
    )
    commands = root.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands)
    return root


def restore_interrupt_signals() -> None:
    """Undo SIGINT/SIGTERM being ignored by inheritance (a background job of a
    non-interactive shell, some CI runners). Dagster maps SIGTERM to the SIGINT handler, and
    the log-tailing processes it starts inherit an ignored SIGTERM: they would outlive the run."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _checked_home(args: argparse.Namespace) -> Path | None:
    """The home the command works on; None (after saying why) when it must exist and does not.
    A mistyped `--home` would otherwise be a new, empty warehouse."""
    home = Path(args.home).expanduser().resolve() if args.home else synthfoundry_home()
    if args.command == "run" and not home.exists():
        console.print(f"creating a new SynthFoundry home at {escape(str(home))}")
    if args.command == "run" and not home.is_file():
        return prepare_home(home)
    if home.is_dir() or (args.command in NO_HOME_NEEDED and not home.exists()):
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
        # A home that does not exist (`plan`) gets no log folder: the log goes beside nothing.
        log = log_file(home, "synthfoundry.log") if home.is_dir() else None
        if log is not None:
            write_log(log, "".join(traceback.format_exception(exc)))
        if args.verbose:
            traceback.print_exception(exc)
        if isinstance(exc, EXPECTED_ERRORS):
            user_error_line(exc, log)
            return 2
        error_line(f"unexpected {type(exc).__name__}: {exc}; please report it", log)
        return 1


if __name__ == "__main__":
    sys.exit(main())
