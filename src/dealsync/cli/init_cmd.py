"""``dealsync init``: write a commented starter config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from dealsync.cli.context import EXIT_USAGE, ctx_obj, fail
from dealsync.config import DEFAULT_PATH


def starter_config() -> str:
    return resources.files("dealsync.templates").joinpath("starter.yml").read_text(encoding="utf-8")


def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Target (default: --config or ./dealsync.yml).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter dealsync.yml."""
    app = ctx_obj(ctx)
    target = path or app.config_path or DEFAULT_PATH
    if target.exists() and not force:
        fail(f"{target} already exists; pass --force to overwrite it or give another path", EXIT_USAGE)
    target.write_text(starter_config(), encoding="utf-8")
    if app.json_output:
        app.emit_json({"written": str(target)})
    else:
        app.console.print(f"Wrote [bold]{target}[/]. Edit the connections, then run [bold]dealsync check[/].")
