"""The one base of every expected failure: a mistake in the user's input or environment (a
bad recipe, seed file or query, an unknown name, an unreachable server, a busy warehouse),
as opposed to a bug. It lives in the lowest layer so every package may raise it; the CLI
catches this one class and prints its message and the README section to read."""

from __future__ import annotations

from typing import ClassVar


class UserError(Exception):
    """An expected failure; `readme_section` is the README heading that explains the fix."""

    readme_section: ClassVar[str] = "Command line"


def user_errors() -> dict[str, type[UserError]]:
    """Every `UserError` class imported so far, by class name (a Dagster step failure names
    only the class of its error)."""
    found: dict[str, type[UserError]] = {}
    pending: list[type[UserError]] = [UserError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    return found


def readme_hint(error: BaseException | str) -> str | None:
    """ "see README: <section>" for a `UserError` (or the name of its class), else None."""
    if isinstance(error, str):
        cls = user_errors().get(error)
    else:
        cls = type(error) if isinstance(error, UserError) else None
    return f"see README: {cls.readme_section}" if cls is not None else None
