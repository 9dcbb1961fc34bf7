"""``dealsync pull``: incremental (or ``--full``) pull of every connection, or one, into the store."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape

from dealsync.cli.context import EXIT_FAILED, ctx_obj, exit_codes
from dealsync.cli.pulling import pull_all
from dealsync.cli.render import pull_table
from dealsync.store import open_store


def pull(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Re-read everything instead of changes since the cursor.")
    ] = False,
    connection: Annotated[str | None, typer.Option("--connection", help="Only this connection.")] = None,
) -> None:
    """Pull deals from the CRMs into the store."""
    app = ctx_obj(ctx)
    with exit_codes():
        settings = app.settings()
        targets = [settings.connection(connection)] if connection else list(settings.connections)
        with open_store(settings.store) as store:
            results = pull_all(
                store,
                targets,
                full=full,
                console=app.console,
                show_progress=not app.json_output and sys.stderr.isatty(),
            )
    if app.json_output:
        app.emit_json({"connections": [asdict(r) for r in results]})
    else:
        app.console.print(pull_table(results))
        for result in results:
            for message in result.unmapped_stages.values():
                app.console.print(f"[yellow]unmapped:[/] {escape(message)}", highlight=False)
    if any(r.error for r in results):
        raise typer.Exit(EXIT_FAILED)
