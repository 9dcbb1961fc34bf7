"""What every command shares: global options, the console, settings loading and exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from dealsync.config import Settings, load_settings, resolve_path
from dealsync.errors import ConfigError, DealsyncError, LockHeld
from dealsync.logging import get_logger, redact_text, register_secrets

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class AppContext:
    config_path: Path | None
    json_output: bool
    console: Console

    def settings(self) -> Settings:
        settings = load_settings(resolve_path(self.config_path, os.environ))
        register_secrets(settings.secrets())
        return settings

    def emit_json(self, payload: Any) -> None:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def ctx_obj(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):  # a command invoked without the root callback (tests)
        obj = AppContext(config_path=None, json_output=False, console=Console())
        ctx.find_root().obj = obj
    return obj


def fail(message: str, code: int) -> NoReturn:
    err = Console(stderr=True)
    err.print(f"[bold red]error:[/] {escape(redact_text(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Map dealsync's errors to DESIGN.md §4 exit codes: 2 usage/config, 1 ran but failed."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    except LockHeld as exc:
        fail(str(exc), EXIT_FAILED)
    except DealsyncError as exc:
        get_logger("dealsync.cli").debug("command failed", error=exc)
        fail(str(exc), EXIT_FAILED)
