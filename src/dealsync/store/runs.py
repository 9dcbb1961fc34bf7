"""Runs: one row per pull, audit, sync or rollback, with its outcome and a JSON summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from dealsync.errors import StoreError
from dealsync.store.tables import runs
from dealsync.store.values import Run, RunKind, RunStatus, new_id


def start_run(
    conn: Connection, kind: RunKind, *, at: datetime, dry_run: bool = False, run_id: str | None = None
) -> Run:
    run = Run(id=run_id or new_id(), kind=RunKind(kind), status=RunStatus.RUNNING, started_at=at, dry_run=dry_run)
    conn.execute(
        insert(runs).values(
            id=run.id, kind=run.kind.value, status=run.status.value, started_at=at, dry_run=dry_run, summary=None
        )
    )
    return run


def finish_run(
    conn: Connection,
    run_id: str,
    status: RunStatus,
    *,
    at: datetime,
    summary: dict[str, Any] | None = None,
    error: str | None = None,
) -> Run:
    """Record a run's end; ``summary`` replaces the stored one when given."""
    if RunStatus(status) is RunStatus.RUNNING:
        raise StoreError(f"run {run_id}: a finished run needs a final status (ok, failed or partial), not 'running'")
    values: dict[str, Any] = {"status": RunStatus(status).value, "finished_at": at, "error": error}
    if summary is not None:
        values["summary"] = summary
    if conn.execute(update(runs).where(runs.c.id == run_id).values(**values)).rowcount == 0:
        raise StoreError(f"run {run_id} is not in the store; it cannot be finished")
    run = get_run(conn, run_id)
    if run is None:  # pragma: no cover - updated just above
        raise StoreError(f"run {run_id} vanished while being finished")
    return run


def get_run(conn: Connection, run_id: str) -> Run | None:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    return None if row is None else _to_run(row)


def list_runs(
    conn: Connection, *, kind: RunKind | None = None, status: RunStatus | None = None, limit: int | None = 50
) -> list[Run]:
    """Runs, newest first."""
    query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(runs.c.kind == RunKind(kind).value)
    if status is not None:
        query = query.where(runs.c.status == RunStatus(status).value)
    return [_to_run(row) for row in conn.execute(query).mappings()]


def latest_run(conn: Connection, kind: RunKind, *, status: RunStatus | None = None) -> Run | None:
    found = list_runs(conn, kind=kind, status=status, limit=1)
    return found[0] if found else None


def _to_run(row: RowMapping) -> Run:
    return Run(
        id=row["id"],
        kind=RunKind(row["kind"]),
        status=RunStatus(row["status"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        dry_run=row["dry_run"],
        summary=row["summary"],
        error=row["error"],
    )
