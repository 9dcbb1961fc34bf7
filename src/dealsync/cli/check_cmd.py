"""``dealsync check``: validate the config and say what each connection will use."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from dealsync.cli.context import ctx_obj, exit_codes
from dealsync.config import HubSpotConnection, SalesforceConnection, Settings


def describe_connection(conn: SalesforceConnection | HubSpotConnection) -> dict[str, Any]:
    url = conn.base_url if isinstance(conn, HubSpotConnection) else (conn.instance_url or conn.login_url)
    return {
        "name": conn.name,
        "type": conn.type,
        "url": url,
        "auth": conn.auth.mode,
        "stage_map_overrides": len(conn.stage_map),
        "health_score_field": conn.fields.health_score,
    }


def check(ctx: typer.Context) -> None:
    """Validate the config; list the connections, their auth modes and write-back fields."""
    app = ctx_obj(ctx)
    with exit_codes():
        settings = app.settings()
        rows = [describe_connection(c) for c in settings.connections]
        if app.json_output:
            app.emit_json({"config": "valid", "store": _safe_store(settings), "connections": rows})
            return
        table = Table(title="Connections")
        for column in ("name", "type", "url", "auth", "stage map overrides", "health score field"):
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        app.console.print(f"[green]Config is valid.[/] Store: {_safe_store(settings)}")
        app.console.print(table)


def _safe_store(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.store).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by the store when it is opened
        return "(unparsable store URL)"
