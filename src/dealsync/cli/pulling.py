"""Pulling every configured connection with a progress bar each; shared by ``pull``, ``sync`` and ``demo``."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dealsync.config import HubSpotConnection, SalesforceConnection
from dealsync.connectors.registry import open_connector
from dealsync.errors import DealsyncError
from dealsync.logging import get_logger
from dealsync.store import Store
from dealsync.sync.pull import PullResult, pull_connection

log = get_logger("dealsync.cli.pull")


def pull_all(
    store: Store,
    connections: Sequence[SalesforceConnection | HubSpotConnection],
    *,
    full: bool,
    console: Console,
    show_progress: bool,
) -> list[PullResult]:
    """Pull each connection in turn; one failing connection is reported and the others still run."""
    results: list[PullResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=not show_progress, transient=False) as progress:
        for config in connections:
            task = progress.add_task(f"pull {config.name}", total=None)
            results.append(_pull_one(store, config, full, progress, task))
    return results


def _pull_one(
    store: Store, config: SalesforceConnection | HubSpotConnection, full: bool, progress: Progress, task: TaskID
) -> PullResult:
    def on_page(_name: str, records: int, total: int | None) -> None:
        progress.update(task, completed=records, total=total)

    connector = open_connector(config)
    try:
        return pull_connection(store, connector, connection_type=config.type, full=full, progress=on_page)
    except DealsyncError as exc:
        log.warning("pull failed", connection=config.name, error=str(exc))
        return PullResult(
            connection=config.name, type=config.type, full=full, error=str(exc), requests=connector.stats.requests
        )
    finally:
        connector.close()
        progress.update(task, total=progress.tasks[task].completed or 1)
