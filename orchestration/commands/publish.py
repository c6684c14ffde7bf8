"""`synthfoundry publish`: the Hub dataset of the current decontaminated version (a dry run
unless `--push`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.api import UserError, Warehouse, load_recipe, publish, recipe_path
from orchestration.commands.output import console, user_error_line


def register(commands: argparse._SubParsersAction) -> None:
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


def cmd_publish(args: argparse.Namespace) -> int:
    wh = Warehouse(args.home)
    try:
        recipe = load_recipe(recipe_path(args.recipe), wh.home)
        bundle, where = publish(
            wh,
            recipe,
            folder=Path(args.out) if args.out else None,
            repo_id=args.repo_id,
            push=args.push,
            private=args.private,
        )
    except UserError as exc:  # a recipe or publication that cannot be used
        user_error_line(exc)
        return 2
    mode = "pushed" if args.push else "dry run (nothing uploaded; --push uploads with $HF_TOKEN)"
    console.print(f"decontaminated v{bundle.version}: {bundle.rows} rows, {mode}")
    for name in bundle.files:
        console.print(f"  {bundle.folder / name}")
    console.print(f"repo: {bundle.repo_id} -> {where}")
    return 0
