"""``dealsync check``: validate the config, then reach each CRM and say what it needs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dealsync.cli.context import EXIT_FAILED, ctx_obj, exit_codes
from dealsync.config import HubSpotConnection, SalesforceConnection, Settings
from dealsync.connectors.registry import open_connector
from dealsync.sync.check import CheckReport, check_connection


def describe_connection(conn: SalesforceConnection | HubSpotConnection) -> dict[str, Any]:
    url = conn.base_url if isinstance(conn, HubSpotConnection) else (conn.instance_url or conn.login_url)
    return {
        "name": conn.name,
        "type": conn.type,
        "url": url,
        "auth": conn.auth.mode,
        "health_score_field": conn.fields.health_score,
    }


def check(
    ctx: typer.Context,
    offline: Annotated[bool, typer.Option("--offline", help="Only validate the config; reach no CRM.")] = False,
    create_fields: Annotated[
        bool, typer.Option("--create-fields", help="Create missing write-back fields where the CRM's API allows.")
    ] = False,
) -> None:
    """Validate the config; reach each CRM: auth, read access, stage mapping, write-back fields."""
    app = ctx_obj(ctx)
    with exit_codes():
        settings = app.settings()
        reports = [] if offline else [_check(c, create_fields) for c in settings.connections]
    if app.json_output:
        app.emit_json(
            {
                "config": "valid",
                "store": _safe_store(settings),
                "connections": [describe_connection(c) for c in settings.connections],
                "checks": [asdict(r) for r in reports],
            }
        )
    else:
        app.console.print(f"[green]Config is valid.[/] Store: {escape(_safe_store(settings))}")
        _print_reports(app.console, settings, reports)
    if any(not r.ok for r in reports):
        raise typer.Exit(EXIT_FAILED)


def _check(config: SalesforceConnection | HubSpotConnection, create_fields: bool) -> CheckReport:
    connector = open_connector(config)
    try:
        return check_connection(connector, config, create_fields=create_fields)
    finally:
        connector.close()


def _print_reports(console: Console, settings: Settings, reports: list[CheckReport]) -> None:
    table = Table(title="Connections")
    for column in ("name", "type", "url", "auth", "reached", "deals", "stages", "unmapped", "health score field"):
        table.add_column(column)
    by_name = {r.connection: r for r in reports}
    for conn in settings.connections:
        row = describe_connection(conn)
        report = by_name.get(conn.name)
        reached = "-" if report is None else ("[green]yes[/]" if report.ok else "[red]no[/]")
        field_ok = (
            "-"
            if report is None or not report.ok
            else ("[green]writable[/]" if report.write_fields.get("health_score") else "[yellow]missing[/]")
        )
        table.add_row(
            row["name"],
            row["type"],
            str(row["url"]),
            row["auth"],
            reached,
            str(report.deals if report and report.deals is not None else "-"),
            str(report.stages if report else "-"),
            str(len(report.unmapped) if report else "-"),
            f"{row['health_score_field']} {field_ok}",
        )
    console.print(table)
    for report in reports:
        for name in report.created:
            console.print(
                f"[green]{report.connection}:[/] created the write-back field {escape(name)}", highlight=False
            )
        if report.error:
            console.print(f"[red]{report.connection}:[/] {escape(report.error)}", highlight=False)
        for advice in report.advice:
            console.print(f"[yellow]{report.connection}:[/] {escape(advice)}", highlight=False)
        if report.unmapped:
            lines = "\n".join(f"      {u.config_line}" for u in report.unmapped)
            console.print(
                f"  connections[{report.connection}]:\n    stage_map:\n{lines}", highlight=False, markup=False
            )


def _safe_store(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.store).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by the store when it is opened
        return "(unparsable store URL)"
