"""``dealsync audit``: run the quality layer over the store and report (table, json, csv or html)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from dealsync.cli.context import EXIT_USAGE, AppContext, ctx_obj, exit_codes, fail
from dealsync.errors import ConfigError
from dealsync.reports import FORMATS, print_tables, write_csv, write_html, write_json
from dealsync.store import open_store
from dealsync.sync.audit import run_audit
from dealsync.sync.audit_result import AuditResult

WRITERS: dict[str, Callable[[AuditResult, TextIO], None]] = {"json": write_json, "csv": write_csv, "html": write_html}


def audit(
    ctx: typer.Context,
    format_: Annotated[
        str, typer.Option("--format", "-f", help=f"Report format: {' | '.join(FORMATS)}.", show_default=True)
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file instead of the terminal.")
    ] = None,
) -> None:
    """Find duplicates, stale and mis-valued deals, score health and compute pipeline metrics over the store."""
    app = ctx_obj(ctx)
    if format_ not in FORMATS:
        fail(f"--format {format_!r} is not a report format; use one of: {', '.join(FORMATS)}", EXIT_USAGE)
    fmt = "json" if app.json_output and format_ == "table" else format_
    with exit_codes():
        settings = app.settings()
        with open_store(settings.store) as store:
            result = run_audit(store, settings, now=datetime.now(UTC))
        emit_report(app, result, fmt, output)


def emit_report(app: AppContext, result: AuditResult, fmt: str, output: Path | None) -> None:
    """The report to ``output`` (then a one-line pointer to it), or to the terminal."""
    if output is None:
        if fmt == "table":
            print_tables(result, app.console)
            if result.deals == 0:
                app.console.print("The store holds no deals yet: run `dealsync pull` first.", markup=False)
        else:
            WRITERS[fmt](result, sys.stdout)
        return
    write_report_file(result, fmt, output)
    if not app.json_output:
        app.console.print(f"Audit report ({fmt}) written to {output}", highlight=False, markup=False, soft_wrap=True)


def write_report_file(result: AuditResult, fmt: str, path: Path) -> None:
    """Write atomically: a reader never sees half a report, and a failed run leaves the old one in place."""
    folder = path.expanduser().resolve().parent
    if not folder.is_dir():
        raise ConfigError(f"--output {path}: the folder {folder} does not exist; create it or choose another path")
    if path.is_dir():
        raise ConfigError(f"--output {path} is a folder; give a file path such as {path / ('audit.' + fmt)}")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise ConfigError(f"--output {path}: cannot write in {folder} ({exc.strerror}); choose another path") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            if fmt == "table":
                print_tables(result, Console(file=out, width=160, color_system=None))
            else:
                WRITERS[fmt](result, out)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
