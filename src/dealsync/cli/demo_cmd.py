"""``dealsync demo``: the whole job against the embedded emulator and a fresh SQLite store, no setup needed."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from dealsync.cli.audit_cmd import write_report_file
from dealsync.cli.context import EXIT_FAILED, ctx_obj, exit_codes
from dealsync.cli.emulator_cmd import connection_snippet
from dealsync.cli.pulling import pull_all
from dealsync.cli.render import pipeline_table, pull_table
from dealsync.config import load_settings
from dealsync.logging import register_secrets
from dealsync.reports.table_report import duplicates_table, rules_table, summary_line
from dealsync.store import open_store
from dealsync.sync.audit import run_audit


def demo(
    ctx: typer.Context,
    deals: Annotated[int, typer.Option(min=10, help="Deals per emulated CRM.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 42,
    workdir: Annotated[
        Path | None, typer.Option(help="Where to write the config, store and report (default: a new temp dir).")
    ] = None,
) -> None:
    """Start the emulator with seeded data, pull both CRMs into a fresh store, audit it and write the HTML report."""
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
            audit = run_audit(store, settings, now=datetime.now(UTC))
            report_path = folder / "audit.html"
            write_report_file(audit, "html", report_path)
            if app.json_output:
                app.emit_json(
                    {
                        "workdir": str(folder),
                        "config": str(config_path),
                        "store": str(store_path),
                        "pull": [asdict(r) for r in results],
                        "audit": {"run_id": audit.run_id, "report": str(report_path), "summary": audit.summary()},
                    }
                )
            else:
                app.console.print(pull_table(results))
                app.console.print(pipeline_table(store.iter_deals(), names))
                app.console.print(summary_line(audit), highlight=False)
                app.console.print(rules_table(audit))
                app.console.print(duplicates_table(audit, width=app.console.width, top=5))
                app.console.print(f"Config: {config_path}\nStore:  {store_path}", highlight=False)
                app.console.print(f"Audit report (HTML): {report_path}", highlight=False, markup=False, soft_wrap=True)
    if any(r.error for r in results):
        raise typer.Exit(EXIT_FAILED)
