"""What every command prints with: the consoles, one-line errors and the log of full errors."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from orchestration.api import readme_hint

# Messages may carry markup of ours; values from the data go through `escape` or `Text`.
console = Console(highlight=False, emoji=False)
# Query results and row values: printed as they are, never read as markup or emoji codes.
data_console = Console(highlight=False, markup=False, emoji=False)
error_console = Console(stderr=True, highlight=False, markup=False, emoji=False)


def error_line(message: str, log: Path | None = None) -> None:
    """One line on stderr: what is wrong and what to do, and where the full log is."""
    text = " ".join(message.split())
    if log is not None:
        text += f" (full log: {log})"
    error_console.print(Text(f"error: {text}", style="red"), soft_wrap=True)


def with_hint(message: str, hint: str | None) -> str:
    """`message`, then where the README explains the fix (when it is a `UserError`'s)."""
    return f"{message.rstrip()}; {hint}" if hint else message


def user_error_line(exc: BaseException, log: Path | None = None) -> None:
    """The error line of an expected failure, with its README section."""
    error_line(with_hint(str(exc), readme_hint(exc)), log)


def log_file(home: Path, name: str) -> Path:
    """A file under `<home>/logs` for the full text of what went wrong."""
    folder = home / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def write_log(path: Path, text: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"--- {stamp} synthfoundry {' '.join(sys.argv[1:])}\n{text}\n")


def plain(value: object) -> str:
    """A value from the data, safe inside our markup: shown as it is, never read as markup."""
    return escape(str(value))
