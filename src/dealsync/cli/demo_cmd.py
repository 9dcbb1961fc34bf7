"""``dealsync demo``: the whole job against the embedded emulator and a fresh SQLite store, no setup needed."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from dealsync.cli.context import EXIT_FAILED, ctx_obj, exit_codes
from dealsync.cli.emulator_cmd import connection_snippet
from dealsync.cli.pulling import pull_all
from dealsync.cli.render import pipeline_table, pull_table
from dealsync.config import load_settings
from dealsync.logging import register_secrets
from dealsync.store import open_store


def demo(
    ctx: typer.Context,
    deals: Annotated[int, typer.Option(min=10, help="Deals per emulated CRM.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
    workdir: Annotated[
        Path | None, typer.Option(help="Where to write the config, store and report (default: a new temp dir).")
    ] = None,
) -> None:
    """Start the emulator with seeded data, pull both CRMs into a fresh store, and show the unified pipeline."""
    from dealsync.emulator import run_emulator

    app = ctx_obj(ctx)
    folder = workdir or Path(tempfile.mkdtemp(prefix="dealsync-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    with exit_codes(), run_emulator(deals=deals, seed=seed, workdir=folder) as handle:
        config_path = folder / "dealsync.yml"
        store_path = folder / "dealsync.db"
        store_path.unlink(missing_ok=True)
        config_path.write_text(f"store: sqlite:///{store_path}\n" + connection_snippet(handle), encoding="utf-8")
        settings = load_settings(config_path, environ={})
        register_secrets(settings.secrets())
        if not app.json_output:
            app.console.print(
                f"Emulator: Salesforce {handle.salesforce_url}, HubSpot {handle.hubspot_url}; "
                f"{deals} deals per CRM (seed {seed}). Work folder: {folder}"
            )
        with open_store(settings.store) as store:
            results = pull_all(
                store,
                settings.connections,
                full=True,
                console=app.console,
                show_progress=not app.json_output and sys.stderr.isatty(),
            )
            names = [c.name for c in settings.connections]
            if app.json_output:
                app.emit_json(
                    {
                        "workdir": str(folder),
                        "config": str(config_path),
                        "store": str(store_path),
                        "pull": [asdict(r) for r in results],
                    }
                )
            else:
                app.console.print(pull_table(results))
                app.console.print(pipeline_table(store.iter_deals(), names))
                app.console.print(f"Config: {config_path}\nStore:  {store_path}")
    if any(r.error for r in results):
        raise typer.Exit(EXIT_FAILED)
