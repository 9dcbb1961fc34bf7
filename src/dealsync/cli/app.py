"""The Typer application: global options and command registration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dealsync.cli import audit_cmd, check_cmd, dedupe_cmd, demo_cmd, emulator_cmd, init_cmd, pull_cmd, runs_cmd
from dealsync.cli.context import AppContext
from dealsync.logging import configure_logging

app = typer.Typer(
    name="dealsync",
    help="Keep sales pipelines honest across CRMs: pull, audit and sync Salesforce and HubSpot deals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file (default: $DEALSYNC_CONFIG, then ./dealsync.yml)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")] = False,
    log_format: Annotated[str, typer.Option(help="Log format on stderr: console or json.")] = "console",
    log_level: Annotated[str, typer.Option(help="Log level: debug, info, warning, error.")] = "warning",
) -> None:
    if log_format not in ("console", "json"):
        raise typer.BadParameter("use console or json", param_hint="--log-format")
    configure_logging("json" if log_format == "json" else "console", log_level)
    ctx.obj = AppContext(config_path=config, json_output=json_output, console=Console())


app.command("demo")(demo_cmd.demo)
app.command("init")(init_cmd.init)
app.command("check")(check_cmd.check)
app.command("pull")(pull_cmd.pull)
app.command("audit")(audit_cmd.audit)
app.command("dedupe")(dedupe_cmd.dedupe)
app.add_typer(runs_cmd.runs_app, name="runs")
app.add_typer(emulator_cmd.emulator_app, name="emulator")


def main() -> None:
    app()
