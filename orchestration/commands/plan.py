"""`synthfoundry plan`: each stage's steps in the order it runs them, with their settings and
whether each is on, as the recipe resolves them (nothing runs)."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape

from orchestration.api import DEFAULT_RECIPE, Warehouse, load_recipe, plan, recipe_path
from orchestration.commands.output import console, data_console


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "plan", help="the steps each stage will run, in order, with their settings"
    )
    command.add_argument(
        "--recipe",
        default=None,
        help=f"recipe YAML (default $SYNTHFOUNDRY_RECIPE or {DEFAULT_RECIPE})",
    )
    command.add_argument("--json", action="store_true", help="machine-readable output")
    command.set_defaults(handler=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    wh = Warehouse(args.home)
    path = recipe_path(args.recipe)
    recipe = load_recipe(path, wh.home)
    stages = plan(wh, recipe)
    if args.json:
        print(json.dumps([stage.as_dict() for stage in stages], indent=2))
        return 0
    # A path is never broken by Rich: the terminal wraps it and a copy stays whole.
    console.print(
        f"recipe [bold]{escape(recipe.name)}[/bold] ({escape(str(path))})", soft_wrap=True
    )
    for stage in stages:
        console.print(f"[bold]{stage.stage}[/bold]")
        width = max(len(entry.name) for entry in stage.entries)
        for number, entry in enumerate(stage.entries, 1):
            state = "on " if entry.on else "off"
            # Settings are the user's values: printed as they are, never read as markup.
            data_console.print(
                f"  {number:>2}. {state}  {entry.name:<{width}}  {entry.kind:<14}  "
                f"{entry.key}  {entry.settings_json()}",
                soft_wrap=True,
            )
    return 0
